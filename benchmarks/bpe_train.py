"""How fast is course_lib's pure-Python BPE? Training on 1 MB, and encoding next to tiktoken.

    python benchmarks/bpe_train.py                  # the course corpus (Tiny Shakespeare if online)
    python benchmarks/bpe_train.py my_text.txt --runs 5

Trains byte-level BPE (GPT-2 pre-split) on the first 1 MB of the corpus to vocab sizes 512 and 1024,
several runs each, and prints the median time and merges per second. Then encodes the same text with
our encoder (cold: a fresh tokenizer, empty chunk cache) and with tiktoken built from our own ranks,
checks that both give the same ids, and prints both throughputs in MB/s.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # run from a checkout

from course_lib.tokenization import BPETokenizer

MB = 1_000_000


def load_text(path: str | None) -> tuple[str, str]:
    """(text, where it came from): the file at `path`, else the course's own corpus loader."""
    if path:
        return pathlib.Path(path).read_text(encoding="utf-8"), path
    from course_lib.data import load_corpus

    corpus = load_corpus("tinyshakespeare")
    return corpus.text, f"{corpus.name} ({corpus.source})"


def median_seconds(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", help="a UTF-8 text file (default: the course corpus)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (the median is printed)")
    parser.add_argument("--vocab-sizes", type=int, nargs="+", default=[512, 1024])
    args = parser.parse_args(argv)

    text, source = load_text(args.corpus)
    text = text[:MB]
    size = len(text.encode("utf-8")) / MB
    print(f"corpus: {source}, {size:.2f} MB used | cpu cores: {os.cpu_count()} | runs: {args.runs}")

    tok = None
    for vocab_size in args.vocab_sizes:
        seconds, tok = median_seconds(lambda v=vocab_size: BPETokenizer.train(text, v), args.runs)
        print(f"train to vocab {vocab_size:5d}: {seconds:6.2f} s median, "
              f"{len(tok.merges) / seconds:7.0f} merges/s ({len(tok.merges)} merges)")

    ours_s, ids = median_seconds(lambda: BPETokenizer(tok.merges, tok.pattern).encode(text), args.runs)
    try:
        enc = tok.to_tiktoken()
    except ImportError:
        print(f"encode (ours):     {size / ours_s:6.2f} MB/s; tiktoken not installed, no comparison")
        return 0
    theirs_s, theirs = median_seconds(lambda: enc.encode_ordinary(text), args.runs)
    same = "identical ids" if ids == theirs else "DIFFERENT ids (a bug!)"
    print(f"encode (ours):     {size / ours_s:6.2f} MB/s, {len(text) / len(ids):.2f} characters per token")
    print(f"encode (tiktoken): {size / theirs_s:6.2f} MB/s, same ranks: {same}")
    return 0 if ids == theirs else 1


if __name__ == "__main__":
    sys.exit(main())

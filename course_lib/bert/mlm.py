"""BERT's masked-LM corruption: which tokens are hidden and what the model must predict there.

Taught in 09_bert_pretraining. `mask_tokens`: each real, non-special token is chosen with probability
mlm_prob (15%); a chosen token becomes [MASK] 80% of the time, a random non-special token 10%, stays
unchanged 10%; its label is the original id, every other label is -100 (ignored by the loss). Special
tokens and padding never change. `VocabInfo` is what masking needs to know about a vocabulary.
Deliberately left out: whole-word and span masking.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from course_lib.tokenization import SPECIAL_TOKENS

IGNORE = -100  # label of positions the MLM loss skips (F.cross_entropy's default ignore_index)


def is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class VocabInfo:
    """What masking needs from a vocabulary: its size, the [MASK] id, and the ids never to mask."""

    vocab_size: int
    mask_id: int
    special_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        if not is_int(self.vocab_size) or self.vocab_size < 1:
            raise ValueError(f"vocab_size must be a positive int, got {self.vocab_size!r}")
        if not is_int(self.mask_id) or not 0 <= self.mask_id < self.vocab_size:
            raise ValueError(f"mask_id must be an id in [0, vocab_size={self.vocab_size}), got {self.mask_id!r}")
        specials = self.special_ids
        if isinstance(specials, (str, bytes)) or not hasattr(specials, "__iter__"):
            raise TypeError(f"special_ids must be a tuple of ids, got {type(specials).__name__}")
        specials = tuple(specials)
        bad = [i for i in specials if not is_int(i) or not 0 <= i < self.vocab_size]
        if bad:
            raise ValueError(f"special_ids must be ids in [0, vocab_size={self.vocab_size}), got {bad[:5]}")
        object.__setattr__(self, "special_ids", specials)

    @classmethod
    def from_tokenizer(cls, tokenizer) -> VocabInfo:
        """From a tokenizer with vocab_size and token_to_id: the course's WordTokenizer, or one that lists its
        special tokens in a `special_tokens` dict {name: id} (BPETokenizer, WordPieceTokenizer)."""
        if not isinstance(getattr(tokenizer, "vocab_size", None), int) or not hasattr(tokenizer, "token_to_id"):
            raise TypeError(f"vocab must be a VocabInfo or a tokenizer with vocab_size and token_to_id, "
                            f"got {type(tokenizer).__name__}")
        named = getattr(tokenizer, "special_tokens", None)
        if isinstance(named, dict):
            ids = dict(named)
        else:
            ids = {}
            for t in SPECIAL_TOKENS:
                try:
                    ids[t] = tokenizer.token_to_id(t)
                except (ValueError, KeyError):  # not in this vocabulary
                    pass
        if "[MASK]" not in ids:
            raise ValueError(f"the tokenizer has no [MASK] token (its special tokens: {list(ids)}): masked-LM "
                             "needs one; train it with special_tokens that include '[MASK]'")
        return cls(tokenizer.vocab_size, ids["[MASK]"], tuple(sorted(set(ids.values()))))

    def ordinary_ids(self) -> Tensor:
        """The ids a random replacement may take: every id that is not special."""
        keep = torch.ones(self.vocab_size, dtype=torch.bool)
        keep[list(self.special_ids)] = False
        return keep.nonzero().flatten()



def mask_tokens(ids: Tensor, vocab: VocabInfo, mlm_prob: float = 0.15, generator: torch.Generator | None = None,
                ) -> tuple[Tensor, Tensor]:
    """BERT's masked-LM corruption of ids (any shape): returns (corrupted ids, labels), new tensors.

    `vocab` is a VocabInfo or a tokenizer (VocabInfo.from_tokenizer). Each token whose id is not special
    (padding, [CLS], [SEP], ... never change) is chosen with probability mlm_prob. Of the chosen: 80%
    become [MASK], 10% a random non-special token, 10% stay as they are. labels = original id where
    chosen, IGNORE (-100) elsewhere. Pass a seeded generator for reproducible masks.
    """
    if not isinstance(vocab, VocabInfo):
        vocab = VocabInfo.from_tokenizer(vocab)
    if not isinstance(ids, Tensor) or ids.dtype.is_floating_point or ids.dtype == torch.bool:
        got = f"dtype {ids.dtype}" if isinstance(ids, Tensor) else type(ids).__name__
        raise TypeError(f"ids must be an integer tensor of token ids, got {got}")
    if not isinstance(mlm_prob, (int, float)) or isinstance(mlm_prob, bool) or not 0.0 <= mlm_prob <= 1.0:
        raise ValueError(f"mlm_prob must be a probability in [0, 1], got {mlm_prob!r}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab.vocab_size):
        raise ValueError(f"ids must lie in [0, vocab_size={vocab.vocab_size}), got values from {int(ids.min())} "
                         f"to {int(ids.max())}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator (or None), got {type(generator).__name__}")
    ordinary = vocab.ordinary_ids()
    if not len(ordinary):
        raise ValueError(f"vocab has no ordinary ids: all {vocab.vocab_size} ids are in special_ids, so no token can "
                         "be chosen for masking or drawn as a random replacement")
    dev = ids.device
    ids = ids.cpu()  # draw on the CPU: the same generator gives the same masks on every device

    def uniform() -> Tensor:
        return torch.rand(ids.shape, generator=generator)

    special = torch.isin(ids, torch.tensor(vocab.special_ids, dtype=ids.dtype))
    chosen = (uniform() < mlm_prob) & ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    action = uniform()  # one draw per token decides: < 0.8 mask, < 0.9 random, else keep
    to_mask = chosen & (action < 0.8)
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    random_ids = ordinary[torch.randint(len(ordinary), ids.shape, generator=generator)]
    out = torch.where(to_mask, torch.full_like(ids, vocab.mask_id), ids)
    out = torch.where(to_random, random_ids, out)
    return out.to(dev), labels.to(dev)

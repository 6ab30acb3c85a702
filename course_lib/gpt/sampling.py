"""Sampling from a GPT: temperature, top-k and top-p filtering, and `generate`.

Taught in 10_gpt_pretraining (section 7 and the sampling explorer). Filters take logits (..., vocab_size)
and return logits with the dropped tokens at -inf, so a softmax gives them probability 0.
Deliberately left out: beam search (08_encoder_decoder), repetition penalties, a key/value cache.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from .model import GPT


def check_sampling(vocab_size: int, temperature: float = 1.0, top_k: int | None = None,
                   top_p: float | None = None) -> None:
    """Raise a ValueError naming the first sampling setting out of range."""
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not temperature > 0:
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}; for the most likely token "
                         "every time (greedy decoding) use top_k=1")
    if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= vocab_size):
        raise ValueError(f"top_k must be None or an int in [1, vocab_size={vocab_size}], got {top_k!r}")
    if top_p is not None and (not isinstance(top_p, (int, float)) or isinstance(top_p, bool) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be None or a number in (0, 1], got {top_p!r}")


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep the k largest logits of each row (last dim), set the others to -inf. Ties at the k-th value stay."""
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1): the k-th largest
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Nucleus filter: keep the smallest set of most likely tokens whose probabilities add up to >= p."""
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    before = probs.cumsum(dim=-1) - probs  # probability of the tokens ranked above each one
    drop_sorted = before >= p  # already enough without this token (the top token is always kept)
    drop = drop_sorted.scatter(-1, order, drop_sorted)  # back to vocabulary order
    return logits.masked_fill(drop, float("-inf"))


def next_token_probs(logits: Tensor, temperature: float = 1.0, top_k: int | None = None,
                     top_p: float | None = None) -> Tensor:
    """The distribution generate() samples from: softmax(logits / temperature) after top-k and top-p."""
    check_sampling(logits.shape[-1], temperature, top_k, top_p)
    logits = logits.float() / temperature
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None and top_p < 1:
        logits = top_p_filter(logits, top_p)
    return torch.softmax(logits, dim=-1)


@torch.no_grad()
def generate(model: GPT, ids, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, eos_id: int | None = None,
             generator: torch.Generator | None = None) -> Tensor:
    """Append up to max_new_tokens sampled tokens to the prompt ids ((T,) or (B, T), or a list of ints).

    Each step reads the last max_len tokens (a longer prompt is cropped, with a warning), takes the
    logits of the last position, filters and samples them (next_token_probs). A sequence that produces
    eos_id is finished (filled with eos_id from then on); generation stops when all are finished.
    Returns the prompt plus the new tokens, with the prompt's shape ((T + n,) or (B, T + n)).
    """
    vocab_size, max_len = model.config.vocab_size, model.config.max_len
    device = next(model.parameters()).device
    ids = torch.as_tensor(ids, dtype=torch.long, device=device) if not isinstance(ids, Tensor) else ids.to(device)
    if ids.numel() == 0:
        raise ValueError("ids (the prompt) is empty: give at least one token, e.g. a newline or <bos>")
    if ids.dim() not in (1, 2) or ids.dtype.is_floating_point or ids.dtype == torch.bool:
        raise ValueError(f"ids must be integer token ids of shape (T,) or (B, T), got {ids.dtype} {tuple(ids.shape)}")
    if int(ids.min()) < 0 or int(ids.max()) >= vocab_size:
        raise ValueError(f"ids must lie in [0, vocab_size={vocab_size}), got values from {int(ids.min())} "
                         f"to {int(ids.max())}")
    if not isinstance(max_new_tokens, int) or isinstance(max_new_tokens, bool) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    check_sampling(vocab_size, temperature, top_k, top_p)
    if eos_id is not None and not 0 <= eos_id < vocab_size:
        raise ValueError(f"eos_id must be None or in [0, vocab_size={vocab_size}), got {eos_id!r}")
    one = ids.dim() == 1
    seq = ids[None] if one else ids  # (B, T)
    if seq.shape[1] > max_len:
        warnings.warn(f"the prompt has {seq.shape[1]} tokens, more than the model's context max_len={max_len}: "
                      f"only its last {max_len} tokens are read", stacklevel=2)
    finished = torch.zeros(seq.shape[0], dtype=torch.bool, device=device)
    was_training = model.training
    model.eval()
    try:
        for _ in range(max_new_tokens):
            logits = model(seq[:, -max_len:])[:, -1]  # (B, V): scores for the token after the last one
            probs = next_token_probs(logits, temperature, top_k, top_p)
            new = torch.multinomial(probs, 1, generator=generator)  # (B, 1)
            if eos_id is not None:
                new = new.masked_fill(finished[:, None], eos_id)
                finished |= new[:, 0] == eos_id
            seq = torch.cat([seq, new], dim=1)
            if eos_id is not None and bool(finished.all()):
                break
    finally:
        model.train(was_training)
    return seq[0] if one else seq

"""Sampling from a GPT: temperature, top-k and top-p filtering, and `generate` with a key/value cache.

Taught in 10_gpt_pretraining (section 7, the sampling explorer and the cache). Filters take logits
(..., vocab_size) and return logits with the dropped tokens at -inf, so a softmax gives them probability 0.
`generate` reads the prompt once, then feeds one new token per step while a KVCache keeps the keys and
values of everything before it (use_cache=False re-reads the whole context every step, for comparison;
both give the same tokens). Prompts of different lengths batch together when left-padded with an
attention mask. Deliberately left out: beam search (08_encoder_decoder) and repetition penalties.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from course_lib.guards import describe, is_int, positive_int, token_ids
from course_lib.util import evaluating

from .model import GPT


def check_sampling(vocab_size: int, temperature: float = 1.0, top_k: int | None = None,
                   top_p: float | None = None) -> None:
    """Raise a ValueError naming the first sampling setting out of range."""
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not temperature > 0:
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}; for the most likely token "
                         "every time (greedy decoding) use top_k=1")
    if top_k is not None and (not is_int(top_k) or not 1 <= top_k <= vocab_size):
        raise ValueError(f"top_k must be None or an int in [1, vocab_size={vocab_size}], got {top_k!r}")
    if top_p is not None and (not isinstance(top_p, (int, float)) or isinstance(top_p, bool) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be None or a number in (0, 1], got {top_p!r} (top_p=0 would keep no token)")


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep the k largest logits of each row (last dim), set the others to -inf. Ties at the k-th value stay."""
    check_sampling(logits.shape[-1], top_k=k)
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1): the k-th largest
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Nucleus filter: keep the smallest set of most likely tokens whose probabilities add up to >= p.

    The running sums are taken in float64 and p = 1 keeps every token: in float32 the sum of the last
    probabilities can round up to 1.0 early and would drop tail tokens that p = 1 must keep.
    """
    check_sampling(logits.shape[-1], top_p=p)
    if p >= 1:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits.double(), dim=-1)
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


def _prompt(model, ids, attention_mask) -> tuple[Tensor, Tensor | None, bool]:
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a course_lib.gpt.GPT, got {type(model).__name__} (an encoder-decoder "
                        "translates with course_lib.transformer.greedy_decode or beam_search)")
    device = next(model.parameters()).device
    if not isinstance(ids, Tensor):
        try:
            ids = torch.as_tensor(ids, dtype=torch.long)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"ids must be token ids: a list of ints or an integer tensor (T,) or (B, T), got "
                            f"{describe(ids)}") from None
    if ids.numel() == 0:
        raise ValueError("ids (the prompt) is empty: give at least one token, e.g. a newline or <bos>")
    seq = token_ids("ids", ids[None] if ids.dim() == 1 else ids, model.config.vocab_size).to(device)
    if attention_mask is not None:
        if not isinstance(attention_mask, Tensor) or attention_mask.shape != seq.shape:
            raise ValueError(f"attention_mask must be a tensor shaped like the prompt {tuple(seq.shape)} "
                             f"(1 = token, 0 = left padding), got {describe(attention_mask)}")
        attention_mask = attention_mask.to(device)
    return seq, attention_mask, ids.dim() == 1


@torch.no_grad()
def generate(model: GPT, ids, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, eos_id: int | None = None, generator: torch.Generator | None = None,
             attention_mask: Tensor | None = None, use_cache: bool = True) -> Tensor:
    """Append up to max_new_tokens sampled tokens to the prompt ids ((T,) or (B, T), or a list of ints).

    Each step takes the logits of the last position, filters and samples them (next_token_probs). A
    sequence that produces eos_id is finished (filled with eos_id from then on); generation stops when
    all are finished. attention_mask (B, T), 0 on left padding, batches prompts of different lengths.
    With use_cache the keys and values of earlier tokens are kept, so each step reads one new token;
    once the context would pass max_len, the model can only read the last max_len tokens, at new
    positions, so each further step re-reads that window (as use_cache=False does from the start).
    Returns the prompt plus the new tokens, with the prompt's shape ((T + n,) or (B, T + n)).
    """
    seq, mask, one = _prompt(model, ids, attention_mask)
    vocab_size, max_len = model.config.vocab_size, model.config.max_len
    positive_int("max_new_tokens", max_new_tokens, minimum=0)
    check_sampling(vocab_size, temperature, top_k, top_p)
    if eos_id is not None and not (is_int(eos_id) and 0 <= eos_id < vocab_size):
        raise ValueError(f"eos_id must be None or in [0, vocab_size={vocab_size}), got {eos_id!r}")
    if seq.shape[1] > max_len:
        warnings.warn(f"the prompt has {seq.shape[1]} tokens, more than the model's context max_len={max_len}: "
                      f"only its last {max_len} tokens are read", stacklevel=2)
    finished = torch.zeros(seq.shape[0], dtype=torch.bool, device=seq.device)
    cache, fed = (model.new_cache() if use_cache else None), 0  # fed: tokens of seq the cache holds
    with evaluating(model):
        for _ in range(max_new_tokens):
            if cache is not None and seq.shape[1] <= max_len:  # the new tokens only, the rest is cached
                window, window_mask = seq[:, fed:], mask
            else:  # no cache, or the context is full: re-read the last max_len tokens
                cache, window = None, seq[:, -max_len:]
                window_mask = None if mask is None else mask[:, -max_len:]
            logits = model(window, window_mask, cache=cache).logits[:, -1]  # (B, V): the next token's scores
            fed = seq.shape[1]
            new = torch.multinomial(next_token_probs(logits, temperature, top_k, top_p), 1, generator=generator)
            if eos_id is not None:
                new = new.masked_fill(finished[:, None], eos_id)  # (B, 1)
                finished |= new[:, 0] == eos_id
            seq = torch.cat([seq, new], dim=1)
            if mask is not None:
                mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            if eos_id is not None and bool(finished.all()):
                break
    return seq[0] if one else seq

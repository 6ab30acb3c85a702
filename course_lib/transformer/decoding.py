"""Decoding: turning a trained encoder-decoder into translations, greedily or with a beam.

Taught in 08_encoder_decoder. Both start the decoder input with the start token and add one token per
step until <eos> or `max_len` tokens. Greedy decoding takes the most probable next token each time
(all sentences of a batch at once). Beam search keeps the `beam_size` most probable partial translations
(by total log-probability) and stops when `beam_size` of them have ended with <eos>; the finished ones
are compared by log P / length ** length_penalty (length_penalty=0: raw log-probability, which prefers
short outputs; 1: the mean log-probability per token).
They need only `model.config`, `model.encode(src)`, `model.new_cache()` and
`model.decode(tgt_in, memory, src_mask, cache=...)`: the source is encoded once, and the key/value cache
lets each step read only the newest target token (use_cache=False re-reads the whole prefix, for
comparison; both give the same tokens). Beam search reorders the cache as beams are kept or dropped.
Deliberately left out: sampling (10_gpt_pretraining), batched beams, n-gram blocking and coverage penalties.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from course_lib.util import evaluating


def _prepare(model: nn.Module, src, max_len: int | None) -> tuple[Tensor, int]:
    if not isinstance(src, Tensor) or src.dtype.is_floating_point or src.dim() != 2:
        got = f"{src.dtype} {tuple(src.shape)}" if isinstance(src, Tensor) else type(src).__name__
        raise TypeError(f"src must be an integer tensor of token ids with shape (B, S), got {got}")
    limit = model.config.max_len
    if max_len is None:
        max_len = limit
    if not isinstance(max_len, int) or isinstance(max_len, bool) or not 1 <= max_len <= limit:
        raise ValueError(f"max_len must be an int in [1, {limit}] (the model's max_len: the decoder reads at "
                         f"most that many positions), got {max_len!r}")
    param = next(iter(model.parameters()), None)
    return (src.to(param.device) if param is not None else src), max_len


def _trim(row: list[int], eos_id: int) -> list[int]:
    """The tokens up to and including the first <eos> (all of them if there is none)."""
    return row[:row.index(eos_id) + 1] if eos_id in row else row


@torch.no_grad()
def _ban(scores: Tensor, ids: tuple[int, ...]) -> Tensor:
    """scores (n, V) with the columns of `ids` set to -inf, so they are never chosen."""
    if not ids:
        return scores
    scores = scores.clone()
    scores[:, list(ids)] = float("-inf")
    return scores


def greedy_decode(model: nn.Module, src: Tensor, max_len: int | None = None, use_cache: bool = True
                  ) -> list[list[int]]:
    """The most probable next token at every step, for a whole batch src (B, S) at once.

    Returns one list of token ids per sentence: what follows the start token, up to and including <eos>
    (no <eos> if max_len tokens came first). max_len defaults to model.config.max_len.
    """
    src, max_len = _prepare(model, src, max_len)
    c = model.config
    with evaluating(model):
        memory, src_mask, _ = model.encode(src)  # the source is read once
        ys = torch.full((src.shape[0], 1), c.decoder_start_id, dtype=torch.long, device=src.device)  # (B, 1)
        done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
        cache = model.new_cache() if use_cache else None
        for _ in range(max_len):
            new = ys[:, -1:] if use_cache else ys  # with a cache, only the newest token is read
            logits, _, _ = model.decode(new, memory, src_mask, cache=cache)  # (B, t, V)
            last = _ban(logits[:, -1], c.never_generate)  # (B, V) the last position predicts the next token
            next_token = last.argmax(dim=-1)  # (B,)
            next_token = next_token.masked_fill(done, c.pad_id)  # finished sentences just pad
            ys = torch.cat([ys, next_token[:, None]], dim=1)  # (B, t + 1)
            done |= next_token == c.eos_id
            if bool(done.all()):
                break
    return [_trim(row, c.eos_id) for row in ys[:, 1:].tolist()]


def _beam_one(model: nn.Module, memory: Tensor, src_mask: Tensor, beam_size: int, max_len: int,
              length_penalty: float, use_cache: bool) -> list[int]:
    """Beam search for one sentence: memory (1, S, d_model), src_mask (1, 1, 1, S)."""
    c = model.config

    def normalised(score: float, tokens: list[int]) -> float:
        return score / len(tokens) ** length_penalty

    beams = torch.full((1, 1), c.decoder_start_id, dtype=torch.long, device=memory.device)  # (n, t)
    scores = torch.zeros(1, dtype=torch.float64, device=memory.device)  # (n,) total log-probabilities
    finished: list[tuple[float, list[int]]] = []
    cache = model.new_cache() if use_cache else None
    for _ in range(max_len):
        n = beams.shape[0]
        new = beams[:, -1:] if use_cache else beams  # with a cache, only the newest token of each beam
        logits, _, _ = model.decode(new, memory.expand(n, -1, -1), src_mask.expand(n, -1, -1, -1), cache=cache)
        logp = _ban(torch.log_softmax(logits[:, -1].double(), dim=-1), c.never_generate)  # (n, V)
        vocab = logp.shape[-1]
        candidates = (scores[:, None] + logp).flatten()  # (n * V,) every beam times every next token
        top_scores, top_index = candidates.topk(min(2 * beam_size, candidates.numel()))
        keep_rows, keep_tokens, keep_scores = [], [], []
        for rank, (score, index) in enumerate(zip(top_scores.tolist(), top_index.tolist())):
            row, token = divmod(index, vocab)
            if token == c.eos_id:  # an ending among the best beam_size candidates is a finished translation
                if rank < beam_size:
                    tokens = beams[row, 1:].tolist() + [token]
                    finished.append((normalised(score, tokens), tokens))
            else:
                keep_rows.append(row), keep_tokens.append(token), keep_scores.append(score)
            if len(keep_rows) == beam_size:
                break
        if keep_rows:
            rows = torch.tensor(keep_rows, device=beams.device)
            beams = torch.cat([beams[rows], torch.tensor(keep_tokens, device=beams.device)[:, None]], dim=1)
            scores = torch.tensor(keep_scores, dtype=torch.float64, device=beams.device)
            for kv in (cache.self_attn + cache.cross_attn) if cache is not None else ():
                kv.reorder(rows)  # each kept beam continues from its parent's keys and values
        if len(finished) >= beam_size or not keep_rows:
            break
    if beams.shape[1] - 1 == max_len:  # max_len reached: full-length beams that never ended compete too
        finished += [(normalised(s, b[1:]), b[1:]) for s, b in zip(scores.tolist(), beams.tolist())]
    return max(finished, key=lambda f: f[0])[1]


@torch.no_grad()
def beam_search(model: nn.Module, src: Tensor, beam_size: int = 4, max_len: int | None = None,
                length_penalty: float = 1.0, use_cache: bool = True) -> list[list[int]]:
    """Beam search, one sentence of src (B, S) at a time; the same output format as greedy_decode.

    beam_size=1 is greedy decoding. length_penalty: finished translations are ranked by
    log P / length ** length_penalty (0 = raw log-probability).
    """
    if not isinstance(beam_size, int) or isinstance(beam_size, bool) or beam_size < 1:
        raise ValueError(f"beam_size must be a positive int, got {beam_size!r}")
    if not isinstance(length_penalty, (int, float)) or isinstance(length_penalty, bool) or length_penalty < 0:
        raise ValueError(f"length_penalty must be a number >= 0, got {length_penalty!r}")
    src, max_len = _prepare(model, src, max_len)
    with evaluating(model):
        memory, src_mask, _ = model.encode(src)
        return [_beam_one(model, memory[b:b + 1], src_mask[b:b + 1], beam_size, max_len, length_penalty, use_cache)
                for b in range(src.shape[0])]

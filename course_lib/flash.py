"""Flash-style attention: the online softmax, which never holds the whole (T, T) score matrix.

Taught in 12_modern_llm. softmax(s) v needs the maximum and the sum over a whole row of scores before
the first weight is known, so plain attention stores all T x T scores. The online softmax reads the
keys in blocks and keeps, per query, three running numbers: the largest score so far m, the
denominator l = sum exp(s - m) and the weighted sum acc = sum exp(s - m) v. When a block brings a
larger maximum m', the old l and acc are rescaled by exp(m - m'); after the last block out = acc / l.
The same result, with memory T x block_size instead of T x T. This is the idea of FlashAttention
(Dao et al. 2022); the speed of the real thing comes from doing it inside one GPU kernel.

Masks are boolean with True = may attend, as everywhere in the course. A query that may attend to no
key at all gets an output of zeros (as course_lib.attention's softmax gives it zero weights), where
torch's scaled_dot_product_attention may give NaN.
Deliberately left out: tiling the queries, a hand-written backward pass that recomputes the blocks
(autograd here keeps every block, so training memory is not saved), dropout, and GPU kernels.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from course_lib.guards import describe, number, positive_int


def online_softmax(scores: Tensor) -> Tensor:
    """softmax of one query's scores (T,), read one score at a time: a running max and a running sum.

    For each score s: if s beats the maximum m, the sum so far is rescaled by exp(m_old - m_new), then
    exp(s - m) is added. One pass gives m and the denominator; the weights are exp(s - m) / sum.
    Scores of -inf (masked keys) get weight 0; if every score is -inf the weights are all 0.
    """
    if not isinstance(scores, Tensor) or not scores.dtype.is_floating_point or scores.dim() != 1:
        raise ValueError(f"scores must be a 1-D floating-point tensor (T,) of one query's scores, "
                         f"got {describe(scores)}")
    m, total = -math.inf, 0.0  # running max and running sum of exp(s - m)
    for s in scores.tolist():
        if s > m:
            total = total * math.exp(m - s)  # everything so far was measured against the old, smaller max
            m = s
        if s != -math.inf:
            total += math.exp(s - m)
    if total == 0.0:  # every key masked
        return torch.zeros_like(scores)
    return torch.exp(scores - m) / total  # (T,)


def _check_inputs(q, k, v, mask, is_causal, block_size, scale) -> None:
    for name, x, shape in (("q", q, "(..., T_q, d_k)"), ("k", k, "(..., T_k, d_k)"), ("v", v, "(..., T_k, d_v)")):
        if not isinstance(x, Tensor) or not x.dtype.is_floating_point:
            raise TypeError(f"{name} must be a floating-point torch.Tensor of shape {shape}, got {describe(x)}")
        if x.dim() < 2:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(x.shape)}")
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(f"q, k and v must share one dtype, got {q.dtype}, {k.dtype} and {v.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must end in the same size d_k: q has shape {tuple(q.shape)}, "
                         f"k has shape {tuple(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must hold the same number of positions T_k: k has shape {tuple(k.shape)}, "
                         f"v has shape {tuple(v.shape)}")
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(f"the leading (batch, head) dims of q {tuple(q.shape)}, k {tuple(k.shape)} and "
                         f"v {tuple(v.shape)} do not broadcast together") from None
    if not isinstance(is_causal, bool):
        raise TypeError(f"is_causal must be True or False, got {is_causal!r}")
    if is_causal and q.shape[-2] != k.shape[-2]:
        raise ValueError(f"is_causal needs as many queries as keys, got T_q={q.shape[-2]} and T_k={k.shape[-2]}; "
                         f"for queries that continue a longer sequence pass an explicit mask")
    positive_int("block_size", block_size)
    if scale is not None:
        number("scale", scale, 0.0, math.inf, low_open=True)
    if mask is not None:
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
            raise TypeError(f"mask must be a bool torch.Tensor (True = may attend), got {describe(mask)}")
        scores_shape = (*torch.broadcast_shapes(q.shape[:-2], k.shape[:-2]), q.shape[-2], k.shape[-2])
        try:
            ok = torch.broadcast_shapes(mask.shape, scores_shape) == scores_shape
        except RuntimeError:
            ok = False
        if not ok:
            raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
                             f"{scores_shape} (..., T_q, T_k); expected e.g. ({q.shape[-2]}, {k.shape[-2]})")


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None, is_causal: bool = False,
                             block_size: int = 64, scale: float | None = None) -> Tensor:
    """softmax(q k^T * scale, masked) v, computed over blocks of block_size keys with the online softmax.

    q (..., T_q, d_k), k (..., T_k, d_k), v (..., T_k, d_v); leading dims broadcast (batch, heads).
    mask: bool, broadcastable to (..., T_q, T_k), True = may attend. is_causal: query i may attend to
    keys 0..i (needs T_q == T_k); given with a mask, both must allow a key. scale: 1 / sqrt(d_k) if None.
    block_size need not divide T_k (the last block is shorter). The largest intermediate is one block
    of scores (..., T_q, block_size). Rows with no allowed key give zeros. Half-precision inputs are
    computed in float32 and the result cast back. Returns out (..., T_q, d_v).
    """
    _check_inputs(q, k, v, mask, is_causal, block_size, scale)
    dtype = q.dtype
    work = torch.promote_types(dtype, torch.float32)
    q, k, v = q.to(work), k.to(work), v.to(work)
    T_q, T_k = q.shape[-2], k.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    if mask is not None:
        mask = mask.expand(*mask.shape[:-2], T_q, T_k)  # a view: no copy, lets us slice the key dim
    query_pos = torch.arange(T_q, device=q.device)[:, None]  # (T_q, 1), used when is_causal

    m = torch.full((*batch, T_q, 1), -math.inf, dtype=work, device=q.device)  # running max per query
    l = torch.zeros((*batch, T_q, 1), dtype=work, device=q.device)            # running denominator
    acc = torch.zeros((*batch, T_q, v.shape[-1]), dtype=work, device=q.device)  # running weighted sum of v
    for start in range(0, T_k, block_size):
        stop = min(start + block_size, T_k)
        s = (q @ k[..., start:stop, :].transpose(-2, -1)) * scale  # (..., T_q, b): one block of scores
        if mask is not None:
            s = s.masked_fill(~mask[..., start:stop], -math.inf)
        if is_causal:
            key_pos = torch.arange(start, stop, device=q.device)  # (b,)
            s = s.masked_fill(key_pos > query_pos, -math.inf)   # (T_q, b): keys after the query are hidden
        m_new = torch.maximum(m, s.amax(dim=-1, keepdim=True))   # (..., T_q, 1)
        m_safe = torch.where(torch.isfinite(m_new), m_new, torch.zeros_like(m_new))  # all masked so far: 0
        correction = torch.exp(m - m_safe)                       # (..., T_q, 1) rescales the old sums
        p = torch.exp(s - m_safe)                                # (..., T_q, b), masked keys: exp(-inf) = 0
        l = l * correction + p.sum(dim=-1, keepdim=True)
        acc = acc * correction + p @ v[..., start:stop, :]       # (..., T_q, d_v)
        m = m_new
    out = acc / torch.where(l > 0, l, torch.ones_like(l))        # a row with no allowed key: 0 / 1 = 0
    return out.to(dtype)                                          # (..., T_q, d_v)

"""Attention for one head: score functions, a numerically stable masked softmax, scaled dot-product attention.

Taught in 04_attention. Every function works on (..., T, d) tensors with any leading batch/head dims.
Masks are boolean and True means "may attend" (torch's scaled_dot_product_attention convention).

Deliberately left out: several heads and their projections (course_lib.multihead), building padding,
causal and window masks (course_lib.masking), and fused kernels (multihead uses torch's when it can).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.guards import check_mask, check_qkv, check_weight_shapes, number, tensor


# ---------------------------------------------------------------- score functions: (..., T_q, T_k)

def dot_scores(q: Tensor, k: Tensor) -> Tensor:
    """score[i, j] = q_i . k_j: (..., T_q, d_k), (..., T_k, d_k) -> (..., T_q, T_k)."""
    check_qkv(q, k)
    return q @ k.transpose(-2, -1)


def scaled_dot_scores(q: Tensor, k: Tensor, scale: float | None = None) -> Tensor:
    """score[i, j] = q_i . k_j / sqrt(d_k) (or times `scale`): keeps the scores' variance near 1 for any d_k."""
    check_qkv(q, k)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    return (q @ k.transpose(-2, -1)) * scale


def bilinear_scores(q: Tensor, k: Tensor, W: Tensor) -> Tensor:
    """score[i, j] = q_i^T W k_j ("general" / multiplicative attention, Luong et al. 2015).

    q (..., T_q, d_q), k (..., T_k, d_k), W (d_q, d_k) -> (..., T_q, T_k). With W = I it is the dot score.
    """
    check_weight_shapes(q, k, W=(W, (q.shape[-1], k.shape[-1])))
    return q @ W @ k.transpose(-2, -1)


def additive_scores(q: Tensor, k: Tensor, W_q: Tensor, W_k: Tensor, v: Tensor) -> Tensor:
    """score[i, j] = v^T tanh(W_q q_i + W_k k_j): a one-hidden-layer MLP (Bahdanau et al. 2015).

    q (..., T_q, d_q), k (..., T_k, d_k), W_q (d_hidden, d_q), W_k (d_hidden, d_k), v (d_hidden,)
    -> (..., T_q, T_k). The weights are plain tensors (AdditiveScore holds them as a module).
    Uses memory T_q * T_k * d_hidden: fine for teaching, one reason dot products won.
    """
    d_hidden = v.shape[0] if isinstance(v, Tensor) and v.dim() == 1 else -1
    check_weight_shapes(q, k, W_q=(W_q, (d_hidden, q.shape[-1])), W_k=(W_k, (d_hidden, k.shape[-1])))
    hq = q @ W_q.T  # (..., T_q, d_hidden)
    hk = k @ W_k.T  # (..., T_k, d_hidden)
    hidden = torch.tanh(hq.unsqueeze(-2) + hk.unsqueeze(-3))  # (..., T_q, T_k, d_hidden): every pair
    return hidden @ v  # (..., T_q, T_k)


class AdditiveScore(nn.Module):
    """The additive (MLP) score as a module with its own weights: forward(q, k) -> (..., T_q, T_k)."""

    def __init__(self, d_q: int, d_k: int, d_hidden: int):
        super().__init__()
        self.W_q = nn.Linear(d_q, d_hidden, bias=False)
        self.W_k = nn.Linear(d_k, d_hidden, bias=False)
        self.v = nn.Parameter(torch.randn(d_hidden) / math.sqrt(d_hidden))

    def forward(self, q: Tensor, k: Tensor) -> Tensor:
        return additive_scores(q, k, self.W_q.weight, self.W_k.weight, self.v)


# ---------------------------------------------------------------- softmax and attention

def softmax(scores: Tensor, mask: Tensor | None = None, dim: int = -1) -> Tensor:
    """Numerically stable softmax along `dim`, optionally masked (mask True = may attend).

    Subtracting the row maximum changes nothing mathematically (it cancels in the ratio) but keeps every
    exp() <= 1, so scores in the thousands never overflow. Masked entries get weight exactly 0; a row
    with nothing allowed gets all zeros (never NaN).
    """
    tensor("scores", scores)
    if mask is not None:
        check_mask(mask, *scores.shape)
        scores = scores.masked_fill(~mask, float("-inf"))
    row_max = scores.detach().amax(dim=dim, keepdim=True)  # a constant shift: no gradient needed
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))  # all-masked row
    e = torch.exp(scores - row_max)  # each in [0, 1]; masked entries are exp(-inf) = 0
    total = e.sum(dim=dim, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))  # all-masked row: 0 / 1 = 0


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None,
                                 dropout_p: float = 0.0, scale: float | None = None) -> tuple[Tensor, Tensor]:
    """softmax(q k^T / sqrt(d_k), masked) v, returning (out, weights).

    q (..., T_q, d_k), k (..., T_k, d_k), v (..., T_k, d_v); leading dims broadcast (batch, heads).
    mask: bool, broadcastable to (..., T_q, T_k), True = may attend. dropout_p is applied to the weights
    as given (pass 0.0 at evaluation, as with torch's function); the weights returned are the ones used.
    Returns out (..., T_q, d_v) and weights (..., T_q, T_k).
    """
    check_qkv(q, k, v)
    number("dropout_p", dropout_p, 0.0, 1.0)
    if mask is not None:
        check_mask(mask, *torch.broadcast_shapes(q.shape[:-2], k.shape[:-2]), q.shape[-2], k.shape[-2])
    return attend(q, k, v, mask, dropout_p, scale)


def attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None, dropout_p: float = 0.0,
           scale: float | None = None) -> tuple[Tensor, Tensor]:
    """scaled_dot_product_attention without the argument checks, for callers that made them already
    (MultiHeadAttention checks its inputs once)."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale  # (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores)  # (..., T_q, T_k), each row sums to 1 (or 0 if fully masked)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ v, weights  # (..., T_q, d_v), (..., T_q, T_k)

"""Multi-head attention: project, split into heads, attend in each head, merge, project back.

Taught in 05_multi_head_attention (the key/value cache in 10_gpt_pretraining, grouped-query attention
in 12_modern_llm). `MultiHeadAttention` does self-attention (queries, keys and values all from x) or
cross-attention (queries from x, keys and values from `context`). With need_weights=False it calls
PyTorch's fused kernel (torch.nn.functional.scaled_dot_product_attention); with need_weights=True it
runs course_lib.attention's readable version and also returns the weights (B, H, T_q, T_k), the format
every plot, widget and bertviz view of the course takes.

The parameters have the same layout as torch.nn.MultiheadAttention, so weights copy straight across
(`MultiHeadAttention.from_torch`): one fused projection `qkv` holding W_q, W_k, W_v stacked (torch's
in_proj_weight, (3 * d_model, d_model)), and `out` (torch's out_proj). With n_kv_heads < n_heads
(grouped-query attention) keys and values have fewer heads, each shared by n_heads // n_kv_heads
query heads, and their rows of `qkv` shrink accordingly.

A `KVCache` passed to forward keeps the keys and values of the positions already seen, so generating
one more token costs one new query instead of re-reading the whole prefix. The new queries are then the
last T_q of T_k positions and the causal mask is aligned bottom-right (course_lib.masking.causal_mask).
Two options of modern models (12_modern_llm): rope_base rotates queries and keys by their positions
(course_lib.rotary) instead of adding position vectors to the tokens, and window lets each query see
only the last `window` keys (sliding-window attention, with is_causal).
Masks are boolean with True = may attend (course_lib.masking); note that nn.MultiheadAttention's
boolean masks mean the opposite. Deliberately left out: separate key/value sizes (kdim/vdim),
add_bias_kv/add_zero_attn, and a cache of fixed size (ours grows with torch.cat).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib import attention
from course_lib.guards import check_mask, features, number, positive_int
from course_lib.masking import causal_mask, combine_masks, window_mask
from course_lib.rotary import RotaryEmbedding, apply_rope


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """(B, T, d_model) -> (B, H, T, d_head): each head gets its own d_head-wide slice of the features."""
    B, T, d_model = x.shape
    if positive_int("n_heads", n_heads) and d_model % n_heads:
        raise ValueError(f"the last dimension ({d_model}) must be divisible by n_heads={n_heads}")
    return x.view(B, T, n_heads, d_model // n_heads).transpose(1, 2)  # (B, H, T, d_head)


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, d_head) -> (B, T, H * d_head): the heads' outputs side by side (undoes split_heads)."""
    B, H, T, d_head = x.shape
    return x.transpose(1, 2).reshape(B, T, H * d_head)  # (B, T, d_model)


class KVCache:
    """The keys and values one attention layer has seen so far, each (B, H_kv, T_past, d_head).

    Self-attention appends the new positions at every call; cross-attention stores the encoder's keys and
    values once and reuses them. `len(cache)` is the number of positions held.
    """

    def __init__(self):
        self.k: Tensor | None = None
        self.v: Tensor | None = None

    def __len__(self) -> int:
        return 0 if self.k is None else self.k.shape[-2]

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Add the new positions' k and v (B, H_kv, T_new, d_head); return all of them so far."""
        self.k = k if self.k is None else torch.cat([self.k, k], dim=-2)  # (B, H_kv, T_past + T_new, d_head)
        self.v = v if self.v is None else torch.cat([self.v, v], dim=-2)
        return self.k, self.v

    def reorder(self, index: Tensor) -> None:
        """Keep the batch rows `index` (beam search drops and copies hypotheses)."""
        if self.k is not None:
            self.k, self.v = self.k[index], self.v[index]


class MultiHeadAttention(nn.Module):
    """Multi-head (self- or cross-) attention: forward(x, context=None, mask=None, need_weights=False).

    d_model is split into n_heads heads of d_head = d_model // n_heads features each, so the cost is
    about that of one full-width head. Returns (out (B, T_q, d_model), weights (B, H, T_q, T_k) or None).
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True,
                 n_kv_heads: int | None = None, rope_base: float | None = None, window: int | None = None):
        super().__init__()
        positive_int("d_model", d_model), positive_int("n_heads", n_heads), number("dropout", dropout, 0.0, 1.0)
        n_kv_heads = n_heads if n_kv_heads is None else positive_int("n_kv_heads", n_kv_heads)
        if d_model % n_heads or n_heads % n_kv_heads:
            raise ValueError(f"d_model must be divisible by n_heads, and n_heads by n_kv_heads, got d_model="
                             f"{d_model}, n_heads={n_heads}, n_kv_heads={n_kv_heads}; each head needs a whole d_head")
        self.d_model, self.n_heads, self.n_kv_heads, self.dropout = d_model, n_heads, n_kv_heads, dropout
        self.d_head = d_model // n_heads
        self.d_kv = n_kv_heads * self.d_head  # the width of the keys (and of the values)
        self.qkv = nn.Linear(d_model, d_model + 2 * self.d_kv, bias=bias)  # rows: W_q, W_k, W_v
        self.out = nn.Linear(d_model, d_model, bias=bias)  # torch's out_proj
        self.rope = RotaryEmbedding(self.d_head, rope_base) if rope_base is not None else None
        self.window = None if window is None else positive_int("window", window)
        nn.init.xavier_uniform_(self.qkv.weight)  # nn.MultiheadAttention's initialisation, zero biases
        if bias:
            nn.init.zeros_(self.qkv.bias), nn.init.zeros_(self.out.bias)

    @classmethod
    @torch.no_grad()
    def from_torch(cls, mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """A MultiHeadAttention with the weights of a torch.nn.MultiheadAttention (batch_first or not)."""
        if not isinstance(mha, nn.MultiheadAttention):
            raise TypeError(f"mha must be a torch.nn.MultiheadAttention, got {type(mha).__name__}")
        if not mha._qkv_same_embed_dim or mha.bias_k is not None:
            raise ValueError("only nn.MultiheadAttention with kdim = vdim = embed_dim and add_bias_kv=False "
                             "can be copied")
        bias = mha.in_proj_bias is not None
        ours = cls(mha.embed_dim, mha.num_heads, dropout=mha.dropout, bias=bias)
        ours = ours.to(device=mha.in_proj_weight.device, dtype=mha.in_proj_weight.dtype)
        ours.qkv.weight.copy_(mha.in_proj_weight)  # (3 * d_model, d_model)
        ours.out.weight.copy_(mha.out_proj.weight)  # (d_model, d_model)
        if bias:
            ours.qkv.bias.copy_(mha.in_proj_bias)
            ours.out.bias.copy_(mha.out_proj.bias)
        return ours

    def project(self, x: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Queries from x, keys and values from context (or x): (B, H, T_q, d_head), (B, H_kv, T_k, d_head) x2."""
        if context is None:  # self-attention: one matrix multiply makes q, k and v together
            q, k, v = self.qkv(x).split([self.d_model, self.d_kv, self.d_kv], dim=-1)
        else:  # cross-attention: W_q is the first d_model rows, W_k and W_v the rest
            W, b, d = self.qkv.weight, self.qkv.bias, self.d_model
            q = F.linear(x, W[:d], None if b is None else b[:d])  # (B, T_q, d_model)
            k, v = F.linear(context, W[d:], None if b is None else b[d:]).split(self.d_kv, dim=-1)
        return split_heads(q, self.n_heads), split_heads(k, self.n_kv_heads), split_heads(v, self.n_kv_heads)

    def forward(self, x: Tensor, context: Tensor | None = None, mask: Tensor | None = None,
                need_weights: bool = False, is_causal: bool = False, cache: KVCache | None = None,
                positions: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """x (B, T_q, d_model); context (B, T_k, d_model) or None for self-attention.

        mask: bool, broadcastable to (B, H, T_q, T_k), True = may attend (e.g. padding (B, 1, 1, T_k)).
        is_causal=True adds the causal mask (self-attention only), aligned bottom-right when a cache holds
        earlier positions; without a cache the fused kernel then skips the future blocks entirely.
        cache: a KVCache, updated in place (self-attention appends; cross-attention fills it once).
        positions: (T_q,) or (B, T_q) positions of the queries for rotary embeddings (default: they follow
        the cache). Returns (out (B, T_q, d_model), weights (B, H, T_q, T_k) if need_weights else None).
        """
        self._check(x, context, is_causal, cache)
        if context is not None and cache is not None and len(cache):  # the encoder's k, v: computed once
            q, k, v = split_heads(F.linear(x, *self._q_params()), self.n_heads), cache.k, cache.v
        else:
            q, k, v = self.project(x, context)  # (B, H, T_q, d_head), (B, H_kv, T_new, d_head) x 2
            if self.rope is not None:  # turn each query and key by its position (relative positions)
                past = len(cache) if cache is not None else 0
                cos, sin = self.rope(torch.arange(past, past + x.shape[1], device=x.device)
                                     if positions is None else positions, dtype=q.dtype)
                q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
            if cache is not None:
                k, v = cache.append(k, v)  # (B, H_kv, T_k, d_head): the past and the new positions
        B, T_q, T_k = x.shape[0], x.shape[1], k.shape[-2]
        if mask is not None:
            check_mask(mask, B, self.n_heads, T_q, T_k)
        if self.n_kv_heads != self.n_heads:  # each key/value head serves n_heads // n_kv_heads query heads
            k, v = (t.repeat_interleave(self.n_heads // self.n_kv_heads, dim=1) for t in (k, v))
        if is_causal and self.window is not None:  # the last `window` keys, the query's own included
            mask, is_causal = combine_masks(mask, window_mask(T_q, self.window - 1, True, T_k, x.device)), False
        if is_causal and (need_weights or mask is not None or T_q != T_k):
            causal = causal_mask(T_q, T_k, device=x.device) if T_q > 1 else None  # one new query sees all
            mask, is_causal = combine_masks(mask, causal), False
        p = self.dropout if self.training else 0.0
        if need_weights:  # the readable path, which also gives the weights
            heads, weights = attention.attend(q, k, v, mask, dropout_p=p)
        else:  # the fused kernel; a causal mask given as a flag lets it skip whole blocks
            heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, is_causal=is_causal)
            if mask is not None:  # a query with no key to see gives zeros, as attention.attend does (older
                heads = heads.masked_fill(~mask.any(-1, keepdim=True), 0.0)  # torch releases give NaN)
            weights = None
        return self.out(merge_heads(heads)), weights  # (B, T_q, d_model), (B, H, T_q, T_k) or None

    def _q_params(self) -> tuple[Tensor, Tensor | None]:
        b = self.qkv.bias
        return self.qkv.weight[: self.d_model], None if b is None else b[: self.d_model]

    def _check(self, x, context, is_causal: bool, cache) -> None:
        features("x", x, self.d_model, dims=3)
        if context is not None:
            features("context", context, self.d_model, dims=3, letters="B, T_k")
            if context.shape[0] != x.shape[0] or is_causal or self.rope is not None:
                raise ValueError(f"context must have the batch size of x ({x.shape[0]}), got {tuple(context.shape)}, "
                                 f"and is_causal and rotary positions are for self-attention only (got is_causal="
                                 f"{is_causal}, rope={self.rope is not None})")
        if cache is not None and not isinstance(cache, KVCache):
            raise TypeError(f"cache must be a course_lib.multihead.KVCache or None, got {type(cache).__name__}")

    def extra_repr(self) -> str:
        kv = f", n_kv_heads={self.n_kv_heads}" if self.n_kv_heads != self.n_heads else ""
        window = f", window={self.window}" if self.window is not None else ""
        return f"d_model={self.d_model}, n_heads={self.n_heads}{kv}, d_head={self.d_head}{window}"

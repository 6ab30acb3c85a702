"""Multi-head attention: project, split into heads, attend in each head, merge, project back.

Taught in 05_multi_head_attention. `MultiHeadAttention` does self-attention (queries, keys and values
all from x) or cross-attention (queries from x, keys and values from `context`). With
need_weights=False it calls PyTorch's fused kernel (torch.nn.functional.scaled_dot_product_attention);
with need_weights=True it runs course_lib.attention's readable version and also returns the weights
(B, H, T_q, T_k), the format every plot, widget and bertviz view of the course takes.

The parameters have the same layout as torch.nn.MultiheadAttention, so weights copy straight across
(`MultiHeadAttention.from_torch`): one fused projection `qkv` of shape (3 * d_model, d_model) holding
W_q, W_k, W_v stacked (torch's in_proj_weight), and `out` (torch's out_proj).
Masks are boolean with True = may attend (course_lib.masking); note that nn.MultiheadAttention's
boolean masks mean the opposite. Deliberately left out: key/value caching for generation, grouped-query
attention, separate key/value sizes (kdim/vdim), and add_bias_kv/add_zero_attn.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib import attention
from course_lib.masking import causal_mask, check_mask, combine_masks


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """(B, T, d_model) -> (B, H, T, d_head): each head gets its own d_head-wide slice of the features."""
    B, T, d_model = x.shape
    if d_model % n_heads:
        raise ValueError(f"the last dimension ({d_model}) must be divisible by n_heads={n_heads}")
    return x.view(B, T, n_heads, d_model // n_heads).transpose(1, 2)  # (B, H, T, d_head)


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, d_head) -> (B, T, H * d_head): the heads' outputs side by side (undoes split_heads)."""
    B, H, T, d_head = x.shape
    return x.transpose(1, 2).reshape(B, T, H * d_head)  # (B, T, d_model)


class MultiHeadAttention(nn.Module):
    """Multi-head (self- or cross-) attention: forward(x, context=None, mask=None, need_weights=False).

    d_model is split into n_heads heads of d_head = d_model // n_heads features each, so the cost is
    about that of one full-width head. Returns (out (B, T_q, d_model), weights (B, H, T_q, T_k) or None).
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        for name, value in (("d_model", d_model), ("n_heads", n_heads)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if d_model % n_heads:
            raise ValueError(f"d_model must be divisible by n_heads, got d_model={d_model} and n_heads={n_heads}"
                             f" (d_model / n_heads = {d_model / n_heads:.2f}); each head needs a whole d_head")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.d_model, self.n_heads, self.d_head, self.dropout = d_model, n_heads, d_model // n_heads, dropout
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)  # rows: W_q, W_k, W_v (torch's in_proj_weight)
        self.out = nn.Linear(d_model, d_model, bias=bias)  # torch's out_proj
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """nn.MultiheadAttention's initialisation: Xavier-uniform on the stacked (3 * d_model, d_model)
        matrix, the output projection as any nn.Linear, all biases zero."""
        nn.init.xavier_uniform_(self.qkv.weight)
        if self.qkv.bias is not None:
            nn.init.zeros_(self.qkv.bias)
            nn.init.zeros_(self.out.bias)

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

    def _check(self, name: str, x) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor of shape (B, T, d_model={self.d_model}), "
                            f"got {type(x).__name__}")
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"{name} must have shape (B, T, d_model={self.d_model}), got {tuple(x.shape)}")

    def forward(self, x: Tensor, context: Tensor | None = None, mask: Tensor | None = None,
                need_weights: bool = False, is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """x (B, T_q, d_model); context (B, T_k, d_model) or None for self-attention.

        mask: bool, broadcastable to (B, H, T_q, T_k), True = may attend (e.g. padding (B, 1, 1, T_k),
        causal (T, T)). is_causal=True adds the causal mask without building it (self-attention only):
        the fused kernel then skips the future blocks entirely, which is much faster than a mask.
        Returns (out (B, T_q, d_model), weights (B, H, T_q, T_k) if need_weights else None).
        """
        self._check("x", x)
        B, T_q, _ = x.shape
        if context is None:  # self-attention: one matrix multiply makes q, k and v together
            q, k, v = self.qkv(x).chunk(3, dim=-1)  # each (B, T, d_model)
        else:  # cross-attention: queries from x, keys and values from the context
            self._check("context", context)
            if context.shape[0] != B:
                raise ValueError(f"context must have the same batch size as x ({B}), "
                                 f"got {tuple(context.shape)}")
            if is_causal:
                raise ValueError("is_causal=True is for self-attention; cross-attention got a context")
            W, b, d = self.qkv.weight, self.qkv.bias, self.d_model  # W_q is W[:d], W_k and W_v are W[d:]
            q = F.linear(x, W[:d], None if b is None else b[:d])  # (B, T_q, d_model)
            kv = F.linear(context, W[d:], None if b is None else b[d:])  # (B, T_k, 2 * d_model)
            k, v = kv.chunk(2, dim=-1)  # each (B, T_k, d_model)
        T_k = k.shape[1]
        if mask is not None:
            check_mask(mask, B, self.n_heads, T_q, T_k)
        q, k, v = (split_heads(t, self.n_heads) for t in (q, k, v))  # each (B, H, T, d_head)
        p = self.dropout if self.training else 0.0

        if need_weights:  # the readable path, which also gives the weights
            full = combine_masks(mask, causal_mask(T_q, device=x.device) if is_causal else None)
            heads, weights = attention.scaled_dot_product_attention(q, k, v, full, dropout_p=p)
        else:  # the fused kernel; a causal mask given as a flag lets it skip whole blocks
            if is_causal and mask is not None:
                mask, is_causal = combine_masks(mask, causal_mask(T_q, device=x.device)), False
            heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, is_causal=is_causal)
            weights = None
        return self.out(merge_heads(heads)), weights  # (B, T_q, d_model), (B, H, T_q, T_k) or None

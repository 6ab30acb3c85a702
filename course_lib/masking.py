"""Boolean attention masks: padding, causal (look-ahead), local window, and combinations of them.

Taught in 06_masking (05_multi_head_attention already uses the causal and padding masks).
One convention everywhere: a boolean mask is True where a query MAY attend to a key, the convention of
torch.nn.functional.scaled_dot_product_attention. Masks are shaped to broadcast against attention
scores of shape (B, H, T_q, T_k): padding masks are (B, 1, 1, T), causal and window masks (T, T).
Before the softmax a False entry becomes -inf (`to_additive`), so its weight comes out exactly 0.

Careful: torch.nn.MultiheadAttention uses the OPPOSITE boolean convention for its `attn_mask` and
`key_padding_mask` (True = blocked); pass `~mask` there (see `to_key_padding_mask`).
With a key/value cache the queries are the LAST T_q of T_k positions: causal and window masks then take
T_k and are aligned bottom-right (the last query sees every key), as torch's tril(diagonal=T_k - T_q).
Deliberately left out: relative-position biases (ALiBi, T5 buckets), block-sparse and dilated patterns.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.guards import (check_bool_mask, check_bool_masks, check_mask,  # noqa: F401 (check_mask: re-exported)
                               check_real_token_mask, positive_int, token_id, token_ids)


def padding_mask(ids: Tensor, pad_id: int) -> Tensor:
    """True where a token is real (not padding): ids (B, T) -> mask (B, 1, 1, T).

    The two singleton dimensions let it broadcast over heads and queries: every query may look at
    every real key, none at a padding key. (Rows of padding *queries* are left as they are: their
    outputs are ignored later by the loss or the pooling.)
    """
    token_ids("ids", ids), token_id("pad_id", pad_id)
    return (ids != pad_id)[:, None, None, :]  # (B, 1, 1, T)


def attention_mask_to_padding(attention_mask: Tensor, queries: int | None = None) -> Tensor:
    """A (B, T) mask of real tokens (True or 1 = real, False or 0 = padding) -> (B, 1, 1, T), True = real.

    The Hugging Face form of a padding mask. A float additive mask (0 / -inf) is refused: read through
    .bool() it would turn every -inf into True and attend to exactly the padding. With queries=T_q (the
    last T_q of the T positions ask), the result is (B, 1, T_q, T) and a padding query may see itself:
    with left padding and a causal mask its row would otherwise be empty (NaN in some torch releases).
    """
    attention_mask = check_real_token_mask(attention_mask)  # (B, T) bool
    mask = attention_mask[:, None, None, :]  # (B, 1, 1, T)
    if queries is None:
        return mask
    T = attention_mask.shape[1]
    itself = torch.ones(queries, T, dtype=torch.bool, device=mask.device).tril(T - queries).triu(T - queries)
    return mask | itself  # (B, 1, T_q, T): real keys, and each query's own position


def causal_mask(T: int, T_k: int | None = None, device: torch.device | str | None = None) -> Tensor:
    """True on and below the diagonal: query i may attend to keys 0..i, never to the future. (T, T).

    The same pattern as torch.nn.Transformer.generate_square_subsequent_mask, which writes it as a
    float mask (0 = allowed, -inf = blocked). With T_k > T (a cache holds T_k - T earlier positions) the
    T queries are the last ones, so the mask (T, T_k) is aligned bottom-right: query i sees keys up to
    T_k - T + i.
    """
    positive_int("T", T)
    T_k = T if T_k is None else positive_int("T_k", T_k, minimum=T)
    return torch.ones(T, T_k, dtype=torch.bool, device=device).tril(diagonal=T_k - T)  # (T, T_k)


def window_mask(T: int, window: int, causal: bool = False, T_k: int | None = None,
                device: torch.device | str | None = None) -> Tensor:
    """Local attention: query i may attend to key j when |i - j| <= window. (T, T).

    `window` counts neighbours on each side (window=0: each token sees only itself). With causal=True
    only the past side is kept: i - window <= j <= i. T_k > T aligns it bottom-right, as causal_mask.
    Built in place from one boolean matrix cut by two diagonals (a band): no (T, T) integer intermediate.
    """
    positive_int("T", T)
    positive_int("window", window, minimum=0)
    T_k = T if T_k is None else positive_int("T_k", T_k, minimum=T)
    shift = T_k - T  # query i sits at key position i + shift
    band = torch.ones(T, T_k, dtype=torch.bool, device=device).tril_(diagonal=shift + (0 if causal else window))
    return band.triu_(diagonal=shift - window)  # (T, T_k): keys i + shift - window .. i + shift (+ window)


def combine_masks(*masks: Tensor | None) -> Tensor | None:
    """Logical AND of boolean masks, broadcast together: a pair may attend only if every mask allows it.

    `None` entries are skipped (so optional masks can be passed straight through); if every entry is
    None the result is None. Example: padding (B, 1, 1, T) and causal (T, T) combine to (B, 1, T, T).
    """
    given = [m for m in masks if m is not None]
    shape = check_bool_masks(masks, given)
    if shape is None:
        return None
    out = given[0].expand(shape)
    for m in given[1:]:
        out = out & m
    return out.clone() if len(given) == 1 else out


def to_additive(mask: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """The float form of a boolean mask: 0.0 where True (may attend), -inf where False.

    Added to the scores before the softmax: exp(-inf) = 0, so blocked weights are exactly zero. This is
    the float `attn_mask` form that torch's scaled_dot_product_attention and nn.MultiheadAttention take.
    """
    check_bool_mask("mask", mask, float_dtype=dtype)
    zeros = torch.zeros(mask.shape, dtype=dtype, device=mask.device)
    return zeros.masked_fill(~mask, float("-inf"))


def to_key_padding_mask(mask: Tensor) -> Tensor:
    """Our padding mask (B, 1, 1, T), True = real, -> nn.MultiheadAttention's key_padding_mask (B, T),
    True = padding (ignore)."""
    check_bool_mask("mask", mask, padding=True)
    return ~mask[:, 0, 0, :]

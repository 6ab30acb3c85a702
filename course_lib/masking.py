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

from course_lib.guards import check_mask, describe, positive_int, token_ids  # noqa: F401 (check_mask: re-exported)


def padding_mask(ids: Tensor, pad_id: int) -> Tensor:
    """True where a token is real (not padding): ids (B, T) -> mask (B, 1, 1, T).

    The two singleton dimensions let it broadcast over heads and queries: every query may look at
    every real key, none at a padding key. (Rows of padding *queries* are left as they are: their
    outputs are ignored later by the loss or the pooling.)
    """
    token_ids("ids", ids)
    if not isinstance(pad_id, int) or isinstance(pad_id, bool):
        raise TypeError(f"pad_id must be an int token id, got {pad_id!r}")
    return (ids != pad_id)[:, None, None, :]  # (B, 1, 1, T)


def attention_mask_to_padding(attention_mask: Tensor, queries: int | None = None) -> Tensor:
    """A (B, T) mask of real tokens (True or 1 = real, False or 0 = padding) -> (B, 1, 1, T), True = real.

    The Hugging Face form of a padding mask. A float additive mask (0 / -inf) is refused: read through
    .bool() it would turn every -inf into True and attend to exactly the padding. With queries=T_q (the
    last T_q of the T positions ask), the result is (B, 1, T_q, T) and a padding query may see itself:
    with left padding and a causal mask its row would otherwise be empty (NaN in some torch releases).
    """
    if not isinstance(attention_mask, Tensor) or attention_mask.dim() != 2:
        raise ValueError(f"attention_mask must be a (B, T) tensor, 1 or True for a real token, got "
                         f"{describe(attention_mask)}")
    if attention_mask.dtype != torch.bool:
        if attention_mask.dtype.is_floating_point and attention_mask.device.type == "cpu" \
                and not torch.isin(attention_mask, torch.tensor([0.0, 1.0], dtype=attention_mask.dtype)).all():
            raise ValueError("attention_mask must hold 1 (real token) and 0 (padding), got other values "
                             f"(from {attention_mask.min().item()} to {attention_mask.max().item()}); an additive "
                             "0 / -inf mask is not accepted: pass (mask == 0) instead")
        attention_mask = attention_mask != 0
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
    if not masks:
        raise ValueError("combine_masks needs at least one mask (or None)")
    given = [m for m in masks if m is not None]
    for i, m in enumerate(given):
        if not isinstance(m, Tensor) or m.dtype != torch.bool:
            got = f"dtype {m.dtype}" if isinstance(m, Tensor) else type(m).__name__
            raise TypeError(f"mask {i} must be a boolean tensor (True = may attend), got {got}")
    if not given:
        return None
    try:
        shape = torch.broadcast_shapes(*(m.shape for m in given))
    except RuntimeError:
        shapes = ", ".join(str(tuple(m.shape)) for m in given)
        raise ValueError(f"masks of shapes {shapes} cannot be broadcast together; expected each dimension "
                         f"(from the right) to match or be 1, e.g. (B, 1, 1, T) and (T, T)") from None
    out = given[0].expand(shape)
    for m in given[1:]:
        out = out & m
    return out.clone() if len(given) == 1 else out


def to_additive(mask: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """The float form of a boolean mask: 0.0 where True (may attend), -inf where False.

    Added to the scores before the softmax: exp(-inf) = 0, so blocked weights are exactly zero. This is
    the float `attn_mask` form that torch's scaled_dot_product_attention and nn.MultiheadAttention take.
    """
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        got = f"dtype {mask.dtype}" if isinstance(mask, Tensor) else type(mask).__name__
        raise TypeError(f"mask must be a boolean tensor (True = may attend), got {got}")
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
    zeros = torch.zeros(mask.shape, dtype=dtype, device=mask.device)
    return zeros.masked_fill(~mask, float("-inf"))


def to_key_padding_mask(mask: Tensor) -> Tensor:
    """Our padding mask (B, 1, 1, T), True = real, -> nn.MultiheadAttention's key_padding_mask (B, T),
    True = padding (ignore)."""
    is_padding = isinstance(mask, Tensor) and mask.dtype == torch.bool and mask.dim() == 4
    if not is_padding or mask.shape[1:3] != (1, 1):
        got = f"{mask.dtype} {tuple(mask.shape)}" if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(f"mask must be a boolean padding mask of shape (B, 1, 1, T), got {got}")
    return ~mask[:, 0, 0, :]

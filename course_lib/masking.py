"""Boolean attention masks: padding, causal (look-ahead), local window, and combinations of them.

Taught in 06_masking (05_multi_head_attention already uses the causal and padding masks).
One convention everywhere: a boolean mask is True where a query MAY attend to a key, the convention of
torch.nn.functional.scaled_dot_product_attention. Masks are shaped to broadcast against attention
scores of shape (B, H, T_q, T_k): padding masks are (B, 1, 1, T), causal and window masks (T, T).
Before the softmax a False entry becomes -inf (`to_additive`), so its weight comes out exactly 0.

Careful: torch.nn.MultiheadAttention uses the OPPOSITE boolean convention for its `attn_mask` and
`key_padding_mask` (True = blocked); pass `~mask` there (see `to_key_padding_mask`).
Deliberately left out: relative-position biases (ALiBi, T5 buckets), block-sparse and dilated patterns,
and masks for cached (incremental) decoding.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _positive_int(name: str, value, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} int, got {value!r}")
    return value


def padding_mask(ids: Tensor, pad_id: int) -> Tensor:
    """True where a token is real (not padding): ids (B, T) -> mask (B, 1, 1, T).

    The two singleton dimensions let it broadcast over heads and queries: every query may look at
    every real key, none at a padding key. (Rows of padding *queries* are left as they are: their
    outputs are ignored later by the loss or the pooling.)
    """
    if not isinstance(ids, Tensor):
        raise TypeError(f"ids must be a torch.Tensor of token ids, shape (B, T), got {type(ids).__name__}")
    if ids.dtype.is_floating_point or ids.dtype == torch.bool or ids.dtype.is_complex:
        raise TypeError(f"ids must hold integer token ids, got dtype {ids.dtype}")
    if ids.dim() != 2:
        raise ValueError(f"ids must have shape (B, T), got {tuple(ids.shape)}")
    if not isinstance(pad_id, int) or isinstance(pad_id, bool):
        raise TypeError(f"pad_id must be an int token id, got {pad_id!r}")
    return (ids != pad_id)[:, None, None, :]  # (B, 1, 1, T)


def causal_mask(T: int, device: torch.device | str | None = None) -> Tensor:
    """True on and below the diagonal: query i may attend to keys 0..i, never to the future. (T, T).

    The same pattern as torch.nn.Transformer.generate_square_subsequent_mask, which writes it as a
    float mask (0 = allowed, -inf = blocked).
    """
    _positive_int("T", T)
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()  # (T, T)


def window_mask(T: int, window: int, causal: bool = False,
                device: torch.device | str | None = None) -> Tensor:
    """Local attention: query i may attend to key j when |i - j| <= window. (T, T).

    `window` counts neighbours on each side (window=0: each token sees only itself). With causal=True
    only the past side is kept: i - window <= j <= i.
    """
    _positive_int("T", T)
    _positive_int("window", window, allow_zero=True)
    pos = torch.arange(T, device=device)
    offset = pos[:, None] - pos[None, :]  # (T, T): i - j, positive when the key is in the past
    mask = offset.abs() <= window
    if causal:
        mask &= offset >= 0
    return mask


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


def check_mask(mask, B: int, H: int, T_q: int, T_k: int, name: str = "mask") -> None:
    """Raise a clear error unless `mask` is a boolean tensor that broadcasts to (B, H, T_q, T_k)."""
    expected = f"a boolean tensor broadcastable to (B, H, T_q, T_k) = ({B}, {H}, {T_q}, {T_k})"
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be {expected}, got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise TypeError(f"{name} must be {expected} (True = may attend), got dtype {mask.dtype}; "
                        f"for a 0/-inf float mask use mask == 0")
    target = (B, H, T_q, T_k)
    ok = mask.dim() <= 4 and all(m in (1, t) for m, t in zip(reversed(mask.shape), reversed(target)))
    if not ok:
        raise ValueError(f"{name} must be {expected}, got shape {tuple(mask.shape)}")

"""Rotary position embeddings (RoPE): positions as rotations of the queries and keys.

Taught in 12_modern_llm. Instead of adding a position vector to the token (course_lib.positional),
RoPE rotates each pair of dimensions of q and k by an angle proportional to the position:
pair i of the vector at position m turns by m * w_i, with w_i = 1 / base^(2i / d_head). The dot
product of q rotated to position m and k rotated to position n then depends only on m - n: attention
sees relative positions, and nothing is added to the residual stream.

Pairs use the "rotate half" layout of Hugging Face's Llama: dimension i is paired with i + d_head / 2
(not with its neighbour 2i + 1 as in the RoPE paper). Both are the same idea up to a permutation of
the dimensions; this one lets Llama checkpoints load unchanged.
Shapes: x is (B, H, T, d_head) (any leading dims work); cos and sin come as (T, d_head) for positions
(T,), or (B, 1, T, d_head) for positions given per row (B, T), e.g. left-padded batches.
Deliberately left out: context-extension variants (NTK, YaRN, Llama 3 frequency scaling, partial
rotary dimensions), the paper's interleaved layout, and a cache of precomputed tables (cos and sin
are cheap next to attention; models may keep them if they want).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from course_lib.guards import describe, number, positive_int

BASE = 10000.0  # the RoPE paper's and Llama 1/2's base (Llama 3 uses 500000)


def _even_d_head(d_head) -> int:
    positive_int("d_head", d_head)
    if d_head % 2:
        raise ValueError(f"d_head must be even (dimensions are rotated in pairs), got d_head={d_head}")
    return d_head


def _base(base) -> float:
    return number("base", base, 1.0, math.inf, low_open=True)


def _float_dtype(dtype) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype such as torch.float32, got {dtype!r}")
    return dtype


def rotate_pair(x, y, angle):
    """Rotate the 2-D point (x, y) by `angle` radians, counter-clockwise: the whole of RoPE for one pair.

    (x, y) -> (x cos a - y sin a, x sin a + y cos a). Works on numbers or on tensors (elementwise).
    """
    if isinstance(angle, Tensor):
        c, s = torch.cos(angle), torch.sin(angle)
    else:
        a = number("angle", angle, -math.inf, math.inf, low_open=True)
        c, s = math.cos(a), math.sin(a)
    return x * c - y * s, x * s + y * c


def rope_frequencies(d_head: int, base: float = BASE, dtype: torch.dtype = torch.float32,
                     device: torch.device | str | None = None) -> Tensor:
    """The angular speed of each pair: w_i = 1 / base^(2i / d_head), shape (d_head // 2,).

    Pair 0 turns by 1 radian per position (the fastest), the last pair by about 1 / base (the slowest).
    Computed in `dtype` the way Hugging Face does it (float32 by default), so tables match bit for bit.
    """
    _even_d_head(d_head)
    base, dtype = _base(base), _float_dtype(dtype)
    two_i = torch.arange(0, d_head, 2, dtype=torch.int64, device=device).to(dtype)  # 0, 2, ..., d_head - 2
    return 1.0 / (base ** (two_i / d_head))  # (d_head // 2,)


def _check_positions(positions) -> Tensor:
    if not isinstance(positions, Tensor) or positions.dtype.is_floating_point or positions.dtype.is_complex \
            or positions.dtype == torch.bool:
        raise TypeError(f"positions must be an integer tensor of shape (T,) or (B, T), got {describe(positions)}")
    if positions.dim() not in (1, 2):
        raise ValueError(f"positions must have shape (T,) or (B, T), got {tuple(positions.shape)}")
    return positions


def _cos_sin(positions: Tensor, inv_freq: Tensor, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """cos and sin of every angle position * w_i, each pair's angle written twice (both halves)."""
    work = torch.promote_types(dtype, torch.float32)  # angles never in half precision (as Llama)
    angles = positions.to(work)[..., None] * inv_freq.to(work)  # (T, d_head / 2) or (B, T, d_head / 2)
    angles = torch.cat((angles, angles), dim=-1)  # (..., T, d_head): dims i and i + d_head/2 share one angle
    cos, sin = angles.cos().to(dtype), angles.sin().to(dtype)
    if positions.dim() == 2:
        cos, sin = cos[:, None], sin[:, None]  # (B, 1, T, d_head): broadcast over the heads
    return cos, sin


def rope_cos_sin(positions: Tensor, d_head: int, base: float = BASE, dtype: torch.dtype = torch.float32,
                 device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
    """(cos, sin) of the rotation angles for integer positions, ready for apply_rope.

    positions (T,) -> cos, sin of shape (T, d_head); positions (B, T) -> (B, 1, T, d_head). Both broadcast
    over x of shape (B, H, T, d_head). Angles are computed in float32 (float64 if dtype is float64) and
    then cast to dtype. device defaults to the positions' device. With a KV cache, new tokens simply
    pass their absolute positions (start, ..., start + T - 1).
    """
    _check_positions(positions)
    _float_dtype(dtype)
    device = positions.device if device is None else device
    work = torch.promote_types(dtype, torch.float32)
    inv_freq = rope_frequencies(d_head, base, dtype=work, device=device)  # (d_head // 2,)
    return _cos_sin(positions.to(device), inv_freq, dtype)


def rotate_half(x: Tensor) -> Tensor:
    """(x1, x2) -> (-x2, x1) on the two halves of the last dim: every pair (i, i + d/2) turned by 90 degrees."""
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate every pair (i, i + d_head/2) of x by its angle: x cos + rotate_half(x) sin.

    x (B, H, T, d_head) (or any (..., T, d_head)); cos and sin from rope_cos_sin, broadcastable to x.
    This is rotate_pair on all pairs at once: first half x1 cos - x2 sin, second half x1 sin + x2 cos.
    cos and sin are cast to x's dtype. Returns a tensor shaped like x.
    """
    if not isinstance(x, Tensor) or not x.dtype.is_floating_point:
        raise TypeError(f"x must be a floating-point torch.Tensor of shape (B, H, T, d_head), got {describe(x)}")
    if x.dim() < 2 or x.shape[-1] % 2:
        raise ValueError(f"x must have shape (..., T, d_head) with an even d_head, got {tuple(x.shape)}")
    for name, t in (("cos", cos), ("sin", sin)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor from rope_cos_sin, got {describe(t)}")
        try:
            shape = torch.broadcast_shapes(t.shape, x.shape)
        except RuntimeError:
            shape = None
        if shape != x.shape:
            raise ValueError(f"{name} of shape {tuple(t.shape)} does not broadcast to x of shape {tuple(x.shape)}; "
                             f"expected (T, d_head) = ({x.shape[-2]}, {x.shape[-1]}) or (B, 1, T, d_head)")
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    return x * cos + rotate_half(x) * sin  # (..., T, d_head)


class RotaryEmbedding(nn.Module):
    """RoPE's angle table as a module: forward(positions, dtype) -> (cos, sin) for apply_rope.

    Holds the frequencies as a buffer `inv_freq` (d_head // 2,) that moves with .to(device) and is not
    saved in state_dict (it is rebuilt from d_head and base, as in Hugging Face's Llama). A module has
    no weights to learn here: RoPE is a fixed function of the position.
    """

    def __init__(self, d_head: int, base: float = BASE):
        super().__init__()
        self.d_head, self.base = _even_d_head(d_head), _base(base)
        self.register_buffer("inv_freq", rope_frequencies(d_head, self.base), persistent=False)  # (d_head // 2,)

    def forward(self, positions: Tensor, dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
        """positions (T,) or (B, T) integers -> cos, sin of shape (T, d_head) or (B, 1, T, d_head), in dtype."""
        _check_positions(positions)
        _float_dtype(dtype)
        inv_freq, work = self.inv_freq, torch.promote_types(dtype, torch.float32)
        if work != inv_freq.dtype:  # a float64 table: frequencies in float64 too
            inv_freq = rope_frequencies(self.d_head, self.base, dtype=work, device=inv_freq.device)
        return _cos_sin(positions.to(inv_freq.device), inv_freq, dtype)

    def _apply(self, fn, recurse=True):
        """After .to(), .half(), .cuda() ...: rebuild inv_freq in float32 on its new device.

        model.half() would otherwise round the frequencies (and then every angle) to half precision.
        """
        super()._apply(fn, recurse)
        self.inv_freq = rope_frequencies(self.d_head, self.base, device=self.inv_freq.device)
        return self

    def extra_repr(self) -> str:
        return f"d_head={self.d_head}, base={self.base}"

"""Argument checks shared by every module, so the teaching code reads as the idea first.

Used behind the scenes by every notebook. Each function raises a clear error that names the argument, what it got and what was expected, and
returns the value when it is fine. Deliberately left out: checks that need a model (a model checks its
own shapes with these helpers).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor


def describe(x) -> str:
    """A short description of x for an error message: a tensor's dtype and shape, otherwise its type."""
    if isinstance(x, Tensor):
        return f"a {x.dtype} tensor of shape {tuple(x.shape)}"
    return f"{type(x).__name__} {x!r}" if isinstance(x, (int, float, str)) else type(x).__name__


def is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def positive_int(name: str, value, minimum: int = 1) -> int:
    """value, if it is an int >= minimum (bools are not ints here)."""
    if not is_int(value) or value < minimum:
        want = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return value


def number(name: str, value, low: float, high: float, *, high_open: bool = True, low_open: bool = False) -> float:
    """value as a float, if it is a real number in the interval [low, high) (or as the flags say)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


def one_of(name: str, value, choices: Iterable):
    """value, if it is one of choices."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def tensor(name: str, x, dims: int | None = None, last: int | None = None, what: str = "") -> Tensor:
    """x, if it is a tensor with `dims` dimensions (any if None) and `last` features in its last one."""
    shape = what or (f"({', '.join(['...'] * ((dims or 1) - 1) + [str(last)])})" if last else "")
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor{' of shape ' + shape if shape else ''}, got {describe(x)}")
    if (dims is not None and x.dim() != dims) or (last is not None and (x.dim() == 0 or x.shape[-1] != last)):
        want = shape or f"{dims}-D"
        raise ValueError(f"{name} must have shape {want}, got {tuple(x.shape)}")
    return x


def features(name: str, x, d_model: int, dims: int | None = None, letters: str = "B, T") -> Tensor:
    """x, if it is a tensor of `dims` dimensions (any if None) with d_model features in its last one.

    The common case costs two comparisons (it runs in every forward pass); the message is built only
    when the check fails: shape (B, T, d_model=...) for dims=3, (..., d_model=...) otherwise.
    """
    if isinstance(x, Tensor) and x.dim() > 0 and (dims is None or x.dim() == dims) and x.shape[-1] == d_model:
        return x
    return tensor(name, x, dims=dims, last=d_model,
                  what=f"({letters}, d_model={d_model})" if dims == 3 else f"(..., d_model={d_model})")


def token_ids(name: str, ids, vocab_size: int | None = None, max_len: int | None = None, dims: int = 2) -> Tensor:
    """ids, if it is an integer tensor (B, T) with 1 <= T <= max_len and values in [0, vocab_size).

    Values are checked only on the CPU (reading a GPU tensor would wait for the device).
    """
    if not isinstance(ids, Tensor) or ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor of token ids with shape (B, T), got {describe(ids)}")
    if ids.dim() != dims or (dims == 2 and ids.shape[1] == 0):
        want = "(B, T) with T >= 1" if dims == 2 else f"{dims}-D"
        raise ValueError(f"{name} must have shape {want}, got {tuple(ids.shape)}")
    if max_len is not None and ids.shape[-1] > max_len:
        raise ValueError(f"{name} has T={ids.shape[-1]} tokens, more than max_len={max_len} (the context the model "
                         f"was built for); crop it to the last {max_len}")
    if vocab_size is not None and ids.device.type == "cpu" and ids.numel():
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= vocab_size:
            raise ValueError(f"{name} holds ids from {low} to {high}, expected ids in [0, vocab_size={vocab_size})")
    return ids


def targets(name: str, y, like: Tensor, vocab_size: int, ignore_index: int | None = None) -> Tensor:
    """y, if it is an integer tensor shaped like `like` with ids in [0, vocab_size) (or ignore_index)."""
    if not isinstance(y, Tensor) or y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor of token ids shaped like the input "
                        f"{tuple(like.shape)}, got {describe(y)}")
    if y.shape != like.shape:
        raise ValueError(f"{name} must have the shape of the input {tuple(like.shape)}, got {tuple(y.shape)}")
    if y.device.type == "cpu" and y.numel():
        real = y[y != ignore_index] if ignore_index is not None else y
        if real.numel() and (int(real.min()) < 0 or int(real.max()) >= vocab_size):
            extra = f" (or {ignore_index} to ignore a position)" if ignore_index is not None else ""
            raise ValueError(f"{name} holds ids from {int(real.min())} to {int(real.max())}, expected ids in "
                             f"[0, vocab_size={vocab_size}){extra}")
    return y


def check_mask(mask, *target: int, name: str = "mask") -> None:
    """Raise a clear error unless `mask` is a boolean tensor that broadcasts to `target`, e.g. (B, H, T_q, T_k)."""
    dims = ("B", "H", "T_q", "T_k")[-len(target):] if len(target) <= 4 else ("...",) * (len(target) - 2) + ("T_q", "T_k")
    expected = (f"a boolean tensor broadcastable to ({', '.join(dims)}) = {tuple(target)}, True = may attend, "
                f"e.g. ({target[-2]}, {target[-1]})")
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be {expected}, got {describe(mask)}")
    if mask.dtype != torch.bool:
        raise TypeError(f"{name} must be {expected}, got dtype {mask.dtype}; for a 0/1 mask use mask.bool(), for a "
                        f"0/-inf additive mask use mask == 0")
    ok = mask.dim() <= len(target) and all(m in (1, t) for m, t in zip(reversed(mask.shape), reversed(target)))
    if not ok:
        raise ValueError(f"{name} of shape {tuple(mask.shape)} does not broadcast: expected {expected}")
    if _inverted_causal(mask):
        raise ValueError(f"{name} is True exactly above the diagonal: an inverted causal mask (True = blocked, the "
                         f"convention of torch.nn.MultiheadAttention), which would leave the last query nothing to "
                         f"attend to. Here True = may attend: pass course_lib.masking.causal_mask(T), or ~{name}")


def _inverted_causal(mask: Tensor) -> bool:
    """True when every (T, T) matrix of a bool mask is the strict upper triangle (its first cell says no at
    once for every mask that lets the first query see the first key, so the check is nearly free)."""
    if mask.dim() < 2 or mask.shape[-1] != mask.shape[-2] or mask.shape[-1] < 2 or bool(mask[..., 0, 0].any()):
        return False
    upper = torch.ones(mask.shape[-2:], dtype=torch.bool, device=mask.device).triu(1)
    return bool((mask == upper).all())


def check_qkv(q, k, v=None) -> None:
    """Attention inputs q (..., T_q, d_k), k (..., T_k, d_k) [and v (..., T_k, d_v)], or a clear error."""
    tensor("q", q, what="(..., T_q, d_k)"), tensor("k", k, what="(..., T_k, d_k)")
    if q.dim() < 2 or k.dim() < 2 or q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q (..., T_q, d_k) and k (..., T_k, d_k) must end in the same d_k, got q {tuple(q.shape)} "
                         f"(d_k={q.shape[-1]}) and k {tuple(k.shape)} (d_k={k.shape[-1]})")
    if v is not None:
        tensor("v", v, what="(..., T_k, d_v)")
        if v.dim() < 2 or k.shape[-2] != v.shape[-2]:
            raise ValueError(f"k and v must hold the same T_k positions, got k {tuple(k.shape)}, v {tuple(v.shape)}")
        if not q.dtype == k.dtype == v.dtype:
            raise TypeError(f"q, k and v must share one dtype, got {q.dtype}, {k.dtype} and {v.dtype}")
        try:
            torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        except RuntimeError:
            raise ValueError(f"the leading (batch, head) dims of q {tuple(q.shape)}, k {tuple(k.shape)} and "
                             f"v {tuple(v.shape)} do not broadcast together") from None


def check_weight_shapes(q, k, **weights) -> None:
    """q, k at least 2-D; each weight a tensor of the shape given (a clear error otherwise)."""
    tensor("q", q, what="(..., T_q, d_q)"), tensor("k", k, what="(..., T_k, d_k)")
    for name, (w, shape) in weights.items():
        if not isinstance(w, Tensor) or tuple(w.shape) != shape or -1 in shape:
            raise ValueError(f"{name} must have shape (d_hidden or d_q, d_k) = {shape} for q {tuple(q.shape)} and k {tuple(k.shape)} "
                             f"(v: (d_hidden,)), got {describe(w)}")


def check_real_token_mask(attention_mask) -> Tensor:
    """A (B, T) mask of real tokens (1 or True = real) as bool; an additive 0 / -inf mask is refused."""
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
    return attention_mask


def check_bool_masks(masks, given) -> torch.Size | None:
    """The broadcast shape of the boolean masks `given` (None if there are none), or a clear error."""
    if not masks:
        raise ValueError("combine_masks needs at least one mask (or None)")
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
    return shape


def check_bool_mask(name: str, mask, float_dtype: torch.dtype | None = None, padding: bool = False) -> Tensor:
    """mask, if it is a boolean tensor (a padding mask (B, 1, 1, T) when padding=True); float_dtype, if
    given, must be a floating-point dtype."""
    if padding and not (isinstance(mask, Tensor) and mask.dtype == torch.bool and mask.dim() == 4
                        and mask.shape[1:3] == (1, 1)):
        got = f"{mask.dtype} {tuple(mask.shape)}" if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(f"{name} must be a boolean padding mask of shape (B, 1, 1, T), got {got}")
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        got = f"dtype {mask.dtype}" if isinstance(mask, Tensor) else type(mask).__name__
        raise TypeError(f"{name} must be a boolean tensor (True = may attend), got {got}")
    if float_dtype is not None and not float_dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point dtype, got {float_dtype}")
    return mask


def token_id(name: str, value) -> int:
    """value, if it is an int token id (bools are not)."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int token id, got {value!r}")
    return value

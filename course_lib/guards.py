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

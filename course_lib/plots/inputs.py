"""Checks of what a plot is given, shared by every module of course_lib.plots (so by every notebook).

Each check returns the value ready to draw (numbers as a float numpy array, token strings as a list,
an index as an int) or raises a clear error that names the argument, says what it got and what was
expected: TypeError for the wrong kind of value, ValueError for a wrong shape, length or value,
IndexError for an index out of range. Numbers and positive ints are checked by course_lib.guards, as in
the models. Deliberately left out: anything a figure can draw faithfully (a NaN loss is a gap in a
curve, a NaN score an empty cell).
"""

from __future__ import annotations

import operator

import numpy as np
import torch

from course_lib import guards
from course_lib.guards import describe


def array(name: str, x, dims=None, what: str = "") -> np.ndarray:
    """x as a float numpy array: a tensor (any device, with or without grad), a numpy array, or a list of
    numbers or of tensors; dims: the number of dimensions it must have (an int, or a tuple of choices);
    what: the expected shape for the message, e.g. "(T_q, T_k)"."""
    want = f" of shape {what}" if what else ""
    if isinstance(x, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in x):
        x = [v.detach().float().cpu().numpy() if isinstance(v, torch.Tensor) else v for v in x]  # e.g. losses
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name} must hold real numbers{want}, got {describe(x)}")
        a = x.detach().float().cpu().numpy()
    else:
        try:
            a = np.asarray(x)
            if a.dtype.kind not in "biuf":  # bool, int, unsigned, float
                raise TypeError
            a = a.astype(float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a tensor, array or list of real numbers{want} (rows of one length), "
                            f"got {describe(x)}") from None
    dims = (dims,) if isinstance(dims, int) else dims
    if dims is not None and a.ndim not in dims:
        raise ValueError(f"{name} must have shape {what or ' or '.join(f'{d}-D' for d in dims)}, got {a.shape}")
    return a


def not_empty(name: str, a: np.ndarray, what: str = "") -> np.ndarray:
    """a, if it holds at least one value in every dimension."""
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}); expected at least one {what or 'value'}")
    return a


def finite(name: str, a: np.ndarray) -> np.ndarray:
    """a, if it holds no NaN and no infinity."""
    if not np.isfinite(a).all():
        bad = "NaN" if np.isnan(a).any() else "infinite values"
        raise ValueError(f"{name} holds {bad}; expected finite numbers (find where they come from first)")
    return a


def probabilities(name: str, a: np.ndarray, what: str = "attention weights",
                  hint: str = "the weights after the softmax, not the scores") -> np.ndarray:
    """a, if every value is a finite number in [0, 1] (a little rounding allowed): weights, probabilities."""
    finite(name, a)
    if a.size and (a.min() < -1e-3 or a.max() > 1 + 1e-3):
        raise ValueError(f"{name} must hold {what} in [0, 1], got values from {a.min():.3g} to {a.max():.3g}; "
                         f"pass {hint}")
    return a


def weights(name: str, x, dims=2, what: str = "(T_q, T_k)") -> np.ndarray:
    """x as a float array of attention weights: `dims` dimensions, not empty, every value in [0, 1]."""
    return probabilities(name, not_empty(name, array(name, x, dims=dims, what=what), "weight in every dimension"))


def positive(name: str, a: np.ndarray, why: str = "a log axis", zero_ok: bool = False) -> np.ndarray:
    """a, if every value that is a number is > 0 (>= 0 with zero_ok: a log axis leaves a 0 out, e.g. a
    gradient that vanished; NaN is left to the figure too: a gap)."""
    bad = a < 0 if zero_ok else a <= 0
    if bad.any():
        raise ValueError(f"{name} must hold values {'>=' if zero_ok else '>'} 0 for {why}, got {a[bad][0]:g}")
    return a


def series(name: str, x, length: int | None = None, of: str = "") -> np.ndarray:
    """x as a 1-D float array (a tensor, array or list), of `length` values when given (`of` says of what)."""
    a = array(name, x, dims=1, what="(n,), one value per point")
    if length is not None and len(a) != length:
        raise ValueError(f"{name} must hold {length} values{' (' + of + ')' if of else ''}, got {len(a)}")
    return a


def tokens(name: str, x, length: int | None = None, of: str = "") -> list[str]:
    """x as a list of strings (a list, tuple or numpy array of str); `length` of them when given (`of` says
    what they label, for the message)."""
    if isinstance(x, str):
        raise TypeError(f"{name} must be a list of strings, got the str {x[:30]!r}; use list(text) for its "
                        f"characters or text.split() for its words")
    if isinstance(x, torch.Tensor) or not isinstance(x, (list, tuple, np.ndarray)):
        raise TypeError(f"{name} must be a list of strings (e.g. [tokenizer.id_to_token(i) for i in ids]), "
                        f"got {describe(x)}")
    items = list(x)
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"{name} must be a list of strings, got {describe(t)} at position {i}")
    if length is not None and len(items) != length:
        raise ValueError(f"{name} must hold {length} strings{' (' + of + ')' if of else ''}, got {len(items)}")
    return items


def axis_tokens(rows, cols, shape: tuple[int, int], rows_name: str = "tokens",
                of: tuple[str, str] = ("one per query", "one per key")) -> tuple[list[str] | None, list[str] | None]:
    """The labels of a (T_q, T_k) grid: `rows` (one per query) and `cols` (one per key, the rows unless
    given), each checked against its side of `shape`; None stays None."""
    rows = None if rows is None else tokens(rows_name, rows, shape[0], of[0])
    cols = rows if cols is None else cols
    cols = None if cols is None else tokens(f"keys (the {rows_name} unless given)", cols, shape[1], of[1])
    return rows, cols


def index(name: str, i, n: int, of: str = "") -> int:
    """i as an int, if it is an index in [0, n): a Python, numpy or 0-d tensor int. Negative indices are
    refused: the title would name a different item than the one drawn."""
    if isinstance(i, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int index in [0, {n}), got {i!r}")
    try:
        i = operator.index(i)
    except TypeError:
        raise TypeError(f"{name} must be an int index in [0, {n}){' (' + of + ')' if of else ''}, "
                        f"got {describe(i)}") from None
    if not 0 <= i < n:
        raise IndexError(f"{name} must be in [0, {n}){' (' + of + ')' if of else ''}, got {i}")
    return i


def indices(name: str, items, n: int, of: str = "") -> list[int]:
    """items as a non-empty list of indices in [0, n)."""
    if not isinstance(items, (list, tuple, range, np.ndarray)):
        raise TypeError(f"{name} must be a list of int indices in [0, {n}) (e.g. [0, 2]), got {describe(items)}")
    if len(items) == 0:
        raise ValueError(f"{name} is empty; expected at least one index in [0, {n})")
    return [index(f"{name}[{k}]", i, n, of) for k, i in enumerate(items)]


def entries(name: str, x, what: str) -> dict:
    """x, if it is a non-empty dict; `what` describes its entries, e.g. "{label: values}"."""
    if not isinstance(x, dict):
        raise TypeError(f"{name} must be a dict {what}, got {describe(x)}")
    if not x:
        raise ValueError(f"{name} is empty; expected at least one entry {what}")
    return x


def history(name: str, h, pairs=(("steps", "train_loss"), ("val_steps", "val_loss"))):
    """h, if it is a History whose paired lists (each step and its loss) have equal lengths."""
    from course_lib.training import History  # here: importing course_lib.plots stays light

    if not isinstance(h, History):
        raise TypeError(f"{name} must be a History (what train returns), got {type(h).__name__}")
    for x, y in pairs:
        if len(getattr(h, x)) != len(getattr(h, y)):
            raise ValueError(f"{name}.{x} and {name}.{y} must have the same length (one value per step), got "
                             f"{len(getattr(h, x))} and {len(getattr(h, y))}")
    return h


def number(name: str, value, low: float, high: float, **flags) -> float:
    """value as a float, if it is a real number in [low, high) (flags as in guards.number); a numpy or
    0-d tensor number is accepted."""
    if isinstance(value, np.number) or (isinstance(value, torch.Tensor) and value.numel() == 1
                                        and value.dtype != torch.bool):
        value = value.item()
    return guards.number(name, value, low, high, **flags)


def count(name: str, value, minimum: int = 1) -> int:
    """value as an int, if it is an int >= minimum (a numpy or 0-d tensor int too; bools are not ints)."""
    if not isinstance(value, (bool, np.bool_)):
        try:
            value = operator.index(value)
        except TypeError:
            pass
    return guards.positive_int(name, value, minimum)


def boolean_grid(name: str, x, what: str = "(T_q, T_k)",
                 meaning: str = "True = may attend; for an additive 0 / -inf mask pass (mask == 0)") -> np.ndarray:
    """x as a 2-D boolean array, if it holds only True/False or 0/1 (a mask, what may reach what)."""
    a = not_empty(name, array(name, x, dims=2, what=what))
    other = a[~np.isin(a, (0.0, 1.0))]
    if other.size:
        raise ValueError(f"{name} must hold only True/False (or 1/0), got the value {other[0]:.3g} among others; "
                         f"{meaning}")
    return a > 0.5

"""Self-checks for the exercises of 03_positional_encoding, with their reference solutions.

Each check_* takes the student's function and returns a Result (see course_lib.checks): "not done yet"
for an untouched stub, a specific hint for the usual mistakes, "correct" otherwise.
Deliberately left out: checking code style or speed.
"""

from __future__ import annotations

import math

import torch

from course_lib.checks import exercise, require
from course_lib.positional import sinusoidal_table


def _close(a, b, tol: float = 1e-6) -> bool:
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))


# ---------------------------------------------------------------- 1. the angle of a pair

def solution_angle(pos: int, i: int, d_model: int) -> float:
    """The angle of pair i at position pos: dimensions 2i (sin) and 2i + 1 (cos) use it."""
    return pos / 10000 ** (2 * i / d_model)


@exercise("the angle of one (sin, cos) pair")
def check_angle(angle) -> None:
    for pos, i, d_model in [(5, 0, 8), (5, 1, 8), (37, 3, 16), (100, 7, 16), (3, 2, 6)]:
        got = angle(pos, i, d_model)
        require(got is not None, "your function returns None: did you forget `return`?")
        got = float(got)
        want = solution_angle(pos, i, d_model)
        if _close(got, want):
            continue
        require(not _close(got, pos / 10000 ** (i / d_model)),
                "the exponent is 2i / d_model: i counts pairs, and pair i fills dimensions 2i and 2i + 1")
        require(not _close(got, pos * 10000 ** (2 * i / d_model)),
                "divide the position by 10000^(2i / d_model): later pairs turn more slowly, not faster")
        require(not (_close(got, math.sin(want)) or _close(got, math.cos(want))),
                "return the angle itself; sin and cos are taken of it afterwards")
        require(False, f"angle(pos={pos}, i={i}, d_model={d_model}) should be {want:.6g}, got {got:.6g}")


# ---------------------------------------------------------------- 2. the whole table

def solution_table(max_len: int, d_model: int) -> torch.Tensor:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same angle), vectorised."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]  # (max_len, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)[None, :]  # (1, d_model // 2)
    angles = pos / 10000 ** (two_i / d_model)  # (max_len, d_model // 2)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angles), torch.cos(angles)
    return pe.float()


def _wrong_tables(max_len: int, d_model: int) -> list[tuple[torch.Tensor, str]]:
    """Tables that the usual mistakes produce, each with its hint."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    dims = torch.arange(d_model, dtype=torch.float64)[None, :]
    pair_angles = pos / 10000 ** (2 * (dims // 2) / d_model)  # (max_len, d_model): each angle twice
    right = solution_table(max_len, d_model).double()
    half = pos / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    return [
        (right[:, [d ^ 1 for d in range(d_model)]],
         "sin and cos are swapped: even dimensions (0, 2, ...) take the sine, odd ones the cosine"),
        (torch.sin(pair_angles), "odd dimensions (1, 3, ...) take the cosine, not the sine"),
        (torch.cat([torch.sin(half), torch.cos(half)], dim=1),
         "interleave sin and cos (sin in dimension 2i, cos in 2i + 1) instead of putting all sines first"),
        (torch.where(dims % 2 == 0, torch.sin(pos / 10000 ** (dims / d_model)),
                     torch.cos(pos / 10000 ** (dims / d_model))),
         ("both dimensions of a pair share one angle: use 2i = dimension - dimension % 2 in the exponent, "
          "not the dimension itself")),
        (torch.where(dims % 2 == 0, torch.sin(pos / 10000 ** (2 * dims / d_model)),
                     torch.cos(pos / 10000 ** (2 * dims / d_model))),
         "the exponent is 2i / d_model where i = dimension // 2 (the pair), not 2 * dimension / d_model"),
    ]


@exercise("the sinusoidal table")
def check_table(table) -> None:
    for max_len, d_model in [(12, 8), (5, 4)]:
        got = table(max_len, d_model)
        require(got is not None, "your function returns None: did you forget `return`?")
        got = torch.as_tensor(got, dtype=torch.float64)
        require(tuple(got.shape) != (d_model, max_len) or max_len == d_model,
                f"the shape is transposed: rows are positions, so expect (max_len, d_model) = ({max_len}, {d_model})")
        require(tuple(got.shape) == (max_len, d_model),
                f"expected shape (max_len, d_model) = ({max_len}, {d_model}), got {tuple(got.shape)}")
        want = solution_table(max_len, d_model).double()
        if torch.allclose(got, want, atol=1e-5):
            continue
        for wrong, hint in _wrong_tables(max_len, d_model):
            require(not torch.allclose(got, wrong, atol=1e-5), hint)
        row = int((got - want).abs().amax(dim=1).argmax())
        require(False, f"position {row} differs from the formula: expected {want[row, :4].tolist()} ... "
                       f"in its first dimensions, got {got[row, :4].tolist()} ...")


# ---------------------------------------------------------------- 3. the permutation test

def solution_permutation_gap(f, x: torch.Tensor, perm: torch.Tensor) -> float:
    """How far f is from permutation-equivariant on x: max |f(x[perm]) - f(x)[perm]|."""
    return (f(x[perm]) - f(x)[perm]).abs().max().item()


def _self_attention(x: torch.Tensor) -> torch.Tensor:
    """Attention with queries = keys = values = x and no positions: (T, d) -> (T, d)."""
    weights = torch.softmax(x @ x.T / math.sqrt(x.shape[-1]), dim=-1)
    return weights @ x


@exercise("the permutation test")
def check_permutation_gap(permutation_gap) -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 8, generator=g, dtype=torch.float64)
    perm = torch.tensor([2, 0, 5, 1, 3, 4])  # not its own inverse, so perm and argsort(perm) differ
    pe = sinusoidal_table(6, 8, dtype=torch.float64)

    def with_positions(t):
        return _self_attention(t + pe)

    got = permutation_gap(_self_attention, x, perm)
    require(got is not None, "your function returns None: did you forget `return`?")
    got = float(got)
    out = _self_attention(x)
    require(not _close(got, (_self_attention(x[perm]) - out).abs().max().item()),
            "the outputs move with the inputs: compare f(x[perm]) with f(x)[perm], not with f(x)")
    require(not _close(got, (_self_attention(x[perm]) - out[torch.argsort(perm)]).abs().max().item()),
            "shuffle the outputs with the same perm as the inputs (f(x)[perm]), not its inverse")
    require(abs(got) < 1e-6, f"self-attention without positions is permutation-equivariant, so the gap "
                             f"should be about 0, got {got:.3g}")
    got_pe = float(permutation_gap(with_positions, x, perm))
    want_pe = solution_permutation_gap(with_positions, x, perm)
    require(not _close(got_pe, (with_positions(x[perm]) - with_positions(x)[perm]).abs().mean().item()),
            "return the largest absolute difference (.abs().max()), not the mean")
    require(_close(got_pe, want_pe, tol=1e-4),
            f"with positions added the gap should be {want_pe:.4f} (the largest absolute difference), got {got_pe:.4f}")

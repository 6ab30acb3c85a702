"""Self-checks for the exercises of 04_attention, with their reference solutions.

Each check_* takes the student's function and returns a Result (see course_lib.checks): "not done yet"
for an untouched stub, a specific hint for the usual mistakes, "correct" otherwise.
Deliberately left out: checking code style or speed.
"""

from __future__ import annotations

import math

import torch

from course_lib.checks import exercise, require


def _as_tensor(got, what: str = "your function") -> torch.Tensor:
    require(got is not None, f"{what} returns None: did you forget `return`?")
    return torch.as_tensor(got, dtype=torch.float64)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-6, equal_nan=True)


# ---------------------------------------------------------------- 1. a numerically stable softmax

def solution_stable_softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dim: subtract each row's maximum, exponentiate, normalise."""
    e = torch.exp(x - x.max(dim=-1, keepdim=True).values)  # every exponent <= 0, so e <= 1
    return e / e.sum(dim=-1, keepdim=True)


@exercise("a numerically stable softmax")
def check_stable_softmax(stable_softmax) -> None:
    small = torch.tensor([[1.0, 2.0, 3.0, 0.5], [0.0, -1.0, 2.0, 2.0], [4.0, 4.0, 4.0, 4.0]], dtype=torch.float64)
    got = _as_tensor(stable_softmax(small.clone()))
    want = torch.softmax(small, dim=-1)
    require(got.shape == want.shape, f"expected the input's shape {tuple(want.shape)}, got {tuple(got.shape)}")
    require(not _same(got, torch.softmax(small, dim=0)), "normalise each row: the sums run over the last dim (dim=-1)")
    require(torch.allclose(got.sum(-1), torch.ones(3, dtype=torch.float64)),
            "each row of a softmax sums to 1: divide the exponentials by their row's sum")
    require(_same(got, want), f"wrong values on small scores: expected {want[0].tolist()} for the first row, "
                              f"got {got[0].tolist()}")
    huge = small[:1] * 1000  # scores in the thousands: exp() overflows to inf
    got = _as_tensor(stable_softmax(huge.clone()))
    require(torch.isfinite(got).all(), "exp(1000) overflows to inf and inf / inf = nan: subtract the maximum of "
                                       "each row before exp (softmax(x) = softmax(x - c) for any c)")
    require(_same(got, torch.softmax(huge, dim=-1)), "wrong values on large scores")
    apart = torch.tensor([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1003.0]], dtype=torch.float64)
    got = _as_tensor(stable_softmax(apart.clone()))
    require(torch.isfinite(got).all() and _same(got, torch.softmax(apart, dim=-1)),
            "rows far apart break: subtract each row's own maximum (max over dim=-1 with keepdim=True), "
            "not the maximum of the whole tensor")


# ---------------------------------------------------------------- 2. attention for one query

def solution_attend_one(q: torch.Tensor, K: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """One query q (d_k,) against keys K (T, d_k) and values V (T, d_v): returns the output (d_v,)."""
    scores = K @ q / math.sqrt(q.shape[0])  # (T,): one score per key
    weights = torch.softmax(scores, dim=0)  # (T,), sums to 1
    return weights @ V  # (d_v,): the weighted average of the values


@exercise("attention for one query")
def check_attend_one(attend_one) -> None:
    g = torch.Generator().manual_seed(0)
    q = torch.randn(4, generator=g, dtype=torch.float64) * 2
    K = torch.randn(6, 4, generator=g, dtype=torch.float64)
    V = torch.randn(6, 3, generator=g, dtype=torch.float64)
    got = _as_tensor(attend_one(q.clone(), K.clone(), V.clone()))
    want = solution_attend_one(q, K, V)
    weights = torch.softmax(K @ q / 2.0, dim=0)
    require(not _same(got, weights), "that is the attention weights; return their weighted sum of the values, "
                                     "weights @ V")
    require(not _same(got, weights @ K), "the weights average the values V, not the keys K")
    require(got.shape == want.shape, f"the output has one entry per value dimension: expected shape "
                                     f"{tuple(want.shape)}, got {tuple(got.shape)}")
    for scale, hint in [(1.0, "divide the scores by sqrt(d_k) before the softmax"),
                        (1 / math.sqrt(6), "scale by sqrt(d_k), the length of q, not sqrt(T), the number of keys"),
                        (1 / 4, "divide by the square root of d_k, not by d_k itself")]:
        require(not _same(got, torch.softmax(K @ q * scale, dim=0) @ V), hint)
    require(_same(got, want), f"expected {want.tolist()}, got {got.tolist()}")

"""Self-checks for the exercises of 02_embeddings: a lookup written as one-hot @ W, cosine similarity
by hand, and the nearest other word.

Each check runs the student's function on fixed inputs, compares with a reference and recognises the
typical wrong answers (integer one-hot vectors, a forgotten num_classes, a transposed result, a dot
product instead of a cosine, a missing square root, a zero vector, a word that finds itself) to give a
specific hint. Reference solutions: `solution_<name>`. Deliberately left out: timing or style checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from course_lib.checks import Hint, exercise, require, returned

# ----------------------------------------------------------------------------- reference solutions

def solution_one_hot_lookup(ids: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The embedding lookup weight[ids], written as a matrix product: one_hot(ids) (n, V) @ weight (V, d)."""
    one_hot = F.one_hot(ids, num_classes=weight.shape[0]).to(weight.dtype)  # (n, V)
    return one_hot @ weight  # (n, d)


def solution_cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """a . b / (|a| |b|) for two vectors; 0.0 when either vector is all zeros."""
    length = a.norm() * b.norm()
    return 0.0 if length == 0 else float(a @ b / length)


def solution_nearest_word(weights: torch.Tensor, query_id: int) -> int:
    """The id of the row with the highest cosine similarity to row `query_id`, other than itself."""
    unit = weights / weights.norm(dim=1, keepdim=True).clamp_min(1e-12)  # (V, d)
    scores = unit @ unit[query_id]  # (V,)
    scores[query_id] = -math.inf
    return int(scores.argmax())


# ----------------------------------------------------------------------------- one-hot lookup

def _lookup_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(2)
    return [(torch.tensor([4, 0, 4, 2]), torch.randn(6, 3, generator=g)),
            (torch.tensor([1, 7, 3]), torch.randn(9, 5, generator=g, dtype=torch.float64))]


@exercise("one-hot times a matrix is a lookup")
def check_one_hot_lookup(one_hot_lookup: Callable) -> None:
    for ids, weight in _lookup_cases():
        expected = weight[ids]  # (n, d)
        try:
            got = one_hot_lookup(ids.clone(), weight.clone())
        except RuntimeError as err:
            text = str(err)
            if "Long" in text or "dtype" in text:
                raise Hint("F.one_hot returns integers (int64); turn the one-hot matrix into floats with "
                           ".to(weight.dtype) or .float() before multiplying it with the weights") from None
            if "shapes cannot be multiplied" in text or "size mismatch" in text:
                raise Hint("the one-hot vectors need vocab_size = weight.shape[0] entries; F.one_hot(ids) "
                           "alone makes only ids.max() + 1: pass num_classes=weight.shape[0]") from None
            raise
        returned(got)
        require(isinstance(got, torch.Tensor), f"return a tensor, got {type(got).__name__}")
        n, V = len(ids), weight.shape[0]
        require(tuple(got.shape) != (n, V), "you returned the one-hot matrix itself: multiply it by weight "
                                            "(one_hot @ weight) to pick the rows")
        require(tuple(got.shape) != tuple(expected.T.shape) or expected.shape[0] == expected.shape[1],
                f"your result has shape {tuple(got.shape)}, the transpose of the expected {tuple(expected.shape)}: "
                "put the one-hot matrix on the left, one_hot (n, V) @ weight (V, d)")
        require(tuple(got.shape) == tuple(expected.shape),
                f"expected shape {tuple(expected.shape)} (one row per id), got {tuple(got.shape)}")
        for shift in (1, -1):
            if torch.allclose(got.double(), weight[(ids + shift) % V].double()):
                raise Hint(f"each row is the row {shift:+d} away from the right one: ids start at 0, "
                           "and row i of the weights belongs to id i")
        require(torch.allclose(got.double(), expected.double(), atol=1e-6),
                "the values differ from weight[ids]: row k of the result must be row ids[k] of the weights")


# ----------------------------------------------------------------------------- cosine

_COSINE_CASES = [
    (torch.tensor([3.0, 4.0]), torch.tensor([4.0, 3.0])),             # 24 / 25
    (torch.tensor([1.0, 2.0, 2.0]), torch.tensor([-2.0, -4.0, -4.0])),  # opposite: -1
    (torch.tensor([2.0, 0.0, 1.0]), torch.tensor([0.5, 3.0, 1.0])),
    (torch.tensor([0.0, 0.0]), torch.tensor([1.0, 2.0])),              # a zero vector: 0
]


def _as_float(x) -> float:
    if isinstance(x, torch.Tensor):
        require(x.numel() == 1, f"return one number, got a tensor of shape {tuple(x.shape)}")
        return float(x)
    require(isinstance(x, (int, float)), f"return a number, got {type(x).__name__}")
    return float(x)


@exercise("cosine similarity by hand")
def check_cosine(cosine: Callable) -> None:
    for a, b in _COSINE_CASES:
        got = cosine(a.clone(), b.clone())
        returned(got)
        got = _as_float(got)
        want = solution_cosine(a, b)
        dot, la, lb = float(a @ b), float(a.norm()), float(b.norm())
        if la * lb == 0:
            require(not math.isnan(got), "a vector of zeros has length 0, so you divided by 0 (nan): "
                                         "return 0.0 when either length is 0")
            require(abs(got) < 1e-6, f"with a zero vector there is no direction to compare: return 0.0, got {got}")
            continue
        wrong = [(dot, "that is the dot product: divide it by the two lengths |a| |b|"),
                 (dot / la, "divide by both lengths |a| |b|, not only one of them"),
                 (dot / lb, "divide by both lengths |a| |b|, not only one of them"),
                 (dot / (la * lb) ** 2, ("a length is the square root of the sum of squares: use a.norm(), "
                                         "not the sum of squares")),
                 (dot / (la + lb), "multiply the two lengths, do not add them"),
                 (abs(want), "cosine keeps its sign: vectors pointing in opposite directions give -1")]
        if abs(got - want) > 1e-5:
            for value, hint in wrong:
                if abs(got - value) < 1e-5:
                    raise Hint(hint)
            raise Hint(f"cosine({a.tolist()}, {b.tolist()}) should be {want:.4f}, got {got:.4f}")


# ----------------------------------------------------------------------------- nearest word

def _nearest_cases() -> tuple[torch.Tensor, list[int]]:
    weights = torch.tensor([[1.0, 0.0],    # 0: the query of case 1
                            [0.9, 0.1],    # 1: same direction, short -> cosine's answer for 0
                            [3.0, 2.0],    # 2: long -> the dot product's answer
                            [-1.0, 0.2],   # 3: the least similar to 0
                            [0.0, 1.0],    # 4: the query of case 2
                            [0.5, 0.5]])   # 5: cosine's answer for 4
    return weights, [0, 4]


@exercise("the nearest other word")
def check_nearest_word(nearest_word: Callable) -> None:
    weights, queries = _nearest_cases()
    dots = weights @ weights.T
    for q in queries:
        got = nearest_word(weights.clone(), q)
        returned(got)
        if isinstance(got, torch.Tensor):
            require(got.numel() == 1, f"return one id, got a tensor of shape {tuple(got.shape)}")
            got = int(got)
        require(isinstance(got, int), f"return an int id, got {type(got).__name__}")
        want = solution_nearest_word(weights, q)
        if got == want:
            continue
        others = dots[q].clone()
        others[q] = -math.inf
        require(got != q, "every word is its own nearest neighbour (cosine 1): leave the query out, "
                          "e.g. set its score to -inf before taking the argmax")
        require(got != int(others.argmax()), "you compared dot products, which reward long vectors: "
                                             "divide each row by its length first (cosine)")
        cos = F.cosine_similarity(weights, weights[q][None], dim=1)
        cos[q] = math.inf
        require(got != int(cos.argmin()), "that is the least similar word: take the argmax, not the argmin")
        raise Hint(f"for query {q} the nearest other row by cosine is {want}, you returned {got}")

"""The exercise checks of 04_attention: untouched stub, each typical wrong answer, the solution."""

import math

import pytest
import torch

from course_lib.attention import scaled_dot_product_attention, softmax
from course_lib.checks import RIGHT, WRONG
from course_lib.checks.attention import (
    check_attend_one,
    check_stable_softmax,
    solution_attend_one,
    solution_stable_softmax,
)


def stub(*args):
    raise NotImplementedError


def test_solutions_are_right_and_match_the_library():
    assert check_stable_softmax(solution_stable_softmax).status == RIGHT
    assert check_stable_softmax(lambda x: softmax(x)).status == RIGHT
    assert check_attend_one(solution_attend_one).status == RIGHT
    assert check_attend_one(lambda q, K, V: scaled_dot_product_attention(q[None], K, V)[0][0]).status == RIGHT
    x = torch.randn(3, 7) * 500
    torch.testing.assert_close(solution_stable_softmax(x), torch.softmax(x, dim=-1))


def naive_softmax(x):
    return torch.exp(x) / torch.exp(x).sum(-1, keepdim=True)


@pytest.mark.parametrize("wrong, hint", [
    (naive_softmax, "subtract the maximum"),
    (lambda x: torch.softmax(x, dim=0), "dim=-1"),
    (lambda x: torch.exp(x - x.max(-1, keepdim=True).values), "sums to 1"),
    (lambda x: naive_softmax(x - x.max()), "each row's own maximum"),
    (lambda x: solution_stable_softmax(x / 2), "wrong values on small scores"),
    (lambda x: x.T, "shape"),
])
def test_stable_softmax_hints(wrong, hint):
    result = check_stable_softmax(wrong)
    assert result.status == WRONG and hint in result.message, result.message


@pytest.mark.parametrize("wrong, hint", [
    (lambda q, K, V: torch.softmax(K @ q / math.sqrt(len(q)), 0), "weighted sum of the values"),
    (lambda q, K, V: torch.softmax(K @ q / math.sqrt(len(q)), 0) @ K, "not the keys"),
    (lambda q, K, V: torch.softmax(K @ q, 0) @ V, "divide the scores by sqrt(d_k)"),
    (lambda q, K, V: torch.softmax(K @ q / math.sqrt(len(K)), 0) @ V, "not sqrt(T)"),
    (lambda q, K, V: torch.softmax(K @ q / len(q), 0) @ V, "not by d_k itself"),
    (lambda q, K, V: torch.softmax(K @ q / math.sqrt(len(q)), 0) @ V[:, :2], "expected shape"),
    (lambda q, K, V: torch.softmax(-K @ q / math.sqrt(len(q)), 0) @ V, "expected"),
])
def test_attend_one_hints(wrong, hint):
    result = check_attend_one(wrong)
    assert result.status == WRONG and hint in result.message, result.message

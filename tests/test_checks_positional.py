"""The exercise checks of 03_positional_encoding: untouched stub, each typical wrong answer, the solution."""

import math

import pytest
import torch

from course_lib.checks import RIGHT, WRONG
from course_lib.checks.positional import (
    check_angle,
    check_permutation_gap,
    check_table,
    solution_angle,
    solution_permutation_gap,
    solution_table,
)
from course_lib.positional import sinusoidal_table


def stub(*args):
    raise NotImplementedError


def test_solutions_are_right_and_match_the_library():
    assert check_angle(solution_angle).status == RIGHT
    assert check_table(solution_table).status == RIGHT
    assert check_table(lambda n, d: sinusoidal_table(n, d).numpy()).status == RIGHT  # numpy is accepted
    assert check_permutation_gap(solution_permutation_gap).status == RIGHT
    torch.testing.assert_close(solution_table(30, 16), sinusoidal_table(30, 16))


@pytest.mark.parametrize("wrong, hint", [
    (lambda pos, i, d: pos / 10000 ** (i / d), "exponent is 2i"),
    (lambda pos, i, d: pos * 10000 ** (2 * i / d), "divide"),
    (lambda pos, i, d: math.sin(pos / 10000 ** (2 * i / d)), "angle itself"),
    (lambda pos, i, d: pos / 1000 ** (2 * i / d), "should be"),
])
def test_angle_hints(wrong, hint):
    result = check_angle(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def _interleave(sin, cos):
    out = torch.empty(sin.shape[0], 2 * sin.shape[1])
    out[:, 0::2], out[:, 1::2] = sin, cos
    return out


def _angles(n, d):
    return torch.arange(n)[:, None] / 10000 ** (torch.arange(0, d, 2) / d)


@pytest.mark.parametrize("wrong, hint", [
    (lambda n, d: _interleave(torch.cos(_angles(n, d)), torch.sin(_angles(n, d))), "swapped"),
    (lambda n, d: _interleave(torch.sin(_angles(n, d)), torch.sin(_angles(n, d))), "take the cosine, not the sine"),
    (lambda n, d: torch.cat([torch.sin(_angles(n, d)), torch.cos(_angles(n, d))], dim=1), "interleave"),
    (lambda n, d: torch.stack([torch.sin(torch.arange(n) / 10000 ** (j / d)) if j % 2 == 0
                               else torch.cos(torch.arange(n) / 10000 ** (j / d)) for j in range(d)], dim=1),
     "share one angle"),
    (lambda n, d: torch.stack([torch.sin(torch.arange(n) / 10000 ** (2 * j / d)) if j % 2 == 0
                               else torch.cos(torch.arange(n) / 10000 ** (2 * j / d)) for j in range(d)], dim=1),
     "not 2 * dimension"),
    (lambda n, d: solution_table(n, d).T, "transposed"),
    (lambda n, d: solution_table(n + 1, d), "expected shape"),
    (lambda n, d: solution_table(n, d) * 2, "differs from the formula"),
])
def test_table_hints(wrong, hint):
    result = check_table(wrong)
    assert result.status == WRONG and hint in result.message, result.message


@pytest.mark.parametrize("wrong, hint", [
    (lambda f, x, perm: (f(x[perm]) - f(x)).abs().max(), "not with f(x)"),
    (lambda f, x, perm: (f(x[perm]) - f(x)[torch.argsort(perm)]).abs().max(), "not its inverse"),
    (lambda f, x, perm: (f(x[perm]) - f(x)[perm]).abs().mean(), "not the mean"),
    (lambda f, x, perm: (f(x[perm]) - f(x)[perm]).abs().max() + 0.5, "about 0"),
    (lambda f, x, perm: (f(x[perm]) - f(x)[perm]).abs().sum(dim=-1).max(), "largest absolute difference"),
])
def test_permutation_gap_hints(wrong, hint):
    result = check_permutation_gap(wrong)
    assert result.status == WRONG and hint in result.message, result.message

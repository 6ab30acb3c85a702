"""The exercise checks of 05_multi_head_attention: stub, typical mistakes with their hints, solutions."""

from __future__ import annotations

import pytest

from course_lib.checks import RIGHT, WRONG
from course_lib.checks.multihead import (check_merge_heads, check_split_heads, solution_merge_heads,
                                         solution_split_heads)
from course_lib.multihead import merge_heads, split_heads


def _stub(*args):
    raise NotImplementedError


def test_solutions_and_library_pass():
    assert check_split_heads(solution_split_heads).status == RIGHT
    assert check_merge_heads(solution_merge_heads).status == RIGHT
    assert check_split_heads(split_heads).status == RIGHT
    assert check_merge_heads(merge_heads).status == RIGHT


def _view_directly(x, H):
    B, T, d = x.shape
    return x.view(B, H, T, d // H)


def _no_transpose(x, H):
    B, T, d = x.shape
    return x.view(B, T, H, d // H)


def _wrong_split_shape(x, H):
    B, T, d = x.shape
    return x.view(B, T * H, d // H)


@pytest.mark.parametrize("wrong, hint", [
    (_view_directly, "mixes tokens into heads"),
    (_no_transpose, "transpose(1, 2)"),
    (_wrong_split_shape, "expected shape"),
    (lambda x, H: x.tolist(), "return a tensor"),
])
def test_split_heads_wrong_answers(wrong, hint):
    result = check_split_heads(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def _reshape_without_transpose(x):
    B, H, T, d = x.shape
    return x.reshape(B, T, H * d)


def _view_after_transpose(x):
    B, H, T, d = x.shape
    return x.transpose(1, 2).view(B, T, H * d)


def _keeps_heads(x):
    return x.transpose(1, 2)


@pytest.mark.parametrize("wrong, hint", [
    (_reshape_without_transpose, "mixes tokens"),
    (_view_after_transpose, "not contiguous"),
    (_keeps_heads, "expected shape"),
])
def test_merge_heads_wrong_answers(wrong, hint):
    result = check_merge_heads(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def test_an_unrelated_crash_is_reported_not_raised():
    result = check_merge_heads(lambda x: 1 / 0)
    assert result.status == WRONG and "ZeroDivisionError" in result.message

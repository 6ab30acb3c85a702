"""The exercise checks of 06_masking: a stub is 'not done yet', typical mistakes get their hint, solutions pass."""

from __future__ import annotations

import pytest
import torch

from course_lib.checks import RIGHT, WRONG
from course_lib.checks.masking import (check_causal_mask, check_masked_softmax, check_padding_mask,
                                       solution_causal_mask, solution_masked_softmax, solution_padding_mask)
from course_lib.masking import causal_mask, padding_mask


def _stub(*args):
    raise NotImplementedError


def test_solutions_pass_and_agree_with_the_library():
    assert check_causal_mask(solution_causal_mask).status == RIGHT
    assert check_masked_softmax(solution_masked_softmax).status == RIGHT
    assert check_padding_mask(solution_padding_mask).status == RIGHT
    assert check_causal_mask(causal_mask).status == RIGHT
    assert check_padding_mask(padding_mask).status == RIGHT


def _masked_softmax_library(scores, mask):
    from course_lib.attention import softmax
    return softmax(scores, mask)


def test_library_masked_softmax_passes():
    assert check_masked_softmax(_masked_softmax_library).status == RIGHT


@pytest.mark.parametrize("wrong, hint", [
    (lambda T: torch.triu(torch.ones(T, T, dtype=torch.bool)), "transpose"),
    (lambda T: ~torch.tril(torch.ones(T, T, dtype=torch.bool)), "inverted"),
    (lambda T: torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-1), "diagonal is False"),
    (lambda T: torch.tril(torch.ones(T, T)), "BOOLEAN"),
    (lambda T: torch.nn.Transformer.generate_square_subsequent_mask(T), "BOOLEAN"),
    (lambda T: torch.ones(T, T, dtype=torch.bool), "j <= i"),
    (lambda T: torch.ones(T, T + 1, dtype=torch.bool).tril(), "expected shape"),
    (lambda T: [[True]], "torch.Tensor"),
])
def test_causal_mask_wrong_answers(wrong, hint):
    result = check_causal_mask(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def _fill_zero(scores, mask):
    return torch.softmax(scores.masked_fill(~mask, 0.0), dim=-1)


def _inverted(scores, mask):
    return solution_masked_softmax(scores, ~mask)


def _zero_after(scores, mask):
    return torch.softmax(scores, dim=-1) * mask


def _nan_rows(scores, mask):
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


def _wrong_dim(scores, mask):
    return torch.nan_to_num(torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-2))


def _scaled(scores, mask):
    return solution_masked_softmax(scores / 8, mask)


def _fully_masked_rows_uniform(scores, mask):
    w = solution_masked_softmax(scores, mask)
    w[..., 3, :] = 0.25
    return w


@pytest.mark.parametrize("wrong, hint", [
    (_fill_zero, "-inf"),
    (_inverted, "inverted"),
    (_zero_after, "sum to 1"),
    (_nan_rows, "0/0 = NaN"),
    (_wrong_dim, "sum to 1"),
    (_scaled, "scale or shift"),
    (lambda s, m: torch.softmax(s, dim=-1), "exactly 0"),
    (lambda s, m: torch.full_like(s, float("nan")), "NaN in rows that have allowed keys"),
    (_fully_masked_rows_uniform, "all-zero weights"),
    (lambda s, m: s[..., 0], "expected shape"),
])
def test_masked_softmax_wrong_answers(wrong, hint):
    result = check_masked_softmax(wrong)
    assert result.status == WRONG and hint in result.message, result.message


@pytest.mark.parametrize("wrong, hint", [
    (lambda ids, pad: ids != pad, "(B, 1, 1, T)"),
    (lambda ids, pad: (ids == pad)[:, None, None, :], "inverted"),
    (lambda ids, pad: (ids != 0)[:, None, None, :], "use the pad_id argument"),
    (lambda ids, pad: (ids != pad)[:, None, None, :].float(), "BOOLEAN"),
    (lambda ids, pad: (ids != pad)[:, None, :, None], "expected shape (B, 1, 1, T)"),
])
def test_padding_mask_wrong_answers(wrong, hint):
    result = check_padding_mask(wrong)
    assert result.status == WRONG and hint in result.message, result.message

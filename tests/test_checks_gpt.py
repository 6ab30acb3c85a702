"""The exercise checks of 10_gpt_pretraining: a stub is 'not done yet', typical mistakes get their hint,
solutions (and the library's own functions) pass."""

from __future__ import annotations

import pytest
import torch

from course_lib.checks import RIGHT, TODO, WRONG
from course_lib.checks.gpt import (
    check_shift_targets,
    check_temperature_softmax,
    check_top_k_filter,
    solution_shift_targets,
    solution_temperature_softmax,
    solution_top_k_filter,
)
from course_lib.gpt import next_token_probs, top_k_filter

CHECKS = [check_shift_targets, check_temperature_softmax, check_top_k_filter]


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check", CHECKS)
def test_stub_is_not_done_yet(check):
    assert check(_stub).status == TODO
    assert check(None).status == TODO


def test_solutions_and_library_pass():
    assert check_shift_targets(solution_shift_targets).status == RIGHT
    assert check_temperature_softmax(solution_temperature_softmax).status == RIGHT
    assert check_top_k_filter(solution_top_k_filter).status == RIGHT
    assert check_top_k_filter(top_k_filter).status == RIGHT
    assert check_temperature_softmax(lambda logits, t: next_token_probs(logits, temperature=t)).status == RIGHT


def test_solution_top_k_agrees_with_a_sort_based_reference():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 9, generator=g)
    for k in range(1, 10):
        kth = logits.sort(dim=-1, descending=True).values[:, k - 1:k]
        assert torch.equal(solution_top_k_filter(logits, k), torch.where(logits >= kth, logits, float("-inf")))


@pytest.mark.parametrize("wrong, hint", [
    (lambda ids: (ids, ids), "the same sequence"),
    (lambda ids: (ids[1:], ids[:-1]), "swapped"),
    (lambda ids: (ids[:-2], ids[2:]), "pairs"),
    (lambda ids: (ids[:-1], ids[:-1] + 1), "every token but the first"),
    (lambda ids: [ids[:-1]], "two tensors"),
    (lambda ids: (ids[:-1].tolist(), ids[1:]), "torch.Tensor"),
])
def test_shift_targets_wrong_answers(wrong, hint):
    result = check_shift_targets(wrong)
    assert result.status == WRONG and hint in result.message, result.message


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, t: torch.softmax(x * t, -1), "multiplied"),
    (lambda x, t: torch.softmax(x, -1), "no effect"),
    (lambda x, t: x / t, "not probabilities"),
    (lambda x, t: torch.softmax(x, -1) / t, "before the softmax"),
    (lambda x, t: torch.softmax(x / t, 0), "wrong dimension"),
    (lambda x, t: torch.softmax(x / (t + 1), -1), "expected"),
    (lambda x, t: torch.softmax(x / t, -1)[0], "expected shape"),
])
def test_temperature_wrong_answers(wrong, hint):
    result = check_temperature_softmax(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def _keep_smallest(x, k):
    kth = torch.topk(x, k, dim=-1, largest=False).values[..., -1:]
    return x.masked_fill(x > kth, float("-inf"))


def _zero_instead_of_inf(x, k):
    kth = torch.topk(x, k, dim=-1).values[..., -1:]
    return x.masked_fill(x < kth, 0.0)


def _probabilities(x, k):
    return torch.softmax(solution_top_k_filter(x, k), -1)


def _global_top_k(x, k):  # the k largest of the whole tensor, not of each row
    kth = torch.topk(x.flatten(), k).values[-1]
    return x.masked_fill(x < kth, float("-inf"))


@pytest.mark.parametrize("wrong, hint", [
    (_keep_smallest, "SMALLEST"),
    (_zero_instead_of_inf, "float('-inf')"),
    (_probabilities, "not probabilities"),
    (_global_top_k, "ROW"),
    (lambda x, k: torch.topk(x, k, dim=-1).values, "same as the logits"),
    (lambda x, k: solution_top_k_filter(x, max(k - 1, 1)), "keep the"),
])
def test_top_k_wrong_answers(wrong, hint):
    result = check_top_k_filter(wrong)
    assert result.status == WRONG and hint in result.message, result.message

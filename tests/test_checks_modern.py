"""The exercise checks of 12_modern_llm: a stub is 'not done yet', typical mistakes get their hint,
solutions (and the library's own functions) pass."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib.checks import RIGHT, TODO, WRONG
from course_lib.checks.modern import (
    check_kv_cache_bytes,
    check_online_softmax,
    check_rms_norm,
    solution_kv_cache_bytes,
    solution_online_softmax,
    solution_rms_norm,
)
from course_lib.flash import online_softmax
from course_lib.modern import RMSNorm, kv_cache_bytes

CHECKS = [check_kv_cache_bytes, check_rms_norm, check_online_softmax]


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check", CHECKS)
def test_stub_is_not_done_yet(check):
    assert check(_stub).status == TODO
    assert check(None).status == TODO


def _library_rms_norm(x, weight, eps):
    norm = RMSNorm(x.shape[-1], eps).double()
    with torch.no_grad():
        norm.weight.copy_(weight)
        return norm(x)


def test_solutions_and_library_pass():
    assert check_kv_cache_bytes(solution_kv_cache_bytes).status == RIGHT
    assert check_kv_cache_bytes(kv_cache_bytes).status == RIGHT
    assert check_rms_norm(solution_rms_norm).status == RIGHT
    assert check_rms_norm(_library_rms_norm).status == RIGHT
    assert check_online_softmax(solution_online_softmax).status == RIGHT


def test_solutions_agree_with_the_library():
    assert solution_kv_cache_bytes(32, 8, 128, 4096, 2, 2) == kv_cache_bytes(32, 8, 128, 4096, 2, 2)
    scores = [0.3, 2.0, -1.0, 4.5, 4.4]
    m, total = solution_online_softmax(iter(scores))
    weights = torch.tensor([math.exp(s - m) / total for s in scores], dtype=torch.float64)
    torch.testing.assert_close(weights, online_softmax(torch.tensor(scores, dtype=torch.float64)))
    torch.testing.assert_close(weights, torch.softmax(torch.tensor(scores, dtype=torch.float64), 0))


@pytest.mark.parametrize("wrong, hint", [
    (lambda L, H, d, T, B, b: L * B * H * T * d * b, "keys AND values"),
    (lambda L, H, d, T, B, b: 2 * B * H * T * d * b, "n_layers"),
    (lambda L, H, d, T, B, b: 2 * L * H * T * d * b, "multiply by batch"),
    (lambda L, H, d, T, B, b: 2 * L * B * H * T * d, "not bytes"),
    (lambda L, H, d, T, B, b: 2 * L * B * H * T * d * b * 8, "bits"),
    (lambda L, H, d, T, B, b: 2 * L * B * T * d * b, "n_kv_heads"),
    (lambda L, H, d, T, B, b: 2 * L * B * H * T * b, "d_head"),
    (lambda L, H, d, T, B, b: 2 * L * B * H * T * d * b + 1, "expected"),
    (lambda L, H, d, T, B, b: 1152000, "use every argument"),
    (lambda L, H, d, T, B, b: "1152000", "a number of bytes"),
])
def test_kv_cache_bytes_wrong_answers(wrong, hint):
    result = check_kv_cache_bytes(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def _rms(x, eps):
    return torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, w, eps: torch.nn.functional.layer_norm(x, x.shape[-1:], w, None, eps), "that is LayerNorm"),
    (lambda x, w, eps: (x - x.mean(-1, keepdim=True)) / _rms(x - x.mean(-1, keepdim=True), eps) * w,
     "NOT subtract the mean"),
    (lambda x, w, eps: x / x.std(-1, keepdim=True) * w, "not the standard deviation"),
    (lambda x, w, eps: x / _rms(x, eps), "gain"),
    (lambda x, w, eps: x / (x.pow(2).mean(-1, keepdim=True) + eps) * w, "square ROOT"),
    (lambda x, w, eps: x / torch.sqrt(x.pow(2).sum(-1, keepdim=True) + eps) * w, "MEAN"),
    (lambda x, w, eps: x / torch.sqrt(x.pow(2).mean(0, keepdim=True) + eps) * w, "LAST dimension"),
    (lambda x, w, eps: x / torch.sqrt(x.pow(2).mean(-1, keepdim=True)) * w, "add eps inside"),
    (lambda x, w, eps: x / (torch.sqrt(x.pow(2).mean(-1, keepdim=True)) + eps) * w, "INSIDE"),
    (lambda x, w, eps: x / _rms(x, eps) * w * 1.01, "expected"),
    (lambda x, w, eps: (x / _rms(x, eps) * w)[0], "expected shape"),
    (lambda x, w, eps: (x / _rms(x, eps) * w).tolist(), "torch.Tensor"),
])
def test_rms_norm_wrong_answers(wrong, hint):
    result = check_rms_norm(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def _two_passes(scores):
    scores = list(scores)  # reads the iterator first: fine
    m = max(scores)
    return m, sum(math.exp(s - m) for s in scores)


def _max_first(scores):
    m = max(scores)  # consumes the iterator: nothing is left for the sum
    return m, sum(math.exp(s - m) for s in scores)


def _no_rescale(scores):
    m, total = -math.inf, 0.0
    for s in scores:
        m = max(m, s)
        total += math.exp(s - m)
    return m, total


def _no_max(scores):
    m, total = -math.inf, 0.0
    for s in scores:
        m = max(m, s)
        total += math.exp(s)
    return m, total


def _wrong_direction(scores):
    m, total = -math.inf, 0.0
    for s in scores:
        if s > m:
            total *= math.exp(s - m) if m > -math.inf else 0.0
            m = s
        total += math.exp(s - m)
    return m, total


def test_online_softmax_accepts_a_two_pass_answer_that_reads_the_scores_once():
    assert check_online_softmax(_two_passes).status == RIGHT


@pytest.mark.parametrize("wrong, hint", [
    (_max_first, "read only once"),
    (_no_rescale, "old maximum"),
    (_no_max, "overflows"),
    (_wrong_direction, "below 1"),
    (lambda scores: solution_online_softmax(scores)[1], "the pair"),
    (lambda scores: (0.0, solution_online_softmax(scores)[1]), "largest score"),
])
def test_online_softmax_wrong_answers(wrong, hint):
    result = check_online_softmax(wrong)
    assert result.status == WRONG and hint in result.message, result.message

"""The exercise checks of 11_pretrained_models: a stub is 'not done yet', typical mistakes get their hint,
the solutions pass and agree with torch and the course's own GPT."""

from __future__ import annotations

import pytest
import torch

from course_lib.checks import RIGHT, TODO, WRONG
from course_lib.checks.interop import (
    check_fuse_qkv,
    check_gpt2_params,
    check_linear_weight,
    check_mean_pool,
    solution_fuse_qkv,
    solution_gpt2_params,
    solution_linear_weight,
    solution_mean_pool,
)

CHECKS = [check_linear_weight, check_fuse_qkv, check_gpt2_params, check_mean_pool]


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check", CHECKS)
def test_stub_is_not_done_yet(check):
    assert check(_stub).status == TODO
    assert check(None).status == TODO


def test_solutions_pass():
    assert check_linear_weight(solution_linear_weight).status == RIGHT
    assert check_fuse_qkv(solution_fuse_qkv).status == RIGHT
    assert check_gpt2_params(solution_gpt2_params).status == RIGHT
    assert check_mean_pool(solution_mean_pool).status == RIGHT


def test_mean_pool_solution_is_the_library_pooling():
    from course_lib.interop import mean_pool

    hidden, mask = torch.randn(3, 6, 8), torch.tensor([[1] * 6, [1] * 4 + [0] * 2, [1, 0, 0, 0, 0, 0]])
    torch.testing.assert_close(solution_mean_pool(hidden, mask), mean_pool(hidden, mask))


def test_gpt2_params_is_the_published_count():
    assert solution_gpt2_params(50257, 1024, 768, 12) == 124_439_808  # GPT2LMHeadModel("gpt2").num_parameters()


def _wrong(check, fn, phrase):
    result = check(fn)
    assert result.status == WRONG, result
    assert phrase in result.message, result.message


@pytest.mark.parametrize("fn, phrase", [
    (lambda w: w, "Conv1D's layout"),
    (lambda w: w.reshape(w.shape[1], w.shape[0]), "memory order"),
    (lambda w: w.T if w.shape[0] != w.shape[1] else w, "square"),
    (lambda w: -w.T, "F.linear"),
    (lambda w: None, "forget `return`"),
])
def test_linear_weight_mistakes(fn, phrase):
    _wrong(check_linear_weight, fn, phrase)


@pytest.mark.parametrize("fn, phrase", [
    (lambda q, k, v: torch.stack([q, k, v]), "torch.stack"),
    (lambda q, k, v: torch.cat([q, k, v], dim=1), "dim 1"),
    (lambda q, k, v: torch.cat([k, q, v]), "order"),
    (lambda q, k, v: torch.cat([q, q, v]), "W_q, then W_k"),
])
def test_fuse_qkv_mistakes(fn, phrase):
    _wrong(check_fuse_qkv, fn, phrase)


@pytest.mark.parametrize("fn, phrase", [
    (lambda V, T, d, L: solution_gpt2_params(V, T, d, L) + V * d, "tied"),
    (lambda V, T, d, L: solution_gpt2_params(V, T, d, L) - T * d, "position"),
    (lambda V, T, d, L: V * d + T * d + L * 12 * d * d + 2 * d, "biases"),
    (lambda V, T, d, L: solution_gpt2_params(V, T, d, L) - 2 * d, "final LayerNorm"),
    (lambda V, T, d, L: 12 * L * d * d, "our GPT has"),
    (lambda V, T, d, L: "many", "whole number"),
])
def test_gpt2_params_mistakes(fn, phrase):
    _wrong(check_gpt2_params, fn, phrase)


@pytest.mark.parametrize("fn, phrase", [
    (lambda h, m: h.mean(1), "padding"),
    (lambda h, m: (h * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True), "unit length"),
    (lambda h, m: h[:, 0] / h[:, 0].norm(dim=-1, keepdim=True), "[CLS]"),
    (lambda h, m: h.sum(1), "real token vectors"),
    (lambda h, m: h, "one vector per sentence"),
])
def test_mean_pool_mistakes(fn, phrase):
    _wrong(check_mean_pool, fn, phrase)

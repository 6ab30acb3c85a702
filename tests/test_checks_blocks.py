"""The exercise checks of 07_encoder: an untouched stub, each typical wrong answer, and the solution."""

import pytest
import torch

from course_lib.checks import RIGHT, WRONG
from course_lib.checks.blocks import (
    check_ffn_param_count,
    check_layer_norm,
    check_sublayer_connection,
    solution_ffn_param_count,
    solution_layer_norm,
    solution_sublayer_connection,
)


def stub(*args, **kwargs):
    raise NotImplementedError


def test_solutions_are_right():
    assert check_layer_norm(solution_layer_norm).status == RIGHT
    assert check_ffn_param_count(solution_ffn_param_count).status == RIGHT
    assert check_sublayer_connection(solution_sublayer_connection).status == RIGHT


def test_layer_norm_solution_matches_torch():
    x = torch.randn(3, 4, 10, dtype=torch.float64)
    gain, bias = torch.randn(10, dtype=torch.float64), torch.randn(10, dtype=torch.float64)
    want = torch.nn.functional.layer_norm(x, (10,), gain, bias, eps=1e-5)
    torch.testing.assert_close(solution_layer_norm(x, gain, bias), want)


def test_ffn_solution_matches_a_real_module():
    for d_model, d_ff in ((8, 32), (5, 3)):
        ffn = torch.nn.Sequential(torch.nn.Linear(d_model, d_ff), torch.nn.ReLU(), torch.nn.Linear(d_ff, d_model))
        assert solution_ffn_param_count(d_model, d_ff) == sum(p.numel() for p in ffn.parameters())


def _mean(x):
    return x.mean(-1, keepdim=True)


LN_WRONG = {
    "unbiased": (lambda x, g, b, eps=1e-5: (x - _mean(x)) / torch.sqrt(x.var(-1, keepdim=True) + eps) * g + b,
                 "d_model - 1"),
    "no eps": (lambda x, g, b, eps=1e-5: (x - _mean(x)) / x.std(-1, unbiased=False, keepdim=True) * g + b, "NaN"),
    "eps outside": (lambda x, g, b, eps=1e-5: (x - _mean(x)) / (x.std(-1, unbiased=False, keepdim=True) + eps) * g + b,
                    "inside the square root"),
    "no gain and bias": (lambda x, g, b, eps=1e-5: solution_layer_norm(x, torch.ones_like(g), torch.zeros_like(b)),
                         "gain"),
    "wrong dim": (lambda x, g, b, eps=1e-5: torch.nn.functional.layer_norm(x.transpose(0, -1), (x.shape[0],)
                                                                            ).transpose(0, -1) * g + b, "last dim"),
    "wrong shape": (lambda x, g, b, eps=1e-5: solution_layer_norm(x, g, b).flatten(), "shape"),
    "gain and bias swapped": (lambda x, g, b, eps=1e-5: solution_layer_norm(x, b, g), "gain"),
}


@pytest.mark.parametrize("name", LN_WRONG)
def test_layer_norm_wrong_answers_get_their_hint(name):
    fn, hint = LN_WRONG[name]
    result = check_layer_norm(fn)
    assert result.status == WRONG
    assert hint in result.message, result.message


FFN_WRONG = {
    "weights only": (lambda d, f: 2 * d * f, "bias"),
    "one layer": (lambda d, f: d * f + f, "two linear layers"),
    "same bias sizes": (lambda d, f: 2 * d * f + 2 * f, "different sizes"),
    "ignores d_ff": (lambda d, f: 8 * d * d + 5 * d, "d_ff you are given"),
    "a float": (lambda d, f: float(solution_ffn_param_count(d, f)), "int"),
    "off by one": (lambda d, f: solution_ffn_param_count(d, f) + 1, "count weights and biases"),
}


@pytest.mark.parametrize("name", FFN_WRONG)
def test_ffn_param_count_wrong_answers_get_their_hint(name):
    fn, hint = FFN_WRONG[name]
    result = check_ffn_param_count(fn)
    assert result.status == WRONG
    assert hint in result.message, result.message


SUB_WRONG = {
    "swapped": (lambda x, s, n, nf: solution_sublayer_connection(x, s, n, not nf), "other placement"),
    "always post-norm": (lambda x, s, n, nf: n(x + s(x)), "other placement"),
    "no residual": (lambda x, s, n, nf: s(n(x)) if nf else n(s(x)), "residual"),
    "norm on the wrong tensor": (lambda x, s, n, nf: x + n(s(x)) if nf else n(x) + s(x), "wrong tensor"),
    "no norm": (lambda x, s, n, nf: x + s(x), "post-norm is norm(x + sublayer(x))"),
    "crashes": (lambda x, s, n, nf: x @ torch.ones(3), "raised"),
}


@pytest.mark.parametrize("name", SUB_WRONG)
def test_sublayer_connection_wrong_answers_get_their_hint(name):
    fn, hint = SUB_WRONG[name]
    result = check_sublayer_connection(fn)
    assert result.status == WRONG
    assert hint in result.message, result.message

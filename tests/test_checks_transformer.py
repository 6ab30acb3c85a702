"""The exercise checks of 08_encoder_decoder: an untouched stub, each typical wrong answer, and the solution."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from course_lib.checks import RIGHT, TODO, WRONG
from course_lib.checks.transformer import (
    check_greedy_step,
    check_modified_precision,
    check_shift_target,
    solution_greedy_step,
    solution_modified_precision,
    solution_shift_target,
)
from course_lib.transformer import EncoderDecoder, TransformerConfig, greedy_decode, modified_precision

CHECKS = [check_shift_target, check_greedy_step, check_modified_precision]


def stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("check", CHECKS)
def test_untouched_stub_is_not_done_yet(check):
    assert check(stub).status == TODO
    assert check(None).status == TODO


def test_solutions_are_right():
    assert check_shift_target(solution_shift_target).status == RIGHT
    assert check_greedy_step(solution_greedy_step).status == RIGHT
    assert check_modified_precision(solution_modified_precision).status == RIGHT


def test_greedy_step_solution_repeated_is_greedy_decode():
    torch.manual_seed(4)
    model = EncoderDecoder(TransformerConfig(15, 17, d_model=16, n_heads=2, d_ff=16, n_layers=1, max_len=6,
                                             dropout=0.0)).eval()
    src = torch.randint(7, 15, (4, 5))
    ys = torch.full((4, 1), model.config.bos_id)
    with torch.no_grad():
        for _ in range(6):
            ys = solution_greedy_step(model, src, ys)
    eos = model.config.eos_id
    expected = [row[:row.index(eos) + 1] if eos in row else row for row in ys[:, 1:].tolist()]
    assert greedy_decode(model, src) == expected


def test_modified_precision_solution_matches_the_library():
    cases = [("a b a b a".split(), "a b c".split(), 1), ("a b a b a".split(), "b a b".split(), 2),
             ("the the the".split(), "the cat the".split(), 1)]
    for hyp, ref, n in cases:
        matched, total = modified_precision(hyp, [ref], n)
        assert solution_modified_precision(hyp, ref, n) == pytest.approx(matched / total)


SHIFT_WRONG = {
    "swapped": (lambda t: (t[:, 1:], t[:, :-1]), "swapped"),
    "not shifted": (lambda t: (t, t), "shift by one"),
    "input without start token": (lambda t: (t[:, 1:], t[:, 1:]), "keep the start token"),
    "target with start token": (lambda t: (t[:, :-1], t[:, :-1]), "must not start with <bos>"),
    "one value": (lambda t: t[:, :-1], "two tensors"),
}


@pytest.mark.parametrize("name", list(SHIFT_WRONG))
def test_shift_target_wrong_answers_get_hints(name):
    fn, hint = SHIFT_WRONG[name]
    result = check_shift_target(fn)
    assert result.status == WRONG and hint in result.message, result.message


def _first_position(model, src, ys):
    next_token = model(src, ys).logits[:, 0].argmax(-1)
    return torch.cat([ys, next_token[:, None]], 1)


def _argmin(model, src, ys):
    next_token = model(src, ys).logits[:, -1].argmin(-1)
    return torch.cat([ys, next_token[:, None]], 1)


GREEDY_WRONG = {
    "token only": (lambda model, src, ys: model(src, ys).logits[:, -1].argmax(-1), "not the new token alone"),
    "output indexed, not its logits": (lambda model, src, ys: torch.cat([ys, model(src, ys)[:, -1].argmax(-1)[:, None]], 1),
                                       ".logits"),
    "argmax of the output": (lambda model, src, ys: model(src, ys).argmax(-1), ".logits"),
    "first field of the output": (lambda model, src, ys: model(src, ys)[-1][:, -1].argmax(-1), ".logits"),
    "first position": (_first_position, "first position"),
    "argmin": (_argmin, "argmax, not argmin"),
    "prefix changed": (lambda model, src, ys: torch.cat([ys[:, :1], solution_greedy_step(model, src, ys)[:, 2:],
                                                         ys[:, :1]], 1), "keep the tokens of ys"),
    "wrong shape": (lambda model, src, ys: solution_greedy_step(model, src, ys)[:, :-2], "shape"),
    "crash": (lambda model, src, ys: model(ys), "raised"),
}


@pytest.mark.parametrize("name", list(GREEDY_WRONG))
def test_greedy_step_wrong_answers_get_hints(name):
    fn, hint = GREEDY_WRONG[name]
    result = check_greedy_step(fn)
    assert result.status == WRONG and hint in result.message, result.message


def _ngrams(tokens, n):
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def _unclipped(hyp, ref, n):
    h, r = _ngrams(hyp, n), _ngrams(ref, n)
    return sum(g in r for g in h) / len(h) if h else 0.0


def _distinct(hyp, ref, n):
    h, r = set(_ngrams(hyp, n)), set(_ngrams(ref, n))
    return len(h & r) / len(h) if h else 0.0


def _by_reference(hyp, ref, n):
    h, r = Counter(_ngrams(hyp, n)), Counter(_ngrams(ref, n))
    return sum(min(c, r[g]) for g, c in h.items()) / sum(r.values()) if r else 0.0


PRECISION_WRONG = {
    "no clipping": (_unclipped, "clip the counts"),
    "distinct n-grams": (_distinct, "repeats included"),
    "reference denominator": (_by_reference, "HYPOTHESIS"),
    "returns a tuple": (lambda hyp, ref, n: (1, 2), "return a number"),
    "always one half": (lambda hyp, ref, n: 0.5, "expected"),
    "crashes without n-grams": (lambda hyp, ref, n: solution_modified_precision(hyp, ref, n) if len(hyp) >= n
                                else 1 / 0, "ZeroDivisionError"),
}


@pytest.mark.parametrize("name", list(PRECISION_WRONG))
def test_modified_precision_wrong_answers_get_hints(name):
    fn, hint = PRECISION_WRONG[name]
    result = check_modified_precision(fn)
    assert result.status == WRONG and hint in result.message, result.message

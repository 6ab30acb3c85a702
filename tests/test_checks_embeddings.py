"""The exercise checks of 02_embeddings: stub -> not done yet, typical wrong answers -> their hint, solution -> right."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.checks import RIGHT, WRONG
from course_lib.checks.embeddings import (
    check_cosine,
    check_nearest_word,
    check_one_hot_lookup,
    solution_cosine,
    solution_nearest_word,
    solution_one_hot_lookup,
)


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check, solution", [(check_one_hot_lookup, solution_one_hot_lookup),
                                             (check_cosine, solution_cosine),
                                             (check_nearest_word, solution_nearest_word)])
def test_reference_solution_is_right(check, solution):
    assert check(solution).status == RIGHT


def test_plain_lookup_is_also_right():
    assert check_one_hot_lookup(lambda ids, weight: weight[ids]).status == RIGHT


@pytest.mark.parametrize("answer, hint", [
    (lambda ids, w: F.one_hot(ids, w.shape[0]) @ w, "integers"),                        # int64 one-hot
    (lambda ids, w: F.one_hot(ids).to(w.dtype) @ w, "num_classes"),                     # forgot num_classes
    (lambda ids, w: F.one_hot(ids, w.shape[0]).to(w.dtype), "one-hot matrix itself"),   # no product
    (lambda ids, w: w.T @ F.one_hot(ids, w.shape[0]).to(w.dtype).T, "transpose"),      # (d, n)
    (lambda ids, w: w[(ids + 1) % w.shape[0]], "+1 away"),                              # off by one
    (lambda ids, w: w[ids] * 2, "values differ"),
    (lambda ids, w: w[ids].tolist(), "return a tensor"),
])
def test_one_hot_lookup_wrong_answers_get_their_hint(answer, hint):
    result = check_one_hot_lookup(answer)
    assert result.status == WRONG and hint in result.message, result.message


@pytest.mark.parametrize("answer, hint", [
    (lambda a, b: float(a @ b), "dot product"),
    (lambda a, b: float(a @ b / a.norm()), "not only one"),
    (lambda a, b: float(a @ b / ((a * a).sum() * (b * b).sum())), "square root"),
    (lambda a, b: float(a @ b / (a.norm() + b.norm())), "multiply the two lengths"),
    (lambda a, b: abs(solution_cosine(a, b)), "opposite directions"),
    (lambda a, b: float(a @ b / (a.norm() * b.norm())), "divided by 0"),                # nan for zero vectors
    (lambda a, b: F.cosine_similarity(a[None], b[None]), None),                         # right: a (1,) tensor
    (lambda a, b: torch.stack([a, b]), "one number"),
])
def test_cosine_wrong_answers_get_their_hint(answer, hint):
    result = check_cosine(answer)
    if hint is None:
        assert result.status == RIGHT
    else:
        assert result.status == WRONG and hint in result.message, result.message


def _nearest(score, exclude_self=True, pick=torch.argmax):
    def answer(weights, q):
        s = score(weights, q).clone()
        if exclude_self:
            s[q] = -math.inf if pick is torch.argmax else math.inf
        return int(pick(s))
    return answer


def _cos(w, q):
    return F.cosine_similarity(w, w[q][None], dim=1)


@pytest.mark.parametrize("answer, hint", [
    (_nearest(_cos, exclude_self=False), "own nearest neighbour"),
    (_nearest(lambda w, q: w @ w[q]), "dot products"),
    (_nearest(_cos, pick=torch.argmin), "least similar"),
    (lambda w, q: 4 if q == 0 else 1, "nearest other row"),
    (lambda w, q: "five", "int id"),
])
def test_nearest_word_wrong_answers_get_their_hint(answer, hint):
    result = check_nearest_word(answer)
    assert result.status == WRONG and hint in result.message, result.message


def test_nearest_word_accepts_a_tensor_id():
    assert check_nearest_word(lambda w, q: torch.tensor(solution_nearest_word(w, q))).status == RIGHT

"""The exercise checks of 10_gpt_pretraining: a stub is 'not done yet', typical mistakes get their hint,
solutions (and the library's own functions) pass."""

from __future__ import annotations

import pytest
import torch

from course_lib.checks import RIGHT, TODO, WRONG
from course_lib.checks.gpt import (
    check_accumulated_step,
    check_temperature_softmax,
    check_top_k_filter,
    solution_accumulated_step,
    solution_temperature_softmax,
    solution_top_k_filter,
)
from course_lib.gpt import next_token_probs, top_k_filter

CHECKS = [check_accumulated_step, check_temperature_softmax, check_top_k_filter]


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check", CHECKS)
def test_stub_is_not_done_yet(check):
    assert check(_stub).status == TODO
    assert check(None).status == TODO


def test_solutions_and_library_pass():
    assert check_accumulated_step(solution_accumulated_step).status == RIGHT
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


def _step(divide=True, zero_between=False, step_every=False, zero=True, clip="after", mean_loss=True,
          single_backward=False):
    """A gradient-accumulation step with one of the usual mistakes switched on."""
    def step(model, optimizer, micro_batches, grad_clip=1.0):
        k = len(micro_batches)
        if single_backward:  # one backward of the mean loss: also right
            optimizer.zero_grad()
            loss = sum(model.loss(x, y) for x, y in micro_batches) / k
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
            return loss
        losses = []
        for x, y in micro_batches:
            if zero_between:
                optimizer.zero_grad()
            loss = model.loss(x, y)
            (loss / k if divide else loss).backward()
            losses.append(loss.item())
            if clip == "inside":
                torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            if step_every:
                optimizer.step()
                optimizer.zero_grad()
        if clip == "after":
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        if not step_every:
            optimizer.step()
            if zero:
                optimizer.zero_grad()
        return sum(losses) / k if mean_loss else losses[-1] / k
    return step


def test_accumulated_step_right_answers():
    assert check_accumulated_step(_step(single_backward=True)).status == RIGHT
    assert check_accumulated_step(_step()).status == RIGHT


@pytest.mark.parametrize("wrong, hint", [
    (_step(divide=False), "4 times too large"),
    (_step(zero_between=True), "only the last micro-batch counts"),
    (_step(zero_between=True, divide=False), "only the last micro-batch counts"),
    (_step(step_every=True), "after every micro-batch"),
    (_step(zero=False), "still holds the first update's gradients"),
    (_step(clip=None), "not clipped"),
    (_step(clip="inside"), "clip once"),
    (_step(mean_loss=False), "return the mean loss"),
])
def test_accumulated_step_wrong_answers(wrong, hint):
    result = check_accumulated_step(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def test_accumulated_step_check_keeps_the_random_state():
    torch.manual_seed(123)
    want = torch.rand(3)
    torch.manual_seed(123)
    check_accumulated_step(solution_accumulated_step)
    assert torch.equal(torch.rand(3), want)


def test_accumulated_step_equals_one_big_batch():
    """The reference update with k micro-batches is the update of one batch holding all of them."""
    import copy

    from course_lib.checks.gpt import K, _setting

    model, batches = _setting()
    one, many = copy.deepcopy(model), copy.deepcopy(model)
    big = (torch.cat([x for x, _ in batches[:K]]), torch.cat([y for _, y in batches[:K]]))
    solution_accumulated_step(one, torch.optim.SGD(one.parameters(), lr=0.1), [big])
    solution_accumulated_step(many, torch.optim.SGD(many.parameters(), lr=0.1), batches[:K])
    for p, q in zip(one.parameters(), many.parameters()):
        torch.testing.assert_close(p, q)


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

"""Self-checks for the exercises of 10_gpt_pretraining: shifted targets, temperature, top-k filtering.

Each check compares with a reference on small inputs and names the usual mistake. Reference solutions
are the `solution_*` functions. Deliberately left out: a top-p exercise (the notebook derives it next to
course_lib.gpt.top_p_filter).
"""

from __future__ import annotations

import torch

from course_lib.checks import Hint, exercise, require


def solution_shift_targets(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(T + 1,) token ids -> (inputs, targets), each (T,): the target at t is the token after t."""
    return ids[:-1], ids[1:]


def solution_temperature_softmax(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Probabilities softmax(logits / temperature) over the last dimension."""
    return torch.softmax(logits / temperature, dim=-1)


def solution_top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of each row, set all others to -inf."""
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def _tensor(x, what: str) -> None:
    require(isinstance(x, torch.Tensor), f"return {what} as a torch.Tensor, got {type(x).__name__}")


@exercise("shift_targets")
def check_shift_targets(fn) -> None:
    """fn(ids) -> (inputs, targets) for next-token prediction."""
    ids = torch.tensor([20, 7, 13, 2, 9, 31])
    got = fn(ids.clone())
    require(isinstance(got, (tuple, list)) and len(got) == 2, "return two tensors: (inputs, targets)")
    x, y = got
    _tensor(x, "inputs")
    _tensor(y, "targets")
    want_x, want_y = solution_shift_targets(ids)
    if torch.equal(x, ids) and torch.equal(y, ids):
        raise Hint("inputs and targets are the same sequence: the model would learn to copy the token it "
                   "already sees. The target at position t is the NEXT token, ids[t + 1]")
    if torch.equal(x, want_y) and torch.equal(y, want_x):
        raise Hint("inputs and targets are swapped: that trains the model to predict the PREVIOUS token. "
                   "inputs = ids[:-1], targets = ids[1:]")
    require(len(x) == len(y) == len(ids) - 1, f"from {len(ids)} tokens you get {len(ids) - 1} (input, target) "
                                              f"pairs; got lengths {len(x)} and {len(y)}")
    require(torch.equal(x, want_x) and torch.equal(y, want_y),
            "inputs should be every token but the last, targets every token but the first")


@exercise("temperature_softmax")
def check_temperature_softmax(fn) -> None:
    """fn(logits, temperature) -> probabilities softmax(logits / temperature) over the last dimension."""
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0], [0.5, 0.5, 3.0, 0.0]])
    for temperature in (0.5, 2.0, 1.0):
        got = fn(logits.clone(), temperature)
        _tensor(got, "the probabilities")
        require(got.shape == logits.shape, f"expected shape {tuple(logits.shape)}, got {tuple(got.shape)}")
        want = solution_temperature_softmax(logits, temperature)
        if torch.allclose(got, want, atol=1e-6):
            continue
        if torch.allclose(got, torch.softmax(logits * temperature, -1), atol=1e-6):
            raise Hint("you multiplied by the temperature: DIVIDE the logits by it, so that a low temperature "
                       "makes the differences bigger and the distribution sharper")
        if torch.allclose(got, torch.softmax(logits, -1), atol=1e-6):
            raise Hint("the temperature has no effect: divide the logits by it before the softmax")
        if torch.allclose(got, logits / temperature, atol=1e-6):
            raise Hint("these are scaled logits, not probabilities: finish with a softmax over the last dim")
        if torch.allclose(got, torch.softmax(logits, -1) / temperature, atol=1e-6):
            raise Hint("divide the LOGITS by the temperature, before the softmax (probabilities must sum to 1)")
        if torch.allclose(got, torch.softmax(logits / temperature, 0), atol=1e-6):
            raise Hint("the softmax runs over the wrong dimension: use dim=-1 (the vocabulary)")
        raise Hint(f"at temperature {temperature} expected {want.round(decimals=3).tolist()}, "
                   f"got {got.round(decimals=3).tolist()}")


@exercise("top_k_filter")
def check_top_k_filter(fn) -> None:
    """fn(logits, k) -> logits with everything but the k largest of each row set to -inf."""
    logits = torch.tensor([[1.0, 4.0, 2.0, 3.0, 0.0], [5.0, -1.0, 0.5, 2.0, 1.0]])
    for k in (2, 1, 5):
        got = fn(logits.clone(), k)
        _tensor(got, "the filtered logits")
        require(got.shape == logits.shape, f"expected shape {tuple(logits.shape)} (the same as the logits), "
                                           f"got {tuple(got.shape)}")
        want = solution_top_k_filter(logits, k)
        if torch.equal(got, want):
            continue
        kth_smallest = torch.topk(logits, k, dim=-1, largest=False).values[..., -1:]
        if torch.equal(got, logits.masked_fill(logits > kth_smallest, float("-inf"))):
            raise Hint("you kept the k SMALLEST logits: keep the largest (torch.topk gives the largest)")
        if torch.equal(got, want.masked_fill(want == float("-inf"), 0.0)):
            raise Hint("a logit of 0 is not 'removed': softmax gives exp(0) = 1, a real chance. "
                       "Set the dropped logits to float('-inf')")
        if torch.allclose(got.sum(-1), torch.ones(2)) and not torch.isinf(got).any():
            raise Hint("return filtered LOGITS (the others set to -inf), not probabilities: the softmax comes later")
        kept = torch.isfinite(got).sum(-1)  # (rows,)
        if int(kept.sum()) == k and not bool((kept == k).all()):
            raise Hint("you kept the k largest of the whole tensor: keep the k largest of each ROW (dim=-1)")
        raise Hint(f"for k={k}, keep the {k} largest logits of each row unchanged and set the others to -inf")

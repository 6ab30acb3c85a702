"""Self-checks for the exercises of 10_gpt_pretraining: a training step with gradient accumulation,
temperature, top-k filtering.

Each check compares with a reference on small inputs and names the usual mistake. The training step is
checked twice: with plain SGD (learning rate 1, so the update IS the gradient the step used, which tells
the usual mistakes apart: AdamW's first steps hardly depend on the gradient's scale) and then against
the course's engine itself (`course_lib.training.train` with grad_accum_steps=k, the same batches, the
same AdamW). Reference solutions are the `solution_*` functions. Deliberately left out: a top-p
exercise (the notebook derives it next to course_lib.gpt.top_p_filter).
"""

from __future__ import annotations

import copy

import torch

from course_lib.checks import Hint, exercise, require, returned
from course_lib.gpt import GPT, GPTConfig
from course_lib.training import TrainConfig, get_rng_states, set_rng_states, train
from course_lib.training.perf import make_optimizer


def solution_accumulated_step(model, optimizer, micro_batches, grad_clip=1.0):
    """One optimizer update from k micro-batches [(x, y), ...]: the update one batch of all of them gives.

    Returns the mean loss of the micro-batches (a float, for the log)."""
    k = len(micro_batches)
    total = 0.0
    for x, y in micro_batches:
        loss = model.loss(x, y)    # the mean loss of this micro-batch
        (loss / k).backward()      # gradients ADD UP in p.grad: each micro-batch brings 1/k of the mean
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)  # once, on the whole gradient
    optimizer.step()               # one update for the k micro-batches
    optimizer.zero_grad(set_to_none=True)  # the next update starts from zero
    return total / k


def solution_temperature_softmax(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Probabilities softmax(logits / temperature) over the last dimension."""
    return torch.softmax(logits / temperature, dim=-1)


def solution_top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of each row, set all others to -inf."""
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def _tensor(x, what: str) -> None:
    require(isinstance(x, torch.Tensor), f"return {what} as a torch.Tensor, got {type(x).__name__}")


# ----------------------------------------------------------------------------- gradient accumulation

K = 4  # micro-batches per update in the check


class _Counting:
    """An optimizer that counts its step() calls (everything else is the real one's)."""

    def __init__(self, optimizer):
        self.optimizer, self.steps = optimizer, 0

    def step(self, *args, **kwargs):
        self.steps += 1
        return self.optimizer.step(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.optimizer, name)


def _setting():
    """A tiny GPT and 2 * K micro-batches of (x, y), the same every time (the caller's random state is kept)."""
    states = get_rng_states()
    try:
        torch.manual_seed(0)
        model = GPT(GPTConfig(vocab_size=11, max_len=6, d_model=8, n_heads=2, n_layers=1))
        g = torch.Generator().manual_seed(1)
        batches = []
        for _ in range(2 * K):
            ids = torch.randint(0, 11, (2, 7), generator=g)
            batches.append((ids[:, :-1], ids[:, 1:]))
    finally:
        set_rng_states(states)
    return model, batches


def _flat(model) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def _grad(model, batches, scale: float) -> torch.Tensor:
    """scale x the sum of the micro-batches' gradients at the model's current parameters."""
    model = copy.deepcopy(model)
    model.zero_grad(set_to_none=True)
    for x, y in batches:
        (model.loss(x, y) * scale).backward()
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-7)


def _sgd_update(fn, model, batches, grad_clip: float) -> tuple[torch.Tensor, object, int]:
    """Run fn with SGD at learning rate 1: returns (the update, what fn returned, optimizer.step() calls)."""
    optimizer = _Counting(torch.optim.SGD(model.parameters(), lr=1.0))
    before = _flat(model)
    value = fn(model, optimizer, [(x.clone(), y.clone()) for x, y in batches], grad_clip)
    return before - _flat(model), value, optimizer.steps


def _engine(model, batches, lr: float) -> tuple[torch.nn.Module, TrainConfig]:
    """The course's engine: 2 updates of K micro-batches each, AdamW at a fixed learning rate, clip at 1."""
    config = TrainConfig(max_steps=2, lr=lr, min_lr=lr, warmup_steps=0, grad_accum_steps=K, grad_clip=1.0,
                         eval_steps=0, log_every=1, precision="fp32", compile=False)
    states = get_rng_states()  # train() seeds the global generators: leave the caller's as they were
    try:
        train(model, lambda split, i: batches[i], config, device="cpu", verbose=False)
    finally:
        set_rng_states(states)
    return model, config


@exercise("accumulated_step")
def check_accumulated_step(fn) -> None:
    """fn(model, optimizer, micro_batches, grad_clip) -> mean loss, after ONE update averaged over them."""
    model0, batches = _setting()
    first, second = batches[:K], batches[K:]
    mean_grad = _grad(model0, first, 1 / K)

    # 1. SGD with lr 1 and no clipping in effect: the update is exactly the gradient fn used.
    model = copy.deepcopy(model0)
    update, value, steps = _sgd_update(fn, model, first, grad_clip=1e9)
    value = returned(value, "your step")
    require(steps > 0, "the parameters were never updated: call optimizer.step() once, after the loop over "
                       "the micro-batches")
    if steps == K:
        raise Hint(f"you call optimizer.step() after every micro-batch: that is {K} small updates, each from "
                   f"one micro-batch. Accumulate the {K} gradients first, then step ONCE, after the loop")
    require(steps == 1, f"optimizer.step() ran {steps} times for {K} micro-batches; one update means one step")
    if _close(update, K * mean_grad):
        raise Hint(f"the update is {K} times too large: gradients add up over the micro-batches, so {K} of "
                   "them give the SUM of their gradients. Divide each loss by k (the number of micro-batches) "
                   "before backward, to get the gradient of the mean")
    last = _grad(model0, first[-1:], 1.0)
    if _close(update, last / K) or _close(update, last):
        raise Hint("only the last micro-batch counts: the gradients were zeroed inside the loop. Zero them "
                   "once per update (before the first micro-batch, or after optimizer.step()), never "
                   "between micro-batches")
    if _close(update, -mean_grad):
        raise Hint("the update goes uphill: call loss.backward() on the loss itself (not on -loss)")
    require(_close(update, mean_grad), "after your step the parameters are not where one update with the mean "
                                       "gradient of the micro-batches puts them: loss / k, backward for each "
                                       "micro-batch, then clip, step and zero the gradients once")
    with torch.no_grad():
        losses = [model0.loss(x, y).item() for x, y in first]
    try:
        got = float(value.detach() if isinstance(value, torch.Tensor) else value)
    except (TypeError, ValueError, RuntimeError):
        raise Hint(f"return the mean loss of the micro-batches as a number, got {type(value).__name__}") from None
    require(abs(got - sum(losses) / K) < 1e-4, f"return the mean loss of the {K} micro-batches "
                                               f"({sum(losses) / K:.4f} here), got {got:.4f}")

    # 2. A second update: it must start from zero gradients, not from the first update's.
    want2 = _grad(model, second, 1 / K)  # the mean gradient where the first update left the model
    update2, _, _ = _sgd_update(fn, model, second, grad_clip=1e9)
    if _close(update2, want2 + mean_grad) or _close(update2, want2 + update):
        raise Hint("the second update still holds the first update's gradients: call optimizer.zero_grad() "
                   "once per update (after optimizer.step(), or before the first micro-batch)")
    require(_close(update2, want2), "the first update is right but the second is not: does your function "
                                    "keep state between calls?")

    # 3. Clipping: once, on the whole accumulated gradient, before the step.
    clip = 0.1 * float(mean_grad.norm())
    model = copy.deepcopy(model0)
    update3, _, _ = _sgd_update(fn, model, first, grad_clip=clip)
    if _close(update3, mean_grad):
        raise Hint("the gradient is not clipped: call torch.nn.utils.clip_grad_norm_(model.parameters(), "
                   "grad_clip) after the loop, just before optimizer.step()")
    require(_close(update3, mean_grad * clip / float(mean_grad.norm())),
            "clip once, after every micro-batch has added its gradient, just before optimizer.step(): "
            "clipping inside the loop clips parts of the gradient, not the gradient")

    # 4. The same two updates as the course's engine (AdamW, weight decay, clipping at 1, grad_accum_steps=K).
    engine_model, config = _engine(copy.deepcopy(model0), batches, lr=1e-2)
    model = copy.deepcopy(model0).train()
    optimizer = make_optimizer(model, config)
    fn(model, optimizer, first, 1.0)
    fn(model, optimizer, second, 1.0)
    require(torch.allclose(_flat(model), _flat(engine_model), rtol=0, atol=1e-4),  # Adam: noise-sized grads move by ~lr
            "with SGD your step is right, but with the engine's AdamW the parameters end up elsewhere than "
            "the engine's: use the optimizer you are given, and step it once per call")


# ----------------------------------------------------------------------------- sampling


@exercise("temperature_softmax")
def check_temperature_softmax(fn) -> None:
    """fn(logits, temperature) -> probabilities softmax(logits / temperature) over the last dimension."""
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0], [0.5, 0.5, 3.0, 0.0]])
    for temperature in (0.5, 2.0, 1.0):
        got = returned(fn(logits.clone(), temperature))
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
        got = returned(fn(logits.clone(), k))
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

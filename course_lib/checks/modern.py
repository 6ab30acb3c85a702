"""Self-checks for the exercises of 12_modern_llm: the bytes of a KV cache, RMSNorm, the online softmax.

Each check compares with a reference on small inputs and names the usual mistake. Reference solutions
are the `solution_*` functions. Deliberately left out: exercises on RoPE and grouped-query attention
(the notebook derives both next to the library and checks them with asserts).
"""

from __future__ import annotations

import math

import torch

from course_lib.checks import Hint, exercise, require, returned


def solution_kv_cache_bytes(n_layers, n_kv_heads, d_head, context, batch, bytes_per_value):
    """Bytes of a KV cache: a key and a value tensor per layer, each (batch, n_kv_heads, context, d_head)."""
    return 2 * n_layers * batch * n_kv_heads * context * d_head * bytes_per_value


def solution_rms_norm(x, weight, eps):
    """RMSNorm over the last dimension: x / sqrt(mean(x^2) + eps), times the gain."""
    return x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight


def solution_online_softmax(scores):
    """One pass over the scores: the running maximum m and the sum of exp(s - m) (the denominator)."""
    m, total = -math.inf, 0.0
    for s in scores:
        if s > m:
            total *= math.exp(m - s)  # the sum so far was measured against the old, smaller maximum
            m = s
        total += math.exp(s - m)
    return m, total


@exercise("kv_cache_bytes")
def check_kv_cache_bytes(fn) -> None:
    """fn(n_layers, n_kv_heads, d_head, context, batch, bytes_per_value) -> bytes of the cache."""
    args = dict(n_layers=3, n_kv_heads=6, d_head=16, context=100, batch=5, bytes_per_value=4)
    want = solution_kv_cache_bytes(**args)
    got = returned(fn(*args.values()))
    require(isinstance(got, (int, float)) and not isinstance(got, bool),
            f"return a number of bytes (an int or a float), got {type(got).__name__}")
    if got == want:
        for other in ((32, 8, 128, 4096, 1, 2), (80, 8, 128, 32768, 4, 0.5)):
            require(returned(fn(*other)) == solution_kv_cache_bytes(*other),
                    f"right for {tuple(args.values())} but not for {other}: use every argument")
        return
    for wrong, hint in (
        (want / 2, "a cache holds keys AND values: two tensors per layer, so multiply by 2"),
        (want / args["n_layers"], "every layer keeps its own keys and values: multiply by n_layers"),
        (want / args["batch"], "every sequence of the batch has its own cache: multiply by batch"),
        (want / args["bytes_per_value"], "that counts numbers, not bytes: multiply by bytes_per_value"),
        (want * 8, "that is bits: bytes_per_value already counts bytes (2 for fp16), no factor 8"),
        (want / args["n_kv_heads"], "each key/value head stores its own keys: multiply by n_kv_heads"),
        (want / args["d_head"], "each key is a vector of d_head numbers: multiply by d_head"),
    ):
        require(not math.isclose(got, wrong), hint)
    raise Hint(f"for {args} expected {want:,} bytes, got {got:,}: 2 x n_layers x batch x n_kv_heads x "
               "context x d_head x bytes_per_value")


@exercise("rms_norm")
def check_rms_norm(fn) -> None:
    """fn(x, weight, eps) -> RMSNorm of x over its last dimension, times weight."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 8, generator=g, dtype=torch.float64) * 2 + 1.5  # a non-zero mean: LayerNorm differs
    weight = torch.rand(8, generator=g, dtype=torch.float64) + 0.5
    small = torch.randn(2, 8, generator=g, dtype=torch.float64) * 1e-2  # where eps matters
    for inputs, eps in ((x, 1e-6), (small, 1e-3)):
        got = returned(fn(inputs.clone(), weight.clone(), eps))
        require(isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}")
        require(got.shape == inputs.shape, f"expected shape {tuple(inputs.shape)} (the shape of x), got {tuple(got.shape)}")
        want = solution_rms_norm(inputs, weight, eps)
        if torch.allclose(got.double(), want, rtol=1e-5, atol=1e-7):
            continue
        ms = inputs.pow(2).mean(-1, keepdim=True)
        centred = inputs - inputs.mean(-1, keepdim=True)
        for wrong, hint in (
            (torch.nn.functional.layer_norm(inputs, (8,), weight, None, eps),
             "that is LayerNorm: RMSNorm does NOT subtract the mean, it only divides by sqrt(mean(x^2) + eps)"),
            (centred / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + eps) * weight,
             "RMSNorm does NOT subtract the mean: divide x itself by sqrt(mean(x^2) + eps)"),
            (inputs / inputs.std(-1, keepdim=True) * weight,
             "the root mean square is sqrt(mean(x^2)), not the standard deviation (which subtracts the mean)"),
            (want / weight, "multiply the normalised vector by the gain `weight`"),
            (inputs / (ms + eps) * weight, "divide by the square ROOT: sqrt(mean(x^2) + eps)"),
            (inputs / torch.sqrt(inputs.pow(2).sum(-1, keepdim=True) + eps) * weight,
             "take the MEAN of x^2 over the last dimension, not the sum"),
            (inputs / torch.sqrt(inputs.pow(2).mean(0, keepdim=True) + eps) * weight,
             "average over the LAST dimension (the features of each vector): dim=-1, keepdim=True"),
            (inputs / torch.sqrt(ms) * weight, "add eps inside the square root: sqrt(mean(x^2) + eps)"),
            (inputs / (torch.sqrt(ms) + eps) * weight, "eps goes INSIDE the square root: sqrt(mean(x^2) + eps)"),
        ):
            require(not torch.allclose(got.double(), wrong, rtol=1e-5, atol=1e-7), hint)
        raise Hint(f"expected x / sqrt(mean(x^2, dim=-1) + eps) * weight; for eps={eps} got a different result")


@exercise("online_softmax")
def check_online_softmax(fn) -> None:
    """fn(scores) -> (m, total): the maximum and sum(exp(s - m)), reading the scores once, in order."""
    cases = ([1.0, 3.0, 2.0, 5.0, 0.5], [2.0, -1.0, 0.0], [1000.0, 1001.0, 999.0, 1003.0])
    for scores in cases:
        m_want, total_want = solution_online_softmax(scores)
        got = returned(fn(iter(scores)))  # an iterator: the scores can be read only once, as they arrive
        require(isinstance(got, (tuple, list)) and len(got) == 2,
                "return the pair (m, total): the running maximum and the sum of exp(s - m)")
        m, total = (float(v) for v in got)
        if math.isclose(m, m_want) and math.isclose(total, total_want, rel_tol=1e-9):
            continue
        if m == -math.inf or total == 0.0:
            raise Hint("the scores come as an iterator that can be read only once (they arrive one at a time): "
                       "update m and total inside ONE loop, no max() first")
        if math.isinf(total) or math.isnan(total):
            raise Hint("exp(1000) overflows to inf: add exp(s - m), measured against the running maximum m")
        require(math.isclose(m, m_want), f"m should be the largest score, {m_want}, got {m}")
        no_rescale, running = 0.0, -math.inf
        for s in scores:
            running = max(running, s)
            no_rescale += math.exp(s - running)
        require(not math.isclose(total, no_rescale, rel_tol=1e-9),
                "when a new maximum arrives, the sum so far was measured against the old maximum: multiply it "
                "by exp(m_old - m_new) before adding the new term")
        require(not math.isclose(total, sum(math.exp(s) for s in scores), rel_tol=1e-9),
                "total must be the sum of exp(s - m), measured against the running maximum m, not of exp(s): "
                "exp(1000) overflows to inf")
        raise Hint(f"for scores {scores} expected m = {m_want} and total = {total_want:.6f}, got {m} and {total:.6f}"
                   " (when the maximum grows, rescale the old total by exp(m_old - m_new), a number below 1)")

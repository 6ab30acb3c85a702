"""Self-checks for the exercises of 07_encoder: LayerNorm by hand, the feed-forward parameter count,
a sublayer with its residual connection and LayerNorm in the right order (post-norm and pre-norm).

Each check compares the student's function with a reference on fixed inputs and recognises the typical
wrong answers (unbiased variance, eps outside the square root, forgotten biases, swapped norm placement,
missing residual) to give a specific hint. Reference solutions: `solution_<name>`.
Deliberately left out: timing or style checks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.checks import exercise, require

EPS = 1e-5


# ----------------------------------------------------------------------------- reference solutions

def solution_layer_norm(x: torch.Tensor, gain: torch.Tensor, bias: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """LayerNorm over the last dim: (x - mean) / sqrt(var + eps) * gain + bias, biased variance."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gain + bias


def solution_ffn_param_count(d_model: int, d_ff: int) -> int:
    """Linear(d_model, d_ff) has d_model * d_ff weights + d_ff biases; Linear(d_ff, d_model) the reverse."""
    return (d_model * d_ff + d_ff) + (d_ff * d_model + d_model)


def solution_sublayer_connection(x: torch.Tensor, sublayer: Callable, norm: Callable, norm_first: bool) -> torch.Tensor:
    """Post-norm (Add & Norm): norm(x + sublayer(x)). Pre-norm: x + sublayer(norm(x))."""
    if norm_first:
        return x + sublayer(norm(x))
    return norm(x + sublayer(x))


# ----------------------------------------------------------------------------- helpers

def _close(a, b) -> bool:
    return (isinstance(a, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.double(), b.double(), rtol=1e-5, atol=1e-6, equal_nan=False))


def _ln_inputs() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Fixed test cases: a random batch, rows with small variance (where eps matters) and a constant row."""
    g = torch.Generator().manual_seed(7)
    x = 3 * torch.randn(2, 3, 8, generator=g, dtype=torch.float64) + 1.5
    gain = 1 + 0.5 * torch.randn(8, generator=g, dtype=torch.float64)
    bias = 0.5 * torch.randn(8, generator=g, dtype=torch.float64)
    small = 1e-3 * torch.randn(4, 8, generator=g, dtype=torch.float64)
    small[0] = 2.0  # a constant row: variance exactly 0
    return [(x, gain, bias), (small, gain, bias)]


def _ln_variant(kind: str) -> Callable:
    def unbiased(x, gain, bias, eps=EPS):
        return (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=True, keepdim=True) + eps) * gain + bias

    def eps_outside(x, gain, bias, eps=EPS):
        return (x - x.mean(-1, keepdim=True)) / (x.std(-1, unbiased=False, keepdim=True) + eps) * gain + bias

    def no_affine(x, gain, bias, eps=EPS):
        return solution_layer_norm(x, torch.ones_like(gain), torch.zeros_like(bias), eps)

    def first_dim(x, gain, bias, eps=EPS):
        mean = x.mean(0, keepdim=True)
        return (x - mean) / torch.sqrt(((x - mean) ** 2).mean(0, keepdim=True) + eps) * gain + bias

    return {"unbiased": unbiased, "eps_outside": eps_outside, "no_affine": no_affine, "first_dim": first_dim}[kind]


# ----------------------------------------------------------------------------- checks

@exercise("LayerNorm by hand")
def check_layer_norm(layer_norm: Callable) -> None:
    """layer_norm(x, gain, bias, eps) must normalise each vector over the last dim, then scale and shift."""
    for x, gain, bias in _ln_inputs():
        got = layer_norm(x.clone(), gain, bias, EPS)
        want = solution_layer_norm(x, gain, bias, EPS)
        require(isinstance(got, torch.Tensor), f"return a tensor, got {type(got).__name__}")
        require(got.shape == x.shape, f"the output must keep the input's shape {tuple(x.shape)}, got {tuple(got.shape)}")
        if _close(got, want):
            continue
        require(not torch.isnan(got).any(),
                "a constant row gave NaN: its variance is 0, so add eps inside the square root, sqrt(var + eps)")
        require(not _close(got, _ln_variant("unbiased")(x, gain, bias)),
                "use the biased variance: divide by d_model, not d_model - 1 (x.var(..., unbiased=False))")
        require(not _close(got, _ln_variant("eps_outside")(x, gain, bias)),
                "eps goes inside the square root: (x - mean) / sqrt(var + eps), not / (std + eps)")
        require(not _close(got, _ln_variant("no_affine")(x, gain, bias)),
                "the normalisation is right; now multiply by gain and add bias")
        require(not _close(got, _ln_variant("first_dim")(x, gain, bias)),
                "normalise over the last dim (the features of one token), dim=-1 with keepdim=True")
        require(False, "each vector x[..., :] should become (x - mean) / sqrt(var + eps) * gain + bias, "
                       "with mean and var over the last dim")


@exercise("feed-forward parameter count")
def check_ffn_param_count(ffn_param_count: Callable) -> None:
    """ffn_param_count(d_model, d_ff) must count every weight and bias of the two linear layers."""
    for d_model, d_ff in ((8, 32), (10, 7), (512, 2048)):
        got = ffn_param_count(d_model, d_ff)
        want = solution_ffn_param_count(d_model, d_ff)
        require(isinstance(got, int) and not isinstance(got, bool),
                f"return a Python int, got {type(got).__name__} ({got!r})")
        if got == want:
            continue
        require(got != 2 * d_model * d_ff, "you counted the weights only: each linear layer also has a bias")
        require(got != d_model * d_ff + d_ff, "there are two linear layers: d_model -> d_ff and d_ff -> d_model")
        require(got not in (2 * d_model * d_ff + 2 * d_ff, 2 * d_model * d_ff + 2 * d_model),
                "the two biases have different sizes: d_ff for the first layer, d_model for the second")
        require(got != solution_ffn_param_count(d_model, 4 * d_model),
                "use the d_ff you are given; 4 * d_model is only the usual choice")
        require(False, f"for d_model={d_model}, d_ff={d_ff} you gave {got}; count weights and biases of both layers")


@exercise("residual + LayerNorm, post-norm and pre-norm")
def check_sublayer_connection(sublayer_connection: Callable) -> None:
    """sublayer_connection(x, sublayer, norm, norm_first) must follow post-norm or pre-norm as asked."""
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 5, 6, generator=g, dtype=torch.float64)
    w = torch.randn(6, 6, generator=g, dtype=torch.float64) / 3
    gain = 1 + 0.3 * torch.randn(6, generator=g, dtype=torch.float64)
    bias = 0.3 * torch.randn(6, generator=g, dtype=torch.float64)

    def sublayer(t):
        return torch.tanh(t @ w) + 0.5

    def norm(t):
        return solution_layer_norm(t, gain, bias)

    for norm_first in (False, True):
        got = sublayer_connection(x.clone(), sublayer, norm, norm_first)
        require(isinstance(got, torch.Tensor) and got.shape == x.shape,
                f"return a tensor shaped like x {tuple(x.shape)}")
        if _close(got, solution_sublayer_connection(x, sublayer, norm, norm_first)):
            continue
        name = "pre-norm (norm_first=True)" if norm_first else "post-norm (norm_first=False)"
        require(not _close(got, solution_sublayer_connection(x, sublayer, norm, not norm_first)),
                f"for {name} you computed the other placement; post-norm is norm(x + sublayer(x)), "
                "pre-norm is x + sublayer(norm(x))")
        require(not _close(got, norm(sublayer(x))) and not _close(got, sublayer(norm(x))) and not _close(got, sublayer(x)),
                f"{name}: the residual connection is missing, add x back")
        require(not _close(got, norm(x) + sublayer(x)) and not _close(got, x + norm(sublayer(x))),
                f"{name}: the LayerNorm is applied to the wrong tensor")
        require(False, f"{name}: post-norm is norm(x + sublayer(x)), pre-norm is x + sublayer(norm(x))")

"""The attention explorer of 04_attention: d_k and temperature sliders and a score-function dropdown.

Deliberately left out: training the projections (they are random and fixed, so only d_k, the score
function and the temperature change what you see).
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import torch

from course_lib import guards
from course_lib.attention import additive_scores, bilinear_scores, dot_scores, scaled_dot_scores, softmax
from course_lib.plots.attention import plot_weights_and_row
from course_lib.widgets import _check_int, _check_tokens, explorer

SCORES = ("additive (MLP)", "bilinear", "dot", "scaled dot")
D_KS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def _check_x(x) -> torch.Tensor:
    """x, if it is a (T, d_model) tensor of finite numbers with T >= 1 and no all-zero row."""
    guards.tensor("x", x, dims=2, what="(T, d_model)")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must hold at least one token vector of at least one number, got shape {tuple(x.shape)}")
    if not torch.isfinite(x.float()).all():
        raise ValueError("x holds NaN or inf values; token vectors must be finite numbers")
    if (x.float().norm(dim=-1) == 0).any():
        raise ValueError("x has an all-zero row: each token vector is rescaled to norm sqrt(d_model), which needs a "
                         "non-zero vector")
    return x


def explorer_weights(x: torch.Tensor, d_k: int, score: str, temperature: float, seed: int = 0) -> torch.Tensor:
    """Attention weights (T, T) of the token vectors x (T, d_model) under fixed random projections.

    Rows of x are rescaled to norm sqrt(d_model), so queries and keys have entries of variance about 1
    for every d_k. Projections are the first d_k columns of one fixed random matrix: a larger d_k adds
    dimensions and keeps the old ones. Scores are divided by `temperature` before the softmax.
    """
    _check_x(x)
    _check_int("d_k", d_k, 1, max(D_KS))
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    guards.number("temperature", temperature, 0, float("inf"), low_open=True)
    guards.positive_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    d_model = x.shape[1]
    d_max, d_hidden = max(D_KS), 16
    W_q, W_k = (torch.randn(d_model, d_max, generator=g) / math.sqrt(d_model) for _ in range(2))
    W_bilinear = torch.randn(d_max, d_max, generator=g)
    W_a_q, W_a_k = (torch.randn(d_hidden, d_max, generator=g) for _ in range(2))
    v = torch.randn(d_hidden, generator=g)
    x = x.float() / x.float().norm(dim=-1, keepdim=True) * math.sqrt(d_model)  # (T, d_model)
    q, k = x @ W_q[:, :d_k], x @ W_k[:, :d_k]  # (T, d_k) each
    if score == "additive (MLP)":
        s = additive_scores(q, k, W_a_q[:, :d_k] / math.sqrt(d_k), W_a_k[:, :d_k] / math.sqrt(d_k), v)
    elif score == "bilinear":
        s = bilinear_scores(q, k, W_bilinear[:d_k, :d_k] / math.sqrt(d_k))
    elif score == "dot":
        s = dot_scores(q, k)
    else:
        s = scaled_dot_scores(q, k)
    return softmax(s / temperature)  # (T, T)


def attention_explorer(x: torch.Tensor, tokens, seed: int = 0) -> widgets.VBox:
    """Sliders for d_k and temperature, dropdowns for the score function and the query token."""
    _check_tokens("tokens", tokens, _check_x(x).shape[0])

    def draw(d_k: int, temperature: float, score: str, query: int) -> None:
        w = explorer_weights(x, d_k, score, temperature, seed)
        plot_weights_and_row(w, tokens, query, title=f"{score}, d_k={d_k}, temperature={temperature:.2f}")

    controls = {
        "d_k": widgets.SelectionSlider(options=D_KS, value=16, description="d_k"),
        "temperature": widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.05, description="temperature"),
        "score": widgets.Dropdown(options=SCORES, value="scaled dot", description="score"),
        "query": widgets.Dropdown(options=[(f"{i}: {t}", i) for i, t in enumerate(tokens)], value=0,
                                  description="query"),
    }
    return explorer(draw, controls, columns=2, title="attention weights under random projections")

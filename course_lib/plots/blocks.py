"""Figures for 07_encoder: LayerNorm before/after, ReLU vs GELU, quantities per layer of a deep stack,
attention maps per layer.

Every function takes plain tensors, lists or dicts and returns the Axes it drew on. Layers and heads are
numbered from 1 (course_lib.plots.style). Deliberately left out: computing anything about a model
(course_lib.blocks does that; these only draw).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from course_lib.guards import describe
from course_lib.plots import heatmap, inputs, style


def plot_feature_distributions(before, after, labels: Sequence[str] | None = None,
                               after_title: str = "after LayerNorm", value_range: tuple[float, float] | None = None,
                               axes=None):
    """Each token's d_model values before and after LayerNorm: one row of dots per token (so the tokens
    stay apart), with a bar from the mean - std to the mean + std.

    before, after: (N, d_model) tensors, one row per token vector. value_range: the x range of both
    panels (default: -12 to 12, widened so that every value and bar is inside).
    """
    before, after = inputs.array("before", before), inputs.array("after", after)
    if before.ndim != 2 or before.shape != after.shape:
        raise ValueError(f"before and after must be (N, d_model) of the same shape, got {before.shape} and {after.shape}")
    inputs.finite("before", inputs.not_empty("before", before, "token vector"))
    inputs.finite("after", after)
    if value_range is None:
        both = np.concatenate([before, after])
        ends = np.concatenate([both.ravel(), both.mean(1) - both.std(1), both.mean(1) + both.std(1)])
        value_range = (min(-12.0, np.floor(ends.min()) - 1), max(12.0, np.ceil(ends.max()) + 1))
    if not (isinstance(value_range, (list, tuple)) and len(value_range) == 2):
        raise TypeError(f"value_range must be a pair (low, high), got {describe(value_range)}")
    low, high = (inputs.number("value_range", v, -np.inf, np.inf, low_open=True) for v in value_range)
    if not low < high:
        raise ValueError(f"value_range must be (low, high) with low < high, got {tuple(value_range)}")
    if labels is not None:
        labels = inputs.tokens("labels", labels, len(before), "one per token vector")
    if axes is None:
        _, axes = style.subplots(1, 2, figsize=(9.6, 0.55 * len(before) + 1.8), sharey=True)
    labels = list(labels) if labels is not None else [f"token {i + 1}" for i in range(len(before))]
    rng = np.random.default_rng(0)
    for ax, data, title in ((axes[0], before, "before LayerNorm"), (axes[1], after, after_title)):
        for k, row in enumerate(data):
            look = style.line_style(k)
            y = k + rng.uniform(-0.18, 0.18, size=row.shape)
            ax.scatter(row, y, s=10, color=look["color"], marker=look["marker"], alpha=0.7)
            ax.errorbar(row.mean(), k, xerr=row.std(), color="black", capsize=4, marker="|", markersize=14)
        ax.set(title=title, xlabel="feature value", xlim=value_range)
    axes[0].set_yticks(range(len(labels)), labels)
    axes[0].set_ylabel("token vector")
    axes[0].invert_yaxis()
    axes[0].figure.tight_layout()
    return axes


def plot_activations(x_min: float = -4.0, x_max: float = 4.0, ax=None):
    """ReLU and GELU (exact, x * Phi(x)) on one plot: GELU is smooth and lets small negatives through."""
    x_min, x_max = (inputs.number(name, v, -np.inf, np.inf, low_open=True) for name, v in (("x_min", x_min),
                                                                                           ("x_max", x_max)))
    if not x_min < x_max:
        raise ValueError(f"x_min must be smaller than x_max, got {x_min} and {x_max}")
    x = torch.linspace(x_min, x_max, 401)
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.0))
    ax.plot(x, torch.relu(x), label="ReLU: max(0, x)", color=style.COLORS[0], linestyle="-")
    ax.plot(x, torch.nn.functional.gelu(x), label=r"GELU: $x\,\Phi(x)$", color=style.COLORS[1], linestyle="--")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("pre-activation x")
    ax.set_ylabel("activation(x)")
    ax.set_title("the feed-forward network's non-linearity")
    ax.legend()
    return ax


def plot_per_layer(curves: dict[str, Sequence[float]], ylabel: str, title: str, log: bool = True, ax=None):
    """One line per setting (e.g. "residual", "no residual") of a quantity per layer, bottom layer first.

    log=True: a log y axis, where a value of 0 (a gradient that vanished) is left out."""
    if isinstance(curves, dict) and not curves:
        raise ValueError("curves must hold at least one {label: values per layer} entry")
    inputs.entries("curves", curves, "{label: values per layer}")
    lines = {label: inputs.not_empty(f"curves[{label!r}]", inputs.series(f"curves[{label!r}]", values), "layer")
             for label, values in curves.items()}
    if log:
        for label, values in lines.items():
            inputs.positive(f"curves[{label!r}]", values, zero_ok=True)
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.0))
    for k, (label, values) in enumerate(lines.items()):
        ax.plot(np.arange(1, len(values) + 1), values, ms=4, label=label, **style.line_style(k))
    if log:
        style.log_axis(ax, "y")
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return ax


def plot_depth_experiment(results: dict[str, dict[str, Sequence[float]]], axes=None):
    """Three panels from {label: depth_experiment(...)}: all-parameter gradient norms, query/key gradient
    norms (both log scale) and how similar the tokens have become, per layer; one legend below."""
    inputs.entries("results", results, "{label: depth_experiment(...)}")
    for label, run in results.items():
        missing = {"grad_norm", "qk_grad_norm", "similarity"} - set(run if isinstance(run, dict) else ())
        if missing:
            raise ValueError(f"results[{label!r}] must be what depth_experiment returns, a dict with grad_norm, "
                             f"qk_grad_norm and similarity; got {describe(run)} without {sorted(missing)}")
    if axes is None:
        _, axes = style.subplots(1, 3, figsize=(10, 4.2))
    panels = (("grad_norm", "gradient norm (all)", "gradient reaching each layer", True),
              ("qk_grad_norm", "gradient norm (W_q, W_k)", "gradient of the attention", True),
              ("similarity", "mean cosine similarity", "how alike the tokens are", False))
    for ax, (key, ylabel, title, log) in zip(axes, panels):
        plot_per_layer({label: r[key] for label, r in results.items()}, ylabel, title, log=log, ax=ax)
        ax.get_legend().remove()
        ax.set_xlabel("layer")
    axes[2].set_ylim(-0.05, 1.05)
    fig = axes[0].figure
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return axes


def plot_attention_layers(weights: Sequence[torch.Tensor], tokens: Sequence[str], batch_index: int = 0,
                          per_head: bool = True, title: str = ""):
    """A grid of heatmaps from a list over layers of (B, H, T, T) attention weights: one row per layer,
    one column per head (per_head=False: one column, the mean over heads), one colour bar (0 to 1)."""
    if not isinstance(weights, (list, tuple)) or not weights:
        raise ValueError(f"weights must be a non-empty list over layers of (B, H, T, T) tensors, "
                         f"got {describe(weights)}")
    tokens = inputs.tokens("tokens", tokens)
    weights = [inputs.weights(f"weights[{i}]", w, dims=None) for i, w in enumerate(weights)]
    for i, w in enumerate(weights):
        if w.ndim != 4 or w.shape[-1] != w.shape[-2] or w.shape[-1] != len(tokens):
            raise ValueError(f"layer {i}: expected (B, H, T, T) weights with T = len(tokens) = {len(tokens)}, "
                             f"got shape {tuple(w.shape)}")
        if w.shape[:2] != weights[0].shape[:2]:
            raise ValueError(f"every layer must have the same (B, H), got {weights[0].shape[:2]} for layer 0 and "
                             f"{w.shape[:2]} for layer {i}")
    batch_index = inputs.index("batch_index", batch_index, weights[0].shape[0], "a sample of the batch")
    n_layers, n_cols = len(weights), weights[0].shape[1] if per_head else 1
    size = min(0.3 * len(tokens) + 1.6, (style.MAX_WIDTH_IN - 1.2) / n_cols)
    fig, axes = style.subplots(n_layers, n_cols, figsize=(size * n_cols + 1.2, size * n_layers + 0.6), squeeze=False)
    for layer, w in enumerate(weights):
        for col in range(n_cols):
            m = w[batch_index, col] if per_head else w[batch_index].mean(0)
            ax = axes[layer, col]
            heatmap(m, rows=tokens, cols=tokens, ax=ax, attention=True, colorbar=False,
                    title=style.layer_head(layer, col if per_head else "mean of heads"),
                    ylabel="query" if col == 0 else None, xlabel="key" if layer == n_layers - 1 else None)
            if col:
                ax.set_yticklabels([])
            if layer < n_layers - 1:
                ax.set_xticklabels([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    style.attention_colorbar(axes[0, 0].images[0], axes)
    return axes

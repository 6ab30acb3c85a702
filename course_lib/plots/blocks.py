"""Figures for 07_encoder: LayerNorm before/after, ReLU vs GELU, quantities per layer of a deep stack,
attention maps per layer.

Every function takes plain tensors, lists or dicts and returns the Axes it drew on. Deliberately left
out: computing anything about a model (course_lib.blocks does that; these only draw).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.plots import heatmap, to_numpy


def plot_feature_distributions(before, after, labels: Sequence[str] | None = None,
                               after_title: str = "after LayerNorm", value_range: tuple[float, float] = (-12, 12),
                               axes=None):
    """Histograms of each row's d_model values (one colour per token) before and after LayerNorm.

    before, after: (N, d_model) tensors, one row per token vector.
    """
    before, after = to_numpy(before), to_numpy(after)
    if before.ndim != 2 or before.shape != after.shape:
        raise ValueError(f"before and after must be (N, d_model) of the same shape, got {before.shape} and {after.shape}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    labels = list(labels) if labels is not None else [f"token {i}" for i in range(len(before))]
    for ax, data, title in ((axes[0], before, "before LayerNorm"), (axes[1], after, after_title)):
        for row, label in zip(data, labels):
            ax.hist(row, bins=24, range=value_range, alpha=0.5, label=label)
        ax.set_title(title)
        ax.set_xlabel("feature value")
    axes[0].set_ylabel("number of features")
    axes[0].legend(fontsize=7)
    axes[0].figure.tight_layout()
    return axes


def plot_activations(x_min: float = -4.0, x_max: float = 4.0, ax=None):
    """ReLU and GELU (exact, x * Phi(x)) on one plot: GELU is smooth and lets small negatives through."""
    x = torch.linspace(x_min, x_max, 401)
    if ax is None:
        _, ax = plt.subplots()
    ax.plot(x, torch.relu(x), label="ReLU: max(0, x)")
    ax.plot(x, torch.nn.functional.gelu(x), label="GELU: x * Phi(x)")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("pre-activation x")
    ax.set_ylabel("activation(x)")
    ax.set_title("The feed-forward network's non-linearity")
    ax.legend()
    return ax


def plot_per_layer(curves: dict[str, Sequence[float]], ylabel: str, title: str, log: bool = True, ax=None):
    """One line per setting (e.g. "residual", "no residual") of a quantity per layer, bottom layer first."""
    if not curves:
        raise ValueError("curves must hold at least one {label: values per layer} entry")
    if ax is None:
        _, ax = plt.subplots()
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_depth_experiment(results: dict[str, dict[str, Sequence[float]]], axes=None):
    """Three panels from {label: depth_experiment(...)}: all-parameter gradient norms, query/key gradient
    norms (both log scale) and how similar the tokens have become, per layer."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    panels = (("grad_norm", "gradient norm (all parameters)", "Gradient reaching each layer", True),
              ("qk_grad_norm", "gradient norm (W_q, W_k)", "Gradient of the attention pattern", True),
              ("similarity", "mean cosine similarity", "How alike the tokens are", False))
    for ax, (key, ylabel, title, log) in zip(axes, panels):
        plot_per_layer({label: r[key] for label, r in results.items()}, ylabel, title, log=log, ax=ax)
    axes[2].set_ylim(-0.05, 1.05)
    axes[0].figure.tight_layout()
    return axes


def plot_attention_layers(weights: Sequence[torch.Tensor], tokens: Sequence[str], batch_index: int = 0,
                          per_head: bool = True, title: str = ""):
    """A grid of heatmaps from a list over layers of (B, H, T, T) attention weights: one row per layer,
    one column per head (per_head=False: one column, the mean over heads). Returns the Axes grid."""
    if not weights:
        raise ValueError("weights must be a non-empty list over layers of (B, H, T, T) tensors")
    for i, w in enumerate(weights):
        if w.dim() != 4 or w.shape[-1] != w.shape[-2] or w.shape[-1] != len(tokens):
            raise ValueError(f"layer {i}: expected (B, H, T, T) weights with T = len(tokens) = {len(tokens)}, "
                             f"got shape {tuple(w.shape)}")
    n_layers, n_cols = len(weights), weights[0].shape[1] if per_head else 1
    size = 0.28 * len(tokens) + 1.2
    fig, axes = plt.subplots(n_layers, n_cols, figsize=(size * n_cols + 0.8, size * n_layers), squeeze=False)
    for layer, w in enumerate(weights):
        for col in range(n_cols):
            m = w[batch_index, col] if per_head else w[batch_index].mean(0)
            which = f"head {col}" if per_head else "mean of heads"
            ax = axes[layer, col]
            heatmap(m, rows=tokens, cols=tokens, ax=ax, vmin=0, vmax=1, colorbar=(col == n_cols - 1),
                    title=f"layer {layer + 1}, {which}", ylabel="query" if col == 0 else None,
                    xlabel="key" if layer == n_layers - 1 else None)
            if col:
                ax.set_yticklabels([])
            if layer < n_layers - 1:
                ax.set_xticklabels([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes

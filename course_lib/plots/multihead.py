"""Figures for 05_multi_head_attention: one heatmap per head, and a layers x heads grid.

Both take the course's attention format: weights (B, H, T_q, T_k) for one layer, or a list over layers
of such tensors, plus token strings. Deliberately left out: interactivity (course_lib.widgets.multihead)
and the bertviz views (course_lib.viz).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from course_lib.plots import heatmap, to_numpy


def _one_sample(weights, batch_index: int, name: str = "weights"):
    """(B, H, T_q, T_k) or (H, T_q, T_k) -> numpy (H, T_q, T_k)."""
    dims = len(getattr(weights, "shape", ()))
    if dims == 4:
        if not 0 <= batch_index < weights.shape[0]:
            raise ValueError(f"batch_index must be in [0, {weights.shape[0]}), got {batch_index}")
        weights = weights[batch_index]
    elif dims != 3:
        shape = tuple(getattr(weights, "shape", ()))
        raise ValueError(f"{name} must be a tensor of shape (B, H, T_q, T_k) or (H, T_q, T_k), got {shape}")
    return [to_numpy(w) for w in weights]


def head_heatmaps(weights, tokens=None, keys=None, batch_index: int = 0, title: str | None = None,
                  heads=None, size: float = 2.4):
    """One small heatmap per head, side by side (rows = queries, columns = keys). Returns the axes."""
    per_head = _one_sample(weights, batch_index)
    heads = list(range(len(per_head))) if heads is None else list(heads)
    fig, axes = plt.subplots(1, len(heads), figsize=(size * len(heads) + 0.6, size + 0.8), squeeze=False)
    keys = tokens if keys is None else keys
    for ax, h in zip(axes[0], heads):
        heatmap(per_head[h], rows=tokens if ax is axes[0][0] else None, cols=keys, ax=ax,
                title=f"head {h}", vmin=0, vmax=1, colorbar=False)
        if tokens is not None and ax is not axes[0][0]:
            ax.set_yticks([])
    axes[0][0].set_ylabel("query")
    fig.supxlabel("key (attended to)", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes[0]


def attention_grid(attentions, tokens=None, keys=None, batch_index: int = 0, title: str | None = None,
                   size: float = 1.6):
    """A grid of heatmaps: one row per layer, one column per head. Returns the 2-D array of axes.

    `tokens` label the queries (rows) and `keys` the keys (columns; default: the same tokens).
    """
    if hasattr(attentions, "dim"):
        attentions = [attentions]
    if not isinstance(attentions, (list, tuple)) or not attentions:
        raise ValueError("attentions must be a non-empty list over layers of (B, H, T_q, T_k) tensors")
    layers = [_one_sample(a, batch_index, name=f"attentions[{i}]") for i, a in enumerate(attentions)]
    L, H = len(layers), len(layers[0])
    fig, axes = plt.subplots(L, H, figsize=(size * H + 0.8, size * L + 0.8), squeeze=False)
    keys = tokens if keys is None else keys
    show_labels = tokens is not None and keys is not None and max(len(tokens), len(keys)) <= 16
    for l in range(L):
        for h in range(H):
            ax = axes[l][h]
            ax.imshow(layers[l][h], vmin=0, vmax=1, cmap="viridis", aspect="auto")
            ax.set_xticks([])
            ax.set_yticks([])
            if l == 0:
                ax.set_title(f"head {h}", fontsize=9)
            if h == 0:
                ax.set_ylabel(f"layer {l}", fontsize=9)
        if show_labels:
            axes[l][0].set_yticks(range(len(tokens)), tokens, fontsize=6)
    if show_labels:
        for h in range(H):
            axes[-1][h].set_xticks(range(len(keys)), keys, fontsize=6, rotation=90)
    fig.suptitle(title or "attention weights: rows = queries, columns = keys", fontsize=10)
    fig.tight_layout()
    return axes

"""Figures for 06_masking: boolean masks as grids, and a mask next to the attention it produces.

A mask is drawn with rows = queries and columns = keys, True ("may attend") dark and False light, so
a causal mask is a dark lower triangle. Deliberately left out: interactivity (course_lib.widgets.masking).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

from course_lib.plots import heatmap, to_numpy

MASK_COLORS = ListedColormap(["#eeeeee", "#2b6cb0"])  # False (blocked) light grey, True (may attend) blue


def mask_panel(mask, tokens=None, ax=None, title: str | None = None, keys=None):
    """One (T_q, T_k) boolean mask as a grid: blue = may attend, grey = blocked. Returns the axes."""
    m = to_numpy(mask)
    if m.ndim != 2:
        raise ValueError(f"mask_panel expects a 2-D (T_q, T_k) mask, got shape {tuple(m.shape)}; "
                         f"pick one sample/head first, e.g. mask[0, 0]")
    keys = tokens if keys is None else keys
    ax = heatmap(m, rows=tokens, cols=keys, ax=ax, title=title, cmap=MASK_COLORS, vmin=0, vmax=1, colorbar=False)
    ax.set_xticks([x - 0.5 for x in range(1, m.shape[1])], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, m.shape[0])], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    return ax


def mask_gallery(masks: dict, tokens=None, title: str | None = None, size: float = 2.6):
    """Several named (T, T) masks side by side, e.g. {"padding": ..., "causal": ..., "both": ...}."""
    if not masks:
        raise ValueError("mask_gallery needs at least one mask")
    fig, axes = plt.subplots(1, len(masks), figsize=(size * len(masks) + 0.5, size + 0.9), squeeze=False)
    for ax, (name, mask) in zip(axes[0], masks.items()):
        mask_panel(mask, tokens=tokens, ax=ax, title=name)
        if ax is not axes[0][0]:
            ax.set_ylabel("")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes[0]


def mask_and_weights(mask, weights, tokens=None, title: str | None = None, annotate: bool = True):
    """The mask (left) and the attention weights it produces (right); blocked cells show exactly 0."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.8))
    mask_panel(mask, tokens=tokens, ax=left, title="mask (blue = may attend)")
    w = to_numpy(weights)
    heatmap(w, rows=tokens, cols=tokens, ax=right, title="attention weights", vmin=0, vmax=1,
            annotate=annotate and w.shape[0] <= 10, xlabel="key (attended to)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return left, right

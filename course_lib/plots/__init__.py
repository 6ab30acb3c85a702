"""Static figures shared by every notebook; one submodule per topic adds its own figures.

Plots take plain tensors/arrays and token strings and return the matplotlib Axes they drew on, so a
notebook can add to them. Deliberately left out: styling beyond labels, titles and colour bars.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def to_numpy(x) -> np.ndarray:
    """A 2-D float array from a tensor (any device, with or without grad) or an array-like."""
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=float)


def heatmap(matrix, rows=None, cols=None, ax=None, title=None, xlabel=None, ylabel=None,
            cmap="viridis", vmin=None, vmax=None, annotate=False, colorbar=True):
    """Draw a labelled heatmap of a 2-D matrix (e.g. attention weights: rows = queries, cols = keys)."""
    m = to_numpy(matrix)
    if m.ndim != 2:
        raise ValueError(f"heatmap expects a 2-D matrix, got shape {tuple(m.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * m.shape[1] + 2.5, 0.4 * m.shape[0] + 1.5))
    im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    for labels, setter, n, axis in ((rows, ax.set_yticks, m.shape[0], "rows"), (cols, ax.set_xticks, m.shape[1], "cols")):
        if labels is not None:
            if len(labels) != n:
                raise ValueError(f"{len(labels)} {axis} labels for a matrix with {n} {axis}")
            setter(range(n), [str(t) for t in labels])
    if cols is not None:
        plt.setp(ax.get_xticklabels(), rotation=60, ha="right")
    if annotate:
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] < (m.max() + m.min()) / 2 else "black")
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax

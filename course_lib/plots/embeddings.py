"""Figures of 02_embeddings: one-hot times a matrix, dot vs cosine, training loss, neighbours, 2-D map.

Every function takes tensors (or arrays) and strings and returns the matplotlib Axes it drew on.
Deliberately left out: 3-D projections and t-SNE/UMAP (PCA is enough for a few hundred words).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_lib.plots import heatmap, to_numpy


def plot_lookup(one_hot, weight, rows=None, vocab=None):
    """Three heatmaps side by side: one-hot (n, V) @ W (V, d) = the selected rows (n, d)."""
    oh, w = to_numpy(one_hot), to_numpy(weight)
    out = oh @ w
    fig, axes = plt.subplots(1, 3, figsize=(9, 2.6), gridspec_kw={"width_ratios": [oh.shape[1], w.shape[1], w.shape[1]]})
    dims = [f"dim {j}" for j in range(w.shape[1])]
    heatmap(oh, rows=rows, cols=vocab, ax=axes[0], title="one-hot (n, V)", colorbar=False, cmap="Greys", annotate=True)
    heatmap(w, rows=vocab, cols=dims, ax=axes[1], title="@ W (V, d)", colorbar=False, cmap="coolwarm", annotate=True)
    heatmap(out, rows=rows, cols=dims, ax=axes[2], title="= rows of W (n, d)", colorbar=False, cmap="coolwarm",
            annotate=True, vmin=w.min(), vmax=w.max())
    fig.tight_layout()
    return axes


def plot_dot_vs_cosine(query, vectors, labels, axes=None):
    """Left: 2-D arrows (query in black). Right: dot product and cosine of each vector with the query."""
    q, v = to_numpy(query).reshape(-1), to_numpy(vectors)
    if q.shape[0] != 2 or v.ndim != 2 or v.shape[1] != 2:
        raise ValueError(f"expected a 2-D query and (n, 2) vectors, got {q.shape} and {v.shape}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    colours = plt.cm.tab10(np.arange(len(v)))
    ax = axes[0]
    ax.annotate("", xy=q, xytext=(0, 0), arrowprops={"arrowstyle": "->", "lw": 2.5, "color": "black"})
    ax.annotate("query", q, xytext=(4, -6), textcoords="offset points", fontsize=9, va="top")
    for vec, label, c in zip(v, labels, colours):
        ax.annotate("", xy=vec, xytext=(0, 0), arrowprops={"arrowstyle": "->", "lw": 2, "color": c})
        ax.annotate(label, vec, xytext=(0, 8), textcoords="offset points", color=c, fontsize=9,
                    ha="left" if vec[0] >= 0 else "right")
    lim = 1.2 * max(np.abs(v).max(), np.abs(q).max())
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", title="vectors", xlabel="dim 0", ylabel="dim 1")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    dots = v @ q
    cosines = dots / (np.linalg.norm(v, axis=1) * np.linalg.norm(q) + 1e-12)
    x = np.arange(len(v))
    ax = axes[1]
    ax.bar(x - 0.2, dots, 0.4, label="dot product", color="tab:grey")
    ax.bar(x + 0.2, cosines, 0.4, label="cosine", color="tab:orange")
    ax.set_xticks(x, labels)
    ax.axhline(0, color="black", lw=0.5)
    ax.set(title="similarity to the query", ylabel="score")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return axes


def plot_loss(history, ax=None, smooth: int = 50, title: str = "skip-gram training loss"):
    """Loss per step (light) and its moving average over `smooth` steps (dark)."""
    h = np.asarray(history, dtype=float)
    if ax is None:
        _, ax = plt.subplots()
    ax.plot(h, color="tab:blue", alpha=0.3, lw=0.8, label="per step")
    if len(h) >= smooth > 1:
        avg = np.convolve(h, np.ones(smooth) / smooth, mode="valid")
        ax.plot(np.arange(smooth - 1, len(h)), avg, color="tab:blue", lw=2, label=f"mean of {smooth} steps")
    ax.set(title=title, xlabel="step", ylabel="cross-entropy")
    ax.legend(fontsize=8)
    return ax


def plot_neighbours(words, scores, query: str, metric: str, ax=None):
    """Horizontal bars: the neighbours of `query`, best at the top."""
    s = to_numpy(scores).reshape(-1)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 0.3 * len(s) + 1.2))
    y = np.arange(len(s))[::-1]
    ax.barh(y, s, color="tab:orange" if metric == "cosine" else "tab:grey")
    ax.set_yticks(y, list(words))
    for yi, si in zip(y, s):
        ax.text(si, yi, f" {si:.2f}", va="center", fontsize=8)
    ax.set(title=f"nearest neighbours of {query!r} ({metric})", xlabel=f"{metric} similarity")
    ax.set_xlim(min(0.0, s.min() * 1.1), s.max() * 1.2 if s.max() > 0 else 1.0)
    return ax


def plot_projection(coords, words, categories, ax=None, title: str = "word vectors, projected to 2-D (PCA)"):
    """Scatter of 2-D coordinates, one colour per category, each point labelled with its word."""
    xy = to_numpy(coords)
    if len(xy) != len(words) or len(words) != len(categories):
        raise ValueError(f"coords, words and categories must have the same length, got "
                         f"{len(xy)}, {len(words)}, {len(categories)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    names = list(dict.fromkeys(categories))
    colours = dict(zip(names, plt.cm.tab10(np.arange(len(names)) % 10)))
    for name in names:
        idx = [i for i, c in enumerate(categories) if c == name]
        ax.scatter(xy[idx, 0], xy[idx, 1], color=colours[name], label=name, s=18)
    for (x, y), word, c in zip(xy, words, categories):
        ax.annotate(word, (x, y), fontsize=7, color=colours[c], xytext=(2, 2), textcoords="offset points")
    ax.set(title=title, xlabel="principal component 1", ylabel="principal component 2")
    ax.legend(fontsize=7, loc="best", ncol=2)
    return ax

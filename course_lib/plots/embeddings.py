"""Figures of 02_embeddings: one-hot times a matrix, dot vs cosine, training loss, neighbours, 2-D map.

Every function takes tensors (or arrays) and strings and returns the matplotlib Axes it drew on.
Deliberately left out: 3-D projections and t-SNE/UMAP (PCA is enough for a few hundred words).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from course_lib.guards import describe
from course_lib.plots import heatmap, inputs, set_tick_labels, style


def plot_lookup(one_hot, weight, rows=None, vocab=None):
    """Three heatmaps side by side: one-hot (n, V) @ W (V, d) = the selected rows (n, d), every value written."""
    oh = inputs.finite("one_hot", inputs.array("one_hot", one_hot, dims=2, what="(n, V): one row per token, "
                                                                            "e.g. torch.eye(V)[ids]"))
    w = inputs.finite("weight", inputs.array("weight", weight, dims=2, what="(V, d)"))
    if oh.shape[1] != w.shape[0]:
        raise ValueError(f"one_hot (n, V) has V = {oh.shape[1]} columns but weight (V, d) has {w.shape[0]} rows; "
                         f"they must match")
    out = oh @ w
    fig, axes = style.subplots(1, 3, figsize=(min(style.MAX_WIDTH_IN, 0.5 * (oh.shape[1] + 2 * w.shape[1]) + 3.5), 3.6),
                               gridspec_kw={"width_ratios": [oh.shape[1], w.shape[1], w.shape[1]]})
    dims = [str(j) for j in range(w.shape[1])]
    limit = float(np.abs(w).max()) or 1.0
    heatmap(oh, rows=rows, cols=vocab, ax=axes[0], title="one-hot (n, V)", colorbar=False, cmap="Greys",
            annotate=True, fmt=".0f", vmin=0, vmax=1, xlabel="vocabulary", ylabel="token")
    heatmap(w, rows=vocab, cols=dims, ax=axes[1], title="@ W (V, d)", colorbar=False, cmap=style.DIVERGING_CMAP,
            annotate=True, vmin=-limit, vmax=limit, xlabel="dimension", ylabel="vocabulary")
    heatmap(out, rows=rows, cols=dims, ax=axes[2], title="= rows of W (n, d)", colorbar=False,
            cmap=style.DIVERGING_CMAP, annotate=True, vmin=-limit, vmax=limit, xlabel="dimension", ylabel="token")
    fig.tight_layout()
    return axes


def plot_dot_vs_cosine(query, vectors, labels, axes=None):
    """Left: 2-D arrows (query in black). Right: dot product and cosine of each vector with the query."""
    q, v = inputs.array("query", query).reshape(-1), inputs.array("vectors", vectors)
    if q.shape[0] != 2 or v.ndim != 2 or v.shape[1] != 2:
        raise ValueError(f"expected a 2-D query and (n, 2) vectors, got {q.shape} and {v.shape}")
    inputs.finite("query", q)
    inputs.finite("vectors", inputs.not_empty("vectors", v, "vector"))
    labels = inputs.tokens("labels", labels, len(v), "one name per vector")
    if not np.linalg.norm(q) or not np.linalg.norm(v, axis=1).all():
        raise ValueError("query and vectors must not be the zero vector: its cosine with anything is undefined")
    if axes is None:
        _, axes = style.subplots(1, 2, figsize=(9.6, 4.2))
    ax = axes[0]
    ax.annotate("", xy=q, xytext=(0, 0), arrowprops={"arrowstyle": "->", "lw": 2.5, "color": "black"})
    ax.annotate("query", q, xytext=(4, -6), textcoords="offset points", va="top", fontweight="bold")
    for k, (vec, label) in enumerate(zip(v, labels)):
        look = style.line_style(k)
        ax.annotate("", xy=vec, xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "lw": 2, "color": look["color"], "linestyle": look["linestyle"]})
        ax.annotate(style.plain(label), vec, xytext=(0, 8), textcoords="offset points", color="black",
                    ha="left" if vec[0] >= 0 else "right")
    lim = 1.25 * max(np.abs(v).max(), np.abs(q).max())
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", title="vectors", xlabel="dim 0", ylabel="dim 1")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    dots = v @ q
    cosines = dots / (np.linalg.norm(v, axis=1) * np.linalg.norm(q) + 1e-12)
    x = np.arange(len(v))
    ax = axes[1]
    ax.bar(x - 0.2, dots, 0.4, label="dot product", color=style.OKABE_ITO["grey"])
    ax.bar(x + 0.2, cosines, 0.4, label="cosine", color=style.OKABE_ITO["orange"], hatch="//", edgecolor="white")
    set_tick_labels(ax, "x", labels, tokens=False)  # names of vectors, not tokens: no visible whitespace
    ax.axhline(0, color="black", lw=0.5)
    ax.set(title="similarity to the query", ylabel="score", xlabel="vector")
    ax.legend()
    ax.figure.tight_layout()
    return axes


def plot_loss(history, ax=None, smooth: int = 50, title: str = "skip-gram training loss", uniform: int | None = None):
    """Loss per step (light) and its moving average over `smooth` steps (dark); uniform=V adds the
    line ln V, the loss of a uniform guess over V words."""
    h = inputs.not_empty("history", inputs.series("history", history), "loss")
    smooth = inputs.count("smooth", smooth)
    if uniform is not None:
        uniform = inputs.count("uniform (the vocabulary size V)", uniform)
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.0))
    ax.plot(h, color=style.COLORS[0], alpha=0.35, lw=0.8, linestyle="-", label="per step")
    if len(h) >= smooth > 1:
        avg = np.convolve(h, np.ones(smooth) / smooth, mode="valid")
        ax.plot(np.arange(smooth - 1, len(h)), avg, color=style.COLORS[0], lw=2.2, linestyle="-",
                label=f"mean of {smooth} steps")
    if uniform:
        ax.axhline(math.log(uniform), color="black", linestyle=":", label=f"uniform guess, ln {uniform}")
    ax.set(title=title, xlabel="step", ylabel="cross-entropy")
    ax.legend()
    return ax


def plot_neighbours(words, scores, query: str, metric: str, ax=None):
    """Horizontal bars: the neighbours of `query`, best at the top, each value written beside its bar."""
    s = inputs.array("scores", scores)
    s = inputs.series("scores", s[0] if s.ndim == 2 and len(s) == 1 else s)  # a (1, n) row is fine
    inputs.finite("scores", inputs.not_empty("scores", s, "neighbour"))
    words = inputs.tokens("words", words, len(s), "one per score")
    if ax is None:
        _, ax = style.subplots(figsize=(6.0, 0.38 * len(s) + 1.6))
    y = np.arange(len(s))[::-1]
    ax.barh(y, s, color=style.OKABE_ITO["orange"] if metric == "cosine" else style.OKABE_ITO["grey"])
    ax.set_yticks(y, [style.label(w) for w in words])
    for yi, si in zip(y, s):
        ax.text(si, yi, f" {si:.2f}", va="center", fontsize=style.SMALL)
    ax.set(title=f"nearest neighbours of {query!r} ({metric})", xlabel=f"{metric} similarity", ylabel="word")
    ax.set_xlim(min(0.0, s.min() * 1.1), s.max() * 1.25 if s.max() > 0 else 1.0)
    return ax


def plot_projection(coords, words, categories, ax=None, title: str = "word vectors, projected to 2-D (PCA)",
                    label_words: bool = True):
    """Scatter of 2-D coordinates: each category its own pair of colour and marker (legend; distinct for
    up to 49 categories), each point labelled with its word; labels that would overlap an earlier one
    are left out (the point stays)."""
    xy = inputs.finite("coords", inputs.not_empty("coords", inputs.array("coords", coords, dims=2, what="(n, 2)"),
                                                  "point"))
    if xy.shape[1] != 2:
        raise ValueError(f"coords must have shape (n, 2), one (x, y) per word, got {xy.shape}")
    words = inputs.tokens("words", words)
    if isinstance(categories, (str, torch.Tensor)) or not isinstance(categories, (list, tuple, np.ndarray)):
        raise TypeError(f"categories must be a list with one category name per word, got {describe(categories)}")
    if len(xy) != len(words) or len(words) != len(categories):
        raise ValueError(f"coords, words and categories must have the same length, got "
                         f"{len(xy)}, {len(words)}, {len(categories)}")
    if ax is None:
        _, ax = style.subplots(figsize=(9.6, 6.6))
    names = list(dict.fromkeys(categories))
    if len(names) > 49:
        raise ValueError(f"categories holds {len(names)} different categories; at most 49 can be told apart")
    looks = {name: style.category_style(k) for k, name in enumerate(names)}
    for name in names:
        idx = [i for i, c in enumerate(categories) if c == name]
        ax.scatter(xy[idx, 0], xy[idx, 1], color=looks[name]["color"], marker=looks[name]["marker"],
                   label=style.plain(name), s=36)
    ax.set(title=title, xlabel="principal component 1", ylabel="principal component 2")
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, title="category")
    ax.margins(0.12)
    if label_words:
        renderer = ax.figure.canvas.get_renderer()
        ax.figure.tight_layout()
        taken = [legend.get_window_extent(renderer)]
        inside = ax.get_window_extent(renderer)
        for (x, y), word in zip(xy, words):
            t = ax.annotate(style.label(word), (x, y), fontsize=style.SMALL, xytext=(3, 3), textcoords="offset points")
            box = t.get_window_extent(renderer).expanded(1.02, 1.05)
            if any(box.overlaps(other) for other in taken) or box.x1 > inside.x1 or box.y1 > inside.y1:
                t.remove()
            else:
                taken.append(box)
    return ax

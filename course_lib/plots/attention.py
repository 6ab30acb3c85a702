"""Figures for 04_attention: attention heatmaps with token labels, score functions side by side, the
sqrt(d_k) experiment, RNN-vs-attention timings and accuracies, masks.

Plots take tensors or arrays (and token strings) and return the matplotlib Axes they drew on.
Deliberately left out: computing anything (the notebook measures, these only draw).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from course_lib.plots import heatmap, to_numpy


def _crisp(ax):
    """One sharp block per matrix entry: easier to read, and a much lighter PNG than smoothed pixels."""
    ax.images[-1].set_interpolation("nearest")
    return ax


def _log2_ticks(ax, x) -> None:
    """A log2 x-axis labelled with the measured x values themselves (5, 10, 20 rather than 2^3)."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(x), [str(v) for v in x])
    ax.minorticks_off()


def plot_attention(weights, queries, keys=None, ax=None, title: str = "attention weights", annotate: bool = False,
                   vmax=None):
    """Heatmap of a (T_q, T_k) weight matrix: one row per query token, one column per key token.

    The colour scale starts at 0; pass vmax=1 to compare several matrices on one scale.
    """
    w = to_numpy(weights)
    keys = queries if keys is None else keys
    if ax is None:
        _, ax = plt.subplots(figsize=(0.4 * w.shape[1] + 2.5, 0.32 * w.shape[0] + 1.5))
    return _crisp(heatmap(w, rows=queries, cols=keys, ax=ax, title=title, xlabel="key (attended to)",
                          ylabel="query (attending)", vmin=0, vmax=vmax, annotate=annotate))


def plot_score_grid(scores: dict, tokens, ncols: int = 2, cmap: str = "viridis"):
    """Several (T, T) score matrices on the same tokens, one panel each, titled by the dict's keys."""
    nrows = -(-len(scores) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.5 * nrows), squeeze=False)
    for ax, (name, s) in zip(axes.flat, scores.items()):
        _crisp(heatmap(s, rows=tokens, cols=tokens, ax=ax, title=name, cmap=cmap))
    for ax in list(axes.flat)[len(scores):]:
        ax.axis("off")
    fig.tight_layout()
    return axes


def plot_weights_and_row(weights, tokens, query: int, title: str = ""):
    """The weight matrix next to a bar chart of one query's row (the explorer's view)."""
    w = to_numpy(weights)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.1, 1]})
    plot_attention(w, tokens, ax=left, title=title or "attention weights", vmax=1)
    left.add_patch(plt.Rectangle((-0.5, query - 0.5), w.shape[1], 1, fill=False, edgecolor="red", linewidth=2))
    right.bar(range(len(tokens)), w[query], color="tab:blue")
    right.set_xticks(range(len(tokens)), [str(t) for t in tokens], rotation=60, ha="right")
    right.set(ylim=(0, 1), ylabel="weight", title=f"query {tokens[query]!r}: max weight {w[query].max():.2f}")
    fig.tight_layout()
    return left, right


def plot_saturation(d_ks, measured: dict):
    """The sqrt(d_k) experiment: four panels against d_k, each with an 'unscaled' and a 'scaled' curve.

    measured maps a panel title to {"unscaled": values, "scaled": values} (one value per d_k);
    a title containing "variance" or "gradient" gets a log y-axis.
    """
    fig, axes = plt.subplots(1, len(measured), figsize=(3.3 * len(measured), 3.2))
    for ax, (name, curves) in zip(axes, measured.items()):
        for label, values in curves.items():
            ax.plot(d_ks, to_numpy(values).ravel(), "o-", label=label)
        _log2_ticks(ax, d_ks)
        if "variance" in name or "gradient" in name:
            ax.set_yscale("log")
        ax.set(title=name, xlabel="d_k")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return axes


def plot_curves(x, curves: dict, xlabel: str, ylabel: str, title: str, ax=None, logx=False, logy=False, styles=None):
    """Lines of y against x, one per dict entry (timings, accuracies, training curves)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    styles = styles or {}
    for label, values in curves.items():
        ax.plot(x, to_numpy(values).ravel(), styles.get(label, "o-"), label=label)
    if logx:
        _log2_ticks(ax, x)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return ax


def plot_mask(mask, tokens=None, ax=None, title: str = "mask (dark = may attend)"):
    """A boolean (T_q, T_k) mask: dark where the query may attend to the key."""
    m = to_numpy(mask)
    ax = _crisp(heatmap(m, rows=tokens, cols=tokens, ax=ax, title=title, cmap="Greys", vmin=0, vmax=1, colorbar=False))
    ax.set(xlabel="key", ylabel="query")
    return ax

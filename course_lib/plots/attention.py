"""Figures for 04_attention: attention heatmaps with token labels, score functions side by side, the
sqrt(d_k) experiment, RNN-vs-attention timings and accuracies, masks, and one query's attention step
by step (q and K -> scores -> softmax -> weighted sum of V, with the numbers).

Plots take tensors or arrays (and token strings) and return the matplotlib Axes they drew on.
Attention weights are always drawn on the fixed scale 0 to 1 with a colour bar (course_lib.plots.style).
Deliberately left out: computing anything (the notebook measures, these only draw).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_lib.plots import heatmap, inputs, set_tick_labels, style
from course_lib.plots.masking import mask_panel

QUERY, KEY = "query (attending)", "key (attended to)"


def _log2_ticks(ax, x) -> None:
    """A log2 x-axis labelled with the measured x values themselves (5, 10, 20 rather than 2^3)."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(x), [f"{v:g}" for v in x])
    ax.minorticks_off()


def plot_attention(weights, queries, keys=None, ax=None, title: str = "attention weights", annotate: bool = False,
                   vmax=None):
    """Heatmap of a (T_q, T_k) weight matrix: one row per query token, one column per key token.

    The colour scale is the course's attention scale, fixed from 0 to 1, with a colour bar (vmax is
    accepted for older calls and ignored).
    """
    w = inputs.weights("weights", weights)
    queries, keys = inputs.axis_tokens(queries, keys, w.shape, "queries", ("one per row of weights",
                                                                           "one per column of weights"))
    if ax is None:
        _, ax = style.subplots(figsize=(0.42 * w.shape[1] + 3.6, 0.34 * w.shape[0] + 2.0))
    return heatmap(w, rows=queries, cols=keys, ax=ax, title=title, xlabel=KEY, ylabel=QUERY, attention=True,
                   annotate=annotate)


def plot_score_grid(scores: dict, tokens, ncols: int = 2, cmap: str = style.ATTENTION_CMAP):
    """Several (T, T) score matrices on the same tokens, one panel each (own colour scale, labelled "score")."""
    inputs.entries("scores", scores, "{panel title: (T, T) scores}")
    tokens = inputs.tokens("tokens", tokens)
    ncols = inputs.count("ncols", ncols)
    nrows = -(-len(scores) // ncols)
    fig, axes = style.subplots(nrows, ncols, figsize=(4.9 * ncols, 3.9 * nrows), squeeze=False)
    for ax, (name, s) in zip(axes.flat, scores.items()):
        heatmap(s, rows=tokens, cols=tokens, ax=ax, title=name, cmap=cmap, cbar_label="score", xlabel="key",
                ylabel="query")
    for ax in list(axes.flat)[len(scores):]:
        ax.axis("off")
    fig.tight_layout()
    return axes


def plot_weights_and_row(weights, tokens, query: int, title: str = ""):
    """The weight matrix next to a bar chart of one query's row (the explorer's view)."""
    w = inputs.weights("weights", weights)
    tokens = inputs.tokens("tokens", tokens, w.shape[1], "one per key")
    query = inputs.index("query", query, w.shape[0], "a row of weights")
    fig, (left, right) = style.subplots(1, 2, figsize=(10, 4.4), gridspec_kw={"width_ratios": [1.15, 1]})
    plot_attention(w, tokens, ax=left, title=title or "attention weights")
    left.add_patch(plt.Rectangle((-0.5, query - 0.5), w.shape[1], 1, fill=False, edgecolor=style.OKABE_ITO["vermillion"],
                                 linewidth=2.5))
    right.bar(range(len(tokens)), w[query], color=style.OKABE_ITO["blue"])
    set_tick_labels(right, "x", tokens)
    right.set(ylim=(0, 1), ylabel="attention weight", xlabel=KEY,
              title=f"row of {style.visible(tokens[query])!r} (boxed): max {w[query].max():.2f}")
    fig.tight_layout()
    return left, right


def plot_saturation(d_ks, measured: dict):
    """The sqrt(d_k) experiment: one panel per measured quantity against d_k (x axis "$d_k$", log 2),
    each with an 'unscaled' and a 'scaled' curve (two panels per row, one legend for all).

    measured maps a panel title to {"unscaled": values, "scaled": values} (one value per d_k);
    a title containing "variance" or "gradient" gets a log y-axis (where a value of 0 is left out).
    """
    x = inputs.positive("d_ks", inputs.not_empty("d_ks", inputs.series("d_ks", d_ks)), "the log-2 x axis")
    inputs.entries("measured", measured, '{panel title: {"unscaled": values, "scaled": values}}')
    ncols = 2
    nrows = -(-len(measured) // ncols)
    fig, axes = style.subplots(nrows, ncols, figsize=(9.2, 3.0 * nrows + 0.8), squeeze=False)
    for ax, (name, curves) in zip(axes.flat, measured.items()):
        log = "variance" in name or "gradient" in name
        inputs.entries(f"measured[{name!r}]", curves, "{curve label: one value per d_k}")
        for i, (label, values) in enumerate(curves.items()):
            y = inputs.series(f"measured[{name!r}][{label!r}]", values, len(x), "one per d_k")
            if log:
                inputs.positive(f"measured[{name!r}][{label!r}]", y, zero_ok=True)
            ax.plot(x, y, label=label, **style.line_style(i))
        _log2_ticks(ax, x)
        if log:
            style.log_axis(ax, "y")
        ax.set(title=name, xlabel="$d_k$", ylabel=name.split(" (")[0])
    for ax in list(axes.flat)[len(measured):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return axes.flat[:len(measured)]


def plot_curves(x, curves: dict, xlabel: str, ylabel: str, title: str, ax=None, logx=False, logy=False, styles=None):
    """Lines of y against x, one per dict entry (timings, accuracies, training curves); each line has its
    own colour, line style and marker. Labels in `styles` (e.g. {"LSTM": "-"}) are drawn without markers.
    logx needs x > 0; with logy a value of 0 is left out."""
    xs = inputs.not_empty("x", inputs.series("x", x))
    if logx:
        inputs.positive("x", xs, "logx=True")
    inputs.entries("curves", curves, "{label: one value per x}")
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.0))
    styles = styles or {}
    for i, (label, values) in enumerate(curves.items()):
        y = inputs.series(f"curves[{label!r}]", values, len(xs), "one per x")
        if logy:
            inputs.positive(f"curves[{label!r}]", y, "logy=True", zero_ok=True)
        look = style.line_style(i)
        if label in styles:  # a dense curve: its own colour and line style, no markers
            ax.plot(xs, y, label=label, color=look["color"], linestyle=look["linestyle"])
        else:
            ax.plot(xs, y, label=label, **look)
    if logx:
        _log2_ticks(ax, xs)
    if logy:
        style.log_axis(ax, "y")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return ax


def plot_mask(mask, tokens=None, ax=None, title: str = "mask"):
    """A boolean (T_q, T_k) mask in the course's mask convention (blue = may attend), with its legend."""
    return mask_panel(mask, tokens=tokens, ax=ax, title=title)


def plot_attention_steps(q, k, v, tokens, query: int = 0):
    """One query's attention, step by step, with every number: its vector q and the keys K, the scores
    q . k_j / sqrt(d_k), the softmax weights, the values V and the output sum_j w_j v_j.

    q: (T, d_k) or (d_k,) queries (row `query` is used), k: (T, d_k), v: (T, d_v); small real tensors
    (say T <= 8, d <= 6). Returns a dict of the axes by step name.
    """
    k = inputs.finite("k", inputs.not_empty("k", inputs.array("k", k, dims=2, what="(T, d_k)")))
    v = inputs.finite("v", inputs.array("v", v, dims=2, what="(T, d_v)"))
    q = inputs.finite("q", inputs.array("q", q, dims=(1, 2), what="(T, d_k) or (d_k,)"))
    T, d_k = k.shape
    tokens = inputs.tokens("tokens", tokens, T, "one per key")
    query = inputs.index("query", query, T, "one of the tokens")
    if q.ndim == 2 and q.shape[0] != T:
        raise ValueError(f"q must have one row per token, shape ({T}, {d_k}), got {q.shape}")
    q = q[query] if q.ndim == 2 else q
    if v.shape[0] != T or q.shape[0] != d_k:
        raise ValueError(f"expected q ({d_k},), k ({T}, d_k), v ({T}, d_v) and {T} tokens; got q {q.shape}, "
                         f"k {k.shape}, v {v.shape}, {len(tokens)} tokens")
    scores = k @ q / d_k ** 0.5
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    out = weights @ v
    d_v = v.shape[1]
    fig, axes = plt.subplot_mosaic([["q", ".", ".", "out"], ["K", "s", "w", "V"]], figsize=(10, 0.45 * T + 3.4),
                                   dpi=style.DPI, height_ratios=[1.4, T], width_ratios=[d_k + 1.2, 1.7, 1.7, d_v + 1.2])
    dims = [f"{j + 1}" for j in range(max(d_k, d_v))]
    limit = float(max(np.abs(k).max(), np.abs(v).max(), np.abs(q).max(), 1e-9))
    word = style.visible(tokens[query]) if q.ndim == 1 and len(tokens) > query else "the query"
    panels = (("q", q[None], [word], dims[:d_k], "query q", "dimension", "query"),
              ("K", k, tokens, dims[:d_k], "keys K", "dimension", "key token"),
              ("s", scores[:, None], tokens, [""], r"$q \cdot k_j / \sqrt{d_k}$", "score", "key token"),
              ("w", weights[:, None], tokens, [""], "softmax", "weight", ""),
              ("V", v, tokens, dims[:d_v], r"values V ($\times w_j$)", "dimension", ""),
              ("out", out[None], [word], dims[:d_v], r"output $\sum_j w_j v_j$", "dimension", "query"))
    for name, m, rows, cols, title, xlabel, ylabel in panels:
        ax = axes[name]
        if name == "w":
            heatmap(m, rows=rows, cols=cols, ax=ax, attention=True, colorbar=False, annotate=True, title=title,
                    xlabel=xlabel)
        elif name == "s":
            heatmap(m, rows=rows, cols=cols, ax=ax, cmap=style.ATTENTION_CMAP, colorbar=False, annotate=True,
                    title=title, xlabel=xlabel, ylabel=ylabel)
        else:
            heatmap(m, rows=rows, cols=cols, ax=ax, cmap=style.DIVERGING_CMAP, vmin=-limit, vmax=limit,
                    colorbar=False, annotate=True, title=title, xlabel=xlabel, ylabel=ylabel)
        ax.tick_params(length=0)
        if name in ("w", "V"):
            ax.set_yticklabels([])
        if name in ("s", "w"):
            ax.set_xticks([])
    fig.suptitle(f"attention of {word!r}, step by step: scores, softmax, weighted sum of the values")
    fig.tight_layout()
    return axes

"""Figures for 05_multi_head_attention: one heatmap per head, a layers x heads grid, and how the heads
are split and joined again (with the shapes).

The heatmaps take the course's attention format: weights (B, H, T_q, T_k) for one layer, or a list
over layers of such tensors, plus token strings; they are drawn on the fixed attention scale 0 to 1
with one colour bar, layers and heads numbered from 1. Deliberately left out: interactivity
(course_lib.widgets.multihead) and the bertviz views (course_lib.viz).
"""

from __future__ import annotations

import math

from matplotlib.patches import FancyArrowPatch, Rectangle

from course_lib.guards import describe
from course_lib.plots import heatmap, inputs, style


def _one_sample(weights, batch_index: int, name: str = "weights"):
    """(B, H, T_q, T_k) or (H, T_q, T_k) weights in [0, 1] -> list of H numpy (T_q, T_k), at least one."""
    if isinstance(weights, (list, tuple)):
        raise TypeError(f"{name} must be one layer's tensor of shape (B, H, T_q, T_k) or (H, T_q, T_k), got "
                        f"{describe(weights)}; for a list over layers pick one, e.g. attentions[0]")
    weights = inputs.array(name, weights)
    if weights.ndim == 4:
        batch_index = inputs.count("batch_index", batch_index, minimum=0)
        if not 0 <= batch_index < weights.shape[0]:
            raise ValueError(f"batch_index must be in [0, {weights.shape[0]}), got {batch_index}")
        weights = weights[batch_index]
    elif weights.ndim != 3:
        raise ValueError(f"{name} must be a tensor of shape (B, H, T_q, T_k) or (H, T_q, T_k), got {weights.shape}")
    return list(inputs.weights(name, weights, dims=3, what="(H, T_q, T_k)"))


def head_heatmaps(weights, tokens=None, keys=None, batch_index: int = 0, title: str | None = None,
                  heads=None, size: float | None = None, layer: int | None = None, ncols: int = 4):
    """One heatmap per head (rows = queries, columns = keys), up to `ncols` per row, one colour bar.

    With many tokens there are fewer, wider columns, so that more token labels fit, but never fewer
    than half the heads (at most two rows when ncols allows it); where the labels still do not fit,
    every k-th one is shown. layer: the 0-based index of the layer these weights come from, for the
    panel titles.
    """
    per_head = _one_sample(weights, batch_index)
    T_q, T_k = per_head[0].shape
    heads = list(range(len(per_head))) if heads is None else inputs.indices("heads", heads, len(per_head), "a head")
    tokens, keys = inputs.axis_tokens(tokens, keys, (T_q, T_k))
    if layer is not None:
        inputs.count("layer", layer, minimum=0)
    if size is not None:
        inputs.number("size", size, 0, style.MAX_WIDTH_IN, low_open=True, high_open=False)
    ncols = inputs.count("ncols", ncols)
    n_keys = len(keys) if keys is not None else per_head[0].shape[1]
    fits = int((style.MAX_WIDTH_IN - 1.6) // (0.2 * n_keys + 0.9))  # columns in which every label fits
    ncols = max(1, min(ncols, len(heads), max(fits, math.ceil(len(heads) / 2))))
    nrows = math.ceil(len(heads) / ncols)
    size = size or min(max(2.6, 0.3 * n_keys + 1.2), (style.MAX_WIDTH_IN - 2.2) / ncols)
    fig, axes = style.subplots(nrows, ncols, figsize=(size * ncols + 1.6, (size + 0.6) * nrows + 0.9), squeeze=False)
    for k, h in enumerate(heads):
        ax = axes.flat[k]
        first = k % ncols == 0
        heatmap(per_head[h], rows=tokens if first else None, cols=keys, ax=ax, attention=True, colorbar=False,
                title=style.layer_head(layer, h), ylabel="query" if first else None, xlabel="key")
        if not first:
            ax.set_yticks([])
    for ax in list(axes.flat)[len(heads):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    style.attention_colorbar(axes.flat[0].images[0], axes)
    return axes.ravel()[:len(heads)]


def _ids(name: str, ids, n: int, what: str) -> list[int]:
    """ids as a list of n ints >= 0: the 0-based layer or head numbers that n rows or columns stand for."""
    if not isinstance(ids, (list, tuple, range)) or len(ids) != n:
        raise ValueError(f"{name} must be a list of {n} {what} numbers (0-based), one per {what} passed, got "
                         f"{describe(ids) if not isinstance(ids, (list, tuple, range)) else len(ids)}")
    return [inputs.count(f"{name}[{k}]", i, minimum=0) for k, i in enumerate(ids)]


def attention_grid(attentions, tokens=None, keys=None, batch_index: int = 0, title: str | None = None,
                   size: float | None = None, layer_ids=None, head_ids=None):
    """A grid of heatmaps: one row per layer, one column per head, one colour bar (0 to 1).

    `tokens` label the queries (rows) and `keys` the keys (columns; default: the same tokens); labels are
    written when each cell is big enough to hold them. layer_ids / head_ids: the 0-based indices the
    rows and columns stand for, when only some layers or heads are passed. Returns the 2-D array of axes.
    """
    if hasattr(attentions, "dim"):
        attentions = [attentions]
    if not isinstance(attentions, (list, tuple)) or not attentions:
        raise ValueError("attentions must be a non-empty list over layers of (B, H, T_q, T_k) tensors")
    layers = [_one_sample(a, batch_index, name=f"attentions[{i}]") for i, a in enumerate(attentions)]
    L, H = len(layers), len(layers[0])
    T_q, T_k = layers[0][0].shape
    for i, layer in enumerate(layers):
        if (len(layer), *layer[0].shape) != (H, T_q, T_k):
            raise ValueError(f"every layer must have the same (H, T_q, T_k) = {(H, T_q, T_k)}, got "
                             f"{(len(layer), *layer[0].shape)} for attentions[{i}]")
    layer_ids = list(range(L)) if layer_ids is None else _ids("layer_ids", layer_ids, L, "layer")
    head_ids = list(range(H)) if head_ids is None else _ids("head_ids", head_ids, H, "head")
    tokens, keys = inputs.axis_tokens(tokens, keys, (T_q, T_k))
    if size is not None:
        inputs.number("size", size, 0, style.MAX_WIDTH_IN, low_open=True, high_open=False)
    size = size or min(max(1.6, 0.22 * layers[0][0].shape[1] + 0.9), (style.MAX_WIDTH_IN - 2.6) / H)
    show_labels = tokens is not None and keys is not None and size >= 0.2 * max(len(tokens), len(keys)) + 0.9
    fig, axes = style.subplots(L, H, figsize=(size * H + (2.6 if show_labels else 1.6), size * L + 1.4), squeeze=False)
    for l in range(L):
        for h in range(H):
            ax = axes[l][h]
            ax.imshow(layers[l][h], vmin=0, vmax=1, cmap=style.ATTENTION_CMAP, aspect="auto", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if l == 0:
                ax.set_title(style.layer_head(None, head_ids[h]))
            if h == 0:
                ax.set_ylabel(style.layer_head(layer_ids[l]))
        if show_labels:
            axes[l][0].set_yticks(range(len(tokens)), [style.label(t) for t in tokens], fontsize=style.SMALL)
    if show_labels:
        for h in range(H):
            axes[-1][h].set_xticks(range(len(keys)), [style.label(t) for t in keys], fontsize=style.SMALL, rotation=90)
    fig.suptitle(title or "attention weights: rows = queries, columns = keys")
    fig.supxlabel("key (attended to)")
    fig.tight_layout()
    style.attention_colorbar(axes[0][0].images[0], axes)
    return axes


D_MODEL, D_HEAD = r"$d_{model}$", r"$d_{head}$"  # maths as mathtext, as in every figure


def _block(ax, x, y, w, h, colour, hatch="", edge="black"):
    ax.add_patch(Rectangle((x, y), w, h, facecolor=colour, edgecolor=edge, linewidth=1.4, hatch=hatch))


def _arrow(ax, a, b):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=14, color="black", linewidth=1.2))


def plot_head_split(B: int = 2, T: int = 5, d_model: int = 8, n_heads: int = 2, ax=None):
    """How multi-head attention splits d_model into n_heads heads of d_head and joins them again, with
    every shape: x (B, T, d_model) -> Q = x W_Q (K, V alike) -> view (B, T, H, d_head) -> transpose
    (B, H, T, d_head) -> attention in every head -> transpose back and concatenate (B, T, d_model) -> W_O.

    Each head keeps one colour and one hatching from its slice of Q to its place in the concatenation."""
    for name, value in (("B", B), ("T", T), ("d_model", d_model), ("n_heads", n_heads)):
        inputs.count(name, value)
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    H, d_head = n_heads, d_model // n_heads
    if ax is None:
        fig, ax = style.subplots(figsize=(10, 5.0))
        ax.set_position((0, 0, 1, 0.9))
    pale = ["#cfe3f3", "#fbe5bf", "#c8eadf", "#f6d2bf", "#f1d9e6", "#d9eefb", "#f6f0b8", "#e0e0e0"]
    look = [(pale[h % len(pale)], style.HATCHES[h % len(style.HATCHES)]) for h in range(H)]
    y0, bh, bw = 1.5, 2.2, 1.2  # bottom, height and width of the (T, d_model) blocks
    mid = y0 + bh / 2
    small = dict(ha="center", fontsize=style.SMALL)
    _block(ax, 0.1, y0, bw, bh, "#eeeeee")
    ax.text(0.7, y0 - 0.15, f"$x$\n(B, T, {D_MODEL})\n({B}, {T}, {d_model})", va="top", **small)
    _arrow(ax, (1.4, mid), (2.0, mid))
    ax.text(1.7, mid + 0.15, "$x W_Q$\n($K$, $V$\nalike)", va="bottom", **small)
    for h in range(H):  # Q's d_model columns cut into H slices of d_head
        _block(ax, 2.1 + h * bw / H, y0, bw / H, bh, *look[h])
    ax.text(2.7, y0 + bh + 0.15, f"$Q$, view\n(B, T, H, {D_HEAD})\n({B}, {T}, {H}, {d_head})", va="bottom", **small)
    shown = list(range(H)) if H <= 5 else [0, 1, 2, H - 1]
    step = bh / len(shown)
    for k, h in enumerate(shown):
        y = y0 + bh - (k + 1) * step + 0.06
        _block(ax, 4.2, y, 1.2, step - 0.12, *look[h], edge=style.COLORS[h % len(style.COLORS)])
        ax.text(4.8, y + (step - 0.12) / 2, f"head {h + 1}", va="center", **small,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"})
        _arrow(ax, (3.35, y + (step - 0.12) / 2), (4.15, y + (step - 0.12) / 2))
        _arrow(ax, (5.45, y + (step - 0.12) / 2), (6.25, mid))
    if len(shown) < H:
        ax.text(5.6, y0 + step * 1.0, "...", va="center", **small)
    ax.text(4.8, y0 - 0.15, f"transpose: (B, H, T, {D_HEAD})\n({B}, {H}, {T}, {d_head}); attention\nin every head at once",
            va="top", **small)
    for h in range(H):
        _block(ax, 6.3 + h * bw / H, y0, bw / H, bh, *look[h])
    ax.text(6.9, y0 + bh + 0.15, f"transpose back, concat\n(B, T, {D_MODEL})\n({B}, {T}, {d_model})", va="bottom",
            **small)
    _arrow(ax, (7.6, mid), (8.4, mid))
    ax.text(8.0, mid + 0.15, "$W_O$", va="bottom", **small)
    _block(ax, 8.5, y0, bw, bh, "#eeeeee")
    ax.text(9.1, y0 - 0.15, f"output\n(B, T, {D_MODEL})\n({B}, {T}, {d_model})", va="top", **small)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 4.9)
    ax.axis("off")
    ax.set_title(f"split into heads and join again: {D_MODEL} = {d_model} = {H} heads $\\times$ {D_HEAD} = {d_head}")
    return ax

"""Figures for 06_masking (also 04_attention and 09_bert_pretraining): boolean masks as grids, and a
mask next to the attention it produces.

A mask is drawn with rows = queries and columns = keys in the course's mask convention
(course_lib.plots.style): blue = may attend, light grey with "x" hatching = blocked, sand with "/"
hatching = blocked because the key is padding (a [PAD] column), always with a legend. So a causal mask
is a blue lower triangle, and a [PAD] query's row shows what its mask allows and blocks like any other
row (its output is simply ignored later). Deliberately left out: interactivity (course_lib.widgets.masking).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from course_lib.plots import heatmap, inputs, set_tick_labels, style, to_numpy

# drawn values: 1 = may attend, 0 = blocked, 0.5 = blocked because of padding (so a plain mask's image is the mask)
MASK_COLORS = ListedColormap([style.MASK_BLOCKED, style.MASK_PADDING, style.MASK_ATTEND])
KINDS = ("attend", "blocked", "padding")


def _padding(tokens, n: int, given) -> np.ndarray:
    if given is not None:
        flags = np.asarray(to_numpy(given), dtype=bool).reshape(-1)
        if flags.shape[0] != n:
            raise ValueError(f"padding must hold one flag per position ({n}), got {flags.shape[0]}")
        return flags
    if tokens is None:
        return np.zeros(n, dtype=bool)
    return np.array([str(t) in style.PAD_TOKENS for t in tokens])


def mask_kinds(mask, tokens=None, keys=None, padding=None) -> np.ndarray:
    """(T_q, T_k) codes 0 = may attend, 1 = blocked, 2 = blocked because the key is padding.

    Padding is a property of the key (column): a [PAD] query's row shows what its mask allows and
    blocks like any other row. padding: one flag per key (default: keys named [PAD] or <pad>).
    """
    m = inputs.boolean_grid("mask", mask)
    tokens, keys = inputs.axis_tokens(tokens, keys, m.shape, of=("one per query, a row of the mask",
                                                                 "one per key, a column of the mask"))
    pad_k = _padding(keys, m.shape[1], padding)
    codes = np.where(m, 0, 1)
    codes[~m & pad_k[None, :]] = 2
    return codes


def mask_panel(mask, tokens=None, ax=None, title: str | None = None, keys=None, padding=None, legend: bool = True):
    """One (T_q, T_k) boolean mask as a grid in the mask convention; returns the axes.

    padding: one flag per key position (default: keys named [PAD] or <pad>). legend=False leaves the
    legend to the caller (mask_legend on the figure).
    """
    m = inputs.array("mask", mask)
    if m.ndim != 2:
        raise ValueError(f"mask_panel expects a 2-D (T_q, T_k) mask, got shape {tuple(m.shape)}; "
                         f"pick one sample/head first, e.g. mask[0, 0]")
    codes = mask_kinds(m, tokens, keys, padding)  # checks the mask and the labels
    keys = tokens if keys is None else keys
    if ax is None:
        _, ax = style.subplots(figsize=(min(style.MAX_WIDTH_IN, 0.36 * m.shape[1] + 4.2), 0.34 * m.shape[0] + 1.8))
    shown = np.where(codes == 0, 1.0, np.where(codes == 2, 0.5, 0.0))
    heatmap(shown, rows=tokens, cols=keys, ax=ax, title=title, cmap=MASK_COLORS, vmin=0, vmax=1, colorbar=False,
            xlabel="key (attended to)", ylabel="query (attending)")
    for code, kind in ((1, "blocked"), (2, "padding")):
        cells = [Rectangle((j - 0.5, i - 0.5), 1, 1) for i, j in zip(*np.nonzero(codes == code))]
        if cells:
            ax.add_collection(PatchCollection(cells, facecolor="none", edgecolor="#7a7a7a", linewidth=0,
                                              hatch=style.MASK_HATCH[kind]))
    ax.set_xticks([x - 0.5 for x in range(1, m.shape[1])], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, m.shape[0])], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    if tokens is None:
        set_tick_labels(ax, "y", [str(i) for i in range(m.shape[0])])
        set_tick_labels(ax, "x", [str(j) for j in range(m.shape[1])])
    if legend:
        style.mask_legend(ax, [k for c, k in enumerate(KINDS) if (codes == c).any()])
    return ax


def mask_gallery(masks: dict, tokens=None, title: str | None = None, size: float = 2.6, padded=None):
    """Several named (T, T) masks side by side, e.g. {"padding": ..., "causal": ..., "both": ...}.

    padded: the names of the panels whose mask includes the padding mask. In the others a blocked [PAD]
    key is blocked for another reason (the future, the window) and is drawn as plainly blocked.
    Default: every panel marks blocked [PAD] keys as padding.
    """
    if isinstance(masks, dict) and not masks:
        raise ValueError("mask_gallery needs at least one mask")
    inputs.entries("masks", masks, "{title: (T, T) mask}")
    if padded is not None:
        padded = set(inputs.tokens("padded", [padded] if isinstance(padded, str) else list(padded)))
        if padded - set(masks):
            raise ValueError(f"padded must name panels of masks {list(masks)}, got {sorted(padded - set(masks))}")
    tokens = None if tokens is None else inputs.tokens("tokens", tokens)
    n = len(masks)
    size = min(size, (style.MAX_WIDTH_IN - 1.4) / n)
    fig, axes = style.subplots(1, n, figsize=(size * n + 1.4, size + 2.0), squeeze=False)
    present = set()
    for ax, (name, mask) in zip(axes[0], masks.items()):
        shape = inputs.array(f"masks[{name!r}]", mask).shape
        if tokens is not None and shape != (len(tokens), len(tokens)):
            raise ValueError(f"masks[{name!r}] has shape {shape}, expected ({len(tokens)}, {len(tokens)}) for the "
                             f"{len(tokens)} tokens")
        pad = None if padded is None or name in padded else np.zeros(shape[1], dtype=bool)
        mask_panel(mask, tokens=tokens, ax=ax, title=name, padding=pad, legend=False)
        present |= set(np.unique(mask_kinds(mask, tokens, padding=pad)).tolist())
        if ax is not axes[0][0]:
            ax.set_ylabel("")
            ax.set_yticklabels([])
    if title:
        fig.suptitle(title)
    style.mask_legend(fig, [k for c, k in enumerate(KINDS) if c in present])
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return axes[0]


def mask_and_weights(mask, weights, tokens=None, title: str | None = None, annotate: bool = True):
    """The mask (left) and the attention weights it produces (right); blocked cells show exactly 0."""
    w = inputs.weights("weights", weights)
    shape = inputs.array("mask", mask).shape
    if shape != w.shape:
        raise ValueError(f"mask and weights must have the same shape (T_q, T_k), got {shape} and {w.shape}")
    fig, (left, right) = style.subplots(1, 2, figsize=(9.6, 4.6))
    mask_panel(mask, tokens=tokens, ax=left, title="mask", legend=False)
    heatmap(w, rows=tokens, cols=tokens, ax=right, title="attention weights", attention=True,
            annotate=annotate and w.shape[0] <= 10, xlabel="key (attended to)", ylabel="query (attending)")
    if title:
        fig.suptitle(title)
    style.mask_legend(fig, [k for c, k in enumerate(KINDS) if (mask_kinds(mask, tokens) == c).any()])
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return left, right

"""Static pictures of the attention views of 05_multi_head_attention (also 08, 09 and 11): what a saved
notebook shows in place of bertviz's interactive head view and model view.

`head_view_picture` draws bertviz's head view for one layer: the query tokens on the left, the key
tokens on the right, one panel per head, a line from each query to each key as dark and as thick as
its weight. `model_view_picture` draws the layers x heads grid of heatmaps (attention scale 0 to 1).
Both take "blocks": a list of (name, attention (L, H, T_q, T_k) numpy array, query tokens, key tokens),
one block per kind of attention (a single block for a decoder-only or encoder-only model; encoder,
decoder and cross for an encoder-decoder). Deliberately left out: any interactivity (course_lib.viz).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

from course_lib.guards import describe
from course_lib.plots import inputs, style
from course_lib.plots.multihead import attention_grid

MAX_PANELS_PER_ROW = 4
MAX_LABEL = 14  # characters of a token shown beside the lines (longer ones end in "…")


def _short(token) -> str:
    text = style.visible(token)
    return style.label(text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…")


def _blocks(blocks) -> list:
    """blocks checked: a non-empty list of (name, weights (L, H, T_q, T_k) in [0, 1], T_q query tokens, T_k key
    tokens), the weights as numpy arrays."""
    if not isinstance(blocks, (list, tuple)) or not blocks:
        raise ValueError(f"blocks must be a non-empty list of (name, attention (L, H, T_q, T_k), query tokens, "
                         f"key tokens), got {describe(blocks)}")
    checked = []
    for b, block in enumerate(blocks):
        if not (isinstance(block, (list, tuple)) and len(block) == 4):
            raise TypeError(f"blocks[{b}] must be (name, attention (L, H, T_q, T_k), query tokens, key tokens), "
                            f"got {describe(block)}")
        name, attn, left, right = block
        attn = inputs.weights(f"the attention of blocks[{b}]", attn, dims=4, what="(L, H, T_q, T_k)")
        left = inputs.tokens(f"the query tokens of blocks[{b}]", left, attn.shape[2], "one per T_q")
        right = inputs.tokens(f"the key tokens of blocks[{b}]", right, attn.shape[3], "one per T_k")
        checked.append((name, attn, left, right))
    return checked


def head_view_picture(blocks, layer: int = 0, heads=None, title: str | None = None):
    """One row of panels per block (up to four heads each), for the chosen 0-based layer. Returns the figure."""
    rows = []
    for name, attn, left, right in _blocks(blocks):
        layer = inputs.index("layer", layer, attn.shape[0], f"a layer of block {name!r}")
        chosen = list(range(attn.shape[1])) if heads is None else inputs.indices("heads", heads, attn.shape[1],
                                                                                "a head")
        for start in range(0, len(chosen), MAX_PANELS_PER_ROW):
            rows.append((name, attn[layer], left, right, chosen[start:start + MAX_PANELS_PER_ROW]))
    ncols = max(len(r[4]) for r in rows)
    longest = min(MAX_LABEL, max(len(style.visible(t)) for _, _, left, right, _ in rows for t in list(left) + list(right)))
    panel_w = min(max(2.4, 0.16 * longest * 2 + 1.2), (style.MAX_WIDTH_IN - 0.2) / ncols)
    heights = [0.24 * max(len(left), len(right)) + 0.9 for _, _, left, right, _ in rows]
    fig, axes = style.subplots(len(rows), ncols, figsize=(panel_w * ncols + 0.2, sum(heights) + 1.2), squeeze=False,
                               gridspec_kw={"height_ratios": heights})
    for r, (name, attn, left, right, chosen) in enumerate(rows):
        for c in range(ncols):
            ax = axes[r][c]
            if c >= len(chosen):
                ax.axis("off")
                continue
            h = chosen[c]
            _draw_lines(ax, attn[h], left, right, style.COLORS[h % len(style.COLORS)])
            ax.set_title(", ".join(filter(None, [name, style.layer_head(layer, h)])))
    fig.suptitle(title or "attention: each query (left) to the keys (right); darker, thicker = more weight")
    handles = [Line2D([], [], color="black", alpha=a, linewidth=0.5 + 3 * a, label=f"weight {a:g}") for a in (0.25, 0.5, 1)]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.6 / (sum(heights) + 1.2), 1, 1))
    return fig


def _draw_lines(ax, weights: np.ndarray, left, right, colour) -> None:
    """Lines from query i (left, x = 0) to key j (right, x = 1), alpha and width following the weight."""
    n = max(len(left), len(right))
    ys_left = [n - 1 - i for i in range(len(left))]
    ys_right = [n - 1 - j for j in range(len(right))]
    segments, colours, widths = [], [], []
    rgb = to_rgb(colour)
    for i, yl in enumerate(ys_left):
        for j, yr in enumerate(ys_right):
            w = float(weights[i, j])
            if w >= 0.05:  # fainter lines would not be seen, only weigh on the PNG
                segments.append([(0.0, yl), (1.0, yr)])
                colours.append((*rgb, min(1.0, w)))
                widths.append(0.5 + 3 * w)
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths))
    for y, t in zip(ys_left, left):
        ax.text(-0.04, y, _short(t), ha="right", va="center", fontsize=style.SMALL)
    for y, t in zip(ys_right, right):
        ax.text(1.04, y, _short(t), ha="left", va="center", fontsize=style.SMALL)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.6, n - 0.4)
    ax.axis("off")


def model_view_picture(blocks, layers=None, heads=None):
    """The layers x heads grid of each block (0-based `layers` / `heads` to include); one figure per block."""
    figures = []
    for name, attn, left, right in _blocks(blocks):
        L, H = attn.shape[:2]
        layer_ids = list(range(L)) if layers is None else inputs.indices("layers", layers, L, f"a layer of block {name!r}")
        head_ids = list(range(H)) if heads is None else inputs.indices("heads", heads, H, "a head")
        attn = attn[layer_ids][:, head_ids]
        axes = attention_grid([a[None] for a in attn], tokens=left, keys=right, layer_ids=layer_ids,
                              head_ids=head_ids, title=f"{name}: rows = queries, columns = keys" if name else None)
        figures.append(axes[0][0].figure)
    return figures

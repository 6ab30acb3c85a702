"""The course's own attention views, used by 05_multi_head_attention when bertviz cannot run here.

Plain HTML with no JavaScript, so it shows everywhere (JupyterLab, Colab, VS Code, GitHub):
  - head view: for each layer, queries on the left, keys on the right, one line per (query, key,
    head), coloured by head, as opaque as the weight is large (bertviz's head view, without the clicks);
  - model view: the layers x heads grid of heatmaps (course_lib.plots.multihead.attention_grid) as PNG.
Deliberately left out: interactivity (course_lib.widgets.multihead has the explorer).
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib.pyplot as plt

from course_lib import guards
from course_lib.plots import style
from course_lib.plots.multihead import attention_grid

COLORS = style.COLORS  # one colour per head: the course's colour-blind-safe palette
ROW, TOP, TEXT_W, GAP = 20, 46, 110, 120


def check_indices(name: str, chosen, n: int, what: str, many: bool = False) -> None:
    """chosen: one index (many=False) or a non-empty list of them (many=True), each an int in [0, n)."""
    if many and not isinstance(chosen, (list, tuple, range)):
        raise TypeError(f"{name} must be a list of 0-based {what} indices, e.g. {name}=[0], got {chosen!r}")
    if many and len(chosen) == 0:
        raise ValueError(f"{name} must hold at least one {what} index (leave it None to show every {what})")
    for i in chosen if many else [chosen]:
        if not guards.is_int(i):
            raise TypeError(f"{name} must hold ints (0-based {what} indices), got {i!r}")
        if not 0 <= i < n:
            raise IndexError(f"{name} {i} is out of range: the attention has {n} {what}s, so {name} must be in "
                             f"[0, {n - 1}] (0-based; titles number them from 1)")


def check_choice(blocks, layer=None, heads=None, layers=None) -> None:
    """The layer / layers / heads chosen must exist in every block (name, attn (L, H, T_q, T_k), left, right)."""
    n_layers, n_heads = min(b[1].shape[0] for b in blocks), min(b[1].shape[1] for b in blocks)
    if layer is not None:
        check_indices("layer", layer, n_layers, "layer")
    if layers is not None:
        check_indices("layers", layers, n_layers, "layer", many=True)
    if heads is not None:
        check_indices("heads", heads, n_heads, "head", many=True)


def _svg_layer(attn, left, right, layer: int, heads) -> str:
    """One layer: attn (H, T_q, T_k) numpy; lines from query i (left) to key j (right)."""
    T = max(len(left), len(right))
    width, height = 2 * TEXT_W + GAP, TOP + T * ROW + 4
    x1, x2 = TEXT_W + 4, TEXT_W + GAP - 4
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              f'font-family="Helvetica, Arial, sans-serif" font-size="14">'),
             f'<text x="{width / 2}" y="14" text-anchor="middle" font-weight="bold">{style.layer_head(layer)}</text>']
    for n, h in enumerate(heads):  # legend: one coloured square per head
        x = width / 2 - 11 * len(heads) + 22 * n
        parts.append(f'<rect x="{x}" y="20" width="16" height="12" fill="{COLORS[h % len(COLORS)]}"><title>{style.layer_head(None, h)}</title></rect>')
    for side, tokens, x, anchor in (("q", left, TEXT_W, "end"), ("k", right, TEXT_W + GAP, "start")):
        for i, tok in enumerate(tokens):
            parts.append(f'<text x="{x}" y="{TOP + i * ROW + 14}" text-anchor="{anchor}">{html.escape(str(tok))}</text>')
    for h in heads:
        for i in range(attn.shape[1]):
            for j in range(attn.shape[2]):
                w = float(attn[h, i, j])
                if w >= 0.02:
                    parts.append(f'<line x1="{x1}" y1="{TOP + i * ROW + 9}" x2="{x2}" y2="{TOP + j * ROW + 9}" '
                                 f'stroke="{COLORS[h % len(COLORS)]}" stroke-width="2" stroke-opacity="{w:.2f}"/>')
    parts.append("</svg>")
    return "".join(parts)


def head_view_html(blocks, layer=None, heads=None) -> str:
    """blocks: list of (name, attn (L, H, T_q, T_k) numpy, query tokens, key tokens)."""
    check_choice(blocks, layer=layer, heads=heads)
    out = ['<div class="course-head-view" style="font-family:Helvetica, Arial, sans-serif">']
    for name, attn, left, right in blocks:
        L, H = attn.shape[:2]
        chosen = list(range(H)) if heads is None else list(heads)
        layers = range(L) if layer is None else [layer]
        if name:
            out.append(f"<div><b>{html.escape(name)}</b></div>")
        out.append('<div style="display:flex;flex-wrap:wrap;gap:12px">')
        out += [_svg_layer(attn[l], left, right, l, chosen) for l in layers]
        out.append("</div>")
    out.append("<div style='font-size:14px;color:#444'>Lines: query (left) to key (right), one colour per "
               "head (hover a square for its number), darker = more weight.</div></div>")
    return "\n".join(out)


def model_view_html(blocks, layers=None, heads=None) -> str:
    """The layers x heads grid of heatmaps for each block, as inline PNG images."""
    check_choice(blocks, layers=layers, heads=heads)
    out = ['<div class="course-model-view">']
    for name, attn, left, right in blocks:
        attn = attn if layers is None else attn[list(layers)]
        attn = attn if heads is None else attn[:, list(heads)]
        axes = attention_grid([a[None] for a in attn], tokens=left, keys=right,
                              title=f"{name}: rows = queries, columns = keys" if name else None)
        buffer = io.BytesIO()
        axes[0][0].figure.savefig(buffer, format="png", dpi=style.DPI, bbox_inches="tight")
        plt.close(axes[0][0].figure)
        png = base64.b64encode(buffer.getvalue()).decode("ascii")
        out.append(f'<img alt="attention grid" src="data:image/png;base64,{png}"/>')
    out.append("</div>")
    return "\n".join(out)

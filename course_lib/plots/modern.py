"""Figures for 12_modern_llm: the memory of a KV cache against the context, the receptive field of
stacked sliding-window attention, and held-out loss against training time for runs side by side.

Plots take plain numbers, boolean arrays or training histories and return the matplotlib Axes they drew
on, in the course style (course_lib.plots.style): every line has its own colour, line style and marker,
layers are numbered from 1, reachable / unreachable cells use the mask colours and hatching with a legend.
Deliberately left out: computing anything that is measured (the notebook measures, these only draw);
the formulas they draw come from course_lib.modern.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from course_lib.guards import describe
from course_lib.modern import kv_cache_bytes, receptive_field
from course_lib.plots import inputs, style, to_numpy

GiB = 2 ** 30
GPU_MEMORY = (("16 GiB (a T4)", 16), ("80 GiB (an A100 or H100)", 80))


def _tokens(n: int) -> str:
    """A context length as it is usually written: 512, 4k, 128k, 1M."""
    if n >= 2 ** 20 and n % 2 ** 20 == 0:
        return f"{n // 2 ** 20}M"
    return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else str(n)


def plot_kv_cache_memory(curves: dict, batch: int = 1, bytes_per_value: float = 2, contexts=None,
                         context: int | None = None, ax=None, title: str | None = None, gpus=GPU_MEMORY):
    """KV-cache memory (GiB, log scale) against the context length (log scale), one line per model shape.

    curves: {label: (n_layers, n_kv_heads, d_head)}; the bytes come from course_lib.modern.kv_cache_bytes
    for `batch` sequences at `bytes_per_value` bytes per number (2: fp16/bf16). contexts: the x values
    (default 1k to 1M tokens, powers of 4). context: a dotted vertical line at this length. gpus:
    (label, GiB) pairs drawn as horizontal reference lines (a whole GPU's memory, weights not counted).
    """
    if not curves:
        raise ValueError("curves must hold at least one {label: (n_layers, n_kv_heads, d_head)} entry")
    inputs.entries("curves", curves, "{label: (n_layers, n_kv_heads, d_head)}")
    for label, shape in curves.items():
        if not (isinstance(shape, (list, tuple)) and len(shape) == 3):
            raise TypeError(f"curves[{label!r}] must be (n_layers, n_kv_heads, d_head), got {describe(shape)}")
    if context is not None:
        inputs.count("context", context)
    contexts = list(contexts) if contexts is not None else [4 ** i * 1024 for i in range(6)]
    if ax is None:
        _, ax = style.subplots(figsize=(7.8, 4.3))
    for i, (label, (n_layers, n_kv_heads, d_head)) in enumerate(curves.items()):
        gib = [kv_cache_bytes(n_layers, n_kv_heads, d_head, c, batch, bytes_per_value) / GiB for c in contexts]
        ax.plot(contexts, gib, label=label, **style.line_style(i))
    for j, (label, gib) in enumerate(gpus):
        ax.axhline(gib, color=style.OKABE_ITO["grey"], linestyle=(0, (1, 2)) if j else (0, (4, 2)), linewidth=1.4)
        ax.annotate(label, xy=(0.01, gib), xycoords=("axes fraction", "data"), va="bottom", ha="left",
                    fontsize=style.SMALL, color="#444444")
    if context is not None:
        ax.axvline(context, color="black", linestyle=":", linewidth=1.2, label=f"context {_tokens(context)}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(contexts, [_tokens(c) for c in contexts])
    ax.minorticks_off()
    ax.set_yscale("log")
    ax.set_xlabel("context length (tokens per sequence)")
    ax.set_ylabel("KV cache (GiB)")
    precision = {4: "fp32", 2: "fp16/bf16", 1: "int8", 0.5: "int4"}.get(bytes_per_value, f"{bytes_per_value} B")
    ax.set_title(title or f"KV cache for {batch} sequence{'s' if batch != 1 else ''}, {precision}")
    ax.legend(loc="lower right")
    return ax


def plot_receptive_field(reach, window: int, axes=None, title: str | None = None):
    """Which positions the last token can draw from after 1..L layers of sliding-window attention.

    reach: (L, T) booleans, row l = the input positions that reach the last token through l + 1 layers
    (e.g. the last row of the l + 1-th boolean power of the window mask). Left: the rows as a grid;
    right: how many positions that is, counted from the grid (markers) and from the formula
    course_lib.modern.receptive_field (a line), capped by T.
    """
    r = to_numpy(reach)
    if r.ndim != 2:
        raise ValueError(f"reach must be a 2-D (layers, positions) array of booleans, got shape {tuple(r.shape)}")
    r = inputs.boolean_grid("reach", r, "(layers, positions)", "True = the position reaches the last token")
    L, T = r.shape
    if axes is None:
        _, axes = style.subplots(1, 2, figsize=(8.6, 0.36 * L + 2.3), gridspec_kw={"width_ratios": [2.2, 1]})
    grid, sizes = axes
    codes = np.where(r, 0, 1)
    grid.imshow(codes, cmap=ListedColormap([style.MASK_ATTEND, style.MASK_BLOCKED]), vmin=-0.5, vmax=1.5,
                aspect="auto", interpolation="nearest")
    cells = [Rectangle((j - 0.5, i - 0.5), 1, 1) for i, j in zip(*np.nonzero(codes == 1))]
    if cells:
        grid.add_collection(PatchCollection(cells, facecolor="none", edgecolor="#7a7a7a", linewidth=0,
                                            hatch=style.MASK_HATCH["blocked"]))
    grid.set_xticks([x - 0.5 for x in range(1, T)], minor=True)
    grid.set_yticks([y - 0.5 for y in range(1, L)], minor=True)
    grid.grid(which="minor", color="white", linewidth=1.0)
    grid.tick_params(which="minor", length=0)
    grid.set_yticks(range(L), [f"layer {i + 1}" for i in range(L)])
    step = max(1, int(np.ceil(T / 12)))
    ticks = [j for j in range(T) if (T - 1 - j) % step == 0]
    grid.set_xticks(ticks, [str(j) for j in ticks])
    grid.set_xlabel(f"input position (the last token is {T - 1})")
    grid.set_ylabel("depth")
    grid.set_title(f"what the last token draws from (window {window})")
    handles = [Patch(facecolor=style.MASK_ATTEND, edgecolor="#666666", label="reaches the last token"),
               Patch(facecolor=style.MASK_BLOCKED, hatch=style.MASK_HATCH["blocked"], edgecolor="#666666",
                     label="out of reach")]
    grid.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.22), ncol=2, frameon=False,
                handlelength=1.6, handleheight=1.2)
    depth = np.arange(1, L + 1)
    sizes.plot(depth, [min(receptive_field(int(d), window), T) for d in depth], label="1 + L (window - 1)",
               color=style.COLORS[1], linestyle="--")
    sizes.plot(depth, r.sum(axis=1), label="counted", color=style.COLORS[0], linestyle="none", marker="o")
    sizes.set_xticks(depth)
    sizes.set_xlabel("layers L")
    sizes.set_ylabel("positions in reach")
    sizes.set_title("+ (window - 1) per layer")
    sizes.yaxis.set_major_locator(MaxNLocator(integer=True))
    sizes.legend(loc="upper left", bbox_to_anchor=(-0.25, -0.22), frameon=False)  # below: the panel is narrow
    fig = grid.figure
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes


def plot_loss_vs_time(histories: dict, ax=None, title: str = "held-out loss against training time"):
    """Validation loss against seconds of training, one line per run: {label: History}.

    Runs that share a wall-clock budget are compared where they cross a vertical line, not by step.
    """
    if isinstance(histories, dict) and not histories:
        raise ValueError("histories must hold at least one {label: History} entry")
    for label, h in inputs.entries("histories", histories, "{label: History}").items():
        inputs.history(f"histories[{label!r}]", h, pairs=(("val_time", "val_loss"),))
    if ax is None:
        _, ax = style.subplots(figsize=(7.2, 4.2))
    for i, (label, h) in enumerate(histories.items()):
        ax.plot(h.val_time, h.val_loss, label=f"{label} ({h.step} steps)", ms=5, **style.line_style(i))
    ax.set_xlabel("seconds of training (evaluations included)")
    ax.set_ylabel("validation loss")
    ax.set_title(title)
    ax.legend()
    return ax

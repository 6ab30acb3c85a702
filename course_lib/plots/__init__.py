"""Static figures shared by every notebook; one submodule per topic adds its own figures.

Plots take plain tensors/arrays and token strings and return the matplotlib Axes they drew on, so a
notebook can add to them. All of them follow the course style of course_lib.plots.style (applied when
this package is imported): legible on a projector, one colour convention for attention and for masks,
layers and heads numbered from 1. Deliberately left out: interactivity (course_lib.widgets).
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.plots import inputs, style

style.apply()


def to_numpy(x) -> np.ndarray:
    """A 2-D float array from a tensor (any device, with or without grad) or an array-like."""
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=float)


def set_tick_labels(ax, axis: str, labels, rotate: bool = True, tokens: bool = True) -> None:
    """Token labels on one axis of a matrix, one per row/column, never overlapping; whitespace is made
    visible ("␣", "↵") as for every token in the course (tokens=False: plain names, written as they are).

    x labels stay flat when they fit, else turn 45 or 90 degrees; when even that does not fit, only every
    k-th label is shown (the others are left empty, still one tick per entry).
    """
    labels = [style.label(t) if tokens else style.plain(t) for t in labels]
    n = len(labels)
    fig = ax.figure
    box = ax.get_position()
    size_px = (box.width * fig.get_figwidth() if axis == "x" else box.height * fig.get_figheight()) * fig.dpi
    per_entry = 0.9 * size_px / max(n, 1)  # tight_layout and the colour bar may take some room later
    line_px = 1.15 * style.TICK * fig.dpi / 72  # one line of tick text and a small gap
    flat_px = 0.62 * style.TICK * fig.dpi / 72 * max((len(t) for t in labels), default=0) + 4
    fits_flat = axis == "x" and (not rotate or flat_px <= per_entry)
    step = 1 if fits_flat else max(1, math.ceil(line_px / max(per_entry, 1e-6)))
    shown = [t if i % step == 0 else "" for i, t in enumerate(labels)]
    if axis == "y":
        ax.set_yticks(range(n), shown)
        return
    ax.set_xticks(range(n), shown)
    if fits_flat:
        return
    angle = 45 if per_entry * step >= 1.5 * line_px else 90
    for t in ax.get_xticklabels():
        t.set(rotation=angle, ha="right" if angle == 45 else "center", rotation_mode="anchor" if angle == 45 else "default")


def annotate_cells(ax, image, matrix, fmt: str = ".2f", fontsize: float = style.SMALL) -> None:
    """Write each value in its cell, black or white, whichever contrasts more with that cell's colour."""
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            colour = style.text_colour_on(image.cmap(image.norm(matrix[i, j])))
            ax.text(j, i, format(matrix[i, j], fmt), ha="center", va="center", fontsize=fontsize, color=colour)


def heatmap(matrix, rows=None, cols=None, ax=None, title=None, xlabel=None, ylabel=None,
            cmap=None, vmin=None, vmax=None, annotate=False, colorbar=True, cbar_label: str | None = None,
            attention: bool = False, fmt: str = ".2f"):
    """Draw a labelled heatmap of a 2-D matrix (e.g. attention weights: rows = queries, cols = keys).

    attention=True: the course's attention convention (viridis, fixed 0 to 1, a colour bar saying so);
    the matrix must then hold weights in [0, 1]. Otherwise the colour bar is labelled `cbar_label`
    ("value" by default). rows / cols label the matrix with tokens (whitespace made visible).
    """
    m = inputs.array("matrix", matrix)
    if m.ndim != 2:
        raise ValueError(f"heatmap expects a 2-D matrix, got shape {tuple(m.shape)}")
    inputs.not_empty("matrix", m, "row and one column")
    if attention:
        inputs.probabilities("matrix", m)
    if ax is None:
        width = min(style.MAX_WIDTH_IN, 0.42 * m.shape[1] + 3.2)
        _, ax = style.subplots(figsize=(width, min(9.0, 0.36 * m.shape[0] + 2.0)))
    if attention:
        cmap, vmin, vmax = style.ATTENTION_CMAP, 0, 1
    im = ax.imshow(m, cmap=cmap or style.ATTENTION_CMAP, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    for labels, axis, n, name in ((rows, "y", m.shape[0], "rows"), (cols, "x", m.shape[1], "cols")):
        if labels is not None:
            labels = inputs.tokens(name, labels)
            if len(labels) != n:
                raise ValueError(f"{len(labels)} {name} labels for a matrix with {n} {name}")
            set_tick_labels(ax, axis, labels)
    if annotate:
        annotate_cells(ax, im, m, fmt)
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if colorbar:
        if attention:
            style.attention_colorbar(im, ax)
        else:
            style.colorbar(im, ax, cbar_label or "value")
    return ax

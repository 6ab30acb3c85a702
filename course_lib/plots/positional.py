"""Figures of positional encodings for 03_positional_encoding: the table, its waves, dot products by distance.

Every function takes the (max_len, d_model) table as a tensor or array and returns what it drew on.
Deliberately left out: anything that computes encodings (course_lib.positional does that).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import patheffects

from course_lib.plots import heatmap, inputs, style


def _wavelength(dim: int, d_model: int, base: float = 10000.0) -> float:
    """Positions per full turn of dimension `dim`: 2 pi base^(2i / d_model) with i = dim // 2."""
    return 2 * math.pi * base ** (2 * (dim // 2) / d_model)


def _table(pe):
    """The positional table as a (max_len, d_model) float array, or a clear error."""
    return inputs.not_empty("pe", inputs.array("pe", pe, dims=2, what="(max_len, d_model)"), "position and dimension")


def plot_table(pe, ax=None, title: str = "sinusoidal positional encoding"):
    """The table as a heatmap: one row per position, one column per dimension, values in [-1, 1]."""
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.2))
    return heatmap(pe, ax=ax, title=title, xlabel="dimension", ylabel="position", cmap=style.DIVERGING_CMAP,
                   vmin=-1, vmax=1, cbar_label="value")


def plot_waves(pe, dims, ax=None, title: str = "each dimension is a wave over positions", samples: int = 8):
    """Several columns of the table against position: fast waves in low dimensions, slow ones in high.

    The curves are the formula drawn `samples` times finer than the integer positions (so fast waves
    look like waves); the dots are the values the table holds. The legend sits beside the plot.
    """
    table = _table(pe)
    max_len, d_model = table.shape
    dims = inputs.indices("dims", dims, d_model, "a dimension of the table")
    samples = inputs.count("samples", samples)
    if ax is None:
        _, ax = style.subplots(figsize=(8.0, 3.8))
    fine = np.linspace(0, max_len - 1, (max_len - 1) * samples + 1)
    for k, d in enumerate(dims):
        look = style.line_style(k)
        kind = "sin" if d % 2 == 0 else "cos"
        wave = np.sin if d % 2 == 0 else np.cos
        ax.plot(fine, wave(fine / _wavelength(d, d_model) * 2 * math.pi), color=look["color"],
                linestyle=look["linestyle"], linewidth=1.4,
                label=f"dim {d} ({kind}, wavelength {_wavelength(d, d_model):.0f})")
        ax.plot(np.arange(max_len), table[:, d], linestyle="none", marker=look["marker"], markersize=4,
                color=look["color"])
    ax.set(title=title, xlabel="position", ylabel="PE[position, dim]", ylim=(-1.15, 1.15))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def plot_distance_dots(pe, positions, ax=None, title: str = "PE[i] · PE[j] depends only on j - i"):
    """For a few positions i, the dot product PE[i] · PE[j] against j: the same curve, shifted to i."""
    table = _table(pe)
    positions = inputs.indices("positions", positions, len(table), "a position of the table")
    if ax is None:
        _, ax = style.subplots(figsize=(8.0, 4.0))
    gram = table @ table.T  # (max_len, max_len)
    for k, i in enumerate(positions):
        look = style.line_style(k)
        ax.plot(gram[i], label=f"i = {i}", color=look["color"], linestyle=look["linestyle"])
        ax.axvline(i, color=look["color"], linestyle=":", linewidth=1)
    ax.set(title=title, xlabel="position j", ylabel="PE[i] · PE[j]")
    ax.legend()
    return ax


def plot_position_and_dimension(pe, position: int, dimension: int):
    """Three linked views: the table with one row and one column marked, that column's wave, that row's vector."""
    table = _table(pe)
    position = inputs.index("position", position, table.shape[0], "a row of the table")
    dimension = inputs.index("dimension", dimension, table.shape[1], "a column of the table")
    d_model = table.shape[1]
    fig, axes = style.subplots(1, 3, figsize=(9.6, 3.9))
    plot_table(table, ax=axes[0], title="the table")
    for line in (axes[0].axhline(position), axes[0].axvline(dimension)):  # black on a white halo: seen on any colour
        line.set(color="black", linewidth=2.0, linestyle="--",
                 path_effects=[patheffects.Stroke(linewidth=5, foreground="white"), patheffects.Normal()])
    axes[1].plot(table[:, dimension], color=style.COLORS[0])
    axes[1].plot([position], [table[position, dimension]], "o", color="black", markersize=8)
    kind = "sin" if dimension % 2 == 0 else "cos"
    axes[1].set(title=f"dim {dimension} ({kind}), wavelength {_wavelength(dimension, d_model):.0f}",
                xlabel="position", ylabel="value", ylim=(-1.15, 1.15))
    colours = [style.OKABE_ITO["orange"] if d % 2 == 0 else style.OKABE_ITO["purple"] for d in range(d_model)]
    bars = axes[2].bar(range(d_model), table[position], color=colours)
    for d, bar in enumerate(bars):
        bar.set_hatch("" if d % 2 == 0 else "//")
    bars[dimension].set(edgecolor="black", linewidth=2)
    axes[2].set(title=f"position {position}: sin plain, cos hatched", xlabel="dimension", ylabel="value",
                ylim=(-1.15, 1.15))
    fig.tight_layout()
    return axes

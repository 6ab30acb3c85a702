"""Figures of positional encodings for 03_positional_encoding: the table, its waves, dot products by distance.

Every function takes the (max_len, d_model) table as a tensor or array and returns what it drew on.
Deliberately left out: anything that computes encodings (course_lib.positional does that).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt

from course_lib.plots import heatmap, to_numpy


def _wavelength(dim: int, d_model: int, base: float = 10000.0) -> float:
    """Positions per full turn of dimension `dim`: 2 pi base^(2i / d_model) with i = dim // 2."""
    return 2 * math.pi * base ** (2 * (dim // 2) / d_model)


def plot_table(pe, ax=None, title: str = "sinusoidal positional encoding"):
    """The table as a heatmap: one row per position, one column per dimension, values in [-1, 1]."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.6))
    ax = heatmap(pe, ax=ax, title=title, xlabel="dimension", ylabel="position", cmap="RdBu_r", vmin=-1, vmax=1)
    ax.images[-1].set_interpolation("nearest")  # one block per entry: sharp, and a much lighter PNG
    return ax


def plot_waves(pe, dims, ax=None, title: str = "each dimension is a wave over positions"):
    """Several columns of the table against position: fast waves in low dimensions, slow ones in high."""
    table = to_numpy(pe)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.2))
    for d in dims:
        kind = "sin" if d % 2 == 0 else "cos"
        ax.plot(table[:, d], "o-", markersize=3, linewidth=1,
                label=f"dim {d} ({kind}, wavelength {_wavelength(d, table.shape[1]):.0f})")
    ax.set(title=title, xlabel="position", ylabel="PE[position, dim]", ylim=(-1.15, 1.15))
    ax.legend(fontsize=7, loc="lower left", ncol=2)
    return ax


def plot_distance_dots(pe, positions, ax=None, title: str = "PE[i] · PE[j] depends only on j - i"):
    """For a few positions i, the dot product PE[i] · PE[j] against j: the same curve, shifted to i."""
    table = to_numpy(pe)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.2))
    gram = table @ table.T  # (max_len, max_len)
    for i in positions:
        line, = ax.plot(gram[i], label=f"i = {i}")
        ax.axvline(i, color=line.get_color(), linestyle=":", linewidth=1)
    ax.set(title=title, xlabel="position j", ylabel="PE[i] · PE[j]")
    ax.legend(fontsize=8)
    return ax


def plot_position_and_dimension(pe, position: int, dimension: int):
    """Three linked views: the table with one row and one column marked, that column's wave, that row's vector."""
    table = to_numpy(pe)
    d_model = table.shape[1]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3), gridspec_kw={"width_ratios": [1.1, 1.3, 1.3]})
    plot_table(table, ax=axes[0], title="the table")
    axes[0].axhline(position, color="lime", linewidth=2.5)
    axes[0].axvline(dimension, color="lime", linewidth=2.5)
    axes[1].plot(table[:, dimension], color="tab:blue")
    axes[1].plot([position], [table[position, dimension]], "o", color="black")
    kind = "sin" if dimension % 2 == 0 else "cos"
    axes[1].set(title=f"dim {dimension} ({kind}), wavelength {_wavelength(dimension, d_model):.0f}",
                xlabel="position", ylabel="value", ylim=(-1.15, 1.15))
    axes[2].bar(range(d_model), table[position], color=["tab:orange" if d % 2 == 0 else "tab:purple"
                                                        for d in range(d_model)])
    axes[2].axvspan(dimension - 0.5, dimension + 0.5, color="lime", alpha=0.5, zorder=0)
    axes[2].set(title=f"vector of position {position} (orange sin, purple cos)", xlabel="dimension",
                ylabel="value", ylim=(-1.15, 1.15))
    fig.tight_layout()
    return axes

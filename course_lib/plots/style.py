"""The one figure style of the course, used by every notebook (01_tokenization to 11_pretrained_models).

Rules (tests/test_figures.py renders every plot of course_lib.plots and checks them):
  - Legible on a projector. A 1280 x 720 projector shows a notebook at normal zoom with one image pixel
    per screen pixel, so figures are drawn at DPI = 100 and at most MAX_WIDTH_PX = 1000 px wide (wider
    ones would be scaled down), and no text is smaller than MIN_FONT_PX = 14 px (10.1 pt at 100 dpi):
    titles 13 pt, axis labels 12 pt, ticks, legends and numbers in cells 11 pt, dense labels 10.5 pt.
  - Attention weights: one sequential, colour-blind-safe colormap (ATTENTION_CMAP, viridis), always on
    the fixed scale 0 to 1 with a colour bar that says so (`attention_colorbar`). Other matrices get a
    colour bar naming what the colour is; signed values use a diverging map centred on 0.
  - Masks: blue = may attend, light grey with "x" hatching = blocked, sand with "/" hatching = blocked
    because the key is padding (a [PAD] column); always with a legend (`mask_legend`), so the three
    kinds differ without colour too.
  - Categories and lines: the Okabe-Ito palette (colour-blind-safe), and never colour alone: every
    line also gets its own line style and marker (`line_style(i)`), every category of points its own
    pair of colour and marker (`category_style(i)`, distinct for up to 49 categories) and a label.
  - Log axes always show readable tick labels, written as plain numbers (0.2, 5, 1000), even when the
    data span less than a power of ten (`log_axis`).
  - Numbers inside coloured cells are black or white, whichever contrasts more with that cell
    (`text_colour_on`).
  - Layers and heads are numbered from 1 in every title and label: "layer 1..L, head 1..H"
    (`layer_head(layer, head)` takes the 0-based indices the tensors use).
  - Visible whitespace, one glyph each: a space is "␣", a newline "↵", a tab "⇥" (`visible(token)`);
    `label(token)` also keeps a "$" in a token from being read as matplotlib mathtext. Names that are
    not tokens (categories, vector names) are written as they are (`plain`).
Importing course_lib.plots applies the style (`apply()`); plots create figures with `subplots`.
Deliberately left out: themes, dark mode and per-notebook styles.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.colors import to_rgb
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, Locator, LogLocator, MaxNLocator, NullFormatter

DPI = 100
MIN_FONT_PX = 14
MAX_WIDTH_PX = 1000
MAX_WIDTH_IN = MAX_WIDTH_PX / DPI
TITLE, LABEL, TICK, LEGEND, SMALL = 13, 12, 11, 11, 10.5  # points

OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
             "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000", "grey": "#8C8C8C"}
COLORS = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (3, 1, 1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo"]

ATTENTION_CMAP = "viridis"
ATTENTION_LABEL = "attention weight (0 to 1)"
DIVERGING_CMAP = "RdBu_r"
MASK_ATTEND, MASK_BLOCKED, MASK_PADDING = OKABE_ITO["blue"], "#EEEEEE", "#F5DDB0"
MASK_HATCH = {"blocked": "xx", "padding": "//"}
MASK_NAMES = {"attend": "may attend", "blocked": "blocked", "padding": "blocked: padding key"}
PAD_TOKENS = ("[PAD]", "<pad>", "<|pad|>")

VISIBLE = str.maketrans({" ": "␣", "\n": "↵", "\t": "⇥", "\r": "\\r"})

RC = {
    "figure.dpi": DPI, "savefig.dpi": "figure", "figure.figsize": (6.4, 4.0), "figure.facecolor": "white",
    "font.size": LABEL, "axes.titlesize": TITLE, "axes.labelsize": LABEL, "xtick.labelsize": TICK,
    "ytick.labelsize": TICK, "legend.fontsize": LEGEND, "legend.title_fontsize": LEGEND,
    "figure.titlesize": TITLE + 1, "figure.labelsize": LABEL, "legend.framealpha": 0.9,
    "axes.prop_cycle": cycler(color=COLORS) + cycler(linestyle=LINESTYLES),
    "image.cmap": ATTENTION_CMAP, "image.interpolation": "nearest", "axes.grid": False,
    "lines.linewidth": 1.8, "hatch.linewidth": 0.8,
}


def apply() -> None:
    """Make the course style the matplotlib default (fonts, dpi, colours); importing plots calls it."""
    mpl.rcParams.update(RC)


def subplots(nrows: int = 1, ncols: int = 1, figsize=None, **kwargs):
    """plt.subplots in the course style: DPI dots per inch, at most MAX_WIDTH_IN inches wide."""
    apply()
    if figsize is not None:
        figsize = (min(float(figsize[0]), MAX_WIDTH_IN), float(figsize[1]))
    return plt.subplots(nrows, ncols, figsize=figsize, dpi=DPI, **kwargs)


def visible(token) -> str:
    """A token with its whitespace made visible: "␣" for a space, "↵" a newline, "⇥" a tab."""
    return str(token).translate(VISIBLE)


def label(token) -> str:
    """A token as matplotlib text: whitespace visible, and "$" shown as a dollar sign, never as maths."""
    return visible(token).replace("$", r"\$")


def plain(text) -> str:
    """A name or a word as matplotlib text, written as it is ("$" shown as a dollar sign, never as maths)."""
    return str(text).replace("$", r"\$")


def layer_head(layer: int | None = None, head=None) -> str:
    """ "layer 2, head 3" from 0-based indices (1-based in every title); head may also be a word ("mean of heads")."""
    parts = [] if layer is None else [f"layer {int(layer) + 1}"]
    if isinstance(head, str):
        parts.append(head)
    elif head is not None:
        parts.append(f"head {int(head) + 1}")
    return ", ".join(parts)


def line_style(i: int) -> dict:
    """Colour, line style and marker of the i-th line: lines differ in more than colour."""
    return {"color": COLORS[i % len(COLORS)], "linestyle": LINESTYLES[i % len(LINESTYLES)],
            "marker": MARKERS[i % len(MARKERS)]}


def category_style(i: int) -> dict:
    """Colour and marker of the i-th category of points: the 7 colours and the 7 markers are combined
    so that the first 49 categories all differ in their pair (the 8th category is blue again, with a
    new marker), and never in colour alone."""
    n = len(COLORS)
    if not 0 <= i < n * len(MARKERS):
        raise ValueError(f"category_style draws {n * len(MARKERS)} categories distinctly, got category {i}")
    return {"color": COLORS[i % n], "marker": MARKERS[(i + i // n) % len(MARKERS)]}


class LogTicks(Locator):
    """Major ticks of a log axis that always leave at least two inside the view: the powers of ten
    (fewer over many decades); over a shorter range 1, 2 and 5 times the powers of ten (0.2, 0.5, 1);
    over a shorter one every digit (0.6, 0.7, 0.8); over a tiny one a few evenly spaced values."""

    def __call__(self):
        return self.tick_values(*self.axis.get_view_interval())

    def tick_values(self, vmin, vmax):
        low, high = sorted((vmin, vmax))
        ticks = LogLocator(base=10, numticks=6).tick_values(low, high)
        decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for digits in ((1, 2, 5), range(1, 10)):
            if ((ticks >= low) & (ticks <= high)).sum() >= 2:
                return ticks
            ticks = np.array([d * 10.0 ** e for e in decades for d in digits])
        if ((ticks >= low) & (ticks <= high)).sum() >= 2:
            return ticks
        return MaxNLocator(nbins=4).tick_values(low, high)


def log_label(value, _position=None) -> str:
    """A log axis' tick label as a plain number (0.002, 0.5, 1000, 3.5e-07); other powers of ten as $10^{-6}$."""
    power = math.log10(value) if value > 0 else 0.0
    if (value < 1e-3 or value > 1e3) and np.isclose(power, round(power)):
        return f"$10^{{{round(power)}}}$"
    return f"{value:g}"


def log_axis(ax, which: str = "y") -> None:
    """Make the x or y axis of ax logarithmic, with tick labels that are readable at any range (LogTicks,
    written by log_label); minor ticks stay unlabelled."""
    if which == "y":
        ax.set_yscale("log")
    else:
        ax.set_xscale("log")
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_locator(LogTicks())
    axis.set_major_formatter(FuncFormatter(log_label))
    axis.set_minor_formatter(NullFormatter())


def luminance(colour) -> float:
    """Relative luminance (WCAG 2) of a matplotlib colour."""
    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(background) -> str:
    """Black or white, whichever contrasts more with the background colour."""
    return "black" if contrast("black", background) >= contrast("white", background) else "white"


def colorbar(mappable, ax, label: str):
    """A colour bar beside ax (an Axes or several) that names what its colour shows."""
    fig = mappable.axes.figure if getattr(mappable, "axes", None) is not None else ax.figure
    bar = fig.colorbar(mappable, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label(label)
    return bar


def attention_colorbar(mappable, ax):
    """The colour bar of attention weights: fixed scale 0 to 1."""
    mappable.set_clim(0, 1)
    bar = colorbar(mappable, ax, ATTENTION_LABEL)
    bar.set_ticks([0, 0.5, 1])
    return bar


def mask_handles(kinds=("attend", "blocked", "padding")) -> list[Patch]:
    """Legend entries of the mask convention, in its colours and hatches."""
    colours = {"attend": MASK_ATTEND, "blocked": MASK_BLOCKED, "padding": MASK_PADDING}
    return [Patch(facecolor=colours[k], hatch=MASK_HATCH.get(k, ""), edgecolor="#666666", label=MASK_NAMES[k])
            for k in kinds]


def mask_legend(target, kinds=("attend", "blocked", "padding"), **kwargs):
    """The mask legend (may attend / blocked / blocked because of padding): to the right of an Axes, or
    along the bottom of a Figure (leave it room, e.g. fig.tight_layout(rect=(0, 0.1, 1, 1)))."""
    handles = mask_handles(kinds)
    options = dict(handles=handles, handlelength=1.6, handleheight=1.2)
    if hasattr(target, "transAxes"):
        options.update(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False)
    else:
        options.update(loc="lower center", ncol=len(handles), frameon=False)
    options.update(kwargs)
    return target.legend(**options)

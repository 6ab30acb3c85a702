"""Figures of 11_pretrained_models: our logits against the library's, and model sizes on a log scale.

Deliberately left out: attention figures (course_lib.plots.transformer and course_lib.viz draw them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_lib.plots import inputs, style


def agreement_scatter(ours, theirs, ax=None, title: str = "our model vs Hugging Face", max_points: int = 4000):
    """Each logit of our model (x) against the same logit from the reference (y); the line is y = x."""
    a, b = inputs.array("ours", ours).ravel(), inputs.array("theirs", theirs).ravel()
    if a.shape != b.shape:
        raise ValueError(f"ours and theirs must hold the same number of values, got {a.size} and {b.size}")
    inputs.finite("ours", inputs.not_empty("ours", a, "logit"))
    inputs.finite("theirs", b)
    max_points = inputs.count("max_points", max_points)
    if ax is None:
        _, ax = style.subplots(figsize=(5.6, 5.0))
    step = max(1, a.size // max_points)
    ax.scatter(a[::step], b[::step], s=6, alpha=0.5, color=style.COLORS[0], label="one logit")
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    ax.plot([lo, hi], [lo, hi], color=style.OKABE_ITO["vermillion"], lw=1.2, linestyle="--", label="y = x")
    ax.set_xlabel("our logit")
    ax.set_ylabel("Hugging Face logit")
    ax.set_title(f"{title}\nlargest difference {np.abs(a - b).max():.1e}")
    ax.legend(loc="upper left")
    return ax


def size_bars(names: Sequence[str], ours: Sequence[float], published: Sequence[float], ax=None,
              title: str = "parameters: our formula vs the papers"):
    """Horizontal bars (log scale) of parameter counts: ours next to the published number (hatched), per
    model, with our count's difference from the published one written beside each pair (a log axis
    cannot show a 1 % difference)."""
    names = inputs.tokens("names", names)
    ours, published = inputs.series("ours", ours), inputs.series("published", published)
    if not len(names) == len(ours) == len(published):
        raise ValueError(f"names, ours and published must have the same length, got {len(names)}, {len(ours)}, "
                         f"{len(published)}")
    if not names:
        raise ValueError("names is empty; expected at least one model")
    for name, counts in (("ours", ours), ("published", published)):
        inputs.positive(name, inputs.finite(name, counts), "parameter counts")
    if ax is None:
        _, ax = style.subplots(figsize=(8.0, 0.6 * len(names) + 1.8))
    y = np.arange(len(names))
    ax.barh(y - 0.2, ours, height=0.4, label="counted by our classes", color=style.COLORS[0])
    ax.barh(y + 0.2, published, height=0.4, label="published", color=style.COLORS[1], hatch="//", edgecolor="white")
    for yi, o, p in zip(y, ours, published):
        ax.text(max(o, p) * 1.15, yi, f"{100 * (o - p) / p:+.1f}%", va="center", fontsize=style.SMALL)
    ax.set_yticks(y, [style.plain(n) for n in names])  # model names, not tokens
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=max(max(ours), max(published)) * 6)
    ax.set_xlabel("parameters (log scale)")
    ax.set_ylabel("model")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return ax

"""Figures of 11_pretrained_models: our logits against the library's, and model sizes on a log scale.

Deliberately left out: attention figures (course_lib.plots.transformer and course_lib.viz draw them).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from course_lib.plots import to_numpy


def agreement_scatter(ours, theirs, ax=None, title: str = "our model vs Hugging Face", max_points: int = 4000):
    """Each logit of our model (x) against the same logit from the reference (y); the line is y = x."""
    a, b = to_numpy(ours).ravel(), to_numpy(theirs).ravel()
    if a.shape != b.shape:
        raise ValueError(f"ours and theirs must hold the same number of values, got {a.size} and {b.size}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.4))
    step = max(1, a.size // max_points)
    ax.scatter(a[::step], b[::step], s=4, alpha=0.5, label="one logit")
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    ax.plot([lo, hi], [lo, hi], color="tab:red", lw=1, label="y = x")
    ax.set_xlabel("our logit")
    ax.set_ylabel("Hugging Face logit")
    ax.set_title(f"{title}\nlargest difference {np.abs(a - b).max():.1e}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return ax


def size_bars(names: Sequence[str], ours: Sequence[float], published: Sequence[float], ax=None,
              title: str = "parameters: our formula vs the papers"):
    """Horizontal bars (log scale) of parameter counts: ours next to the published number, per model."""
    if not len(names) == len(ours) == len(published):
        raise ValueError(f"names, ours and published must have the same length, got {len(names)}, {len(ours)}, "
                         f"{len(published)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 0.45 * len(names) + 1.2))
    y = np.arange(len(names))
    ax.barh(y - 0.2, ours, height=0.4, label="counted by our classes")
    ax.barh(y + 0.2, published, height=0.4, label="published")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("parameters (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right")
    return ax

"""What a saved notebook shows of an attention view (05_multi_head_attention, also 08, 09 and 11).

bertviz's views are JavaScript, which a saved notebook does not keep (tests/execute_notebooks.py
replaces them by a note) and which GitHub and nbviewer would not run. So `AttentionView`, the object
`course_lib.viz.head_view` / `model_view` return, is displayed as two outputs: first a static PNG of the
same attention (course_lib.plots.views), then the live view. The live view's script, once it has
drawn, hides the PNG (it finds it by a piece of its data), so a live notebook shows the picture once.
The course's own fallback view (no JavaScript) is one output whose bundle holds its HTML and the PNG.
Deliberately left out: keeping the live view's JavaScript in saved notebooks.
"""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
from IPython.display import HTML, display
from matplotlib.figure import Figure
from PIL import Image

from course_lib import guards
from course_lib.plots.views import head_view_picture, model_view_picture

NOTE = "static picture of the attention view (run the cell for the interactive one)"


def png_of(fig, colours: int = 128) -> str:
    """A figure as base64 PNG at its own dpi, closed afterwards; stored with a palette of `colours`
    colours (translucent lines anti-aliased in full colour would make it several times larger)."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not guards.is_int(colours) or not 2 <= colours <= 256:
        raise ValueError(f"colours must be an int in [2, 256] (the size of the PNG's palette), got {colours!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    plt.close(fig)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").quantize(colors=colours)
    small = io.BytesIO()
    image.save(small, format="PNG", optimize=True)
    return base64.b64encode(small.getvalue()).decode("ascii")


def pictures(kind: str, blocks, layer=None, heads=None, layers=None) -> list[str]:
    """Base64 PNGs of the head view (one figure) or the model view (one per block)."""
    guards.one_of("kind", kind, ("head", "model"))
    if kind == "head":
        return [png_of(head_view_picture(blocks, layer=layer or 0, heads=heads))]
    return [png_of(fig) for fig in model_view_picture(blocks, layers=layers, heads=heads)]


def marker(png: str) -> str:
    """A piece of the PNG's base64 text that no other picture shares (the live view looks for it)."""
    if not isinstance(png, str):
        raise TypeError(f"png must be a base64 string (from png_of), got {type(png).__name__}")
    middle = len(png) // 2
    return png[middle:middle + 48]


class AttentionView(HTML):
    """An attention view: `.data` is its HTML (what save_html writes), `.pngs` its static pictures."""

    def __init__(self, html: str, pngs: list[str], live: bool):
        if not isinstance(html, str):
            raise TypeError(f"html must be a string, got {type(html).__name__}")
        if not isinstance(pngs, list) or not pngs or not all(isinstance(p, str) for p in pngs):
            raise TypeError(f"pngs must be a non-empty list of base64 PNG strings (from png_of), got {pngs!r:.60}")
        if not isinstance(live, bool):
            raise TypeError(f"live must be True or False, got {live!r}")
        super().__init__(html)
        self.pngs, self.live = pngs, live

    def _repr_png_(self):
        return base64.b64decode(self.pngs[0]) if self.pngs else None

    def _ipython_display_(self, **kwargs) -> None:
        if not self.live:  # the course's own view: one output, HTML where it renders, else the PNG
            display({"text/html": self.data, "image/png": self.pngs[0], "text/plain": NOTE}, raw=True)
            return
        for png in self.pngs:
            display({"image/png": png, "text/plain": NOTE}, raw=True)
        display({"text/html": self.data, "text/plain": "[interactive attention view]"}, raw=True)

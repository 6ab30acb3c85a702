"""Interactive explorers for every notebook, on ipywidgets (works with 7.7 as on Colab, and 8).

Each topic has a submodule (`course_lib.widgets.tokenization`, ...). All explorers are built with
`explorer`: controls above an output area that is redrawn whenever a control changes. Deliberately
left out: `%matplotlib widget` (ipympl is not on Colab); figures are redrawn with the inline backend.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display


def explorer(draw: Callable[..., None], controls: dict, columns: int = 3, title: str | None = None) -> widgets.VBox:
    """Controls plus an output that calls `draw(**values)` on every change and shows what it drew.

    `draw` may print, display HTML or draw matplotlib figures; open figures are shown after it returns.
    Returns the widget (display it, or leave it as the last expression of a cell). `box.redraw()`
    redraws by hand, `box.controls` holds the controls and `box.output` the output area.
    """
    if not controls:
        raise ValueError("explorer needs at least one control")
    out = widgets.Output()

    def redraw(change=None) -> None:
        values = {name: c.value for name, c in controls.items()}
        with out:
            out.clear_output(wait=True)
            draw(**values)
            plt.show()

    for c in controls.values():
        c.observe(redraw, names="value")
    items = list(controls.values())
    rows = [widgets.HBox(items[i:i + columns]) for i in range(0, len(items), columns)]
    header = [widgets.HTML(f"<b>{title}</b>")] if title else []
    box = widgets.VBox(header + rows + [out])
    box.add_class("course-explorer")  # a stable hook: the browser tests find explorers by this class
    box.controls, box.output, box.redraw = controls, out, redraw
    redraw()
    return box


def show(box: widgets.Widget) -> None:
    """Display a widget (for use inside functions, where the last-expression display does not apply)."""
    display(box)

"""Interactive explorers for every notebook, on ipywidgets (works with 7.7 as on Colab, and 8).

Each topic has a submodule (`course_lib.widgets.tokenization`, ...). All explorers are built with
`explorer`: controls above an output area that is redrawn whenever a control changes.

A saved notebook keeps no widget view, so an explorer also shows its first state as ordinary outputs
(a static PNG, plus any text or HTML it prints): that is what GitHub, nbviewer and Colab's preview
show. In a live front end the widget replaces them as soon as it is drawn (the front end reports its
views through ipywidgets' `_view_count`), or at the latest when a control first moves.
Deliberately left out: `%matplotlib widget` (ipympl is not on Colab); figures are redrawn with the
inline backend.
"""

from __future__ import annotations

import html
from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from course_lib.widgets.snapshot import record

EMPTY = {"text/plain": ""}


class Explorer(widgets.VBox):
    """The VBox `explorer` returns: controls, an output area, and a static picture of its first state."""

    def _go_live(self, change=None) -> None:
        """The widget is drawn: show the first state inside it and empty the static copies."""
        if self._live or (change is not None and not change["new"]):
            return
        self._live = True
        self.output.outputs = tuple(self.snapshot)
        for handle in self._handles:
            handle.update(EMPTY, raw=True)
        self._handles = []

    def _ipython_display_(self, **kwargs) -> None:
        if hasattr(widgets.Widget, "_repr_mimebundle_"):  # ipywidgets 8
            display(self._repr_mimebundle_(**kwargs), raw=True)
        else:  # ipywidgets 7 (Colab)
            super()._ipython_display_(**kwargs)
        if self._live:
            return
        for o in self.snapshot:
            self._handles.append(display(o["data"], metadata=o["metadata"], raw=True, display_id=True))

    def values(self) -> dict:
        """The controls' current values, by name (what `draw` is called with)."""
        return {name: c.value for name, c in self.controls.items()}


def explorer(draw: Callable[..., None], controls: dict, columns: int = 3, title: str | None = None) -> Explorer:
    """Controls plus an output that calls `draw(**values)` on every change and shows what it drew.

    `draw` may print, display HTML or draw matplotlib figures; open figures are shown after it returns.
    Returns the widget (display it, or leave it as the last expression of a cell). `box.redraw()`
    redraws by hand, `box.controls` holds the controls, `box.output` the output area, `box.draw` the
    draw function and `box.snapshot` the outputs of the first state (shown as a static picture).
    """
    if not controls:
        raise ValueError("explorer needs at least one control")
    out = widgets.Output()
    items = list(controls.values())
    rows = [widgets.HBox(items[i:i + columns]) for i in range(0, len(items), columns)]
    header = [widgets.HTML(f"<b>{html.escape(str(title))}</b>")] if title else []
    box = Explorer(header + rows + [out])
    box.add_class("course-explorer")  # a stable hook: the browser tests find explorers by this class
    box.controls, box.output, box.draw, box._live, box._handles = controls, out, draw, False, []

    def redraw(change=None) -> None:
        box._go_live()
        with out:
            out.clear_output(wait=True)
            draw(**box.values())
            plt.show()

    for c in controls.values():
        c.observe(redraw, names="value")
    box.redraw = redraw
    box.snapshot = record(lambda: draw(**box.values()))
    box._view_count = 0  # the front end counts the views it draws; the first one makes the explorer live
    box.observe(box._go_live, names="_view_count")
    return box


def show(box: widgets.Widget) -> None:
    """Display a widget (for use inside functions, where the last-expression display does not apply)."""
    display(box)

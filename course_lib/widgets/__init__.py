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
import inspect
from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from course_lib import guards
from course_lib.widgets.snapshot import record

EMPTY = {"text/plain": ""}


def _check_text(name: str, value, none: bool = False) -> str | None:
    """value, if it is a string (or None when none=True)."""
    if not (isinstance(value, str) or (none and value is None)):
        raise TypeError(f"{name} must be a string{' or None' if none else ''}, got {guards.describe(value)}")
    return value


def _check_int(name: str, value, low: int, high: int) -> int:
    """value, if it is an int in [low, high] (a slider would silently move it inside its range)."""
    if not guards.is_int(value) or not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return value


def _check_model(name: str, model, cls: type, what: str):
    """model, if it is an instance of cls (`what` names it in the error, e.g. "course_lib.bert.Bert")."""
    if not isinstance(model, cls):
        raise TypeError(f"{name} must be a {what} (trained or not), got {type(model).__name__}")
    return model


def _check_tokens(name: str, tokens, n: int | None = None) -> list[str]:
    """tokens, if it is a list of strings (of length n when given)."""
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"{name} must be a list of token strings, got {guards.describe(tokens)}")
    if n is not None and len(tokens) != n:
        raise ValueError(f"{name} has {len(tokens)} tokens, expected {n}")
    return list(tokens)


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
    if not callable(draw):
        raise TypeError(f"draw must be a function draw(**values), got {type(draw).__name__}")
    if not isinstance(controls, dict):
        raise TypeError(f"controls must be a dict from names to ipywidgets controls, got {type(controls).__name__}")
    if not controls:
        raise ValueError("explorer needs at least one control")
    for name, c in controls.items():
        if not (isinstance(c, widgets.Widget) and hasattr(c, "value")):
            raise TypeError(f"controls[{name!r}] must be an ipywidgets control with a value (a slider, a dropdown, "
                            f"a text box ...), got {type(c).__name__}")
    try:
        inspect.signature(draw).bind(**dict.fromkeys(controls))
    except TypeError:
        raise TypeError(f"draw must take the controls' names as keyword arguments ({', '.join(controls)}), "
                        f"got draw{inspect.signature(draw)}") from None
    except ValueError:  # no signature to read (a built-in function): its first call will say
        pass
    guards.positive_int("columns", columns)
    _check_text("title", title, none=True)
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

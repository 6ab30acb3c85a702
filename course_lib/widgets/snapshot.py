"""What an explorer's draw function shows, recorded as notebook outputs (every notebook's "try it" cell).

`record(fn)` runs fn and returns what it printed, displayed and drew, in order, as output dicts
(display_data with text/plain, text/html, image/png ...): the static picture of an explorer's first
state, which a saved notebook keeps (GitHub, nbviewer and Colab's preview show it) while the widget
view itself is not saved. `in_snapshot()` lets a draw function add a PNG to what it displays as HTML.
Deliberately left out: stderr (warnings go to the cell as usual).
"""

from __future__ import annotations

import base64
import contextlib
import io
import sys

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

_active = [False]


def in_snapshot() -> bool:
    """True while `record` runs: a draw function that shows HTML may add an image/png beside it."""
    return _active[0]


class _Text(io.TextIOBase):
    """sys.stdout stand-in that appends printed text to the recorded outputs, in order."""

    def __init__(self, outputs: list, echo=None) -> None:
        self.outputs, self.echo = outputs, echo

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if self.echo is not None:  # outside IPython (a script, a test): print as well, as before
            self.echo.write(s)
        if self.outputs and self.outputs[-1].get("_text"):
            self.outputs[-1]["data"]["text/plain"] += s
        else:
            self.outputs.append({"output_type": "display_data", "data": {"text/plain": s}, "metadata": {}, "_text": True})
        return len(s)


def figure_output(fig) -> dict:
    """A matplotlib figure as a display_data output (PNG at the figure's own dpi, tight bounding box)."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
                     "text/plain": f"<Figure size {fig.get_figwidth() * fig.dpi:.0f}x{fig.get_figheight() * fig.dpi:.0f}>"}}


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


@contextlib.contextmanager
def _displays(outputs: list):
    """Route IPython's display() into `outputs` (a no-op outside IPython)."""
    try:
        from IPython import get_ipython
        from IPython.core.displaypub import DisplayPublisher
    except ImportError:
        yield
        return
    shell = get_ipython()
    if shell is None:
        yield
        return

    class Recorder(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            if not update:
                outputs.append({"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})})

    saved, shell.display_pub = shell.display_pub, Recorder()
    try:
        yield
    finally:
        shell.display_pub = saved


def record(fn) -> list[dict]:
    """Run fn(); return what it printed, displayed and drew (figures still open at the end too)."""
    if not callable(fn):
        raise TypeError(f"fn must be a function of no arguments, got {type(fn).__name__}")
    outputs: list[dict] = []
    before = set(plt.get_fignums())
    _active[0] = True
    saved_stdout = sys.stdout
    try:
        with _displays(outputs):
            sys.stdout = _Text(outputs, echo=None if _shell() is not None else saved_stdout)
            try:
                fn()
            finally:
                sys.stdout = saved_stdout
                for number in [n for n in plt.get_fignums() if n not in before]:
                    fig = plt.figure(number)
                    outputs.append(figure_output(fig))
                    plt.close(fig)
    finally:
        _active[0] = False
    for o in outputs:
        o.pop("_text", None)
    return outputs

"""The browser checks can fail: tiny notebooks with known defects, run in the same JupyterLab server.

Each defect a classroom would hit must be caught by the check that is meant to catch it: a traceback,
a widget shown as text, an explorer whose output does not change or raises, a bertviz view without its
drawing, a notebook without an explorer. A sound explorer (a slider that redraws a matplotlib figure)
must pass, and its <img> must change.
"""

from __future__ import annotations

import nbformat
import pytest
from lab_page import LabPage, NotebookFailure

pytestmark = pytest.mark.browser

SETUP = "import ipywidgets as w\nimport matplotlib.pyplot as plt\nfrom course_lib.widgets import explorer"
DEFECTS = [
    SETUP,
    # 0: sound: a slider redraws a figure
    "explorer(lambda n: plt.plot(range(n), [i * i for i in range(n)]), {'n': w.IntSlider(value=3, min=2, max=9)})",
    # 1: frozen: the figure ignores the dropdown
    "explorer(lambda c: plt.plot([1, 2, 3]), {'c': w.Dropdown(options=['a', 'b'])})",
    # 2: raises once the slider moves
    ("def draw(n):\n    if n != 3:\n        raise ValueError('bad n')\n    plt.plot(range(n))\n"
     "explorer(draw, {'n': w.IntSlider(value=3, min=2, max=9)})"),
    # what a missing widget front end shows
    "print('VBox(children=(IntSlider(value=0),))')",
    # a bertviz root that never draws
    ("from IPython.display import HTML\ndef head_view():\n"
     "    return HTML('<div id=\"course-head-view-broken\">no drawing</div>')\nhead_view()"),
    # a request that would leave the machine: the page must never send it
    "HTML('<img src=\"https://example.com/course-offline-probe.png\">')",
]
RAISES = ["x = 1", "1 / 0", "print('never runs')"]


def write(folder, name, sources) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    folder.mkdir(exist_ok=True)  # a subfolder of the server's temp copy: notebooks/ is never touched
    nbformat.write(nb, folder / name)
    return f"{folder.name}/{name}"


@pytest.fixture
def harness_page(lab, offline_page, shutdown_kernels, tmp_path):
    def make(name, sources):
        path = write(lab.root / "_harness", name, sources)
        page = LabPage(offline_page, name, f"{lab.url}/lab/tree/{path}?token={lab.token}&reset", tmp_path, 120,
                       render_timeout=5)
        page.open()
        return page

    return make


def test_catches_explorer_bertviz_widget_text_and_network_defects(harness_page):
    nb = harness_page("defects.ipynb", DEFECTS)
    model = nb.run_all()
    nb.check_cells(model)  # no traceback in any cell: all defects are of the other kinds

    with pytest.raises(NotebookFailure, match=r"widgets shown as text.*VBox\(children="):
        nb.check_widgets(model)
    assert len(nb.page_state()["explorers"]) == 3

    sound = nb.move_one_control(0)
    assert sound["images_before"] == sound["images_after"] == 1
    with pytest.raises(NotebookFailure, match=r"explorer 1 \(cell 2\): its output did not change after any of: .*chose 'b' in a dropdown"):
        nb.move_one_control(1)
    with pytest.raises(NotebookFailure, match=r"(?s)explorer 2 \(cell 3\): pressed ArrowRight .* gave an error: .*ValueError"):
        nb.move_one_control(2)
    with pytest.raises(NotebookFailure, match=r"bertviz views in cells \[5\] did not draw an <svg>"):
        nb.check_bertviz(model)
    assert "https://example.com/course-offline-probe.png" in nb.page.blocked_requests


def test_catches_a_traceback_and_a_missing_explorer(harness_page, tmp_path):
    nb = harness_page("raises.ipynb", RAISES)
    model = nb.run_all()
    with pytest.raises(NotebookFailure, match=r"cell 1 raised ZeroDivisionError: division by zero") as info:
        nb.check_cells(model)
    assert "raises-cell1-error-cell.png" in str(info.value)
    assert (tmp_path / "raises-cell1-error-cell.png").stat().st_size > 1000
    with pytest.raises(NotebookFailure, match="no explorer found"):  # this notebook has none
        nb.check_widgets(model)

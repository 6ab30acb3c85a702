"""Saved explorers and attention views show a picture: a tiny notebook run with nbclient, saved the way
tests/execute_notebooks.py saves the course (widget views stripped, live bertviz views replaced by a
note), must keep a PNG of each explorer's first state and of each attention view. Also: the live loss
plot leaves one line, not a second copy of the final curves, and every string that reaches HTML from
an explorer is escaped.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

from course_lib.viz import offline

ROOT = pathlib.Path(__file__).resolve().parent.parent
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
HOSTILE = ["<script>window.__pwned=1</script>", "</script>", "<img src=x onerror=window.__pwned=2>",
           "<!--<script>", "a\u2028b"]


def _runner():
    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tests" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CELLS = [
    # 0: the inline backend, as in class (the test run sets MPLBACKEND=Agg for its own process)
    "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\nimport torch",
    # 1: an explorer that draws a matplotlib figure
    "from course_lib.widgets.masking import mask_builder\nmask_builder()",
    # 2: an explorer that shows HTML chips, on a tokenizer trained on hostile text
    ("from course_lib.tokenization import BPETokenizer\nfrom course_lib.widgets.tokenization import merge_stepper\n"
     "bpe = BPETokenizer.train('<img/src/onerror=alert(9)> the lowest tower ' * 10, vocab_size=280, pattern=None)\n"
     "merge_stepper(bpe, '<img/src/onerror=alert(9)>')"),
    # 3, 4: bertviz's head and model views (or the course's own view where bertviz is missing)
    ("from course_lib import viz\ng = torch.Generator().manual_seed(0)\n"
     "att = [torch.softmax(torch.randn(1, 2, 5, 5, generator=g), -1) for _ in range(2)]\n"
     f"viz.head_view(att, {HOSTILE!r}, layer=1)"),
    f"viz.model_view(att, {HOSTILE!r})",
    # 5: the live loss plot during a (pretend) training run
    ("from course_lib.plots.training import LivePlot\nfrom course_lib.training import History\n"
     "live = LivePlot()\nfor n in (1, 2, 3):\n"
     "    live(History(steps=list(range(n)), train_loss=[3.0, 2.0, 1.5][:n], lr=[1e-3] * n, step=n))"),
    # 6: the same with keep=True: the last frame stays
    "live = LivePlot(keep=True)\nlive(History(steps=[0, 1], train_loss=[3.0, 2.0], lr=[1e-3] * 2, step=2))",
]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    path = tmp_path_factory.mktemp("snapshot") / "explorers.ipynb"
    NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    raw = [c.outputs for c in nb.cells]
    clean = _runner().clean(nb)
    nbformat.write(clean, path)
    return raw, json.loads(path.read_text())


def _mimes(outputs) -> list[set]:
    return [set(o.get("data", {})) for o in outputs]


def test_explorers_keep_a_picture_of_their_first_state(saved):
    raw, nb = saved
    for i in (1, 2):
        assert any(WIDGET_MIME in m for m in _mimes(raw[i])), f"cell {i} displays no widget"
        mimes = _mimes(nb["cells"][i]["outputs"])
        assert not any(WIDGET_MIME in m for m in mimes), "the saved notebook must hold no widget view"
        assert any("image/png" in m for m in mimes), f"cell {i}: no static picture saved: {mimes}"
    chips = next(o for o in nb["cells"][2]["outputs"] if "image/png" in o.get("data", {}))
    html = "".join(chips["data"]["text/html"])
    assert "&lt;" in html
    assert "<img" not in html and "<script" not in html  # every token and the header are escaped
    assert "widgets" not in nb["metadata"]


def test_attention_views_keep_a_picture(saved):
    _, nb = saved
    for i in (3, 4):
        outputs = nb["cells"][i]["outputs"]
        assert any("image/png" in m for m in _mimes(outputs)), f"cell {i}: no static picture of the view"
        if offline.unavailable_reason() is None:  # the live view itself is replaced by the runner's note
            notes = [o for o in outputs if "interactive attention view" in "".join(o.get("data", {}).get("text/plain", ""))]
            assert notes and "image/png" in outputs[0].get("data", {}), "the picture comes first, then the note"


def test_live_plot_leaves_one_line_not_a_second_figure(saved):
    _, nb = saved
    outputs = nb["cells"][5]["outputs"]
    assert not any("image/png" in m for m in _mimes(outputs)), "the live frame stayed in the saved output"
    text = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "the live loss plot ends with the training" in text
    assert sum("image/png" in m for m in _mimes(nb["cells"][6]["outputs"])) == 1  # keep=True keeps one frame


def test_explorer_title_and_merge_header_are_escaped():
    from course_lib.tokenization import BPETokenizer
    from course_lib.widgets import explorer
    from course_lib.widgets.tokenization import merge_stepper
    import ipywidgets as w

    box = explorer(lambda n: None, {"n": w.IntSlider(value=1)}, title="<img src=x onerror=alert(1)>")
    assert box.children[0].value == "<b>&lt;img src=x onerror=alert(1)&gt;</b>"
    bpe = BPETokenizer.train("<img/src/onerror=alert(9)> " * 10, vocab_size=270, pattern=None)
    shown = []
    import course_lib.widgets.tokenization as tw
    original = tw.display
    tw.display = lambda data, raw=False: shown.append(data)
    try:
        stepper = merge_stepper(bpe, "<img/src/onerror=alert(9)>")
        for step in range(stepper.controls["step"].max + 1):
            stepper.draw(text="<img/src/onerror=alert(9)>", step=step)
    finally:
        tw.display = original
    assert shown and all("<img" not in s["text/html"] and "&lt;" in s["text/html"] for s in shown)


def test_tokens_html_escapes_tokens_colours_and_notes():
    from course_lib.plots.tokenization import tokens_html
    html = tokens_html(["<script>x</script>", "<!--"], [1, 2], colours=["red'><script>", "#fff"],
                       notes=["<b>", "ok"])
    assert "<script" not in html and "<!--" not in html and "<b>" not in html
    assert html.count("<span") == 4  # two chips, each with its note

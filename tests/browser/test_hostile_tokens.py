"""Tokens are data, never markup: hostile tokens in every attention view and every explorer, in Chromium.

Each hostile token would set window.__pwned if the page ran it as HTML or script (`<script>`, a
`</script>` that ends bertviz's script early, `<img onerror>`, `<!--<script>` that would swallow the rest
of the script, U+2028 inside a JavaScript string). The views are opened as saved pages and, with every
explorer, in a real JupyterLab notebook: no script of theirs may run, and every view and explorer must
still draw. In the notebook, each live view also hides the static picture shown before it, and each
explorer replaces its static first state once its widget is drawn.

    python -m pytest -m browser -n 0 tests/browser/test_hostile_tokens.py
"""

from __future__ import annotations

import pathlib

import nbformat
import pytest
import torch
from lab_page import LabPage

from course_lib import viz
from course_lib.viz import offline

pytestmark = pytest.mark.browser

HOSTILE = ["<script>window.__pwned=1</script>", "</script><script>window.__pwned=2</script>",
           "<img src=x onerror=window.__pwned=3>", "<!--<script>", "a\u2028b", "<b>bold</b>"]
needs_bertviz = pytest.mark.skipif(offline.unavailable_reason() is not None,
                                   reason=f"offline bertviz unavailable: {offline.unavailable_reason()}")


def _attentions(T, H=2, L=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.softmax(2 * torch.randn(1, H, T, T, generator=g), dim=-1) for _ in range(L)]


def _open(browser, path: pathlib.Path):
    page = browser.new_page()
    errors = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    return page, errors


@needs_bertviz
@pytest.mark.parametrize("kind", ["head", "model"])
def test_saved_views_with_hostile_tokens_draw_and_run_nothing(kind, chromium, tmp_path):
    view = {"head": viz.head_view, "model": viz.model_view}[kind](_attentions(len(HOSTILE)), HOSTILE)
    path = viz.save_html(view, tmp_path / f"{kind}.html", title="<script>window.__pwned=9</script>")
    page, errors = _open(chromium, path)
    page.locator("svg line").first.wait_for(state="attached", timeout=15_000)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("svg line").count() > 0 and errors == []
    if kind == "head":  # the tokens are drawn as text, exactly as they are
        texts = page.eval_on_selector_all("svg text", "ts => ts.map(t => t.textContent)")
        assert all(t in texts for t in HOSTILE if "\u2028" not in t)
    assert page.title() == "<script>window.__pwned=9</script>"  # the title is shown as text
    page.close()


def test_course_views_with_hostile_tokens_run_nothing(chromium, tmp_path):
    for kind, view in (("head", viz.head_view), ("model", viz.model_view)):
        path = viz.save_html(view(_attentions(len(HOSTILE)), HOSTILE, use_bertviz=False), tmp_path / f"own-{kind}.html")
        page, errors = _open(chromium, path)
        assert page.evaluate("window.__pwned") is None and errors == []
        assert page.locator("svg line, img").count() > 0
        page.close()


SETUP = f"""\
import torch
from course_lib import viz
from course_lib.bert import Bert, BertConfig
from course_lib.gpt import GPT, GPTConfig
from course_lib.tokenization import BPETokenizer, CharTokenizer, WordTokenizer
from course_lib.transformer import EncoderDecoder, TransformerConfig
from course_lib.widgets import explorer, attention, bert, embeddings, gpt, multihead, tokenization, transformer
import ipywidgets as w
HOSTILE = {HOSTILE!r}
TEXT = " ".join(HOSTILE)
g = torch.Generator().manual_seed(0)
att = [torch.softmax(2 * torch.randn(1, 2, len(HOSTILE), len(HOSTILE), generator=g), -1) for _ in range(2)]
torch.manual_seed(0)"""

CELLS = [
    SETUP,
    "viz.head_view(att, HOSTILE)",
    "viz.model_view(att, HOSTILE)",
    "viz.head_view(encoder_attentions=att, decoder_attentions=att, cross_attentions=att, "
    "encoder_tokens=HOSTILE, decoder_tokens=HOSTILE[::-1])",
    "own = viz.head_view\nown(att, HOSTILE, use_bertviz=False)",
    "explorer(lambda n: print(HOSTILE[n]), {'n': w.IntSlider(value=0, min=0, max=5)}, title=HOSTILE[2])",
    "chars = CharTokenizer.train(TEXT)\ntokenization.token_explorer({'chars': chars}, TEXT)",
    "bpe = BPETokenizer.train(TEXT * 5, vocab_size=300, pattern=None)\ntokenization.merge_stepper(bpe, TEXT)",
    "attention.attention_explorer(torch.randn(len(HOSTILE), 8), HOSTILE)",
    "multihead.head_explorer(lambda s: (att, HOSTILE), TEXT)",
    "embeddings.neighbour_explorer(torch.randn(len(HOSTILE), 4), HOSTILE, HOSTILE)",
    "words = WordTokenizer.train([TEXT, 'the cat sat'])\nbert.masking_explorer(words, TEXT, 'the cat sat')",
    ("b = Bert(BertConfig(vocab_size=words.vocab_size, d_model=16, n_heads=2, n_layers=1))\n"
     "bert.fill_mask_explorer(b, words, TEXT + ' [MASK]')"),
    ("m = GPT(GPTConfig(vocab_size=chars.vocab_size, d_model=16, n_heads=2, n_layers=1, max_len=64))\n"
     "gpt.sampling_explorer(m, chars, prompt=HOSTILE[2], n_tokens=20)"),
    ("cfg = TransformerConfig(src_vocab_size=words.vocab_size, tgt_vocab_size=words.vocab_size, d_model=16, "
     "n_heads=2, d_ff=32, n_layers=1, max_len=48)\n"
     "transformer.translation_explorer(EncoderDecoder(cfg), words, words, TEXT)"),
]


@needs_bertviz
def test_every_explorer_and_view_in_jupyterlab(lab, offline_page, shutdown_kernels, artifacts):
    folder = lab.root / "_hostile"
    folder.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, folder / "hostile.ipynb")
    page = LabPage(offline_page, "hostile.ipynb", f"{lab.url}/lab/tree/_hostile/hostile.ipynb?token={lab.token}&reset",
                   artifacts, timeout=600)
    page.open()
    model = page.run_all()
    page.check_cells(model)
    state = page.check_widgets(model)
    assert len(state["explorers"]) == len(CELLS) - 5  # every explorer rendered as a widget

    def drawn():
        views = page.page_state()["bertviz"]
        return views if len(views) >= 3 and all(v["svgs"] > 0 for v in views) else None

    views = page.wait_until("the three bertviz views to draw", drawn, 60)
    assert len(views) == 3
    for i in range(len(state["explorers"])):  # every explorer shows its first state inside the widget
        box = page.page.locator(".jp-Notebook").first.evaluate_handle(
            "(nb, i) => window.__courseExplorers(nb)[i]", i).as_element()
        page.wait_until(f"explorer {i} to draw", lambda: (s := page.explorer_output(box)) and s["key"] != "##", 60)
    hidden = page.page.evaluate("""() => Array.from(document.querySelectorAll('.jp-OutputArea-child'))
        .filter(el => el.style.display === 'none' && el.querySelector('img')).length""")
    assert hidden == 3, f"each of the three live views should hide its static picture, {hidden} hidden"
    statics = page.page.evaluate("""() => Array.from(document.querySelectorAll('.course-explorer'))
        .map(box => Array.from(box.closest('.jp-OutputArea').querySelectorAll('img'))
                         .filter(img => !img.closest('.course-explorer')).length)""")
    assert statics == [0] * len(statics), f"static pictures stay beside the live explorers: {statics}"
    page.move_one_control(1)  # a redraw with hostile tokens
    page.settled()
    assert page.page.evaluate("window.__pwned") is None, "a hostile token ran as script"
    errors = [e for e in offline_page.console_errors if "pageerror" in e]
    assert not errors, f"JavaScript errors: {errors[:3]}\n  artefacts: {page.save_artifacts('hostile-js')}"

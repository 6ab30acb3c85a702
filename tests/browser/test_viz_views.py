"""course_lib.viz views rendered in Debian's Chromium with every network request refused.

The views inline d3 (from mpld3) and run bertviz's own JavaScript; these tests prove they draw
offline. They share the session's Chromium from conftest.py (one Playwright per session).
"""

from __future__ import annotations

import pathlib

import pytest
import torch

from course_lib import viz
from course_lib.viz import offline

pytestmark = pytest.mark.browser

H, T, L = 3, 5, 2
TOKENS = ["the", "cat", "sat", "</script>", "mat"]
needs_bertviz = pytest.mark.skipif(offline.unavailable_reason() is not None,
                                   reason=f"offline bertviz unavailable: {offline.unavailable_reason()}")


def _attentions(B=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.softmax(3 * torch.randn(B, H, T, T, generator=g), dim=-1) for _ in range(L)]


def _open(browser, path: pathlib.Path):
    """Open a page with every non-file request refused; returns (page, refused URLs, page errors)."""
    page = browser.new_page()
    refused, errors = [], []

    def route(r):
        if r.request.url.startswith("file://"):
            return r.continue_()
        refused.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    return page, refused, errors


@pytest.mark.browser
@needs_bertviz
def test_views_render_offline_in_chromium(chromium, tmp_path):
    att = _attentions(B=1)
    head = viz.save_html(viz.head_view(att, TOKENS), tmp_path / "head.html")
    page, refused, errors = _open(chromium, head)
    lines = page.locator("svg line")
    lines.first.wait_for(state="attached", timeout=10_000)
    assert lines.count() == H * T * T  # bertviz draws every (head, query, key) pair of the layer
    opacities = page.eval_on_selector_all("svg line", "ls => ls.map(l => +l.getAttribute('stroke-opacity'))")
    page.select_option("select#layer", "1")  # the layer dropdown redraws with the other layer's weights
    page.wait_for_timeout(200)
    after = page.eval_on_selector_all("svg line", "ls => ls.map(l => +l.getAttribute('stroke-opacity'))")
    assert len(after) == H * T * T and after != opacities
    # bertviz sets each line's opacity to weight / (number of heads shown)
    assert sorted(opacities) == pytest.approx(sorted((att[0][0] / H).flatten().tolist()), abs=1e-3)
    texts = page.eval_on_selector_all("svg text", "ts => ts.map(t => t.textContent)")
    assert texts == TOKENS * 2  # queries on the left, keys on the right
    assert refused == [] and errors == []
    assert page.locator("text=Nothing drawn?").count() == 0  # the script removed its "run the cell" note
    page.close()

    model = viz.save_html(viz.model_view(att, TOKENS), tmp_path / "model.html")
    page, refused, errors = _open(chromium, model)
    page.locator("svg line").first.wait_for(state="attached", timeout=10_000)
    assert page.locator("svg line").count() == L * H * T * T  # a thumbnail per (layer, head)
    assert refused == [] and errors == []
    page.close()


@pytest.mark.browser
def test_fallback_view_renders_in_chromium(chromium, tmp_path):
    att = _attentions(B=1)
    page, refused, errors = _open(chromium, viz.save_html(viz.head_view(att, TOKENS, use_bertviz=False),
                                                         tmp_path / "own.html"))
    assert page.locator("svg").count() == L and page.locator("svg line").count() > 0
    assert refused == [] and errors == []
    page.close()


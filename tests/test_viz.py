"""course_lib.viz: bertviz views of course attentions, offline; checked as text and in a real browser."""

from __future__ import annotations

import base64
import gzip
import importlib.resources
import json
import re

import numpy as np
import pytest
import torch

from course_lib import viz
from course_lib.viz import offline

H, T, L = 3, 5, 2
TOKENS = ["the", "cat", "sat", "</script>", "mat"]


def _attentions(B=2, seed=0, T_q=T, T_k=T):
    g = torch.Generator().manual_seed(seed)
    return [torch.softmax(3 * torch.randn(B, H, T_q, T_k, generator=g), dim=-1) for _ in range(L)]


def _params(html: str) -> dict:
    """The parameters bertviz's script was given (it writes them as `const params = {...};`)."""
    return json.loads(re.search(r"const params = (\{.*?\}); // HACK", html, re.DOTALL).group(1))


needs_bertviz = pytest.mark.skipif(offline.unavailable_reason() is not None,
                                   reason=f"offline bertviz unavailable: {offline.unavailable_reason()}")


# ----- the offline HTML as text ---------------------------------------------------------------------

@needs_bertviz
def test_head_view_html_is_self_contained_and_carries_our_weights():
    att = _attentions()
    html = viz.head_view(att, TOKENS, batch_index=1).data
    assert "<script src" not in html and "require.min.js" not in html  # nothing to fetch
    assert "Nothing drawn? Run the cell" in html  # what an untrusted (saved, not re-run) view says
    params = _params(html)
    got = torch.tensor(params["attention"][0]["attn"], dtype=torch.float64)  # (L, H, T, T)
    expected = torch.stack([a[1] for a in att]).double()
    torch.testing.assert_close(got, expected, atol=5e-4, rtol=0)
    assert params["attention"][0]["left_text"] == TOKENS
    assert "\\u003c/script\\u003e" in html and html.count("</script>") == 1  # a token cannot close the script early


@needs_bertviz
def test_inlined_d3_is_mpld3s_copy_and_bertviz_js_runs_unchanged():
    html = viz.head_view(_attentions(), TOKENS).data
    packed = re.search(r'atob\("([A-Za-z0-9+/=]+)"\)', html).group(1)
    d3 = gzip.decompress(base64.b64decode(packed))
    assert d3 == (importlib.resources.files("mpld3") / "js" / "d3.v5.min.js").read_bytes()
    assert d3.startswith(b"// https://d3js.org v5.7.0")
    bertviz_js = (importlib.resources.files("bertviz") / "head_view.js").read_text()
    body = bertviz_js.split("const TEXT_SIZE")[1]  # everything after the parameters, as bertviz wrote it
    assert len(body) > 5000 and body.rstrip() in html


@needs_bertviz
def test_view_ids_are_unique_and_content_based():
    a = viz.model_view(_attentions(), TOKENS).data
    b = viz.model_view(_attentions(), TOKENS).data
    c = viz.model_view(_attentions(seed=1), TOKENS).data
    ids = [re.search(r'id="(course-model-view-[0-9a-f]+)-\d+"', h).group(1) for h in (a, b, c)]
    assert ids[0] == ids[1] != ids[2]
    assert re.search(r'id="(course-model-view-\S+)"', a).group(1) != re.search(r'id="(course-model-view-\S+)"', b).group(1)


@needs_bertviz
def test_encoder_decoder_views():
    enc, dec = ["a", "b", "c", "d"], ["x", "y", "z"]
    html = viz.head_view(encoder_attentions=_attentions(T_q=4, T_k=4), decoder_attentions=_attentions(T_q=3, T_k=3),
                         cross_attentions=_attentions(T_q=3, T_k=4), encoder_tokens=enc, decoder_tokens=dec).data
    blocks = {b["name"]: b for b in _params(html)["attention"]}
    assert list(blocks) == ["Encoder", "Decoder", "Cross"]
    assert blocks["Cross"]["left_text"] == dec and blocks["Cross"]["right_text"] == enc
    assert torch.tensor(blocks["Cross"]["attn"]).shape == (L, H, 3, 4)


def test_sentence_pair_and_layer_selection_pass_through():
    if offline.unavailable_reason():
        pytest.skip(offline.unavailable_reason())
    params = _params(viz.head_view(_attentions(), TOKENS, sentence_b_start=2, layer=1, heads=[0, 2]).data)
    assert [b["name"] for b in params["attention"]][:2] == ["All", "Sentence A -> Sentence A"]
    assert params["layer"] == 1 and params["heads"] == [0, 2]


# ----- fallback -------------------------------------------------------------------------------------

def test_fallback_when_bertviz_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(offline.importlib.util, "find_spec", lambda name: None)
    reason = offline.unavailable_reason()
    assert reason.startswith("bertviz is not installed") and "--no-deps" in reason
    att = _attentions()
    html = viz.head_view(att, TOKENS).data
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "course's own head view" in out
    assert "<script" not in html and html.count("<svg") == L
    # one line per (head, query, key) whose weight (rounded as shown) is at least 0.02
    strong = sum(int((torch.round(a[0].double(), decimals=3) >= 0.02).sum()) for a in att)
    assert html.count("<line") == strong
    model = viz.model_view(att, TOKENS).data
    assert "course's own model view" in capsys.readouterr().out
    assert model.count("data:image/png;base64,") == 1


def test_use_bertviz_false_is_quiet(capsys):
    html = viz.head_view(_attentions(), TOKENS, layer=1, heads=[2], use_bertviz=False).data
    assert capsys.readouterr().out == ""
    assert html.count("<svg") == 1 and "layer 2" in html  # layers are numbered from 1 on screen
    assert "&lt;/script&gt;" in html  # tokens are escaped


# ----- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(attentions=[], tokens=TOKENS), TypeError, "non-empty list over layers"),
    (dict(attentions="x", tokens=TOKENS), TypeError, "got str"),
    (dict(attentions=np.ones((1, 3, T, T)), tokens=TOKENS), TypeError, "got ndarray"),
    (dict(attentions=[torch.rand(3, T, T)], tokens=TOKENS), ValueError, r"attentions\[0\].*got \(3, 5, 5\)"),
    (dict(attentions=[torch.rand(1, 3, T, T), torch.rand(1, 2, T, T)], tokens=TOKENS), ValueError,
     r"layer 0 has \(1, 3, 5, 5\), layer 1 has \(1, 2, 5, 5\)"),
    (dict(attentions=[torch.rand(1, 3, T, T)], tokens=TOKENS[:4]), ValueError, "tokens has 4 tokens but.*5 positions"),
    (dict(attentions=[torch.rand(1, 3, T, T)], tokens="the cat"), TypeError, "tokens must be a list"),
    (dict(attentions=[torch.rand(2, 3, T, T)], tokens=TOKENS, batch_index=2), ValueError, r"batch_index.*\[0, 2\).*got 2"),
    (dict(attentions=[torch.rand(1, 3, 4, T)], tokens=TOKENS), ValueError, "T_q == T_k"),
    (dict(), ValueError, "nothing to show"),
    (dict(attentions=[torch.rand(1, 3, T, T)], tokens=TOKENS, cross_attentions=[torch.rand(1, 3, T, T)]),
     ValueError, "not both"),
    (dict(cross_attentions=[torch.rand(1, 3, 2, T)], encoder_tokens=TOKENS, decoder_tokens=["a"]), ValueError,
     "decoder_tokens has 1 tokens but the attention has 2 query positions"),
])
def test_bad_input(kwargs, error, match):
    for view in (viz.head_view, viz.model_view):
        with pytest.raises(error, match=match):
            view(**kwargs)


def test_bad_display_mode():
    with pytest.raises(ValueError, match="display_mode must be 'light' or 'dark', got 'blue'"):
        viz.model_view(_attentions(), TOKENS, display_mode="blue")


def test_one_layer_tensor_is_accepted(tmp_path):
    html = viz.head_view(_attentions()[0], TOKENS, use_bertviz=False)
    assert html.data.count("<svg") == 1
    page = viz.save_html(html, tmp_path / "v.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and html.data in page


# ----- hostile tokens, titles and indices ------------------------------------------------------------

HOSTILE = ["<script>window.__pwned=1</script>", "</script>", "<img src=x onerror=window.__pwned=2>",
           "<!--<script>", "a\u2028b", "&amp;", "$x$"]


def _script_of(html: str) -> str:
    return html.split('<script type="text/javascript">', 1)[1].rsplit("</script>", 1)[0]


@needs_bertviz
@pytest.mark.parametrize("view", [viz.head_view, viz.model_view])
def test_hostile_tokens_stay_inside_the_json(view):
    tokens = HOSTILE[:T]
    html = view(_attentions(), tokens).data
    script = _script_of(html)
    for bad in ("<script", "</script", "<!--", "<img", "\u2028"):
        assert bad not in script.lower(), f"{bad!r} reaches the page raw"
    assert html.count("<script") == 1 and html.count("</script>") == 1
    assert _params(html)["attention"][0]["left_text"] == tokens  # the JSON still reads back the same tokens


def test_hostile_tokens_are_escaped_in_the_course_view():
    tokens = HOSTILE[:T]
    for view in (viz.head_view, viz.model_view):
        html = view(_attentions(), tokens, use_bertviz=False).data
        assert "<script" not in html and "<img src=x" not in html and "<!--" not in html


def test_save_html_escapes_the_title(tmp_path):
    page = viz.save_html("<p>body</p>", tmp_path / "t.html", title="</title><script>alert(1)</script>").read_text()
    assert "<script>" not in page and "&lt;/title&gt;&lt;script&gt;" in page


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(layer=2), IndexError, r"layer 2 is out of range: the attention has 2 layers, so layer must be in \[0, 1\]"),
    (dict(layer=-1), IndexError, r"layer -1 is out of range.*\[0, 1\]"),
    (dict(heads=[0, 3]), IndexError, r"heads 3 is out of range: the attention has 3 heads, so heads must be in \[0, 2\]"),
    (dict(layer="1"), TypeError, r"layer must hold ints"),
])
def test_head_view_layer_and_head_out_of_range(kwargs, error, match):
    for use_bertviz in (True, False):
        with pytest.raises(error, match=match):
            viz.head_view(_attentions(), TOKENS, use_bertviz=use_bertviz, **kwargs)


def test_model_view_layers_out_of_range():
    with pytest.raises(IndexError, match=r"layers 5 is out of range.*\[0, 1\]"):
        viz.model_view(_attentions(), TOKENS, layers=[0, 5])


# ----- what a saved notebook shows: a static picture first -------------------------------------------

def _displayed(view, monkeypatch) -> list[dict]:
    from course_lib.viz import static
    shown = []
    monkeypatch.setattr(static, "display", lambda data, raw=False, **kw: shown.append(data))
    view._ipython_display_()
    return shown


@needs_bertviz
def test_live_view_shows_its_static_picture_first_and_hides_it_once_drawn(monkeypatch):
    from course_lib.viz.static import marker
    view = viz.head_view(_attentions(), TOKENS, layer=1)
    shown = _displayed(view, monkeypatch)
    assert [list(o) for o in shown] == [["image/png", "text/plain"], ["text/html", "text/plain"]]
    png = base64.b64decode(shown[0]["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert marker(shown[0]["image/png"]) in view.data  # the live view knows which picture to hide
    model = viz.model_view(encoder_attentions=_attentions(T_q=4, T_k=4), cross_attentions=_attentions(T_q=3, T_k=4),
                           encoder_tokens=list("abcd"), decoder_tokens=list("xyz"))
    shown = _displayed(model, monkeypatch)
    assert sum("image/png" in o for o in shown) == 2 and "text/html" in shown[-1]  # one grid per block


def test_course_view_is_one_output_with_html_and_png(monkeypatch):
    shown = _displayed(viz.head_view(_attentions(), TOKENS, use_bertviz=False), monkeypatch)
    assert len(shown) == 1 and {"text/html", "image/png"} <= set(shown[0])


# ----- in a real browser, with the network refused ---------------------------------------------------



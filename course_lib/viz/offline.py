"""Run bertviz's own head and model views with no network (used by 05_multi_head_attention).

bertviz 1.4.1 writes HTML that fetches require.js, d3 5.7 and jQuery 2.0 from a CDN, so offline (and in
JupyterLab 4, which has no require.js) the cell stays blank. Here its own head_view.js / model_view.js
run unchanged, but inside a function that supplies what they ask `requirejs` for:
  - d3 5.7.0 read from the installed `mpld3` package (it ships d3.v5.min.js), gzip-compressed and
    base64-encoded so that each view adds ~100 KB, not ~240 KB, to a saved notebook;
  - instead of jQuery, the few calls bertviz makes on it ($(selector), append, val, text, on, ...),
    written here in a dozen lines of plain DOM code;
  - instead of require.js, a two-line `require.config` / `requirejs` stand-in.
No third-party JavaScript is stored in this repository. Tokens reach the page only inside bertviz's
parameters, written as JSON with every "<", ">" and "&" escaped (\u003c ...), so no token can end the
script or open an HTML comment in it (`</script>`, `<!--<script>`), and U+2028 is escaped too. Once
bertviz has drawn, the script hides the static picture shown before it (course_lib.viz.static).
Deliberately left out: neuron_view (it needs bertviz's own copy of a BERT implementation) and any
browser without DecompressionStream (2023+).
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib.resources
import importlib.util
import itertools
import json
import re

BERTVIZ_VERSION = "1.4.1"
_REQUIRE_TAG = '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js"></script>'
_SCRIPT_OPEN = '\n<script type="text/javascript">\n'
_counter = itertools.count()

# Course-written JavaScript around bertviz's script. ROOT_ID, D3_GZIP_BASE64 and BERTVIZ_JS are filled in.
_WRAPPER = """
(function () {
  function fail(err) {
    const root = document.getElementById("ROOT_ID");
    if (root) root.insertAdjacentText("beforeend", "bertviz could not start offline: " + err);
  }
  if (typeof DecompressionStream === "undefined") { fail("this browser has no DecompressionStream"); return; }
  const packed = Uint8Array.from(atob("D3_GZIP_BASE64"), c => c.charCodeAt(0));  // d3 5.7.0 from mpld3
  const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
  new Response(stream).text().then(function (d3Source) {
    document.getElementById("ROOT_ID-note")?.remove();  // the script runs: no need for the note
    // d3's UMD header looks for define/module/exports: hide them so it attaches to `holder` instead.
    const holder = {};
    new Function("define", "module", "exports", d3Source).call(holder);
    const d3 = holder.d3;

    // The jQuery calls bertviz makes, on plain DOM elements.
    function $(selector) {
      const els = selector.startsWith("<") ? [document.createElement(selector.replace(/[<>\\/\\s]/g, ""))]
                                           : Array.from(document.querySelectorAll(selector));
      const each = f => { els.forEach(f); return api; };
      const api = {
        els: els,
        append: child => each(e => child.els.forEach(c => e.appendChild(c))),
        val: v => (v === undefined ? (els[0] || {}).value : each(e => { e.value = v; })),
        text: t => each(e => { e.textContent = t; }),
        attr: (name, v) => each(e => e.setAttribute(name, v)),
        empty: () => each(e => e.replaceChildren()),
        on: (type, handler) => each(e => e.addEventListener(type, handler)),
        change: () => each(e => e.dispatchEvent(new Event("change"))),
      };
      return api;
    }

    // A stand-in for require.js: hand bertviz the two modules it asks for.
    const require = {config: function () {}};
    function requirejs(names, body) { body(...names.map(n => ({jquery: $, d3: d3})[n])); }

BERTVIZ_JS
    // drawn: hide the static picture(s) displayed just before this view (found by a piece of their data)
    const pictures = HIDE_MARKERS;
    const hidePictures = () => document.querySelectorAll("img").forEach(img => {
      const src = img.getAttribute("src") || "";
      if (pictures.some(piece => src.includes(piece))) {
        (img.closest(".jp-OutputArea-child, .output_area") || img).style.display = "none";
      }
    });
    hidePictures();
    setTimeout(hidePictures, 800);
  }).catch(fail);
})();
"""


def unavailable_reason() -> str | None:
    """None when offline bertviz views can be built here, else a one-line reason (what to install)."""
    if importlib.util.find_spec("bertviz") is None:
        return f'bertviz is not installed (pip install --no-deps "bertviz=={BERTVIZ_VERSION}")'
    if importlib.util.find_spec("mpld3") is None:
        return "mpld3, which ships the d3 library bertviz draws with, is not installed (pip install mpld3)"
    try:
        _d3_gzip_base64()
    except (FileNotFoundError, OSError) as err:
        return f"the d3 library could not be read from the mpld3 package ({err})"
    return None


@functools.lru_cache(maxsize=1)
def _d3_gzip_base64() -> str:
    """d3.v5.min.js from the mpld3 package, gzip-compressed (reproducibly: mtime=0) and base64-encoded."""
    source = (importlib.resources.files("mpld3") / "js" / "d3.v5.min.js").read_bytes()
    return base64.b64encode(gzip.compress(source, compresslevel=9, mtime=0)).decode("ascii")


def _split(bertviz_html: str) -> tuple[str, str]:
    """bertviz's html_action='return' output -> (markup, javascript), or ValueError if it has changed."""
    if not bertviz_html.startswith(_REQUIRE_TAG) or _SCRIPT_OPEN not in bertviz_html:
        raise ValueError(f"unexpected HTML from bertviz (the course expects bertviz {BERTVIZ_VERSION})")
    markup, script = bertviz_html[len(_REQUIRE_TAG):].split(_SCRIPT_OPEN, 1)
    return markup, script.rsplit("\n</script>", 1)[0]


def _escape_params(script: str) -> str:
    """Rewrite bertviz's `const params = {...}` (every copy of it) as JSON in which no "<", ">", "&" or
    U+2028 appears raw."""
    start = script.index("const params = ") + len("const params = ")
    params, end = json.JSONDecoder().raw_decode(script, start)
    text = json.dumps(params, ensure_ascii=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return script.replace(script[start:end], text)  # bertviz also copies the parameters into a comment


def offline_html(kind: str, hide=(), **bertviz_kwargs) -> str:
    """The HTML of bertviz's `kind` view ("head" or "model") with its libraries inlined.

    hide: pieces of the base64 data of static pictures that the view hides once it has drawn.
    bertviz_kwargs go to bertviz.head_view / bertviz.model_view (attention=..., tokens=..., ...).
    """
    if kind not in ("head", "model"):
        raise ValueError(f"kind must be 'head' or 'model' (bertviz's neuron view is left out), got {kind!r}")
    import bertviz

    view = {"head": bertviz.head_view, "model": bertviz.model_view}[kind]
    markup, script = _split(view(html_action="return", **bertviz_kwargs).data)
    # bertviz names each view with a random uuid; a hash of the content keeps saved notebooks stable.
    uuid = re.compile(r"bertviz-[0-9a-f]{32}")
    digest = hashlib.sha1(uuid.sub("", script).encode()).hexdigest()[:10]
    root_id = f"course-{kind}-view-{digest}-{next(_counter)}"
    markup, script = uuid.sub(root_id, markup), uuid.sub(root_id, script)
    script = _escape_params(script)
    script = re.sub(r"</(script)", r"<\\/\1", script, flags=re.IGNORECASE)  # belt and braces: nothing ends it early
    markers = json.dumps([m for m in hide if re.fullmatch(r"[A-Za-z0-9+/=]+", m)])
    js = (_WRAPPER.replace("ROOT_ID", root_id).replace("D3_GZIP_BASE64", _d3_gzip_base64())
          .replace("HIDE_MARKERS", markers).replace("BERTVIZ_JS", script))
    note = (f'<div id="{root_id}-note" style="font-size:12px;color:#888">Nothing drawn? Run the cell: '
            f"saved JavaScript runs only in a trusted notebook.</div>")
    return f'{markup.strip()}\n{note}\n<script type="text/javascript">{js}</script>\n'

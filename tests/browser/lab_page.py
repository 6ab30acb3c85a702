"""Drive one notebook in JupyterLab the way a student does, and read back what the page shows.

Everything is done through the page: Edit > Clear Outputs of All Cells, then Run > Run All Cells in the
kernel that opening the notebook started (the same as Restart Kernel and Run All Cells, one kernel start
sooner), dialogs answered by clicking, sliders moved with the keyboard, dropdowns changed by selecting.
What the page shows is read from the DOM; the notebook model (exposed with --LabApp.expose_app_in_browser) is read
only where the DOM cannot tell: which outputs are errors (JupyterLab renders tracebacks and warnings
with the same stderr renderer) and the execution counts.
"""

from __future__ import annotations

import pathlib
import time
from dataclasses import dataclass, field

from lab_js import HELPERS_JS, MODEL_JS, PAGE_JS, PROGRESS_JS

# Text that means a widget did not render as a widget ("Loading widget..." only if it stays).
LOADING = "Loading widget..."
WIDGET_AS_TEXT = ("interactive(children=", "VBox(children=", "HBox(children=", "Output(layout=",
                  "Error displaying widget", "Failed to display Jupyter Widget",
                  "A Jupyter widget could not be displayed", LOADING)
# Text the course prints when bertviz cannot run offline and its own static view is shown instead.
BERTVIZ_FAILED = ("bertviz could not start offline", "showing the course's own")
# How a bertviz view's root element is named (course_lib.viz.offline renames bertviz's own ids).
BERTVIZ_ROOTS = '[id^="course-head-view-"], [id^="course-model-view-"], [id^="bertviz-"]'

# One row per notebook tested, printed at the end of the session and saved as test-artifacts/browser/timings.json.
TIMINGS: list[dict] = []


def record_timing(notebook: str, seconds: dict, **extra) -> None:
    TIMINGS.append({"notebook": notebook, "seconds": seconds, **extra})


class NotebookFailure(AssertionError):
    """Something a student would see go wrong; the message names the cell and the artefacts saved."""


@dataclass
class Timing:
    notebook: str
    seconds: dict = field(default_factory=dict)

    def mark(self, what: str, start: float) -> None:
        self.seconds[what] = round(time.monotonic() - start, 1)


class LabPage:
    """One notebook open in one browser page."""

    def __init__(self, page, name: str, url: str, artifacts, timeout: float, render_timeout: float = 30) -> None:
        """timeout: seconds for Run All; render_timeout: for widgets and bertviz views to appear."""
        self.page, self.name, self.url, self.artifacts, self.timeout = page, name, url, artifacts, timeout
        self.render_timeout = render_timeout
        self.page.add_init_script(HELPERS_JS)
        self.dialogs: list[str] = []

    # -- artefacts ------------------------------------------------------------------------------
    def save_artifacts(self, what: str, cell: int | None = None) -> str:
        """Screenshots (the window; the cell when given) and the page HTML under test-artifacts/.

        Returns the file names, for the assertion message.
        """
        self.artifacts.mkdir(parents=True, exist_ok=True)
        stem = self.artifacts / f"{self.name.removesuffix('.ipynb')}-{what}"
        saved = []
        try:
            if cell is not None and cell >= 0:
                el = self.page.locator(".jp-Notebook .jp-Notebook-cell").nth(cell)
                el.scroll_into_view_if_needed(timeout=10_000)
                el.screenshot(path=f"{stem}-cell.png", timeout=30_000)
                saved.append(f"{stem}-cell.png")
            self.page.screenshot(path=f"{stem}.png", timeout=30_000)
            saved.append(f"{stem}.png")
        except Exception as err:  # noqa: BLE001 - a failing screenshot must not hide the real failure
            saved.append(f"(screenshot failed: {err})")
        try:
            pathlib.Path(f"{stem}.html").write_text(self.page.content(), encoding="utf-8")
            saved.append(f"{stem}.html")
        except Exception as err:  # noqa: BLE001
            saved.append(f"(page HTML not saved: {err})")
        return ", ".join(saved)

    def fail(self, what: str, message: str, cell: int | None = None) -> None:
        raise NotebookFailure(f"{self.name}: {message}\n  artefacts: {self.save_artifacts(what, cell)}")

    # -- dialogs --------------------------------------------------------------------------------
    def answer_dialogs(self) -> None:
        """Accept 'Select Kernel' and 'Restart Kernel?'; a dead kernel or anything else is a failure."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count() == 0:
            return
        text = " ".join(dialog.first.inner_text().split())
        self.dialogs.append(text)
        if text.startswith(("Select Kernel", "Restart Kernel", "Restart kernel")):
            self.page.locator(".jp-Dialog .jp-mod-accept").first.click()
            self.page.locator(".jp-Dialog").first.wait_for(state="detached", timeout=10_000)
        else:
            self.fail("dialog", f"unexpected dialog: {text!r}")

    # -- reading the page -----------------------------------------------------------------------
    def model(self) -> dict:
        return self.page.evaluate(MODEL_JS)

    def progress(self) -> dict | None:
        return self.page.evaluate(PROGRESS_JS)

    def idle(self) -> bool:
        p = self.progress()
        return bool(p) and p["kernel"] == "idle" and p["busy"] == "idle"

    def page_state(self) -> dict:
        return self.page.evaluate(PAGE_JS, [list(WIDGET_AS_TEXT), BERTVIZ_ROOTS])

    def wait_until(self, what: str, predicate, timeout: float, poll: float = 0.5, fail: bool = True):
        """Poll predicate() (answering dialogs meanwhile) until it returns something true.

        On timeout: a failure naming `what`, or None when fail=False.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.answer_dialogs()
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                if not fail:
                    return None
                self.fail("timeout", f"timed out after {timeout:.0f} s waiting for {what}")
            self.page.wait_for_timeout(int(poll * 1000))

    # -- doing ----------------------------------------------------------------------------------
    def open(self) -> None:
        self.page.goto(self.url, wait_until="domcontentloaded", timeout=120_000)
        self.wait_until("the notebook to open", lambda: (p := self.progress()) and p["counts"] is not None, 120)
        self.wait_until("the kernel to start", self.idle, 180)

    def menu(self, menu: str, item: str) -> None:
        """Click a main-menu item, e.g. menu('Run', 'Restart Kernel and Run All Cells')."""
        self.page.locator(f'.lm-MenuBar-itemLabel:text-is("{menu}")').click()
        entry = self.page.locator(".lm-Menu-content .lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel",
                                  has_text=item).first
        entry.wait_for(state="visible", timeout=10_000)
        entry.click()

    def run_all(self, restart: bool = False) -> dict:
        """Clear outputs, run every cell from the Run menu, wait for the last one; returns the model.

        The kernel was started when the notebook opened, so Run > Run All Cells runs in a fresh kernel,
        as Restart Kernel and Run All Cells does (restart=True uses that item, one kernel start slower).
        check_cells then proves it: the execution counts must be 1..N in order.
        """
        self.menu("Edit", "Clear Outputs of All Cells")
        self.wait_until("outputs to clear", lambda: all(c is None for c in self.progress()["counts"]), 30)
        self.menu("Run", "Restart Kernel and Run All Cells" if restart else "Run All Cells")

        def finished():
            p = self.progress()
            done = all(c is not None for c in p["counts"]) or p["errored"]
            return p["kernel"] == "idle" and p["busy"] == "idle" and done

        self.wait_until("every cell to run (Run All Cells)", finished, self.timeout, 1.0)
        self.page.wait_for_timeout(1000)  # let the last outputs and widget views render
        return self.model()

    # -- checks ---------------------------------------------------------------------------------
    def check_cells(self, model: dict) -> None:
        """No error output; every code cell ran, once, in order, in the fresh kernel."""
        code = [(i, c) for i, c in enumerate(model["cells"]) if c["type"] == "code"]
        for i, c in code:
            for o in c["outputs"]:
                if o["type"] == "error":
                    self.fail(f"cell{i}-error",
                              f"cell {i} raised {o['ename']}: {o['evalue']}\n  cell source: {c['source'][:300]!r}", i)
        not_run = [i for i, c in code if c["count"] is None]
        if not_run:
            self.fail("not-run", f"cells {not_run} did not run (Run All stopped early?)", not_run[0])
        counts = [c["count"] for _, c in code]
        if counts != list(range(1, len(counts) + 1)):
            self.fail("order", f"execution counts are {counts}, expected 1..{len(counts)} in order")

    def check_widgets(self, model: dict) -> dict:
        """Every widget output renders as a widget, and there is an explorer; returns the page state."""
        expected = [i for i, c in enumerate(model["cells"])
                    for o in c["outputs"] if "application/vnd.jupyter.widget-view+json" in o["mimes"]]

        def rendered_or_broken():
            s = self.page_state()
            if any(bad["text"] != LOADING for bad in s["widgetAsText"]):
                return s  # broken for good: no need to wait
            return s if set(expected) <= set(s["widgetCells"]) and not s["widgetAsText"] else None

        state = self.wait_until("the widgets to render", rendered_or_broken, self.render_timeout, fail=False)
        state = state or self.page_state()
        if state["widgetAsText"]:
            bad = state["widgetAsText"]
            self.fail("widget-text", f"widgets shown as text, not as widgets: {bad}", bad[0]["cell"])
        missing = sorted(set(expected) - set(state["widgetCells"]))
        if missing:
            self.fail("widget-missing", f"cells {missing} display a widget but no widget rendered there", missing[0])
        if not state["explorers"]:
            self.fail("no-explorer", "no explorer found: every concept notebook should have a 'try it' cell")
        return state

    def check_bertviz(self, model: dict) -> list:
        """Each cell that calls bertviz shows its view, drawn offline (an <svg> inside the view)."""
        cells = [i for i, c in enumerate(model["cells"]) if c["type"] == "code"
                 and ("head_view(" in c["source"] or "model_view(" in c["source"])]
        for i in cells:
            for o in model["cells"][i]["outputs"]:
                text = (o.get("text") or "") + (o.get("html") or "")
                for bad in BERTVIZ_FAILED:
                    if bad in text:
                        self.fail(f"cell{i}-bertviz", f"cell {i}: bertviz did not render: {text.strip()[:300]!r}", i)
        if not cells:
            return []

        def drawn():
            roots = self.page_state()["bertviz"]
            ok = {r["cell"] for r in roots if r["svgs"] > 0}
            return roots if set(cells) <= ok else None

        deadline = time.monotonic() + self.render_timeout
        while (roots := drawn()) is None and time.monotonic() < deadline:
            self.page.wait_for_timeout(500)
        if roots is None:
            state = self.page_state()["bertviz"]
            self.fail("bertviz", f"bertviz views in cells {cells} did not draw an <svg> (offline): found {state}",
                      cells[0])
        return roots

    def explorer_output(self, box) -> dict | None:
        return box.evaluate("b => window.__courseOutputSignature(b)")

    def settled(self, quiet: float = 1.5, timeout: float = 60) -> None:
        """Wait until the kernel has been idle for `quiet` seconds in a row (a redraw has finished)."""
        deadline, idle_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            self.answer_dialogs()
            if self.idle():
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= quiet:
                    return
            else:
                idle_since = None
            self.page.wait_for_timeout(100)

    def move_one_control(self, index: int, redraw_timeout: float = 60) -> dict:
        """Move one control of explorer `index` (found in page order); its output must change, error-free.

        Controls are tried in the order slider, dropdown, toggle, checkbox, text box; when one leaves the
        output as it was (a control that only matters for another setting, e.g. a window size while the
        mask type has no window) the next is tried. It fails when none changes the output, or when the
        new output shows a traceback.
        """
        box = self.page.locator(".jp-Notebook").first.evaluate_handle(
            "(nb, i) => window.__courseExplorers(nb)[i]", index).as_element()
        cell = box.evaluate("b => Array.from(document.querySelectorAll('.jp-Notebook .jp-Notebook-cell'))"
                            ".indexOf(b.closest('.jp-Notebook-cell'))")
        where = f"explorer {index} (cell {cell})"
        before = self.wait_until(f"{where} to draw", lambda: (s := self.explorer_output(box)) and s["key"] != "##" and s, 30)
        if before["errors"]:
            self.fail(f"explorer{index}-error", f"{where} shows an error before any move: {before['errors'][0][-600:]}", cell)
        controls = box.evaluate_handle("b => window.__courseControls(b)")
        candidates = []
        for kind in ("slider", "select", "toggle", "checkbox", "text"):
            handles = controls.get_property(kind)
            for i in range(handles.get_property("length").json_value()):
                candidates.append((kind, handles.get_property(str(i)).as_element()))
        if not candidates:
            self.fail(f"explorer{index}", f"{where} has no control the test knows how to move", cell)
        tried = []
        for kind, el in candidates[:4]:
            el.scroll_into_view_if_needed()
            action = self._move(kind, el, where, cell)
            tried.append(action)
            deadline, after = time.monotonic() + redraw_timeout, None
            self.page.wait_for_timeout(300)
            while time.monotonic() < deadline:
                self.answer_dialogs()
                s = self.explorer_output(box)
                if s and s["key"] not in (before["key"], "##"):
                    after = s
                    break
                if self.idle():  # no redraw under way: wait until it has been quiet, look once more
                    self.settled()
                    s = self.explorer_output(box)
                    after = s if s and s["key"] not in (before["key"], "##") else None
                    break
                self.page.wait_for_timeout(200)
            if after is not None:
                self.settled()  # the redraw may come in two steps (clear, then draw)
                after = self.explorer_output(box) or after
                if after["errors"]:
                    self.fail(f"explorer{index}-error", f"{where}: {action} gave an error: {after['errors'][0][-600:]}", cell)
                return {"explorer": index, "cell": cell, "action": action, "tried": len(tried),
                        "images_before": before["images"], "images_after": after["images"]}
        self.fail(f"explorer{index}-unchanged", f"{where}: its output did not change after any of: {tried}", cell)

    def _move(self, kind: str, el, where: str, cell: int) -> str:
        if kind == "slider":
            now = el.get_attribute("aria-valuenow")
            top = el.get_attribute("aria-valuemax")
            key = "ArrowLeft" if now is not None and now == top else "ArrowRight"
            el.focus()
            el.press(key)
            return f"pressed {key} on a slider (was {now})"
        if kind == "select":
            options = el.evaluate("s => Array.from(s.options).map(o => o.value)")
            current = el.evaluate("s => s.value")
            if len(options) < 2:
                return "left a dropdown with a single option"
            target = options[(options.index(current) + 1) % len(options)] if current in options else options[0]
            el.select_option(target)
            return f"chose {target!r} in a dropdown (was {current!r})"
        if kind in ("toggle", "checkbox"):
            el.click()
            return f"clicked a {kind}"
        # a text box: append words and press Enter (Text widgets may use continuous_update=False)
        el.click()
        el.press("End")
        el.type(" and more", delay=20)
        if el.evaluate("e => e.tagName") == "INPUT":
            el.press("Enter")
        else:
            el.evaluate("e => e.blur()")
        return "typed ' and more' into a text box"

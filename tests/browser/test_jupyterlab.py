"""Every notebook, run in JupyterLab in a real Chromium, offline, as a student would run it in class.

For each notebooks/NN_*.ipynb: open it, Run > Restart Kernel and Run All Cells (quick mode), then check
that no cell shows an error, every widget renders as a widget (not as text such as `VBox(children=...)`),
moving one control of each explorer redraws its output, and bertviz views draw offline (an <svg>).
Every request that would leave 127.0.0.1 is blocked. On failure a screenshot and the page HTML are
saved under test-artifacts/browser/ and named in the message.

    python -m pytest -m browser -n 0 tests/browser            # all notebooks
    python -m pytest -m browser -n 0 tests/browser -k 01       # one
"""

from __future__ import annotations

import os
import time

import pytest
from lab_page import LabPage, Timing, record_timing
from lab_server import notebook_names

pytestmark = pytest.mark.browser

# Seconds allowed for one notebook's Run All (quick mode); CI machines are slow and shared.
RUN_TIMEOUT = float(os.environ.get("COURSE_BROWSER_TIMEOUT", "600"))
# COURSE_BROWSER_RESTART=1: use Run > Restart Kernel and Run All Cells (one more kernel start each).
RESTART = os.environ.get("COURSE_BROWSER_RESTART", "0") not in ("", "0")


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_in_jupyterlab(name, lab, offline_page, shutdown_kernels, artifacts):
    timing, moves, views = Timing(name), [], []
    nb = LabPage(offline_page, name, lab.notebook_url(name), artifacts, RUN_TIMEOUT)
    try:
        start = time.monotonic()
        nb.open()
        timing.mark("open", start)

        start = time.monotonic()
        model = nb.run_all(restart=RESTART)
        timing.mark("run_all", start)
        nb.check_cells(model)

        start = time.monotonic()
        state = nb.check_widgets(model)
        moves += [nb.move_one_control(i) for i in range(len(state["explorers"]))]
        timing.mark("explorers", start)

        start = time.monotonic()
        views += nb.check_bertviz(model)
        timing.mark("bertviz", start)
    finally:
        record_timing(name, timing.seconds, explorers=len(moves), bertviz_views=len(views),
                      blocked_requests=sorted(set(offline_page.blocked_requests)), moves=moves)
    errors = [e for e in offline_page.console_errors if "pageerror" in e]
    assert not errors, f"{name}: JavaScript errors on the page: {errors[:5]}\n  artefacts: {nb.save_artifacts('js-error')}"

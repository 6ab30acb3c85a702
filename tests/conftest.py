"""Test-wide settings: quick mode on unless asked otherwise, no GUI backend, offline."""

import os

import pytest

# Set before nbval starts any kernel: the kernels inherit this environment.
os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# Tests never download checkpoints, even where the network is there: notebook 11 uses the real offline models.
os.environ.setdefault("COURSE_OFFLINE", "1")
# Two notebook kernels run side by side (-n 2) on small CI machines: one thread each avoids
# oversubscription, which slows small-model training several times over.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With COURSE_STRICT=1 (set by .ci/run), a browser or Colab-like test may not skip: it fails.

    On a newcomer's machine without Chromium those tests skip and say what to install; in CI the
    software is installed, so a skip would only hide a broken check.
    """
    outcome = yield
    report = outcome.get_result()
    marked = any(next(item.iter_markers(name), None) for name in ("browser", "colab"))
    if os.environ.get("COURSE_STRICT") == "1" and report.skipped and marked:
        report.outcome = "failed"
        report.longrepr = f"skipped under COURSE_STRICT=1, where it must run: {report.longrepr}"

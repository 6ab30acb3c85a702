"""Fixtures of the real-browser tests: one JupyterLab server and one Chromium per session, offline.

Nothing is installed here. Without /usr/bin/chromium (Debian's `chromium` package) or the `playwright`
Python package the tests skip and say which is missing; Playwright's own browser downloads are never
used (`playwright install` is not needed).
"""

from __future__ import annotations

import atexit
import json
import os
import pathlib
import shutil
import signal
import sys
import time
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from lab_page import TIMINGS
from lab_server import REPO, LabServer

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                 "--disable-default-apps", "--no-default-browser-check", "--metrics-recording-only",
                 "--disable-domain-reliability", "--disable-client-side-phishing-detection"]
ARTIFACTS = REPO / "test-artifacts" / "browser"
LOCAL_PREFIXES = ("http://127.0.0.1:", "http://localhost:", "ws://127.0.0.1:", "data:", "blob:", "about:")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: runs notebooks in JupyterLab in a real Chromium (needs /usr/bin/chromium and "
        "playwright; select with -m browser, leave out with -m 'not browser')")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("browser timings (seconds)")
    for row in TIMINGS:
        parts = ", ".join(f"{k} {v}" for k, v in row["seconds"].items())
        terminalreporter.write_line(f"{row['notebook']}: {parts}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(TIMINGS, indent=1))


@pytest.fixture(scope="session")
def sync_api():
    """playwright.sync_api, or a skip that says what to install."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium "
                    "(apt-get install -y --no-install-recommends chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        pytest.skip("the playwright Python package is not installed (pip install playwright; "
                    "no 'playwright install' needed, /usr/bin/chromium is used)")
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.skip("jupyterlab is not installed (pip install -e '.[dev]')")
    return sync_api


@pytest.fixture(scope="session")
def lab(sync_api):
    """A private JupyterLab server on 127.0.0.1 over a temp copy of notebooks/; always stopped."""
    server = LabServer()
    atexit.register(server.stop)  # last resort if the session ends without tearing fixtures down
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):  # turn `kill` into KeyboardInterrupt so the finaliser below runs
        raise KeyboardInterrupt(f"signal {signum}")

    if previous in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, on_sigterm)
    try:
        start = time.monotonic()
        server.start()
        TIMINGS.append({"notebook": "(JupyterLab server start)", "seconds": {"start": round(time.monotonic() - start, 1)}})
        yield server
    finally:
        try:  # the server's log (kernel starts and deaths, extension errors) beside the screenshots
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.log_path, ARTIFACTS / "jupyterlab.log")
        except OSError:
            server.notes.append("no JupyterLab log to keep")
        server.stop()
        atexit.unregister(server.stop)
        if previous in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="session")
def chromium(sync_api):
    """Debian's Chromium driven by Playwright (never Playwright's own browser builds)."""
    pw = sync_api.sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception:
        pw.stop()
        raise
    try:
        yield browser
    finally:
        try:
            browser.close()
        finally:
            pw.stop()


@pytest.fixture
def offline_page(chromium, request):
    """A fresh page that may reach 127.0.0.1 only; every other request is blocked and recorded."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(LOCAL_PREFIXES):
            r.continue_()
        else:
            blocked.append(url)
            r.abort("internetdisconnected")

    context.route("**/*", route)
    page = context.new_page()
    page.blocked_requests = blocked
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.console_errors = console
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def shutdown_kernels(lab):
    """After each notebook, shut its kernel down so kernels do not pile up in memory."""
    yield
    base = f"{lab.url}/api/sessions"
    try:
        with urllib.request.urlopen(f"{base}?token={lab.token}", timeout=10) as r:
            sessions = json.load(r)
        for s in sessions:
            req = urllib.request.Request(f"{base}/{urllib.parse.quote(s['id'])}?token={lab.token}", method="DELETE")
            urllib.request.urlopen(req, timeout=30).close()
    except Exception as err:  # noqa: BLE001 - the server's own shutdown ends them anyway
        lab.notes.append(f"could not shut a kernel down after a test: {err!r}")


@pytest.fixture(scope="session")
def artifacts():
    """test-artifacts/browser/, emptied at the start of the session."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

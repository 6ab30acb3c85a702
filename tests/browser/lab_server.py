"""Start and stop a private, offline JupyterLab server for the browser tests.

The server serves a temporary copy of notebooks/ (so nothing in the repository is modified), with its
own config, settings, workspace and runtime folders (so no user state leaks in), a random token, quick
mode on, and everything that would reach the network turned off (news feed, update check, extension
manager). `LabServer.stop()` ends the server, its kernels and anything else in its process group.
"""

from __future__ import annotations

import ctypes
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"

# User settings written into the private settings folder.
LAB_SETTINGS = {
    # Every cell stays in the DOM (JupyterLab 4 may otherwise render only the cells on screen).
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No "would you like to receive news?" question and no update check from the page.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Never autosave the temporary copy while the test types into widgets.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook_names() -> list[str]:
    """NN_topic.ipynb files present right now, in teaching order."""
    return sorted(p.name for p in NOTEBOOKS.glob(NOTEBOOK_GLOB))


class LabServer:
    """A JupyterLab server on 127.0.0.1 serving a temporary copy of notebooks/."""

    def __init__(self, python: str = sys.executable, startup_timeout: float = 120.0) -> None:
        self.python = python
        self.startup_timeout = startup_timeout
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="course-lab-"))
        self.root = self.tmp / "notebooks"
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None
        self.notes: list[str] = []  # what went wrong while cleaning up (cleanup itself never raises)

    # -- set-up -----------------------------------------------------------------------------------
    def _prepare(self) -> dict:
        # notebooks/ is copied next to a link to data/, so paths relative to the notebooks still work.
        shutil.copytree(NOTEBOOKS, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "solutions"))
        if (REPO / "data").is_dir():
            (self.tmp / "data").symlink_to(REPO / "data", target_is_directory=True)
        settings = self.tmp / "lab-settings"
        for plugin, values in LAB_SETTINGS.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        for name in ("config", "runtime", "workspaces", "ipython"):
            (self.tmp / name).mkdir()
        env = dict(os.environ)
        # tests/conftest.py sets MPLBACKEND=Agg for nbval; in a real classroom there is none, and with it
        # set ipykernel would not switch to the inline backend, so explorers would draw nothing.
        env.pop("MPLBACKEND", None)
        env.update(
            COURSE_QUICK="1",
            COURSE_OFFLINE="1",
            JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
            JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.tmp / "workspaces"),
            IPYTHONDIR=str(self.tmp / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
            # The kernel must import the checked-out course_lib even if it is not installed.
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")])),
            # Keep the two CI cores for the kernel and the browser, not for oversubscribed BLAS threads.
            OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"),
        )
        return env

    def command(self) -> list[str]:
        cmd = [
            self.python, "-m", "jupyter", "lab", "--no-browser",
            "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            # The test reads the notebook model (error outputs, execution counts) through window.jupyterapp.
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.open_browser=False",
            "--ServerApp.terminals_enabled=False",
            # A kernel that never returns must not outlive the server.
            "--MappingKernelManager.shutdown_wait_time=2",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def start(self) -> LabServer:
        try:
            env = self._prepare()
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        # A new session (process group): stop() can end the server and every kernel it started.
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.command(), env=env, cwd=self.tmp, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, preexec_fn=_die_with_parent)  # noqa: PLW1509
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {self.startup_timeout:.0f} s:\n{self.log_tail()}")

    # -- use --------------------------------------------------------------------------------------
    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"

    # -- tear-down --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Shut kernels down, end the server, then any process still using this server's folders.

        Kernels run in sessions of their own (jupyter_client starts them so), so besides the server's
        process group, every process whose command line names this server's private temp folder (the
        kernels get their connection file from it) is ended too. Always removes the temp folder.
        """
        if self.proc is not None and self.proc.poll() is None:
            try:  # the REST API shuts every kernel down cleanly, then the server
                req = urllib.request.Request(f"{self.url}/api/shutdown?token={self.token}", method="POST")
                urllib.request.urlopen(req, timeout=10).close()
                self.proc.wait(timeout=20)
            except Exception as err:  # noqa: BLE001 - fall back to signals below
                self.notes.append(f"REST shutdown failed: {err!r}")
        if self.proc is not None:
            _end_group(self.proc)
        _end_processes_mentioning(str(self.tmp))
        shutil.rmtree(self.tmp, ignore_errors=True)



def _load_libc():
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True) if sys.platform.startswith("linux") else None
    except OSError:
        return None


_LIBC = _load_libc()  # loaded here, not in the forked child, where only async-safe work should happen


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the test process dies without cleaning up (e.g. SIGKILL).

    Its kernels follow: ipykernel exits when the process that started it (JPY_PARENT_PID) is gone.
    """
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _end_group(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL, the process group that `proc` leads (it was started in a new session)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
        time.sleep(0.2)


def _pids_mentioning(text: str) -> list[int]:
    pids = []
    for entry in pathlib.Path("/proc").glob("[0-9]*"):
        try:
            if text.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return [p for p in pids if p != os.getpid()]


def _end_processes_mentioning(text: str) -> None:
    """End the processes this server started whose command line names its private folder `text`."""
    if not pathlib.Path("/proc").is_dir():
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _pids_mentioning(text)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _pids_mentioning(text):
            time.sleep(0.2)

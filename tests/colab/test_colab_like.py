"""The Colab-like check as a test: runs tests/colab/run_colab_like.py over every notebook.

Several minutes (building the environment dominates); set COURSE_COLAB_VENV to a folder to keep the
environment between runs. The report is in test-artifacts/colab/.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.colab

SCRIPT = pathlib.Path(__file__).resolve().parent / "run_colab_like.py"


def test_every_notebook_runs_colab_like():
    cmd = [sys.executable, str(SCRIPT)]
    if os.environ.get("COURSE_COLAB_VENV"):
        cmd += ["--venv", os.environ["COURSE_COLAB_VENV"]]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          timeout=int(os.environ.get("COURSE_COLAB_TIMEOUT", "3600")))
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "WARNING: Location" not in line]
    log = "\n".join(lines[-80:])
    assert proc.returncode != 2, f"could not build the Colab-like environment:\n{log}"
    assert proc.returncode == 0, f"the Colab-like check failed (report in test-artifacts/colab/):\n{log}"

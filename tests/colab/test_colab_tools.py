"""Tests of the Colab-like check's parts, in this environment (no extra one): the stand-in google.colab
makes the course see Colab and the freeze comparison catches a changed package (quick, no marker); the
explorer probe tells a sound explorer from a frozen one and from one that raises (starts a kernel, so it
runs with the `colab` marker)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from run_colab_like import FAKE_GOOGLE, PROBE, REPO, compare_freeze, parse_freeze


def test_fake_google_colab_makes_the_course_see_colab():
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import google.colab; "
            "from course_lib.runtime import in_colab; print(in_colab(), google.colab.IS_FAKE)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code, str(FAKE_GOOGLE)], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    assert out == ["True", "True"]
    without = subprocess.run([sys.executable, "-c", "from course_lib.runtime import in_colab; print(in_colab())"],
                             capture_output=True, text=True, check=True, env=env).stdout.split()
    assert without == ["False"]


def test_freeze_comparison_catches_changed_removed_and_added_packages():
    before = parse_freeze("ipywidgets==7.7.1\nIPython==7.34.0\ntorch==2.13.0+cpu\nnumpy==2.4.6\n")
    after = parse_freeze("ipywidgets==8.1.5\nipython==7.34.0\ntorch==2.13.0+cpu\n"
                         "course_lib @ file:///tmp/src\nregex==2026.1.1\n")
    changed, removed, added = compare_freeze(before, after)
    assert changed == ["ipywidgets 7.7.1 -> 8.1.5"]
    assert removed == ["numpy"]
    assert added == ["course-lib==file:///tmp/src", "regex==2026.1.1"]
    assert compare_freeze(before, before) == ([], [], [])


EXPLORERS = """
import ipywidgets as w
import matplotlib.pyplot as plt
from course_lib.widgets import explorer
sound = explorer(lambda n: plt.plot(range(n)), {"n": w.IntSlider(value=3, min=2, max=9)})
frozen = explorer(lambda c: print("always the same"), {"c": w.Dropdown(options=["a", "b"])})
def draw(n, k):
    if n != 3:
        raise ValueError("bad n")
    print("k is", k)
raises = explorer(draw, {"k": w.Checkbox(value=False), "n": w.IntSlider(value=3, min=2, max=9)})
"""


@pytest.mark.colab
def test_probe_tells_sound_frozen_and_raising_explorers_apart(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(EXPLORERS), nbformat.v4.new_code_cell(PROBE.read_text())]
    env_backup = dict(os.environ)
    os.environ["PYTHONPATH"] = str(REPO)
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend, as in a notebook
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    text = "".join(o.get("text", "") for o in nb.cells[1].outputs if o.output_type == "stream")
    line = next(x for x in text.splitlines() if x.startswith("COURSE_EXPLORER_PROBE "))
    report = json.loads(line.split(" ", 1)[1])
    sound, frozen, raising = report["explorers"]
    assert sound["changed"] and not sound["errors"] and sound["moved"] == ["n.value: 3 -> 4"]
    assert not frozen["changed"] and not frozen["errors"] and frozen["moved"] == ["c.index: 0 -> 1"]
    # the slider is tried first (it raises); the checkbox is never reached
    assert raising["errors"] and "ValueError: bad n" in raising["errors"][0] and not raising["changed"]
    assert raising["moved"] == ["n.value: 3 -> 4"]
    assert report["google_colab_loaded"] is False and report["in_colab"] is False

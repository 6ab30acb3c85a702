"""course_lib.runtime: seeds, device choice, quick mode and the one-line summary."""

import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from course_lib import runtime


def _draw():
    return random.random(), float(np.random.rand()), torch.rand(3)


def test_set_seed_makes_all_generators_repeat():
    runtime.set_seed(123)
    a = _draw()
    runtime.set_seed(123)
    b = _draw()
    runtime.set_seed(124)
    c = _draw()
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    assert a[0] != c[0] and not torch.equal(a[2], c[2])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        runtime.set_seed(bad)


def test_pick_device_prefers_what_is_available(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")
    assert runtime.pick_device().type == expected
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert runtime.pick_device().type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_pick_device_refuses_missing_cuda():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        runtime.pick_device("cuda")


def test_setup_prints_one_line_and_returns_the_device(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    dev = runtime.setup(seed=0)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and f"torch {torch.__version__}" in out[0] and str(dev) in out[0]


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False), ("no", False)])
def test_quick_mode_is_read_from_the_environment(value, expected):
    code = "from course_lib.runtime import QUICK; print(QUICK)"
    out = subprocess.run([sys.executable, "-c", code], env={"COURSE_QUICK": value, "PATH": ""},
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(expected)


def test_in_colab_follows_the_google_colab_module(monkeypatch):
    assert runtime.in_colab() is False
    fake = type(sys)("google.colab")
    monkeypatch.setitem(sys.modules, "google.colab", fake)
    assert runtime.in_colab() is True


def test_setup_cell_runs_outside_colab():
    namespace = {}
    exec(runtime.SETUP_CELL, namespace)
    assert isinstance(namespace["device"], torch.device) and isinstance(namespace["QUICK"], bool)

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


def _figure_png(transparent: bool = False) -> bytes:
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.imshow(np.random.default_rng(0).random((20, 20)))
    ax.set_title("attention")
    out = io.BytesIO()
    fig.savefig(out, format="png", transparent=transparent)
    plt.close(fig)
    return out.getvalue()


@pytest.mark.parametrize("as_text", [True, False])
def test_inline_figures_are_saved_with_256_colours_and_look_the_same(as_text):
    import base64
    import io

    import numpy as np
    from PIL import Image

    from course_lib.runtime import _compacted

    raw = _figure_png()
    data = base64.b64encode(raw).decode("ascii") if as_text else raw
    small = _compacted(lambda fig: data)(None)
    assert isinstance(small, type(data))
    small = base64.b64decode(small) if as_text else small
    before, after = Image.open(io.BytesIO(raw)), Image.open(io.BytesIO(small))
    assert after.mode == "P" and after.size == before.size
    assert len(small) < 0.6 * len(raw), (len(small), len(raw))
    diff = np.abs(np.asarray(before.convert("RGB"), float) - np.asarray(after.convert("RGB"), float))
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) < 40  # the same picture to the eye


def test_a_transparent_figure_keeps_every_colour():
    from course_lib.runtime import _compacted

    raw = _figure_png(transparent=True)
    assert _compacted(lambda fig: raw)(None) is raw
    assert _compacted(lambda fig: None)(None) is None

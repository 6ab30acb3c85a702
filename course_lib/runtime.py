"""Runtime set-up shared by every notebook: seeds, device, quick mode, Colab.

Taught implicitly by every notebook: its second cell calls `setup()`.
Deliberately left out: multi-GPU selection (the training engine owns distributed runs).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import random
import subprocess
import sys

import numpy as np
import torch

# True when COURSE_QUICK is set to a true value (the test run sets it): shrink loops, never change lessons.
QUICK: bool = os.environ.get("COURSE_QUICK", "0").strip().lower() not in ("", "0", "false", "no")

# The second cell of every notebook, character for character (tests/test_conventions.py checks it).
SETUP_CELL = """\
# Setup (the same in every notebook): on Colab, install the course; everywhere, seed and pick the device.
import importlib.util, os, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("course_lib") is None:
    source = os.environ.get("COURSE_SOURCE", "git+https://github.com/transformer-course/transformer-course")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)
from course_lib.runtime import QUICK, setup
device = setup(seed=0)"""

# Packages the course installs on Colab that pip must not resolve dependencies for.
# bertviz declares transformers, boto3 and sentencepiece but its views import none of them.
NO_DEPS_PACKAGES = ("bertviz==1.4.1",)


def in_colab() -> bool:
    """True inside Google Colab (the `google.colab` module is importable)."""
    if "google.colab" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("google.colab") is not None
    except ModuleNotFoundError:  # no `google` package at all
        return False


def set_seed(seed: int = 0) -> None:
    """Seed python, numpy and torch (all devices) so a notebook gives the same numbers every run."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be a non-negative int below 2**32 (numpy's limit), got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def _device(prefer, source: str) -> torch.device:
    """prefer (a name or a torch.device) as a device this machine has; a clear error naming `source`."""
    if isinstance(prefer, torch.device):
        dev = prefer
    elif isinstance(prefer, str):
        try:
            dev = torch.device(prefer.strip().lower())
        except RuntimeError:
            hint = " (a GPU is 'cuda')" if prefer.strip().lower().startswith("gpu") else ""
            raise ValueError(f"{source} must be a device name: 'cpu', 'cuda', 'cuda:<index>' or 'mps'{hint}, "
                             f"got {prefer!r}") from None
    else:
        raise TypeError(f"{source} must be a device name such as 'cpu', 'cuda' or 'mps' (or a torch.device), "
                        f"got {type(prefer).__name__} {prefer!r}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(f"device {str(prefer)!r} was asked for ({source}) but CUDA is not available here")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise RuntimeError(f"device {str(prefer)!r} was asked for ({source}) but this machine has "
                               f"{torch.cuda.device_count()} GPU(s): cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise RuntimeError(f"device {str(prefer)!r} was asked for ({source}) but Apple MPS is not available here")
    return dev


def pick_device(prefer: str | torch.device | None = None) -> torch.device:
    """The best device available: cuda > mps > cpu. `prefer` (or COURSE_DEVICE) forces one."""
    if prefer is not None and prefer != "":
        return _device(prefer, "prefer")
    if os.environ.get("COURSE_DEVICE", "").strip():
        return _device(os.environ["COURSE_DEVICE"], "the environment variable COURSE_DEVICE")
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def preset_for(device) -> str:
    """The model-size tier for a device: "a100" on GPUs with bf16 (compute capability >= 8), "t4" on
    older GPUs, "cpu" elsewhere (CPU, MPS). Every model family keeps a PRESETS table with these names."""
    device = _device(device, "device")
    if device.type == "cuda":
        return "a100" if torch.cuda.get_device_capability(device)[0] >= 8 else "t4"
    return "cpu"


def preset_part(presets: dict[str, dict], name: str, part: str) -> dict:
    """A copy of presets[name][part] ("model" or "train"), with a clear error for an unknown name."""
    if name not in presets:
        raise ValueError(f"name must be one of {list(presets)}, got {name!r}")
    return dict(presets[name][part])


def _install_colab_extras() -> None:
    """On Colab, add the packages installed without their dependencies (see NO_DEPS_PACKAGES)."""
    for spec in NO_DEPS_PACKAGES:
        name = spec.split("==")[0]
        if importlib.util.find_spec(name) is None:
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", spec], check=True)


def _figure_defaults() -> None:
    """Small, readable figures: notebooks are committed with their plots and must stay light."""
    import matplotlib

    matplotlib.rcParams.update({"figure.dpi": 100, "figure.figsize": (6.4, 3.6), "axes.grid": False})
    _compact_inline_png()


def _compact_inline_png() -> None:
    """In a notebook, save each figure as a PNG of at most 256 colours (a colour map has 256 anyway):
    the same picture in about a third of the bytes, so notebooks saved with their figures stay light."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if "inline" not in matplotlib.get_backend():
        return
    plt.switch_backend(matplotlib.get_backend())  # loading the inline backend registers its PNG formatter

    png = shell.display_formatter.formatters["image/png"]
    draw = png.type_printers.get(Figure)
    if draw is not None and not getattr(draw, "compact", False):
        png.for_type(Figure, _compacted(draw))


def _compacted(draw):
    def compact(fig):
        data = draw(fig)
        if not data:
            return data
        import base64
        import io

        from PIL import Image

        raw = base64.b64decode(data) if isinstance(data, str) else data
        try:
            image = Image.open(io.BytesIO(raw))
            if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255:
                return data  # a transparent figure keeps every colour
            out = io.BytesIO()
            image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(out, "png", optimize=True)
        except Exception:  # a smaller file is a bonus: never lose the figure over it
            return data
        small = out.getvalue()
        if len(small) >= len(raw):
            return data
        return base64.b64encode(small).decode("ascii") if isinstance(data, str) else small

    compact.compact = True
    return compact


def describe(device: torch.device) -> str:
    """One line: python, torch and device versions, plus quick mode."""
    where = "Colab" if in_colab() else platform.system()
    dev = str(device)
    if device.type == "cuda":
        dev += f" ({torch.cuda.get_device_name(device)})"
    quick = ", quick mode" if QUICK else ""
    return (f"python {platform.python_version()} | torch {torch.__version__} | numpy {np.__version__} | "
            f"device {dev} | {where}{quick}")


def setup(seed: int = 0, device: str | None = None, verbose: bool = True) -> torch.device:
    """Everything the second cell of a notebook needs: Colab extras, seeds, device, one line of versions."""
    if in_colab():
        _install_colab_extras()
    set_seed(seed)
    _figure_defaults()
    dev = _device(device, "device") if device not in (None, "") else pick_device()
    _install_cell_order()
    if verbose:
        print(describe(dev))
    return dev


def _install_cell_order() -> None:
    """In a notebook, a cell run before the cells it needs says which cell to run (see cell_order)."""
    try:
        from course_lib import cell_order

        cell_order.install()
    except Exception:  # a friendlier message is a bonus: it must never break the setup cell
        pass

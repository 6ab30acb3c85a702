"""Real corpora, downloaded safely: checksum first, atomic cache, synthetic fallback when offline.

Taught in 02_embeddings; used by 10_gpt_pretraining and every notebook that wants real text.
`load_corpus("tinyshakespeare")` returns the cached file, or downloads it (with a short timeout),
checks its sha256 before writing anything, and caches it atomically (a temporary file in the same
folder, then os.replace), so a cached file is always complete. A cached file whose checksum no longer
matches is fetched again. Without a network, or when the checksum fails, it prints one line saying
so and returns the synthetic corpus instead: never a traceback in class.
Deliberately left out: resumable downloads, archives (zip/tar), corpora too big for memory.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import pathlib
import tempfile
import urllib.request
from dataclasses import dataclass

from course_lib.data.stories import synthetic_corpus

SOURCES = ("cache", "download", "synthetic", "synthetic fallback")


@dataclass(frozen=True)
class RemoteFile:
    """Where a corpus lives and how to recognise the right bytes."""

    url: str
    sha256: str
    filename: str
    size: int | None = None  # bytes, for the message only


REGISTRY: dict[str, RemoteFile] = {
    "tinyshakespeare": RemoteFile(
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        filename="tinyshakespeare.txt",
        size=1_115_394,
    ),
}
KNOWN = ("synthetic", *REGISTRY)


@dataclass(frozen=True)
class Corpus:
    """A loaded corpus: its text and where the text came from (one of SOURCES)."""

    name: str
    text: str
    source: str
    path: str | None = None  # the cached file, when there is one

    def __repr__(self) -> str:  # never print a megabyte of text by accident
        return f"Corpus(name={self.name!r}, source={self.source!r}, chars={len(self.text):,})"


class ChecksumError(ValueError):
    """The bytes did not match the expected sha256."""


def cache_folder(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """The cache folder: `cache_dir`, else $COURSE_DATA, else ~/.cache/course_lib."""
    folder = cache_dir or os.environ.get("COURSE_DATA") or pathlib.Path.home() / ".cache" / "course_lib"
    return pathlib.Path(folder).expanduser()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(url: str, sha256: str, timeout: float = 10.0) -> bytes:
    """The bytes at `url`, or an error: OSError (network), ChecksumError (wrong bytes)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data = response.read()
    got = sha256_of(data)
    if got != sha256:
        raise ChecksumError(f"sha256 {got[:12]}... does not match the expected {sha256[:12]}...")
    return data


def write_atomic(path: pathlib.Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` is either absent or complete, never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def _read_cached(path: pathlib.Path, sha256: str) -> bytes | None:
    """The cached bytes if the file exists and is intact; a corrupted file is removed."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if sha256_of(data) == sha256:
        return data
    path.unlink(missing_ok=True)  # corrupted or from another version: fetch it again
    return None


def load_corpus(name: str = "tinyshakespeare", cache_dir: str | os.PathLike | None = None,
                url: str | None = None, sha256: str | None = None, timeout: float = 10.0,
                n_stories: int = 2000, verbose: bool = True) -> Corpus:
    """Load a corpus by name: "tinyshakespeare" (downloaded once, then cached) or "synthetic".

    `url` and `sha256` override the registry entry (a mirror, or a local server in tests). When the
    download fails for any reason, one line is printed (if `verbose`) and the synthetic corpus of
    `n_stories` stories is returned (name "synthetic", source "synthetic fallback"); nothing is cached.
    """
    if name == "synthetic":
        return Corpus("synthetic", synthetic_corpus(n_stories), "synthetic")
    if name not in REGISTRY:
        raise ValueError(f"name must be one of {list(KNOWN)}, got {name!r}")
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    remote = REGISTRY[name]
    url, sha256 = url or remote.url, (sha256 or remote.sha256).lower()
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {url!r}")
    path = cache_folder(cache_dir) / remote.filename

    data = _read_cached(path, sha256)
    if data is not None:
        return Corpus(name, data.decode("utf-8"), "cache", str(path))
    try:
        data = download(url, sha256, timeout)
    except (OSError, ChecksumError, http.client.HTTPException) as err:  # offline, timeout, bad bytes
        if verbose:
            reason = " ".join(str(getattr(err, "reason", err)).split()) or type(err).__name__
            print(f"Could not download {name!r} ({reason}): using the synthetic story corpus instead.")
        return Corpus("synthetic", synthetic_corpus(n_stories), "synthetic fallback")
    try:
        write_atomic(path, data)
    except OSError:  # a read-only or full disk must not stop the lesson: use the text uncached
        return Corpus(name, data.decode("utf-8"), "download")
    return Corpus(name, data.decode("utf-8"), "download", str(path))

"""Real corpora, downloaded safely: checksum first, atomic cache, synthetic fallback when offline.

Taught in 02_embeddings; used by 10_gpt_pretraining and every notebook that wants real text.
`load_corpus("tinyshakespeare")` returns the cached file, or downloads it (download.py: streamed to a
temporary file, capped at the known size, within a deadline, sha256 checked) and caches it atomically
(course_lib.util.atomic_write), so a cached file is always complete. A cached file whose checksum no
longer matches is fetched again; when it cannot even be removed (a read-only class folder) the fresh
copy goes to a cache the user can write (~/.cache/course_lib, then the temporary folder). Without a
network, or when the checksum fails, it prints one line saying so and returns the synthetic corpus
instead: never a traceback in class.
Deliberately left out: resumable downloads, archives (zip/tar), corpora too big for memory.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import pathlib
import re
import tempfile
from dataclasses import dataclass

from course_lib.data.download import ChecksumError, DownloadError, fetch, sha256_of
from course_lib.data.stories import synthetic_corpus
from course_lib.util import atomic_write

SOURCES = ("cache", "download", "synthetic", "synthetic fallback")


@dataclass(frozen=True)
class RemoteFile:
    """Where a corpus lives and how to recognise the right bytes."""

    url: str
    sha256: str
    filename: str
    size: int | None = None  # bytes: a download may not be larger


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


def cache_folder(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """The cache folder: `cache_dir`, else $COURSE_DATA, else ~/.cache/course_lib."""
    folder = cache_dir or os.environ.get("COURSE_DATA") or pathlib.Path.home() / ".cache" / "course_lib"
    return pathlib.Path(folder).expanduser()


def cache_folders(cache_dir: str | os.PathLike | None = None) -> list[pathlib.Path]:
    """Where to look for (and write) a cached file, in order: the cache folder, then the user's own
    cache and a folder in the temporary directory (used when the first is read-only or broken)."""
    user = pathlib.Path.home() / ".cache" / "course_lib"
    temp = pathlib.Path(tempfile.gettempdir()) / f"course_lib-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folders = []
    for folder in (cache_folder(cache_dir), user, temp):
        if folder not in folders:
            folders.append(folder)
    return folders


def _read_cached(path: pathlib.Path, sha256: str) -> tuple[bytes | None, str]:
    """(the cached bytes if the file is there and intact, else None; what was wrong with it, or "").

    A corrupted file is removed; one that cannot be removed (a read-only folder) is left and said."""
    try:
        data = path.read_bytes()
    except OSError:
        return None, ""
    if sha256_of(data) == sha256:
        return data, ""
    try:
        path.unlink()  # corrupted or from another version: fetch it again
    except OSError as err:
        return None, f"the cached copy in {str(path.parent)!r} is corrupted and cannot be removed ({err.strerror})"
    return None, f"the cached copy in {str(path.parent)!r} was corrupted"


def _check_arguments(name, url, sha256, timeout, deadline, n_stories, size, cache_dir) -> None:
    if not isinstance(n_stories, int) or isinstance(n_stories, bool) or n_stories < 1:
        raise ValueError(f"n_stories must be an int >= 1 (the stories of the synthetic corpus), got {n_stories!r}")
    if name not in KNOWN:
        raise ValueError(f"name must be one of {list(KNOWN)}, got {name!r}")
    for arg, value in (("timeout", timeout), ("deadline", deadline)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
            raise ValueError(f"{arg} must be a positive number of seconds, got {value!r}")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise ValueError(f"url must start with http:// or https://, got {url!r}")
    if sha256 is not None and (not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", sha256)):
        raise ValueError(f"sha256 must be 64 hexadecimal digits (a SHA-256 checksum), got {sha256!r}")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise ValueError(f"size must be None or the file's size in bytes (an int >= 1), got {size!r}")
    if cache_dir is not None and pathlib.Path(cache_dir).expanduser().is_file():
        raise ValueError(f"cache_dir must be a folder, got the file {str(cache_dir)!r}")


def _download(name, url, sha256, max_bytes, timeout, deadline, folders) -> tuple[bytes, pathlib.Path | None]:
    """(the verified bytes, the file they were cached in or None); cached in the first folder that takes it."""
    got = {}

    def write(tmp: pathlib.Path) -> None:
        got["started"] = True
        with open(tmp, "wb") as f:
            fetch(url, f, sha256, max_bytes, deadline, timeout)
            f.flush()
            os.fsync(f.fileno())
        got["data"] = tmp.read_bytes()

    for folder in folders:
        path = folder / REGISTRY[name].filename
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(path, write)
            return got["data"], path
        except OSError:
            if "data" in got:  # downloaded, but the rename failed (a full disk): use it uncached
                return got["data"], None
            if got.get("started"):
                raise  # the download itself failed
    out = io.BytesIO()  # no folder takes a file: keep it in memory (it is capped at max_bytes)
    fetch(url, out, sha256, max_bytes, deadline, timeout)
    return out.getvalue(), None


def load_corpus(name: str = "tinyshakespeare", cache_dir: str | os.PathLike | None = None,
                url: str | None = None, sha256: str | None = None, timeout: float = 10.0,
                n_stories: int = 2000, verbose: bool = True, size: int | None = None,
                deadline: float = 300.0) -> Corpus:
    """Load a corpus by name: "tinyshakespeare" (downloaded once, then cached) or "synthetic".

    `url`, `sha256` and `size` (bytes) override the registry entry (a mirror, or a local server in tests).
    `timeout`: seconds one network operation may wait; `deadline`: seconds for the whole download. When
    the download fails for any reason, one line is printed (if `verbose`) and the synthetic corpus of
    `n_stories` stories is returned (name "synthetic", source "synthetic fallback"); nothing is cached.
    """
    _check_arguments(name, url, sha256, timeout, deadline, n_stories, size, cache_dir)
    if name == "synthetic":
        return Corpus("synthetic", synthetic_corpus(n_stories), "synthetic")
    remote = REGISTRY[name]
    url, sha256 = url or remote.url, (sha256 or remote.sha256).lower()
    folders = cache_folders(cache_dir)
    data, problem = _read_cached(folders[0] / remote.filename, sha256)  # removes a corrupted copy if it can
    path = folders[0] / remote.filename
    for folder in folders[1:] if data is None else []:  # a copy made while the first folder was read-only
        with contextlib.suppress(OSError):
            if sha256_of(candidate := (folder / remote.filename).read_bytes()) == sha256:
                data, path = candidate, folder / remote.filename
                break
    try:
        if data is not None:
            text, source = _text(data), "cache"
        else:
            data, path = _download(name, url, sha256, size or remote.size or 2**30, timeout, deadline, folders)
            text, source = _text(data), "download"
    except (OSError, ChecksumError, http.client.HTTPException) as err:  # offline, timeout, bad bytes
        if verbose:
            reason = " ".join(str(getattr(err, "reason", err)).split()) or type(err).__name__
            lead = f"{problem[0].upper()}{problem[1:]}; could not" if problem else "Could not"
            print(f"{lead} download {name!r} ({reason}): using the synthetic story corpus instead.")
        return Corpus("synthetic", synthetic_corpus(n_stories), "synthetic fallback")
    if problem and verbose:
        done = "using the intact copy" if source == "cache" else "downloaded a fresh copy"
        where = f"in {str(path.parent)!r}" if path is not None else "(kept in memory: no folder could hold it)"
        print(f"{problem[0].upper()}{problem[1:]}: {done} {where}.")
    return Corpus(name, text, source, None if path is None else str(path))


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DownloadError(f"the file is not UTF-8 text (byte {err.start})") from None

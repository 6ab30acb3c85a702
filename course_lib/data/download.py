"""A safe download: streamed to a file, capped in size, bounded in time, checked against a sha256.

Taught in 02_embeddings (through `load_corpus`); used by every notebook that fetches real text.
`fetch(url, out, sha256, max_bytes, deadline)` writes the bytes at `url` into the open binary file
`out` a chunk at a time (never the whole response in memory), refuses a body larger than `max_bytes`
(from its Content-Length or while it arrives), gives up when the whole download takes longer than
`deadline` seconds (a server that sends one byte a second never trips a per-read timeout alone), and
checks the sha256 of what arrived. Any failure is a `DownloadError` (an OSError) or a `ChecksumError`.
Deliberately left out: resuming a partial download, proxies beyond what urllib does by itself.
"""

from __future__ import annotations

import hashlib
import time
import urllib.request

CHUNK = 64 * 1024


class ChecksumError(ValueError):
    """The bytes did not match the expected sha256."""


class DownloadError(OSError):
    """The download was refused: too big, too slow, or cut short."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _socket(response):
    """The socket under an http.client response (to shorten its timeout as the deadline nears), or None."""
    raw = getattr(getattr(response, "fp", None), "raw", None)
    return getattr(raw, "_sock", None)


def fetch(url: str, out, sha256: str, max_bytes: int, deadline: float, timeout: float = 10.0) -> int:
    """Stream the bytes at `url` into `out`; returns how many were written. See the module docstring.

    `timeout`: seconds any one network operation may wait; `deadline`: seconds for the whole download.
    """
    start = time.monotonic()
    digest, n = hashlib.sha256(), 0
    with urllib.request.urlopen(url, timeout=min(timeout, deadline)) as response:
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise DownloadError(f"the server offers {int(length):,} bytes, more than the {max_bytes:,} expected")
        sock = _socket(response)
        while True:
            left = deadline - (time.monotonic() - start)
            if left <= 0:
                raise DownloadError(f"the download took longer than its deadline of {deadline:g} s "
                                    f"({n:,} bytes arrived)")
            if sock is not None:
                sock.settimeout(min(timeout, left))  # a read may not outlast the deadline
            try:
                chunk = response.read1(CHUNK)
            except TimeoutError:
                if deadline - (time.monotonic() - start) <= 0:
                    continue  # reported as the deadline above
                raise
            if not chunk:
                break
            n += len(chunk)
            if n > max_bytes:
                raise DownloadError(f"the server sent more than the {max_bytes:,} bytes expected")
            digest.update(chunk)
            out.write(chunk)
        if response.length:  # the connection closed before Content-Length bytes came
            raise DownloadError(f"the download was cut short: {response.length:,} of the promised bytes are missing")
    got = digest.hexdigest()
    if got != sha256:
        raise ChecksumError(f"sha256 {got[:12]}... does not match the expected {sha256[:12]}...")
    return n

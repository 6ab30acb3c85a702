"""The course's own trained models, shipped in data/ with their sha256: a Shakespeare GPT and a translator.

Taught in 11_pretrained_models (offline, these are the pretrained models the notebook shows, next to the
real all-MiniLM-L6-v2). `load_shakespeare_gpt()` returns the character-level GPT that
`python -m course_lib.gpt.train --preset cpu` trained on Tiny Shakespeare, with its character
vocabulary; `load_shipped_translator()` the English -> Spanish EncoderDecoder trained as in
08_encoder_decoder, with its two word vocabularies. Each file is found in the repository's data/ folder
(beside the package, or beside the notebooks/ folder a notebook runs in; else downloaded once from the
repository into the course's cache), its
sha256 is checked against SHIPPED before anything is read, and it is read with torch.load(weights_only=True).
data/README.md gives the commands that made them (course_lib.interop.build). `heldout_loss` measures a
character GPT on the last 10% of a text, the split the training command validates on.
Deliberately left out: training (course_lib.gpt.train, course_lib.interop.build) and any other model.
"""

from __future__ import annotations

import hashlib
import math
import pathlib
from typing import NamedTuple

import torch
import torch.nn.functional as F

from course_lib.data import train_val_split
from course_lib.gpt import GPT, GPTConfig
from course_lib.tokenization import CharTokenizer
from course_lib.transformer import load_translator
from course_lib.util import atomic_write, evaluating

# file in data/ -> its sha256 (data/README.md lists the same)
SHIPPED = {
    "shakespeare_char_gpt.pt": "4e72375ceaace13055c5539816e201d11d63729e5fb128f81f67149bb182291a",
    "translator_en_es.pt": "b03078a95a26776e3aa13cd0efe068f87c99f2df021f2c7c1bccfb6d740a8f73",
}
GPT_FORMAT = "course_lib.interop.shipped_gpt/1"
REPOSITORY_DATA = "https://raw.githubusercontent.com/transformer-course/transformer-course/main/data/"
DATA_DIR = pathlib.Path(__file__).resolve().parents[2] / "data"
MAX_BYTES = 8_000_000  # each shipped file is far smaller


class ShippedFileError(ValueError):
    """A shipped file whose bytes are not the ones the course was published with (damaged or replaced)."""


class ShippedGPT(NamedTuple):
    """What load_shakespeare_gpt returns."""

    model: GPT                 # in eval mode
    tokenizer: CharTokenizer   # the character vocabulary it was trained with
    path: pathlib.Path         # the file it was read from


def sha256_file(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path, expected: str) -> pathlib.Path:
    """path, if its sha256 is `expected`; else a ShippedFileError naming the file and both digests."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {str(path)!r}")
    got = sha256_file(path)
    if got != expected:
        raise ShippedFileError(f"{str(path)!r} has sha256 {got[:16]}..., not the published {expected[:16]}...: "
                               "the file is damaged or not the one the course ships. Restore it (git checkout "
                               "data/) or delete it to download it again.")
    return path


def shipped_path(filename: str, cache_dir=None, timeout: float = 20.0) -> pathlib.Path:
    """Where a shipped file is: data/ of the repository, else the course's cache (downloaded once, checked)."""
    if filename not in SHIPPED:
        raise ValueError(f"filename must be one of {sorted(SHIPPED)}, got {filename!r}")
    for folder in (DATA_DIR, pathlib.Path.cwd().parent / "data", pathlib.Path.cwd() / "data"):  # a checkout; notebooks/
        if (folder / filename).is_file():
            return folder / filename
    from course_lib.data.corpora import cache_folder
    from course_lib.data.download import fetch

    cached = cache_folder(cache_dir) / filename
    if not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)

        def write(tmp: pathlib.Path) -> None:
            with open(tmp, "wb") as out:
                fetch(REPOSITORY_DATA + filename, out, SHIPPED[filename], max_bytes=MAX_BYTES, deadline=timeout * 6,
                      timeout=timeout)
        try:
            atomic_write(cached, write)
        except OSError as err:
            raise FileNotFoundError(f"{filename} is not in {DATA_DIR} (this copy of the course has no data/ "
                                    f"folder) and it could not be downloaded ({err}): clone the repository") from None
    return cached


def _read(path, filename: str, sha256: str | None):
    path = shipped_path(filename) if path is None else pathlib.Path(path)
    verify_sha256(path, SHIPPED[filename] if sha256 is None else sha256)
    return path, torch.load(path, map_location="cpu", weights_only=True)


def save_gpt(path, model: GPT, tokenizer: CharTokenizer, origin: str = "") -> pathlib.Path:
    """Write the slim file load_shakespeare_gpt reads (config, weights, vocabulary), atomically."""
    state = {"format": GPT_FORMAT, "config": model.config.to_dict(), "vocab": list(tokenizer.tokens),
             "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},  # head.weight is tok_emb's
             "origin": origin}
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_shakespeare_gpt(path=None, device=None, sha256: str | None = None) -> ShippedGPT:
    """The shipped character-level GPT trained on Tiny Shakespeare, and its CharTokenizer.

    path: another copy of the file (its sha256 must still be the shipped one, or `sha256`).
    """
    path, state = _read(path, "shakespeare_char_gpt.pt", sha256)
    if not isinstance(state, dict) or state.get("format") != GPT_FORMAT:
        raise ShippedFileError(f"{str(path)!r} was not written by save_gpt ({GPT_FORMAT})")
    model = GPT(GPTConfig.from_dict(state["config"]))
    model.load_state_dict(state["model"])
    model = model.eval() if device is None else model.to(device).eval()
    return ShippedGPT(model, CharTokenizer(state["vocab"]), path)


def load_shipped_translator(path=None, device=None, sha256: str | None = None):
    """(model, en_tokenizer, es_tokenizer): the shipped English -> Spanish translator of 08, checked first."""
    path, _ = _read(path, "translator_en_es.pt", sha256)
    model, en, es = load_translator(path)
    return (model if device is None else model.to(device)), en, es


@torch.no_grad()
def heldout_loss(model: GPT, tokenizer: CharTokenizer, text: str, val_fraction: float = 0.1,
                 batch_size: int = 256) -> float:
    """Mean next-character cross-entropy (nats) on the last val_fraction of `text`, over every non-overlapping
    window of max_len characters: the validation split and windows of python -m course_lib.gpt.train."""
    _, val = train_val_split(torch.tensor(tokenizer.encode(text)), val_fraction=val_fraction)
    T = model.config.max_len
    starts = torch.arange(0, len(val) - T - 1, T)
    if len(starts) == 0:
        raise ValueError(f"text is too short: its last {val_fraction:.0%} has {len(val)} tokens, fewer than a "
                         f"window of {T + 1}")
    device, total = next(model.parameters()).device, 0.0
    with evaluating(model):
        for i in range(0, len(starts), batch_size):
            idx = starts[i:i + batch_size, None] + torch.arange(T)  # (b, T)
            logits = model(val[idx].to(device)).logits.float()
            total += float(F.cross_entropy(logits.flatten(0, 1), val[idx + 1].to(device).flatten(), reduction="sum"))
    loss = total / (len(starts) * T)
    return loss if math.isfinite(loss) else float("nan")


"""Loading a published checkpoint (GPT-2, BERT, Marian en->es) into a course model, with its tokenizer.

Taught in 11_pretrained_models. `load_pretrained(kind)` fetches a Hugging Face model and its tokenizer
("gpt2", "bert" or "marian"), converts the model into the course's class and returns both with the
Hugging Face model (for agreement checks). `name` may be a hub name or a local folder written by
`save_pretrained` (no network needed). When the checkpoint cannot be had (no network, sentencepiece
missing for Marian's tokenizer, a failed download) it prints one line saying why and returns None:
random weights are never passed off as a model (offline, 11 uses all-MiniLM-L6-v2 and the course's own
trained models instead). COURSE_OFFLINE=1 makes it behave as offline for hub names.
Deliberately left out: caching and checksums (huggingface_hub does both) and any model choice beyond the three.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from typing import Any, NamedTuple

import torch

from .bert import bert_from_hf
from .common import require_transformers
from .gpt2 import gpt2_from_hf
from .marian import marian_from_hf

DEFAULT_NAMES = {"gpt2": "gpt2", "bert": "bert-base-uncased", "marian": "Helsinki-NLP/opus-mt-en-es"}
HF_CLASSES = {"gpt2": ("GPT2LMHeadModel", "GPT2TokenizerFast"), "bert": ("BertForPreTraining", "BertTokenizerFast"),
              "marian": ("MarianMTModel", "MarianTokenizer")}
CONVERTERS = {"gpt2": gpt2_from_hf, "bert": bert_from_hf, "marian": marian_from_hf}


class Pretrained(NamedTuple):
    """What load_pretrained returns: our model, the tokenizer, the Hugging Face model (for agreement checks)
    and the checkpoint name or folder it came from."""

    model: torch.nn.Module
    tokenizer: Any
    hf_model: torch.nn.Module
    name: str


def offline_forced() -> bool:
    """True when COURSE_OFFLINE is set to something other than "", "0", "false" or "no"."""
    return os.environ.get("COURSE_OFFLINE", "0").strip().lower() not in ("", "0", "false", "no")


def network_available(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    """True when a TCP connection to host:443 opens within `timeout` seconds (False if COURSE_OFFLINE is set)."""
    if offline_forced():
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _why_not(kind: str, name: str) -> str | None:
    """Why the checkpoint cannot be loaded here (None if it can be tried)."""
    if kind == "marian" and importlib.util.find_spec("sentencepiece") is None:
        return "sentencepiece is not installed (MarianTokenizer needs it: pip install sentencepiece)"
    if os.path.isdir(name):
        return None
    if offline_forced():
        return "COURSE_OFFLINE is set"
    if not network_available():
        return "no network (huggingface.co cannot be reached)"
    return None


def load_pretrained(kind: str, name: str | None = None, device=None) -> Pretrained | None:
    """Our model with a published checkpoint's weights: kind "gpt2", "bert" or "marian" (en->es by default).

    name: a hub name (default DEFAULT_NAMES[kind]) or a folder written by save_pretrained. When it cannot
    be loaded it prints one line saying why and returns None (never random weights).
    """
    if kind not in DEFAULT_NAMES:
        raise ValueError(f"kind must be one of {sorted(DEFAULT_NAMES)}, got {kind!r}")
    if name is not None and (not isinstance(name, (str, os.PathLike)) or not str(name).strip()):
        raise ValueError(f"name must be None, a checkpoint name such as {DEFAULT_NAMES[kind]!r} or a folder, "
                         f"got {name!r}")
    tf = require_transformers()
    name = str(name or DEFAULT_NAMES[kind])
    model_cls, tok_cls = HF_CLASSES[kind]
    reason = _why_not(kind, name)
    if reason is None:
        try:
            tokenizer = getattr(tf, tok_cls).from_pretrained(name)
            hf = getattr(tf, model_cls).from_pretrained(name, attn_implementation="eager").eval()
        except Exception as err:  # a failed download is a message and a fallback, never a traceback in class
            reason = f"loading failed ({type(err).__name__}: {str(err).splitlines()[0][:120] if str(err) else ''})"
    if reason is not None:
        print(f"{name}: not loaded, {reason}.")
        return None
    if device is not None:
        hf = hf.to(device)
    ids = dict(cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id,
               mask_id=tokenizer.mask_token_id) if kind == "bert" else {}
    return Pretrained(CONVERTERS[kind](hf, **ids), tokenizer, hf, name)

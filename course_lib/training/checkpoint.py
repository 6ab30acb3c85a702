"""Checkpoints: written atomically, loaded safely, complete enough to continue the same run.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (through `train`, and directly
to save or load a trained model). A checkpoint is a dict of tensors and plain python values (no
pickled classes), so `torch.load(weights_only=True)` can read it without running any code from the
file. It holds the model and optimizer states, the gradient scaler, the step, the History, the
TrainConfig, the random-number-generator states (python, numpy, torch CPU and CUDA; one set per
process) and an `extra` dict for anything else plain (e.g. the model's config as a dict). Writes go
through course_lib.util.atomic_write; a file that cannot be read (truncated, corrupted, pickled objects)
gets one CheckpointError naming the path and what is wrong, never advice to drop weights_only.
Deliberately left out: sharded checkpoints and keeping the last N files.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import pickle
import random
import zipfile

import numpy as np
import torch
from torch import nn

from course_lib.util import atomic_write

from .history import History

FORMAT = "course_lib.training/1"


def unwrap(model: nn.Module) -> nn.Module:
    """The user's model inside a torch.compile or DistributedDataParallel wrapper (keys without prefixes)."""
    while True:
        if hasattr(model, "_orig_mod"):  # torch.compile
            model = model._orig_mod
        elif isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        else:
            return model


def to_plain(obj):
    """Dataclasses (TrainConfig, History, a model config) -> dicts, recursively; tuples stay tuples."""
    if isinstance(obj, History):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj)
    return obj


def get_rng_states() -> dict:
    """The states of every random number generator a training step may draw from."""
    np_state = np.random.get_state()
    states = {
        "python": random.getstate(),
        "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict) -> None:
    """Put back generator states saved by get_rng_states (exact resume needs this)."""
    random.setstate(tuple(tuple(x) if isinstance(x, list) else x for x in states["python"]))
    name, key, *rest = states["numpy"]
    np.random.set_state((name, np.asarray(key, dtype=np.int64).astype(np.uint32), *rest))
    torch.set_rng_state(states["torch"].cpu())
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in states["cuda"]])


def save_checkpoint(path, model: nn.Module, optimizer=None, scaler=None, step: int = 0, history=None,
                    config=None, rng_states=None, extra: dict | None = None) -> pathlib.Path:
    """Write a checkpoint atomically: a temporary file in the same folder, then os.replace.

    os.replace is atomic, so the file at `path` is always either the old checkpoint or the new one,
    even if the save is interrupted (Ctrl-C, a full disk, a crash). `rng_states`: a dict from
    get_rng_states or a list of them (one per process); default: this process's current states.
    """
    path = checkpoint_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if rng_states is None:
        rng_states = get_rng_states()
    state = {
        "format": FORMAT,
        "model": unwrap(model).state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scaler": scaler.state_dict() if scaler is not None else None,
        "step": int(step),
        "history": to_plain(history),
        "config": to_plain(config),
        "rng": rng_states if isinstance(rng_states, list) else [rng_states],
        "extra": to_plain(extra or {}),
    }
    atomic_write(path, lambda tmp: _write(state, tmp))
    return path


class _RecordingFile:
    """A file whose first write error is kept: torch.save reports a full disk as a vague RuntimeError."""

    def __init__(self, f):
        self.f, self.error = f, None

    def write(self, data) -> int:
        try:
            return self.f.write(data)
        except OSError as err:
            self.error = self.error or err
            raise

    def flush(self) -> None:
        self.f.flush()


def _write(state: dict, tmp: pathlib.Path) -> None:
    """torch.save to tmp, flushed to the disk; an OSError (disk full, file too large) raised as such."""
    with open(tmp, "wb") as f:
        out = _RecordingFile(f)
        try:
            torch.save(state, out)
        except RuntimeError as err:
            if out.error is not None:
                raise out.error from err
            raise
        f.flush()
        os.fsync(f.fileno())


def check_compatible(model: nn.Module, state: dict, source: str = "the checkpoint") -> None:
    """Raise a ValueError naming every parameter whose name or shape differs between model and state."""
    own = unwrap(model).state_dict()
    problems = []
    for name, tensor in state.items():
        if name not in own:
            problems.append(f"{name!r} is in the checkpoint but not in the model")
        elif tuple(own[name].shape) != tuple(tensor.shape):
            problems.append(f"{name!r} has shape {tuple(tensor.shape)} in the checkpoint "
                            f"but {tuple(own[name].shape)} in the model")
    problems += [f"{name!r} is in the model but not in the checkpoint" for name in own if name not in state]
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ValueError(f"{source} was saved from a model with a different config: "
                         + "; ".join(problems[:5]) + more
                         + ". Build the model with the config it was saved with, or start afresh "
                           "(delete the file or choose another checkpoint_path).")


class CheckpointError(ValueError):
    """A file that cannot be read as a checkpoint: truncated, corrupted, or holding pickled Python objects."""


def checkpoint_file(path, must_exist: bool = False, name: str = "path", what: str = "checkpoint") -> pathlib.Path:
    """path as a Path, if it names a file (an existing one if must_exist), not a folder."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)) or not str(path):
        raise TypeError(f"{name} must be a file path (str or pathlib.Path), got {path!r:.80}")
    path = pathlib.Path(path)
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.pt"))[:3]
        hint = f" (it holds {', '.join(inside)})" if inside else ""
        raise IsADirectoryError(f"{name} {str(path)!r} is a folder, not a {what} file{hint}: give the file, "
                                f"e.g. {str(path / (inside[0] if inside else 'model.pt'))!r}")
    if must_exist and not path.is_file():
        raise FileNotFoundError(f"no {what} at {str(path)!r}")
    return path


def read_file(path: pathlib.Path, map_location="cpu", what: str = "checkpoint"):
    """torch.load(path, weights_only=True), with one clear CheckpointError for a file it cannot read."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch.load reports a damaged file in a dozen ways (OSError 22, KeyError, ...)
        size = path.stat().st_size
        if isinstance(err, PermissionError):
            why = "it cannot be read (permission denied)"
        elif isinstance(err, pickle.UnpicklingError) and zipfile.is_zipfile(path) and "GLOBAL" in str(err):
            found = str(err).split("GLOBAL", 1)[1].split()[0]
            why = (f"it holds pickled Python objects ({found}) besides tensors and plain values, which "
                   "weights_only=True refuses to load because unpickling them could run any code")
        elif size == 0:
            why = "it is empty (0 bytes)"
        elif not zipfile.is_zipfile(path):
            why = f"it is not a zip archive as torch.save writes ({size:,} bytes): truncated, corrupted or another file"
        else:
            first = (str(err).strip().split(". ") or [""])[0][:120]
            why = f"its contents are damaged ({size:,} bytes; torch.load said: {type(err).__name__}: {first})"
        raise CheckpointError(f"{str(path)!r} is not a readable {what}: {why}. Use another copy or an "
                              f"earlier {what}, or move the file away to start afresh.") from None


def load_checkpoint(path, model: nn.Module | None = None, optimizer=None, scaler=None,
                    map_location="cpu") -> dict:
    """Read a checkpoint with torch.load(weights_only=True); load the states into what is given.

    Returns the checkpoint dict: 'model', 'optimizer', 'scaler', 'step', 'history' (a History),
    'config' and 'extra' (plain dicts), 'rng' (restore with set_rng_states(ckpt['rng'][0])).
    A model built with a different config raises a ValueError naming the mismatched parameters.
    """
    path = checkpoint_file(path, must_exist=True)
    ckpt = read_file(path, map_location)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a checkpoint written by save_checkpoint ({FORMAT})")
    if model is not None:
        check_compatible(model, ckpt["model"], f"checkpoint {str(path)!r}")
        unwrap(model).load_state_dict(ckpt["model"])
    if optimizer is not None and ckpt["optimizer"] is not None:
        kept = [{k: g[k] for k in ("fused", "foreach") if k in g} for g in optimizer.param_groups]
        optimizer.load_state_dict(ckpt["optimizer"])
        for group, settings in zip(optimizer.param_groups, kept):  # this machine's kernels, not the saver's
            group.update(settings)
    if scaler is not None and ckpt["scaler"] is not None:
        scaler.load_state_dict(ckpt["scaler"])
    if ckpt["history"] is not None:
        ckpt["history"] = History.from_dict(ckpt["history"])
    return ckpt

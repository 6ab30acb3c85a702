"""What every checkpoint converter shares: the shape-checked copy, and reaching transformers lazily.

Taught in 11_pretrained_models. A converter is mostly a table "their tensor -> our parameter"; `copy_`
does one row of it and refuses, with the name of the Hugging Face tensor and both shapes, anything that
does not fit (a wrong config, a transposed matrix). `transformers` is an optional extra: it is imported
inside functions only, so `import course_lib` never needs it.
Deliberately left out: dtype tricks (weights are copied into float32 models) and sharded checkpoints.
"""

from __future__ import annotations

import importlib

import torch
from torch import Tensor, nn


def require_transformers():
    """The transformers module, or an ImportError that says how to install it."""
    try:
        return importlib.import_module("transformers")
    except ImportError as err:  # also raised when sys.modules["transformers"] is None
        raise ImportError("course_lib.interop needs the Hugging Face `transformers` package: "
                          "pip install transformers (or the course's extra: pip install -e '.[hf]')") from err


@torch.no_grad()
def copy_(name: str, ours: Tensor, theirs: Tensor, transpose: bool = False) -> None:
    """Copy the Hugging Face tensor `theirs` (called `name` there) into our parameter `ours`, in place.

    transpose=True copies theirs.T (a (in, out) Conv1D weight into an (out, in) nn.Linear weight).
    Shapes must match exactly: no broadcasting, no silent reshaping. A mismatch is a ValueError naming
    the Hugging Face tensor, its shape and the shape of the course parameter.
    """
    if not isinstance(theirs, Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor from the Hugging Face model, got {type(theirs).__name__}")
    source = theirs.T if transpose else theirs
    if tuple(source.shape) != tuple(ours.shape):
        flipped = f", transposed {tuple(source.shape)}," if transpose else ""
        raise ValueError(f"cannot copy Hugging Face tensor {name!r} of shape {tuple(theirs.shape)}{flipped} into a "
                         f"course parameter of shape {tuple(ours.shape)}: the configs do not describe the same model")
    ours.copy_(source.detach().to(device=ours.device, dtype=ours.dtype))


def copy_linear(name: str, ours: nn.Linear, state: dict, transpose: bool = False) -> None:
    """Copy `name`.weight and `name`.bias into an nn.Linear. transpose=True for GPT-2's Conv1D, which
    stores its weight as (in, out) where nn.Linear stores (out, in)."""
    copy_(f"{name}.weight", ours.weight, state[f"{name}.weight"], transpose=transpose)
    if ours.bias is not None:
        copy_(f"{name}.bias", ours.bias, state[f"{name}.bias"])


def copy_norm(name: str, ours: nn.Module, state: dict) -> None:
    """Copy a LayerNorm's weight (gain) and bias."""
    copy_(f"{name}.weight", ours.weight, state[f"{name}.weight"])
    copy_(f"{name}.bias", ours.bias, state[f"{name}.bias"])


def copy_qkv(names: tuple[str, str, str], ours: nn.Linear, state: dict) -> None:
    """Stack three separate projections (query, key, value) into our fused qkv Linear (3 * d_model rows)."""
    label = " + ".join(names) + " (stacked)"
    copy_(label.replace("(stacked)", "weights (stacked)"), ours.weight,
          torch.cat([state[f"{n}.weight"] for n in names], dim=0))
    copy_(label.replace("(stacked)", "biases (stacked)"), ours.bias, torch.cat([state[f"{n}.bias"] for n in names]))


def check_hf_model(model, class_name: str):
    """A TypeError unless `model` is an instance of transformers.<class_name>."""
    cls = getattr(require_transformers(), class_name)
    if not isinstance(model, cls):
        raise TypeError(f"expected a transformers.{class_name} (or a checkpoint name), got {type(model).__name__}")
    return model


def resolve(hf_model_or_name, class_name: str):
    """A Hugging Face model: the one given, or `class_name.from_pretrained(name)` for a string."""
    if isinstance(hf_model_or_name, str):
        if not hf_model_or_name.strip():
            raise ValueError("the checkpoint name is empty; give e.g. 'gpt2' or a model object")
        cls = getattr(require_transformers(), class_name)
        return cls.from_pretrained(hf_model_or_name)
    return check_hf_model(hf_model_or_name, class_name)


def require_setting(hf_config, name: str, allowed, what: str) -> None:
    """A ValueError when the checkpoint uses an option the course's model does not have."""
    value = getattr(hf_config, name, None)
    if value not in allowed:
        raise ValueError(f"{what}: config.{name}={value!r} is not supported (the course model has {allowed})")

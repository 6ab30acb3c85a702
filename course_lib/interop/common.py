"""What every checkpoint converter shares: the shape-checked copy, and reaching transformers lazily.

Taught in 11_pretrained_models. A converter is a table "our parameter -> their tensor", one per family
(course_lib.bert.HF_NAMES, interop.gpt2.HF_NAMES, interop.marian.HF_NAMES), and `convert` is the loop
over it: `copy_` does one row and refuses, with the name of the Hugging Face tensor and both shapes,
anything that does not fit (a wrong config, a transposed matrix); `convert` also refuses a stack of a
different depth and reports every parameter of ours that no row wrote. Settings that change the
computation but no shape (n_heads, the activation, LayerNorm eps) are compared by `same_settings`, since a
shape check cannot see them. `transformers` is an optional extra: it is imported inside functions only,
so `import course_lib` never needs it.
Deliberately left out: dtype tricks (weights are copied into float32 models) and sharded checkpoints.
"""

from __future__ import annotations

import importlib
import re

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


def _target(model: nn.Module, path: str):
    """Our module or parameter at the dotted `path` (a KeyError naming the path if there is none)."""
    obj = model
    for part in path.split("."):
        if not hasattr(obj, part):
            raise KeyError(f"the course model has no {path!r} (stopped at {part!r}): the table does not fit it")
        obj = getattr(obj, part)
    return obj


def _tensor(state: dict, name: str, ours: str) -> Tensor:
    if name not in state:
        raise KeyError(f"the Hugging Face checkpoint has no tensor {name!r} (needed for our {ours!r})")
    return state[name]


def _expand(table: dict, model: nn.Module, state: dict) -> list[tuple[str, str | tuple[str, ...]]]:
    """The table's rows with {i} replaced by every block index; the depths of both stacks must match."""
    rows = []
    for ours, theirs in table.items():
        if "{i}" not in ours:
            rows.append((ours, theirs))
            continue
        stack = ours.split(".{i}")[0]
        n_ours = len(_target(model, stack))
        first = theirs[0] if isinstance(theirs, tuple) else theirs
        pattern = re.compile(re.escape(first).replace(re.escape("{i}"), r"(\d+)") + r"(\..+)?")  # module or tensor
        n_hf = len({m.group(1) for key in state if (m := pattern.fullmatch(key))})
        if n_hf != n_ours:
            where = first.split("{i}")[0] + "*"
            raise ValueError(f"the Hugging Face model has {n_hf} layers ({where}), ours has {n_ours} ({stack}): "
                             "build ours from the checkpoint's config")
        for i in range(n_ours):
            names = [n.replace("{i}", str(i)) for n in (theirs if isinstance(theirs, tuple) else (theirs,))]
            rows.append((ours.replace("{i}", str(i)), tuple(names) if isinstance(theirs, tuple) else names[0]))
    return rows


@torch.no_grad()
def convert(model: nn.Module, state: dict, table: dict, transpose=lambda theirs: False,
            skip: tuple[str, ...] = ()) -> set[str]:
    """Copy `state` (a Hugging Face state dict) into `model` row by row of `table`; returns what was written.

    A row maps our parameter or module (dotted path, "{i}" for the block index) to their tensor or module
    name; a module row copies each of our module's own parameters (weight, bias) from the same suffix of
    theirs; a tuple of three names is stacked along dim 0 (separate q, k, v into our fused qkv).
    transpose(their_name) -> True for weights stored (in, out) (GPT-2's Conv1D). Rows whose ours starts
    with a prefix in `skip` are left out. Every parameter of ours that no row wrote (outside `skip`) is a
    ValueError: a table that forgets a row fails loudly instead of leaving random weights.
    """
    written = set()
    for ours, theirs in _expand({k: v for k, v in table.items() if not k.startswith(skip)}, model, state):
        target = _target(model, ours)
        if isinstance(target, Tensor):
            copy_(theirs, target, _tensor(state, theirs, ours), transpose=transpose(theirs))
            written.add(ours)
            continue
        for suffix, param in target.named_parameters(recurse=False):
            if isinstance(theirs, tuple):
                names = tuple(f"{t}.{suffix}" for t in theirs)
                label = " + ".join(names) + " (stacked)"
                source = torch.cat([_tensor(state, n, f"{ours}.{suffix}") for n in names], dim=0)
            else:
                label = f"{theirs}.{suffix}"
                source = _tensor(state, label, f"{ours}.{suffix}")
            copy_(label, param, source, transpose=suffix == "weight" and transpose(label))
            written.add(f"{ours}.{suffix}")
    done = {id(_target(model, name)) for name in written}
    missing = [name for name, p in model.named_parameters()  # a tied matrix appears once, under its first name
               if id(p) not in done and not name.startswith(skip)]
    if missing:
        raise ValueError(f"no row of the conversion table writes our {missing[:4]}"
                         + (f" (and {len(missing) - 4} more)" if len(missing) > 4 else ""))
    return written


def same_settings(ours, expected, fields: tuple[str, ...], what: str) -> None:
    """A ValueError naming the first field where our config differs from the checkpoint's.

    Some settings change no shape (n_heads splits the same d_model differently; the activation and the
    LayerNorm eps change the numbers only), so a shape-checked copy would succeed and give wrong outputs.
    """
    for field in fields:
        have, want = getattr(ours, field), getattr(expected, field)
        if have != want:
            raise ValueError(f"our model has {field}={have!r} but the {what} checkpoint has {field}={want!r}: the "
                             f"weights would load and compute something else. Build ours from the checkpoint's "
                             f"config ({type(expected).__name__} from the converter's *_config function)")


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

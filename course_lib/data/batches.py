"""Language-model batches: a train/validation split and random windows of a token stream.

Taught in 02_embeddings (briefly) and used by 10_gpt_pretraining and every notebook that trains a
next-token model. A batch is `(x, y)` with `y` equal to `x` shifted left by one token: at every
position the target is the next token. Deliberately left out: padding and document boundaries
(windows run across them, as in nanoGPT), epochs over every window, device transfer (the caller's).
"""

from __future__ import annotations

import torch
from torch import Tensor


def _check_ids(ids: Tensor) -> None:
    if not isinstance(ids, Tensor):
        raise TypeError(f"ids must be a torch.Tensor of token ids, got {type(ids).__name__}")
    if ids.dim() != 1 or ids.dtype.is_floating_point or ids.dtype == torch.bool:
        raise ValueError(f"ids must be a 1-D integer tensor, got shape {tuple(ids.shape)} and dtype {ids.dtype}")


def train_val_split(ids: Tensor, val_fraction: float = 0.1) -> tuple[Tensor, Tensor]:
    """Split a 1-D token stream into (train, val): the first part and the last `val_fraction`.

    A contiguous split, not a shuffle: neighbouring windows overlap, so shuffling would leak
    validation text into training.
    """
    _check_ids(ids)
    if not isinstance(val_fraction, (int, float)) or isinstance(val_fraction, bool) or not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be a number between 0 and 1 (exclusive), got {val_fraction!r}")
    n_val = max(1, round(len(ids) * val_fraction))
    if n_val >= len(ids):
        raise ValueError(f"ids has {len(ids)} tokens: too few to split with val_fraction={val_fraction}")
    return ids[:-n_val], ids[-n_val:]


def random_batches(ids: Tensor, max_len: int, batch_size: int,
                   generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """`batch_size` random windows of `max_len` tokens: x (B, T) and its next tokens y (B, T), T = max_len.

    y[b, t] == x[b, t + 1] for t < T - 1, and y[b, T - 1] is the token after the window.
    Pass a seeded `generator` for reproducible batches (the global torch RNG is used otherwise).
    """
    _check_ids(ids)
    for name, value in (("max_len", max_len), ("batch_size", batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator (or None), got {type(generator).__name__}")
    if len(ids) < max_len + 1:
        raise ValueError(f"ids has {len(ids)} tokens; max_len={max_len} needs at least {max_len + 1}")
    starts = torch.randint(len(ids) - max_len, (batch_size,), generator=generator)  # (B,)
    offsets = torch.arange(max_len)                                                  # (T,)
    idx = starts[:, None] + offsets[None, :]                                         # (B, T)
    return ids[idx], ids[idx + 1]

"""The pieces of one training step: fetching a batch, the model's loss, checking it (and train's arguments).

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (through `train`).
`LossModule` puts the model and its loss function behind one forward() that returns the loss: that
is what DistributedDataParallel needs to see (it syncs gradients for what its forward computed) and
what torch.compile compiles (model and loss fused into one graph), while the user's model stays
unwrapped and its state_dict keys unchanged. Deliberately left out: data loading and prefetching.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .config import TrainConfig


def model_loss(model: nn.Module, batch: tuple):
    """The default loss_fn: the model's own `loss` method applied to the batch."""
    return model.loss(*batch)


class LossModule(nn.Module):
    """model + loss_fn as one module whose forward returns the loss (what DDP and torch.compile wrap)."""

    def __init__(self, model: nn.Module, loss_fn: Callable):
        super().__init__()
        self.model, self.loss_fn = model, loss_fn

    def forward(self, *batch):
        return self.loss_fn(self.model, batch)


def fetch(get_batch: Callable, split: str, index: int, device: torch.device) -> tuple:
    """get_batch(split, index), checked to be a tuple, with its tensors moved to `device`."""
    batch = get_batch(split, index)
    if not isinstance(batch, (tuple, list)) or not batch:
        raise TypeError(f"get_batch({split!r}, {index}) must return a non-empty tuple of tensors such as "
                        f"(inputs, targets), got {type(batch).__name__}")
    return tuple(t.to(device, non_blocking=True) if isinstance(t, torch.Tensor) else t for t in batch)


def check_loss(loss, need_grad: bool = True):
    """The loss itself, once checked to be a scalar tensor (that backward can start from)."""
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise TypeError(f"loss_fn(model, batch) must return a scalar tensor (the mean loss), got {got}")
    if need_grad and not loss.requires_grad:
        raise ValueError("the loss does not require grad: was it computed under torch.no_grad() or detached?")
    return loss


def check_arguments(model, get_batch, config, loss_fn, eval_fn, callback, flops_per_token):
    """train's arguments checked before anything starts: (config, loss_fn), the defaults filled in."""
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(get_batch):
        raise TypeError(f"get_batch must be a function get_batch(split, index), got {type(get_batch).__name__}")
    for name, fn in (("loss_fn", loss_fn), ("eval_fn", eval_fn), ("callback", callback)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function (or None), got {type(fn).__name__}")
    number = isinstance(flops_per_token, (int, float)) and not isinstance(flops_per_token, bool)
    if not (flops_per_token is None or callable(flops_per_token) or (number and flops_per_token > 0)):
        raise ValueError(f"flops_per_token must be a number > 0, a function of the model or None, "
                         f"got {flops_per_token!r}")
    if loss_fn is None:
        if not callable(getattr(model, "loss", None)):
            raise TypeError(f"{type(model).__name__} has no .loss(*batch) method: "
                            "pass loss_fn=lambda model, batch: ... returning the mean loss")
        loss_fn = model_loss
    return config, loss_fn

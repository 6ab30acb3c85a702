"""The settings of one training run, checked when they are made.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (through `train`).
Deliberately left out: anything about the model or the data; those belong to the notebook.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass(frozen=True)
class TrainConfig:
    """Everything `train` needs to know besides the model and the data.

    Steps count optimizer updates. The learning rate warms up linearly for `warmup_steps`, then follows
    a cosine from `lr` down to `min_lr` at `max_steps` (see `lr_at`). Every `log_every` steps the mean
    training loss is recorded; every `eval_every` steps (and at the first and last step) the mean
    validation loss over `eval_steps` batches. `precision="auto"` picks bf16 on GPUs that support it,
    fp16 with a gradient scaler on older GPUs, fp32 on CPU and Apple MPS. `compile="auto"` turns
    torch.compile on for CUDA only. With `checkpoint_path` a checkpoint is written every
    `checkpoint_every` steps (0: only at the end or when stopped) and an existing one is resumed;
    checkpoint_every without a checkpoint_path is an error (it would never save).
    """

    max_steps: int = 1000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    eval_every: int = 100
    eval_steps: int = 20
    log_every: int = 10
    precision: str = "auto"
    compile: bool | str = "auto"
    checkpoint_path: str | os.PathLike | None = None  # stored as a str
    checkpoint_every: int = 0
    seed: int = 0
    grad_accum_steps: int = 1

    def __post_init__(self) -> None:
        def need(ok: bool, field: str, expected: str) -> None:
            if not ok:
                raise ValueError(f"TrainConfig.{field} must be {expected}, got {getattr(self, field)!r}")

        def is_int(x) -> bool:
            return isinstance(x, int) and not isinstance(x, bool)

        def is_num(x) -> bool:
            return isinstance(x, (int, float)) and not isinstance(x, bool)

        need(is_int(self.max_steps) and self.max_steps >= 1, "max_steps", "an int >= 1")
        need(is_num(self.lr) and self.lr > 0, "lr", "a number > 0")
        need(is_num(self.min_lr) and 0 <= self.min_lr <= self.lr, "min_lr", f"a number in [0, lr={self.lr}]")
        need(is_int(self.warmup_steps) and 0 <= self.warmup_steps <= self.max_steps, "warmup_steps",
             f"an int in [0, max_steps={self.max_steps}]")
        need(is_num(self.weight_decay) and self.weight_decay >= 0, "weight_decay", "a number >= 0")
        need(isinstance(self.betas, (tuple, list)) and len(self.betas) == 2
             and all(is_num(b) and 0 <= b < 1 for b in self.betas), "betas", "two numbers in [0, 1)")
        need(is_num(self.grad_clip) and self.grad_clip >= 0, "grad_clip", "a number >= 0 (0 turns clipping off)")
        need(is_int(self.eval_every) and self.eval_every >= 1, "eval_every", "an int >= 1")
        need(is_int(self.eval_steps) and self.eval_steps >= 0, "eval_steps",
             "an int >= 0 (0 skips the validation loss)")
        need(is_int(self.log_every) and self.log_every >= 1, "log_every", "an int >= 1")
        need(self.precision in PRECISIONS, "precision", f"one of {PRECISIONS}")
        need(self.compile in (True, False, "auto"), "compile", 'True, False or "auto"')
        path = self.checkpoint_path
        need(path is None or (isinstance(path, (str, os.PathLike)) and not isinstance(path, bytes)
                              and os.fspath(path) != ""), "checkpoint_path", "None or a file path (str or pathlib.Path)")
        if path is not None:
            object.__setattr__(self, "checkpoint_path", os.fspath(path))
        need(is_int(self.checkpoint_every) and self.checkpoint_every >= 0, "checkpoint_every",
             "an int >= 0 (0: only at the end)")
        need(path is not None or self.checkpoint_every == 0, "checkpoint_every",
             "0 without a checkpoint_path (nothing would ever be saved): give checkpoint_path='run.pt' as well")
        need(is_int(self.seed) and self.seed >= 0, "seed", "an int >= 0")
        need(is_int(self.grad_accum_steps) and self.grad_accum_steps >= 1, "grad_accum_steps", "an int >= 1")
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))

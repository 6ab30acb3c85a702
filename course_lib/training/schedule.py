"""The learning-rate schedule: linear warmup, then cosine decay to a floor.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (through `train`).
Deliberately left out: other schedules (step, inverse square root, restarts); a pure function of
the step is all that exact resuming needs.
"""

from __future__ import annotations

import math

from .config import TrainConfig


def lr_at(step: int, config: TrainConfig) -> float:
    """The learning rate for update number `step` (0-based).

    Warmup: lr * (step + 1) / warmup_steps, so the first update already moves and update
    warmup_steps - 1 uses the full lr. Then a half cosine from lr (at step warmup_steps) towards
    min_lr (reached at max_steps); from max_steps on, min_lr.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    if step >= config.max_steps:
        return config.min_lr
    progress = (step - config.warmup_steps) / (config.max_steps - config.warmup_steps)  # in [0, 1)
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1.0 + math.cos(math.pi * progress))

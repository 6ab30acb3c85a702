"""What a training run records: losses, learning rate, speed, time.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining; drawn by
course_lib.plots.training (`plot_history`, `LivePlot`).
Deliberately left out: per-parameter statistics and any logging service.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field


@dataclass
class History:
    """The record of one run, filled in by `train` and saved in its checkpoints.

    Every `log_every` steps: `steps` (updates done), `train_loss` (mean over those steps), `lr`,
    `tokens_per_s` (all processes together), `mfu` (model FLOPs utilisation, 0-1; nan if unknown)
    and `time` (seconds of training so far). Every evaluation: `val_steps`, `val_loss`, `val_time`
    and `metrics` (name -> list, one value per evaluation, from an `eval_fn`).
    Totals: `step` (updates done), `tokens_seen`, `elapsed` (seconds), `interrupted`.
    """

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    tokens_per_s: list[float] = field(default_factory=list)
    mfu: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_time: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    step: int = 0
    tokens_seen: int = 0
    elapsed: float = 0.0
    interrupted: bool = False

    def to_dict(self) -> dict:
        """Plain lists, dicts and numbers: safe to store in a checkpoint loaded with weights_only=True."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def time_to(self, val_loss: float) -> float:
        """Seconds of training until the validation loss first reached `val_loss` (inf if never)."""
        for v, t in zip(self.val_loss, self.val_time):
            if v <= val_loss:
                return t
        return math.inf

    def summary(self) -> str:
        """One line: steps, last losses, speed and time."""
        parts = [f"step {self.step}"]
        if self.train_loss:
            parts.append(f"train loss {self.train_loss[-1]:.4f}")
        if self.val_loss:
            parts.append(f"val loss {self.val_loss[-1]:.4f}")
        for name, values in self.metrics.items():
            parts.append(f"{name} {values[-1]:.4g}")
        if self.tokens_per_s:
            parts.append(f"{self.tokens_per_s[-1]:,.0f} tokens/s")
        if self.mfu and not math.isnan(self.mfu[-1]):
            # Above 100% the peak was measured while other programs slowed the matmul down: not a real MFU.
            mfu = self.mfu[-1]
            parts.append(f"MFU {100 * mfu:.1f}%" if mfu <= 1.0 else "MFU unknown (peak measured under load)")
        parts.append(f"{self.elapsed:.1f} s")
        return " | ".join(parts)

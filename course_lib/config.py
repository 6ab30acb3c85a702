"""The one config convention of the course's models: GPTConfig, BertConfig and TransformerConfig share it.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (and every later notebook). A
model's config is a frozen dataclass derived from `ModelConfig`: it is checked when it is made (with a
message naming the field), turns into plain values and back (`to_dict` / `from_dict`, safe to store
beside the weights and to load with weights_only=True), and has presets by hardware with the same names
in every family, "cpu", "t4" and "a100" (some families add "tiny" for tests or "base" for a published
shape). `preset(name, ...)` gives the model size; `recipe(name)` a ready TrainConfig and a batch size.
Deliberately left out: the models themselves and anything about data.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, NamedTuple

from torch import Tensor

from course_lib.guards import is_int
from course_lib.training import TrainConfig

HARDWARE_PRESETS = ("cpu", "t4", "a100")


class ModelOutput(NamedTuple):
    """What every model's forward returns: logits first, then the attentions when asked (else None).

    GPT: logits (B, T, vocab_size), attentions a list over layers of (B, H, T, T_k). The encoder-decoder:
    logits (B, T, tgt_vocab_size), attentions an `Attentions` triple (encoder, decoder, cross lists). BERT
    adds its own fields after these two (course_lib.bert.BertOutput).
    """

    logits: Tensor
    attentions: list[Tensor] | tuple | None = None


class Recipe(NamedTuple):
    """A suggested way to train a preset: the TrainConfig and the batch size (sequences per step)."""

    train: TrainConfig
    batch_size: int


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Base of every model config. Subclasses set PRESETS = {name: {"model": {...}, "train": {...}}}."""

    PRESETS: ClassVar[dict[str, dict]] = {}

    def need(self, ok: bool, name: str, expected: str) -> None:
        """Raise ValueError('<Config>.<name> must be <expected>, got <value>') unless ok."""
        if not ok:
            raise ValueError(f"{type(self).__name__}.{name} must be {expected}, got {getattr(self, name)!r}")

    def need_counts(self, *names: str, low: int = 1) -> None:
        """Each named field must be an int >= low."""
        for name in names:
            self.need(is_int(getattr(self, name)) and getattr(self, name) >= low, name,
                      "a positive int" if low == 1 else f"an int >= {low}")

    def need_shape(self) -> None:
        """The checks every family shares: sizes, heads dividing d_model, dropout, d_ff default 4 * d_model."""
        self.need_counts("d_model", "n_heads", "n_layers", "max_len")
        self.need(self.d_model % self.n_heads == 0, "d_model", f"divisible by n_heads={self.n_heads}")
        if getattr(self, "d_ff", 0) is None:
            object.__setattr__(self, "d_ff", 4 * self.d_model)
        self.need_counts("d_ff")
        self.need(isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1, "dropout", "a number in [0, 1)")

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        """Plain values only: safe to store next to the weights and to load with weights_only=True."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {unknown}; known: {sorted(names)}")
        return cls(**d)

    @classmethod
    def _preset(cls, name: str) -> dict:
        if name not in cls.PRESETS:
            raise ValueError(f"name must be one of {list(cls.PRESETS)} (presets of {cls.__name__}), got {name!r}")
        return cls.PRESETS[name]

    @classmethod
    def preset(cls, name: str, *args, **changes):
        """The model size of preset `name`; args are the required fields (vocabulary sizes), changes override."""
        return cls(*args, **{**cls._preset(name)["model"], **changes})

    @classmethod
    def recipe(cls, name: str, **changes) -> Recipe:
        """A suggested training recipe for preset `name`: Recipe(train=TrainConfig(...), batch_size).

        changes override TrainConfig fields or the batch size; with max_steps changed, the warmup is
        shortened to at most a fifth of the steps.
        """
        fields = {**cls._preset(name)["train"], **changes}
        batch_size = fields.pop("batch_size")
        if "max_steps" in changes and "warmup_steps" not in changes:
            fields["warmup_steps"] = min(fields.get("warmup_steps", 0), max(fields["max_steps"] // 5, 0))
        return Recipe(TrainConfig(**fields), batch_size)

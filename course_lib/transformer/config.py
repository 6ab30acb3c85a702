"""The settings of an encoder-decoder transformer, checked when they are made, and presets by hardware.

Taught in 08_encoder_decoder. One frozen dataclass on the course's config base (course_lib.config:
validation, to_dict/from_dict, presets cpu/t4/a100 plus tiny, `recipe()`) holds every size and every
switch, so a model is rebuilt exactly from its config (saved next to its weights). The switches cover the variants real
checkpoints need (post-norm or pre-norm, a final LayerNorm or not, sinusoidal or learned positions,
embeddings scaled by sqrt(d_model) or not, shared and tied embeddings, a fixed bias on the logits), so a
published model can be loaded into the same classes instead of a copy of them.
Deliberately left out: the model itself (model.py) and anything about training (course_lib.training).
"""

from __future__ import annotations

from dataclasses import dataclass

from course_lib.blocks import ACTIVATIONS
from course_lib.config import ModelConfig
from course_lib.positional import LAYOUTS
from course_lib.tokenization import PAD_ID, SPECIAL_TOKENS

POSITIONALS = ("sinusoidal", "learned")
BOS_ID, EOS_ID = SPECIAL_TOKENS.index("<bos>"), SPECIAL_TOKENS.index("<eos>")


@dataclass(frozen=True)
class TransformerConfig(ModelConfig):
    """Everything an EncoderDecoder is built from.

    n_layers sets both stacks unless n_encoder_layers / n_decoder_layers say otherwise. max_len is the
    longest source and the longest decoder input (positions 0..max_len-1). final_norm: a LayerNorm after
    the last block of each stack; None means "only with norm_first" (pre-norm needs it; torch.nn.Transformer
    always has one). start_id is the first decoder input (None: bos_id; Marian models start from pad_id).
    """

    src_vocab_size: int
    tgt_vocab_size: int
    d_model: int = 128
    n_heads: int = 4
    d_ff: int = 512
    n_layers: int = 3
    n_encoder_layers: int | None = None
    n_decoder_layers: int | None = None
    max_len: int = 64
    dropout: float = 0.1
    activation: str = "relu"
    norm_first: bool = False
    final_norm: bool | None = None
    positional: str = "sinusoidal"
    sinusoidal_layout: str = "interleaved"  # "halves": all sines, then all cosines (Marian checkpoints)
    scale_embeddings: bool = True       # token vectors * sqrt(d_model) before adding positions
    share_embeddings: bool = False      # one table for source and target tokens (one shared vocabulary)
    tie_output: bool = False            # the output layer reuses the target embedding table
    final_logits_bias: bool = False     # a fixed (not trained) bias added to the logits, as Marian has
    label_smoothing: float = 0.0        # used by EncoderDecoder.loss
    pad_id: int = PAD_ID
    bos_id: int = BOS_ID
    eos_id: int = EOS_ID
    start_id: int | None = None
    never_generate: tuple[int, ...] = ()  # ids decoding never picks (Marian: the [PAD] it starts from)

    def __post_init__(self) -> None:
        need, count = self.need, (lambda x, low=1: isinstance(x, int) and not isinstance(x, bool) and x >= low)
        self.need_counts("src_vocab_size", "tgt_vocab_size")
        self.need_shape()
        for name in ("n_encoder_layers", "n_decoder_layers"):
            need(getattr(self, name) is None or count(getattr(self, name)), name, "None or a positive int")
        need(self.positional != "sinusoidal" or self.d_model % 2 == 0, "d_model",
             "even for sinusoidal positions (sin/cos pairs)")
        need(isinstance(self.label_smoothing, (int, float)) and 0 <= self.label_smoothing < 1, "label_smoothing",
             "a number in [0, 1)")
        need(self.activation in ACTIVATIONS, "activation", f"one of {sorted(ACTIVATIONS)}")
        need(self.positional in POSITIONALS, "positional", f"one of {POSITIONALS}")
        need(self.sinusoidal_layout in LAYOUTS, "sinusoidal_layout", f"one of {LAYOUTS}")
        need(self.final_norm in (None, True, False), "final_norm", "None, True or False")
        need(not self.share_embeddings or self.src_vocab_size == self.tgt_vocab_size, "share_embeddings",
             f"False when the vocabularies differ (src {self.src_vocab_size}, tgt {self.tgt_vocab_size})")
        smallest = min(self.src_vocab_size, self.tgt_vocab_size)
        for name in ("pad_id", "bos_id", "eos_id"):
            need(count(getattr(self, name), 0) and getattr(self, name) < smallest, name,
                 f"an id in [0, {smallest}) (both vocabularies)")
        need(self.start_id is None or (count(self.start_id, 0) and self.start_id < self.tgt_vocab_size),
             "start_id", f"None or an id in [0, tgt_vocab_size={self.tgt_vocab_size})")
        if isinstance(self.never_generate, list):  # a config read back from a checkpoint
            object.__setattr__(self, "never_generate", tuple(self.never_generate))
        need(isinstance(self.never_generate, tuple)
             and all(count(i, 0) and i < self.tgt_vocab_size for i in self.never_generate), "never_generate",
             f"a tuple of ids in [0, tgt_vocab_size={self.tgt_vocab_size})")

    @property
    def encoder_layers(self) -> int:
        return self.n_encoder_layers or self.n_layers

    @property
    def decoder_layers(self) -> int:
        return self.n_decoder_layers or self.n_layers

    @property
    def decoder_start_id(self) -> int:
        """The token every decoder input starts with (teacher forcing and decoding alike)."""
        return self.bos_id if self.start_id is None else self.start_id

    @property
    def use_final_norm(self) -> bool:
        return self.norm_first if self.final_norm is None else self.final_norm


# Sizes by hardware, each with a suggested recipe for the synthetic sentence pairs of 08: "tiny" for tests
# and quick runs, "cpu" trains in a few minutes on a laptop CPU, "t4" and "a100" a bigger model on a GPU.
# Vocabulary sizes come from the tokenizers. Sentence lengths vary from batch to batch: no compile.
_ADAM = dict(weight_decay=0.01, compile=False)
PRESETS: dict[str, dict] = {
    "tiny": dict(model=dict(d_model=32, n_heads=2, d_ff=64, n_layers=1, max_len=32, dropout=0.0),
                 train=dict(batch_size=32, lr=2e-3, min_lr=2e-4, warmup_steps=10, max_steps=100, **_ADAM)),
    # minutes of training on plentiful data: nothing to regularise yet, and dropout would slow learning down
    "cpu": dict(model=dict(d_model=128, n_heads=4, d_ff=256, n_layers=2, max_len=32, dropout=0.0),
                train=dict(batch_size=64, lr=2e-3, min_lr=2e-4, warmup_steps=40, max_steps=400, **_ADAM)),
    "t4": dict(model=dict(d_model=256, n_heads=8, d_ff=1024, n_layers=4, max_len=32, dropout=0.1),
               train=dict(batch_size=128, lr=2e-3, min_lr=2e-4, warmup_steps=200, max_steps=2000, **_ADAM)),
    "a100": dict(model=dict(d_model=256, n_heads=8, d_ff=1024, n_layers=4, max_len=32, dropout=0.1),
                 train=dict(batch_size=256, lr=2e-3, min_lr=2e-4, warmup_steps=200, max_steps=2000, **_ADAM)),
}
TransformerConfig.PRESETS = PRESETS
preset = TransformerConfig.preset  # preset(name, src_vocab_size, tgt_vocab_size, **changes)

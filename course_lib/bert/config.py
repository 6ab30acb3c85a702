"""The shape of a BERT model, checked when it is made, and presets by hardware.

Taught in 09_bert_pretraining. One frozen dataclass on the course's config base (course_lib.config:
validation, to_dict/from_dict, presets cpu/t4/a100 plus tiny and base, `recipe()`) holds every size and
switch, so a model is rebuilt exactly from its config. The names follow the course (d_model, n_heads,
d_ff, n_layers, max_len); BERT's own names are given next to each field, so a converter from Hugging
Face checkpoints is a table. `nsp=False` is the RoBERTa-style switch: the loss is masked-LM only (the NSP
head is kept, untrained). Deliberately left out: the model (model.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from course_lib.config import ModelConfig
from course_lib.tokenization import SPECIAL_TOKENS

_ID = {t: SPECIAL_TOKENS.index(t) for t in ("[PAD]", "[CLS]", "[SEP]", "[MASK]")}


@dataclass(frozen=True)
class BertConfig(ModelConfig):
    """Everything a Bert is built from. d_ff defaults to 4 * d_model; d_head = d_model // n_heads."""

    vocab_size: int                 # BERT: vocab_size
    max_len: int = 64               # max_position_embeddings
    d_model: int = 128              # hidden_size
    n_heads: int = 4                # num_attention_heads
    n_layers: int = 2               # num_hidden_layers
    d_ff: int | None = None         # intermediate_size
    dropout: float = 0.1            # hidden_dropout_prob and attention_probs_dropout_prob
    n_segments: int = 2             # type_vocab_size: sentence A and sentence B
    layer_norm_eps: float = 1e-12   # layer_norm_eps
    init_std: float = 0.02          # initializer_range
    nsp: bool = True                # False: no next-sentence loss (RoBERTa)
    pad_id: int = _ID["[PAD]"]      # pad_token_id; the others are BERT's [CLS], [SEP], [MASK]
    cls_id: int = _ID["[CLS]"]
    sep_id: int = _ID["[SEP]"]
    mask_id: int = _ID["[MASK]"]

    def __post_init__(self) -> None:
        self.need_counts("vocab_size", "n_segments")
        self.need_shape()
        self.need(isinstance(self.layer_norm_eps, float) and self.layer_norm_eps > 0, "layer_norm_eps", "a float > 0")
        self.need(isinstance(self.init_std, float) and self.init_std > 0, "init_std", "a float > 0")
        self.need(isinstance(self.nsp, bool), "nsp", "True or False")
        for name in ("pad_id", "cls_id", "sep_id", "mask_id"):
            self.need(isinstance(getattr(self, name), int) and 0 <= getattr(self, name) < self.vocab_size, name,
                      f"a token id in [0, vocab_size={self.vocab_size})")


# BERT's optimiser settings (Adam betas 0.9 / 0.98 as RoBERTa, light weight decay); lengths vary: no compile.
_ADAM = dict(weight_decay=0.01, betas=(0.9, 0.98), compile=False)
# Model sizes per hardware, each with a suggested recipe for the synthetic stories.
PRESETS: dict[str, dict] = {
    # unit tests and quick runs
    "tiny": dict(model=dict(d_model=32, n_heads=2, n_layers=1, max_len=32, dropout=0.0),
                 train=dict(batch_size=32, lr=2e-3, min_lr=2e-4, warmup_steps=20, max_steps=100, **_ADAM)),
    # a laptop CPU (one thread), about two minutes: the class-size run of 09_bert_pretraining, which
    # reaches about 93.5% NSP and 56% MLM accuracy on held-out stories (majority baseline 16%)
    "cpu": dict(model=dict(d_model=128, n_heads=8, n_layers=2, max_len=32, dropout=0.0),
                train=dict(batch_size=64, lr=3e-3, min_lr=3e-4, warmup_steps=50, max_steps=2000, **_ADAM)),
    # a Colab T4 (fp16): twice as wide and deep, four times the data per step
    "t4": dict(model=dict(d_model=256, n_heads=4, n_layers=4, max_len=32, dropout=0.1),
               train=dict(batch_size=128, lr=1e-3, min_lr=1e-4, warmup_steps=200, max_steps=3000, **_ADAM)),
    # an A100 or H100 (bf16)
    "a100": dict(model=dict(d_model=384, n_heads=6, n_layers=6, max_len=32, dropout=0.1),
                 train=dict(batch_size=256, lr=1e-3, min_lr=1e-4, warmup_steps=300, max_steps=3000, **_ADAM)),
    # the shape of bert-base-uncased (110M parameters with its 30,522-token vocabulary), for loading it
    "base": dict(model=dict(d_model=768, n_heads=12, n_layers=12, d_ff=3072, max_len=512, dropout=0.1),
                 train=dict(batch_size=256, lr=1e-4, min_lr=1e-5, warmup_steps=10_000, max_steps=1_000_000, **_ADAM)),
}


BertConfig.PRESETS = PRESETS

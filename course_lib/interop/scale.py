"""What changes at scale: parameter and training-FLOP counts of published models, by the course's formulas.

Taught in 11_pretrained_models. Each published shape is built as a course model on PyTorch's "meta"
device (shapes only, no memory), so GPT-3's 175 billion parameters are counted by the same
GPT.num_params that counts the tiny models of 10_gpt_pretraining. Training compute uses the rule
FLOPs ~ 6 N D (2 per parameter per token forward, 4 backward) for N parameters and D training tokens.
Deliberately left out: attention FLOPs in the 6 N D estimate (small at these context lengths; see
GPT.flops_per_token) and the costs of inference, data and people.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from course_lib.bert import Bert, BertConfig
from course_lib.gpt import GPT, GPTConfig


class Published(NamedTuple):
    """A published model: our config fields, the parameter count its authors give, its training tokens."""

    kind: str                 # "bert" or "gpt"
    shape: dict               # vocab_size, max_len, d_model, n_heads, n_layers
    params: float             # as published
    tokens: float | None      # training tokens D, where the paper gives them


_GPT2 = dict(vocab_size=50257, max_len=1024)
MODELS: dict[str, Published] = {
    # BERT paper: 110M / 340M; 1M steps x 256 sequences x 512 tokens = 128,000 tokens a step
    "BERT-base": Published("bert", dict(vocab_size=30522, max_len=512, d_model=768, n_heads=12, n_layers=12),
                           110e6, 1e6 * 128_000),
    "BERT-large": Published("bert", dict(vocab_size=30522, max_len=512, d_model=1024, n_heads=16, n_layers=24),
                            340e6, 1e6 * 128_000),
    # GPT-2 (OpenAI's corrected sizes); the paper gives no token count
    "GPT-2 small": Published("gpt", dict(**_GPT2, d_model=768, n_heads=12, n_layers=12), 124e6, None),
    "GPT-2 medium": Published("gpt", dict(**_GPT2, d_model=1024, n_heads=16, n_layers=24), 355e6, None),
    "GPT-2 large": Published("gpt", dict(**_GPT2, d_model=1280, n_heads=20, n_layers=36), 774e6, None),
    "GPT-2 XL": Published("gpt", dict(**_GPT2, d_model=1600, n_heads=25, n_layers=48), 1558e6, None),
    # GPT-3 paper: 175B parameters, 300B training tokens, 2048-token context
    "GPT-3": Published("gpt", dict(vocab_size=50257, max_len=2048, d_model=12288, n_heads=96, n_layers=96),
                       175e9, 300e9),
}


def build_on_meta(name: str) -> torch.nn.Module:
    """The course model (Bert or GPT) with the shape of MODELS[name], on the meta device (no memory)."""
    if name not in MODELS:
        raise ValueError(f"name must be one of {list(MODELS)}, got {name!r}")
    m = MODELS[name]
    with torch.device("meta"):
        if m.kind == "bert":
            return Bert(BertConfig(dropout=0.0, **m.shape))
        return GPT(GPTConfig(activation="gelu_tanh", **m.shape))


def count_params(name: str) -> int:
    """Parameters of the published shape, counted by our own model (Bert.num_params / GPT.num_params)."""
    return build_on_meta(name).num_params()


def training_flops(n_params: float, n_tokens: float) -> float:
    """Training compute, FLOPs ~ 6 N D: forward 2 N and backward 4 N per token, over D tokens."""
    if n_params <= 0 or n_tokens <= 0:
        raise ValueError(f"n_params and n_tokens must be positive, got {n_params!r} and {n_tokens!r}")
    return 6.0 * n_params * n_tokens


def scale_table() -> list[dict]:
    """One row per published model: our count, the published count, their ratio and 6 N D (or None)."""
    rows = []
    for name, m in MODELS.items():
        ours = count_params(name)
        rows.append(dict(name=name, ours=ours, published=m.params, ratio=ours / m.params, tokens=m.tokens,
                         flops=training_flops(ours, m.tokens) if m.tokens else None))
    return rows

"""The GPT model: its config and presets, the decoder block, parameter and FLOP counting.

Taught in 10_gpt_pretraining. The attention is course_lib.multihead's MultiHeadAttention with
is_causal=True, which calls PyTorch's fused kernel; with need_weights=True it runs the readable version
and returns the weights (a list over layers of (B, H, T, T)). Deliberately left out: generation
(course_lib.gpt.sampling), a key/value cache, and weight loading from GPT-2 (11_pretrained_models).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.blocks import ACTIVATIONS, FeedForward
from course_lib.embeddings import TokenEmbedding
from course_lib.multihead import MultiHeadAttention
from course_lib.positional import LearnedPositionalEmbedding
from course_lib.runtime import preset_for, preset_part  # noqa: F401 (preset_for: re-exported)

# Model sizes per hardware; each also suggests a training recipe (see GPTConfig.recipe).
PRESETS: dict[str, dict] = {
    # A laptop CPU: small and fast. On Tiny Shakespeare (characters) it reaches a validation loss of 1.88
    # in well under half the time of nanoGPT's CPU recipe (benchmarks/gpt_cpu.py): a quarter of the
    # FLOPs per token, many short windows per batch, a high learning rate with a short warmup.
    "cpu": dict(model=dict(n_layers=4, n_heads=4, d_model=64, max_len=32, dropout=0.0),
                train=dict(batch_size=64, lr=5e-3, min_lr=5e-4, warmup_steps=50, max_steps=1200)),
    # A Colab T4 (fp16): nanoGPT's Shakespeare model (10.7M parameters), trained for a shorter time.
    "t4": dict(model=dict(n_layers=6, n_heads=6, d_model=384, max_len=256, dropout=0.2),
               train=dict(batch_size=32, lr=1e-3, min_lr=1e-4, warmup_steps=100, max_steps=2500)),
    # An A100 or newer (bf16, compiled): the same model with nanoGPT's full GPU recipe (val loss ~1.47).
    "a100": dict(model=dict(n_layers=6, n_heads=6, d_model=384, max_len=256, dropout=0.2),
                 train=dict(batch_size=64, lr=1e-3, min_lr=1e-4, warmup_steps=100, max_steps=5000)),
}


@dataclass(frozen=True)
class GPTConfig:
    """The shape of a GPT. d_ff defaults to 4 * d_model; d_head = d_model // n_heads."""

    vocab_size: int
    max_len: int = 64
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 4
    d_ff: int | None = None
    dropout: float = 0.0
    activation: str = "gelu"        # of the feed-forward network; GPT-2's checkpoints use "gelu_tanh"
    layer_norm_eps: float = 1e-5

    def __post_init__(self) -> None:
        for name in ("vocab_size", "max_len", "d_model", "n_heads", "n_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"GPTConfig.{name} must be a positive int, got {value!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"GPTConfig.d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        if self.d_ff is None:
            object.__setattr__(self, "d_ff", 4 * self.d_model)
        if not isinstance(self.d_ff, int) or self.d_ff < 1:
            raise ValueError(f"GPTConfig.d_ff must be a positive int or None, got {self.d_ff!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig.dropout must be in [0, 1), got {self.dropout!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"GPTConfig.activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if not isinstance(self.layer_norm_eps, float) or self.layer_norm_eps <= 0:
            raise ValueError(f"GPTConfig.layer_norm_eps must be a float > 0, got {self.layer_norm_eps!r}")

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    @classmethod
    def preset(cls, name: str, vocab_size: int, **changes) -> GPTConfig:
        """The model size for "cpu", "t4" or "a100"; `changes` override single fields."""
        return cls(vocab_size=vocab_size, **{**preset_part(PRESETS, name, "model"), **changes})

    @staticmethod
    def recipe(name: str) -> dict:
        """A suggested training recipe for a preset: batch_size plus TrainConfig fields (lr, steps...)."""
        return preset_part(PRESETS, name, "train")



class GPTBlock(nn.Module):
    """Pre-norm decoder block: x + attention(LN(x)) with a causal mask, then x + ffn(LN(x)).

    Built from the course's MultiHeadAttention (is_causal=True: the fused kernel skips the future
    without a mask tensor) and FeedForward (GELU). Unlike 08's decoder block there is no
    cross-attention: a GPT has no encoder to listen to. The norms are torch's nn.LayerNorm, the same
    computation as course_lib.blocks.LayerNorm in one fused kernel (about 12% faster training on CPU).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        eps = config.layer_norm_eps
        self.norm1 = nn.LayerNorm(config.d_model, eps=eps)
        self.attn = MultiHeadAttention(config.d_model, config.n_heads, config.dropout)
        self.norm2 = nn.LayerNorm(config.d_model, eps=eps)
        self.ffn = FeedForward(config.d_model, config.d_ff, config.dropout, activation=config.activation)
        self.dropout1, self.dropout2 = nn.Dropout(config.dropout), nn.Dropout(config.dropout)

    def forward(self, x: Tensor, need_weights: bool = False) -> tuple[Tensor, Tensor | None]:
        attn, weights = self.attn(self.norm1(x), need_weights=need_weights, is_causal=True)
        x = x + self.dropout1(attn)  # (B, T, d_model)
        x = x + self.dropout2(self.ffn(self.norm2(x)))
        return x, weights  # weights: (B, H, T, T) or None


class GPT(nn.Module):
    """A decoder-only language model: forward(ids) -> logits (B, T, vocab_size)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"config must be a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.tok_emb = TokenEmbedding(config.vocab_size, config.d_model)
        self.pos_emb = LearnedPositionalEmbedding(config.max_len, config.d_model, config.dropout)
        self.blocks = nn.ModuleList(GPTBlock(config) for _ in range(config.n_layers))
        self.norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # tied: one (vocab_size, d_model) matrix reads and writes tokens
        self._init_weights()

    @torch.no_grad()
    def _init_weights(self) -> None:
        """GPT-2's initialisation: N(0, 0.02) everywhere, zero biases, and the layers that write into the
        residual stream scaled by 1 / sqrt(2 * n_layers) so the stream does not grow with depth."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        for block in self.blocks:
            for w in (block.attn.out.weight, block.ffn.linear2.weight):
                nn.init.normal_(w, std=0.02 / math.sqrt(2 * self.config.n_layers))

    def _check_ids(self, ids, name: str = "ids") -> None:
        if not isinstance(ids, Tensor) or ids.dtype.is_floating_point or ids.dtype == torch.bool:
            got = f"dtype {ids.dtype}" if isinstance(ids, Tensor) else type(ids).__name__
            raise TypeError(f"{name} must be an integer tensor of token ids (B, T), got {got}")
        if ids.dim() != 2 or ids.shape[1] == 0:
            raise ValueError(f"{name} must have shape (B, T) with T >= 1, got {tuple(ids.shape)}")
        if ids.shape[1] > self.config.max_len:
            raise ValueError(f"{name} has T={ids.shape[1]} tokens, more than max_len={self.config.max_len} "
                             f"(the context this model was built for); crop to the last {self.config.max_len}")

    def forward(self, ids: Tensor, need_weights: bool = False) -> Tensor | tuple[Tensor, list[Tensor]]:
        """ids (B, T) -> logits (B, T, vocab_size); with need_weights also a list over layers of (B, H, T, T)."""
        self._check_ids(ids)
        x = self.pos_emb(self.tok_emb(ids))  # (B, T, d_model): what each token is + where it is
        attentions = []
        for block in self.blocks:
            x, weights = block(x, need_weights)
            attentions.append(weights)
        logits = self.head(self.norm(x))  # (B, T, vocab_size): a score for every possible next token
        return (logits, attentions) if need_weights else logits

    def loss(self, ids: Tensor, targets: Tensor) -> Tensor:
        """Mean cross-entropy of predicting targets[b, t] (the token after ids[b, t]) at every position."""
        if not isinstance(targets, Tensor) or targets.shape != getattr(ids, "shape", None):
            got = tuple(targets.shape) if isinstance(targets, Tensor) else type(targets).__name__
            raise ValueError(f"targets must be a tensor with the shape of ids {tuple(getattr(ids, 'shape', ()))}, "
                             f"got {got}")
        logits = self(ids)  # (B, T, V)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))

    def num_params(self, exclude_embeddings: bool = False) -> int:
        """Parameters (the tied embedding/head matrix counted once). exclude_embeddings=True leaves out the
        token and position tables, as in the scaling-law papers."""
        total = sum(p.numel() for p in self.parameters())
        if exclude_embeddings:
            total -= self.tok_emb.weight.numel() + self.pos_emb.weight.numel()
        return total

    def flops_per_token(self, T: int | None = None) -> float:
        """Training FLOPs per token (forward + backward) at context length T (default max_len).

        6 per parameter that multiplies (2 forward, 4 backward): every non-embedding parameter plus the
        output head (tied to the embedding, but a real matmul), and 12 * n_layers * d_model * T for the
        attention scores and the weighted sum (the PaLM appendix B and nanoGPT formula).
        """
        c = self.config
        T = c.max_len if T is None else T
        n = self.num_params(exclude_embeddings=True) + c.vocab_size * c.d_model
        return 6.0 * n + 12.0 * c.n_layers * c.d_model * T

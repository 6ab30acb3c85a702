"""The GPT model: its config and presets, a stack of the course's one block, parameter and FLOP counting.

Taught in 10_gpt_pretraining. Each layer is course_lib.blocks.Block with norm_first=True (pre-norm, as
GPT-2) and causal=True: attention calls PyTorch's fused kernel, and with need_weights=True the readable
version that also returns the weights (a list over layers of (B, H, T, T_k)). `forward` takes an
optional attention mask (B, T_past + T), 1 = real token, so left-padded prompts batch together, and an
optional cache (`new_cache()`, a KVCache per layer) so generation reads each token once.
The config's modern switches (12_modern_llm) turn the same model into a Llama-style one: positional="rope",
norm="rmsnorm", ffn="swiglu", n_kv_heads (grouped-query attention), window (sliding-window attention),
bias=False and tie_embeddings=False.
Deliberately left out: generation itself (course_lib.gpt.sampling) and weight loading from GPT-2 or Llama
(course_lib.interop, 11_pretrained_models and 12_modern_llm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.blocks import ACTIVATIONS, Block, LayerNorm
from course_lib.config import ModelConfig, ModelOutput
from course_lib.embeddings import TokenEmbedding
from course_lib.guards import number, token_ids
from course_lib.guards import targets as check_targets
from course_lib.masking import attention_mask_to_padding
from course_lib.modern import RMSNorm
from course_lib.multihead import KVCache
from course_lib.positional import LearnedPositionalEmbedding

IGNORE = -100  # a target that is not scored (padding), as torch's cross_entropy ignore_index

# Model sizes per hardware, each with a suggested training recipe (GPTConfig.recipe).
PRESETS: dict[str, dict] = {
    # A laptop CPU: small and fast. On Tiny Shakespeare (characters) it reaches a validation loss near
    # 1.9 in well under half the time of nanoGPT's CPU recipe (benchmarks/gpt_cpu.py): a quarter of the
    # FLOPs per token, many short windows per batch, a high learning rate with a short warmup.
    "cpu": dict(model=dict(n_layers=4, n_heads=4, d_model=64, max_len=32, dropout=0.0),
                train=dict(batch_size=64, lr=5e-3, min_lr=5e-4, warmup_steps=50, max_steps=1200, betas=(0.9, 0.99))),
    # A Colab T4 (fp16): nanoGPT's Shakespeare model (10.7M parameters), trained for a shorter time.
    "t4": dict(model=dict(n_layers=6, n_heads=6, d_model=384, max_len=256, dropout=0.2),
               train=dict(batch_size=32, lr=1e-3, min_lr=1e-4, warmup_steps=100, max_steps=2500, betas=(0.9, 0.99))),
    # An A100 or newer (bf16, compiled): the same model with nanoGPT's full GPU recipe (val loss ~1.47).
    "a100": dict(model=dict(n_layers=6, n_heads=6, d_model=384, max_len=256, dropout=0.2),
                 train=dict(batch_size=64, lr=1e-3, min_lr=1e-4, warmup_steps=100, max_steps=5000, betas=(0.9, 0.99))),
}


@dataclass(frozen=True)
class GPTConfig(ModelConfig):
    """The shape of a GPT. d_ff defaults to 4 * d_model; d_head = d_model // n_heads."""

    PRESETS = PRESETS

    vocab_size: int
    max_len: int = 64
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 4
    d_ff: int | None = None
    dropout: float = 0.0
    activation: str = "gelu"        # of the feed-forward network; GPT-2's checkpoints use "gelu_tanh"
    layer_norm_eps: float = 1e-5    # of every norm (LayerNorm or RMSNorm)
    # the switches from GPT-2 to a modern LLM (12_modern_llm); the defaults are GPT-2's
    positional: str = "learned"     # "rope": rotary positions in attention, no position table
    rope_base: float = 10000.0
    norm: str = "layernorm"         # or "rmsnorm"
    ffn: str = "mlp"                # or "swiglu" (gate, up, down: no activation field needed)
    n_kv_heads: int | None = None   # grouped-query attention: fewer key/value heads (None = n_heads)
    window: int | None = None       # sliding-window attention: each token sees its last `window` tokens
    bias: bool = True               # biases in attention and feed-forward layers
    tie_embeddings: bool = True     # the output head reuses the token embedding matrix

    def __post_init__(self) -> None:
        self.need_counts("vocab_size")
        self.need_shape()
        self.need(self.activation in ACTIVATIONS, "activation", f"one of {sorted(ACTIVATIONS)}")
        self.need(isinstance(self.layer_norm_eps, float) and self.layer_norm_eps > 0, "layer_norm_eps", "a float > 0")
        self.need(self.positional in ("learned", "rope"), "positional", '"learned" or "rope"')
        self.need(self.norm in ("layernorm", "rmsnorm"), "norm", '"layernorm" or "rmsnorm"')
        self.need(self.ffn in ("mlp", "swiglu"), "ffn", '"mlp" or "swiglu"')
        self.need(self.positional != "rope" or self.d_head % 2 == 0, "positional", f'"learned" when d_head='
                  f"{self.d_head} is odd (rotary positions turn pairs of dimensions)")
        self.need(self.n_kv_heads is None or (isinstance(self.n_kv_heads, int) and self.n_kv_heads >= 1
                                              and self.n_heads % self.n_kv_heads == 0), "n_kv_heads",
                  f"None or a positive int dividing n_heads={self.n_heads}")
        self.need(self.window is None or (isinstance(self.window, int) and self.window >= 1), "window",
                  "None or a positive int")
        self.need(isinstance(self.bias, bool) and isinstance(self.tie_embeddings, bool), "bias",
                  "True or False (and tie_embeddings too)")


class GPT(nn.Module):
    """A decoder-only language model: forward(ids) -> ModelOutput(logits (B, T, vocab_size), attentions)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"config must be a GPTConfig, got {type(config).__name__}")
        c = self.config = config
        self.tok_emb = TokenEmbedding(c.vocab_size, c.d_model)
        rope = c.positional == "rope"  # rotary positions live in attention; otherwise a learned table is added
        self.pos_emb = None if rope else LearnedPositionalEmbedding(c.max_len, c.d_model, c.dropout)
        self.drop = nn.Dropout(c.dropout) if rope else nn.Identity()  # the table's module drops otherwise
        self.blocks = nn.ModuleList(Block(c.d_model, c.n_heads, c.d_ff, c.dropout, c.activation, norm_first=True,
                                          causal=True, eps=c.layer_norm_eps, bias=c.bias, norm=c.norm, ffn=c.ffn,
                                          n_kv_heads=c.n_kv_heads, rope_base=c.rope_base if rope else None,
                                          window=c.window) for _ in range(c.n_layers))
        self.norm = (LayerNorm if c.norm == "layernorm" else RMSNorm)(c.d_model, eps=c.layer_norm_eps)
        self.head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        if c.tie_embeddings:
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
            ffn_out = block.ffn.linear2 if hasattr(block.ffn, "linear2") else block.ffn.down
            for w in (block.self_attn.out.weight, ffn_out.weight):
                nn.init.normal_(w, std=0.02 / math.sqrt(2 * self.config.n_layers))

    def new_cache(self) -> list[KVCache]:
        """An empty key/value cache, one KVCache per block, for forward(..., cache=...)."""
        return [KVCache() for _ in self.blocks]

    def forward(self, ids: Tensor, attention_mask: Tensor | None = None, cache: list[KVCache] | None = None,
                need_weights: bool = False) -> ModelOutput:
        """ids (B, T) -> ModelOutput(logits (B, T, vocab_size), attentions: list of (B, H, T, T_k) or None).

        attention_mask (B, T_past + T), 1 = real token, 0 = padding (left padding for batched prompts): padding
        is never attended to and positions count real tokens only. cache: from new_cache(), updated in place;
        it holds T_past earlier positions whose keys and values are reused.
        """
        c, past = self.config, (len(cache[0]) if cache else 0)
        token_ids("ids", ids, c.vocab_size, c.max_len - past)
        if cache is not None and len(cache) != len(self.blocks):
            raise ValueError(f"cache must hold one KVCache per block ({len(self.blocks)}), got {len(cache)}: "
                             "make it with model.new_cache()")
        mask, positions = None, torch.arange(past, past + ids.shape[1], device=ids.device)  # (T,)
        if attention_mask is not None:
            if attention_mask.shape != (ids.shape[0], past + ids.shape[1]):
                raise ValueError(f"attention_mask must have shape (B, T_past + T) = {(ids.shape[0], past + ids.shape[1])},"
                                 f" got {tuple(attention_mask.shape)}")
            real = attention_mask_to_padding(attention_mask)[:, 0, 0]  # (B, T_past + T), True = a real token
            positions = (real.long().cumsum(-1) - 1).clamp(min=0)[:, past:]  # (B, T): real tokens before
            mask = attention_mask_to_padding(attention_mask, queries=ids.shape[1])  # (B, 1, T, T_past + T)
        x = self.tok_emb(ids)  # (B, T, d_model): what each token is
        x = self.drop(x) if self.pos_emb is None else self.pos_emb(x, positions)  # + where it is (unless rope)
        attentions = []
        for i, block in enumerate(self.blocks):
            x, weights = block(x, mask, need_weights=need_weights, cache=None if cache is None else cache[i],
                               positions=positions)
            attentions.append(weights)
        logits = self.head(self.norm(x))  # (B, T, vocab_size): a score for every possible next token
        return ModelOutput(logits, attentions if need_weights else None)

    def loss(self, ids: Tensor, targets: Tensor) -> Tensor:
        """Mean cross-entropy of predicting targets[b, t] (the token after ids[b, t]) at every position
        (IGNORE = -100 marks a position not to score)."""
        check_targets("targets", targets, token_ids("ids", ids), self.config.vocab_size, ignore_index=IGNORE)
        logits = self(ids).logits  # (B, T, V)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)

    def num_params(self, exclude_embeddings: bool = False) -> int:
        """Parameters (the tied embedding/head matrix counted once). exclude_embeddings=True leaves out the
        token and position tables, as in the scaling-law papers."""
        total = sum(p.numel() for p in self.parameters())
        if exclude_embeddings:
            total -= self.tok_emb.weight.numel() + (self.pos_emb.weight.numel() if self.pos_emb is not None else 0)
        return total

    def flops_per_token(self, T: int | None = None) -> float:
        """Training FLOPs per token (forward + backward) at context length T (default max_len).

        6 per parameter that multiplies (2 forward, 4 backward): every non-embedding parameter plus the
        output head (tied to the embedding, but a real matmul), and 12 * n_layers * d_model * T for the
        attention scores and the weighted sum (the PaLM appendix B and nanoGPT formula).
        """
        c = self.config
        T = c.max_len if T is None else int(number("T", T, 1, c.max_len, high_open=False))
        n = self.num_params(exclude_embeddings=True) + (c.vocab_size * c.d_model if c.tie_embeddings else 0)
        return 6.0 * n + 12.0 * c.n_layers * c.d_model * T

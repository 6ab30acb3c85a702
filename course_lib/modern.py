"""The parts a modern LLM block swaps in: RMSNorm, the SwiGLU feed-forward network, and sizing formulas.

Taught in 12_modern_llm ("from the 2018 GPT to a modern LLM"). RMSNorm drops LayerNorm's mean and
bias; SwiGLU gates the feed-forward network with a second projection. Both match Hugging Face's
LlamaRMSNorm and LlamaMLP (same parameter names up to `gate`/`up`/`down`, same float32 arithmetic),
so Llama weights can be copied in. Three plain formulas size what the notebook's explorer shows:
parameters of the norms and feed-forward networks, the bytes of a KV cache, and how far back a token
can see through stacked sliding-window attention.
Deliberately left out: other gated variants (GeGLU, ReGLU), the block that uses these parts
(course_lib.blocks), grouped-query attention itself (course_lib.multihead), and fused kernels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.guards import features, number, positive_int


class RMSNorm(nn.Module):
    """Scale each vector to root-mean-square 1, then by a learned gain: y = x / sqrt(mean(x^2) + eps) * weight.

    Unlike LayerNorm nothing is subtracted (no mean, no bias): one statistic and d_model parameters
    instead of two. As in Llama, the statistic is computed in float32 (float64 stays float64) and the
    normalised vector is cast back to the input's dtype before the gain is applied.
    """

    def __init__(self, d_model: int, eps: float = 1e-6):
        super().__init__()
        self.d_model = positive_int("d_model", d_model)
        self.eps = number("eps", eps, 0.0, math.inf, low_open=True)
        self.weight = nn.Parameter(torch.ones(d_model))  # gain  # (d_model,)

    def forward(self, x: Tensor) -> Tensor:
        features("x", x, self.d_model)
        dtype = x.dtype
        h = x.to(torch.promote_types(dtype, torch.float32))      # (..., d_model) never in half precision
        mean_square = h.pow(2).mean(dim=-1, keepdim=True)        # (..., 1)
        h = h * torch.rsqrt(mean_square + self.eps)               # (..., d_model) root mean square 1
        return self.weight * h.to(dtype)

    def extra_repr(self) -> str:
        return f"{self.d_model}, eps={self.eps}"


class SwiGLU(nn.Module):
    """The gated feed-forward network of Llama, PaLM and Mistral: down(silu(gate(x)) * up(x)).

    gate and up both map d_model -> d_ff; silu(gate) decides, per hidden unit and per token, how much of
    up's value passes; down maps d_ff -> d_model. Three matrices instead of two, so a SwiGLU as large
    as a plain FFN with hidden size h uses d_ff = 2h / 3 (see swiglu_d_ff).
    """

    def __init__(self, d_model: int, d_ff: int, bias: bool = False):
        super().__init__()
        self.d_model = positive_int("d_model", d_model)
        positive_int("d_ff", d_ff)
        self.gate = nn.Linear(d_model, d_ff, bias=bias)
        self.up = nn.Linear(d_model, d_ff, bias=bias)
        self.down = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        features("x", x, self.d_model)
        hidden = F.silu(self.gate(x)) * self.up(x)  # (..., d_ff): silu(a) = a * sigmoid(a)
        return self.down(hidden)                     # (..., d_model)


# ---------------------------------------------------------------- formulas for the explorer

def norm_param_counts(d_model: int) -> dict[str, int]:
    """Parameters of one norm layer: LayerNorm has a gain and a bias, RMSNorm only the gain."""
    positive_int("d_model", d_model)
    return {"layernorm": 2 * d_model, "rmsnorm": d_model}


def ffn_param_counts(d_model: int, d_ff: int, bias: bool = True) -> dict[str, int]:
    """Parameters of a 2-layer FFN (ReLU or GELU: the activation has none) and of a SwiGLU, both with hidden size d_ff.

    ffn: d_model -> d_ff -> d_model, 2 matrices; swiglu: gate, up and down, 3 matrices. With bias=True
    each Linear also has a bias vector of its output size.
    """
    positive_int("d_model", d_model)
    positive_int("d_ff", d_ff)
    ffn = 2 * d_model * d_ff + ((d_ff + d_model) if bias else 0)
    swiglu = 3 * d_model * d_ff + ((2 * d_ff + d_model) if bias else 0)
    return {"ffn": ffn, "swiglu": swiglu}


def swiglu_d_ff(d_ff: int, multiple_of: int = 1) -> int:
    """The SwiGLU hidden size with (about) the weights of a plain FFN of hidden size d_ff: 2 d_ff / 3.

    Rounded up to a multiple of `multiple_of`, as Llama does (d_ff = 4 * 4096, multiple_of=256 -> 11008).
    """
    positive_int("d_ff", d_ff)
    positive_int("multiple_of", multiple_of)
    hidden = int(2 * d_ff / 3)
    return multiple_of * math.ceil(hidden / multiple_of)


def kv_cache_bytes(n_layers: int, n_kv_heads: int, d_head: int, context: int, batch: int,
                   bytes_per_value: float = 2) -> int | float:
    """Bytes held by a KV cache: 2 tensors (k and v) per layer, each (batch, n_kv_heads, context, d_head).

    bytes_per_value: 2 for float16/bfloat16 (the default), 4 for float32, 1 for 8-bit, 0.5 for 4-bit.
    Grouped-query attention shrinks it by using fewer n_kv_heads than query heads. Returns an int when
    the total is a whole number of bytes.
    """
    for name, value in (("n_layers", n_layers), ("n_kv_heads", n_kv_heads), ("d_head", d_head),
                        ("context", context), ("batch", batch)):
        positive_int(name, value)
    bytes_per_value = number("bytes_per_value", bytes_per_value, 0.0, math.inf, low_open=True)
    values = 2 * n_layers * batch * n_kv_heads * context * d_head  # k and v, every layer
    total = values * bytes_per_value
    return int(total) if total.is_integer() else total


def receptive_field(n_layers: int, window: int) -> int:
    """How many positions a token at depth n_layers can draw from, with sliding-window attention.

    Each layer lets a token read `window` keys (itself and window - 1 before it), so every layer
    reaches window - 1 positions further back: 1 + n_layers * (window - 1). Depth 0 (the embeddings)
    sees only the token itself. Not capped: in a sequence of T tokens the answer is min(this, position + 1).
    """
    positive_int("n_layers", n_layers, minimum=0)
    positive_int("window", window)
    return 1 + n_layers * (window - 1)

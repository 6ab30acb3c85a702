"""The transformer's building blocks: LayerNorm, the feed-forward network, and the one block every model uses.

Taught in 07_encoder (LayerNorm by hand, residuals and Add & Norm, the position-wise feed-forward
network, the encoder block, post-norm vs pre-norm); the decoder block is taught in 08_encoder_decoder.
`Block` is the single block of the course: GPT (pre-norm, causal), BERT (post-norm, GELU) and the
encoder-decoder (EncoderBlock, DecoderBlock with cross-attention) are all stacks of it, with the norm
placement, causal flag, eps, activation and dropout as arguments. `load_from_torch` copies the weights
of torch.nn.TransformerEncoderLayer / TransformerDecoderLayer into our blocks, so the notebooks and the
tests can check that both compute the same thing.
The options of a modern (Llama-style) block, taught in 12_modern_llm, are arguments too: norm="rmsnorm",
ffn="swiglu", n_kv_heads (grouped-query attention), rope_base (rotary positions), window (sliding-window
attention) and bias=False.
Deliberately left out: whole encoders and decoders with embeddings (course_lib.transformer), and any
fused or compiled fast path beyond torch's attention kernel and F.layer_norm.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.guards import features, number, one_of, positive_int, tensor
from course_lib.modern import RMSNorm, SwiGLU
from course_lib.multihead import KVCache, MultiHeadAttention

# "gelu_tanh" is GPT-2's gelu_new (the tanh approximation); "silu" (x * sigmoid(x)) is Marian's "swish".
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU,
                                                   "gelu_tanh": lambda: nn.GELU(approximate="tanh"), "silu": nn.SiLU}


class LayerNorm(nn.Module):
    """Normalise each vector over its last dim to mean 0, std 1, then scale by a gain and shift by a bias.

    The variance is the biased one (divide by d_model, not d_model - 1), as in nn.LayerNorm. The gain
    (gamma) and bias (beta) are learned; they start at 1 and 0 and are named `weight` and `bias` as in
    nn.LayerNorm, so state dicts can be exchanged. 07_encoder writes the formula out by hand:
    x_hat = (x - mean) / sqrt(var + eps), then x_hat * weight + bias; here torch's F.layer_norm computes
    exactly that in one fused kernel, so every model of the course runs the same norm at full speed.
    """

    def __init__(self, d_model: int, eps: float = 1e-5):
        super().__init__()
        self.d_model = positive_int("d_model", d_model)
        self.eps = number("eps", eps, 0.0, 1.0, low_open=True)
        self.weight = nn.Parameter(torch.ones(d_model))  # gain, gamma  # (d_model,)
        self.bias = nn.Parameter(torch.zeros(d_model))   # shift, beta  # (d_model,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features("x", x, self.d_model)
        return F.layer_norm(x, (self.d_model,), self.weight, self.bias, self.eps)  # (..., d_model)

    def extra_repr(self) -> str:
        return f"{self.d_model}, eps={self.eps}"


class FeedForward(nn.Module):
    """The position-wise feed-forward network: Linear(d_model, d_ff) -> activation -> Linear(d_ff, d_model).

    "Position-wise": the same two layers are applied to every position on its own; nothing mixes tokens.
    Typically d_ff = 4 * d_model. Parameters: 2 * d_model * d_ff + d_ff + d_model.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0, activation: str = "relu", bias: bool = True):
        super().__init__()
        self.d_model = positive_int("d_model", d_model)
        positive_int("d_ff", d_ff)
        self.activation_name = one_of("activation", activation, sorted(ACTIVATIONS))
        self.linear1 = nn.Linear(d_model, d_ff, bias=bias)
        self.activation = ACTIVATIONS[activation]()
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features("x", x, self.d_model)
        hidden = self.dropout(self.activation(self.linear1(x)))  # (..., d_ff)
        return self.linear2(hidden)                               # (..., d_model)


class Block(nn.Module):
    """Self-attention [, cross-attention over an encoder's memory], feed-forward; each with a residual and a norm.

    norm_first=False (post-norm, the original paper and BERT): x = LN(x + Sublayer(x)), "Add & Norm".
    norm_first=True (pre-norm, GPT-2 and most modern models): x = x + Sublayer(LN(x)); a stack of pre-norm
    blocks then needs one final LayerNorm. causal=True lets each position attend only to itself and the
    past (GPT, a decoder). cross_attention=True adds the decoder's second sublayer: queries from x, keys
    and values from `memory`. residual=False drops the "x +" (only for the experiment in 07).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0, activation: str = "relu",
                 norm_first: bool = False, *, causal: bool = False, cross_attention: bool = False,
                 eps: float = 1e-5, residual: bool = True, bias: bool = True, norm: str = "layernorm",
                 ffn: str = "mlp", n_kv_heads: int | None = None, rope_base: float | None = None,
                 window: int | None = None):
        super().__init__()
        self.d_model = positive_int("d_model", d_model)
        self.norm_first, self.causal, self.residual = bool(norm_first), bool(causal), bool(residual)
        Norm = {"layernorm": LayerNorm, "rmsnorm": RMSNorm}[one_of("norm", norm, ["layernorm", "rmsnorm"])]
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout=dropout, bias=bias, n_kv_heads=n_kv_heads,
                                            rope_base=rope_base, window=window)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, dropout=dropout, bias=bias) if cross_attention else None
        self.ffn = (FeedForward(d_model, d_ff, dropout=dropout, activation=activation, bias=bias)
                    if one_of("ffn", ffn, ["mlp", "swiglu"]) == "mlp" else SwiGLU(d_model, d_ff, bias=bias))
        self.norm1, self.norm2 = Norm(d_model, eps), Norm(d_model, eps)
        self.norm3 = Norm(d_model, eps) if cross_attention else None  # numbered in order of use
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout) if cross_attention else None

    def _sublayer(self, x: torch.Tensor, norm: LayerNorm, dropout: nn.Dropout, fn) -> tuple[torch.Tensor, object]:
        """One residual sublayer in the block's norm placement: fn(h) -> (out, extra)."""
        out, extra = fn(norm(x) if self.norm_first else x)
        out = x + dropout(out) if self.residual else dropout(out)
        return (out if self.norm_first else norm(out)), extra

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, *, memory: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None, need_weights: bool = False, cache: KVCache | None = None,
                cross_cache: KVCache | None = None, positions: torch.Tensor | None = None):
        """x (B, T, d_model); mask: bool, True = may attend, broadcastable to (B, H, T, T_k) (e.g. padding).

        memory (B, S, d_model) and memory_mask (B, 1, 1, S) feed the cross-attention of a decoder block.
        cache / cross_cache: KVCaches of this block's self- and cross-attention (fast generation);
        positions: the tokens' positions for rotary embeddings (rope_base), (T,) or (B, T).
        Returns the new x (B, T, d_model) and, if need_weights, the self-attention weights (B, H, T, T_k)
        (a decoder block: the pair (self weights, cross weights (B, H, T, S))); otherwise None.
        """
        features("x", x, self.d_model, dims=3)
        if (memory is None) != (self.cross_attn is None):
            raise ValueError("memory (the encoder output) is required by a block with cross-attention and "
                             f"refused by one without; this block has cross_attention={self.cross_attn is not None}")
        if memory is not None and features("memory", memory, self.d_model, 3, "B, S").shape[0] != x.shape[0]:
            raise ValueError(f"memory has batch size {memory.shape[0]} but x has {x.shape[0]}; they must match")
        x, self_w = self._sublayer(x, self.norm1, self.dropout1, lambda h: self.self_attn(
            h, mask=mask, need_weights=need_weights, is_causal=self.causal, cache=cache, positions=positions))
        if self.cross_attn is None:
            x, _ = self._sublayer(x, self.norm2, self.dropout2, lambda h: (self.ffn(h), None))
            return x, self_w
        x, cross_w = self._sublayer(x, self.norm2, self.dropout2, lambda h: self.cross_attn(
            h, context=memory, mask=memory_mask, need_weights=need_weights, cache=cross_cache))
        x, _ = self._sublayer(x, self.norm3, self.dropout3, lambda h: (self.ffn(h), None))
        return x, ((self_w, cross_w) if need_weights else None)


class EncoderBlock(Block):
    """A Block that sees both directions and has no cross-attention (BERT's, the encoder's)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0, activation: str = "relu",
                 norm_first: bool = False, *, residual: bool = True, eps: float = 1e-5, causal: bool = False):
        super().__init__(d_model, n_heads, d_ff, dropout, activation, norm_first, causal=causal, eps=eps,
                         residual=residual)


class DecoderBlock(Block):
    """A causal Block with cross-attention over the encoder's memory (the encoder-decoder's decoder)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0, activation: str = "relu",
                 norm_first: bool = False, *, eps: float = 1e-5):
        super().__init__(d_model, n_heads, d_ff, dropout, activation, norm_first, causal=True,
                         cross_attention=True, eps=eps)


def stack(block_fn: Callable[[], nn.Module], n_layers: int) -> nn.ModuleList:
    """n_layers blocks of the same shape, each built by a fresh call of block_fn (own random weights)."""
    positive_int("n_layers", n_layers)
    return nn.ModuleList(block_fn() for _ in range(n_layers))


# ----------------------------------------------------------------------------- agreement with PyTorch

@torch.no_grad()
def load_from_torch(block: Block, layer: nn.TransformerEncoderLayer | nn.TransformerDecoderLayer) -> Block:
    """Copy the weights of a torch TransformerEncoderLayer (or DecoderLayer) into our block, in place.

    Attention goes through MultiHeadAttention.from_torch (torch's in_proj/out_proj layout); linear1,
    linear2 and norm1..3 have the same names and shapes on both sides. Returns the block.
    Careful when comparing outputs: torch's padding masks use True = PAD, the opposite of ours.
    """
    expected = (nn.TransformerDecoderLayer if getattr(block, "cross_attn", None) is not None
                else nn.TransformerEncoderLayer if isinstance(block, Block) and not block.causal else None)
    if expected is None:
        raise TypeError(f"block must be an EncoderBlock or DecoderBlock, got {type(block).__name__}")
    if not isinstance(layer, expected):
        raise TypeError(f"a {type(block).__name__} loads from torch.nn.{expected.__name__}, got {type(layer).__name__}")
    act = layer.activation  # torch stores F.relu / F.gelu, or the module it was given
    torch_activation = ("relu" if act is F.relu or isinstance(act, nn.ReLU) else
                        "gelu" if act is F.gelu or (isinstance(act, nn.GELU) and act.approximate == "none") else
                        repr(act))
    ours = {"norm_first": block.norm_first, "activation": block.ffn.activation_name, "eps": block.norm1.eps,
            "linear1 shape": tuple(block.ffn.linear1.weight.shape), "n_heads": block.self_attn.n_heads}
    theirs = {"norm_first": layer.norm_first, "activation": torch_activation, "eps": layer.norm1.eps,
              "linear1 shape": tuple(layer.linear1.weight.shape), "n_heads": layer.self_attn.num_heads}
    for key, value in ours.items():
        if value != theirs[key]:
            raise ValueError(f"cannot copy: the torch layer has {key}={theirs[key]!r}, our block {value!r}")
    if not getattr(block, "residual", True):
        raise ValueError("cannot copy into a block built with residual=False: torch's layers always add x")
    block.self_attn.load_state_dict(MultiHeadAttention.from_torch(layer.self_attn).state_dict())
    if block.cross_attn is not None:
        block.cross_attn.load_state_dict(MultiHeadAttention.from_torch(layer.multihead_attn).state_dict())
    block.ffn.linear1.load_state_dict(layer.linear1.state_dict())
    block.ffn.linear2.load_state_dict(layer.linear2.state_dict())
    for i in (1, 2, 3) if block.cross_attn is not None else (1, 2):
        getattr(block, f"norm{i}").load_state_dict(getattr(layer, f"norm{i}").state_dict())
    return block


# ----------------------------------------------------------------------------- the depth experiment of 07

def token_similarity(x: torch.Tensor) -> float:
    """Mean cosine similarity between the vectors of different positions of x (B, T, d_model), T >= 2.

    Near 0 for random vectors; 1 when every position holds the same vector (the stack forgot the input).
    """
    if tensor("x", x, dims=3, what="(B, T >= 2, d_model)").shape[1] < 2:
        raise ValueError(f"x must be a (B, T, d_model) tensor with T >= 2 positions, got {tuple(x.shape)}")
    T = x.shape[1]
    unit = F.normalize(x, dim=-1)
    cos = unit @ unit.transpose(1, 2)                               # (B, T, T)
    return ((cos.sum(dim=(1, 2)) - cos.diagonal(dim1=1, dim2=2).sum(-1)) / (T * (T - 1))).mean().item()


def depth_experiment(n_layers: int = 24, residual: bool = True, norm_first: bool = False, d_model: int = 32,
                     n_heads: int = 4, seq_len: int = 12, batch: int = 4, seed: int = 0) -> dict[str, list[float]]:
    """A freshly initialised stack of encoder blocks, one random batch, one backward pass of a random loss.

    Returns, per layer (bottom first): "grad_norm" (all the layer's parameters), "qk_grad_norm" (its
    query and key weights, which decide where to attend) and "similarity" (token_similarity of its output).
    Pre-norm stacks get a final LayerNorm, as in practice. The global random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = stack(lambda: EncoderBlock(d_model, n_heads, 4 * d_model, norm_first=norm_first,
                                            residual=residual), n_layers)
        x = torch.randn(batch, seq_len, d_model)                   # (B, T, d_model), stands in for embeddings
        similarity = []
        for layer in layers:
            x, _ = layer(x)
            similarity.append(token_similarity(x.detach()))
        if norm_first:
            x = LayerNorm(d_model)(x)
        target = torch.randn(x.shape)                              # an arbitrary regression target
        F.mse_loss(x, target).backward()
    grad_norm = [torch.sqrt(sum(p.grad.pow(2).sum() for p in layer.parameters())).item() for layer in layers]
    qk_grad_norm = [layer.self_attn.qkv.weight.grad[: 2 * d_model].norm().item() for layer in layers]
    return {"grad_norm": grad_norm, "qk_grad_norm": qk_grad_norm, "similarity": similarity}

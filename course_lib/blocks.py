"""The transformer's building blocks: LayerNorm, the feed-forward network, encoder and decoder blocks.

Taught in 07_encoder (LayerNorm by hand, residuals and Add & Norm, the position-wise feed-forward
network, the encoder block, post-norm vs pre-norm); the decoder block is taught in 08_encoder_decoder.
`load_from_torch` copies the weights of torch.nn.TransformerEncoderLayer / TransformerDecoderLayer into
our blocks, so the notebooks and the tests can check that both compute the same thing.
Deliberately left out: whole encoders and decoders with embeddings (course_lib.transformer), RMSNorm,
gated feed-forward variants (SwiGLU) and any fused or compiled fast path beyond torch's attention kernel.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.multihead import MultiHeadAttention

# "gelu_tanh" is GPT-2's gelu_new (the tanh approximation); "silu" (x * sigmoid(x)) is Marian's "swish".
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU,
                                                   "gelu_tanh": lambda: nn.GELU(approximate="tanh"), "silu": nn.SiLU}


def _positive_int(name: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _check_features(name: str, x: torch.Tensor, d_model: int, any_dims: bool = False) -> None:
    """Raise a clear error unless x is (B, T, d_model), or (..., d_model) when any_dims is True."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if (x.dim() < 1) if any_dims else (x.dim() != 3):
        want = "at least 1-D (..., d_model)" if any_dims else "3-D (B, T, d_model)"
        raise ValueError(f"{name} must be {want}, got shape {tuple(x.shape)}")
    if x.shape[-1] != d_model:
        raise ValueError(f"{name} has {x.shape[-1]} features in its last dim, expected d_model={d_model}"
                         f" (shape {tuple(x.shape)})")


class LayerNorm(nn.Module):
    """Normalise each vector over its last dim to mean 0, std 1, then scale by a gain and shift by a bias.

    The variance is the biased one (divide by d_model, not d_model - 1), as in nn.LayerNorm. The gain
    (gamma) and bias (beta) are learned; they start at 1 and 0 and are named `weight` and `bias` as in
    nn.LayerNorm, so state dicts can be exchanged.
    """

    def __init__(self, d_model: int, eps: float = 1e-5):
        super().__init__()
        self.d_model = _positive_int("d_model", d_model)
        if not isinstance(eps, (int, float)) or isinstance(eps, bool) or eps <= 0:
            raise ValueError(f"eps must be a positive number, got {eps!r}")
        self.eps = float(eps)
        self.weight = nn.Parameter(torch.ones(d_model))  # gain, gamma  # (d_model,)
        self.bias = nn.Parameter(torch.zeros(d_model))   # shift, beta  # (d_model,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_features("x", x, self.d_model, any_dims=True)
        mean = x.mean(dim=-1, keepdim=True)                            # (..., 1)
        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)             # (..., 1) biased variance
        x_hat = (x - mean) / torch.sqrt(var + self.eps)                # (..., d_model) mean 0, std 1
        return x_hat * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"{self.d_model}, eps={self.eps}"


class FeedForward(nn.Module):
    """The position-wise feed-forward network: Linear(d_model, d_ff) -> activation -> Linear(d_ff, d_model).

    "Position-wise": the same two layers are applied to every position on its own; nothing mixes tokens.
    Typically d_ff = 4 * d_model. Parameters: 2 * d_model * d_ff + d_ff + d_model.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0, activation: str = "relu"):
        super().__init__()
        self.d_model = _positive_int("d_model", d_model)
        _positive_int("d_ff", d_ff)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.activation_name = activation
        self.linear1 = nn.Linear(d_model, d_ff)
        self.activation = ACTIVATIONS[activation]()
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_features("x", x, self.d_model, any_dims=True)
        hidden = self.dropout(self.activation(self.linear1(x)))  # (..., d_ff)
        return self.linear2(hidden)                               # (..., d_model)


class EncoderBlock(nn.Module):
    """Self-attention and feed-forward, each wrapped in a residual connection and a LayerNorm.

    norm_first=False (post-norm, the original paper): x = LN(x + Sublayer(x)), "Add & Norm".
    norm_first=True (pre-norm, most modern models): x = x + Sublayer(LN(x)); a stack of pre-norm blocks
    then needs one final LayerNorm. residual=False drops the "x +" (only for the experiment in 07).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0,
                 activation: str = "relu", norm_first: bool = False, *, residual: bool = True):
        super().__init__()
        self.d_model = _positive_int("d_model", d_model)
        self.norm_first, self.residual = bool(norm_first), bool(residual)
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout=dropout)
        self.ffn = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.norm1, self.norm2 = LayerNorm(d_model), LayerNorm(d_model)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def _add(self, x: torch.Tensor, sublayer_out: torch.Tensor) -> torch.Tensor:
        return x + sublayer_out if self.residual else sublayer_out

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                need_weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: (B, T, d_model); mask: bool, True = may attend, broadcastable to (B, H, T, T).

        Returns the new x (B, T, d_model) and, if need_weights, the attention weights (B, H, T, T).
        """
        _check_features("x", x, self.d_model)
        if self.norm_first:
            attn, weights = self.self_attn(self.norm1(x), mask=mask, need_weights=need_weights)
            x = self._add(x, self.dropout1(attn))
            x = self._add(x, self.dropout2(self.ffn(self.norm2(x))))
        else:
            attn, weights = self.self_attn(x, mask=mask, need_weights=need_weights)
            x = self.norm1(self._add(x, self.dropout1(attn)))                # Add & Norm
            x = self.norm2(self._add(x, self.dropout2(self.ffn(x))))         # Add & Norm
        return x, weights


class DecoderBlock(nn.Module):
    """Masked self-attention, cross-attention over the encoder memory, feed-forward; each with Add & Norm.

    Cross-attention takes its queries from the decoder (x) and its keys and values from the encoder
    output (memory). norm_first switches between post-norm and pre-norm exactly as in EncoderBlock;
    memory itself is not normalised here (the encoder's last LayerNorm already did).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0,
                 activation: str = "relu", norm_first: bool = False):
        super().__init__()
        self.d_model = _positive_int("d_model", d_model)
        self.norm_first = bool(norm_first)
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout=dropout)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, dropout=dropout)
        self.ffn = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.norm1, self.norm2, self.norm3 = LayerNorm(d_model), LayerNorm(d_model), LayerNorm(d_model)
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, self_mask: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None, need_weights: bool = False, is_causal: bool = False
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """x: (B, T, d_model) decoder input; memory: (B, S, d_model) encoder output.

        self_mask: bool, broadcastable to (B, H, T, T) (causal, maybe combined with target padding);
        memory_mask: bool, broadcastable to (B, H, T, S) (source padding). True = may attend.
        is_causal=True adds the causal mask to self-attention without building it (faster fused kernel).
        Returns x (B, T, d_model) and, if need_weights, (self_weights (B, H, T, T), cross_weights (B, H, T, S)).
        """
        _check_features("x", x, self.d_model)
        _check_features("memory", memory, self.d_model)
        if memory.shape[0] != x.shape[0]:
            raise ValueError(f"memory has batch size {memory.shape[0]} but x has {x.shape[0]}; they must match")
        if self.norm_first:
            attn, self_w = self.self_attn(self.norm1(x), mask=self_mask, need_weights=need_weights,
                                          is_causal=is_causal)
            x = x + self.dropout1(attn)
            cross, cross_w = self.cross_attn(self.norm2(x), context=memory, mask=memory_mask,
                                             need_weights=need_weights)
            x = x + self.dropout2(cross)
            x = x + self.dropout3(self.ffn(self.norm3(x)))
        else:
            attn, self_w = self.self_attn(x, mask=self_mask, need_weights=need_weights, is_causal=is_causal)
            x = self.norm1(x + self.dropout1(attn))
            cross, cross_w = self.cross_attn(x, context=memory, mask=memory_mask, need_weights=need_weights)
            x = self.norm2(x + self.dropout2(cross))
            x = self.norm3(x + self.dropout3(self.ffn(x)))
        return x, ((self_w, cross_w) if need_weights else None)


def stack(block_fn: Callable[[], nn.Module], n_layers: int) -> nn.ModuleList:
    """n_layers blocks of the same shape, each built by a fresh call of block_fn (own random weights)."""
    _positive_int("n_layers", n_layers)
    return nn.ModuleList(block_fn() for _ in range(n_layers))


# ----------------------------------------------------------------------------- agreement with PyTorch

@torch.no_grad()
def load_from_torch(block: EncoderBlock | DecoderBlock,
                    layer: nn.TransformerEncoderLayer | nn.TransformerDecoderLayer) -> EncoderBlock | DecoderBlock:
    """Copy the weights of a torch TransformerEncoderLayer (or DecoderLayer) into our block, in place.

    Attention goes through MultiHeadAttention.from_torch (torch's in_proj/out_proj layout); linear1,
    linear2 and norm1..3 have the same names and shapes on both sides. Returns the block.
    Careful when comparing outputs: torch's padding masks use True = PAD, the opposite of ours.
    """
    expected = {EncoderBlock: nn.TransformerEncoderLayer, DecoderBlock: nn.TransformerDecoderLayer}.get(type(block))
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
    if isinstance(block, DecoderBlock):
        block.cross_attn.load_state_dict(MultiHeadAttention.from_torch(layer.multihead_attn).state_dict())
    block.ffn.linear1.load_state_dict(layer.linear1.state_dict())
    block.ffn.linear2.load_state_dict(layer.linear2.state_dict())
    for i in (1, 2, 3) if isinstance(block, DecoderBlock) else (1, 2):
        getattr(block, f"norm{i}").load_state_dict(getattr(layer, f"norm{i}").state_dict())
    return block


# ----------------------------------------------------------------------------- the depth experiment of 07

def token_similarity(x: torch.Tensor) -> float:
    """Mean cosine similarity between the vectors of different positions of x (B, T, d_model), T >= 2.

    Near 0 for random vectors; 1 when every position holds the same vector (the stack forgot the input).
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[1] < 2:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a (B, T, d_model) tensor with T >= 2 positions, got {got}")
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

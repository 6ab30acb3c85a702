"""Self-checks for the exercises of 11_pretrained_models: Conv1D -> Linear, fusing q/k/v, counting GPT-2,
and mean-pooling a sentence embedding.

Each check compares with a reference (torch, or the course's own GPT.num_params) and names the usual
mistake. Reference solutions are the `solution_*` functions. Deliberately left out: checks that need
transformers (the exercises work on plain tensors and formulas).
"""

from __future__ import annotations

import torch

from course_lib.checks import Hint, exercise, require, returned
from course_lib.gpt import GPT, GPTConfig


def solution_linear_weight(conv_weight: torch.Tensor) -> torch.Tensor:
    """GPT-2's Conv1D weight (in, out) -> the nn.Linear weight (out, in) that computes the same map."""
    return conv_weight.T


def solution_fuse_qkv(w_q: torch.Tensor, w_k: torch.Tensor, w_v: torch.Tensor) -> torch.Tensor:
    """Three (d_model, d_model) projection weights -> our fused qkv weight (3 * d_model, d_model): q, k, v rows."""
    return torch.cat([w_q, w_k, w_v], dim=0)


def solution_gpt2_params(vocab_size: int, max_len: int, d_model: int, n_layers: int) -> int:
    """Parameters of a GPT-2-shaped model (d_ff = 4 d_model, biases everywhere, head tied to the embedding)."""
    per_block = 12 * d_model ** 2 + 13 * d_model  # qkv 3d^2+3d, out d^2+d, ffn 8d^2+5d, two LayerNorms 4d
    return vocab_size * d_model + max_len * d_model + n_layers * per_block + 2 * d_model  # + the final LayerNorm


def solution_mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """hidden (B, T, d), attention_mask (B, T) 1 = real token -> the mean over real tokens, L2-normalised (B, d)."""
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    mean = (hidden * m).sum(dim=1) / m.sum(dim=1)
    return mean / mean.norm(dim=-1, keepdim=True)


def _tensor(x, what: str) -> torch.Tensor:
    require(isinstance(x, torch.Tensor), f"return {what} as a torch.Tensor, got {type(x).__name__}")
    return x


@exercise("linear_weight")
def check_linear_weight(fn) -> None:
    """fn(conv_weight (in, out)) -> Linear weight (out, in) with x @ conv_weight == F.linear(x, weight)."""
    torch.manual_seed(0)
    w = torch.randn(4, 12, dtype=torch.float64)  # in=4, out=12
    got = _tensor(returned(fn(w.clone()), "linear_weight"), "the Linear weight")
    if got.shape == w.shape:
        raise Hint(f"the shape is still {tuple(w.shape)} = (in, out), Conv1D's layout; nn.Linear stores its "
                   "weight as (out, in) and computes x @ weight.T")
    require(got.shape == (12, 4), f"expected shape (out, in) = (12, 4), got {tuple(got.shape)}")
    if torch.equal(got, w.reshape(12, 4)) or torch.equal(got, w.view(-1).reshape(12, 4)):
        raise Hint("reshape/view keeps the numbers in memory order, so rows get mixed up: swap the two "
                   "dimensions with .T (or .transpose(0, 1))")
    x = torch.randn(3, 4, dtype=torch.float64)
    require(torch.allclose(x @ w, torch.nn.functional.linear(x, got)),
            "F.linear(x, your_weight) should equal x @ conv_weight for every x")
    square = torch.randn(5, 5, dtype=torch.float64)  # the trap: a square Conv1D fits either way
    require(torch.equal(fn(square.clone()), square.T),
            "for a square weight (GPT-2's c_proj is d_model x d_model) the shape fits either way: transpose anyway")


@exercise("fuse_qkv")
def check_fuse_qkv(fn) -> None:
    """fn(w_q, w_k, w_v) -> (3 * d_model, d_model), rows in the order q, k, v (our MultiHeadAttention.qkv)."""
    torch.manual_seed(1)
    d = 6
    w_q, w_k, w_v = (torch.randn(d, d, dtype=torch.float64) for _ in range(3))
    got = _tensor(returned(fn(w_q, w_k, w_v), "fuse_qkv"), "the fused weight")
    if got.shape == (3, d, d):
        raise Hint("torch.stack adds a new dimension (3, d, d); qkv is one matrix: concatenate along dim 0")
    if got.shape == (d, 3 * d):
        raise Hint("you concatenated along dim 1; nn.Linear's weight is (out, in), so the three outputs go one "
                   "under the other: torch.cat([...], dim=0)")
    require(got.shape == (3 * d, d), f"expected shape (3 * d_model, d_model) = ({3 * d}, {d}), got {tuple(got.shape)}")
    if torch.equal(got, torch.cat([w_k, w_q, w_v])) or torch.equal(got, torch.cat([w_v, w_k, w_q])):
        raise Hint("the order matters: MultiHeadAttention splits qkv(x) into q, k, v in that order")
    require(torch.equal(got, solution_fuse_qkv(w_q, w_k, w_v)), "rows 0..d-1 should be W_q, then W_k, then W_v")


@exercise("gpt2_params")
def check_gpt2_params(fn) -> None:
    """fn(vocab_size, max_len, d_model, n_layers) -> the parameter count of our GPT with that shape."""
    for shape in [(50, 16, 8, 1), (97, 32, 16, 3)]:
        V, T, d, L = shape
        got = returned(fn(*shape), "gpt2_params")
        require(isinstance(got, int) or (isinstance(got, float) and got.is_integer()),
                f"return a whole number, got {got!r}")
        want = GPT(GPTConfig(vocab_size=V, max_len=T, d_model=d, n_heads=2, n_layers=L)).num_params()
        blocks = L * (12 * d * d + 13 * d)
        if got == want + V * d:
            raise Hint("you counted the output head separately; it is tied to (the same matrix as) the token embedding")
        if got == want - T * d:
            raise Hint("the learned position table (max_len x d_model) is missing")
        if got == want - blocks + L * 12 * d * d:
            raise Hint("12 * d_model^2 per block is the matrices only: add the biases and LayerNorms (13 * d_model)")
        if got == want - 2 * d:
            raise Hint("the final LayerNorm (2 * d_model) is missing")
        require(got == want, f"for vocab_size={V}, max_len={T}, d_model={d}, n_layers={L} our GPT has {want:,} "
                             f"parameters, you said {got:,}")


@exercise("mean_pool")
def check_mean_pool(fn) -> None:
    """fn(hidden (B, T, d), attention_mask (B, T)) -> (B, d): masked mean over real tokens, then unit length."""
    torch.manual_seed(2)
    hidden = torch.randn(2, 5, 4, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    got = _tensor(returned(fn(hidden.clone(), mask.clone()), "mean_pool"), "the sentence vectors")
    require(got.shape == (2, 4), f"expected one vector per sentence, shape (B, d) = (2, 4), got {tuple(got.shape)}")
    want = solution_mean_pool(hidden, mask)
    plain = hidden.mean(1)
    if torch.allclose(got, plain / plain.norm(dim=-1, keepdim=True)) or torch.allclose(got, plain):
        raise Hint("the padding positions were averaged in: multiply by the mask and divide by the number of real "
                   "tokens (attention_mask.sum), not by T")
    masked = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
    if torch.allclose(got, masked):
        raise Hint("right mean, but not unit length: divide each vector by its norm (as sentence-transformers does), "
                   "so that a dot product is the cosine")
    if torch.allclose(got, hidden[:, 0] / hidden[:, 0].norm(dim=-1, keepdim=True)):
        raise Hint("that is the [CLS] vector; this model averages every real token")
    require(torch.allclose(got, want), "each row should be the mean of that sentence's real token vectors, divided by "
                                       "its length")

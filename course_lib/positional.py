"""Positions for attention: the sinusoidal table and learned position embeddings.

Taught in 03_positional_encoding. Attention on its own sees a set of tokens, not a sequence: these
modules add a vector that depends on the position to each token vector, so that order can matter.

Both modules take x of shape (B, T, d_model) and return x plus the vectors of positions 0..T-1 (then
dropout), or of the positions given: a (T,) range starting at an offset when a cache holds the earlier
tokens, or (B, T) per row when prompts are left-padded. Both take (max_len, d_model), in the order of
nn.Embedding(num_embeddings, embedding_dim), as does sinusoidal_table.
Deliberately left out: relative positions (Shaw et al., T5 buckets), ALiBi, and rotary embeddings
(course_lib.rotary, 12_modern_llm).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from course_lib.guards import features, number, positive_int

BASE = 10000.0  # the wavelength scale of "Attention Is All You Need"
# How sines and cosines share the d_model dimensions: alternating (sin, cos, sin, cos, ...), as in the
# paper and the course, or all sines then all cosines, as Marian translation models (11_pretrained_models).
LAYOUTS = ("interleaved", "halves")


def sinusoidal_frequencies(d_model: int, base: float = BASE, dtype: torch.dtype = torch.float32) -> Tensor:
    """The angular frequency of each (sin, cos) pair: w_i = 1 / base^(2i / d_model), shape (d_model // 2,).

    Pair i fills dimensions 2i (sine) and 2i + 1 (cosine); its wavelength is 2 * pi / w_i positions,
    from 2 * pi (i = 0, the fastest wave) up to about 2 * pi * base (the slowest).
    """
    positive_int("d_model", d_model)
    if d_model % 2:
        raise ValueError(f"d_model must be even (dimensions come in sin/cos pairs), got d_model={d_model}")
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # 0, 2, 4, ..., d_model - 2
    return (1.0 / base ** (two_i / d_model)).to(dtype)  # (d_model // 2,)


def sinusoidal_table(max_len: int, d_model: int, base: float = BASE, dtype: torch.dtype = torch.float32,
                     layout: str = "interleaved") -> Tensor:
    """The fixed table PE of shape (max_len, d_model).

    PE[pos, 2i] = sin(pos / base^(2i / d_model)) and PE[pos, 2i + 1] = cos(pos / base^(2i / d_model)).
    layout="halves" holds the same numbers in another order: PE[pos, i] = sine i, PE[pos, d_model/2 + i]
    = cosine i (Marian's table); attention does not care which dimension holds what, a checkpoint does.
    d_model must be even: an odd size would leave the last sine without its cosine partner (and break
    the "shift = rotation" property), so it is rejected rather than silently truncated.
    Computed in float64 and then cast, so float32 tables are as exact as they can be.
    """
    positive_int("max_len", max_len)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    freqs = sinusoidal_frequencies(d_model, base, dtype=torch.float64)  # (d_model // 2,)
    pos = torch.arange(max_len, dtype=torch.float64)  # (max_len,)
    angles = pos[:, None] * freqs[None, :]  # (max_len, d_model // 2)
    pe = torch.empty(max_len, d_model, dtype=torch.float64)
    if layout == "halves":
        pe[:, : d_model // 2] = torch.sin(angles)  # first half: all the sines
        pe[:, d_model // 2:] = torch.cos(angles)   # second half: the cosines, in the same order
    else:
        pe[:, 0::2] = torch.sin(angles)  # even dimensions: sine
        pe[:, 1::2] = torch.cos(angles)  # odd dimensions: cosine of the same angle
    return pe.to(dtype)


def _positions(x, d_model: int, max_len: int, positions: Tensor | None) -> Tensor:
    """Check x (B, T, d_model) and the positions to add; returns them, (T,) or (B, T), on x's device."""
    features("x", x, d_model, dims=3)
    T = x.shape[1]
    if positions is None:
        positions = torch.arange(T, device=x.device)  # (T,)
    elif not isinstance(positions, Tensor) or positions.dtype.is_floating_point or positions.shape[-1] != T \
            or positions.dim() not in (1, 2):
        raise ValueError(f"positions must be an integer tensor of shape (T,) or (B, T) with T={T}, "
                         f"got {tuple(positions.shape) if isinstance(positions, Tensor) else type(positions).__name__}")
    last = int(positions.max()) if positions.device.type == "cpu" else T - 1
    if last >= max_len:
        raise ValueError(f"sequence length T={T} reaches position {last}, beyond max_len={max_len} positions this "
                         f"encoding was built for; use max_len >= {last + 1} or shorter sequences")
    return positions


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the fixed sinusoidal table to token vectors: x (B, T, d_model) -> x + PE[:T] (then dropout).

    The table is a buffer (it moves with .to(device), has no gradient) and is not saved in state_dict:
    it is rebuilt from the formula, so checkpoints stay small.
    """

    def __init__(self, max_len: int, d_model: int, dropout: float = 0.0, layout: str = "interleaved"):
        super().__init__()
        number("dropout", dropout, 0.0, 1.0)
        self.d_model, self.max_len, self.layout = d_model, max_len, layout
        pe = sinusoidal_table(max_len, d_model, layout=layout)
        self.register_buffer("pe", pe, persistent=False)  # (max_len, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, positions: Tensor | None = None) -> Tensor:
        """x (B, T, d_model) + the table's rows at `positions` ((T,) or (B, T); default 0..T-1)."""
        positions = _positions(x, self.d_model, self.max_len, positions)
        return self.dropout(x + self.pe[positions].to(x.dtype))  # (B, T, d_model) + (T, d_model) broadcasts

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, d_model={self.d_model}, layout={self.layout}"


class LearnedPositionalEmbedding(nn.Module):
    """Adds a trained vector per position (as BERT and GPT do): x (B, T, d_model) -> x + P[:T] (then dropout).

    P is an nn.Embedding(max_len, d_model), initialised small (std 0.02, as GPT-2) and learned with the
    rest of the model. Unlike the sinusoidal table it has nothing to say about positions >= max_len.
    """

    def __init__(self, max_len: int, d_model: int, dropout: float = 0.0):
        super().__init__()
        positive_int("max_len", max_len)
        positive_int("d_model", d_model)
        number("dropout", dropout, 0.0, 1.0)
        self.d_model, self.max_len = d_model, max_len
        self.embedding = nn.Embedding(max_len, d_model)  # row p is the vector of position p
        nn.init.normal_(self.embedding.weight, std=0.02)
        self.dropout = nn.Dropout(dropout)

    @property
    def weight(self) -> Tensor:
        """The (max_len, d_model) table of learned position vectors."""
        return self.embedding.weight

    def forward(self, x: Tensor, positions: Tensor | None = None) -> Tensor:
        """x (B, T, d_model) + the vectors of `positions` ((T,) or (B, T); default 0..T-1)."""
        positions = _positions(x, self.d_model, self.max_len, positions)
        return self.dropout(x + self.embedding(positions).to(x.dtype))  # (B, T, d_model)

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, d_model={self.d_model}"

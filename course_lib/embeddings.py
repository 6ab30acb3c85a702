"""Token embeddings: a lookup table of learned vectors, how to compare them, and how to train them.

Taught in 02_embeddings. A token id is only a row number; `one_hot(ids) @ W` and the lookup `W[ids]`
give the same vectors, and `TokenEmbedding` is that lookup (nn.Embedding, optionally scaled by
sqrt(d_model) as in the original transformer). `cosine_similarity` and `nearest_neighbours` compare
vectors; a small full-softmax skip-gram (`skipgram_pairs`, `SkipGram`, `train_skipgram`) learns word
vectors from the synthetic stories. Deliberately left out: negative sampling and frequent-word
subsampling (word2vec's speed-ups, not needed for a few hundred words), positions (03_positional_encoding).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

METRICS = ("cosine", "dot")


def _check_ids(ids: Tensor, vocab_size: int, name: str = "ids") -> None:
    if not isinstance(ids, Tensor) or ids.dtype.is_floating_point or ids.dtype == torch.bool:
        got = ids.dtype if isinstance(ids, Tensor) else type(ids).__name__
        raise TypeError(f"{name} must be an integer tensor of token ids, got {got}")
    # Range checked on the CPU only: on a GPU it would wait for the device at every call (and break
    # torch.compile graphs); there nn.Embedding itself stops on a bad id.
    if ids.device.type == "cpu" and ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"{name} must lie in [0, vocab_size={vocab_size}), got values from "
                         f"{int(ids.min())} to {int(ids.max())}")


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def one_hot(ids: Tensor, vocab_size: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """One-hot vectors: (...,) ids -> (..., vocab_size), a 1 at each id. one_hot(ids) @ W == W[ids]."""
    _check_positive(vocab_size=vocab_size)
    _check_ids(ids, vocab_size)
    return F.one_hot(ids, vocab_size).to(dtype)


class TokenEmbedding(nn.Module):
    """ids (B, T) -> vectors (B, T, d_model): row `id` of a learned (vocab_size, d_model) table.

    `scale=True` multiplies by sqrt(d_model), as "Attention is all you need" does before adding the
    positional encoding. `padding_idx` gets a zero row that receives no gradient.
    """

    def __init__(self, vocab_size: int, d_model: int, padding_idx: int | None = None, scale: bool = False):
        super().__init__()
        _check_positive(vocab_size=vocab_size, d_model=d_model)
        if padding_idx is not None and not 0 <= padding_idx < vocab_size:
            raise ValueError(f"padding_idx must be None or in [0, {vocab_size}), got {padding_idx!r}")
        self.vocab_size, self.d_model, self.scale = vocab_size, d_model, scale
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)

    @property
    def weight(self) -> nn.Parameter:
        return self.embedding.weight  # (vocab_size, d_model)

    def forward(self, ids: Tensor) -> Tensor:
        _check_ids(ids, self.vocab_size)
        x = self.embedding(ids)  # (..., d_model)
        return x * math.sqrt(self.d_model) if self.scale else x

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, d_model={self.d_model}, scale={self.scale}"


def _as_matrix(x: Tensor, name: str) -> Tensor:
    if not isinstance(x, Tensor) or x.dim() not in (1, 2):
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a vector (d,) or a matrix (n, d), got {got}")
    return x[None, :] if x.dim() == 1 else x


def dot_similarity(a: Tensor, b: Tensor) -> Tensor:
    """All dot products: a (n, d) or (d,), b (m, d) or (d,) -> (n, m). Longer vectors score higher."""
    a2, b2 = _as_matrix(a, "a"), _as_matrix(b, "b")
    if a2.shape[1] != b2.shape[1]:
        raise ValueError(f"a and b must have the same last dimension, got {a2.shape[1]} and {b2.shape[1]}")
    return a2 @ b2.T  # (n, m)


def cosine_similarity(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """All cosines a_i . b_j / (|a_i| |b_j|): (n, d), (m, d) -> (n, m), in [-1, 1], direction only.

    Computed in the inputs' dtype (float64 stays float64); a zero vector has cosine 0 with everything.
    """
    a2, b2 = _as_matrix(a, "a"), _as_matrix(b, "b")
    a_unit = a2 / a2.norm(dim=1, keepdim=True).clamp_min(eps)  # (n, d), rows of length 1 (or 0)
    b_unit = b2 / b2.norm(dim=1, keepdim=True).clamp_min(eps)  # (m, d)
    return dot_similarity(a_unit, b_unit)


def similarity(a: Tensor, b: Tensor, metric: str = "cosine") -> Tensor:
    """cosine_similarity or dot_similarity, by name."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    return cosine_similarity(a, b) if metric == "cosine" else dot_similarity(a, b)


def nearest_neighbours(weights: Tensor, query: int | Tensor, k: int = 5, metric: str = "cosine",
                       exclude_self: bool = True, exclude: Sequence[int] = ()) -> tuple[Tensor, Tensor]:
    """The k rows of `weights` (vocab_size, d_model) most similar to `query`: (ids (k,), scores (k,)).

    `query` is a row id or a vector (d_model,). With `exclude_self`, a row-id query is not its own
    neighbour (it always would be, with cosine 1). Ids in `exclude` (e.g. special tokens) are skipped.
    """
    weights = _as_matrix(weights, "weights")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    V = weights.shape[0]
    if isinstance(query, int):
        if not 0 <= query < V:
            raise ValueError(f"query must be a row id in [0, {V}), got {query}")
        vector = weights[query]
    else:
        vector = query
    skip = set(exclude) | ({query} if exclude_self and isinstance(query, int) else set())
    if not isinstance(k, int) or not 1 <= k <= V - len(skip):
        raise ValueError(f"k must be an int in [1, {V - len(skip)}] (rows left after exclusions), got {k!r}")
    scores = similarity(vector, weights.detach(), metric)[0]  # (V,)
    if skip:
        scores = scores.clone()
        scores[list(skip)] = -math.inf
    top = torch.topk(scores, k)
    return top.indices, top.values


def project_2d(vectors: Tensor) -> Tensor:
    """Principal component analysis: (n, d) -> (n, 2) coordinates along the two main directions."""
    x = _as_matrix(vectors, "vectors").detach().double()
    if x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError(f"vectors must have at least 2 rows and 2 columns, got {tuple(x.shape)}")
    x = x - x.mean(dim=0)
    _, _, vh = torch.linalg.svd(x, full_matrices=False)  # rows of vh: principal directions
    return x @ vh[:2].T  # (n, 2)


# ----------------------------------------------------------------------------- skip-gram
def skipgram_pairs(sequences: Sequence[Sequence[int]], window: int = 2) -> Tensor:
    """(centre, context) id pairs: every two tokens at most `window` apart inside one sequence.

    Returns a LongTensor (N, 2). Pairs never cross from one sequence (a sentence) to the next.
    """
    _check_positive(window=window)
    flat = torch.tensor([i for s in sequences for i in s], dtype=torch.long)                  # (L,)
    segment = torch.repeat_interleave(torch.arange(len(sequences)),
                                      torch.tensor([len(s) for s in sequences], dtype=torch.long))
    pairs = []
    for offset in range(1, window + 1):
        same = segment[:-offset] == segment[offset:]    # both tokens in the same sequence
        left, right = flat[:-offset][same], flat[offset:][same]
        pairs += [torch.stack([left, right], 1), torch.stack([right, left], 1)]  # both directions
    return torch.cat(pairs) if pairs else torch.empty(0, 2, dtype=torch.long)


class SkipGram(nn.Module):
    """Predict a context word from the centre word: logits = out(embed(centre)), full softmax.

    Two tables: `embed` (the word vectors we keep) and `out` (one "context" vector per word).
    """

    def __init__(self, vocab_size: int, d_model: int):
        super().__init__()
        self.embed = TokenEmbedding(vocab_size, d_model)
        self.out = nn.Linear(d_model, vocab_size, bias=False)

    def forward(self, centre: Tensor) -> Tensor:
        return self.out(self.embed(centre))  # (N, vocab_size) logits

    def loss(self, centre: Tensor, context: Tensor) -> Tensor:
        return F.cross_entropy(self(centre), context)


def train_skipgram(pairs: Tensor, vocab_size: int, d_model: int = 32, steps: int = 1000, batch_size: int = 512,
                   lr: float = 0.01, seed: int = 0, device: str | torch.device = "cpu"
                   ) -> tuple[TokenEmbedding, list[float]]:
    """Train a SkipGram on (centre, context) pairs with Adam; returns (its embedding, loss per step)."""
    if not isinstance(pairs, Tensor) or pairs.dim() != 2 or pairs.shape[1] != 2 or len(pairs) == 0:
        got = tuple(pairs.shape) if isinstance(pairs, Tensor) else type(pairs).__name__
        raise ValueError(f"pairs must be a non-empty (N, 2) tensor of (centre, context) ids, got {got}")
    _check_ids(pairs, vocab_size, "pairs")
    _check_positive(d_model=d_model, steps=steps, batch_size=batch_size)
    torch.manual_seed(seed)  # the initial weights
    model = SkipGram(vocab_size, d_model).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)  # which pairs each batch draws
    pairs = pairs.to(device)
    history = []
    threads = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)  # matrices this small train faster on one core than split across several
    try:
        for _ in range(steps):
            batch = pairs[torch.randint(len(pairs), (batch_size,), generator=g).to(device)]  # (B, 2)
            loss = model.loss(batch[:, 0], batch[:, 1])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            history.append(loss.item())
    finally:
        torch.set_num_threads(threads)
    return model.embed.cpu().eval(), history


def category_similarity(weights: Tensor, groups: dict[str, Sequence[int]]) -> tuple[float, float]:
    """Mean cosine between different words of the same group, and between words of different groups."""
    ids = [i for g in groups.values() for i in g]
    label = torch.tensor([n for n, g in enumerate(groups.values()) for _ in g])
    sims = cosine_similarity(weights[ids].double(), weights[ids].double())  # (n, n)
    same = label[:, None] == label[None, :]
    off_diagonal = ~torch.eye(len(ids), dtype=torch.bool)
    return sims[same & off_diagonal].mean().item(), sims[~same].mean().item()

"""What attention heads do, measured: the share of attention each head gives to a few kinds of target.

Taught in 11_pretrained_models ("What real heads do"). For every layer and head, `head_shares` averages,
over the real tokens of a batch of sentences, how much of a token's attention (a row of the weights,
which sums to 1) lands on [CLS], on [SEP], on the previous token, on the next token, and on the other
pieces of the same word (WordPiece marks a continuation with "##"). A head that puts most of its weight
on one kind is a "type" (Clark et al. 2019, "What does BERT look at?"): many BERT heads attend to [SEP]
(a no-op when they have nothing to add), others to the previous or the next token. `clearest_heads`
names the head with the largest share of each kind. The queries averaged over are the sentence's own
pieces: [CLS], [SEP] and padding are not queries. Works for any stack of (B, H, T, T) attention maps with
token strings, so a causal GPT (whose "next" share is 0 by construction) can be measured the same way.
Deliberately left out: attention to punctuation, syntactic relations (they need parsed sentences).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

HEAD_TYPES = ("[CLS]", "[SEP]", "previous", "next", "same word")
SPECIAL = ("[CLS]", "[SEP]", "[PAD]")


def word_starts(tokens: Sequence[str], prefix: str = "##") -> list[int]:
    """For each token, the index of the first piece of its word ("##" pieces continue the word before)."""
    starts = []
    for i, t in enumerate(tokens):
        joins = i > 0 and t.startswith(prefix) and tokens[i - 1] not in SPECIAL
        starts.append(starts[i - 1] if joins else i)
    return starts


def _targets(tokens: Sequence[str], T: int) -> tuple[Tensor, dict[str, Tensor]]:
    """(queries (T,) bool, {type: (T, T) bool target mask}) for one sentence padded to T."""
    n = len(tokens)
    queries = torch.zeros(T, dtype=torch.bool)
    queries[:n] = torch.tensor([t not in SPECIAL for t in tokens])
    eye = torch.eye(T, dtype=torch.bool)
    kind = {name: torch.zeros(T, T, dtype=torch.bool) for name in HEAD_TYPES}
    for name, token in (("[CLS]", "[CLS]"), ("[SEP]", "[SEP]")):
        columns = torch.tensor([t == token for t in tokens] + [False] * (T - n))
        kind[name][:, columns] = True
    kind["previous"] = torch.diag(torch.ones(T - 1, dtype=torch.bool), -1)       # (q, q - 1)
    kind["next"] = torch.diag(torch.ones(T - 1, dtype=torch.bool), 1)            # (q, q + 1)
    kind["next"][:, n:] = False
    starts = torch.tensor(word_starts(tokens) + [-1] * (T - n))
    same = (starts[:, None] == starts[None, :]) & ~eye
    same[~queries] = False
    same[:, ~queries] = False
    kind["same word"] = same
    return queries, kind


@torch.no_grad()
def head_shares(attentions: Sequence[Tensor], tokens: Sequence[Sequence[str]]) -> dict[str, Tensor]:
    """{type: (n_layers, n_heads) mean share of attention} over the real pieces of every sentence.

    attentions: a list over layers of (B, H, T, T) weights (rows sum to 1); tokens: B lists of token
    strings without padding (sentence b fills positions 0..len-1). "same word" averages only over pieces
    of words cut into several pieces (NaN if there is none).
    """
    if not attentions or any(not isinstance(a, Tensor) or a.dim() != 4 for a in attentions):
        raise ValueError("attentions must be a non-empty list over layers of (B, H, T, T) tensors")
    A = torch.stack([a.detach().float().cpu() for a in attentions])  # (L, B, H, T, T)
    L, B, H, T, _ = A.shape
    if len(tokens) != B or any(len(t) > T for t in tokens):
        raise ValueError(f"tokens must hold B={B} lists of at most T={T} token strings, got "
                         f"{len(tokens)} lists of lengths {[len(t) for t in tokens]}")
    totals = {name: torch.zeros(L, H) for name in HEAD_TYPES}
    counts = dict.fromkeys(HEAD_TYPES, 0)
    for b, toks in enumerate(tokens):
        queries, kinds = _targets(toks, T)
        for name, target in kinds.items():
            rows = queries & target.any(-1) if name == "same word" else queries  # (T,)
            share = (A[:, b] * target).sum(-1)  # (L, H, T): the weight each query puts on this kind
            totals[name] += share[:, :, rows].sum(-1)
            counts[name] += int(rows.sum())
    return {name: totals[name] / counts[name] if counts[name] else torch.full((L, H), float("nan"))
            for name in HEAD_TYPES}


def clearest_heads(shares: dict[str, Tensor]) -> dict[str, tuple[int, int, float]]:
    """{type: (layer, head, share)}: the head with the largest share of each type."""
    out = {}
    for name, table in shares.items():
        flat = torch.nan_to_num(table, nan=-1.0).flatten()
        i = int(flat.argmax())
        out[name] = (i // table.shape[1], i % table.shape[1], float(table.flatten()[i]))
    return out

"""Self-checks for the exercises of 06_masking: a causal mask, a masked softmax, a padding mask.

One convention throughout: boolean masks, True = may attend. Each check compares with a reference on
small inputs and names the usual mistake. Reference solutions are the `solution_*` functions.
Deliberately left out: window masks (the notebook builds them with course_lib.masking).
"""

from __future__ import annotations

import torch

from course_lib.checks import Hint, exercise, require


def solution_causal_mask(T: int) -> torch.Tensor:
    """(T, T) bool, True on and below the diagonal."""
    return torch.tril(torch.ones(T, T, dtype=torch.bool))


def solution_masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dim where mask is True; blocked weights exactly 0; fully blocked rows all 0."""
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return torch.nan_to_num(weights, nan=0.0)  # a row of only -inf gives 0/0 = NaN: make it 0


def solution_padding_mask(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """(B, T) ids -> (B, 1, 1, T) bool, True for real tokens."""
    return (ids != pad_id)[:, None, None, :]


def _is_bool_tensor(x, what: str) -> None:
    require(isinstance(x, torch.Tensor), f"return a torch.Tensor, got {type(x).__name__}")
    if x.dtype != torch.bool:
        raise Hint(f"return a BOOLEAN {what} (dtype torch.bool, True = may attend), got dtype {x.dtype}. "
                   "A 0/-inf float mask is what the softmax sees later; build the True/False one here")


@exercise("causal_mask")
def check_causal_mask(fn) -> None:
    """fn(T) -> (T, T) boolean mask, True where query i may attend to key j (j <= i)."""
    for T in (4, 7, 1):
        got = fn(T)
        _is_bool_tensor(got, "mask")
        require(tuple(got.shape) == (T, T), f"for T={T} expected shape ({T}, {T}), got {tuple(got.shape)}")
        want = solution_causal_mask(T)
        if torch.equal(got, want):
            continue
        if torch.equal(got, want.T):
            raise Hint("that is the transpose: row i is query i and must allow keys 0..i (the past), "
                       "so True sits on and BELOW the diagonal (torch.tril)")
        if torch.equal(got, ~want):
            raise Hint("the mask is inverted: True means 'may attend', so the past must be True")
        if torch.equal(got, want & ~torch.eye(T, dtype=torch.bool)):
            raise Hint("the diagonal is False: a token may attend to itself (include j == i)")
        raise Hint(f"for T={T} query i may attend to keys j <= i exactly; compare your mask with torch.tril")


@exercise("masked_softmax")
def check_masked_softmax(fn) -> None:
    """fn(scores, mask) -> weights: softmax over the last dim using only keys where mask is True."""
    g = torch.Generator().manual_seed(0)
    scores = 3 * torch.randn(2, 4, 4, generator=g, dtype=torch.float64)
    mask = solution_causal_mask(4) & torch.tensor([[True, True, True, False]]).T  # row 3 fully masked
    got = fn(scores.clone(), mask.clone())
    require(isinstance(got, torch.Tensor), f"return a tensor, got {type(got).__name__}")
    require(tuple(got.shape) == tuple(scores.shape), f"expected shape {tuple(scores.shape)}, got {tuple(got.shape)}")
    want = solution_masked_softmax(scores, mask)
    ok = mask[:3]  # the rows with at least one allowed key
    if got[:, :3].isnan().any():
        raise Hint("NaN in rows that have allowed keys: fill the blocked scores with -inf and take the softmax "
                   "over the last dimension")
    if torch.allclose(got[:, :3], solution_masked_softmax(scores, ~mask)[:, :3]):
        raise Hint("the mask is inverted: True means 'may attend', so fill where the mask is False (~mask)")
    if torch.allclose(got[:, :3], torch.softmax(scores.masked_fill(~mask, 0.0), -1)[:, :3]):
        raise Hint("a score of 0 is not 'blocked': exp(0) = 1 still gets weight. Fill with float('-inf')")
    blocked = got[:, :3].masked_select(~ok)
    if blocked.abs().max() > 0:
        raise Hint("blocked positions must get weight exactly 0: fill them with -inf BEFORE the softmax")
    sums = got[:, :3].sum(-1)
    if not torch.allclose(sums, torch.ones_like(sums)):
        raise Hint("each row must sum to 1 over the allowed keys: zeroing weights AFTER the softmax leaves "
                   "rows summing to less than 1. Mask the scores before the softmax instead")
    require(torch.allclose(got[:, :3], want[:, :3]), "the allowed weights differ from softmax over the allowed "
                                                      "scores; did you scale or shift the scores?")
    if got[:, 3].isnan().any():
        raise Hint("almost: the last query may attend to nothing, and softmax of a row of only -inf is "
                   "0/0 = NaN. Return zeros for such rows (e.g. torch.nan_to_num(weights, nan=0.0))")
    require(torch.equal(got[:, 3], torch.zeros_like(got[:, 3])),
            "a row with no allowed key should give all-zero weights")


@exercise("padding_mask")
def check_padding_mask(fn) -> None:
    """fn(ids, pad_id) -> (B, 1, 1, T) boolean mask, True for real tokens (may be attended to)."""
    for pad_id in (0, 3):
        ids = torch.tensor([[5, 6, 7, pad_id, pad_id], [1, 2, 4, 8, 9], [9, pad_id, pad_id, pad_id, pad_id]])
        got = fn(ids.clone(), pad_id)
        _is_bool_tensor(got, "mask")
        want = solution_padding_mask(ids, pad_id)
        if tuple(got.shape) == (3, 5):
            raise Hint("shape (B, T) will not broadcast against scores (B, H, T_q, T_k): add two axes, "
                       "mask[:, None, None, :] -> (B, 1, 1, T)")
        require(tuple(got.shape) == (3, 1, 1, 5), f"expected shape (B, 1, 1, T) = (3, 1, 1, 5), got {tuple(got.shape)}")
        if torch.equal(got, ~want):
            raise Hint("the mask is inverted: True means 'may attend', so real tokens are True, padding False")
        require(torch.equal(got, want), f"with pad_id={pad_id} the positions holding pad_id must be False and all "
                                        f"others True: use the pad_id argument, not a fixed id")

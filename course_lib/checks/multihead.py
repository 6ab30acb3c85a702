"""Self-checks for the exercises of 05_multi_head_attention: split the heads, merge them back.

Each check runs the student's function on small tensors with a known answer and names the usual
mistake when it goes wrong. Reference solutions are the `solution_*` functions beside each check
(tested; `show_solution(check_split_heads)` prints one in the notebook). Deliberately left out: checks
of whole modules (the agreement cells do that).
"""

from __future__ import annotations

import torch

from course_lib.checks import Hint, exercise, require


def solution_split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, T, d_model) -> (B, H, T, d_head)."""
    B, T, d_model = x.shape
    return x.view(B, T, n_heads, d_model // n_heads).transpose(1, 2)


def solution_merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, d_head) -> (B, T, H * d_head)."""
    B, H, T, d_head = x.shape
    return x.transpose(1, 2).reshape(B, T, H * d_head)


def _numbered(*shape: int) -> torch.Tensor:
    """A tensor whose entries are 0, 1, 2, ...: any mix-up of positions changes the values."""
    n = 1
    for s in shape:
        n *= s
    return torch.arange(float(n)).view(*shape)


@exercise("split_heads")
def check_split_heads(fn) -> None:
    """fn(x, n_heads): (B, T, d_model) -> (B, H, T, d_head)."""
    for B, T, d_model, H in ((2, 3, 8, 4), (1, 5, 6, 2), (3, 2, 4, 1)):
        x = _numbered(B, T, d_model)
        got = fn(x.clone(), H)
        want = solution_split_heads(x, H)
        require(isinstance(got, torch.Tensor), f"return a tensor, got {type(got).__name__}")
        if tuple(got.shape) == (B, T, H, d_model // H):
            raise Hint(f"got shape {tuple(got.shape)} = (B, T, H, d_head): the head axis must come before "
                       "time, so that each head attends over all T positions. Add .transpose(1, 2)")
        require(tuple(got.shape) == tuple(want.shape),
                f"for x of shape {(B, T, d_model)} and n_heads={H} expected shape {tuple(want.shape)} "
                f"= (B, H, T, d_head), got {tuple(got.shape)}")
        if not torch.equal(got, want):
            raise Hint("right shape, wrong numbers: x.view(B, H, T, d_head) mixes tokens into heads. Split the "
                       "LAST dimension first, x.view(B, T, H, d_head), then move the head axis: .transpose(1, 2)")


@exercise("merge_heads")
def check_merge_heads(fn) -> None:
    """fn(x): (B, H, T, d_head) -> (B, T, H * d_head), the inverse of split_heads."""
    for B, H, T, d_head in ((2, 4, 3, 2), (1, 2, 5, 3), (2, 1, 4, 4)):
        heads = solution_split_heads(_numbered(B, T, H * d_head), H).contiguous()  # as attention returns it
        try:
            got = fn(heads)
        except RuntimeError as err:
            if "view" in str(err):
                raise Hint("after .transpose the tensor is not contiguous in memory, so .view fails: "
                           "use .reshape(B, T, H * d_head) (or .contiguous().view(...))") from None
            raise
        require(isinstance(got, torch.Tensor), f"return a tensor, got {type(got).__name__}")
        require(tuple(got.shape) == (B, T, H * d_head),
                f"for input of shape {(B, H, T, d_head)} expected shape {(B, T, H * d_head)} "
                f"= (B, T, H * d_head), got {tuple(got.shape)}")
        if not torch.equal(got, _numbered(B, T, H * d_head)):
            raise Hint("right shape, wrong numbers: reshaping (B, H, T, d_head) straight to (B, T, H * d_head) "
                       "mixes tokens. Bring time next to batch first: .transpose(1, 2), then reshape")

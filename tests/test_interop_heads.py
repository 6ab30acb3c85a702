"""head_shares: the share of attention each head gives to [CLS], [SEP], the previous and next token and the
same word's other pieces, checked on attention maps built by hand."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib.interop import HEAD_TYPES, clearest_heads, head_shares, word_starts

TOKENS = ["[CLS]", "un", "##bel", "##ie", "##vable", "cats", ".", "[SEP]"]


def _pointer(T: int, target) -> torch.Tensor:
    """(T, T) weights: every row puts all its weight on column target(q)."""
    return torch.stack([torch.nn.functional.one_hot(torch.tensor(min(max(target(q), 0), T - 1)), T).float()
                        for q in range(T)])


def test_word_starts():
    assert word_starts(TOKENS) == [0, 1, 1, 1, 1, 5, 6, 7]
    assert word_starts(["[CLS]", "##x", "a"]) == [0, 1, 2]  # a piece right after [CLS] starts a word


def test_one_head_of_each_type_is_found():
    T = len(TOKENS) + 2  # two padding positions
    heads = torch.stack([_pointer(T, lambda q: 0), _pointer(T, lambda q: len(TOKENS) - 1),
                         _pointer(T, lambda q: q - 1), _pointer(T, lambda q: q + 1)])  # (4, T, T)
    uniform = torch.full((4, T, T), 1.0 / T)
    shares = head_shares([uniform[None], heads[None]], [TOKENS])  # 2 layers, batch of 1
    assert set(shares) == set(HEAD_TYPES) and shares["previous"].shape == (2, 4)
    best = clearest_heads(shares)
    assert best["[CLS]"] == (1, 0, 1.0) and best["[SEP]"] == (1, 1, 1.0)
    assert best["previous"] == (1, 2, 1.0) and best["next"] == (1, 3, 1.0)
    # same word: the previous-token head points inside "un ##bel ##ie ##vable" for 3 of its 4 pieces
    assert math.isclose(float(shares["same word"][1, 2]), 3 / 4) and math.isclose(float(shares["same word"][1, 3]), 3 / 4)
    assert math.isclose(float(shares["[CLS]"][0, 0]), 1 / T, rel_tol=1e-6)  # uniform: one column's share


def test_padding_and_specials_are_not_queries():
    T = 6
    tokens = [["[CLS]", "a", "b", "[SEP]"], ["[CLS]", "c", "[SEP]"]]
    A = _pointer(T, lambda q: q - 1)[None, None].repeat(2, 1, 1, 1)  # (B=2, H=1, T, T)
    shares = head_shares([A], tokens)
    assert float(shares["previous"][0, 0]) == 1.0
    assert math.isnan(float(shares["same word"][0, 0]))  # no word has two pieces


def test_bad_inputs():
    with pytest.raises(ValueError, match="attentions"):
        head_shares([], [TOKENS])
    with pytest.raises(ValueError, match="tokens must hold B=1"):
        head_shares([torch.zeros(1, 2, 3, 3)], [TOKENS])

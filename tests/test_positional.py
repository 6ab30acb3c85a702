"""course_lib.positional against the formula written as a slow double loop, and its geometric properties."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from course_lib.positional import (
    LearnedPositionalEmbedding,
    SinusoidalPositionalEncoding,
    sinusoidal_frequencies,
    sinusoidal_table,
)


def loop_table(max_len: int, d_model: int) -> torch.Tensor:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...), one entry at a time in float64."""
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    for pos in range(max_len):
        for i in range(d_model // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            pe[pos, 2 * i] = math.sin(angle)
            pe[pos, 2 * i + 1] = math.cos(angle)
    return pe


@pytest.mark.parametrize("max_len, d_model", [(1, 2), (7, 4), (50, 16), (128, 64)])
def test_table_matches_the_formula(max_len, d_model):
    expected = loop_table(max_len, d_model)
    assert_close(sinusoidal_table(max_len, d_model, dtype=torch.float64), expected, rtol=0, atol=1e-12)
    table32 = sinusoidal_table(max_len, d_model)
    assert table32.dtype == torch.float32 and table32.shape == (max_len, d_model)
    assert_close(table32, expected.float())


def test_frequencies_match_the_formula():
    d_model = 10
    expected = torch.tensor([1 / 10000 ** (2 * i / d_model) for i in range(d_model // 2)], dtype=torch.float64)
    assert_close(sinusoidal_frequencies(d_model, dtype=torch.float64), expected)
    assert_close(sinusoidal_frequencies(4, base=100.0, dtype=torch.float64),
                 torch.tensor([1.0, 0.1], dtype=torch.float64))


def shift_matrix(k: int, d_model: int) -> torch.Tensor:
    """Block-diagonal rotation M_k with PE[pos + k] = M_k @ PE[pos], built from the frequencies only."""
    M = torch.zeros(d_model, d_model, dtype=torch.float64)
    for i, w in enumerate(sinusoidal_frequencies(d_model, dtype=torch.float64).tolist()):
        c, s = math.cos(k * w), math.sin(k * w)
        # sin(a + b) = sin a cos b + cos a sin b ; cos(a + b) = cos a cos b - sin a sin b
        M[2 * i:2 * i + 2, 2 * i:2 * i + 2] = torch.tensor([[c, s], [-s, c]], dtype=torch.float64)
    return M


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 40), half=st.integers(1, 16))
def test_a_shift_by_k_is_a_fixed_rotation_of_each_frequency_pair(k, half):
    d_model, max_len = 2 * half, 60
    pe = sinusoidal_table(max_len, d_model, dtype=torch.float64)
    M = shift_matrix(k, d_model)
    # the same matrix works for every starting position: a shift is linear in PE
    assert_close(pe[k:], pe[:-k] @ M.T, rtol=0, atol=1e-9)
    assert_close(M @ M.T, torch.eye(d_model, dtype=torch.float64))  # a rotation keeps lengths


def test_dot_product_depends_only_on_the_distance():
    d_model, max_len = 32, 80
    pe = sinusoidal_table(max_len, d_model, dtype=torch.float64)
    gram = pe @ pe.T  # (max_len, max_len)
    w = sinusoidal_frequencies(d_model, dtype=torch.float64)
    dist = torch.arange(max_len, dtype=torch.float64)
    expected = torch.cos((dist[:, None] - dist[None, :])[..., None] * w).sum(-1)  # sum_i cos((p - q) w_i)
    assert_close(gram, expected, rtol=0, atol=1e-9)
    for shift in (1, 5, 30):  # moving both positions by the same amount changes nothing
        assert_close(gram[shift:, shift:], gram[:-shift, :-shift], rtol=0, atol=1e-9)
    assert_close(gram.diagonal(), torch.full((max_len,), d_model / 2, dtype=torch.float64))


@pytest.mark.parametrize("max_len, d_model, match", [
    (10, 7, "d_model must be even.*7"), (10, 0, "d_model.*0"), (0, 4, "max_len.*0"), (10, 2.5, "d_model.*2.5"),
])
def test_table_rejects_bad_sizes(max_len, d_model, match):
    with pytest.raises(ValueError, match=match):
        sinusoidal_table(max_len, d_model)


def test_sinusoidal_module_adds_the_table_to_every_sequence():
    torch.manual_seed(0)
    module = SinusoidalPositionalEncoding(d_model=8, max_len=20)
    x = torch.randn(3, 11, 8)
    out = module(x)
    assert out.shape == x.shape
    expected = x + loop_table(20, 8)[:11].float()  # the same table for every batch element
    assert_close(out, expected)
    assert "pe" in dict(module.named_buffers()) and "pe" not in module.state_dict()
    assert not list(module.parameters())
    assert module.double()(x.double()).dtype == torch.float64


def test_sinusoidal_dropout_only_in_training():
    module = SinusoidalPositionalEncoding(d_model=16, max_len=32, dropout=0.5)
    x = torch.randn(4, 32, 16)
    module.eval()
    assert_close(module(x), x + sinusoidal_table(32, 16))
    module.train()
    torch.manual_seed(0)
    out = module(x)
    assert (out == 0).float().mean() > 0.3  # about half of the entries dropped


def test_learned_module_adds_its_rows_and_learns_only_the_used_ones():
    torch.manual_seed(0)
    module = LearnedPositionalEmbedding(max_len=12, d_model=6)
    assert module.weight.shape == (12, 6) and sum(p.numel() for p in module.parameters()) == 12 * 6
    assert module.weight.std().item() < 0.05  # small at initialisation
    x = torch.randn(2, 5, 6)
    out = module(x)
    assert_close(out, x + module.weight[:5].detach())
    out.sum().backward()
    grad = module.weight.grad
    assert_close(grad[:5], torch.full((5, 6), 2.0))  # each used row is added to 2 batch elements
    assert torch.count_nonzero(grad[5:]) == 0


@pytest.mark.parametrize("make", [lambda: SinusoidalPositionalEncoding(6, 4), lambda: LearnedPositionalEmbedding(6, 4)])
def test_too_long_sequences_name_T_and_max_len(make):
    with pytest.raises(ValueError, match=r"T=7 .*max_len=6"):
        make()(torch.zeros(1, 7, 4))


@pytest.mark.parametrize("make", [lambda: SinusoidalPositionalEncoding(6, 4), lambda: LearnedPositionalEmbedding(6, 4)])
def test_wrong_shapes_and_types_are_rejected(make):
    module = make()
    with pytest.raises(ValueError, match=r"d_model=4.*\(1, 3, 5\)"):
        module(torch.zeros(1, 3, 5))
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        module(torch.zeros(3, 4))  # no batch dim
    with pytest.raises(TypeError, match="list"):
        module([[0.0] * 4])


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="dropout.*1.5"):
        SinusoidalPositionalEncoding(8, 4, dropout=1.5)
    with pytest.raises(ValueError, match="dropout.*-0.1"):
        LearnedPositionalEmbedding(8, 4, dropout=-0.1)
    with pytest.raises(ValueError, match="max_len.*-3"):
        LearnedPositionalEmbedding(-3, 4)
    with pytest.raises(ValueError, match="d_model must be even.*5"):
        SinusoidalPositionalEncoding(8, 5)

"""course_lib.attention against torch's scaled_dot_product_attention, torch.softmax and slow loops (float64)."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from course_lib.attention import (
    AdditiveScore,
    additive_scores,
    bilinear_scores,
    dot_scores,
    scaled_dot_product_attention,
    scaled_dot_scores,
    softmax,
)

f64 = {"dtype": torch.float64}


def loop_scores(q, k, score):
    """score(q_i, k_j) for every pair, one pair at a time: q (T_q, d), k (T_k, d) -> (T_q, T_k)."""
    return torch.tensor([[float(score(qi, kj)) for kj in k] for qi in q], **f64)


# ---------------------------------------------------------------- score functions

def test_score_functions_match_pairwise_loops():
    torch.manual_seed(0)
    q, k = torch.randn(4, 3, **f64), torch.randn(6, 5, **f64)
    W = torch.randn(3, 5, **f64)
    W_q, W_k, v = torch.randn(7, 3, **f64), torch.randn(7, 5, **f64), torch.randn(7, **f64)
    assert_close(bilinear_scores(q, k, W), loop_scores(q, k, lambda a, b: a @ W @ b))
    assert_close(additive_scores(q, k, W_q, W_k, v), loop_scores(q, k, lambda a, b: v @ torch.tanh(W_q @ a + W_k @ b)))
    k3 = torch.randn(6, 3, **f64)
    assert_close(dot_scores(q, k3), loop_scores(q, k3, lambda a, b: a @ b))
    assert_close(scaled_dot_scores(q, k3), loop_scores(q, k3, lambda a, b: a @ b / math.sqrt(3)))
    assert_close(scaled_dot_scores(q, k3, scale=0.25), loop_scores(q, k3, lambda a, b: 0.25 * (a @ b)))


def test_score_functions_work_on_batches_and_heads():
    torch.manual_seed(1)
    q, k = torch.randn(2, 3, 4, 8, **f64), torch.randn(2, 3, 5, 8, **f64)
    W, W_q, W_k, v = torch.randn(8, 8, **f64), torch.randn(6, 8, **f64), torch.randn(6, 8, **f64), torch.randn(6, **f64)
    for b in range(2):
        for h in range(3):
            assert_close(dot_scores(q, k)[b, h], dot_scores(q[b, h], k[b, h]))
            assert_close(bilinear_scores(q, k, W)[b, h], bilinear_scores(q[b, h], k[b, h], W))
            assert_close(additive_scores(q, k, W_q, W_k, v)[b, h], additive_scores(q[b, h], k[b, h], W_q, W_k, v))
    assert_close(bilinear_scores(q, k, torch.eye(8, **f64)), dot_scores(q, k))  # W = I is the dot score


def test_additive_score_module_uses_its_weights_and_trains():
    torch.manual_seed(2)
    module = AdditiveScore(d_q=3, d_k=5, d_hidden=4).double()
    q, k = torch.randn(2, 4, 3, **f64), torch.randn(2, 6, 5, **f64)
    out = module(q, k)
    assert out.shape == (2, 4, 6)
    assert_close(out, additive_scores(q, k, module.W_q.weight, module.W_k.weight, module.v))
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


# ---------------------------------------------------------------- softmax

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_stable_softmax_matches_torch_on_huge_scores(dtype):
    torch.manual_seed(3)
    scores = torch.randn(5, 9, dtype=dtype) * 3000  # exp(3000) overflows in either dtype
    assert torch.isinf(torch.exp(scores)).any()  # the naive formula would give inf / inf = nan
    out = softmax(scores)
    assert torch.isfinite(out).all()
    assert_close(out, torch.softmax(scores, dim=-1))
    assert_close(softmax(-scores), torch.softmax(-scores, dim=-1))


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 7), scale=st.sampled_from([1.0, 50.0, 1e4]), dim=st.sampled_from([0, 1, -1]))
def test_softmax_matches_torch_along_any_dim(rows, cols, scale, dim):
    scores = torch.randn(rows, cols, **f64) * scale
    assert_close(softmax(scores, dim=dim), torch.softmax(scores, dim=dim))


def test_masked_softmax_matches_torch_and_gives_zero_rows_without_nan():
    torch.manual_seed(4)
    scores = torch.randn(2, 5, 6, **f64, requires_grad=True)
    mask = torch.rand(2, 5, 6) > 0.4
    mask[:, :, 0] = True  # every row may attend somewhere ...
    mask[1, 3] = False  # ... except this one
    out = softmax(scores, mask)
    ok = mask.any(-1)  # (2, 5) rows with something allowed
    reference = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    assert_close(out[ok], reference[ok])
    assert torch.equal(out[~mask], torch.zeros_like(out[~mask]))  # masked weights are exactly 0
    assert torch.equal(out[1, 3], torch.zeros(6, **f64))
    out.pow(2).sum().backward()
    assert torch.isfinite(scores.grad).all() and torch.count_nonzero(scores.grad[1, 3]) == 0
    # gradients agree with torch's softmax where rows are allowed
    scores2 = scores.detach().clone().requires_grad_()
    torch.softmax(scores2.masked_fill(~mask, float("-inf")), dim=-1)[ok].pow(2).sum().backward()
    assert_close(scores.grad[ok], scores2.grad[ok])


def test_mask_broadcasts_over_rows():
    scores = torch.randn(3, 4, **f64)
    keep = torch.tensor([True, False, True, True])  # (T_k,): one padding position
    assert_close(softmax(scores, keep), softmax(scores, keep.expand(3, 4)))
    assert torch.all(softmax(scores, keep)[:, 1] == 0)


# ---------------------------------------------------------------- scaled dot-product attention

def reference(q, k, v, mask=None, scale=None):
    """The formula written plainly: weights = softmax(q k^T * scale, masked with -inf); out = weights v."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * scale
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


SHAPES = [  # q, k, v, mask (None = no mask)
    ((4, 8), (4, 8), (4, 8), None),
    ((2, 5, 8), (2, 7, 8), (2, 7, 3), None),  # cross attention: T_q != T_k, d_v != d_k
    ((2, 3, 6, 4), (2, 3, 6, 4), (2, 3, 6, 4), (6, 6)),  # batch and heads, one mask for all
    ((2, 3, 5, 4), (2, 3, 9, 4), (2, 3, 9, 5), (2, 1, 1, 9)),  # a padding mask per batch element
    ((3, 5, 4), (5, 4), (5, 2), (3, 5, 5)),  # k and v shared across the batch
]


def make(shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(*s, generator=g, **f64) for s in shapes[:3])
    mask = None
    if shapes[3] is not None:
        mask = torch.rand(*shapes[3], generator=g) > 0.3
        mask[..., 0] = True  # at least one allowed key per row, so torch's answer is defined everywhere
    return q, k, v, mask


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_attention_matches_torch_and_the_formula(shapes):
    q, k, v, mask = make(shapes)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    ref_out, ref_weights = reference(q, k, v, mask)
    assert_close(out, ref_out)
    assert_close(weights, ref_weights)
    assert weights.shape == torch.broadcast_shapes(q.shape[:-1] + (k.shape[-2],), k.shape[:-2] + (1, 1))
    assert_close(weights.sum(-1), torch.ones(weights.shape[:-1], **f64))


def test_attention_matches_a_loop_over_queries():
    q, k, v, mask = make(((6, 4), (8, 4), (8, 3), (6, 8)), seed=5)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    for i in range(6):  # one query at a time: scores over the allowed keys, softmax, weighted sum of values
        allowed = mask[i].nonzero().flatten().tolist()
        s = torch.tensor([q[i] @ k[j] / 2.0 for j in allowed], **f64)  # sqrt(d_k) = 2
        w = torch.exp(s) / torch.exp(s).sum()
        assert_close(out[i], sum(w_j * v[j] for w_j, j in zip(w, allowed)))
        expected_row = torch.zeros(8, **f64)
        expected_row[allowed] = w
        assert_close(weights[i], expected_row)


def test_custom_scale_matches_torch():
    q, k, v, _ = make(((2, 5, 4), (2, 5, 4), (2, 5, 4), None), seed=6)
    out, _ = scaled_dot_product_attention(q, k, v, scale=3.0)
    assert_close(out, F.scaled_dot_product_attention(q, k, v, scale=3.0))


def test_fully_masked_row_gives_zero_output_not_nan():
    q, k, v, _ = make(((4, 3), (5, 3), (5, 2), None), seed=7)
    mask = torch.ones(4, 5, dtype=torch.bool)
    mask[2] = False
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert torch.equal(out[2], torch.zeros(2, **f64)) and torch.equal(weights[2], torch.zeros(5, **f64))
    assert_close(out[[0, 1, 3]], reference(q, k, v, mask)[0][[0, 1, 3]])


def test_gradients_pass_gradcheck():
    q, k, v, mask = make(((2, 3, 4), (2, 5, 4), (2, 5, 2), (3, 5)), seed=8)
    q, k, v = (t.requires_grad_() for t in (q, k, v))
    assert torch.autograd.gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, mask)[0], (q, k, v))


def test_dropout_drops_weights_and_returns_the_weights_it_used():
    q, k, v, _ = make(((64, 8), (64, 8), (64, 8), None), seed=9)
    torch.manual_seed(0)
    out, weights = scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    _, clean = scaled_dot_product_attention(q, k, v)
    dropped = weights == 0
    assert 0.4 < dropped.double().mean() < 0.6
    assert_close(weights[~dropped], 2 * clean[~dropped])  # survivors scaled by 1 / (1 - p)
    assert_close(out, weights @ v)


# ---------------------------------------------------------------- bad input

def test_mismatched_shapes_are_named():
    q, k, v = torch.randn(2, 5, 8), torch.randn(2, 7, 8), torch.randn(2, 7, 3)
    with pytest.raises(ValueError, match=r"d_k.*\(2, 5, 8\).*d_k=8.*\(2, 7, 6\).*d_k=6"):
        scaled_dot_product_attention(q, torch.randn(2, 7, 6), v)
    with pytest.raises(ValueError, match=r"same T_k.*\(2, 7, 8\).*\(2, 6, 3\)"):
        scaled_dot_product_attention(q, k, torch.randn(2, 6, 3))
    with pytest.raises(ValueError, match=r"leading.*\(2, 5, 8\).*\(3, 7, 8\)"):
        scaled_dot_product_attention(q, torch.randn(3, 7, 8), torch.randn(3, 7, 3))
    with pytest.raises(ValueError, match=r"got q \(8,\)"):
        scaled_dot_product_attention(torch.randn(8), k, v)
    with pytest.raises(TypeError, match="k must be a torch.Tensor.*list"):
        dot_scores(q, [[1.0] * 8])
    with pytest.raises(TypeError, match="dtype.*float32.*float64"):
        scaled_dot_product_attention(q, k, v.double())


def test_bad_masks_are_named():
    q, k, v = torch.randn(2, 5, 8), torch.randn(2, 7, 8), torch.randn(2, 7, 3)
    with pytest.raises(TypeError, match="boolean tensor.*float32"):
        scaled_dot_product_attention(q, k, v, torch.ones(5, 7))
    with pytest.raises(TypeError, match="boolean tensor.*int64"):
        softmax(torch.randn(5, 7), torch.ones(5, 7, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(7, 5\).*\(2, 5, 7\)"):
        scaled_dot_product_attention(q, k, v, torch.ones(7, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"\(3, 5, 7\).*\(2, 5, 7\)"):
        scaled_dot_product_attention(q, k, v, torch.ones(3, 5, 7, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask.*list"):
        softmax(torch.randn(2, 2), [[True, False]] * 2)


def test_bad_weights_and_options_are_named():
    q, k = torch.randn(4, 3), torch.randn(6, 5)
    with pytest.raises(ValueError, match=r"W must have shape \(d_hidden or d_q, d_k\) = \(3, 5\).*\(5, 3\)"):
        bilinear_scores(q, k, torch.randn(5, 3))
    with pytest.raises(ValueError, match=r"W_k must have shape.*\(7, 5\).*\(7, 3\)"):
        additive_scores(q, k, torch.randn(7, 3), torch.randn(7, 3), torch.randn(7))
    with pytest.raises(ValueError, match=r"W_q must have shape"):
        additive_scores(q, k, torch.randn(7, 3), torch.randn(7, 5), torch.randn(7, 1))
    with pytest.raises(ValueError, match="dropout_p.*1.0"):
        scaled_dot_product_attention(q, q, q, dropout_p=1.0)
    with pytest.raises(TypeError, match="scores.*ndarray"):
        softmax(q.numpy())


# ---------------------------------------------------------------- the explorer's weights (widgets.attention)

def test_explorer_weights_sharpen_with_d_k_only_without_scaling():
    from course_lib.widgets.attention import SCORES, explorer_weights

    x = torch.randn(10, 6, generator=torch.Generator().manual_seed(0))
    for score in SCORES:
        assert_close(explorer_weights(x, 16, score, 1.0).sum(-1), torch.ones(10))

    def peak(score, d_k, temperature=1.0):  # the mean largest weight of a row
        return explorer_weights(x, d_k, score, temperature).max(-1).values.mean().item()

    assert peak("dot", 256) > peak("dot", 4) + 0.3  # unscaled scores grow with d_k: near one-hot
    assert abs(peak("scaled dot", 256) - peak("scaled dot", 4)) < 0.15
    assert peak("scaled dot", 16, temperature=0.1) > peak("scaled dot", 16) > peak("scaled dot", 16, temperature=10.0)
    with pytest.raises(ValueError, match="score must be one of.*'cosine'"):
        explorer_weights(x, 16, "cosine", 1.0)
    with pytest.raises(ValueError, match=r"temperature must be a number in \(0, inf\), got 0"):
        explorer_weights(x, 16, "dot", 0)

"""course_lib.flash against torch's softmax and scaled_dot_product_attention in float64, and its memory claim."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from course_lib.flash import online_softmax, online_softmax_attention

F64 = torch.float64


# ---------------------------------------------------------------- one query

@pytest.mark.parametrize("T", [1, 2, 7, 50])
def test_online_softmax_equals_softmax(T):
    torch.manual_seed(T)
    scores = torch.randn(T, dtype=F64) * 10
    assert_close(online_softmax(scores), torch.softmax(scores, dim=0), rtol=1e-13, atol=1e-15)


def test_online_softmax_by_hand_and_extremes():
    # max grows at every step: 1, then 2, then 3; weights e^(s - 3) / (e^-2 + e^-1 + 1)
    weights = online_softmax(torch.tensor([1.0, 2.0, 3.0], dtype=F64))
    total = math.exp(-2) + math.exp(-1) + 1
    assert_close(weights, torch.tensor([math.exp(-2), math.exp(-1), 1.0], dtype=F64) / total)
    huge = torch.tensor([1000.0, 1001.0, -1000.0], dtype=F64)  # exp(1000) overflows; the running max avoids it
    assert_close(online_softmax(huge), torch.softmax(huge, dim=0))
    masked = torch.tensor([-math.inf, 0.5, -math.inf, 0.5], dtype=F64)
    assert_close(online_softmax(masked), torch.tensor([0.0, 0.5, 0.0, 0.5], dtype=F64))
    assert online_softmax(torch.full((3,), -math.inf)).tolist() == [0.0, 0.0, 0.0]  # nothing allowed: zeros


# ---------------------------------------------------------------- attention over key blocks

def sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal, scale=scale)


SHAPES = [  # (leading dims of q, of k and v, T_q, T_k, d_k, d_v)
    ((1,), (1,), 1, 1, 1, 1),
    ((2, 3), (2, 3), 17, 17, 8, 8),
    ((2, 1), (2, 4), 5, 33, 16, 4),  # heads broadcast, more keys than queries
    ((3,), (3,), 40, 9, 5, 7),
    ((), (), 130, 130, 32, 32),
]


@pytest.mark.parametrize("block_size", [1, 3, 7, 16, 64, 1000])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_equals_torch_without_a_mask(shape, block_size):
    lead_q, lead_kv, T_q, T_k, d_k, d_v = shape
    torch.manual_seed(T_q * 31 + T_k)
    q = torch.randn(*lead_q, T_q, d_k, dtype=F64)
    k, v = torch.randn(*lead_kv, T_k, d_k, dtype=F64), torch.randn(*lead_kv, T_k, d_v, dtype=F64)
    out = online_softmax_attention(q, k, v, block_size=block_size)
    lead = torch.broadcast_shapes(lead_q, lead_kv)
    assert out.shape == (*lead, T_q, d_v)
    q, k, v = q.expand(*lead, T_q, d_k), k.expand(*lead, T_k, d_k), v.expand(*lead, T_k, d_v)
    assert_close(out, sdpa(q, k, v), rtol=1e-12, atol=1e-12)
    assert_close(online_softmax_attention(q, k, v, block_size=block_size, scale=0.3),
                 sdpa(q, k, v, scale=0.3), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block_size", [1, 5, 16, 64])
@pytest.mark.parametrize("T", [1, 2, 31, 100])
def test_equals_torch_causal(T, block_size):
    torch.manual_seed(T)
    q, k, v = (torch.randn(2, 3, T, 8, dtype=F64) for _ in range(3))
    assert_close(online_softmax_attention(q, k, v, is_causal=True, block_size=block_size),
                 sdpa(q, k, v, is_causal=True), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block_size", [2, 7, 64])
@pytest.mark.parametrize("mask_shape", [(23, 29), (2, 1, 23, 29), (2, 1, 1, 29), (1, 3, 23, 1)], ids=str)
def test_equals_torch_with_a_boolean_mask(mask_shape, block_size):
    torch.manual_seed(block_size)
    q = torch.randn(2, 3, 23, 8, dtype=F64)
    k, v = torch.randn(2, 3, 29, 8, dtype=F64), torch.randn(2, 3, 29, 6, dtype=F64)
    mask = torch.rand(mask_shape) < 0.6
    mask[..., 0] = True  # every row may attend somewhere (torch gives NaN otherwise)
    assert_close(online_softmax_attention(q, k, v, mask=mask, block_size=block_size), sdpa(q, k, v, mask),
                 rtol=1e-12, atol=1e-12)


def test_mask_and_causal_together_allow_only_what_both_allow():
    torch.manual_seed(4)
    B, T = 3, 19
    q, k, v = (torch.randn(B, 2, T, 8, dtype=F64) for _ in range(3))
    pads = torch.tensor([0, 4, 11])
    padding = (torch.arange(T)[None, :] >= pads[:, None])[:, None, None, :]  # (B, 1, 1, T) left padding
    both = padding & torch.ones(T, T, dtype=torch.bool).tril()  # (B, 1, T, T)
    out = online_softmax_attention(q, k, v, mask=padding, is_causal=True, block_size=5)
    for b, p in enumerate(pads.tolist()):  # the pad rows (queries before the first real key) see nothing
        assert_close(out[b, :, p:], sdpa(q, k, v, both)[b, :, p:], rtol=1e-12, atol=1e-12)
        assert (out[b, :, :p] == 0).all()


def test_a_fully_masked_row_gives_zeros_and_leaves_the_others_alone():
    torch.manual_seed(5)
    q, k, v = (torch.randn(1, 2, 9, 4, dtype=F64) for _ in range(3))
    mask = torch.rand(9, 9) < 0.5
    mask[:, 0] = True
    mask[3] = False  # query 3 may attend to nothing
    out = online_softmax_attention(q, k, v, mask=mask, block_size=4)
    assert torch.isfinite(out).all() and out[..., 3, :].abs().max() == 0.0
    rows = [i for i in range(9) if i != 3]
    assert_close(out[..., rows, :], sdpa(q, k, v, mask)[..., rows, :], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_lower_precision_keeps_its_dtype(dtype):
    torch.manual_seed(6)
    q, k, v = (torch.randn(2, 2, 50, 16) for _ in range(3))
    out = online_softmax_attention(q.to(dtype), k.to(dtype), v.to(dtype), is_causal=True, block_size=16)
    assert out.dtype == dtype
    tol = {torch.float32: 1e-5, torch.bfloat16: 2e-2, torch.float16: 2e-3}[dtype]
    assert_close(out.float(), sdpa(q, k, v, is_causal=True), rtol=tol, atol=tol)


def test_gradients_equal_torch():
    torch.manual_seed(7)
    inputs = [torch.randn(2, 2, 13, 4, dtype=F64, requires_grad=True) for _ in range(3)]
    ours = torch.autograd.grad(online_softmax_attention(*inputs, is_causal=True, block_size=4).sum(), inputs)
    theirs = torch.autograd.grad(sdpa(*inputs, is_causal=True).sum(), inputs)
    for a, b in zip(ours, theirs):
        assert_close(a, b, rtol=1e-10, atol=1e-12)


class LargestTensor(TorchDispatchMode):
    """Records the largest number of elements of any tensor an operation creates."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self.largest = max(self.largest, t.numel())
        return out


def test_never_builds_the_full_score_matrix():
    T, d, block = 512, 16, 32
    q, k, v = (torch.randn(1, 1, T, d) for _ in range(3))
    with LargestTensor() as ours:
        online_softmax_attention(q, k, v, is_causal=True, block_size=block)
    with LargestTensor() as naive:
        torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(d), dim=-1) @ v
    assert naive.largest == T * T  # the check does see a (T, T) matrix when there is one
    assert ours.largest <= T * max(block, d), f"largest intermediate {ours.largest} elements, T*T = {T * T}"


def test_clear_errors():
    q, k, v = (torch.randn(2, 5, 4) for _ in range(3))
    with pytest.raises(ValueError, match="is_causal needs as many queries as keys"):
        online_softmax_attention(q[:, :2], k, v, is_causal=True)
    with pytest.raises(TypeError, match="bool"):
        online_softmax_attention(q, k, v, mask=torch.ones(5, 5))
    with pytest.raises(ValueError, match=r"mask of shape \(4, 5\) does not broadcast"):
        online_softmax_attention(q, k, v, mask=torch.ones(4, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="block_size must be a positive int"):
        online_softmax_attention(q, k, v, block_size=0)
    with pytest.raises(TypeError, match="share one dtype"):
        online_softmax_attention(q, k.double(), v)
    with pytest.raises(ValueError, match="same number of positions"):
        online_softmax_attention(q, k, v[:, :3])
    with pytest.raises(ValueError, match="same size d_k"):
        online_softmax_attention(q, k[..., :3], v)
    with pytest.raises(TypeError, match="is_causal must be True or False"):
        online_softmax_attention(q, k, v, is_causal=1)
    with pytest.raises(ValueError, match="scale"):
        online_softmax_attention(q, k, v, scale=-1.0)
    with pytest.raises(ValueError, match="1-D floating-point"):
        online_softmax(torch.randn(2, 3))

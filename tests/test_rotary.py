"""course_lib.rotary against a slow pair-by-pair loop, Hugging Face's Llama, and RoPE's relative-position property."""

import math

import pytest
import torch
from torch.testing import assert_close

from course_lib.rotary import (
    RotaryEmbedding,
    apply_rope,
    rope_cos_sin,
    rope_frequencies,
    rotate_half,
    rotate_pair,
)

F64 = torch.float64


def loop_rope(x: torch.Tensor, positions: list[int], base: float = 10000.0) -> torch.Tensor:
    """x (T, d_head): pair (i, i + d/2) of row t turned by positions[t] / base^(2i/d), one pair at a time."""
    T, d = x.shape
    out = torch.empty_like(x)
    for t in range(T):
        for i in range(d // 2):
            angle = positions[t] / base ** (2 * i / d)
            a, b = rotate_pair(x[t, i].item(), x[t, i + d // 2].item(), angle)
            out[t, i], out[t, i + d // 2] = a, b
    return out


def test_rotate_pair_by_hand():
    x, y = rotate_pair(1.0, 0.0, math.pi / 2)  # a quarter turn takes the x axis to the y axis
    assert abs(x) < 1e-12 and abs(y - 1.0) < 1e-12
    x, y = rotate_pair(3.0, 4.0, 0.7)
    assert math.isclose(math.hypot(x, y), 5.0)  # a rotation keeps the length
    tx, ty = rotate_pair(torch.tensor([3.0, 1.0], dtype=F64), torch.tensor([4.0, 0.0], dtype=F64),
                         torch.tensor([0.7, math.pi], dtype=F64))
    assert_close(tx, torch.tensor([x, -1.0], dtype=F64))
    assert_close(ty, torch.tensor([y, 0.0], dtype=F64), atol=1e-12, rtol=0)


def test_frequencies_match_the_formula():
    d_head, base = 12, 500.0
    expected = torch.tensor([1 / base ** (2 * i / d_head) for i in range(d_head // 2)], dtype=F64)
    assert_close(rope_frequencies(d_head, base, dtype=F64), expected, rtol=1e-15, atol=0)
    assert rope_frequencies(d_head).dtype == torch.float32 and rope_frequencies(d_head)[0] == 1.0


@pytest.mark.parametrize("T, d_head, base", [(1, 2, 10000.0), (5, 4, 10000.0), (9, 8, 100.0), (17, 16, 500000.0)])
def test_apply_rope_matches_the_pair_loop(T, d_head, base):
    torch.manual_seed(T)
    x = torch.randn(T, d_head, dtype=F64)
    positions = torch.randint(0, 3000, (T,))
    cos, sin = rope_cos_sin(positions, d_head, base, dtype=F64)
    assert cos.shape == sin.shape == (T, d_head) and cos.dtype == F64
    assert_close(apply_rope(x, cos, sin), loop_rope(x, positions.tolist(), base), rtol=0, atol=1e-12)


def test_rotate_half_turns_each_pair_a_quarter():
    x = torch.arange(1.0, 7.0)
    assert rotate_half(x).tolist() == [-4.0, -5.0, -6.0, 1.0, 2.0, 3.0]


def random_llama_config(seed: int):
    transformers = pytest.importorskip("transformers")
    g = torch.Generator().manual_seed(seed)
    n_heads = int(torch.randint(1, 5, (1,), generator=g))
    d_head = 2 * int(torch.randint(1, 33, (1,), generator=g))
    base = [10000.0, 500000.0, 1234.5][seed % 3]
    config = transformers.LlamaConfig(hidden_size=n_heads * d_head, num_attention_heads=n_heads,
                                      num_key_value_heads=n_heads, intermediate_size=8, head_dim=d_head,
                                      rope_parameters={"rope_type": "default", "rope_theta": base})
    return config, n_heads, d_head, base


@pytest.mark.parametrize("seed", range(6))
def test_matches_hugging_face_llama(seed):
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    config, n_heads, d_head, base = random_llama_config(seed)
    torch.manual_seed(seed)
    B, T = 2, 11
    q, k = torch.randn(B, n_heads, T, d_head), torch.randn(B, n_heads, T, d_head)
    position_ids = torch.randint(0, 4096, (B, T)).sort(dim=-1).values  # (B, T), per row

    hf_cos, hf_sin = llama.LlamaRotaryEmbedding(config)(q, position_ids)  # (B, T, d_head)
    hf_q, hf_k = llama.apply_rotary_pos_emb(q, k, hf_cos, hf_sin)
    cos, sin = rope_cos_sin(position_ids, d_head, base)  # (B, 1, T, d_head)
    assert cos.shape == (B, 1, T, d_head)
    assert_close(cos[:, 0], hf_cos, rtol=0, atol=0)  # same float32 arithmetic: bit for bit
    assert_close(sin[:, 0], hf_sin, rtol=0, atol=0)
    assert_close(apply_rope(q, cos, sin), hf_q)
    assert_close(apply_rope(k, cos, sin), hf_k)
    module_cos, module_sin = RotaryEmbedding(d_head, base)(position_ids)
    assert_close(module_cos, cos, rtol=0, atol=0)
    assert_close(module_sin, sin, rtol=0, atol=0)

    # float64: Llama's table is float32 only, but its rotation accepts our float64 table.
    cos64, sin64 = rope_cos_sin(position_ids, d_head, base, dtype=F64)
    q64, k64 = q.double(), k.double()
    hf_q64, hf_k64 = llama.apply_rotary_pos_emb(q64, k64, cos64[:, 0], sin64[:, 0])
    assert_close(apply_rope(q64, cos64, sin64), hf_q64, rtol=1e-15, atol=1e-15)
    assert_close(apply_rope(k64, cos64, sin64), hf_k64, rtol=1e-15, atol=1e-15)
    assert_close(cos64.float(), cos, atol=2e-3, rtol=0)  # float32 angles at position ~4000 are off by ~1e-4


@pytest.mark.parametrize("d_head, base", [(8, 10000.0), (64, 10000.0), (32, 500000.0)])
def test_score_depends_only_on_the_offset(d_head, base):
    torch.manual_seed(d_head)
    q, k = torch.randn(d_head, dtype=F64), torch.randn(d_head, dtype=F64)
    P = 300
    positions = torch.cat([torch.arange(P), torch.arange(5000, 5000 + P)])  # near 0 and far away
    cos, sin = rope_cos_sin(positions, d_head, base, dtype=F64)
    q_rot = apply_rope(q.expand(2 * P, d_head), cos, sin)  # (2P, d_head): q at every position
    k_rot = apply_rope(k.expand(2 * P, d_head), cos, sin)
    scores = q_rot @ k_rot.T  # scores[a, b] = q at positions[a] . k at positions[b]
    near, far = scores[:P, :P], scores[P:, P:]
    per_offset = []
    for offset in range(-P + 1, P):
        diagonal = near.diagonal(offset)  # all pairs (m, n) with n - m = offset
        assert_close(diagonal, diagonal[:1].expand_as(diagonal), rtol=0, atol=1e-9)
        assert_close(far.diagonal(offset), diagonal, rtol=0, atol=1e-9)  # shifted by 5000: same scores
        per_offset.append(diagonal[0])
    assert torch.stack(per_offset).std() > 0.1, "the score should still depend on the offset"
    assert_close(scores[0, 0], q @ k)  # offset 0 and position 0: no rotation at all


def test_rotation_keeps_lengths():
    x = torch.randn(2, 3, 7, 16, dtype=F64)
    cos, sin = rope_cos_sin(torch.arange(100, 107), 16, dtype=F64)
    assert_close(apply_rope(x, cos, sin).norm(dim=-1), x.norm(dim=-1))


def test_left_padded_rows_get_their_own_positions():
    torch.manual_seed(0)
    B, H, T, d_head = 3, 2, 6, 8
    pads = [0, 2, 5]
    positions = torch.stack([(torch.arange(T) - p).clamp(min=0) for p in pads])  # (B, T): pads at 0
    x = torch.randn(B, H, T, d_head)
    cos, sin = rope_cos_sin(positions, d_head)
    out = apply_rope(x, cos, sin)
    for b, p in enumerate(pads):
        row_cos, row_sin = rope_cos_sin(positions[b], d_head)  # (T, d_head)
        assert_close(out[b], apply_rope(x[b], row_cos, row_sin))
        # the real tokens, after p pads, are rotated as an unpadded sequence starting at position 0
        plain_cos, plain_sin = rope_cos_sin(torch.arange(T - p), d_head)
        assert_close(out[b, :, p:], apply_rope(x[b, :, p:], plain_cos, plain_sin))


def test_module_buffer_device_dtype_and_state_dict():
    rope = RotaryEmbedding(16, base=500.0)
    assert "inv_freq" not in rope.state_dict() and rope.inv_freq.shape == (8,)
    cos, sin = rope(torch.arange(10))
    ref_cos, ref_sin = rope_cos_sin(torch.arange(10), 16, 500.0)
    assert_close(cos, ref_cos, rtol=0, atol=0)
    assert_close(sin, ref_sin, rtol=0, atol=0)
    half_cos, _ = rope.to(torch.bfloat16)(torch.arange(10), dtype=torch.bfloat16)
    assert half_cos.dtype == torch.bfloat16 and rope.inv_freq.dtype == torch.float32  # the buffer stays exact
    assert_close(half_cos, ref_cos.to(torch.bfloat16), rtol=0, atol=0)
    cos64, sin64 = rope.double()(torch.arange(10), dtype=F64)  # float64 frequencies, not a widened bfloat16 buffer
    ref_cos64, ref_sin64 = rope_cos_sin(torch.arange(10), 16, 500.0, dtype=F64)
    assert_close(cos64, ref_cos64, rtol=0, atol=0)
    assert_close(sin64, ref_sin64, rtol=0, atol=0)
    assert "d_head=16" in repr(rope)


def test_clear_errors():
    with pytest.raises(ValueError, match="d_head must be even"):
        rope_frequencies(7)
    with pytest.raises(ValueError, match="d_head must be a positive int"):
        RotaryEmbedding(0)
    with pytest.raises(ValueError, match="base"):
        rope_cos_sin(torch.arange(4), 8, base=1.0)
    with pytest.raises(TypeError, match="integer tensor"):
        rope_cos_sin(torch.arange(4.0), 8)
    with pytest.raises(ValueError, match=r"\(T,\) or \(B, T\)"):
        rope_cos_sin(torch.zeros(1, 2, 3, dtype=torch.long), 8)
    with pytest.raises(TypeError, match="dtype"):
        rope_cos_sin(torch.arange(4), 8, dtype=torch.int32)
    cos, sin = rope_cos_sin(torch.arange(4), 8)
    with pytest.raises(ValueError, match="does not broadcast"):
        apply_rope(torch.randn(1, 2, 5, 8), cos, sin)
    with pytest.raises(ValueError, match="even d_head"):
        apply_rope(torch.randn(4, 7), cos, sin)
    with pytest.raises(TypeError, match="floating-point"):
        apply_rope(torch.ones(4, 8, dtype=torch.long), cos, sin)
    with pytest.raises(TypeError, match="cos must be"):
        apply_rope(torch.randn(4, 8), None, sin)

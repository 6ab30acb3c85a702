"""course_lib.masking against loop references and PyTorch's own mask conventions."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from course_lib.masking import (causal_mask, check_mask, combine_masks, padding_mask, to_additive,
                                to_key_padding_mask, window_mask)


def _qkv(B=2, H=3, T=5, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, H, T, d, generator=g, dtype=torch.float64) for _ in range(3)]


def _loop_attention(q, k, v, allowed):
    """Reference: one (batch, head, query) at a time, softmax over the allowed keys only."""
    B, H, T, d = q.shape
    out = torch.zeros_like(q)
    for b in range(B):
        for h in range(H):
            for i in range(T):
                keys = [j for j in range(T) if allowed(b, h, i, j)]
                if not keys:
                    continue
                scores = torch.stack([q[b, h, i] @ k[b, h, j] for j in keys]) / d ** 0.5
                w = torch.softmax(scores, dim=0)
                out[b, h, i] = sum(w[n] * v[b, h, j] for n, j in enumerate(keys))
    return out


# ----- causal ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("T", [1, 2, 7])
def test_causal_mask_matches_generate_square_subsequent_mask(T):
    torch_float = torch.nn.Transformer.generate_square_subsequent_mask(T)  # 0 allowed, -inf blocked
    assert_close(causal_mask(T), torch_float == 0)
    assert_close(to_additive(causal_mask(T)), torch_float)


def test_causal_mask_in_sdpa_equals_is_causal_and_loop():
    q, k, v = _qkv()
    ours = F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(5))
    assert_close(ours, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    assert_close(ours, _loop_attention(q, k, v, lambda b, h, i, j: j <= i))


def test_causal_mask_device_and_dtype():
    m = causal_mask(3, device="cpu")
    assert m.dtype == torch.bool and m.device.type == "cpu" and m.shape == (3, 3)


# ----- padding --------------------------------------------------------------------------------------

def test_padding_mask_shape_values_and_sdpa_against_loop():
    ids = torch.tensor([[5, 6, 7, 0, 0], [3, 4, 1, 2, 9]])
    m = padding_mask(ids, pad_id=0)
    assert m.shape == (2, 1, 1, 5) and m.dtype == torch.bool
    assert m[0, 0, 0].tolist() == [True, True, True, False, False] and bool(m[1].all())
    q, k, v = _qkv()
    ours = F.scaled_dot_product_attention(q, k, v, attn_mask=m)
    assert_close(ours, _loop_attention(q, k, v, lambda b, h, i, j: int(ids[b, j]) != 0))


def test_padding_mask_matches_nn_multihead_attention_key_padding_mask():
    torch.manual_seed(0)
    ids = torch.tensor([[5, 6, 7, 0], [3, 4, 0, 0]])
    m = padding_mask(ids, pad_id=0)
    assert_close(to_key_padding_mask(m), ids == 0)  # torch's convention: True = ignore
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64).eval()
    x = torch.randn(2, 4, 8, dtype=torch.float64)
    with_kpm, _ = mha(x, x, x, key_padding_mask=to_key_padding_mask(m))
    # the same through the float attn_mask form, broadcast to (B * H, T, T) as torch expects
    attn = to_additive(m, torch.float64).expand(2, 2, 4, 4).reshape(4, 4, 4)
    with_float, _ = mha(x, x, x, attn_mask=attn)
    assert_close(with_kpm, with_float)


def test_to_additive_gives_the_same_attention_as_the_bool_mask():
    q, k, v = _qkv()
    m = combine_masks(padding_mask(torch.tensor([[1, 2, 3, 0, 0], [1, 2, 3, 4, 0]]), 0), causal_mask(5))
    add = to_additive(m, torch.float64)
    assert add.dtype == torch.float64 and set(add.unique().tolist()) == {0.0, float("-inf")}
    assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=add),
                 F.scaled_dot_product_attention(q, k, v, attn_mask=m))


# ----- window ---------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(T=st.integers(1, 12), window=st.integers(0, 14), causal=st.booleans())
def test_window_mask_against_loop(T, window, causal):
    m = window_mask(T, window, causal=causal)
    for i in range(T):
        for j in range(T):
            allowed = abs(i - j) <= window and (j <= i or not causal)
            assert bool(m[i, j]) == allowed


def test_window_mask_limits():
    assert_close(window_mask(6, 0), torch.eye(6, dtype=torch.bool))
    assert bool(window_mask(6, 5).all())
    assert_close(window_mask(6, 5, causal=True), causal_mask(6))
    assert_close(window_mask(6, 2, causal=True), combine_masks(window_mask(6, 2), causal_mask(6)))


def test_window_mask_in_sdpa_against_loop():
    q, k, v = _qkv(T=6)
    ours = F.scaled_dot_product_attention(q, k, v, attn_mask=window_mask(6, 1))
    assert_close(ours, _loop_attention(q, k, v, lambda b, h, i, j: abs(i - j) <= 1))


# ----- combine --------------------------------------------------------------------------------------

def test_combine_masks_broadcasts_and_ands():
    ids = torch.tensor([[1, 2, 0], [1, 0, 0]])
    pad, causal = padding_mask(ids, 0), causal_mask(3)
    both = combine_masks(pad, causal)
    assert both.shape == (2, 1, 3, 3)
    for b in range(2):
        for i in range(3):
            for j in range(3):
                assert bool(both[b, 0, i, j]) == (j <= i and int(ids[b, j]) != 0)
    assert combine_masks(None, causal, None).tolist() == causal.tolist()
    assert combine_masks(None, None) is None


def test_combine_masks_single_mask_is_a_copy():
    m = causal_mask(3)
    out = combine_masks(m)
    out[0, 1] = True
    assert not bool(m[0, 1])


def test_combine_masks_bad_input():
    with pytest.raises(ValueError, match=r"\(2, 1, 1, 4\).*\(3, 3\).*broadcast"):
        combine_masks(padding_mask(torch.ones(2, 4, dtype=torch.long), 0), causal_mask(3))
    with pytest.raises(TypeError, match="mask 1 must be a boolean tensor.*float32"):
        combine_masks(causal_mask(3), torch.zeros(3, 3))
    with pytest.raises(TypeError, match="list"):
        combine_masks([[True]])
    with pytest.raises(ValueError, match="at least one"):
        combine_masks()


# ----- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("T", [0, -1, 2.0, True, "3"])
def test_causal_mask_bad_T(T):
    with pytest.raises(ValueError, match="T must be a positive int"):
        causal_mask(T)


def test_window_mask_bad_input():
    with pytest.raises(ValueError, match="window must be a non-negative int, got -1"):
        window_mask(4, -1)
    with pytest.raises(ValueError, match="T must be a positive int, got 0"):
        window_mask(0, 1)


def test_padding_mask_bad_input():
    with pytest.raises(TypeError, match="ids must be an integer tensor of token ids .*got list"):
        padding_mask([[1, 2]], 0)
    with pytest.raises(TypeError, match="integer tensor of token ids .*torch.float32"):
        padding_mask(torch.zeros(1, 3), 0)
    with pytest.raises(ValueError, match=r"shape \(B, T\) with T >= 1, got \(3,\)"):
        padding_mask(torch.tensor([1, 2, 0]), 0)
    with pytest.raises(TypeError, match="pad_id must be an int"):
        padding_mask(torch.tensor([[1, 2, 0]]), "0")


def test_to_additive_and_key_padding_bad_input():
    with pytest.raises(TypeError, match="boolean tensor.*float32"):
        to_additive(torch.zeros(2, 2))
    with pytest.raises(TypeError, match="floating-point dtype"):
        to_additive(causal_mask(2), torch.long)
    with pytest.raises(ValueError, match=r"\(B, 1, 1, T\), got torch.bool \(3, 3\)"):
        to_key_padding_mask(causal_mask(3))


def test_check_mask():
    check_mask(causal_mask(4), 2, 3, 4, 4)
    check_mask(padding_mask(torch.ones(2, 4, dtype=torch.long), 0), 2, 3, 4, 4)
    check_mask(torch.ones(2, 3, 4, 4, dtype=torch.bool), 2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"shape \(4, 4\) does not broadcast.*\(2, 3, 4, 5\)"):
        check_mask(causal_mask(4), 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"shape \(3, 1, 1, 4\) does not broadcast"):
        check_mask(torch.ones(3, 1, 1, 4, dtype=torch.bool), 2, 3, 4, 4)
    with pytest.raises(ValueError, match="does not broadcast"):
        check_mask(torch.ones(1, 1, 1, 4, 4, dtype=torch.bool), 2, 3, 4, 4)
    with pytest.raises(TypeError, match="attn_mask must be a boolean.*got dtype torch.float32"):
        check_mask(torch.zeros(4, 4), 2, 3, 4, 4, name="attn_mask")
    with pytest.raises(TypeError, match="got ndarray"):
        import numpy as np
        check_mask(np.ones((4, 4), bool), 2, 3, 4, 4)


# ----- the mask builder and the figures of 06_masking -------------------------------------------------

def test_build_mask_matches_the_mask_functions():
    from course_lib.widgets.masking import KINDS, build_mask

    T = 6
    for kind in KINDS:
        for window in (0, 2):
            for n_pad in (0, 2):
                ids, mask = build_mask(kind, T, window, n_pad)
                assert ids.tolist()[0][T - n_pad:] == [0] * n_pad and 0 not in ids[0, :T - n_pad]
                pad = padding_mask(ids, 0) if "padding" in kind else None
                causal = causal_mask(T) if "causal" in kind and "window" not in kind else None
                win = window_mask(T, window, causal="causal" in kind) if "window" in kind else None
                expected = combine_masks(pad, causal, win)
                if kind == "none":
                    assert mask is None
                else:
                    assert torch.equal(mask.expand(1, 1, T, T), expected.expand(1, 1, T, T)), kind


def test_build_mask_bad_input():
    from course_lib.widgets.masking import build_mask

    with pytest.raises(ValueError, match="kind must be one of"):
        build_mask("diagonal", 4)
    with pytest.raises(ValueError, match=r"n_pad must be in \[0, 4\).*got 4"):
        build_mask("padding", 4, n_pad=4)


def test_mask_builder_redraws_every_kind():
    import matplotlib.pyplot as plt

    from course_lib.widgets.masking import KINDS, mask_builder

    box = mask_builder(T=5)
    for kind in KINDS:
        box.controls["kind"].value = kind  # each change redraws without error
    box.controls["padding"].value = 4
    box.controls["window"].value = 0
    plt.close("all")


def test_mask_figures():
    import matplotlib.pyplot as plt

    from course_lib.plots.masking import mask_and_weights, mask_gallery, mask_panel

    axes = mask_gallery({"causal": causal_mask(4), "window": window_mask(4, 1)}, tokens=list("abcd"))
    assert [ax.get_title() for ax in axes] == ["causal", "window"]
    assert (axes[0].images[0].get_array() == causal_mask(4).numpy()).all()
    _, right = mask_and_weights(causal_mask(3), torch.eye(3), list("abc"))
    assert len(right.texts) == 9  # annotated weights
    with pytest.raises(ValueError, match=r"2-D \(T_q, T_k\) mask, got shape \(1, 1, 3, 3\)"):
        mask_panel(causal_mask(3)[None, None])
    with pytest.raises(ValueError, match="at least one mask"):
        mask_gallery({})
    plt.close("all")


# ----------------------------------------------------------------------------- cached (T_q < T_k) masks

@pytest.mark.parametrize("T_q,T_k", [(1, 1), (1, 5), (3, 5), (5, 5), (2, 9)])
def test_causal_mask_with_a_cache_is_bottom_right_aligned(T_q, T_k):
    """Query i is the token at position T_k - T_q + i: it sees every key up to and including itself."""
    expected = torch.tensor([[j <= T_k - T_q + i for j in range(T_k)] for i in range(T_q)])
    assert torch.equal(causal_mask(T_q, T_k), expected)
    assert causal_mask(1, T_k).all()  # one new token sees the whole cache


@pytest.mark.parametrize("T_q,T_k,window,causal", [(4, 4, 1, False), (4, 4, 2, True), (2, 7, 2, True),
                                                   (3, 8, 1, False), (6, 6, 0, False), (5, 5, 9, True)])
def test_window_mask_matches_a_loop(T_q, T_k, window, causal):
    shift = T_k - T_q
    expected = torch.tensor([[abs(i + shift - j) <= window and (not causal or j <= i + shift)
                              for j in range(T_k)] for i in range(T_q)])
    assert torch.equal(window_mask(T_q, window, causal=causal, T_k=T_k), expected)


def test_causal_mask_refuses_fewer_keys_than_queries():
    with pytest.raises(ValueError, match="T_k must be an int >= 4"):
        causal_mask(4, 3)


def test_attention_mask_to_padding_refuses_an_additive_mask():
    from course_lib.masking import attention_mask_to_padding
    assert torch.equal(attention_mask_to_padding(torch.tensor([[1, 1, 0]])), torch.tensor([[[[True, True, False]]]]))
    additive = torch.tensor([[0.0, 0.0, float("-inf")]])
    with pytest.raises(ValueError, match="additive"):
        attention_mask_to_padding(additive)


def test_window_mask_peak_memory_is_about_the_mask_itself():
    """Built in place from one boolean matrix: no (T, T) int64 intermediate (which would cost 16x the mask)."""
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "mask_memory.py"
    spec = importlib.util.spec_from_file_location("mask_memory", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    peak, size = bench.measure(4096, 64, naive=False)
    assert peak < 2 * size, f"window_mask(4096) peaked at {peak / size:.1f}x the mask's {size} bytes"

"""course_lib.multihead against torch.nn.MultiheadAttention (float64) and a loop-over-heads reference."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib.masking import causal_mask, combine_masks, padding_mask, to_key_padding_mask, window_mask
from course_lib.multihead import KVCache, MultiHeadAttention, merge_heads, split_heads

F64 = torch.float64


def _pair(d_model, n_heads, bias=True, seed=0):
    torch.manual_seed(seed)
    ref = torch.nn.MultiheadAttention(d_model, n_heads, bias=bias, batch_first=True, dtype=F64).eval()
    if bias:  # torch starts its biases at zero: make them non-zero so copying them is tested too
        with torch.no_grad():
            ref.in_proj_bias.normal_()
            ref.out_proj.bias.normal_()
    return ref, MultiHeadAttention.from_torch(ref).eval()


def _ids(B, T, seed=0):
    """Token ids with a different amount of right padding (id 0) per row; each row keeps >= 1 real token."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 50, (B, T), generator=g)
    for b in range(B):
        ids[b, T - (b % T):] = 0
    return ids


CASES = [  # (B, T_q, T_k, d_model, n_heads)
    (1, 1, 1, 4, 1),
    (2, 5, 5, 8, 2),
    (3, 7, 7, 12, 4),
    (2, 4, 6, 16, 8),
]


@pytest.mark.parametrize("B, T_q, T_k, d_model, n_heads", CASES)
@pytest.mark.parametrize("masking", ["none", "padding", "causal", "padding+causal"])
@pytest.mark.parametrize("cross", [False, True])
def test_matches_torch_outputs_and_weights(B, T_q, T_k, d_model, n_heads, masking, cross):
    if not cross:
        T_k = T_q
    if cross and "causal" in masking and T_q != T_k:
        pytest.skip("a causal mask needs T_q == T_k")
    ref, ours = _pair(d_model, n_heads, bias=(n_heads % 2 == 0))
    x = torch.randn(B, T_q, d_model, dtype=F64)
    ctx = torch.randn(B, T_k, d_model, dtype=F64) if cross else None
    kv = ctx if cross else x
    pad = padding_mask(_ids(B, T_k), 0) if "padding" in masking else None
    causal = causal_mask(T_q) if "causal" in masking else None
    mask = combine_masks(pad, causal) if masking != "none" else None
    torch_kwargs = dict(key_padding_mask=None if pad is None else to_key_padding_mask(pad),
                        attn_mask=None if causal is None else ~causal)  # torch: True = blocked

    ref_out, ref_w = ref(x, kv, kv, need_weights=True, average_attn_weights=False, **torch_kwargs)
    _, ref_avg = ref(x, kv, kv, need_weights=True, average_attn_weights=True, **torch_kwargs)
    out, w = ours(x, context=ctx, mask=mask, need_weights=True)
    assert w.shape == (B, n_heads, T_q, T_k)
    assert_close(out, ref_out)
    assert_close(w, ref_w)
    assert_close(w.mean(dim=1), ref_avg)

    fast, none = ours(x, context=ctx, mask=mask)  # the fused path gives the same output
    assert none is None
    assert_close(fast, ref_out)


def test_is_causal_flag_equals_explicit_causal_mask():
    _, ours = _pair(16, 4)
    x = torch.randn(3, 6, 16, dtype=F64)
    pad = padding_mask(_ids(3, 6), 0)
    explicit, w = ours(x, mask=combine_masks(pad, causal_mask(6)), need_weights=True)
    for need in (False, True):
        flagged, _ = ours(x, mask=pad, is_causal=True, need_weights=need)
        assert_close(flagged, explicit)
        assert_close(ours(x, is_causal=True, need_weights=need)[0], ours(x, mask=causal_mask(6))[0])
    assert bool((w.masked_select(~causal_mask(6)) == 0).all())


def test_against_a_loop_over_heads():
    """Each head by hand with its own slices of the projection matrices, then concatenate and project."""
    torch.manual_seed(1)
    d_model, H = 12, 3
    mha = MultiHeadAttention(d_model, H).double().eval()
    x = torch.randn(2, 5, d_model, dtype=F64)
    W, b = mha.qkv.weight, mha.qkv.bias
    d_head = d_model // H
    heads = []
    for h in range(H):
        rows = slice(h * d_head, (h + 1) * d_head)
        q = x @ W[:d_model][rows].T + b[:d_model][rows]
        k = x @ W[d_model:2 * d_model][rows].T + b[d_model:2 * d_model][rows]
        v = x @ W[2 * d_model:][rows].T + b[2 * d_model:][rows]
        weights = torch.softmax(q @ k.transpose(-2, -1) / d_head ** 0.5, dim=-1)
        heads.append(weights @ v)
    expected = mha.out(torch.cat(heads, dim=-1))
    assert_close(mha(x)[0], expected)
    assert_close(mha(x, need_weights=True)[0], expected)


def test_split_and_merge_heads():
    x = torch.arange(2 * 3 * 8.0).view(2, 3, 8)
    s = split_heads(x, 4)
    assert s.shape == (2, 4, 3, 2)
    assert_close(s[1, 2, 0], x[1, 0, 4:6])  # head 2 of token 0 = features 4..5
    assert_close(merge_heads(s), x)
    with pytest.raises(ValueError, match=r"\(8\) must be divisible by n_heads=3"):
        split_heads(x, 3)


def test_fully_masked_rows_give_zeros_on_both_paths():
    _, ours = _pair(8, 2, bias=False)
    x = torch.randn(2, 4, 8, dtype=F64)
    mask = window_mask(4, 0) & torch.tensor([True, True, False, False])  # queries 2 and 3 see nothing
    for need in (False, True):
        out, _ = ours(x, mask=mask, need_weights=need)
        assert not torch.isnan(out).any()
        assert_close(out[:, 2:], ours.out.bias.expand(2, 2, 8) if ours.out.bias is not None
                     else torch.zeros(2, 2, 8, dtype=F64))


def test_dropout_only_in_training():
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4, dropout=0.5)
    x = torch.randn(2, 10, 16)
    mha.eval()
    a, b = mha(x)[0], mha(x)[0]
    assert_close(a, b)
    assert_close(mha(x, need_weights=True)[0], a, rtol=1e-5, atol=1e-5)
    mha.train()
    assert not torch.allclose(mha(x)[0], a)
    assert not torch.allclose(mha(x, need_weights=True)[0], a)


def test_gradients_match_torch():
    ref, ours = _pair(8, 2)
    x = torch.randn(2, 5, 8, dtype=F64, requires_grad=True)
    x2 = x.detach().clone().requires_grad_()
    ref(x, x, x, need_weights=False)[0].square().sum().backward()
    ours(x2)[0].square().sum().backward()
    assert_close(x2.grad, x.grad)
    assert_close(ours.qkv.weight.grad, ref.in_proj_weight.grad)
    assert_close(ours.out.weight.grad, ref.out_proj.weight.grad)


def test_init_matches_torch_statistics():
    torch.manual_seed(0)
    mha = MultiHeadAttention(64, 8)
    bound = (6 / (64 + 3 * 64)) ** 0.5  # Xavier-uniform on the stacked (3 * d_model, d_model) matrix
    assert mha.qkv.weight.abs().max() <= bound and mha.qkv.weight.abs().max() > 0.9 * bound
    assert bool((mha.qkv.bias == 0).all())
    assert sum(p.numel() for p in mha.parameters()) == sum(
        p.numel() for p in torch.nn.MultiheadAttention(64, 8).parameters())


# ----- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("d_model, n_heads, match", [
    (10, 3, "d_model must be divisible by n_heads.*d_model=10, n_heads=3"),
    (0, 1, "d_model must be a positive int, got 0"),
    (8, 0, "n_heads must be a positive int, got 0"),
    (8.0, 2, "d_model must be a positive int, got 8.0"),
])
def test_bad_construction(d_model, n_heads, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(d_model, n_heads)


def test_bad_dropout():
    with pytest.raises(ValueError, match="dropout must be a number in"):
        MultiHeadAttention(8, 2, dropout=1.0)


def test_bad_inputs():
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, d_model=8\), got \(5, 8\)"):
        mha(torch.randn(5, 8))
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, d_model=8\), got \(2, 5, 6\)"):
        mha(torch.randn(2, 5, 6))
    with pytest.raises(TypeError, match="x must be a torch.Tensor.*got list"):
        mha([[1.0]])
    with pytest.raises(ValueError, match=r"context must have shape \(B, T_k, d_model=8\), got \(2, 3, 4\)"):
        mha(torch.randn(2, 5, 8), context=torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"batch size of x \(2\), got \(3, 4, 8\)"):
        mha(torch.randn(2, 5, 8), context=torch.randn(3, 4, 8))
    with pytest.raises(ValueError, match=r"is_causal and rotary positions are for self-attention only \(got is_causal=True"):
        mha(torch.randn(2, 5, 8), context=torch.randn(2, 5, 8), is_causal=True)


def test_bad_masks():
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(2, 5, 8)
    with pytest.raises(ValueError, match=r"shape \(4, 4\) does not broadcast.*\(B, H, T_q, T_k\) = \(2, 2, 5, 5\)"):
        mha(x, mask=causal_mask(4))
    with pytest.raises(ValueError, match=r"shape \(5, 5\) does not broadcast.*\(2, 2, 5, 3\)"):
        mha(x, context=torch.randn(2, 3, 8), mask=causal_mask(5))
    with pytest.raises(TypeError, match="got dtype torch.float32"):
        mha(x, mask=torch.zeros(5, 5))
    with pytest.raises(TypeError, match="got dtype torch.int64"):
        mha(x, mask=torch.ones(5, 5, dtype=torch.long))


def test_from_torch_bad_input():
    with pytest.raises(TypeError, match="nn.MultiheadAttention, got Linear"):
        MultiHeadAttention.from_torch(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="kdim"):
        MultiHeadAttention.from_torch(torch.nn.MultiheadAttention(8, 2, kdim=4))


def test_fast_path_runs_fused_kernel_without_weights(monkeypatch):
    """need_weights=False must use torch's fused function, need_weights=True must not."""
    calls = []
    real = F.scaled_dot_product_attention
    monkeypatch.setattr(F, "scaled_dot_product_attention", lambda *a, **k: calls.append(1) or real(*a, **k))
    mha = MultiHeadAttention(8, 2).eval()
    x = torch.randn(1, 3, 8)
    mha(x, need_weights=True)
    assert calls == []
    mha(x)
    assert calls == [1]


# ----- the figures and the explorer of 05_multi_head_attention ---------------------------------------

def _fake_attend(sentence):
    words = sentence.split()
    if not words:
        raise ValueError("type at least one word")
    T = len(words)
    g = torch.Generator().manual_seed(T)
    return [torch.softmax(torch.randn(1, 3, T, T, generator=g), -1) for _ in range(2)], words


def test_head_figures():
    import matplotlib.pyplot as plt

    from course_lib.plots.multihead import attention_grid, head_heatmaps

    attentions, words = _fake_attend("a b c d")
    axes = attention_grid(attentions, words)
    assert axes.shape == (2, 3)
    assert (axes[1][2].images[0].get_array() == attentions[1][0, 2].numpy()).all()
    row = head_heatmaps(attentions[0], words, batch_index=0)
    assert [ax.get_title() for ax in row] == ["head 1", "head 2", "head 3"]
    cross = attention_grid([torch.rand(1, 2, 3, 5)], tokens=list("abc"), keys=list("vwxyz"))
    assert [t.get_text() for t in cross[-1][0].get_xticklabels()] == list("vwxyz")
    with pytest.raises(ValueError, match=r"batch_index must be in \[0, 1\), got 1"):
        head_heatmaps(attentions[0], words, batch_index=1)
    with pytest.raises(ValueError, match=r"\(B, H, T_q, T_k\) or \(H, T_q, T_k\), got \(4, 4\)"):
        head_heatmaps(torch.rand(4, 4))
    with pytest.raises(ValueError, match="non-empty list"):
        attention_grid([])
    plt.close("all")


def test_head_explorer_redraws_and_reports_bad_sentences(capsys):
    import matplotlib.pyplot as plt

    from course_lib.widgets.multihead import head_explorer

    box = head_explorer(_fake_attend, "the cat sat")
    assert box.controls["layer"].options == (("1", 0), ("2", 1))  # shown from 1, values 0-based
    assert box.controls["head"].options == (("all", "all"), ("1", 0), ("2", 1), ("3", 2))
    box.controls["head"].value = 1
    box.controls["layer"].value = 1
    box.controls["sentence"].value = "a much longer sentence than before"
    box.controls["sentence"].value = ""
    assert "cannot show that sentence: type at least one word" in "".join(
        o.get("text", "") for o in box.output.outputs) + capsys.readouterr().out
    plt.close("all")


# ----------------------------------------------------------------------------- cache, grouped keys, window, rope

def _loop_attention(mha, x, allowed):
    """A by-hand reference: every head, every query, a loop over the keys it may see (float64)."""
    q, k, v = mha.project(x)
    k, v = (t.repeat_interleave(mha.n_heads // mha.n_kv_heads, dim=1) for t in (k, v))
    B, H, T, d = q.shape
    out = torch.zeros_like(q)
    for b in range(B):
        for h in range(H):
            for i in range(T):
                keys = [j for j in range(T) if allowed(i, j)]
                s = torch.stack([q[b, h, i] @ k[b, h, j] for j in keys]) / d ** 0.5
                out[b, h, i] = (s.softmax(0)[:, None] * v[b, h, keys]).sum(0)
    return mha.out(out.transpose(1, 2).reshape(B, T, H * d))


@pytest.mark.parametrize("n_kv_heads", [4, 2, 1])
@pytest.mark.parametrize("window", [None, 3])
def test_grouped_and_windowed_attention_match_a_loop(n_kv_heads, window):
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4, n_kv_heads=n_kv_heads, window=window).double()
    x = torch.randn(2, 7, 16, dtype=torch.float64)
    allowed = (lambda i, j: j <= i) if window is None else (lambda i, j: i - window < j <= i)
    want = _loop_attention(mha, x, allowed)
    assert_close(mha(x, is_causal=True)[0], want)
    assert_close(mha(x, is_causal=True, need_weights=True)[0], want)
    assert mha.qkv.weight.shape == (16 + 2 * n_kv_heads * 4, 16)


def test_grouped_attention_with_all_heads_is_standard_attention():
    torch.manual_seed(1)
    ours, plain = MultiHeadAttention(16, 4, n_kv_heads=4), MultiHeadAttention(16, 4)
    plain.load_state_dict(ours.state_dict())
    x = torch.randn(2, 5, 16)
    assert_close(ours(x, is_causal=True)[0], plain(x, is_causal=True)[0])


@pytest.mark.parametrize("rope", [None, 10000.0])
@pytest.mark.parametrize("n_kv_heads", [4, 2])
def test_a_cache_fed_token_by_token_equals_one_causal_pass(rope, n_kv_heads):
    torch.manual_seed(2)
    mha = MultiHeadAttention(16, 4, n_kv_heads=n_kv_heads, rope_base=rope).double().eval()
    x = torch.randn(2, 9, 16, dtype=torch.float64)
    full, _ = mha(x, is_causal=True)
    cache = KVCache()
    first, _ = mha(x[:, :4], is_causal=True, cache=cache)       # a prompt of 4 tokens at once
    steps = [mha(x[:, t:t + 1], is_causal=True, cache=cache)[0] for t in range(4, 9)]  # then one at a time
    assert_close(torch.cat([first, *steps], dim=1), full)
    assert len(cache) == 9 and cache.k.shape == (2, n_kv_heads, 9, 4)
    two = KVCache()  # several new queries after a cache: the causal mask must be aligned bottom-right
    mha(x[:, :5], is_causal=True, cache=two)
    assert_close(mha(x[:, 5:], is_causal=True, cache=two)[0], full[:, 5:])
    three = KVCache()  # the readable path (need_weights) with a cache too
    mha(x[:, :5], is_causal=True, cache=three)
    assert_close(mha(x[:, 5:], is_causal=True, cache=three, need_weights=True)[0], full[:, 5:])


def test_rotary_scores_depend_on_relative_position_only():
    torch.manual_seed(3)
    mha = MultiHeadAttention(8, 2, rope_base=10000.0).double().eval()
    x = torch.randn(1, 6, 8, dtype=torch.float64)
    _, w0 = mha(x, is_causal=True, need_weights=True)
    _, w7 = mha(x, is_causal=True, need_weights=True, positions=torch.arange(7, 13))  # shifted by 7
    assert_close(w0, w7)
    with pytest.raises(ValueError, match="rotary positions are for self-attention only"):
        mha(x, context=x)

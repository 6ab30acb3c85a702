"""course_lib.blocks against PyTorch in float64: nn.LayerNorm, nn.TransformerEncoderLayer / TransformerEncoder
and nn.TransformerDecoderLayer with copied weights, plus the depth experiment and bad input."""

import math

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from course_lib.blocks import (
    DecoderBlock,
    EncoderBlock,
    FeedForward,
    LayerNorm,
    depth_experiment,
    load_from_torch,
    stack,
    token_similarity,
)
from course_lib.masking import causal_mask, padding_mask
from course_lib.plots.blocks import plot_attention_layers, plot_depth_experiment, plot_feature_distributions
from course_lib.widgets.blocks import depth_explorer, layer_norm_explorer

D, H, F_FF = 16, 4, 40
PAD = 0


def ids_with_padding(lengths, T, seed=0):
    """(B, T) token ids, row b real for its first lengths[b] positions then PAD."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 50, (len(lengths), T), generator=g)
    for b, n in enumerate(lengths):
        ids[b, n:] = PAD
    return ids


def randomise(module: nn.Module, seed: int = 0) -> nn.Module:
    """Random values everywhere (LayerNorm gains and biases included), so nothing agrees by accident."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            gain = "norm" in name and name.endswith("weight")  # LayerNorm gains stay near 1
            p.copy_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype) + (1.0 if gain else 0.0))
    return module


# ----------------------------------------------------------------------------- LayerNorm

@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3), d=st.integers(1, 12),
       eps=st.sampled_from([1e-5, 1e-3, 0.1]), seed=st.integers(0, 2**16))
def test_layer_norm_matches_torch_values_and_gradients(shape, d, eps, seed):
    g = torch.Generator().manual_seed(seed)
    x = (5 * torch.randn(*shape, d, generator=g, dtype=torch.float64) + 3).requires_grad_()
    ours, ref = LayerNorm(d, eps=eps).double(), nn.LayerNorm(d, eps=eps).double()
    with torch.no_grad():
        ours.weight.copy_(torch.randn(d, generator=g)), ours.bias.copy_(torch.randn(d, generator=g))
    ref.load_state_dict(ours.state_dict())  # same names: weight (gain) and bias
    x_ref = x.detach().clone().requires_grad_()
    out, want = ours(x), ref(x_ref)
    assert_close(out, want)
    upstream = torch.randn(out.shape, generator=g, dtype=torch.float64)
    (out * upstream).sum().backward()
    (want * upstream).sum().backward()
    assert_close(x.grad, x_ref.grad)
    assert_close(ours.weight.grad, ref.weight.grad)
    assert_close(ours.bias.grad, ref.bias.grad)


def test_layer_norm_gives_mean_zero_std_one_per_vector():
    x = 10 * torch.randn(3, 5, 32, dtype=torch.float64) - 4
    y = LayerNorm(32).double()(x)
    assert_close(y.mean(-1), torch.zeros(3, 5, dtype=torch.float64), atol=1e-12, rtol=0)
    assert_close(y.std(-1, unbiased=False), torch.ones(3, 5, dtype=torch.float64), atol=1e-5, rtol=0)


def test_layer_norm_of_a_constant_vector_is_its_bias():
    ln = LayerNorm(4)
    with torch.no_grad():
        ln.bias.copy_(torch.tensor([1.0, -2.0, 3.0, 0.5]))
    assert_close(ln(torch.full((2, 4), 7.0)), ln.bias.detach().expand(2, 4))


# ----------------------------------------------------------------------------- FeedForward

@pytest.mark.parametrize("activation, fn", [("relu", F.relu), ("gelu", F.gelu)])
def test_feed_forward_is_two_linear_layers_applied_to_each_position(activation, fn):
    ffn = FeedForward(D, F_FF, activation=activation).double()
    x = torch.randn(2, 5, D, dtype=torch.float64)
    want = F.linear(fn(F.linear(x, ffn.linear1.weight, ffn.linear1.bias)), ffn.linear2.weight, ffn.linear2.bias)
    assert_close(ffn(x), want)
    one_by_one = torch.stack([ffn(x[:, t]) for t in range(5)], dim=1)  # position-wise: nothing mixes tokens
    assert_close(ffn(x), one_by_one)
    assert sum(p.numel() for p in ffn.parameters()) == 2 * D * F_FF + F_FF + D


# ----------------------------------------------------------------------------- EncoderBlock vs torch

def torch_encoder_layer(norm_first, activation, seed=0):
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(D, H, F_FF, dropout=0.0, activation=activation, batch_first=True,
                                       norm_first=norm_first, dtype=torch.float64)
    randomise(layer, seed)
    return layer.eval()


def our_encoder_block(norm_first, activation, layer):
    block = EncoderBlock(D, H, F_FF, activation=activation, norm_first=norm_first).double().eval()
    return load_from_torch(block, layer)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("grad", [True, False], ids=["autograd", "no_grad-fastpath"])
def test_encoder_block_matches_torch_layer_with_padding(norm_first, activation, grad):
    layer = torch_encoder_layer(norm_first, activation)
    block = our_encoder_block(norm_first, activation, layer)
    ids = ids_with_padding([7, 4, 2], T=7)
    x = torch.randn(3, 7, D, dtype=torch.float64)
    mask = padding_mask(ids, PAD)                                 # (B, 1, 1, T), True = real token
    with torch.set_grad_enabled(grad):
        want = layer(x, src_key_padding_mask=~mask[:, 0, 0, :])  # torch: True = PAD, the opposite
        got, weights = block(x, mask=mask)
    assert weights is None
    real = mask[:, 0, 0, :]
    assert_close(got[real], want[real])
    if grad:  # the slow path computes padding rows too
        assert_close(got, want)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_matches_torch_without_mask_and_with_weights(norm_first):
    layer = torch_encoder_layer(norm_first, "relu", seed=1)
    block = our_encoder_block(norm_first, "relu", layer)
    x = torch.randn(2, 6, D, dtype=torch.float64)
    mask = padding_mask(ids_with_padding([6, 3], T=6), PAD)
    got, weights = block(x, mask=mask, need_weights=True)
    assert_close(got, layer(x, src_key_padding_mask=~mask[:, 0, 0, :]))
    assert_close(block(x)[0], layer(x))
    # the weights are those of torch's attention on the sublayer input, one map per head
    attn_in = layer.norm1(x) if norm_first else x
    _, want_w = layer.self_attn(attn_in, attn_in, attn_in, key_padding_mask=~mask[:, 0, 0, :],
                                need_weights=True, average_attn_weights=False)
    assert weights.shape == (2, H, 6, 6)
    assert_close(weights, want_w)
    assert (weights[1, :, :, 3:] == 0).all()


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True", "ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("nested", [True, False])
def test_stack_matches_torch_transformer_encoder(norm_first, nested):
    n_layers = 3
    torch.manual_seed(0)
    template = nn.TransformerEncoderLayer(D, H, F_FF, dropout=0.0, activation="gelu", batch_first=True,
                                          norm_first=norm_first, dtype=torch.float64)
    final = nn.LayerNorm(D, dtype=torch.float64) if norm_first else None  # pre-norm stacks need a last norm
    encoder = nn.TransformerEncoder(template, n_layers, norm=final, enable_nested_tensor=nested)
    randomise(encoder, 2).eval()
    blocks = stack(lambda: EncoderBlock(D, H, F_FF, activation="gelu", norm_first=norm_first).double(), n_layers)
    for ours, theirs in zip(blocks, encoder.layers):
        load_from_torch(ours, theirs)
    ours_final = LayerNorm(D).double()
    if norm_first:
        ours_final.load_state_dict(final.state_dict())
    mask = padding_mask(ids_with_padding([5, 2, 4], T=5), PAD)
    x = torch.randn(3, 5, D, dtype=torch.float64)
    with torch.no_grad():
        want = encoder(x, src_key_padding_mask=~mask[:, 0, 0, :])
        h = x
        for block in blocks.eval():
            h, _ = block(h, mask=mask)
        got = ours_final(h) if norm_first else h
    real = mask[:, 0, 0, :]
    assert_close(got[real], want[real])  # torch's nested-tensor path zeroes the padding rows
    if not nested:
        assert_close(got, want)


def test_encoder_block_with_dropout_is_random_in_training_only():
    block = EncoderBlock(D, H, F_FF, dropout=0.3)
    x = torch.randn(2, 5, D)
    assert not torch.equal(block(x)[0], block(x)[0])
    block.eval()
    assert torch.equal(block(x)[0], block(x)[0])


def test_encoder_block_parameter_count_formula():
    block = EncoderBlock(D, H, F_FF)
    attention = 4 * D * D + 4 * D            # W_q, W_k, W_v, W_o and their biases
    ffn = 2 * D * F_FF + F_FF + D
    norms = 2 * 2 * D                        # two LayerNorms, gain and bias each
    assert sum(p.numel() for p in block.parameters()) == attention + ffn + norms


# ----------------------------------------------------------------------------- DecoderBlock vs torch

@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_block_matches_torch_layer(norm_first, activation):
    torch.manual_seed(3)
    layer = nn.TransformerDecoderLayer(D, H, F_FF, dropout=0.0, activation=activation, batch_first=True,
                                       norm_first=norm_first, dtype=torch.float64)
    randomise(layer, 3).eval()
    block = DecoderBlock(D, H, F_FF, activation=activation, norm_first=norm_first).double().eval()
    load_from_torch(block, layer)
    T, S = 5, 6
    x, memory = torch.randn(2, T, D, dtype=torch.float64), torch.randn(2, S, D, dtype=torch.float64)
    src_mask = padding_mask(ids_with_padding([6, 3], T=S), PAD)  # (B, 1, 1, S)
    self_mask = causal_mask(T)                                    # (T, T)
    want = layer(x, memory, tgt_mask=~self_mask, memory_key_padding_mask=~src_mask[:, 0, 0, :])
    got, weights = block(x, self_mask, memory=memory, memory_mask=src_mask, need_weights=True)
    assert_close(got, want)
    self_w, cross_w = weights
    assert self_w.shape == (2, H, T, T) and cross_w.shape == (2, H, T, S)
    assert (self_w.triu(1) == 0).all(), "a decoder position attended to the future"
    assert (cross_w[1, :, :, 3:] == 0).all(), "cross-attention looked at source padding"
    assert block(x, self_mask, memory=memory, memory_mask=src_mask)[1] is None
    assert_close(block(x, memory=memory, memory_mask=src_mask)[0], want)  # causal by construction


def test_decoder_block_is_causal_by_construction():
    block = DecoderBlock(D, H, F_FF).double().eval()
    x, memory = torch.randn(2, 5, D, dtype=torch.float64), torch.randn(2, 3, D, dtype=torch.float64)
    tgt_pad = padding_mask(ids_with_padding([5, 3], T=5), PAD)   # (B, 1, 1, T)
    want, _ = block(x, causal_mask(5) & tgt_pad, memory=memory)
    assert_close(block(x, tgt_pad, memory=memory)[0], want)
    assert_close(block(x, memory=memory)[0], block(x, causal_mask(5), memory=memory)[0])
    _, (self_w, _) = block(x, memory=memory, need_weights=True)
    assert (self_w.triu(1) == 0).all()


def test_decoder_output_ignores_the_future_and_source_padding():
    block = DecoderBlock(D, H, F_FF, norm_first=True).double().eval()
    x, memory = torch.randn(1, 5, D, dtype=torch.float64), torch.randn(1, 4, D, dtype=torch.float64)
    src_mask = torch.tensor([[True, True, True, False]])[:, None, None, :]
    out, _ = block(x, memory=memory, memory_mask=src_mask)
    x2, memory2 = x.clone(), memory.clone()
    x2[:, 3:] += 5.0          # change the future of positions 0..2
    memory2[:, 3] -= 5.0      # change a padding position of the source
    out2, _ = block(x2, memory=memory2, memory_mask=src_mask)
    assert_close(out[:, :3], out2[:, :3])
    assert not torch.allclose(out[:, 3:], out2[:, 3:])


# ----------------------------------------------------------------------------- stack, depth experiment

def test_stack_builds_independent_blocks():
    blocks = stack(lambda: EncoderBlock(D, H, F_FF), 3)
    assert len(blocks) == 3 and isinstance(blocks, nn.ModuleList)
    w = [b.ffn.linear1.weight for b in blocks]
    assert w[0] is not w[1] and not torch.equal(w[0], w[1])


def test_token_similarity_matches_a_loop():
    x = torch.randn(2, 4, 8, dtype=torch.float64)
    sims = [F.cosine_similarity(x[b, i], x[b, j], dim=0).item()
            for b in range(2) for i in range(4) for j in range(4) if i != j]
    assert math.isclose(token_similarity(x), sum(sims) / len(sims), rel_tol=1e-9)
    assert math.isclose(token_similarity(torch.ones(1, 3, 5)), 1.0, rel_tol=1e-6)


def test_block_without_residual_is_the_sublayers_alone():
    block = EncoderBlock(D, H, F_FF, residual=False).double()
    x = torch.randn(2, 5, D, dtype=torch.float64)
    h = block.norm1(block.self_attn(x)[0])
    assert_close(block(x)[0], block.norm2(block.ffn(h)))


def test_depth_experiment_shows_what_residuals_keep():
    kw = {"n_layers": 8, "d_model": 16, "n_heads": 2, "seq_len": 8, "batch": 2}
    state = torch.random.get_rng_state()
    res, plain = depth_experiment(residual=True, **kw), depth_experiment(residual=False, **kw)
    assert torch.equal(torch.random.get_rng_state(), state), "depth_experiment changed the global random state"
    assert depth_experiment(residual=True, **kw) == res, "the same seed must give the same numbers"
    assert all(len(v) == 8 for v in (*res.values(), *plain.values()))
    assert plain["similarity"][-1] > 0.99 > res["similarity"][-1]     # tokens collapse without residuals
    assert plain["qk_grad_norm"][-1] < 1e-3 * res["qk_grad_norm"][-1]  # attention gets no learning signal


# ----------------------------------------------------------------------------- bad input

def test_bad_input_gives_clear_errors():
    block = EncoderBlock(D, H, F_FF)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, d_model=16\), got \(5, 16\)"):
        block(torch.randn(5, D))
    with pytest.raises(ValueError, match="d_model=16"):
        block(torch.randn(2, 5, D + 1))
    with pytest.raises(TypeError, match="torch.Tensor"):
        block([[1.0] * D])
    with pytest.raises(ValueError, match="activation"):
        FeedForward(D, F_FF, activation="swish")
    with pytest.raises(ValueError, match="activation"):
        EncoderBlock(D, H, F_FF, activation="tanh")
    with pytest.raises(ValueError, match="d_ff"):
        FeedForward(D, 0)
    with pytest.raises(ValueError, match="eps"):
        LayerNorm(D, eps=0)
    with pytest.raises(ValueError, match="d_model"):
        LayerNorm(0)
    with pytest.raises(ValueError, match="d_model=16"):
        LayerNorm(D)(torch.randn(3, 8))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., d_model=16\)"):
        LayerNorm(D)(torch.tensor(1.0))
    with pytest.raises(ValueError, match="n_layers"):
        stack(lambda: block, 0)
    with pytest.raises(ValueError, match="T >= 2"):
        token_similarity(torch.randn(2, 1, D))
    with pytest.raises(TypeError, match="got list"):
        token_similarity([[1.0]])


def test_decoder_bad_input():
    block = DecoderBlock(D, H, F_FF)
    x = torch.randn(2, 5, D)
    with pytest.raises(ValueError, match="memory .*d_model=16"):
        block(x, memory=torch.randn(2, 4, D // 2))
    with pytest.raises(ValueError, match=r"memory must have shape \(B, S, d_model=16\)"):
        block(x, memory=torch.randn(4, D))
    with pytest.raises(ValueError, match="batch size"):
        block(x, memory=torch.randn(3, 4, D))
    with pytest.raises(ValueError, match="memory .* is required"):
        block(x)
    with pytest.raises(ValueError, match="refused by one without"):
        EncoderBlock(D, H, F_FF)(x, memory=torch.randn(2, 4, D))


def test_load_from_torch_refuses_mismatches():
    layer = nn.TransformerEncoderLayer(D, H, F_FF, batch_first=True, norm_first=True)
    with pytest.raises(ValueError, match="norm_first"):
        load_from_torch(EncoderBlock(D, H, F_FF, norm_first=False), layer)
    with pytest.raises(ValueError, match="activation"):
        load_from_torch(EncoderBlock(D, H, F_FF, activation="gelu", norm_first=True), layer)
    with pytest.raises(ValueError, match="linear1 shape"):
        load_from_torch(EncoderBlock(D, H, 2 * F_FF, norm_first=True), layer)
    with pytest.raises(TypeError, match="TransformerDecoderLayer"):
        load_from_torch(DecoderBlock(D, H, F_FF, norm_first=True), layer)
    with pytest.raises(TypeError, match="EncoderBlock or DecoderBlock"):
        load_from_torch(nn.Linear(2, 2), layer)
    with pytest.raises(ValueError, match="residual=False"):
        load_from_torch(EncoderBlock(D, H, F_FF, norm_first=True, residual=False), layer)


# ----------------------------------------------------------------------------- figures and explorers

def test_figures_and_explorers_draw_and_reject_bad_input():
    try:
        _, w = EncoderBlock(8, 2, 16)(torch.randn(1, 3, 8), need_weights=True)
        assert plot_attention_layers([w], ["a", "b", "c"]).shape == (1, 2)
        with pytest.raises(ValueError, match="len\\(tokens\\) = 2"):
            plot_attention_layers([w], ["a", "b"])
        with pytest.raises(ValueError, match="same shape"):
            plot_feature_distributions(torch.randn(3, 4), torch.randn(3, 5))
        axes = plot_depth_experiment({"x": depth_experiment(n_layers=2, d_model=8, n_heads=2, seq_len=3, batch=1)})
        assert axes[0].get_yscale() == "log" and axes[2].get_yscale() == "linear"
        box = depth_explorer(d_model=8, seq_len=3, batch=1)
        box.controls["placement"].value = "pre-norm"         # a change redraws without error
        layer_norm_explorer()
        with pytest.raises(ValueError, match="N, d_model"):
            layer_norm_explorer(torch.randn(2, 3, 4))
    finally:
        plt.close("all")


def test_feature_distributions_show_every_value_by_default():
    from course_lib.plots.blocks import plot_feature_distributions

    before = torch.zeros(2, 8)
    before[1] = torch.linspace(-3.0, 25.0, 8)  # far outside the usual -12 to 12
    after = F.layer_norm(before, (8,))
    axes = plot_feature_distributions(before, after)
    low, high = axes[0].get_xlim()
    plt.close("all")
    assert low <= -12 and high >= 25

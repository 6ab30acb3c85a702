"""course_lib.modern against slow formulas, Hugging Face's Llama layers, real tensors and brute force."""

import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from course_lib.modern import (
    RMSNorm,
    SwiGLU,
    ffn_param_counts,
    kv_cache_bytes,
    norm_param_counts,
    receptive_field,
    swiglu_d_ff,
)

F64 = torch.float64


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def llama_config(d_model: int, d_ff: int, bias: bool = False):
    transformers = pytest.importorskip("transformers")
    return transformers.LlamaConfig(hidden_size=d_model, intermediate_size=d_ff, num_attention_heads=1,
                                    hidden_act="silu", mlp_bias=bias)


# ---------------------------------------------------------------- RMSNorm

def loop_rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """y[j] = x[j] / sqrt(mean(x^2) + eps) * weight[j], one vector and one entry at a time."""
    out = torch.empty_like(x)
    rows = x.reshape(-1, x.shape[-1])
    for r, row in enumerate(rows):
        rms = math.sqrt(sum(v * v for v in row.tolist()) / len(row) + eps)
        for j, v in enumerate(row.tolist()):
            out.view(-1, x.shape[-1])[r, j] = v / rms * weight[j].item()
    return out


def test_rms_norm_matches_the_formula():
    torch.manual_seed(0)
    norm = RMSNorm(6, eps=1e-5).double()
    with torch.no_grad():
        norm.weight.normal_()
    x = torch.randn(2, 3, 6, dtype=F64) * 5
    assert_close(norm(x), loop_rms_norm(x, norm.weight, 1e-5), rtol=1e-12, atol=1e-12)


def test_rms_norm_gives_rms_one_and_ignores_the_scale_of_x():
    x = torch.randn(4, 16, dtype=F64) + 3.0
    y = RMSNorm(16, eps=1e-12).double()(x)
    assert_close(y.pow(2).mean(-1), torch.ones(4, dtype=F64))
    assert_close(RMSNorm(16).double()(7.0 * x), RMSNorm(16).double()(x))
    assert y.mean(-1).abs().min() > 0.1  # unlike LayerNorm, the mean is not removed


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_rms_norm_equals_llama(dtype):
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    torch.manual_seed(1)
    ours, theirs = RMSNorm(32, eps=1e-6), llama.LlamaRMSNorm(32, eps=1e-6)
    with torch.no_grad():
        theirs.weight.normal_()
    ours.load_state_dict(theirs.state_dict())  # the same name: `weight`
    x = (torch.randn(3, 5, 32) * 4).to(dtype)
    out = ours(x)
    assert out.dtype == theirs(x).dtype
    assert_close(out, theirs(x), rtol=0, atol=0)  # the same float32 arithmetic, bit for bit
    # float64 stays float64 here; Llama computes it in float32, so they agree to float32 precision
    assert_close(RMSNorm(32).double()(x.double()), llama.LlamaRMSNorm(32)(x.double()).double(),
                 rtol=1.3e-6, atol=1e-5)


# ---------------------------------------------------------------- SwiGLU

def test_swiglu_matches_the_formula():
    torch.manual_seed(2)
    ffn = SwiGLU(8, 20, bias=True).double()
    x = torch.randn(2, 5, 8, dtype=F64)
    a = x @ ffn.gate.weight.T + ffn.gate.bias
    silu = a * (1 / (1 + torch.exp(-a)))
    expected = (silu * (x @ ffn.up.weight.T + ffn.up.bias)) @ ffn.down.weight.T + ffn.down.bias
    assert_close(ffn(x), expected)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_swiglu_equals_llama_mlp(bias, dtype):
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    torch.manual_seed(3)
    theirs = llama.LlamaMLP(llama_config(16, 44, bias)).to(dtype)
    ours = SwiGLU(16, 44, bias=bias).to(dtype)
    renamed = {k.replace("gate_proj", "gate").replace("up_proj", "up").replace("down_proj", "down"): v
               for k, v in theirs.state_dict().items()}
    ours.load_state_dict(renamed)  # strict: every name and shape must match
    x = torch.randn(2, 7, 16, dtype=dtype)
    assert_close(ours(x), theirs(x), rtol=0, atol=0)


# ---------------------------------------------------------------- parameter counts

@pytest.mark.parametrize("d_model, d_ff", [(1, 1), (8, 32), (64, 171), (96, 384)])
@pytest.mark.parametrize("bias", [True, False])
def test_param_counts_match_real_modules(d_model, d_ff, bias):
    norms = norm_param_counts(d_model)
    assert norms == {"layernorm": numel(nn.LayerNorm(d_model)), "rmsnorm": numel(RMSNorm(d_model))}
    counts = ffn_param_counts(d_model, d_ff, bias=bias)
    for activation in (nn.ReLU(), nn.GELU()):
        plain = nn.Sequential(nn.Linear(d_model, d_ff, bias=bias), activation, nn.Linear(d_ff, d_model, bias=bias))
        assert counts["ffn"] == numel(plain)
    assert counts["swiglu"] == numel(SwiGLU(d_model, d_ff, bias=bias))


def test_swiglu_d_ff_keeps_the_parameter_count():
    assert swiglu_d_ff(4 * 4096, multiple_of=256) == 11008  # Llama 1/2 7B
    assert swiglu_d_ff(4 * 5120, multiple_of=256) == 13824  # Llama 2 13B
    for d_model in (64, 384, 768):
        d_ff = 4 * d_model
        plain = ffn_param_counts(d_model, d_ff, bias=False)["ffn"]
        gated = ffn_param_counts(d_model, swiglu_d_ff(d_ff), bias=False)["swiglu"]
        assert abs(gated - plain) <= 3 * d_model  # within one hidden unit of the same size
        assert ffn_param_counts(d_model, d_ff, bias=False)["swiglu"] == 3 * plain // 2


# ---------------------------------------------------------------- KV cache

@pytest.mark.parametrize("dtype, bytes_per_value", [(torch.float16, 2), (torch.bfloat16, 2), (torch.float32, 4),
                                                    (torch.float64, 8), (torch.int8, 1)])
@pytest.mark.parametrize("n_layers, n_kv_heads, d_head, context, batch", [(1, 1, 1, 1, 1), (3, 2, 16, 40, 5),
                                                                          (4, 8, 64, 128, 2)])
def test_kv_cache_bytes_match_real_tensors(dtype, bytes_per_value, n_layers, n_kv_heads, d_head, context, batch):
    cache = [(torch.zeros(batch, n_kv_heads, context, d_head, dtype=dtype),  # k
              torch.zeros(batch, n_kv_heads, context, d_head, dtype=dtype))  # v
             for _ in range(n_layers)]
    real = sum(t.untyped_storage().nbytes() for pair in cache for t in pair)
    assert kv_cache_bytes(n_layers, n_kv_heads, d_head, context, batch, bytes_per_value) == real
    assert bytes_per_value == torch.empty(0, dtype=dtype).element_size()


def test_kv_cache_bytes_known_models():
    gib = 2 ** 30
    assert kv_cache_bytes(32, 32, 128, 4096, 1) == 2 * gib  # Llama 2 7B in float16: 0.5 MiB per token
    assert kv_cache_bytes(32, 8, 128, 4096, 1) == gib // 2  # grouped-query with 8 KV heads: 4x less
    four_bit = kv_cache_bytes(1, 1, 1, 3, 1, bytes_per_value=0.5)  # 6 values of half a byte
    assert four_bit == 3 and isinstance(four_bit, int)
    assert kv_cache_bytes(1, 1, 1, 1, 1, bytes_per_value=0.75) == 1.5


# ---------------------------------------------------------------- sliding-window receptive field

def window_mask(T: int, window: int) -> torch.Tensor:
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    return (j <= i) & (i - j < window)  # (T, T): itself and window - 1 keys before it


@pytest.mark.parametrize("window", [1, 2, 3, 5, 8])
def test_receptive_field_matches_a_boolean_matrix_power(window):
    T = 70  # longer than any field below (at most 1 + 8 * 7), so the cap i + 1 shows only early on
    W = window_mask(T, window).to(torch.int64)
    reach = torch.eye(T, dtype=torch.int64)  # depth 0: each token sees itself
    for n_layers in range(9):
        if n_layers:
            reach = ((reach @ W) > 0).to(torch.int64)  # one more layer: a path through any visible token
        seen = reach.sum(dim=-1)  # (T,) how many positions token i draws from
        expected = receptive_field(n_layers, window)
        for i in range(T):
            assert seen[i] == min(expected, i + 1), (n_layers, window, i)


def test_receptive_field_formula():
    assert receptive_field(0, 4096) == 1
    assert receptive_field(32, 4096) == 1 + 32 * 4095  # Mistral 7B: about 131k tokens
    assert receptive_field(10, 1) == 1  # a window of one: nothing but itself, at any depth


def test_clear_errors():
    with pytest.raises(ValueError, match="d_model must be a positive int"):
        RMSNorm(0)
    with pytest.raises(ValueError, match="eps"):
        RMSNorm(4, eps=0.0)
    with pytest.raises(ValueError, match=r"\(\.\.\., d_model=4\), got \(2, 5\)"):
        RMSNorm(4)(torch.randn(2, 5))
    with pytest.raises(ValueError, match="d_ff must be a positive int"):
        SwiGLU(4, 0)
    with pytest.raises(TypeError, match="torch.Tensor"):
        SwiGLU(4, 8)([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="context"):
        kv_cache_bytes(2, 2, 64, 0, 1)
    with pytest.raises(ValueError, match="bytes_per_value"):
        kv_cache_bytes(2, 2, 64, 8, 1, bytes_per_value=0)
    with pytest.raises(ValueError, match="n_layers must be .*got -1"):
        receptive_field(-1, 4)
    with pytest.raises(ValueError, match="window"):
        receptive_field(2, 0)
    with pytest.raises(ValueError, match="multiple_of"):
        swiglu_d_ff(100, multiple_of=0)

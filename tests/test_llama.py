"""A modern GPT (rope + rmsnorm + swiglu + grouped-query attention, no biases) equals Hugging Face's Llama."""

import pytest
import torch
from torch.testing import assert_close

from course_lib.gpt import generate

transformers = pytest.importorskip("transformers", reason="the Llama agreement tests need transformers")
from course_lib.interop.llama import load_llama, llama_config  # noqa: E402


def _random_llama(seed=0, **changes):
    torch.manual_seed(seed)
    kw = dict(vocab_size=97, hidden_size=48, intermediate_size=112, num_hidden_layers=3, num_attention_heads=6,
              num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, tie_word_embeddings=False)
    kw.update(changes)
    hf = transformers.LlamaForCausalLM(transformers.LlamaConfig(**kw)).eval()
    with torch.no_grad():  # non-trivial norms, so a wrongly placed norm weight shows
        for name, p in hf.named_parameters():
            if name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
    return hf


@pytest.mark.parametrize("changes", [{}, {"num_key_value_heads": 6}, {"num_key_value_heads": 1},
                                     {"tie_word_embeddings": True}, {"rope_theta": 500000.0}])
def test_logits_equal_llama(changes):
    hf = _random_llama(**changes)
    ours = load_llama(hf)
    assert ours.config.n_kv_heads == hf.config.num_key_value_heads and ours.config.positional == "rope"
    ids = torch.randint(0, 97, (2, 20))
    with torch.no_grad():
        want = hf(ids).logits
    assert_close(ours(ids).logits, want, atol=1e-4, rtol=1e-4)
    mask = torch.ones_like(ids)
    mask[0, :5] = 0  # left padding: real tokens only, positions counted from the first real one
    with torch.no_grad():
        want = hf(ids, attention_mask=mask).logits
    assert_close(ours(ids, mask).logits[0, 5:], want[0, 5:], atol=1e-4, rtol=1e-4)


def test_cached_generation_equals_llama_generate():
    hf = _random_llama(seed=3)
    ours = load_llama(hf)
    prompt = torch.randint(0, 97, (3, 7))
    with torch.no_grad():
        want = hf.generate(prompt, max_new_tokens=25, do_sample=False, pad_token_id=0)
    assert torch.equal(generate(ours, prompt, 25, top_k=1), want)
    assert torch.equal(generate(ours, prompt, 25, top_k=1, use_cache=False), want)


def test_refuses_what_it_cannot_load():
    hf = _random_llama()
    with pytest.raises(TypeError, match="LlamaForCausalLM"):
        load_llama(torch.nn.Linear(2, 2))
    bad = transformers.LlamaConfig(hidden_size=48, num_attention_heads=6, head_dim=16)
    with pytest.raises(ValueError, match="head_dim=16"):
        llama_config(bad)
    sd_broken = _random_llama(num_key_value_heads=6)
    sd_broken.config.num_key_value_heads = 2  # the config says 2 key/value heads, the weights hold 6
    with pytest.raises(ValueError, match="k_proj"):
        load_llama(sd_broken)
    assert load_llama(hf).num_params() == sum(p.numel() for p in hf.parameters())

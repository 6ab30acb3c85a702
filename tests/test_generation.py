"""Generation with a key/value cache: the same tokens as without one, batched left-padded prompts equal to
each prompt alone, and the same tokens as Hugging Face GPT-2 with use_cache=True on converted weights."""

import pytest
import torch
from torch.testing import assert_close

from course_lib.gpt import GPT, GPTConfig, generate, top_k_filter, top_p_filter

CONFIGS = {"classic": dict(), "modern": dict(positional="rope", norm="rmsnorm", ffn="swiglu", n_kv_heads=2, bias=False,
                                             tie_embeddings=False), "window": dict(window=5)}


@pytest.fixture(params=list(CONFIGS))
def model(request):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=50, max_len=40, d_model=32, n_heads=4, n_layers=2, **CONFIGS[request.param])).eval()


def test_cached_generation_equals_uncached(model):
    prompt = torch.randint(0, 50, (3, 6))
    for length in (10, 60):  # 60 tokens run past max_len=40: the window then slides
        assert torch.equal(generate(model, prompt, length, top_k=1), generate(model, prompt, length, top_k=1,
                                                                               use_cache=False))
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(generate(model, prompt, 20, generator=g1), generate(model, prompt, 20, use_cache=False,
                                                                           generator=g2))


def test_the_cache_feeds_one_token_at_a_time(model):
    ids = torch.randint(0, 50, (2, 12))
    full = model(ids).logits
    cache = model.new_cache()
    first = model(ids[:, :7], cache=cache).logits
    rest = [model(ids[:, t:t + 1], cache=cache).logits for t in range(7, 12)]
    assert_close(torch.cat([first, *rest], dim=1), full, atol=1e-5, rtol=1e-5)
    assert len(cache[0]) == 12
    with pytest.raises(ValueError, match="max_len"):
        model(torch.zeros(1, 30, dtype=torch.long), cache=cache)  # 12 + 30 positions > max_len=40


def test_left_padded_prompts_batch_like_each_prompt_alone(model):
    torch.manual_seed(1)
    prompts = [torch.randint(1, 50, (n,)) for n in (3, 7, 5)]
    T = max(len(p) for p in prompts)
    batch = torch.stack([torch.cat([torch.zeros(T - len(p), dtype=torch.long), p]) for p in prompts])
    mask = torch.stack([torch.cat([torch.zeros(T - len(p)), torch.ones(len(p))]) for p in prompts]).long()
    out = generate(model, batch, 12, top_k=1, attention_mask=mask)
    for row, p in zip(out, prompts):
        alone = generate(model, p, 12, top_k=1)
        assert torch.equal(row[T - len(p):], alone)
    logits = model(batch, mask).logits
    assert torch.isfinite(logits).all(), "padding queries must not produce NaN"


def test_generate_refuses_what_it_cannot_use():
    from course_lib.transformer import EncoderDecoder, TransformerConfig
    seq2seq = EncoderDecoder(TransformerConfig(20, 20, d_model=8, n_heads=2, d_ff=8, n_layers=1))
    with pytest.raises(TypeError, match="GPT"):
        generate(seq2seq, [1, 2], 3)
    gpt = GPT(GPTConfig(vocab_size=10, max_len=8, d_model=8, n_heads=2, n_layers=1))
    with pytest.raises(ValueError, match="attention_mask"):
        generate(gpt, torch.ones(2, 3, dtype=torch.long), 2, attention_mask=torch.ones(2, 4))
    with pytest.raises(ValueError, match="top_p"):
        top_p_filter(torch.zeros(5), 0.0)
    with pytest.raises(ValueError, match="top_k"):
        top_k_filter(torch.zeros(5), 0)
    with pytest.raises(ValueError, match="top_k"):
        top_k_filter(torch.zeros(5), 6)


def test_top_p_one_keeps_every_token():
    """float32 round-off: the running sum of the sorted probabilities reaches 1.0 before the last tokens."""
    logits = torch.cat([torch.tensor([20.0]), torch.full((5000,), -5.0)])
    assert torch.isfinite(top_p_filter(logits, 1.0)).all()
    probs = torch.softmax(logits.double(), -1)
    kept = torch.isfinite(top_p_filter(logits, 0.999999))
    assert kept.sum() >= 1 and kept[0]
    assert probs[kept].sum() >= 0.999999 - 1e-12


def test_cached_generation_equals_hugging_face_gpt2():
    transformers = pytest.importorskip("transformers", reason="the GPT-2 comparison needs transformers")
    from course_lib.interop.gpt2 import gpt2_from_hf
    torch.manual_seed(2)
    hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(vocab_size=64, n_positions=48, n_embd=32, n_layer=2,
                                                              n_head=4)).eval()
    ours = gpt2_from_hf(hf)
    prompt = torch.randint(0, 64, (2, 5))
    with torch.no_grad():
        want = hf.generate(prompt, max_new_tokens=30, min_new_tokens=30, do_sample=False, use_cache=True,
                           pad_token_id=0)
    assert torch.equal(generate(ours, prompt, 30, top_k=1), want)

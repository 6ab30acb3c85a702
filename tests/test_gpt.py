"""course_lib.gpt: shapes, causality, tied weights, sampling filters against slow references, counting."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from course_lib.gpt import (
    GPT,
    PRESETS,
    GPTConfig,
    check_sampling,
    generate,
    next_token_probs,
    top_k_filter,
    top_p_filter,
)
from course_lib.training import TrainConfig, load_checkpoint, save_checkpoint, train

TINY = GPTConfig(vocab_size=11, max_len=8, d_model=16, n_heads=2, n_layers=2)


def tiny(seed: int = 0, **changes) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig(**{**TINY.__dict__, **changes})).eval()


def ids_for(config: GPTConfig, B: int = 3, T: int | None = None, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(config.vocab_size, (B, T or config.max_len), generator=g)


# ----------------------------------------------------------------------------- config

def test_config_defaults_and_presets():
    assert TINY.d_ff == 64 and TINY.d_head == 8
    for name in PRESETS:
        config = GPTConfig.preset(name, vocab_size=65)
        assert config.vocab_size == 65 and config.d_model % config.n_heads == 0
        recipe = GPTConfig.recipe(name)
        assert recipe.batch_size >= 1 and recipe.train.max_steps >= recipe.train.warmup_steps
    assert GPTConfig.preset("cpu", 65, n_layers=2).n_layers == 2
    with pytest.raises(ValueError, match="name must be one of"):
        GPTConfig.preset("tpu", 65)
    with pytest.raises(ValueError, match="name must be one of"):
        GPTConfig.recipe("tpu")


@pytest.mark.parametrize("changes, match", [
    (dict(vocab_size=0), "vocab_size"), (dict(max_len=-1), "max_len"), (dict(n_heads=3), "divisible"),
    (dict(dropout=1.0), "dropout"), (dict(d_ff=0), "d_ff"), (dict(n_layers=1.5), "n_layers"),
])
def test_config_errors(changes, match):
    with pytest.raises(ValueError, match=match):
        GPTConfig(**{**TINY.__dict__, **changes})
    with pytest.raises(TypeError, match="GPTConfig"):
        GPT({"vocab_size": 11})


# ----------------------------------------------------------------------------- forward

def test_shapes_and_attention_format():
    model = tiny()
    ids = ids_for(TINY, B=3, T=5)
    logits = model(ids).logits
    assert logits.shape == (3, 5, TINY.vocab_size)
    logits_w, attentions = model(ids, need_weights=True)
    assert isinstance(attentions, list) and len(attentions) == TINY.n_layers
    for w in attentions:
        assert w.shape == (3, TINY.n_heads, 5, 5)
        assert_close(w.sum(-1), torch.ones(3, TINY.n_heads, 5))  # each row is a distribution
        assert bool((w.triu(diagonal=1) == 0).all())  # nothing above the diagonal: no future
    assert_close(logits_w, logits, atol=1e-5, rtol=1e-5)  # fused path == readable path


def test_fast_path_equals_weights_path_in_float64_with_dropout_off_in_training():
    model = tiny(dropout=0.0).double().train()
    ids = ids_for(TINY)
    assert_close(model(ids).logits, model(ids, need_weights=True).logits)


def test_causality_later_tokens_never_change_earlier_logits():
    model = tiny()
    ids = ids_for(TINY, B=2)
    base = model(ids).logits
    for t in range(TINY.max_len):
        changed = ids.clone()
        changed[:, t] = (changed[:, t] + 1) % TINY.vocab_size
        out = model(changed).logits
        assert torch.equal(out[:, :t], base[:, :t]), f"changing token {t} changed an earlier logit"
        assert not torch.equal(out[:, t:], base[:, t:])


def test_output_head_is_tied_to_the_token_embedding():
    model = tiny()
    assert model.head.weight is model.tok_emb.weight
    names = [n for n, _ in model.named_parameters()]
    assert "head.weight" not in names  # one matrix, counted and updated once
    model.loss(ids_for(TINY), ids_for(TINY, seed=2)).backward()
    assert model.tok_emb.weight.grad is not None and model.tok_emb.weight.grad.abs().sum() > 0


def test_forward_agrees_with_a_loop_reference_in_float64():
    """The model written out by hand with torch primitives (one head at a time, softmax with -inf)."""
    model = tiny(seed=3).double()
    ids = ids_for(TINY, B=2, T=6)
    c = TINY
    x = model.tok_emb.weight[ids] + model.pos_emb.weight[:6]
    for b in model.blocks:
        h = F.layer_norm(x, (c.d_model,), b.norm1.weight, b.norm1.bias)
        q, k, v = F.linear(h, b.self_attn.qkv.weight, b.self_attn.qkv.bias).split(c.d_model, dim=-1)
        heads = []
        for i in range(c.n_heads):
            s = slice(i * c.d_head, (i + 1) * c.d_head)
            scores = q[..., s] @ k[..., s].transpose(1, 2) / math.sqrt(c.d_head)
            scores = scores.masked_fill(torch.ones(6, 6).triu(1).bool(), float("-inf"))
            heads.append(torch.softmax(scores, -1) @ v[..., s])
        x = x + F.linear(torch.cat(heads, -1), b.self_attn.out.weight, b.self_attn.out.bias)
        h = F.layer_norm(x, (c.d_model,), b.norm2.weight, b.norm2.bias)
        x = x + b.ffn.linear2(F.gelu(b.ffn.linear1(h)))
    want = F.layer_norm(x, (c.d_model,), model.norm.weight, model.norm.bias) @ model.tok_emb.weight.T
    assert_close(model(ids).logits, want)


def test_untrained_loss_is_about_ln_vocab_size():
    for vocab_size in (11, 65, 500):
        model = tiny(vocab_size=vocab_size)
        ids = ids_for(model.config, B=8)
        loss = model.loss(ids, ids_for(model.config, B=8, seed=5)).item()
        assert abs(loss - math.log(vocab_size)) < 0.1, (vocab_size, loss)


def test_loss_equals_cross_entropy_of_the_logits():
    model = tiny()
    ids, targets = ids_for(TINY), ids_for(TINY, seed=4)
    logits = model(ids).logits.double()
    want = -torch.log_softmax(logits, -1).gather(-1, targets[..., None]).mean()
    assert_close(model.loss(ids, targets).double(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bad, error, match", [
    (torch.tensor([[1, 2, 11]]), ValueError, "vocab_size=11"),
    (torch.tensor([[1, -1]]), ValueError, "vocab_size"),
    (torch.zeros(2, 9, dtype=torch.long), ValueError, "max_len=8"),
    (torch.zeros(2, 0, dtype=torch.long), ValueError, r"\(B, T\)"),
    (torch.zeros(4, dtype=torch.long), ValueError, r"\(B, T\)"),
    (torch.zeros(2, 3), TypeError, "integer"),
    ([[1, 2]], TypeError, "integer"),
])
def test_forward_errors(bad, error, match):
    with pytest.raises(error, match=match):
        tiny()(bad)


def test_loss_errors():
    ids = ids_for(TINY)
    with pytest.raises(ValueError, match="targets"):
        tiny().loss(ids, ids[:, :-1])


# ----------------------------------------------------------------------------- counting

def test_num_params_by_hand():
    c = TINY
    d, f, V, L, T = c.d_model, c.d_ff, c.vocab_size, c.n_layers, c.max_len
    per_layer = (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d) + 2 * (2 * d)  # attn, ffn, 2 norms
    embeddings = V * d + T * d
    total = embeddings + L * per_layer + 2 * d  # + final norm; the head is the embedding
    model = tiny()
    assert model.num_params() == total
    assert model.num_params(exclude_embeddings=True) == total - embeddings


def test_flops_per_token_by_hand_and_against_torch_flop_counter():
    c = GPTConfig(vocab_size=50, max_len=16, d_model=32, n_heads=4, n_layers=3)
    torch.manual_seed(0)
    model = GPT(c)
    d, f, V, L, T = c.d_model, c.d_ff, c.vocab_size, c.n_layers, c.max_len
    matmul_weights = L * (4 * d * d + 2 * d * f) + d * V  # qkv + out, ffn, the output head
    biases_and_norms = L * (4 * d + f + d + 4 * d) + 2 * d  # also "parameters" in the 6N rule
    attention = 2 * 2 * L * T * d  # forward: scores (T x d_head per head) and weighted sum, per token
    assert model.flops_per_token() == 6 * (matmul_weights + biases_and_norms) + 3 * attention
    assert model.flops_per_token(T=8) == 6 * (matmul_weights + biases_and_norms) + 3 * attention / 2
    # torch counts every matmul FLOP of a forward + backward pass (norms are not matmuls). The readable
    # attention path (need_weights=True) computes scores and weighted sums as plain matmuls it can see.
    ids = ids_for(c, B=2)
    with FlopCounterMode(display=False) as counter:
        logits, _ = model(ids, need_weights=True)
        F.cross_entropy(logits.view(-1, V), ids.view(-1)).backward()
    measured = counter.get_total_flops() / ids.numel()
    assert measured == pytest.approx(6 * matmul_weights + 3 * attention, rel=1e-6)
    assert model.flops_per_token() == pytest.approx(measured, rel=0.05)  # biases and norms: a few % here


# ----------------------------------------------------------------------------- sampling

def slow_top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    out = torch.full_like(logits, float("-inf"))
    for r, row in enumerate(logits.tolist()):
        kth = sorted(row, reverse=True)[k - 1]
        for j, value in enumerate(row):
            if value >= kth:
                out[r, j] = value
    return out


def slow_top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    out = torch.full_like(logits, float("-inf"))
    for r, row in enumerate(logits.double()):
        probs = torch.softmax(row, -1).tolist()
        total = 0.0
        for j in sorted(range(len(probs)), key=lambda j: -probs[j]):  # most likely first
            out[r, j] = logits[r, j]
            total += probs[j]
            if total >= p:
                break
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(0, 10_000))
def test_top_k_filter_against_slow_reference(k, seed):
    logits = torch.randn(3, 12, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(top_k_filter(logits, k), slow_top_k(logits, k))


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 0.99), st.integers(0, 10_000))
def test_top_p_filter_against_slow_reference(p, seed):
    logits = 2 * torch.randn(3, 12, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    assert torch.equal(top_p_filter(logits, p), slow_top_p(logits, p))


def test_next_token_probs_temperature_and_filters():
    logits = torch.tensor([[3.0, 1.0, 0.5, 0.0, -2.0]])
    assert_close(next_token_probs(logits), torch.softmax(logits, -1))
    assert_close(next_token_probs(logits, temperature=0.5), torch.softmax(logits * 2, -1))
    hot = next_token_probs(logits, temperature=100.0)
    assert hot.max() - hot.min() < 0.05  # very hot: nearly uniform
    top2 = next_token_probs(logits, top_k=2)
    assert_close(top2[0, :2], torch.softmax(logits[0, :2], -1)) and top2[0, 2:].sum() == 0
    assert next_token_probs(logits, top_k=1)[0].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert (next_token_probs(logits, top_p=0.01)[0] > 0).sum() == 1  # the top token is always kept
    assert_close(next_token_probs(logits, top_p=1.0), torch.softmax(logits, -1))


@pytest.mark.parametrize("kwargs, match", [
    (dict(temperature=0), "temperature"), (dict(temperature=-1.0), "temperature"),
    (dict(top_k=0), "top_k"), (dict(top_k=12), "top_k"), (dict(top_k=2.5), "top_k"),
    (dict(top_p=0.0), "top_p"), (dict(top_p=1.5), "top_p"), (dict(top_p=-0.1), "top_p"),
])
def test_sampling_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_sampling(11, **kwargs)
    with pytest.raises(ValueError, match=match):
        generate(tiny(), [1, 2], 3, **kwargs)


def test_generate_shapes_determinism_and_mode():
    model = tiny().train()
    torch.manual_seed(7)
    a = generate(model, [1, 2, 3], max_new_tokens=5)
    torch.manual_seed(7)
    b = generate(model, torch.tensor([1, 2, 3]), max_new_tokens=5)
    assert a.shape == (8,) and torch.equal(a, b) and a[:3].tolist() == [1, 2, 3]
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    batch = ids_for(TINY, B=2, T=3)
    assert torch.equal(generate(model, batch, 6, generator=g1), generate(model, batch, 6, generator=g2))
    assert generate(model, batch, 6).shape == (2, 9)
    assert model.training  # generate puts the model back in the mode it found it in
    assert torch.equal(generate(model, [4], 0), torch.tensor([4]))


def test_generate_greedy_matches_argmax_loop():
    model = tiny(seed=5)
    seq = torch.tensor([[3, 1]])
    for _ in range(12):  # beyond max_len=8: the window slides
        nxt = model(seq[:, -TINY.max_len:]).logits[:, -1].argmax(-1, keepdim=True)
        seq = torch.cat([seq, nxt], 1)
    assert torch.equal(generate(model, torch.tensor([[3, 1]]), 12, top_k=1), seq)


def test_generate_stops_at_eos_and_pads_finished_rows():
    biased = tiny()  # an output head that always says token 4: eos comes at once
    biased.head = torch.nn.Linear(TINY.d_model, TINY.vocab_size)
    with torch.no_grad():
        biased.head.weight.zero_()
        biased.head.bias.fill_(-1e4)
        biased.head.bias[4] = 0.0
    assert generate(biased, [1, 2], 10, eos_id=4).tolist() == [1, 2, 4]
    assert len(generate(biased, [1, 2], 10)) == 12  # no eos_id: runs to max_new_tokens
    with torch.no_grad():  # row 0 ends at once, row 1 goes on: row 0 is filled with eos
        biased.head.bias[4] = -1e4
        biased.head.bias[7] = 0.0
    torch.manual_seed(0)
    out = generate(biased, [[1, 2], [3, 5]], 3, eos_id=7)
    assert out.tolist() == [[1, 2, 7], [3, 5, 7]]
    model = tiny()
    torch.manual_seed(0)
    free = generate(model, [[1, 2], [3, 5]], 6)
    eos = int(free[0, 2])  # make row 0's first sampled token the eos: row 0 then only repeats it
    torch.manual_seed(0)
    out = generate(model, [[1, 2], [3, 5]], 6, eos_id=eos)
    assert out[0, 2:].tolist() == [eos] * (out.shape[1] - 2)
    assert torch.equal(out[1, :3], free[1, :3])


def test_generate_crops_long_prompts_and_says_so_once():
    model = tiny()
    prompt = list(range(10)) + [1, 2]  # 12 tokens > max_len 8
    with pytest.warns(UserWarning, match="max_len=8") as record:
        out = generate(model, prompt, 3, top_k=1)
    assert len(record) == 1 and len(out) == 15
    assert torch.equal(out[-3:], generate(model, prompt[-8:], 3, top_k=1)[-3:])


@pytest.mark.parametrize("prompt, kwargs, match", [
    ([], {}, "empty"), (torch.zeros(1, 0, dtype=torch.long), {}, "empty"),
    ([1, 11], {}, "vocab_size=11"), ([1, 2], dict(max_new_tokens=-1), "max_new_tokens"),
    ([1, 2], dict(eos_id=11), "eos_id"), (torch.zeros(2, 2, 2, dtype=torch.long), {}, "shape"),
])
def test_generate_errors(prompt, kwargs, match):
    kwargs = {"max_new_tokens": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        generate(tiny(), prompt, **kwargs)


# ----------------------------------------------------------------------------- training and checkpoints

def test_trains_with_the_engine_and_checkpoint_of_another_config_is_refused(tmp_path):
    torch.manual_seed(0)
    model = GPT(TINY)
    pattern = torch.arange(TINY.max_len + 1) % 5  # 0 1 2 3 4 0 1 ...: easy to learn

    def get_batch(split, i):
        x = torch.stack([pattern.roll(-s)[:-1] for s in range(4)])
        return x, torch.stack([pattern.roll(-s)[1:] for s in range(4)])

    history = train(model, get_batch, TrainConfig(max_steps=60, lr=1e-2, warmup_steps=5, eval_every=30,
                                                  eval_steps=1, log_every=10), verbose=False,
                    flops_per_token=model.flops_per_token())
    assert history.val_loss[-1] < 0.5 * history.val_loss[0]
    path = save_checkpoint(tmp_path / "gpt.pt", model, config=TINY)
    load_checkpoint(path, GPT(TINY))  # the same config loads
    with pytest.raises(ValueError, match="different config"):
        load_checkpoint(path, GPT(GPTConfig(**{**TINY.__dict__, "d_model": 32})))
    with pytest.raises(ValueError, match="different config"):
        load_checkpoint(path, GPT(GPTConfig(**{**TINY.__dict__, "vocab_size": 12})))


# ----------------------------------------------------------------------------- figures and the explorer

def test_next_token_bars_and_sampling_panels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib.plots.gpt import next_token_bars, sampling_panels, show_token

    vocab = ["a", " ", "\n", "b", "c"]
    probs = torch.tensor([0.1, 0.4, 0.05, 0.3, 0.15])
    ax = next_token_bars(probs, vocab, k=3)
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([0.4, 0.3, 0.15])  # the k most likely, most likely first
    assert [t.get_text() for t in ax.get_xticklabels()] == ["␣", "b", "c"]
    assert show_token("a \nb") == "a␣↵b"
    with pytest.raises(ValueError, match="k must be"):
        next_token_bars(probs, vocab, k=6)
    with pytest.raises(ValueError, match="tokens"):
        next_token_bars(probs, vocab[:4])
    axes = sampling_panels(torch.log(probs), vocab, temperatures=(0.5, 1.0), top_k=2, top_p=0.6, k=5)
    nonzero = [sum(p.get_height() > 0 for p in a.patches) for a in axes]
    assert nonzero == [5, 5, 2, 2]  # temperatures keep every token; top-k=2; top-p=0.6 needs 0.4 + 0.3
    with pytest.raises(ValueError, match="one row"):
        sampling_panels(torch.zeros(2, 5), vocab)
    plt.close("all")


def test_sampling_explorer_redraws_and_rejects_other_models(capsys):
    import matplotlib

    matplotlib.use("Agg")
    from course_lib.tokenization import CharTokenizer
    from course_lib.widgets.gpt import sampling_explorer

    tok = CharTokenizer.train("abcd efg\n")
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, max_len=8, d_model=16, n_heads=2, n_layers=1))
    box = sampling_explorer(model, tok, prompt="abc", n_tokens=5)
    assert set(box.controls) == {"prompt", "temperature", "top_k", "top_p", "seed"}
    capsys.readouterr()
    box.controls["top_k"].value = 1  # greedy: the sample is the argmax continuation
    greedy = generate(model, tok.encode("abc"), 5, top_k=1)
    assert tok.decode(greedy.tolist()) in capsys.readouterr().out  # outside a notebook it prints to stdout
    box.controls["prompt"].value = ""
    assert "type a prompt" in capsys.readouterr().out
    with pytest.raises(TypeError, match="GPT"):
        sampling_explorer(torch.nn.Linear(2, 2), tok)

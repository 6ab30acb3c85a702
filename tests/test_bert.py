"""course_lib.bert: the model against a float64 reference written with plain torch functions, both
directions, padding, tied weights, the losses, the classifier, fill-mask and the metrics."""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib.bert import (IGNORE, PRESETS, Bert, BertClassifier, BertConfig, PretrainingBatches, VocabInfo,
                             animal_or_thing, classification_accuracy, classification_batch, encode_pair, fill_mask,
                             majority_baseline, mask_tokens, pad_batch, pretraining_metrics,
                             segments_from_sep, sentence_pairs, split_by_noun, spotted_noun)
from course_lib.data import synthetic_stories
from course_lib.tokenization import WordTokenizer

TINY = BertConfig(vocab_size=40, max_len=16, d_model=16, n_heads=2, n_layers=2, dropout=0.0)
CLS, SEP, PAD, MASK = TINY.cls_id, TINY.sep_id, TINY.pad_id, TINY.mask_id


def tiny(seed: int = 0, **changes) -> Bert:
    torch.manual_seed(seed)
    return Bert(BertConfig(**{**TINY.__dict__, **changes})).eval()


def pair_ids(B: int = 3, T: int = 12, seed: int = 1, pad_from: tuple[int, ...] = (12, 9, 7)) -> torch.Tensor:
    """[CLS] a [SEP] b [SEP] [PAD]... rows with random ordinary tokens."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(7, TINY.vocab_size, (B, T), generator=g)
    for row, length in enumerate(pad_from[:B]):
        ids[row, 0], ids[row, 3], ids[row, length - 1] = CLS, SEP, SEP
        ids[row, length:] = PAD
    return ids


# ----------------------------------------------------------------------------- a reference in plain torch

def reference_forward(model: Bert, ids, segments):
    """BERT's forward pass written out with torch.nn.functional, from the state dict, in float64."""
    c = model.config
    p = {k: v.double() for k, v in model.state_dict().items()}

    def ln(x, name):
        return F.layer_norm(x, (c.d_model,), p[f"{name}.weight"], p[f"{name}.bias"], eps=c.layer_norm_eps)

    def linear(x, name):
        return x @ p[f"{name}.weight"].T + p[f"{name}.bias"]

    T = ids.shape[1]
    x = (p["embeddings.tokens.embedding.weight"][ids] + p["embeddings.positions.embedding.weight"][:T]
         + p["embeddings.segments.weight"][segments])
    x = ln(x, "embeddings.norm")
    blocked = (ids == c.pad_id)[:, None, None, :]
    for i in range(c.n_layers):
        q, k, v = linear(x, f"blocks.{i}.self_attn.qkv").chunk(3, dim=-1)
        q, k, v = (t.unflatten(-1, (c.n_heads, c.d_head)).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-1, -2) / math.sqrt(c.d_head)).masked_fill(blocked, -math.inf)
        heads = torch.softmax(scores, dim=-1) @ v
        x = ln(x + linear(heads.transpose(1, 2).flatten(2), f"blocks.{i}.self_attn.out"), f"blocks.{i}.norm1")
        ffn = linear(F.gelu(linear(x, f"blocks.{i}.ffn.linear1")), f"blocks.{i}.ffn.linear2")
        x = ln(x + ffn, f"blocks.{i}.norm2")
    pooled = torch.tanh(linear(x[:, 0], "pooler.dense"))
    h = ln(F.gelu(linear(x, "mlm_head.transform")), "mlm_head.norm")
    mlm = h @ p["embeddings.tokens.embedding.weight"].T + p["mlm_head.decoder.bias"]
    return x, pooled, mlm, linear(pooled, "nsp_head")


@pytest.mark.parametrize("need_weights", [False, True])
def test_matches_the_reference_in_float64(need_weights):
    model = tiny()
    with torch.no_grad():  # random biases and LayerNorm gains, so that every parameter is exercised
        for name, p in model.named_parameters():
            if "bias" in name or "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    model = model.double()
    ids = pair_ids()
    segments = segments_from_sep(ids, model.config)
    out = model(ids, segments, need_weights=need_weights)
    want = reference_forward(model, ids, segments)
    real = ids != PAD
    assert_close(out.hidden[real], want[0][real])
    for got, ref in zip((out.pooled, out.logits[real], out.nsp_logits), (want[1], want[2][real], want[3])):
        assert_close(got, ref)


def test_shapes_and_attention_format():
    model = tiny()
    ids = pair_ids()
    out = model(ids, need_weights=True)
    assert out.hidden.shape == (3, 12, 16) and out.pooled.shape == (3, 16)
    assert out.logits.shape == (3, 12, 40) and out.nsp_logits.shape == (3, 2)
    assert isinstance(out.attentions, list) and len(out.attentions) == TINY.n_layers
    for w in out.attentions:
        assert w.shape == (3, TINY.n_heads, 12, 12)
        assert_close(w.sum(-1), torch.ones(3, TINY.n_heads, 12))
        assert bool((w[2, :, :, 7:] == 0).all())  # nobody attends to padding
    assert model(ids).attentions is None
    assert_close(model(ids).logits, out.logits, atol=1e-5, rtol=1e-5)  # fused path == readable path


def test_sees_both_directions():
    """No causal mask: changing the LAST real token changes the output at the FIRST position."""
    model = tiny()
    ids = pair_ids(B=1, pad_from=(12,))
    changed = ids.clone()
    changed[0, 10] = 7 if ids[0, 10] != 7 else 8
    before, after = model(ids).hidden, model(changed).hidden
    assert (before[0, 0] - after[0, 0]).abs().max() > 1e-4
    assert (before[0, 5] - after[0, 5]).abs().max() > 1e-4


def test_padding_does_not_change_real_tokens():
    model = tiny()
    ids = pair_ids(B=1, T=8, pad_from=(8,))
    padded = torch.cat([ids, torch.full((1, 5), PAD)], dim=1)
    short, long = model(ids), model(padded)
    assert_close(long.hidden[:, :8], short.hidden, atol=1e-5, rtol=1e-5)
    assert_close(long.nsp_logits, short.nsp_logits, atol=1e-5, rtol=1e-5)
    # an explicit attention_mask (True or 1 = real token) does the same
    mask = torch.cat([torch.ones(1, 8), torch.zeros(1, 5)], dim=1)
    assert_close(model(padded, attention_mask=mask).hidden[:, :8], short.hidden, atol=1e-5, rtol=1e-5)


def test_segments_from_sep():
    ids = torch.tensor([[CLS, 9, SEP, 10, 11, SEP, PAD], [CLS, 9, 10, SEP, PAD, PAD, PAD]])
    assert segments_from_sep(ids, TINY).tolist() == [[0, 0, 0, 1, 1, 1, 0], [0] * 7]
    model = tiny()
    assert_close(model(ids).hidden, model(ids, segments_from_sep(ids, TINY)).hidden)
    assert not torch.allclose(model(ids).hidden, model(ids, torch.zeros_like(ids)).hidden)  # segments matter
    with pytest.raises(ValueError, match=r"row 1 has no \[SEP\]"):
        model(torch.tensor([[CLS, 9, SEP], [CLS, 9, 10]]))


def test_tied_decoder_has_its_own_bias():
    model = tiny()
    assert model.mlm_head.decoder.weight is model.embeddings.tokens.weight
    assert model.mlm_head.decoder.bias.shape == (TINY.vocab_size,)
    names = [n for n, _ in model.named_parameters()]
    assert "mlm_head.decoder.weight" not in names  # counted once
    assert model.num_params() == sum(p.numel() for p in model.parameters())
    before = model.embeddings.tokens.weight.detach().clone()
    model.loss(*_batch(model)).backward()
    sgd_step(model, lr=1.0)
    assert not torch.equal(before, model.mlm_head.decoder.weight)  # one update moves both uses


def sgd_step(model, lr: float) -> None:
    """Plain gradient descent by hand (torch.optim's first use imports torch._dynamo: seconds)."""
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
            p.grad = None


def _batch(model, B: int = 4, seed: int = 0):
    ids = pair_ids(B=B, pad_from=(12, 9, 7, 10)[:B])
    vocab = VocabInfo(model.config.vocab_size, MASK, tuple(range(7)))
    masked, labels = mask_tokens(ids, vocab, 0.4, torch.Generator().manual_seed(seed))
    nsp = torch.tensor([0, 1, 1, 0][:B])
    return masked, segments_from_sep(ids, model.config), labels, nsp


def test_losses_match_full_cross_entropy():
    model = tiny().double()
    ids, segments, labels, nsp = _batch(model)
    out = model(ids, segments)
    mlm_want = F.cross_entropy(out.logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)
    nsp_want = F.cross_entropy(out.nsp_logits, nsp)
    mlm, nsp_loss = model.losses(ids, segments, labels, nsp)
    assert_close(mlm, mlm_want)
    assert_close(nsp_loss, nsp_want)
    assert_close(model.loss(ids, segments, labels, nsp), mlm_want + nsp_want)
    assert_close(model.loss(ids, segments, labels), mlm_want)  # no NSP labels: MLM only
    roberta = tiny(nsp=False).double()
    assert_close(roberta.loss(ids, segments, labels, nsp), roberta.losses(ids, segments, labels)[0])
    none = torch.full_like(labels, IGNORE)
    assert model.losses(ids, segments, none)[0].item() == 0.0  # nothing masked: zero, not NaN


def test_flops_per_token_by_hand_and_against_torch_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode
    c = BertConfig(vocab_size=60, max_len=16, d_model=32, n_heads=4, n_layers=3)
    torch.manual_seed(0)
    model = Bert(c)
    B, T, d, f, V, L = 4, 16, c.d_model, c.d_ff, c.vocab_size, c.n_layers
    ids = torch.randint(5, V, (B, T))
    ids[:, 0], ids[:, 7], ids[:, -1] = c.cls_id, c.sep_id, c.sep_id
    segments = torch.zeros_like(ids)
    segments[:, 8:] = 1
    labels = torch.full_like(ids, IGNORE)
    labels[:, 2], labels[:, 10] = ids[:, 2], ids[:, 10]  # 8 labelled positions of 64
    fraction = 8 / (B * T)
    # torch counts every matmul of a forward + backward pass (norms and biases are not matmuls)
    with FlopCounterMode(display=False) as counter:
        mlm, nsp = model.losses(ids, segments, labels, torch.tensor([0, 1, 0, 1]))
        (mlm + nsp).backward()
    measured = counter.get_total_flops() / ids.numel()
    matmuls = L * (4 * d * d + 2 * d * f) + fraction * (d * d + d * V) + (d * d + 2 * d) / T
    attention = 2 * 2 * L * T * d  # forward: scores and weighted sum, per token
    assert measured == pytest.approx(6 * matmuls + 3 * attention, rel=1e-9)
    estimate = model.flops_per_token(T=T, mlm_fraction=fraction)
    assert estimate == pytest.approx(measured, rel=0.05)  # biases and norms: a few % here
    # the 6 x parameters rule counts the decoder at every token: far off once the vocabulary is large
    big = Bert(BertConfig(vocab_size=3000, max_len=16, d_model=32, n_heads=4, n_layers=3))
    assert 6 * big.num_params() > 2 * big.flops_per_token()
    assert model.flops_per_token(mlm_fraction=0.3) > model.flops_per_token() > model.flops_per_token(mlm_fraction=0)
    with pytest.raises(ValueError, match="mlm_fraction"):
        model.flops_per_token(mlm_fraction=1.5)
    with pytest.raises(ValueError, match="max_len=16"):
        model.flops_per_token(T=17)


def test_untrained_mlm_loss_is_about_ln_vocab():
    config = BertConfig(vocab_size=500, max_len=32, d_model=64, n_heads=4, n_layers=2, dropout=0.0)
    torch.manual_seed(0)
    model = Bert(config)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(7, 500, (16, 32), generator=g)
    ids[:, 0], ids[:, 15], ids[:, -1] = CLS, SEP, SEP
    labels = torch.randint(7, 500, (16, 32), generator=g)
    with torch.no_grad():
        mlm, nsp = model.losses(ids, None, labels, torch.randint(2, (16,), generator=g))
    assert abs(mlm.item() - math.log(500)) < 0.1, mlm.item()
    assert abs(nsp.item() - math.log(2)) < 0.05, nsp.item()


def test_training_on_one_batch_lowers_the_loss_and_reaches_every_parameter():
    model = tiny().train()
    batch = _batch(model)
    first = model.loss(*batch)
    first.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    for _ in range(60):
        sgd_step(model, lr=0.5)
        loss = model.loss(*batch)
        loss.backward()
    assert loss.item() < 0.3 * first.item(), (first.item(), loss.item())


# ----------------------------------------------------------------------------- config and errors

def test_config_defaults_and_presets():
    assert TINY.d_ff == 64 and TINY.d_head == 8 and TINY.layer_norm_eps == 1e-12
    assert (CLS, SEP, PAD, MASK) == (2, 3, 0, 4)
    for name in PRESETS:
        config = BertConfig.preset(name, vocab_size=100)
        assert config.d_model % config.n_heads == 0
        recipe = BertConfig.recipe(name)
        assert recipe.batch_size >= 1 and recipe.train.max_steps >= recipe.train.warmup_steps
    base = BertConfig.preset("base", vocab_size=30522, pad_id=0, cls_id=101, sep_id=102, mask_id=103)
    # bert-base-uncased: BertModel 109,482,240 + MLM transform, LayerNorm and bias + NSP layer
    with torch.device("meta"):  # shapes only: no memory, no time
        big = Bert(base)
    assert big.num_params() == 109_482_240 + (768 * 768 + 768) + 2 * 768 + 30522 + (768 * 2 + 2)
    assert BertConfig.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ValueError, match="unknown BertConfig fields"):
        BertConfig.from_dict({**TINY.to_dict(), "hidden_size": 8})
    with pytest.raises(ValueError, match="name must be one of"):
        BertConfig.preset("tpu", 100)


@pytest.mark.parametrize("changes, match", [
    (dict(vocab_size=0), "vocab_size"), (dict(n_heads=3), "divisible"), (dict(dropout=1.0), "dropout"),
    (dict(d_ff=0), "d_ff"), (dict(mask_id=40), "mask_id"), (dict(nsp="no"), "nsp"),
    (dict(layer_norm_eps=0.0), "layer_norm_eps"),
])
def test_config_errors(changes, match):
    with pytest.raises(ValueError, match=match):
        BertConfig(**{**TINY.__dict__, **changes})


def test_input_errors():
    model = tiny()
    ids = pair_ids()
    with pytest.raises(TypeError, match="config must be a BertConfig"):
        Bert({"vocab_size": 40})
    with pytest.raises(TypeError, match="ids must be an integer tensor"):
        model(ids.float())
    with pytest.raises(ValueError, match="max_len=16"):
        model(torch.cat([ids, ids], dim=1))
    with pytest.raises(ValueError, match="segments must have the shape of ids"):
        model(ids, ids[:, :5])
    with pytest.raises(ValueError, match=r"segments must hold ids in \[0, n_segments=2\)"):
        model(ids, torch.full_like(ids, 2))
    with pytest.raises(ValueError, match="attention_mask must be"):
        model(ids, attention_mask=torch.ones(3, 5))
    with pytest.raises(ValueError, match="nsp_labels must be"):
        model.loss(ids, None, torch.full_like(ids, IGNORE), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="mlm_labels must have the shape"):
        model.loss(ids, None, torch.full((3, 4), IGNORE), None)


# ----------------------------------------------------------------------------- classifier

def test_classifier_on_cls():
    model = tiny()
    clf = BertClassifier(model, n_classes=3).eval()
    ids = pair_ids()
    logits = clf(ids)
    assert logits.shape == (3, 3)
    want = model(ids).pooled @ clf.classifier.weight.T + clf.classifier.bias
    assert_close(logits, want)
    assert clf.bert is model  # fine-tuning changes the pretrained model's own parameters
    labels = torch.tensor([0, 2, 1])
    assert_close(clf.loss(ids, None, labels), F.cross_entropy(logits, labels))
    with pytest.raises(ValueError, match="n_classes"):
        BertClassifier(model, 1)
    with pytest.raises(TypeError, match="bert must be a Bert"):
        BertClassifier(torch.nn.Linear(2, 2), 2)
    with pytest.raises(ValueError, match="labels must be"):
        clf.loss(ids, None, torch.tensor([0, 1]))


# ----------------------------------------------------------------------------- fill-mask and metrics

STORIES = synthetic_stories(30, seed=0)
TOK = WordTokenizer.train([s for story in STORIES for s in story])


def test_fill_mask_against_a_manual_softmax():
    torch.manual_seed(0)
    model = Bert(BertConfig(TOK.vocab_size, max_len=24, d_model=16, n_heads=2, n_layers=1)).eval()
    with torch.no_grad():
        model.mlm_head.decoder.bias[TOK.token_to_id("dog")] = 30.0  # make "dog" the obvious answer
    text = "Tom saw a brown [MASK] near the [MASK] ."
    got = fill_mask(model, TOK, text, top_k=3)
    assert len(got) == 2 and all(len(row) == 3 for row in got)
    assert got[0][0][0] == "dog" and got[0][0][1] > 0.99
    ids = torch.tensor([encode_pair(TOK, text, None, 24).ids])
    probs = torch.softmax(model(ids).logits[0], -1)[ids[0] == TOK.token_to_id("[MASK]")]
    top = torch.topk(probs[1], 3)
    assert [t for t, _ in got[1]] == [TOK.id_to_token(i) for i in top.indices.tolist()]
    assert [p for _, p in got[1]] == pytest.approx(top.values.tolist(), abs=1e-4)
    assert model.training is False
    with pytest.raises(ValueError, match=r"must contain at least one \[MASK\]"):
        fill_mask(model, TOK, "Tom found a red ball.")
    with pytest.raises(ValueError, match="top_k"):
        fill_mask(model, TOK, "a [MASK]", top_k=0)
    with pytest.raises(ValueError, match="max_len=24"):
        fill_mask(model, TOK, "the [MASK] " + "dog " * 30)
    with pytest.raises(ValueError, match="one"):
        fill_mask(model, TOK, "a [SEP] b [SEP] the [MASK]")


def test_fill_mask_on_a_pair_uses_both_segments():
    torch.manual_seed(0)
    model = Bert(BertConfig(TOK.vocab_size, max_len=24, d_model=16, n_heads=2, n_layers=1)).eval()
    got = fill_mask(model, TOK, "Tom saw a dog. [SEP] The [MASK] ran to him.", top_k=4)
    pair = encode_pair(TOK, "Tom saw a dog.", "The [MASK] ran to him.", 24)
    assert pair.segments.count(1) == 7 and pair.ids.count(TOK.token_to_id("[SEP]")) == 2
    ids, segments = torch.tensor([pair.ids]), torch.tensor([pair.segments])
    probs = torch.softmax(model(ids, segments).logits[0], -1)[ids[0] == TOK.token_to_id("[MASK]")][0]
    assert [t for t, _ in got[0]] == [TOK.id_to_token(i) for i in torch.topk(probs, 4).indices.tolist()]


def test_metrics_and_majority_baseline_against_a_manual_count():
    pairs = sentence_pairs(STORIES, 0)
    batches = PretrainingBatches(TOK, pairs[:100], pairs[100:], max_len=40, batch_size=8)
    torch.manual_seed(0)
    model = Bert(BertConfig(TOK.vocab_size, max_len=40, d_model=16, n_heads=2, n_layers=1)).train()
    metrics = pretraining_metrics(model, batches, n_batches=3)
    assert model.training  # its mode is restored
    hits = total = nsp_hits = 0
    counts = Counter()
    model.eval()
    with torch.no_grad():
        for i in range(3):
            ids, segments, labels, nsp = batches("val", i)
            out = model(ids, segments)
            chosen = labels != IGNORE
            hits += (out.logits.argmax(-1)[chosen] == labels[chosen]).sum().item()
            total += chosen.sum().item()
            clean = torch.where(chosen, labels, ids)  # NSP is measured on the pairs without their masks
            nsp_hits += (model(clean, segments).nsp_logits.argmax(-1) == nsp).sum().item()
            counts.update(labels[chosen].tolist())
    assert metrics["mlm_accuracy"] == pytest.approx(hits / total)
    assert metrics["nsp_accuracy"] == pytest.approx(nsp_hits / 24)
    token, accuracy = majority_baseline(batches, n_batches=3)
    assert counts[token] == max(counts.values()) and accuracy == pytest.approx(counts[token] / total)
    ids, segments = pad_batch([encode_pair(TOK, "Tom ran.", None, 40)], 0)
    assert ids.shape[0] == 1


# ----------------------------------------------------------------------------- the fine-tuning task

def test_spotted_noun_reads_the_noun_and_its_category_from_the_lexicon():
    from course_lib.data import LEXICON
    assert spotted_noun("Later she spotted a red horse.") == ("horse", 1)
    assert spotted_noun("After that, Leo noticed a basket.") == ("basket", 0)
    assert spotted_noun("Tom and Anna notice three tiny mice.") == ("mouse", 1)
    for sentence in ("She found a red ball.", "She noticed a ball near a tree.", "It was a sunny day.",
                     "She noticed Tom.", "The horse was happy."):
        assert spotted_noun(sentence) is None, sentence
    stories = synthetic_stories(300, seed=4)
    examples = animal_or_thing(stories)
    assert len(examples) > 100
    for sentence, label, noun in examples:
        assert LEXICON[noun].category == ("animal" if label == 1 else "object")
        assert any(w in sentence.lower().rstrip(".").split() for w in (noun, LEXICON[noun].plural))


def test_split_by_noun_keeps_test_nouns_unlabelled():
    examples = animal_or_thing(synthetic_stories(600, seed=2))
    train_set, test_set = split_by_noun(examples, n_train=21, seed=3)
    assert len(train_set) == 21 and abs(sum(label for _, label in train_set) - 10.5) == 0.5
    train_nouns = {spotted_noun(s)[0] for s, _ in train_set}
    test_nouns = {spotted_noun(s)[0] for s, _ in test_set}
    assert train_nouns and test_nouns and not train_nouns & test_nouns
    assert {label for _, label in test_set} == {0, 1}
    assert split_by_noun(examples, 21, seed=3) == (train_set, test_set)
    with pytest.raises(ValueError, match="n_train"):
        split_by_noun(examples, 1)
    with pytest.raises(ValueError, match="needs"):
        split_by_noun(examples, 100_000)


def test_classification_batch_and_accuracy():
    examples = [("She noticed a dog.", 1), ("He spotted a red cup.", 0), ("They noticed two cats.", 1)]
    ids, segments, labels = classification_batch(TOK, examples, max_len=24)
    assert ids.shape[0] == 3 and labels.tolist() == [1, 0, 1] and int(segments.sum()) == 0
    assert ids[0, :len(TOK.encode(examples[0][0])) + 2].tolist() == encode_pair(TOK, examples[0][0], None, 24).ids
    torch.manual_seed(0)
    clf = BertClassifier(Bert(BertConfig(TOK.vocab_size, max_len=24, d_model=16, n_heads=2, n_layers=1)), 2).train()
    with torch.no_grad():
        clf.classifier.bias.copy_(torch.tensor([0.0, 50.0]))  # always "animal"
    assert classification_accuracy(clf, (ids, segments, labels)) == pytest.approx(2 / 3)
    assert clf.training
    with pytest.raises(ValueError, match="at least one"):
        classification_batch(TOK, [], 24)


def test_figures_and_explorers_build():
    import matplotlib.pyplot as plt

    from course_lib.plots.bert import (plot_accuracy_curves, plot_fill_mask, plot_input_representation,
                                       plot_masking_rates, plot_pretraining)
    from course_lib.training import History
    from course_lib.widgets.bert import fill_mask_explorer, masking_explorer
    torch.manual_seed(0)
    model = Bert(BertConfig(TOK.vocab_size, max_len=24, d_model=16, n_heads=2, n_layers=1))
    plot_input_representation(["[CLS]", "a", "[SEP]", "b", "[SEP]"], [0, 0, 0, 1, 1])
    plot_masking_rates(0.15, 0.8, 0.1, 0.1)
    history = History(steps=[1, 2], train_loss=[3.0, 2.0], val_steps=[0, 2], val_loss=[3.1, 2.1],
                      metrics={"mlm_accuracy": [0.1, 0.3], "nsp_accuracy": [0.5, 0.7]})
    plot_pretraining(history, baseline=0.15)
    plot_fill_mask(fill_mask(model, TOK, "a [MASK] and a [MASK]", 3), "text")
    plot_accuracy_curves({"run": ([0, 5], [0.5, 0.9])})
    with pytest.raises(ValueError, match="pretraining_metrics"):
        plot_pretraining(History())
    box = fill_mask_explorer(model, TOK, "Tom saw a [MASK].")
    box.controls["text"].value = "no mask here"  # a clear message, not a traceback
    masking_explorer(TOK, "Tom saw a dog.", "It ran to him.").controls["mlm_prob"].value = 1.0
    plt.close("all")

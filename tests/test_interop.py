"""course_lib.interop: Hugging Face checkpoints in the course's classes, checked against the real library.

Small randomly initialised Hugging Face models (built from configs, no download) are converted; logits
and attention weights must agree with the Hugging Face forward pass to float32 tolerance, with padding.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch.testing import assert_close

tf = pytest.importorskip("transformers")

from course_lib.bert import Bert, BertConfig  # noqa: E402
from course_lib.gpt import GPT, GPTConfig  # noqa: E402
from course_lib.interop import (  # noqa: E402
    bert_from_hf,
    copy_,
    gpt2_config,
    gpt2_from_hf,
    load_bert,
    load_gpt2,
    load_marian,
    load_pretrained,
    marian_config,
    marian_from_hf,
)
from course_lib.positional import sinusoidal_table  # noqa: E402
from course_lib.transformer import EncoderDecoder, TransformerConfig, greedy_decode  # noqa: E402

TOL = dict(rtol=1e-4, atol=1e-5)  # float32: different summation orders, same maths


def _eager(model):
    model.config._attn_implementation = "eager"  # returns attention weights
    return model.eval()


def _hf_gpt2(seed=0, **changes):
    torch.manual_seed(seed)
    config = tf.GPT2Config(vocab_size=97, n_positions=32, n_embd=48, n_layer=2, n_head=4, bos_token_id=0,
                           eos_token_id=0, **changes)
    return _eager(tf.GPT2LMHeadModel(config))


def _hf_bert(seed=0):
    torch.manual_seed(seed)
    config = tf.BertConfig(vocab_size=120, hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=96, max_position_embeddings=40, pad_token_id=0)
    return _eager(tf.BertForPreTraining(config))


def _hf_marian(seed=0, **changes):
    torch.manual_seed(seed)
    settings = dict(vocab_size=61, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                    decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=40,
                    activation_function="swish", scale_embedding=True, pad_token_id=60, decoder_start_token_id=60,
                    eos_token_id=0, forced_eos_token_id=None)
    hf = _eager(tf.MarianMTModel(tf.MarianConfig(**{**settings, **changes})))
    with torch.no_grad():
        hf.final_logits_bias.normal_(0.0, 1.0)  # zeros in a fresh model: make the bias matter
    return hf


def _right_padded(B, T, vocab, pad, lengths, low=1):
    ids = torch.randint(low, vocab, (B, T))
    for b, n in enumerate(lengths):
        ids[b, n:] = pad
    return ids, (ids != pad).long()


def test_import_never_needs_transformers():
    code = ("import sys; sys.modules['transformers'] = None\n"
            "import course_lib, course_lib.interop, course_lib.gpt, course_lib.bert, course_lib.transformer\n"
            "from course_lib.interop import require_transformers\n"
            "try:\n    require_transformers()\nexcept ImportError as e:\n    print('ImportError', 'pip install' in str(e))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ImportError True"
    code = "import sys, course_lib.interop; print('transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_gpt2_logits_and_attention_match_with_padding():
    hf = _hf_gpt2()
    ours = gpt2_from_hf(hf)
    assert ours.config.activation == "gelu_tanh" and ours.config.layer_norm_eps == 1e-5
    torch.manual_seed(1)
    lengths = [11, 7, 3]
    ids, mask = _right_padded(3, 11, 97, pad=0, lengths=lengths)
    with torch.no_grad():
        theirs = hf(ids, attention_mask=mask, output_attentions=True)
        logits, attentions = ours(ids, need_weights=True)
    for b, n in enumerate(lengths):  # right padding: real positions never see it (causal)
        assert_close(logits[b, :n], theirs.logits[b, :n], **TOL)
        for mine, ref in zip(attentions, theirs.attentions):
            assert_close(mine[b, :, :n, :n], ref[b, :, :n, :n], **TOL)
    assert ours.head.weight is ours.tok_emb.weight  # still tied after loading


def test_gpt2_bias_free_of_conv1d_transpose_mistakes():
    """A square Conv1D (c_proj) copied without the transpose would still fit: the logits must catch it."""
    hf = _hf_gpt2(seed=3)
    ours = gpt2_from_hf(hf)
    with torch.no_grad():
        ids = torch.randint(0, 97, (2, 9))
        assert_close(ours(ids).logits, hf(ids).logits, **TOL)
        ours.blocks[0].self_attn.out.weight.copy_(hf.transformer.h[0].attn.c_proj.weight)  # the mistake
        assert not torch.allclose(ours(ids).logits, hf(ids).logits, atol=1e-4)


def test_bert_mlm_nsp_and_attention_match_with_attention_mask():
    hf = _hf_bert()
    ours = bert_from_hf(hf)
    torch.manual_seed(2)
    ids, mask = _right_padded(3, 12, 120, pad=0, lengths=[12, 8, 5], low=5)
    ids[:, 0] = 1  # [CLS] in this small vocabulary
    segments = torch.zeros_like(ids)
    segments[:, 4:] = 1
    segments = segments * mask
    with torch.no_grad():
        theirs = hf(ids, attention_mask=mask, token_type_ids=segments, output_attentions=True)
        out = ours(ids, segments, attention_mask=mask, need_weights=True)
    assert_close(out.logits, theirs.prediction_logits, **TOL)
    assert_close(out.nsp_logits, theirs.seq_relationship_logits, **TOL)
    assert len(out.attentions) == len(theirs.attentions) == 2
    for mine, ref in zip(out.attentions, theirs.attentions):
        assert_close(mine, ref, **TOL)
        assert float(mine[1, :, :, 8:].abs().max()) == 0.0  # nobody attends to padding
    assert ours.mlm_head.decoder.weight is ours.embeddings.tokens.weight


def test_sinusoidal_halves_is_marians_table():
    hf = _hf_marian()
    table = hf.model.encoder.embed_positions.create_weight()  # (40, 32)
    assert_close(sinusoidal_table(40, 32, layout="halves"), table, rtol=0, atol=1e-6)
    assert not torch.allclose(sinusoidal_table(40, 32), table, atol=1e-3)  # the default layout differs
    with pytest.raises(ValueError, match="layout"):
        sinusoidal_table(4, 8, layout="sideways")


def test_marian_logits_and_attention_match_with_source_padding():
    hf = _hf_marian()
    ours = marian_from_hf(hf)
    c = ours.config
    assert (c.activation, c.sinusoidal_layout, c.decoder_start_id, c.share_embeddings) == ("silu", "halves", 60, True)
    torch.manual_seed(3)
    src, src_mask = _right_padded(3, 10, 60, pad=60, lengths=[10, 6, 2])
    tgt_in = torch.randint(1, 60, (3, 7))
    tgt_in[:, 0] = 60  # decoding starts from the pad id
    with torch.no_grad():
        theirs = hf(input_ids=src, attention_mask=src_mask, decoder_input_ids=tgt_in, output_attentions=True)
        logits, att = ours(src, tgt_in, need_weights=True)
    assert_close(logits, theirs.logits, **TOL)
    for mine, ref in [*zip(att.encoder, theirs.encoder_attentions), *zip(att.decoder, theirs.decoder_attentions),
                      *zip(att.cross, theirs.cross_attentions)]:
        assert_close(mine, ref, **TOL)
    assert_close(ours.final_logits_bias, hf.final_logits_bias[0])


def test_marian_greedy_translation_matches_generate():
    hf = _hf_marian(seed=4)
    ours = marian_from_hf(hf)
    torch.manual_seed(5)
    src, src_mask = _right_padded(4, 9, 60, pad=60, lengths=[9, 5, 7, 3])
    hf.generation_config.bad_words_ids = [[hf.config.pad_token_id]]  # as the published checkpoints do
    assert ours.config.never_generate == (hf.config.pad_token_id,)
    with torch.no_grad():
        generated = hf.generate(input_ids=src, attention_mask=src_mask, num_beams=1, do_sample=False,
                                max_new_tokens=12)
    mine = greedy_decode(ours, src, max_len=12)
    for row, ref in zip(mine, generated[:, 1:].tolist()):  # generate's rows start with the start token
        expected = ref[:ref.index(0) + 1] if 0 in ref else ref
        assert row == expected


def test_marian_unshared_vocabularies_and_untied_head():
    hf = _hf_marian(seed=6, share_encoder_decoder_embeddings=False, decoder_vocab_size=70, tie_word_embeddings=False)
    ours = marian_from_hf(hf)
    assert ours.config.tgt_vocab_size == 70
    src = torch.randint(1, 60, (2, 5))
    tgt_in = torch.randint(1, 60, (2, 4))
    with torch.no_grad():
        assert_close(ours(src, tgt_in).logits, hf(input_ids=src, decoder_input_ids=tgt_in).logits, **TOL)


def test_shape_mismatch_names_the_tensor():
    hf = _hf_gpt2()
    wrong = GPT(GPTConfig(vocab_size=97, max_len=32, d_model=48, n_heads=4, n_layers=2, d_ff=100,
                          activation="gelu_tanh"))
    with pytest.raises(ValueError, match=r"transformer\.h\.0\.mlp\.c_fc\.weight.*\(48, 192\).*\(100, 48\)"):
        load_gpt2(wrong, hf)
    bert = Bert(BertConfig(vocab_size=121, d_model=48, n_heads=4, n_layers=2, d_ff=96, max_len=40))
    with pytest.raises(ValueError, match=r"bert\.embeddings\.word_embeddings\.weight.*\(120, 48\).*\(121, 48\)"):
        load_bert(bert, _hf_bert())
    marian = EncoderDecoder(marian_config(_hf_marian(encoder_layers=1, decoder_layers=1).config))
    with pytest.raises(ValueError, match=r"has 2 layers \(model\.encoder\.layers\.\*\), ours has 1 \(encoder\.blocks\)"):
        load_marian(marian, _hf_marian())
    with pytest.raises(ValueError, match=r"'some\.tensor' of shape \(2, 3\).*shape \(3, 2\)"):
        copy_("some.tensor", torch.zeros(3, 2), torch.zeros(2, 3))


def test_bad_inputs():
    with pytest.raises(TypeError, match="GPT2LMHeadModel"):
        gpt2_from_hf(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="BertForPreTraining"):
        bert_from_hf(_hf_gpt2())
    with pytest.raises(ValueError, match="empty"):
        marian_from_hf("  ")
    with pytest.raises(ValueError, match="scale_attn_by_inverse_layer_idx"):
        gpt2_config(tf.GPT2Config(scale_attn_by_inverse_layer_idx=True))
    with pytest.raises(ValueError, match="kind must be one of"):
        load_pretrained("t5")
    with pytest.raises(ValueError, match="name must be None"):
        load_pretrained("gpt2", name="")


def test_load_pretrained_offline_says_why_and_returns_no_model(monkeypatch, capsys):
    """Never random weights passed off as a model: no checkpoint, one line, None."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert load_pretrained("gpt2") is None
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gpt2: not loaded") and "COURSE_OFFLINE" in lines[0]


def test_new_switches_keep_defaults_and_reject_bad_values():
    from transformers.activations import ACT2FN

    from course_lib.blocks import ACTIVATIONS
    from course_lib.positional import SinusoidalPositionalEncoding
    from course_lib.transformer import TransformerConfig

    x = torch.linspace(-5, 5, 101, dtype=torch.float64)
    assert_close(ACTIVATIONS["gelu_tanh"]()(x), ACT2FN["gelu_new"](x))
    assert_close(ACTIVATIONS["silu"]()(x), ACT2FN["swish"](x))
    assert GPTConfig(vocab_size=5).activation == "gelu" and TransformerConfig(20, 20).sinusoidal_layout == "interleaved"
    assert torch.equal(SinusoidalPositionalEncoding(6, 8).pe, sinusoidal_table(6, 8))
    with pytest.raises(ValueError, match="GPTConfig.activation"):
        GPTConfig(vocab_size=5, activation="swish")
    with pytest.raises(ValueError, match="sinusoidal_layout"):
        TransformerConfig(20, 20, sinusoidal_layout="sideways")


def test_scale_counts_match_the_papers_and_real_models():
    from course_lib.interop import MODELS, count_params, scale_table, training_flops

    rows = {r["name"]: r for r in scale_table()}
    for name, row in rows.items():
        assert abs(row["ratio"] - 1) < 0.03, (name, row)  # within 3% of the published count
    assert abs(rows["GPT-3"]["flops"] / 3.14e23 - 1) < 0.01  # the GPT-3 paper's training compute
    # the count of a real (random) Hugging Face model of the same shape, scaled down
    hf = tf.BertForPreTraining(tf.BertConfig(vocab_size=300, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                             intermediate_size=128, max_position_embeddings=64))
    assert bert_from_hf(hf).num_params() == sum(p.numel() for p in hf.parameters())
    assert "GPT-2 small" in MODELS and count_params("GPT-2 small") == 124_439_808
    with pytest.raises(ValueError, match="name must be one of"):
        count_params("GPT-5")
    with pytest.raises(ValueError, match="positive"):
        training_flops(0, 10)


# --- defects that once loaded silently and gave wrong outputs ---------------------------------------------------

def test_marian_untied_embeddings_use_their_own_tables():
    """tie_word_embeddings=False: model.shared, the encoder's, the decoder's tables and lm_head all differ."""
    hf = _hf_marian(seed=7, tie_word_embeddings=False)
    enc, dec = hf.model.encoder.embed_tokens.weight, hf.model.decoder.embed_tokens.weight
    assert not torch.equal(enc, dec) and not torch.equal(enc, hf.model.shared.weight)
    ours = marian_from_hf(hf)
    assert ours.config.share_embeddings is False and ours.config.tie_output is False
    torch.manual_seed(8)
    src, src_mask = _right_padded(2, 6, 60, pad=60, lengths=[6, 4])
    tgt_in = torch.randint(1, 60, (2, 5))
    with torch.no_grad():
        assert_close(ours(src, tgt_in).logits,
                     hf(input_ids=src, attention_mask=src_mask, decoder_input_ids=tgt_in).logits, **TOL)
    shared = EncoderDecoder(marian_config(hf.config, share_embeddings=True, tie_output=True))  # one table for three
    with pytest.raises(ValueError, match="share_embeddings=True but the Marian checkpoint has share_embeddings=False"):
        load_marian(shared, hf)


def test_gpt2_with_other_n_heads_is_refused():
    hf = _hf_gpt2()  # 4 heads
    other = GPT(GPTConfig(**{**gpt2_config(hf.config).to_dict(), "n_heads": 2}))  # same shapes, other split
    with pytest.raises(ValueError, match="n_heads=2 but the GPT-2 checkpoint has n_heads=4"):
        load_gpt2(other, hf)
    bert = Bert(BertConfig(vocab_size=120, d_model=48, n_heads=2, n_layers=2, d_ff=96, max_len=40))
    with pytest.raises(ValueError, match="n_heads=2 but the BERT checkpoint has n_heads=4"):
        load_bert(bert, _hf_bert())
    marian = EncoderDecoder(TransformerConfig(**{**marian_config(_hf_marian().config).to_dict(), "n_heads": 2}))
    with pytest.raises(ValueError, match="n_heads=2 but the Marian checkpoint has n_heads=4"):
        load_marian(marian, _hf_marian())


def test_one_public_name_per_meaning():
    import course_lib.interop as interop
    from course_lib.bert import fill_mask
    from course_lib.transformer import Translation

    assert not hasattr(interop, "fill_mask") and not hasattr(interop, "Translation")
    assert interop.fill_mask_hf is not fill_mask
    # MarianTranslation's token lists mean what the course's Translation's mean
    assert [f for f in interop.MarianTranslation._fields if f in Translation.__dataclass_fields__] == \
        ["text", "source_tokens", "output_tokens", "decoder_tokens", "attentions"]


# --- one table per family, and the converter is a loop over it ------------------------------------------------

@pytest.mark.parametrize("family", ["gpt2", "bert", "marian"])
def test_every_parameter_is_written_by_the_table(family, monkeypatch):
    import course_lib.interop.gpt2 as gpt2_module
    import course_lib.interop.marian as marian_module
    from course_lib.bert import HF_NAMES as bert_names

    hf, convert, table = {"gpt2": (_hf_gpt2(), gpt2_from_hf, gpt2_module.HF_NAMES),
                          "bert": (_hf_bert(), bert_from_hf, bert_names),
                          "marian": (_hf_marian(), marian_from_hf, marian_module.HF_NAMES)}[family]
    convert(hf)  # complete: nothing is left at its random initialisation
    row = next(k for k in table if k.endswith("norm1"))
    monkeypatch.delitem(table, row)  # the converter reads this very table: a row fewer is an error
    with pytest.raises(ValueError, match=r"no row of the conversion table writes our \['(encoder\.)?blocks\.0\.norm1"):
        convert(hf)


def test_fill_mask_hf_with_a_small_bert_tokenizer(tmp_path):
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "."]
    (tmp_path / "vocab.txt").write_text("\n".join(tokens) + "\n")
    tok = tf.BertTokenizerFast(vocab=str(tmp_path / "vocab.txt"))
    assert tok("the cat [MASK] on the mat.")["input_ids"] == [2, 5, 6, 4, 8, 5, 9, 10, 3]  # no [UNK]
    torch.manual_seed(0)
    hf = _eager(tf.BertForPreTraining(tf.BertConfig(vocab_size=len(tokens), hidden_size=32, num_hidden_layers=1,
                                                    num_attention_heads=2, intermediate_size=64,
                                                    max_position_embeddings=16, pad_token_id=0)))
    from course_lib.interop import fill_mask_hf

    ours = bert_from_hf(hf, cls_id=2, sep_id=3, mask_id=4)
    ours.train()
    got = fill_mask_hf(ours, tok, "the cat [MASK] on the mat.", top_k=3)
    assert ours.training  # its mode is given back
    enc = tok("the cat [MASK] on the mat.", return_tensors="pt")
    with torch.no_grad():
        probs = hf(**enc).prediction_logits[0, 3].softmax(-1)
    assert [t for t, _ in got[0]] == tok.convert_ids_to_tokens(probs.topk(3).indices.tolist())
    with pytest.raises(ValueError, match="top_k"):
        fill_mask_hf(ours, tok, "the [MASK].", top_k=0)

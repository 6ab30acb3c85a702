"""Notebook 11's online path without the network: random Hugging Face GPT-2, BERT and Marian models and their
tokenizers are written to a folder with save_pretrained, and the functions the notebook calls load them from
there (load_pretrained with a folder instead of a hub name). Only the download itself is left untested."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from torch.testing import assert_close

tf = pytest.importorskip("transformers")

from course_lib.gpt import generate  # noqa: E402
from course_lib.interop import fill_mask_hf, load_pretrained, translate_text  # noqa: E402
from course_lib.transformer import greedy_decode  # noqa: E402

TOL = dict(rtol=1e-4, atol=1e-5)
WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "."]


def _gpt2_folder(path):
    from tokenizers import pre_tokenizers

    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}  # all 256 bytes
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("Ġ", "c"), ("Ġc", "a"), ("Ġca", "t")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    tok = tf.GPT2TokenizerFast(vocab=vocab, merges=merges)
    torch.manual_seed(0)
    model = tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=2, n_head=4,
                                             bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id))
    tok.save_pretrained(path)
    model.save_pretrained(path)
    return path


def _bert_folder(path):
    (path / "vocab.txt").parent.mkdir(parents=True, exist_ok=True)
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tok = tf.BertTokenizerFast(vocab=str(path / "vocab.txt"))
    torch.manual_seed(1)
    model = tf.BertForPreTraining(tf.BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2,
                                                num_attention_heads=4, intermediate_size=64,
                                                max_position_embeddings=32, pad_token_id=0))
    tok.save_pretrained(path)
    model.save_pretrained(path)
    return path


def test_gpt2_from_a_local_folder(tmp_path, capsys):
    got = load_pretrained("gpt2", name=_gpt2_folder(tmp_path / "gpt2"))
    assert got is not None and capsys.readouterr().out == ""
    ids = got.tokenizer("the cat the cat", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert_close(got.model(ids).logits, got.hf_model(ids).logits, **TOL)
        theirs = got.hf_model.generate(ids, max_new_tokens=8, do_sample=False, pad_token_id=0)
    ours = generate(got.model, ids[0], max_new_tokens=8, top_k=1)  # greedy, as the notebook's few-shot cell
    assert ours.tolist() == theirs[0].tolist()


def test_bert_from_a_local_folder(tmp_path):
    got = load_pretrained("bert", name=_bert_folder(tmp_path / "bert"))
    assert (got.model.config.cls_id, got.model.config.sep_id, got.model.config.mask_id) == (2, 3, 4)
    enc = got.tokenizer(["the cat sat on the mat .", "a dog ran"], ["the dog ran", "to the park"],
                        return_tensors="pt", padding=True)
    with torch.no_grad():
        mine = got.model(enc["input_ids"], enc["token_type_ids"], attention_mask=enc["attention_mask"])
        theirs = got.hf_model(**enc)
    assert_close(mine.logits, theirs.prediction_logits, **TOL)
    assert_close(mine.nsp_logits, theirs.seq_relationship_logits, **TOL)
    top = fill_mask_hf(got.model, got.tokenizer, "the cat [MASK] on the mat.", top_k=3)
    assert len(top) == 1 and len(top[0]) == 3


def test_marian_from_a_local_folder(tmp_path):
    if importlib.util.find_spec("sentencepiece") is None:
        pytest.skip("sentencepiece is not installed: MarianTokenizer cannot be built (pip install sentencepiece)")
    import sentencepiece as spm

    text = tmp_path / "text.txt"
    text.write_text("\n".join(" ".join(WORDS[i:] + WORDS[:i]) for i in range(len(WORDS))) * 20)
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(tmp_path / "sp"), vocab_size=24, minloglevel=2,
                                   model_type="unigram", bos_id=-1, eos_id=0, unk_id=1, pad_id=-1)
    vocab = {p: i for i, p in enumerate(spm.SentencePieceProcessor(model_file=str(tmp_path / "sp.model"))
                                        .id_to_piece(j) for j in range(24))}
    vocab["<pad>"] = len(vocab)
    import json

    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    tok = tf.MarianTokenizer(str(tmp_path / "sp.model"), str(tmp_path / "sp.model"), str(tmp_path / "vocab.json"))
    torch.manual_seed(2)
    pad = tok.pad_token_id
    model = tf.MarianMTModel(tf.MarianConfig(vocab_size=len(tok), d_model=32, encoder_layers=2, decoder_layers=2,
                                             encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                                             decoder_ffn_dim=64, max_position_embeddings=32, pad_token_id=pad,
                                             decoder_start_token_id=pad, eos_token_id=tok.eos_token_id))
    folder = tmp_path / "marian"
    tok.save_pretrained(folder)
    model.save_pretrained(folder)
    got = load_pretrained("marian", name=folder)
    src = got.tokenizer(["the cat sat", "a dog"], return_tensors="pt", padding=True)
    tgt_in = torch.full((2, 1), got.model.config.decoder_start_id)
    with torch.no_grad():
        assert_close(got.model(src["input_ids"], tgt_in).logits,
                     got.hf_model(**src, decoder_input_ids=tgt_in).logits, **TOL)
    out = translate_text(got.model, got.tokenizer, "the cat sat", max_len=8, need_weights=True)
    assert out.ids == greedy_decode(got.model, src["input_ids"][:1, :src["attention_mask"][0].sum()], 8)[0]
    assert len(out.output_tokens) == len(out.decoder_tokens) == len(out.ids)


def test_a_missing_folder_or_offline_hub_name_is_one_line_and_none(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert load_pretrained("bert", name=str(tmp_path / "nowhere")) is None
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "not loaded" in out[0]

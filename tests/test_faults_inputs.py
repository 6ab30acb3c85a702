"""Every bad input named: each call below once crashed deep inside torch or Python, hung, or silently did
the wrong thing; now it raises a ValueError or TypeError from course_lib that names the argument, what it
got and what was expected. Inputs that were already reported clearly are kept here too, so they stay so.
Modules: runtime, training, data (batches, corpora), transformer (bleu, translate), bert (pretraining data,
masking) and the GPT training script's options."""

from __future__ import annotations

import pathlib
import threading

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import runtime
from course_lib.bert import PretrainingBatches, VocabInfo, encode_pair, mask_tokens, sentence_pairs
from course_lib.data import load_corpus, random_batches, synthetic_stories, train_val_split
from course_lib.tokenization import BPETokenizer, WordTokenizer
from course_lib.training import TrainConfig, load_checkpoint, save_checkpoint, train
from course_lib.transformer import (
    EncoderDecoder,
    TransformerConfig,
    bleu,
    encode_pairs,
    load_translator,
    save_translator,
    translate,
    translate_batch,
)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def loss(self, x, y):
        return F.mse_loss(self.lin(x), y)


def tiny_batch(split, i):
    return torch.ones(2, 4), torch.zeros(2, 4)


class NotAModule:
    def loss(self, x, y):
        return x.sum()


FEW = TrainConfig(max_steps=2, warmup_steps=1, eval_steps=0)
VOCAB = VocabInfo(vocab_size=20, mask_id=4, special_ids=tuple(range(7)))
STORIES = synthetic_stories(12, seed=1)
WORDS = WordTokenizer.train([s for story in STORIES for s in story])


def bpe(special_tokens=None):
    text = " ".join(s for story in STORIES for s in story)
    kw = {} if special_tokens is None else {"special_tokens": special_tokens}
    return BPETokenizer.train(text, 300, **kw)


@pytest.fixture(scope="module")
def translator():
    torch.manual_seed(0)
    pairs = [("the ball", "la pelota"), ("the cat", "el gato")]
    en = WordTokenizer.train([p[0] for p in pairs])
    es = WordTokenizer.train([p[1] for p in pairs])
    config = TransformerConfig(en.vocab_size, es.vocab_size, d_model=8, n_heads=2, d_ff=16, n_layers=1, max_len=6)
    return EncoderDecoder(config), en, es


# (call, error, message): the message must name the argument and the value or kind of value it got.
CASES = {
    # runtime
    "pick_device('gpu')": (lambda: runtime.pick_device("gpu"), ValueError,
                           r"prefer must be a device name: 'cpu', 'cuda', 'cuda:<index>' or 'mps' .*got 'gpu'"),
    "pick_device(3)": (lambda: runtime.pick_device(3), TypeError, r"prefer must be a device name .*got int 3"),
    "setup(device='gpu')": (lambda: runtime.setup(device="gpu", verbose=False), ValueError,
                            r"device must be a device name.*got 'gpu'"),
    "preset_for('gpu')": (lambda: runtime.preset_for("gpu"), ValueError, r"device must be a device name"),
    "set_seed(2**40)": (lambda: runtime.set_seed(2**40), ValueError, r"seed must be a non-negative int below 2\*\*32"),
    # training
    "TrainConfig(checkpoint_every=5)": (lambda: TrainConfig(checkpoint_every=5), ValueError,
                                        r"TrainConfig\.checkpoint_every must be 0 without a checkpoint_path.*got 5"),
    "TrainConfig(checkpoint_path='')": (lambda: TrainConfig(checkpoint_path=""), ValueError,
                                        r"TrainConfig\.checkpoint_path must be None or a file path"),
    "train(eval_fn=5)": (lambda: train(Tiny(), tiny_batch, FEW, eval_fn=5, verbose=False), TypeError,
                         r"eval_fn must be a function \(or None\), got int"),
    "train(callback='plot')": (lambda: train(Tiny(), tiny_batch, FEW, callback="plot", verbose=False), TypeError,
                               r"callback must be a function \(or None\), got str"),
    "train(flops_per_token='6N')": (lambda: train(Tiny(), tiny_batch, FEW, flops_per_token="6N", verbose=False),
                                    ValueError, r"flops_per_token must be a number > 0.*got '6N'"),
    "train(device='gpu')": (lambda: train(Tiny(), tiny_batch, FEW, device="gpu", verbose=False), ValueError,
                            r"device name.*got 'gpu'"),
    "train(a model that is not a Module)": (lambda: train(NotAModule(), tiny_batch, FEW, verbose=False), TypeError,
                                            r"model must be a torch.nn.Module, got NotAModule"),
    "load_checkpoint(None)": (lambda: load_checkpoint(None), TypeError, r"path must be a file path .*got None"),
    "save_checkpoint(a folder)": (lambda: save_checkpoint(pathlib.Path.cwd(), Tiny()), IsADirectoryError,
                                  r"path '.*' is a folder, not a checkpoint file"),
    # data
    "train_val_split(val_fraction='0.1')": (lambda: train_val_split(torch.arange(10), "0.1"), ValueError,
                                            r"val_fraction must be a number between 0 and 1.*got '0.1'"),
    "random_batches(generator=0)": (lambda: random_batches(torch.arange(50), 8, 2, 0), TypeError,
                                    r"generator must be a torch.Generator \(or None\), got int"),
    "load_corpus('synthetic', n_stories=0)": (lambda: load_corpus("synthetic", n_stories=0), ValueError,
                                              r"n_stories must be an int >= 1 .*got 0"),
    "load_corpus(sha256='abc')": (lambda: load_corpus(sha256="abc"), ValueError,
                                  r"sha256 must be 64 hexadecimal digits .*got 'abc'"),
    "load_corpus(timeout=True)": (lambda: load_corpus(timeout=True), ValueError,
                                  r"timeout must be a positive number of seconds, got True"),
    "load_corpus(size=-1)": (lambda: load_corpus(size=-1), ValueError,
                             r"size must be None or the file's size in bytes \(an int >= 1\), got -1"),
    "load_corpus(cache_dir=a file)": (lambda: load_corpus(cache_dir=__file__), ValueError,
                                      r"cache_dir must be a folder, got the file"),
    "load_corpus('TinyShakespeare')": (lambda: load_corpus("TinyShakespeare"), ValueError,
                                       r"name must be one of \['synthetic', 'tinyshakespeare'\]"),
    # bleu
    "bleu(references=[None])": (lambda: bleu(["a b"], [None]), TypeError,
                                r"references\[0\] must be a str or a non-empty list of str, got None"),
    "bleu(references=[5])": (lambda: bleu(["a b"], [5]), TypeError, r"references\[0\] must be a str"),
    "bleu(hypotheses=['a', None])": (lambda: bleu(["a", None], ["a", "b"]), TypeError,
                                     r"hypotheses\[1\] must be a str \(one translated sentence\), got NoneType"),
    "bleu(hypotheses=[token list])": (lambda: bleu([["la", "casa"]], ["la casa"]), TypeError,
                                      r"hypotheses\[0\] must be a str.*join a list of tokens"),
    "bleu(lowercase='yes')": (lambda: bleu(["a"], ["a"], lowercase="yes"), TypeError,
                              r"lowercase must be True or False, got 'yes'"),
    "bleu([], [])": (lambda: bleu([], []), ValueError, r"hypotheses must not be empty"),
    # bert: masking and pretraining data
    "VocabInfo(mask_id >= vocab_size)": (lambda: VocabInfo(10, 12, (0, 1)), ValueError,
                                         r"mask_id must be an id in \[0, vocab_size=10\), got 12"),
    "VocabInfo(special_ids out of range)": (lambda: VocabInfo(10, 4, (0, 4, 30)), ValueError,
                                            r"special_ids must be ids in \[0, vocab_size=10\), got \[30\]"),
    "mask_tokens(every id special)": (lambda: mask_tokens(torch.tensor([[0, 1]]), VocabInfo(2, 1, (0, 1)), 0.5),
                                      ValueError, r"vocab has no ordinary ids: all 2 ids are in special_ids"),
    "mask_tokens(generator=0)": (lambda: mask_tokens(torch.tensor([[8, 9]]), VOCAB, 0.5, 0), TypeError,
                                 r"generator must be a torch.Generator"),
    "VocabInfo.from_tokenizer(BPE without [MASK])": (
        lambda: VocabInfo.from_tokenizer(bpe(special_tokens=["<|endoftext|>"])), ValueError,
        r"the tokenizer has no \[MASK\] token \(its special tokens: \['<\|endoftext\|>'\]\)"),
    "sentence_pairs('text')": (lambda: sentence_pairs("Tom ran. He fell."), TypeError,
                               r"stories must be a list of stories, each a list of sentences, got str"),
    "sentence_pairs(stories as strings)": (lambda: sentence_pairs(["Tom ran. He fell.", "Ann sat. She ate."]),
                                           TypeError, r"stories\[0\] must be a list of sentences, got str"),
    "PretrainingBatches(mlm_prob='0.15')": (
        lambda: PretrainingBatches(WORDS, sentence_pairs(STORIES), sentence_pairs(STORIES), 32, 4, "0.15"),
        ValueError, r"mlm_prob must be a probability in \[0, 1\], got '0.15'"),
    "PretrainingBatches(...)('train', 2.5)": (
        lambda: PretrainingBatches(WORDS, sentence_pairs(STORIES), sentence_pairs(STORIES), 32, 4)("train", 2.5),
        ValueError, r"i must be a batch index \(an int >= 0\), got 2.5"),
    "encode_pair(max_len='64')": (lambda: encode_pair(WORDS, "a", "b", "64"), ValueError, r"max_len must be an int"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_named(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    call, error, message = CASES[name]
    with pytest.raises(error, match=message):
        call()


def test_course_device_from_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "gpu")
    with pytest.raises(ValueError, match=r"the environment variable COURSE_DEVICE must be a device name.*'gpu'"):
        runtime.pick_device()


@pytest.mark.skipif(getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
                    reason="needs a machine without Apple MPS")
def test_missing_mps_is_refused_like_missing_cuda(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    with pytest.raises(RuntimeError, match=r"device 'mps' was asked for \(prefer\) but Apple MPS is not available"):
        runtime.pick_device("mps")


# ----------------------------------------------------------------------------- BPE vocabularies in BERT's data
def test_vocab_info_from_a_bpe_tokenizer():
    tok = bpe()
    info = VocabInfo.from_tokenizer(tok)
    assert info.vocab_size == tok.vocab_size and info.mask_id == tok.token_to_id("[MASK]")
    assert info.special_ids == tuple(sorted(tok.special_tokens.values()))
    ids = torch.tensor([tok.encode("Tom found a red ball.")])
    out, labels = mask_tokens(ids, tok, 1.0, torch.Generator().manual_seed(0))
    assert bool((labels == ids).all()) and int(out.max()) < tok.vocab_size


def test_pretraining_batches_on_a_bpe_vocabulary():
    tok = bpe()
    pairs = sentence_pairs(STORIES, 0)
    batches = PretrainingBatches(tok, pairs[:20], pairs[20:30], max_len=48, batch_size=4)
    ids, segments, mlm_labels, _ = batches("train", 0)
    assert ids.shape == segments.shape == mlm_labels.shape and ids.shape[0] == 4
    assert int(ids[0, 0]) == tok.token_to_id("[CLS]") and int(ids.max()) < tok.vocab_size


def test_mask_tokens_on_special_tokens_only_changes_nothing():
    ids = torch.tensor([[0, 2, 3, 0]])
    out, labels = mask_tokens(ids, VOCAB, 1.0)
    assert torch.equal(out, ids) and bool((labels == -100).all())


# ----------------------------------------------------------------------------- sentence pairs that cannot be made
def test_sentence_pairs_without_any_possible_other_sentence_is_an_error_not_a_hang():
    stories = [["Tom ran.", "Ann sat."] * 10, ["Ann sat."], ["Tom ran."]]  # story 0 holds every other sentence
    result = {}
    worker = threading.Thread(target=lambda: result.update(out=_catch(lambda: sentence_pairs(stories, 1))),
                              daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "sentence_pairs never returns (it draws b forever)"
    err = result["out"]
    assert isinstance(err, ValueError) and "stories[0] contains every sentence of the other stories" in str(err)


def _catch(call):
    try:
        return call()
    except Exception as err:
        return err


def test_sentence_pairs_are_unchanged_where_other_sentences_exist():
    stories = [["Tom ran.", "Ann sat.", "Bo hid."], ["Ann sat.", "Cy ate."], ["Tom ran."]]
    pairs = sentence_pairs(stories, 3)
    assert all(p.b not in stories[k] for p, k in zip(pairs, [0, 0, 1]) if not p.is_next)


# ----------------------------------------------------------------------------- translation
def test_encode_pairs_that_all_are_too_long_is_an_error(translator):
    model, en, es = translator
    with pytest.raises(ValueError, match=r"pairs must hold at least one pair that fits max_len=6 tokens: all 1 "
                                         r"are longer \(the shortest needs 7 tokens\)"):
        encode_pairs([("the ball the ball the ball", "la pelota")], en, es, model.config)
    with pytest.raises(ValueError, match=r"it is empty"):
        encode_pairs([], en, es, model.config)
    with pytest.raises(TypeError, match=r"pairs\[1\] must be a \(source, target\) pair of str, got \('the cat',\)"):
        encode_pairs([("the cat", "el gato"), ("the cat",)], en, es, model.config)


@pytest.mark.parametrize("call, error, message", [
    (lambda m, en, es: translate_batch(m, en, es, "the ball"), TypeError,
     r"texts must be a list of sentences \(use translate for one\), got str"),
    (lambda m, en, es: translate_batch(m, en, es, ["the ball"], batch_size=0), ValueError,
     r"batch_size must be a positive int, got 0"),
    (lambda m, en, es: translate(m, en, es, "the ball", beam_size=0), ValueError,
     r"beam_size must be a positive int \(1: greedy\), got 0"),
    (lambda m, en, es: translate(m, en, es, "the ball", max_len=-1), ValueError,
     r"max_len must be None or a positive int"),
    (lambda m, en, es: save_translator(pathlib.Path.cwd(), m, en, es), IsADirectoryError,
     r"path '.*' is a folder, not a saved translator file"),
    (lambda m, en, es: load_translator(pathlib.Path.cwd()), IsADirectoryError,
     r"path '.*' is a folder, not a saved translator file"),
])
def test_translation_bad_input(translator, tmp_path, monkeypatch, call, error, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=message):
        call(*translator)


def test_a_damaged_saved_translator_gets_one_clear_error(translator, tmp_path):
    path = save_translator(tmp_path / "t.pt", *translator)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ValueError, match=r"t.pt' is not a readable saved translator: it is not a zip archive"):
        load_translator(path)
    assert [p.name for p in tmp_path.iterdir()] == ["t.pt"]


# ----------------------------------------------------------------------------- the GPT training script
@pytest.mark.parametrize("args, message", [
    (["--checkpoint-every", "5"], "--checkpoint-every needs --out"),
    (["--out", "."], "--out '.' must be a file, not a folder"),
    (["--checkpoint-every", "-1", "--out", "x.pt"], "--checkpoint-every must be 0 or more, got -1"),
    (["--seed", "-3"], "--seed must be 0 or more, got -3"),
])
def test_gpt_script_options_are_checked_before_anything_runs(args, message, capsys, tmp_path, monkeypatch):
    from course_lib.gpt.train import parse_args

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        parse_args(args)
    assert message in capsys.readouterr().err

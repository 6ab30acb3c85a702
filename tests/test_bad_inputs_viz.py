"""Bad inputs to course_lib.viz and course_lib.widgets, as a hostile or careless student would pass them.

Each one is refused by course_lib itself (not deep inside numpy, torch, bertviz or ipywidgets) with an
error that names the argument and says what was expected. Also: the masking explorer's chip notes are
separate elements, so they never run together.
"""

from __future__ import annotations

import functools
import html
import re
import tempfile
from html.parser import HTMLParser

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib import viz
from course_lib.bert import Bert, BertConfig
from course_lib.gpt import GPT, GPTConfig
from course_lib.tokenization import CharTokenizer, WordTokenizer
from course_lib.transformer import EncoderDecoder, TransformerConfig
from course_lib.viz import fallback, offline, static
from course_lib.widgets import (
    attention,
    bert,
    blocks,
    embeddings,
    explorer,
    gpt,
    interop,
    masking,
    modern,
    multihead,
    snapshot,
    tokenization,
    transformer,
)

T, H, L = 5, 2, 2
TOKENS = ["the", "cat", "sat", "on", "mat"]
PAGE = f"{tempfile.gettempdir()}/course-bad-inputs-view.html"  # never written: every call with it is refused
SENTENCES = ["the cat sat on the mat .", "a dog ran to the red barn ."]


def _attentions(B=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.softmax(torch.randn(B, H, T, T, generator=g), dim=-1) for _ in range(L)]


def _with(value, layer=0, at=(0, 0, 0, 0)):
    att = _attentions()
    att[layer][at] = value
    return att


def _blocks():
    return [("", torch.cat(_attentions()).numpy(), TOKENS, TOKENS)]


@functools.cache
def _words():
    return WordTokenizer.train(SENTENCES)


@functools.cache
def _chars():
    return CharTokenizer.train(" ".join(SENTENCES))


@functools.cache
def _gpt():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=_chars().vocab_size, d_model=16, n_heads=2, n_layers=1, max_len=32))


@functools.cache
def _bert():
    torch.manual_seed(0)
    return Bert(BertConfig(vocab_size=_words().vocab_size, max_len=24, d_model=16, n_heads=2, n_layers=1))


@functools.cache
def _translator():
    torch.manual_seed(0)
    n = _words().vocab_size
    return EncoderDecoder(TransformerConfig(src_vocab_size=n, tgt_vocab_size=n, d_model=16, n_heads=2, d_ff=32,
                                            n_layers=1, max_len=24))


def _attend(sentence):
    return _attentions(), TOKENS


def _attend_nothing(sentence):
    if not sentence:
        raise ValueError("type at least one word")
    return _attend(sentence)


def _slider():
    return {"n": w.IntSlider(value=1)}


VIZ = [
    # attention of the wrong rank or shape
    ("head_view: one (T, T) matrix", lambda: viz.head_view(_attentions()[0][0, 0], TOKENS),
     ValueError, r"attentions must be a list over layers .* got a single tensor of shape \(5, 5\)"),
    ("head_view: one (H, T, T) tensor", lambda: viz.head_view(_attentions()[0][0], TOKENS),
     ValueError, r"single tensor of shape \(2, 5, 5\)"),
    ("head_view: a list of (T, T) matrices", lambda: viz.head_view([a[0, 0] for a in _attentions()], TOKENS),
     ValueError, r"attentions\[0\] must be a tensor of shape \(B, H, T_q, T_k\), got \(5, 5\); .*a\[None, None\]"),
    ("head_view: no positions", lambda: viz.head_view([torch.zeros(1, H, 0, 0)], []),
     ValueError, "attentions must have at least one head, query and key"),
    # attention that is not attention weights
    ("head_view: NaN", lambda: viz.head_view(_with(float("nan")), TOKENS),
     ValueError, r"attentions\[0\] holds NaN or inf"),
    ("model_view: inf", lambda: viz.model_view(_with(float("inf"), layer=1), TOKENS),
     ValueError, r"attentions\[1\] holds NaN or inf"),
    ("head_view: scores, not weights", lambda: viz.head_view([torch.randn(1, H, T, T) for _ in range(L)], TOKENS,
                                                             use_bertviz=False),
     ValueError, r"attentions\[0\] must hold attention weights .*not the scores"),
    ("head_view: a boolean mask", lambda: viz.head_view([torch.ones(1, H, T, T, dtype=torch.bool)] * L, TOKENS),
     ValueError, r"each row summing to 1\), got values from 1 to 1 and row sums from 5 to 5"),
    ("head_view: cross-attention with NaN", lambda: viz.head_view(cross_attentions=_with(float("nan")),
                                                                  encoder_tokens=TOKENS, decoder_tokens=TOKENS),
     ValueError, r"cross_attentions\[0\] holds NaN or inf"),
    # tokens that are not strings
    ("head_view: int tokens", lambda: viz.head_view(_attentions(), [1, 2, 3, 4, 5]),
     TypeError, "tokens must be a list of token strings, got int 1 at position 0"),
    ("head_view: None tokens", lambda: viz.head_view(_attentions(), [None] * T),
     TypeError, "tokens must be a list of token strings, got NoneType at position 0"),
    ("head_view: a tensor of ids", lambda: viz.head_view(_attentions(), torch.arange(T)),
     TypeError, "tokens must be a list of 5 token strings, got Tensor"),
    ("head_view: a dict of tokens", lambda: viz.head_view(_attentions(), {t: i for i, t in enumerate(TOKENS)}),
     TypeError, "tokens must be a list of 5 token strings, got dict"),
    # layers and heads
    ("head_view: heads=0", lambda: viz.head_view(_attentions(), TOKENS, heads=0),
     TypeError, r"heads must be a list of 0-based head indices, e\.g\. heads=\[0\], got 0"),
    ("head_view: heads='01'", lambda: viz.head_view(_attentions(), TOKENS, heads="01"),
     TypeError, "heads must be a list of 0-based head indices"),
    ("head_view: heads=[]", lambda: viz.head_view(_attentions(), TOKENS, heads=[]),
     ValueError, "heads must hold at least one head index"),
    ("model_view: layers=1", lambda: viz.model_view(_attentions(), TOKENS, layers=1),
     TypeError, r"layers must be a list of 0-based layer indices, e\.g\. layers=\[0\], got 1"),
    ("model_view: layers=[]", lambda: viz.model_view(_attentions(), TOKENS, layers=[], use_bertviz=False),
     ValueError, "layers must hold at least one layer index"),
    ("head_view: batch_index=True", lambda: viz.head_view(_attentions(B=2), TOKENS, batch_index=True),
     ValueError, r"batch_index must be an int in \[0, 2\)"),
    # sentence pairs and switches
    ("head_view: sentence_b_start past the end", lambda: viz.head_view(_attentions(), TOKENS, sentence_b_start=9),
     ValueError, r"sentence_b_start must be None or an int in \[1, 5\)"),
    ("head_view: sentence_b_start negative", lambda: viz.head_view(_attentions(), TOKENS, sentence_b_start=-1),
     ValueError, r"sentence_b_start must be None or an int in \[1, 5\).*got -1"),
    ("model_view: sentence_b_start 2.5", lambda: viz.model_view(_attentions(), TOKENS, sentence_b_start=2.5),
     ValueError, r"sentence_b_start must be None or an int.*got 2\.5"),
    ("head_view: sentence_b_start with cross-attention",
     lambda: viz.head_view(cross_attentions=_attentions(), encoder_tokens=TOKENS, decoder_tokens=TOKENS,
                           sentence_b_start=2),
     ValueError, "sentence_b_start applies to attentions"),
    ("head_view: use_bertviz='no'", lambda: viz.head_view(_attentions(), TOKENS, use_bertviz="no"),
     TypeError, "use_bertviz must be True or False, got 'no'"),
    # save_html
    ("save_html: a missing folder", lambda: viz.save_html("<p>x</p>", "no/such/folder/view.html"),
     ValueError, r"path 'no/such/folder/view\.html' is in a folder that does not exist"),
    ("save_html: a folder", lambda: viz.save_html("<p>x</p>", "."),
     ValueError, "path must be a file name such as 'attention.html', got the folder '.'"),
    ("save_html: path None", lambda: viz.save_html("<p>x</p>", None),
     TypeError, r"path must be a file name \(a str or pathlib\.Path\), got NoneType"),
    ("save_html: view None", lambda: viz.save_html(None, PAGE),
     TypeError, "view must be what head_view or model_view returns .* got NoneType"),
    ("save_html: the attentions", lambda: viz.save_html(_attentions(), PAGE),
     TypeError, "view must be what head_view or model_view returns .* got list"),
    ("save_html: title 5", lambda: viz.save_html("<p>x</p>", PAGE, title=5),
     TypeError, "title must be a string, got int 5"),
    ("save_html: title None", lambda: viz.save_html("<p>x</p>", PAGE, title=None),
     TypeError, "title must be a string, got NoneType"),
    # AttentionView and the static / fallback / offline pictures
    ("AttentionView: html None", lambda: static.AttentionView(None, ["iVBO"], live=False),
     TypeError, "html must be a string, got NoneType"),
    ("AttentionView: no pngs", lambda: static.AttentionView("<p/>", [], live=False),
     TypeError, "pngs must be a non-empty list of base64 PNG strings"),
    ("AttentionView: live 'yes'", lambda: static.AttentionView("<p/>", ["iVBO"], live="yes"),
     TypeError, "live must be True or False"),
    ("static.pictures: kind 'heads'", lambda: static.pictures("heads", _blocks()),
     ValueError, r"kind must be one of \['head', 'model'\], got 'heads'"),
    ("static.png_of: not a figure", lambda: static.png_of(None),
     TypeError, "fig must be a matplotlib Figure, got NoneType"),
    ("static.png_of: colours 0", lambda: static.png_of(plt.figure(), colours=0),
     ValueError, r"colours must be an int in \[2, 256\]"),
    ("static.marker: not a string", lambda: static.marker(None),
     TypeError, "png must be a base64 string"),
    ("fallback.head_view_html: layer 5", lambda: fallback.head_view_html(_blocks(), layer=5),
     IndexError, r"layer 5 is out of range: the attention has 2 layers"),
    ("fallback.model_view_html: heads [9]", lambda: fallback.model_view_html(_blocks(), heads=[9]),
     IndexError, r"heads 9 is out of range: the attention has 2 heads"),
    ("offline.offline_html: kind 'neuron'", lambda: offline.offline_html("neuron", attention=_attentions(),
                                                                         tokens=TOKENS),
     ValueError, "kind must be 'head' or 'model'"),
]

WIDGETS = [
    # the explorer itself and the snapshot helpers
    ("explorer: draw not callable", lambda: explorer(5, _slider()),
     TypeError, r"draw must be a function draw\(\*\*values\), got int"),
    ("explorer: a list of controls", lambda: explorer(lambda n: None, [w.IntSlider()]),
     TypeError, "controls must be a dict from names to ipywidgets controls, got list"),
    ("explorer: a control that is not a widget", lambda: explorer(lambda n: None, {"n": 3}),
     TypeError, r"controls\['n'\] must be an ipywidgets control"),
    ("explorer: columns 0", lambda: explorer(lambda n: None, _slider(), columns=0),
     ValueError, "columns must be a positive int, got 0"),
    ("explorer: title 5", lambda: explorer(lambda n: None, _slider(), title=5),
     TypeError, "title must be a string or None, got int 5"),
    ("explorer: draw without the controls' names", lambda: explorer(lambda x: None, _slider()),
     TypeError, r"draw must take the controls' names as keyword arguments \(n\), got draw\(x\)"),
    ("snapshot.record: not callable", lambda: snapshot.record(None),
     TypeError, "fn must be a function of no arguments, got NoneType"),
    ("snapshot.figure_output: not a figure", lambda: snapshot.figure_output(None),
     TypeError, "fig must be a matplotlib Figure, got NoneType"),
    # 04: attention explorer
    ("attention_explorer: x a list", lambda: attention.attention_explorer([[1.0, 2.0]], ["a"]),
     TypeError, r"x must be a torch\.Tensor of shape \(T, d_model\), got list"),
    ("attention_explorer: x 1-D", lambda: attention.attention_explorer(torch.randn(T), TOKENS),
     ValueError, r"x must have shape \(T, d_model\), got \(5,\)"),
    ("attention_explorer: x a batch", lambda: attention.attention_explorer(torch.randn(1, T, 8), TOKENS),
     ValueError, r"x must have shape \(T, d_model\), got \(1, 5, 8\)"),
    ("attention_explorer: no tokens", lambda: attention.attention_explorer(torch.randn(0, 8), []),
     ValueError, "x must hold at least one token vector"),
    ("attention_explorer: NaN", lambda: attention.attention_explorer(torch.full((T, 8), float("nan")), TOKENS),
     ValueError, "x holds NaN or inf values"),
    ("attention_explorer: an all-zero row", lambda: attention.attention_explorer(
        torch.cat([torch.zeros(1, 8), torch.randn(T - 1, 8)]), TOKENS),
     ValueError, "x has an all-zero row"),
    ("attention_explorer: tokens a string", lambda: attention.attention_explorer(torch.randn(T, 8), "hello"),
     TypeError, "tokens must be a list of token strings, got str 'hello'"),
    ("attention_explorer: too few tokens", lambda: attention.attention_explorer(torch.randn(T, 8), TOKENS[:3]),
     ValueError, "tokens has 3 tokens, expected 5"),
    ("explorer_weights: d_k 0", lambda: attention.explorer_weights(torch.randn(T, 8), 0, "dot", 1.0),
     ValueError, r"d_k must be an int in \[1, 256\], got 0"),
    ("explorer_weights: d_k 1000", lambda: attention.explorer_weights(torch.randn(T, 8), 1000, "dot", 1.0),
     ValueError, r"d_k must be an int in \[1, 256\], got 1000"),
    ("explorer_weights: temperature 'hot'", lambda: attention.explorer_weights(torch.randn(T, 8), 4, "dot", "hot"),
     ValueError, r"temperature must be a number in \(0, inf\), got 'hot'"),
    # 09: BERT explorers
    ("fill_mask_explorer: a GPT", lambda: bert.fill_mask_explorer(_gpt(), _words(), "the [MASK] sat"),
     TypeError, r"model must be a course_lib\.bert\.Bert \(trained or not\), got GPT"),
    ("fill_mask_explorer: no model", lambda: bert.fill_mask_explorer(None, _words(), "the [MASK] sat"),
     TypeError, r"model must be a course_lib\.bert\.Bert .*got NoneType"),
    ("fill_mask_explorer: top_k 0", lambda: bert.fill_mask_explorer(_bert(), _words(), "the [MASK]", top_k=0),
     ValueError, r"top_k must be an int in \[1, 10\], got 0"),
    ("fill_mask_explorer: top_k 50", lambda: bert.fill_mask_explorer(_bert(), _words(), "the [MASK]", top_k=50),
     ValueError, r"top_k must be an int in \[1, 10\], got 50"),
    ("fill_mask_explorer: text None", lambda: bert.fill_mask_explorer(_bert(), _words(), None),
     TypeError, "text must be a string, got NoneType"),
    ("masking_explorer: no tokenizer", lambda: bert.masking_explorer(None, "the cat", "a dog"),
     TypeError, "tokenizer must be a course tokenizer"),
    # 07: blocks
    ("depth_explorer: max_layers 1", lambda: blocks.depth_explorer(d_model=8, seq_len=4, batch=2, max_layers=1),
     ValueError, "max_layers must be an int >= 2, got 1"),
    ("depth_explorer: seq_len -1", lambda: blocks.depth_explorer(d_model=8, seq_len=-1, batch=2, max_layers=4),
     ValueError, "seq_len must be a positive int, got -1"),
    ("depth_explorer: batch 0", lambda: blocks.depth_explorer(d_model=8, seq_len=4, batch=0, max_layers=4),
     ValueError, "batch must be a positive int, got 0"),
    ("layer_norm_explorer: a list", lambda: blocks.layer_norm_explorer([[1.0, 2.0]]),
     TypeError, r"x must be a torch\.Tensor of shape \(N, d_model\)"),
    ("layer_norm_explorer: integers", lambda: blocks.layer_norm_explorer(torch.ones(T, 8, dtype=torch.long)),
     TypeError, "x must hold floating-point token vectors, got dtype torch.int64"),
    ("layer_norm_explorer: NaN", lambda: blocks.layer_norm_explorer(torch.full((T, 8), float("nan"))),
     ValueError, "x holds NaN or inf values"),
    ("layer_norm_explorer: no rows", lambda: blocks.layer_norm_explorer(torch.randn(0, 8)),
     ValueError, "x must hold at least one token vector"),
    # 02: embeddings
    ("neighbour_explorer: numpy weights", lambda: embeddings.neighbour_explorer(np.ones((T, 4)), TOKENS, TOKENS),
     TypeError, r"weights must be a torch\.Tensor of shape \(vocab_size, d_model\), got ndarray"),
    ("neighbour_explorer: 1-D weights", lambda: embeddings.neighbour_explorer(torch.randn(T), TOKENS, TOKENS),
     ValueError, r"weights must have shape \(vocab_size, d_model\), got \(5,\)"),
    ("neighbour_explorer: words a string", lambda: embeddings.neighbour_explorer(torch.randn(T, 4), TOKENS, "cat"),
     TypeError, "words must be a list of token strings, got str 'cat'"),
    ("neighbour_explorer: k 0", lambda: embeddings.neighbour_explorer(torch.randn(T, 4), TOKENS, TOKENS, k=0),
     ValueError, "k must be a positive int, got 0"),
    ("neighbour_explorer: k '3'", lambda: embeddings.neighbour_explorer(torch.randn(T, 4), TOKENS, TOKENS, k="3"),
     ValueError, "k must be a positive int, got '3'"),
    ("neighbour_explorer: exclude 99", lambda: embeddings.neighbour_explorer(torch.randn(T, 4), TOKENS, TOKENS,
                                                                              exclude=[99]),
     ValueError, r"exclude must hold row ids in \[0, 5\), got \[99\]"),
    ("neighbour_explorer: one row", lambda: embeddings.neighbour_explorer(torch.randn(1, 4), ["a"], ["a"]),
     ValueError, "weights has 1 rows, 0 excluded: at least 2 must be left"),
    # 10 and 11: sampling and cross-attention explorers
    ("sampling_explorer: n_tokens 0", lambda: gpt.sampling_explorer(_gpt(), _chars(), "the", n_tokens=0),
     ValueError, "n_tokens must be a positive int, got 0"),
    ("sampling_explorer: n_tokens -5", lambda: gpt.sampling_explorer(_gpt(), _chars(), "the", n_tokens=-5),
     ValueError, "n_tokens must be a positive int, got -5"),
    ("sampling_explorer: seed 50", lambda: gpt.sampling_explorer(_gpt(), _chars(), "the", seed=50),
     ValueError, r"seed must be an int in \[0, 20\], got 50"),
    ("sampling_explorer: k 0", lambda: gpt.sampling_explorer(_gpt(), _chars(), "the", k=0),
     ValueError, "k must be a positive int, got 0"),
    ("sampling_explorer: prompt None", lambda: gpt.sampling_explorer(_gpt(), _chars(), None),
     TypeError, "prompt must be a string, got NoneType"),
    ("sampling_explorer: another tokenizer", lambda: gpt.sampling_explorer(_gpt(), _words(), "the cat"),
     ValueError, r"tokenizer has \d+ tokens but the model was built for vocab_size=\d+"),
    ("interop.sampling_explorer: a course tokenizer", lambda: interop.sampling_explorer(_gpt(), _chars(), "the"),
     TypeError, "tokenizer must be a Hugging Face tokenizer .* got CharTokenizer"),
    ("cross_attention_explorer: a GPT", lambda: interop.cross_attention_explorer(_gpt(), _chars(), "the cat"),
     TypeError, r"model must be a course_lib\.transformer\.EncoderDecoder .*got GPT"),
    ("cross_attention_explorer: a course tokenizer",
     lambda: interop.cross_attention_explorer(_translator(), _words(), "the cat"),
     TypeError, "tokenizer must be a Hugging Face tokenizer .* got WordTokenizer"),
    # 06: masking
    ("build_mask: pad_id among the real ids", lambda: masking.build_mask("padding", 6, 1, 1, pad_id=3),
     ValueError, r"pad_id must be an int outside 1\.\.6"),
    ("build_mask: T '6'", lambda: masking.build_mask("causal", "6"),
     ValueError, "T must be a positive int, got '6'"),
    ("mask_builder: T 0", lambda: masking.mask_builder(T=0),
     ValueError, "T must be a positive int, got 0"),
    ("mask_builder: d 0", lambda: masking.mask_builder(d=0),
     ValueError, "d must be a positive int, got 0"),
    ("mask_builder: seed 'a'", lambda: masking.mask_builder(seed="a"),
     ValueError, "seed must be a non-negative int, got 'a'"),
    # 12: KV cache
    ("kv_cache_explorer: d_head 100", lambda: modern.kv_cache_explorer(d_head=100),
     ValueError, r"d_head must be one of \[64, 80, 96, 128, 256\], got 100"),
    ("kv_cache_explorer: n_layers 0", lambda: modern.kv_cache_explorer(n_layers=0),
     ValueError, r"n_layers must be an int in \[1, 128\], got 0"),
    ("kv_cache_explorer: n_heads 200", lambda: modern.kv_cache_explorer(n_heads=200),
     ValueError, r"n_heads must be an int in \[1, 128\], got 200"),
    ("kv_cache_explorer: batch 100", lambda: modern.kv_cache_explorer(batch=100),
     ValueError, r"batch must be an int in \[1, 64\], got 100"),
    # 05: head explorer
    ("head_explorer: attend a string", lambda: multihead.head_explorer("attend", "the cat"),
     TypeError, r"attend must be a function attend\(sentence\) -> \(attentions, tokens\), got str"),
    ("head_explorer: attend returns the attentions only", lambda: multihead.head_explorer(lambda s: _attentions(),
                                                                                        "the cat"),
     TypeError, r"attend must return \(attentions, tokens\).*got \(Tensor, Tensor\)"),
    ("head_explorer: attend returns one matrix", lambda: multihead.head_explorer(
        lambda s: (_attentions()[0][0, 0], TOKENS), "the cat"),
     TypeError, r"attend must return \(attentions, tokens\).*got \(Tensor, list\)"),
    ("head_explorer: attend returns too few tokens", lambda: multihead.head_explorer(
        lambda s: (_attentions(), TOKENS[:2]), "the cat"),
     ValueError, "the tokens attend returns has 2 tokens, expected 5"),
    ("head_explorer: an empty sentence", lambda: multihead.head_explorer(_attend_nothing, ""),
     ValueError, "sentence '' cannot start the explorer: type at least one word"),
    ("head_explorer: title 5", lambda: multihead.head_explorer(_attend, "the cat", title=5),
     TypeError, "title must be a string or None, got int 5"),
    ("head_explorer: sentence None", lambda: multihead.head_explorer(_attend, None),
     TypeError, "sentence must be a string, got NoneType"),
    # 01: tokenization
    ("show_chips: head 5", lambda: tokenization.show_chips(5, TOKENS, [1, 2, 3, 4, 5]),
     TypeError, "head must be a string, got int 5"),
    ("show_chips: tokens a string", lambda: tokenization.show_chips("h", "hello", [1, 2, 3, 4, 5]),
     TypeError, "tokens must be a list of token strings, got str 'hello'"),
    ("show_chips: one note for five tokens", lambda: tokenization.show_chips("h", TOKENS, [1, 2, 3, 4, 5],
                                                                              notes=["a"]),
     ValueError, "notes must be None or a list of 5 strings"),
    ("show_chips: int notes", lambda: tokenization.show_chips("h", TOKENS, [1, 2, 3, 4, 5], notes=[1, 2, 3, 4, 5]),
     ValueError, "notes must be None or a list of 5 strings"),
    ("show_chips: one colour for five tokens", lambda: tokenization.show_chips("h", TOKENS, [1, 2, 3, 4, 5],
                                                                                colours=["#fff"]),
     ValueError, "colours must be None or a list of 5 strings"),
    ("token_explorer: a list", lambda: tokenization.token_explorer([_chars()]),
     TypeError, "tokenizers must be a dict from names to tokenizers.* got list"),
    ("token_explorer: one tokenizer", lambda: tokenization.token_explorer(_chars()),
     TypeError, "tokenizers must be a dict from names to tokenizers.* got CharTokenizer"),
    ("token_explorer: not a tokenizer", lambda: tokenization.token_explorer({"c": "chars"}),
     TypeError, r"tokenizers\['c'\] must be a tokenizer"),
    ("token_explorer: text None", lambda: tokenization.token_explorer({"c": _chars()}, None),
     TypeError, "text must be a string, got NoneType"),
    ("merge_stepper: not a BPE tokenizer", lambda: tokenization.merge_stepper(_chars(), "the cat"),
     TypeError, "tokenizer must be a BPETokenizer .* got CharTokenizer"),
    # 08: translation explorer
    ("translation_explorer: a GPT", lambda: transformer.translation_explorer(_gpt(), _words(), _words(), "the cat"),
     TypeError, r"model must be a course_lib\.transformer\.EncoderDecoder .*got GPT"),
    ("translation_explorer: no model", lambda: transformer.translation_explorer(None, _words(), _words(), "the cat"),
     TypeError, r"model must be a course_lib\.transformer\.EncoderDecoder .*got NoneType"),
    ("translation_explorer: beam_size 0", lambda: transformer.translation_explorer(
        _translator(), _words(), _words(), "the cat", beam_size=0),
     ValueError, "beam_size must be an int >= 2, got 0"),
    ("translation_explorer: text None", lambda: transformer.translation_explorer(_translator(), _words(), _words(),
                                                                                 None),
     TypeError, "text must be a string, got NoneType"),
    ("translation_explorer: title 5", lambda: transformer.translation_explorer(
        _translator(), _words(), _words(), "the cat", title=5),
     TypeError, "title must be a string or None, got int 5"),
]


@pytest.mark.parametrize("call, error, match", [pytest.param(*case[1:], id=case[0]) for case in VIZ + WIDGETS])
def test_bad_input_is_refused_by_course_lib(call, error, match):
    try:
        with pytest.raises(error, match=match) as info:
            call()
    finally:
        plt.close("all")
    raised_in = str(info.traceback[-1].path)
    assert "/course_lib/" in raised_in.replace("\\", "/"), f"raised in {raised_in}, not in course_lib"


def test_a_pair_longer_than_max_len_is_cut_and_says_so(capsys):
    bert.masking_explorer(_words(), "the cat sat on the mat . " * 5, "a dog ran .", max_len=16)
    plt.close("all")
    assert "the pair is longer than max_len=16: " in capsys.readouterr().out


# ----- the masking explorer's chip notes: one element each, escaped ----------------------------------

class _Items(HTMLParser):
    """The text of each <li>, and of each <div> inside one (a chip's note)."""

    def __init__(self):
        super().__init__()
        self.items, self.notes, self._in_li, self._in_note = [], [], False, False

    def handle_starttag(self, tag, attrs):
        if tag == "li":
            self.items.append("")
            self.notes.append(None)
            self._in_li = True
        elif tag == "div" and self._in_li and "font-size:80%" in (dict(attrs).get("style") or ""):
            self.notes[-1], self._in_note = "", True

    def handle_endtag(self, tag):
        if tag == "li":
            self._in_li = False
        elif tag == "div":
            self._in_note = False

    def handle_data(self, data):
        if self._in_li:
            self.items[-1] += data
        if self._in_note:
            self.notes[-1] += data


def _shown(monkeypatch, make):
    shown = []
    monkeypatch.setattr(tokenization, "display", lambda bundle, raw=False: shown.append(bundle))
    make()
    plt.close("all")
    return shown[-1]


def test_chip_notes_are_separate_escaped_elements(monkeypatch):
    notes = ["", "<b>kept</b>", "random: <script>", "", "[MASK]: on"]
    bundle = _shown(monkeypatch, lambda: tokenization.show_chips("head", TOKENS, [1, 2, 3, 4, 5], notes=notes))
    page = bundle["text/html"]
    assert "<script" not in page and "<b>" not in page and html.escape("random: <script>") in page
    parsed = _Items()
    parsed.feed(page)
    assert len(parsed.items) == len(TOKENS)  # one list item per chip
    assert parsed.notes == [n or None for n in notes]  # each note its own element, exactly its text
    assert bundle["text/plain"].endswith("the cat (<b>kept</b>) sat (random: <script>) on mat ([MASK]: on)")


def test_masking_explorer_notes_do_not_run_together(monkeypatch):
    bundle = _shown(monkeypatch, lambda: setattr(bert.masking_explorer(_words(), SENTENCES[0], SENTENCES[1])
                                                 .controls["mlm_prob"], "value", 0.6))
    parsed = _Items()
    parsed.feed(bundle["text/html"])
    notes = [n for n in parsed.notes if n]
    assert len(parsed.items) == len(_words().encode(SENTENCES[0])) + len(_words().encode(SENTENCES[1])) + 3
    assert notes and all(re.fullmatch(r"kept|(\[MASK\]|random): \S+", n) for n in notes), notes

"""course_lib.bert.pretraining_data: NSP pairs, [CLS] a [SEP] b [SEP] with truncation, 80/10/10 masking, batches.

Masking is tested statistically (rates within a few binomial standard deviations over ~10^5 tokens)
and exactly (special tokens and padding never change, labels are the original ids where chosen).
"""

from __future__ import annotations

import math
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.bert import (IGNORE, IS_NEXT, NOT_NEXT, PretrainingBatches, VocabInfo, encode_pair, mask_tokens,
                             pad_batch, sentence_pairs, truncate_pair)
from course_lib.data import synthetic_stories
from course_lib.tokenization import SPECIAL_TOKENS, WordTokenizer

STORIES = synthetic_stories(60, seed=3)
TOK = WordTokenizer.train([s for story in STORIES for s in story])
CLS, SEP, PAD, MASK = (TOK.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]", "[MASK]"))
N_SPECIAL = len(SPECIAL_TOKENS)


# ----------------------------------------------------------------------------- sentence pairs

def test_pairs_are_true_continuations_or_sentences_of_other_stories():
    pairs = sentence_pairs(STORIES, random.Random(0), max_sentences_a=3)
    expected = [(k, i) for k, story in enumerate(STORIES) for i in range(1, len(story))]
    assert len(pairs) == len(expected)
    for (k, i), pair in zip(expected, pairs):
        story = STORIES[k]
        assert pair.a == " ".join(story[max(0, i - 3):i])  # the 1-3 sentences just before sentence i
        if pair.label == IS_NEXT:
            assert pair.b == story[i] and pair.is_next
        else:
            assert pair.label == NOT_NEXT and not pair.is_next
            assert pair.b not in story  # never a sentence of this story, so the label is never wrong
            assert any(pair.b in other for j, other in enumerate(STORIES) if j != k)


def test_half_of_the_pairs_are_true_next_sentences():
    stories = synthetic_stories(400, seed=1)
    labels = [p.label for p in sentence_pairs(stories, random.Random(5))]
    share = labels.count(IS_NEXT) / len(labels)
    assert abs(share - 0.5) < 4 * math.sqrt(0.25 / len(labels)), share


def test_pairs_are_reproducible_and_take_a_seed():
    assert sentence_pairs(STORIES, random.Random(4)) == sentence_pairs(STORIES, 4)
    assert sentence_pairs(STORIES, 4) != sentence_pairs(STORIES, 5)
    assert all(p.a.count(".") == 1 for p in sentence_pairs(STORIES, 0, max_sentences_a=1))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(stories=STORIES[:1]), ValueError, "at least 2 stories"),
    (dict(stories=[["A."], []]), ValueError, r"stories\[1\]"),
    (dict(stories=STORIES, rng="seed"), TypeError, "rng must be"),
    (dict(stories=STORIES, max_sentences_a=0), ValueError, "max_sentences_a"),
])
def test_pair_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        sentence_pairs(**kwargs)


# ----------------------------------------------------------------------------- [CLS] a [SEP] b [SEP]

def test_encode_pair_layout_and_segments():
    a, b = "Tom found a red ball.", "He took it."
    e = encode_pair(TOK, a, b, max_len=64)
    ids_a, ids_b = TOK.encode(a), TOK.encode(b)
    assert e.ids == [CLS] + ids_a + [SEP] + ids_b + [SEP]
    assert e.segments == [0] * (len(ids_a) + 2) + [1] * (len(ids_b) + 1)
    assert e.sentence_b_start == len(ids_a) + 2 and e.truncated == 0
    single = encode_pair(TOK, a, None, max_len=64)
    assert single.ids == [CLS] + ids_a + [SEP] and single.segments == [0] * len(single.ids)
    assert single.sentence_b_start is None


def _reference_lengths(la: int, lb: int, m: int) -> tuple[int, int]:
    """Closed form of longest-first truncation with ties going against a."""
    if la + lb <= m:
        return la, lb
    a = min(la, max(m - lb, m // 2))
    return a, m - a


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(2, 40))
def test_truncation_is_longest_first_keeping_the_boundary(la, lb, m):
    a, b = list(range(100, 100 + la)), list(range(200, 200 + lb))
    ta, tb = truncate_pair(a, b, m)
    assert (len(ta), len(tb)) == _reference_lengths(la, lb, m)
    assert ta == a[len(a) - len(ta):]  # a keeps its end (next to b) ...
    assert tb == b[:len(tb)]           # ... and b its beginning (next to a)


def test_encode_pair_truncates_to_max_len():
    a = "Tom found a red ball near the big tree. He took it. He was happy."
    b = "Then he saw a dog. It ran to him."
    e = encode_pair(TOK, a, b, max_len=12)
    assert len(e.ids) == 12 and e.truncated == len(TOK.encode(a)) + len(TOK.encode(b)) - 9
    assert e.ids[0] == CLS and e.ids[-1] == SEP and e.ids.count(SEP) == 2
    first_sep = e.ids.index(SEP)
    assert e.ids[1:first_sep] == TOK.encode(a)[-(first_sep - 1):]  # a lost its first tokens
    assert e.ids[first_sep + 1:-1] == TOK.encode(b)[:12 - first_sep - 2]  # b lost its last tokens
    assert len(encode_pair(TOK, a, None, max_len=6).ids) == 6


@pytest.mark.parametrize("a, b, max_len, error, match", [
    ("Tom ran.", "He ran.", 4, ValueError, "max_len must be an int >= 5"),
    ("Tom ran.", None, 2, ValueError, "max_len must be an int >= 3"),
    ("", "He ran.", 10, ValueError, "a has no tokens"),
    ("Tom ran.", "   ", 10, ValueError, "b has no tokens"),
    (["Tom"], None, 10, TypeError, "strings"),
])
def test_encode_pair_errors(a, b, max_len, error, match):
    with pytest.raises(error, match=match):
        encode_pair(TOK, a, b, max_len)


def test_pad_batch():
    e1, e2 = encode_pair(TOK, "Tom ran.", "He was happy.", 32), encode_pair(TOK, "Anna ran.", None, 32)
    ids, segments = pad_batch([e1, e2], PAD)
    assert ids.shape == segments.shape == (2, len(e1.ids))
    assert ids[1].tolist() == e2.ids + [PAD] * (len(e1.ids) - len(e2.ids))
    assert segments[0].tolist() == e1.segments and segments[1].sum() == 0
    assert pad_batch([e1], PAD, length=20)[0].shape == (1, 20)
    with pytest.raises(ValueError, match="shorter than the longest"):
        pad_batch([e1], PAD, length=3)
    with pytest.raises(ValueError, match="at least one"):
        pad_batch([], PAD)


# ----------------------------------------------------------------------------- masking

VOCAB = VocabInfo(vocab_size=1000, mask_id=4, special_ids=tuple(range(N_SPECIAL)))


def _batch(B: int = 200, T: int = 500, seed: int = 0) -> torch.Tensor:
    """Ordinary tokens with [CLS] first, [SEP] in the middle and at the end, and padding of varied length."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(N_SPECIAL, VOCAB.vocab_size, (B, T), generator=g)
    ids[:, 0], ids[:, T // 2] = CLS, SEP
    for row, length in enumerate(torch.randint(T // 2 + 2, T + 1, (B,), generator=g).tolist()):
        ids[row, length - 1] = SEP
        ids[row, length:] = PAD
    return ids


def test_specials_and_padding_never_change_and_labels_are_exact():
    ids = _batch(50, 200)
    out, labels = mask_tokens(ids, VOCAB, 0.5, torch.Generator().manual_seed(1))
    special = torch.isin(ids, torch.tensor(VOCAB.special_ids))
    assert torch.equal(out[special], ids[special]) and bool((labels[special] == IGNORE).all())
    chosen = labels != IGNORE
    assert torch.equal(labels[chosen], ids[chosen])     # the label is the original token
    assert torch.equal(out[~chosen], ids[~chosen])      # nothing outside the chosen positions changes
    replaced = chosen & (out != ids) & (out != VOCAB.mask_id)
    assert bool((out[replaced] >= N_SPECIAL).all())     # random replacements are never special tokens
    assert not torch.isin(out[chosen & (out != VOCAB.mask_id)], torch.tensor(VOCAB.special_ids)).any()


def test_rates_15_percent_then_80_10_10():
    ids = _batch()
    out, labels = mask_tokens(ids, VOCAB, 0.15, torch.Generator().manual_seed(0))
    ordinary = ~torch.isin(ids, torch.tensor(VOCAB.special_ids))
    chosen = labels != IGNORE
    n, k = int(ordinary.sum()), int(chosen.sum())
    assert abs(k / n - 0.15) < 4 * math.sqrt(0.15 * 0.85 / n), k / n
    masked = int((out[chosen] == VOCAB.mask_id).sum())
    kept = int((out[chosen] == ids[chosen]).sum())
    randomised = k - masked - kept
    p_same = 1 / (VOCAB.vocab_size - N_SPECIAL)  # a random replacement can draw the original token
    for count, p in ((masked, 0.8), (randomised, 0.1 * (1 - p_same)), (kept, 0.1 + 0.1 * p_same)):
        assert abs(count / k - p) < 4 * math.sqrt(p * (1 - p) / k), (count / k, p)


def test_random_replacements_are_uniform_over_ordinary_tokens():
    vocab = VocabInfo(vocab_size=N_SPECIAL + 10, mask_id=4, special_ids=tuple(range(N_SPECIAL)))
    ids = torch.full((400, 500), N_SPECIAL)  # every token is the first ordinary one
    out, labels = mask_tokens(ids, vocab, 1.0, torch.Generator().manual_seed(2))
    assert bool((labels == N_SPECIAL).all())  # mlm_prob=1: every ordinary token is chosen
    random_ids = out[(out != vocab.mask_id) & (out != N_SPECIAL)]  # 10% random, minus draws of the original
    counts = torch.bincount(random_ids, minlength=vocab.vocab_size)[N_SPECIAL + 1:].double()
    assert counts.sum() > 15_000
    expected = counts.sum() / 9
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 30, chi2  # 8 degrees of freedom: p < 0.001 beyond ~26


def test_masking_is_reproducible_and_respects_extreme_probabilities():
    ids = _batch(4, 40)
    a = mask_tokens(ids, VOCAB, 0.3, torch.Generator().manual_seed(7))
    b = mask_tokens(ids, VOCAB, 0.3, torch.Generator().manual_seed(7))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    out, labels = mask_tokens(ids, VOCAB, 0.0)
    assert torch.equal(out, ids) and bool((labels == IGNORE).all())
    ordinary = ~torch.isin(ids, torch.tensor(VOCAB.special_ids))
    assert torch.equal(mask_tokens(ids, VOCAB, 1.0)[1] != IGNORE, ordinary)
    one_d, labels_1d = mask_tokens(ids[0], VOCAB, 0.5)
    assert one_d.shape == labels_1d.shape == ids[0].shape
    assert ids.dtype == out.dtype and not ids.data_ptr() == out.data_ptr()


def test_mask_tokens_takes_a_tokenizer():
    info = VocabInfo.from_tokenizer(TOK)
    assert info == VocabInfo(TOK.vocab_size, MASK, tuple(range(N_SPECIAL)))
    ids = torch.tensor([encode_pair(TOK, "Tom found a red ball.", "He took it.", 32).ids])
    assert torch.equal(mask_tokens(ids, TOK, 1.0, torch.Generator().manual_seed(0))[1] == IGNORE,
                       torch.isin(ids, torch.tensor(info.special_ids)))


@pytest.mark.parametrize("ids, prob, error, match", [
    (torch.tensor([[7, 8]]), -0.1, ValueError, r"mlm_prob must be a probability in \[0, 1\]"),
    (torch.tensor([[7, 8]]), 1.5, ValueError, r"mlm_prob must be a probability in \[0, 1\]"),
    (torch.tensor([[7, 8]]), "0.15", ValueError, "mlm_prob"),
    (torch.tensor([[7.0, 8.0]]), 0.15, TypeError, "integer tensor"),
    ([[7, 8]], 0.15, TypeError, "integer tensor"),
    (torch.tensor([[7, 1000]]), 0.15, ValueError, "vocab_size=1000"),
])
def test_mask_tokens_errors(ids, prob, error, match):
    with pytest.raises(error, match=match):
        mask_tokens(ids, VOCAB, prob)


# ----------------------------------------------------------------------------- batches for the training engine

def test_pretraining_batches():
    pairs = sentence_pairs(STORIES, 0)
    batches = PretrainingBatches(TOK, pairs[:300], pairs[300:], max_len=48, batch_size=16, seed=3)
    ids, segments, mlm_labels, nsp_labels = batches("train", 5)
    assert ids.shape == segments.shape == mlm_labels.shape and ids.shape[0] == 16 and ids.shape[1] <= 48
    assert nsp_labels.shape == (16,) and set(nsp_labels.tolist()) <= {IS_NEXT, NOT_NEXT}
    again = batches("train", 5)
    assert all(torch.equal(x, y) for x, y in zip((ids, segments, mlm_labels, nsp_labels), again))
    assert not torch.equal(batches("train", 6)[0], ids)
    val0 = batches("val", 0)
    assert torch.equal(val0[3], torch.tensor([p.label for p in pairs[300:316]]))  # the first block, in order
    chosen = val0[2] != IGNORE
    rebuilt = val0[0].clone()
    rebuilt[chosen] = val0[2][chosen]  # undo the masking: the encoded pairs come back
    assert rebuilt[0, :len(batches.encoded["val"][0].ids)].tolist() == batches.encoded["val"][0].ids
    fixed = PretrainingBatches(TOK, pairs[:50], pairs[50:60], 48, 4, pad_to_max_len=True, group_by_length=False)
    assert fixed("train", 0)[0].shape == (4, 48) and fixed.n_batches("val") == 3
    with pytest.raises(ValueError, match="split must be"):
        batches("test", 0)
    with pytest.raises(ValueError, match="batch_size"):
        PretrainingBatches(TOK, pairs, pairs, 48, 0)
    with pytest.raises(ValueError, match="val_pairs is empty"):
        PretrainingBatches(TOK, pairs, [], 48, 4)


def test_grouping_by_length_cuts_padding_without_favouring_any_length():
    pairs = sentence_pairs(STORIES, 0)
    grouped = PretrainingBatches(TOK, pairs, pairs[:10], max_len=48, batch_size=16)
    plain = PretrainingBatches(TOK, pairs, pairs[:10], max_len=48, batch_size=16, group_by_length=False)
    lengths = grouped.lengths["train"].double()

    def stats(batches):
        padding = real = 0
        for i in range(300):
            ids = batches("train", i)[0]
            real += int((ids != PAD).sum())
            padding += int((ids == PAD).sum())
        return padding / (padding + real), real / (300 * 16)

    pad_grouped, mean_grouped = stats(grouped)
    pad_plain, mean_plain = stats(plain)
    assert pad_grouped < 0.5 * pad_plain, (pad_grouped, pad_plain)
    # every pair is equally likely either way: the mean length of the drawn pairs is the corpus mean
    sem = float(lengths.std()) / math.sqrt(300 * 16)
    for mean in (mean_grouped, mean_plain):
        assert abs(mean - float(lengths.mean())) < 5 * sem * math.sqrt(8), (mean, float(lengths.mean()))


# ----------------------------------------------------------------------------- plain text into documents (real_text)

from course_lib.bert.real_text import (is_speaker_line, split_documents,  # noqa: E402
                                       split_sentences, text_to_documents)
from course_lib.data.stories import synthetic_corpus  # noqa: E402

PLAY = """First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?
Resolved. resolved; we know't,
we know't

Senators, &C:
  Well, well: go on!
\t
KING RICHARD III:
"""


def test_split_documents_drops_speaker_lines_and_empty_blocks():
    assert split_documents(PLAY) == [
        "Before we proceed any further, hear me speak.",
        "Speak, speak.",
        "You are all resolved rather to die than to famish?\nResolved. resolved; we know't,\nwe know't",
        "Well, well: go on!",
    ]
    kept = split_documents(PLAY, drop_speakers=False)
    assert kept[0] == "First Citizen:\nBefore we proceed any further, hear me speak."
    assert kept[-1] == "KING RICHARD III:" and len(kept) == 5
    assert split_documents("one\r\n\r\ntwo\r\nthree") == ["one", "two\nthree"]


@pytest.mark.parametrize("line, expected", [
    ("First Citizen:", True), ("KING RICHARD III:", True), ("LADY  CAPULET:", True), ("All:", True),
    ("Ghost of King Henry VI:", True), ("Senators, &C:", True),
    ("first citizen:", False), ("Well, well: go on!", False), ("He said this: no.", False),
    ("One two three four five six:", False), ("Speak, speak.", False), ("", False),
])
def test_speaker_lines(line, expected):
    assert is_speaker_line(line) is expected


def test_split_sentences_by_punctuation_and_by_lines():
    speech = split_documents(PLAY)[2]
    assert split_sentences(speech) == ["You are all resolved rather to die than to famish?", "Resolved.",
                                       "resolved;", "we know't, we know't"]
    assert split_sentences(speech, "lines") == ["You are all resolved rather to die than to famish?",
                                                "Resolved. resolved; we know't,", "we know't"]
    assert split_sentences("Stop!Go. Wait... now?  Yes") == ["Stop!Go.", "Wait...", "now?", "Yes"]
    assert split_sentences("  \n ") == [] and split_sentences(" \n ", "lines") == []


def _slow_sentences(document: str) -> list[str]:
    """Reference: walk the characters, end a sentence at whitespace that follows . ! ? ;"""
    sentences, current = [], ""
    for ch in " ".join(document.split()) + " ":
        if ch == " " and current and current[-1] in ".!?;":
            sentences.append(current)
            current = ""
        elif not (ch == " " and not current):
            current += ch
    return sentences + ([current.rstrip()] if current.strip() else [])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab .!?;,\n", max_size=60))
def test_punctuation_rule_matches_a_character_loop(document):
    assert split_sentences(document) == _slow_sentences(document)


def test_synthetic_corpus_comes_back_as_its_stories():
    stories = synthetic_stories(30, seed=0)
    text = synthetic_corpus(30, seed=0)
    for rule in ("punctuation", "lines"):
        assert text_to_documents(text, rule) == [list(s) for s in stories]


def test_text_to_documents_min_sentences():
    assert text_to_documents(PLAY, min_sentences=2) == [
        ["You are all resolved rather to die than to famish?", "Resolved.", "resolved;", "we know't, we know't"]]
    assert text_to_documents(PLAY, "lines", min_sentences=3) == [split_documents(PLAY)[2].split("\n")]
    assert text_to_documents(PLAY) == [split_sentences(d) for d in split_documents(PLAY)]


@pytest.mark.parametrize("call, error, match", [
    (lambda: split_documents(b"bytes"), TypeError, "text must be a string.*bytes"),
    (lambda: split_sentences(None), TypeError, "document must be a string.*NoneType"),
    (lambda: split_sentences("A.", rule="verse"), ValueError, "rule must be one of.*'verse'"),
    (lambda: text_to_documents("A.", rule="words"), ValueError, "rule must be one of"),
    (lambda: text_to_documents("A.", min_sentences=0), ValueError, "min_sentences must be an int >= 1, got 0"),
    (lambda: text_to_documents(["A."]), TypeError, "text must be a string.*list"),
])
def test_real_text_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()

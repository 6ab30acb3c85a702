"""The exercise checks of 09_bert_pretraining: an untouched stub, each typical wrong answer, the solutions."""

from __future__ import annotations

import pytest
import torch

from course_lib.bert import IGNORE, encode_pair
from course_lib.checks import RIGHT, TODO, WRONG
from course_lib.checks.bert import (CLS_ID, MASK_ID, SEP_ID, check_bert_mask, check_build_input,
                                    solution_bert_mask, solution_build_input)
from course_lib.tokenization import WordTokenizer


def stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("check", [check_build_input, check_bert_mask])
def test_untouched_stub_is_not_done_yet(check):
    assert check(stub).status == TODO
    assert check(None).status == TODO


def test_solutions_are_right():
    assert check_build_input(solution_build_input).status == RIGHT
    assert check_bert_mask(solution_bert_mask).status == RIGHT


def test_build_input_solution_agrees_with_encode_pair():
    tok = WordTokenizer.train("tom found a red ball . he took it .")
    e = encode_pair(tok, "tom found a ball.", "he took it.", 32)
    ids, segments = solution_build_input(tok.encode("tom found a ball."), tok.encode("he took it."),
                                         tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]"))
    assert (ids, segments) == (e.ids, e.segments)


def _build(ids_a, ids_b, cls, sep, segments_of_first_sep=0, segments_of_last_sep=1):
    ids = [cls] + ids_a + [sep] + ids_b + [sep]
    segments = [0] * (len(ids_a) + 1) + [segments_of_first_sep] + [1] * len(ids_b) + [segments_of_last_sep]
    return ids, segments


BUILD_WRONG = {
    "no [CLS]": (lambda a, b, c, s: (a + [s] + b + [s], [0] * (len(a) + 1) + [1] * (len(b) + 1)), "start with [CLS]"),
    "one [SEP]": (lambda a, b, c, s: ([c] + a + [s] + b, [0] * (len(a) + 2) + [1] * len(b)), "two [SEP]"),
    "b first": (lambda a, b, c, s: solution_build_input(b, a, c, s), "segment a comes right after"),
    "all segment 0": (lambda a, b, c, s: (solution_build_input(a, b, c, s)[0], [0] * (len(a) + len(b) + 3)),
                      "segment id 1"),
    "first [SEP] in B": (lambda a, b, c, s: _build(a, b, c, s, segments_of_first_sep=1), "after a belongs to sentence A"),
    "last [SEP] in A": (lambda a, b, c, s: _build(a, b, c, s, segments_of_last_sep=0), "final [SEP]"),
    "segments 1 and 2": (lambda a, b, c, s: (solution_build_input(a, b, c, s)[0],
                                             [x + 1 for x in solution_build_input(a, b, c, s)[1]]), "0 (sentence A)"),
    "too short segments": (lambda a, b, c, s: (solution_build_input(a, b, c, s)[0], [0] * (len(a) + 2) + [1] * len(b)),
                           "one id per token"),
    "a list only": (lambda a, b, c, s: solution_build_input(a, b, c, s)[0], "tuple"),
}


@pytest.mark.parametrize("name", BUILD_WRONG)
def test_build_input_wrong_answers_get_their_hint(name):
    fn, hint = BUILD_WRONG[name]
    result = check_build_input(fn)
    assert result.status == WRONG, result
    assert hint in result.message, result.message


def _all_mask(ids, specials, mask_id, vocab_size, p=0.15, g=None):
    chosen = (torch.rand(ids.shape, generator=g) < p) & ~torch.isin(ids, torch.tensor(specials))
    return ids.masked_fill(chosen, mask_id), torch.where(chosen, ids, IGNORE)


def _labels_only_on_masks(ids, specials, mask_id, vocab_size, p=0.15, g=None):
    out, labels = solution_bert_mask(ids, specials, mask_id, vocab_size, p, g)
    return out, labels.masked_fill(out != mask_id, IGNORE)


def _labels_zero(ids, specials, mask_id, vocab_size, p=0.15, g=None):
    out, labels = solution_bert_mask(ids, specials, mask_id, vocab_size, p, g)
    return out, labels.masked_fill(labels == IGNORE, 0)


def _labels_corrupted(ids, specials, mask_id, vocab_size, p=0.15, g=None):
    out, labels = solution_bert_mask(ids, specials, mask_id, vocab_size, p, g)
    return out, torch.where(labels != IGNORE, out, labels)


def _specials_too(ids, specials, mask_id, vocab_size, p=0.15, g=None):
    return solution_bert_mask(ids, [], mask_id, vocab_size, p, g)


def _random_specials(ids, specials, mask_id, vocab_size, p=0.15, g=None):
    chosen = (torch.rand(ids.shape, generator=g) < p) & ~torch.isin(ids, torch.tensor(specials))
    u = torch.rand(ids.shape, generator=g)
    out = torch.where(chosen & (u < 0.8), mask_id, ids)
    out = torch.where(chosen & (u >= 0.8) & (u < 0.9), torch.randint(vocab_size, ids.shape, generator=g), out)
    return out, torch.where(chosen, ids, IGNORE)


def _split(p_mask, p_random):
    def fn(ids, specials, mask_id, vocab_size, p=0.15, g=None):
        chosen = (torch.rand(ids.shape, generator=g) < p) & ~torch.isin(ids, torch.tensor(specials))
        u = torch.rand(ids.shape, generator=g)
        out = torch.where(chosen & (u < p_mask), mask_id, ids)
        random_ids = torch.randint(len(specials), vocab_size, ids.shape, generator=g)
        out = torch.where(chosen & (u >= p_mask) & (u < p_mask + p_random), random_ids, out)
        return out, torch.where(chosen, ids, IGNORE)
    return fn


def _fixed_rate(ids, specials, mask_id, vocab_size, p=0.15, g=None):
    return solution_bert_mask(ids, specials, mask_id, vocab_size, 0.15, g)  # ignores mlm_prob


MASK_WRONG = {
    "every chosen token masked": (_all_mask, "80/10/10"),
    "labels only on [MASK]": (_labels_only_on_masks, "also those replaced"),
    "0 instead of -100": (_labels_zero, "-100 (not 0)"),
    "labels are corrupted ids": (_labels_corrupted, "ORIGINAL token"),
    "specials masked": (_specials_too, "never be chosen"),
    "random specials": (_random_specials, "never special ones"),
    "no random tokens": (_split(0.8, 0.0), "middle 10%"),
    "nothing kept": (_split(0.8, 0.2), "last 10%"),
    "70/15/15": (_split(0.7, 0.15), "expected 80%"),
    "80/15/5": (_split(0.8, 0.15), "expected 10% and 10%"),
    "mlm_prob ignored": (_fixed_rate, "mlm_prob=0.3"),
    "a single tensor": (lambda ids, *args: ids, "tuple"),
    "crashes": (lambda ids, *args: ids[99999], "raised IndexError"),
}


@pytest.mark.parametrize("name", MASK_WRONG)
def test_bert_mask_wrong_answers_get_their_hint(name):
    fn, hint = MASK_WRONG[name]
    result = check_bert_mask(fn)
    assert result.status == WRONG, result
    assert hint in result.message, result.message


def test_masking_constants_are_the_tokenizers():
    tok = WordTokenizer.train("a b c")
    assert (CLS_ID, SEP_ID, MASK_ID) == tuple(tok.token_to_id(t) for t in ("[CLS]", "[SEP]", "[MASK]"))

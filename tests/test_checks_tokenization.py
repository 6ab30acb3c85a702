"""The exercise checks of 01_tokenization: untouched stub, each typical wrong answer, the solution."""

from collections import Counter
from itertools import pairwise

import pytest

from course_lib.checks import RIGHT, WRONG
from course_lib.checks.tokenization import (
    EXAMPLE_MERGES,
    TOY_WORDPIECE_VOCAB,
    _cut,
    check_count_pairs,
    check_encode_with_merges,
    check_merge,
    check_wordpiece,
    solution_count_pairs,
    solution_encode_with_merges,
    solution_merge,
    solution_wordpiece,
)
from course_lib.tokenization import BPETokenizer, WordPieceTokenizer, count_pairs, merge_pair


def stub(*args):
    raise NotImplementedError


def test_solutions_are_right_and_match_the_library():
    assert check_count_pairs(solution_count_pairs).status == RIGHT
    assert check_merge(solution_merge).status == RIGHT
    assert check_encode_with_merges(solution_encode_with_merges).status == RIGHT
    ids = list(b"aaabdaaabac aaaa")
    assert solution_count_pairs(ids) == count_pairs(ids) == Counter(pairwise(ids))
    assert solution_merge(ids, (97, 97), 256) == merge_pair(ids, (97, 97), 256)
    # the library's encoder (lowest id first, by bytes) agrees with "merges in training order" here
    tok = BPETokenizer(EXAMPLE_MERGES, pattern=None)
    for word in ("lowest", "lower", "slowest newer"):
        assert solution_encode_with_merges(word, EXAMPLE_MERGES) == tok.encode(word)


def _count_no_last(ids):
    return solution_count_pairs(ids[:-1])


def _count_no_overlap(ids):
    counts, i = {}, 0
    while i < len(ids) - 1:
        pair = (ids[i], ids[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
        i += 2 if ids[i] == ids[i + 1] else 1
    return counts


def _count_sorted(ids):
    return dict(Counter(tuple(sorted(p)) for p in pairwise(ids)))


@pytest.mark.parametrize("wrong, hint", [
    (_count_no_last, "last pair"),
    (_count_no_overlap, "pairs overlap"),
    (_count_sorted, "order matters"),
    (lambda ids: list(pairwise(ids)), "return a dict"),
    (lambda ids: {f"{a},{b}": 1 for a, b in pairwise(ids)}, "keys are pairs"),
    (lambda ids: {**Counter(pairwise(ids)), (0, 0): 1}, "should be"),
])
def test_count_pairs_hints(wrong, hint):
    result = check_count_pairs(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def _merge_first_only(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:
            return ids[:i] + [new_id] + ids[i + 2:]
    return ids


def _merge_no_skip(ids, pair, new_id):
    return [new_id if (ids[i], ids[i + 1]) == pair else ids[i] for i in range(len(ids) - 1)] + ids[-1:]


def _merge_drops_last(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _merge_overlapping(ids, pair, new_id):
    out = [new_id if (ids[i], ids[i + 1]) == pair else ids[i] for i in range(len(ids) - 1)]
    return [t for k, t in enumerate(out) if not (k > 0 and out[k - 1] == new_id and t != new_id)] + \
        ([ids[-1]] if ids and (len(ids) < 2 or (ids[-2], ids[-1]) != pair) else [])


def _merge_in_place(ids, pair, new_id):
    ids[:] = solution_merge(ids, pair, new_id)


@pytest.mark.parametrize("wrong, hint", [
    (_merge_first_only, "every occurrence"),
    (_merge_no_skip, "drop the second half"),
    (_merge_drops_last, "last id went missing"),
    (_merge_overlapping, "skip both"),
    (_merge_in_place, "in place"),
    (lambda ids, pair, new_id: ids, "should be"),
])
def test_merge_hints(wrong, hint):
    result = check_merge(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def _encode_with_ord(text, merges):
    ids = [ord(c) for c in text]
    for pair, new_id in merges.items():
        ids = solution_merge(ids, pair, new_id)
    return ids


def _encode_backwards(text, merges):
    ids = list(text.encode("utf-8"))
    for pair, new_id in reversed(list(merges.items())):
        ids = solution_merge(ids, pair, new_id)
    return ids


@pytest.mark.parametrize("wrong, hint", [
    (_encode_with_ord, "UTF-8 bytes"),
    (_encode_backwards, "order they were learned"),
    (lambda text, merges: list(text.encode("utf-8")), "should give"),
    (lambda text, merges: 1 / 0, "ZeroDivisionError"),
])
def test_encode_with_merges_hints(wrong, hint):
    result = check_encode_with_merges(wrong)
    assert result.status == WRONG and hint in result.message, result.message


def test_wordpiece_solution_is_right_and_matches_the_library():
    assert check_wordpiece(solution_wordpiece).status == RIGHT
    tok = WordPieceTokenizer(sorted(TOY_WORDPIECE_VOCAB))
    for word in ("unaffable", "players", "huggable", "unable", "xyz", "playx", "hugs", "p"):
        assert solution_wordpiece(word, TOY_WORDPIECE_VOCAB) == tok.tokenize_word(word)
    assert tok.tokenize("Unaffable PLAYERS, huggable!") == ["un", "##aff", "##able", "play", "##er", "##s",
                                                             "[UNK]", "hug", "##gable", "[UNK]"]


def _wp(longest=True, first="", later="##", whole_unk=True):
    """A student's WordPiece with one of the usual mistakes (the check's own switchable version)."""
    return lambda word, vocab: _cut(word, vocab, longest, first, later, whole_unk)


def _wp_partial_unk(word, vocab):  # replaces only the unmatched character by [UNK] and goes on
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                pieces.append(piece)
                start = end
                break
        else:
            pieces.append("[UNK]")
            start += 1
    return pieces


@pytest.mark.parametrize("wrong, hint", [
    (_wp(longest=False), "LONGEST piece first"),
    (_wp(later=""), "'##' + piece"),
    (_wp(first="##"), "first piece of a word has no '##'"),
    (_wp(whole_unk=False), "WHOLE word"),
    (lambda word, vocab: [word], "should be"),
    (lambda word, vocab: " ".join(_wp()(word, vocab)), "return a list"),
    (_wp_partial_unk, "should be"),
])
def test_wordpiece_hints(wrong, hint):
    result = check_wordpiece(wrong)
    assert result.status == WRONG and hint in result.message, result.message

"""Self-checks for the exercises of 01_tokenization, with their reference solutions.

Each check_* takes the student's function and returns a Result (see course_lib.checks): "not done yet"
for an untouched stub, a specific hint for the usual mistakes, "correct" otherwise.
Deliberately left out: checking speed (the exercises are about getting the bookkeeping of BPE and
WordPiece right).
"""

from __future__ import annotations

from course_lib.checks import exercise, require

# ---------------------------------------------------------------- 1. count adjacent pairs


def solution_count_pairs(ids: list[int]) -> dict[tuple[int, int], int]:
    """How often each adjacent pair (ids[i], ids[i + 1]) occurs; overlapping pairs count."""
    counts = {}
    for i in range(len(ids) - 1):
        pair = (ids[i], ids[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
    return counts


@exercise("count adjacent pairs")
def check_count_pairs(count_pairs) -> None:
    for ids in ([1, 2, 3, 1, 2], [7, 7, 7, 7], [5, 9, 5, 9, 5], [4], [], list(b"aaabdaaabac")):
        got = count_pairs(list(ids))
        require(got is not None, "your function returns None: did you forget `return`?")
        require(isinstance(got, dict), f"return a dict {{(left, right): count}}, got a {type(got).__name__}")
        want = solution_count_pairs(ids)
        if got == want:
            continue
        require(all(isinstance(k, tuple) and len(k) == 2 for k in got),
                "the keys are pairs: tuples (ids[i], ids[i + 1])")
        require(not (ids == [7, 7, 7, 7] and got.get((7, 7)) == 2),
                "pairs overlap: [7, 7, 7, 7] holds (7, 7) three times (positions 0-1, 1-2 and 2-3)")
        require(got != solution_count_pairs(ids[:-1]),
                "the last pair (ids[-2], ids[-1]) is missing: loop i over range(len(ids) - 1)")
        sorted_want = {}
        for (a, b), c in want.items():
            key = (min(a, b), max(a, b))
            sorted_want[key] = sorted_want.get(key, 0) + c
        require(got != sorted_want, "order matters: (5, 9) and (9, 5) are different pairs, do not sort them")
        require(False, f"count_pairs({list(ids)}) should be {want}, got {got}")


# ---------------------------------------------------------------- 2. apply one merge


def solution_merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """A new list where each occurrence of `pair`, scanning left to right, becomes `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2  # skip both halves of the pair
        else:
            out.append(ids[i])
            i += 1
    return out


@exercise("apply one merge")
def check_merge(merge) -> None:
    cases = [([1, 2, 3, 1, 2], (1, 2), 9), ([5, 5, 5], (5, 5), 9), ([3, 1, 2], (1, 2), 9),
             ([1, 2, 1, 2, 1], (2, 1), 8), ([4, 4], (4, 5), 9), ([], (1, 2), 9), ([7], (7, 7), 9)]
    for ids, pair, new_id in cases:
        got = merge(list(ids), pair, new_id)
        require(got is not None, "your function returns None: did you forget `return` (or change the list "
                                 "in place)? Build and return a new list")
        got = list(got)
        want = solution_merge(ids, pair, new_id)
        if got == want:
            continue
        require(not (ids == [5, 5, 5] and got == [9, 9]), "after replacing a pair, skip both of its ids "
                "(i += 2): [5, 5, 5] with (5, 5) becomes [9, 5], an id is never used twice")
        require(got != want[:-1], "the last id went missing: when no pair starts at the last position, "
                                  "still copy ids[i] (loop while i < len(ids))")
        require(not (ids == [1, 2, 3, 1, 2] and got == [9, 3, 1, 2]),
                "replace every occurrence of the pair, not only the first")
        require(not (ids == [1, 2, 3, 1, 2] and got == [9, 2, 3, 9, 2]),
                "the pair's two ids become ONE new id: drop the second half too")
        require(False, f"merge({ids}, {pair}, {new_id}) should be {want}, got {got}")


# ---------------------------------------------------------------- 3. encode a word with given merges


def solution_encode_with_merges(text: str, merges: dict[tuple[int, int], int]) -> list[int]:
    """UTF-8 bytes, then the merges in the order they were learned (dicts keep insertion order)."""
    ids = list(text.encode("utf-8"))
    for pair, new_id in merges.items():
        ids = solution_merge(ids, pair, new_id)
    return ids


EXAMPLE_MERGES = {(ord("l"), ord("o")): 256, (256, ord("w")): 257, (ord("e"), ord("r")): 258,
                  (257, 258): 259, (ord("e"), ord("s")): 260, (260, ord("t")): 261}


@exercise("encode a word with given merges")
def check_encode_with_merges(encode) -> None:
    for text in ("low", "lower", "lowest", "slower", "", "löw", "ster"):
        got = encode(text, dict(EXAMPLE_MERGES))
        require(got is not None, "your function returns None: did you forget `return`?")
        got = list(got)
        want = solution_encode_with_merges(text, EXAMPLE_MERGES)
        if got == want:
            continue
        require(not (text == "löw" and ord("ö") in got),
                "start from the UTF-8 bytes, list(text.encode('utf-8')): 'ö' is two bytes, not ord('ö')")
        backwards = list(text.encode("utf-8"))
        for pair, new_id in reversed(list(EXAMPLE_MERGES.items())):
            backwards = solution_merge(backwards, pair, new_id)
        require(got != backwards, "apply the merges in the order they were learned (first learned first): "
                                  "later merges build on earlier ones")
        require(False, f"encoding {text!r} should give {want}, got {got}")


# ---------------------------------------------------------------- 4. cut one word into WordPiece pieces


def solution_wordpiece(word: str, vocab: set[str]) -> list[str]:
    """Longest match first, left to right; later pieces carry "##"; [UNK] if any part cannot be matched."""
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:  # shrink from the right until the piece is in the vocabulary
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:
            return ["[UNK]"]  # nothing matches here: the whole word is unknown
        pieces.append(piece)
        start = end
    return pieces


TOY_WORDPIECE_VOCAB = {"[UNK]", "u", "un", "##n", "##a", "##f", "##aff", "##able", "##b", "##l", "##e",
                       "play", "##ing", "##s", "p", "##lay", "##er", "hug", "##gable", "##g", "able", "aff"}


def _cut(word, vocab, longest=True, first="", later="##", whole_unk=True) -> list[str]:
    """WordPiece with the usual mistakes as switches (the right answer with the defaults)."""
    pieces, start = [], 0
    while start < len(word):
        ends = range(len(word), start, -1) if longest else range(start + 1, len(word) + 1)
        end = next((e for e in ends if (later if start else first) + word[start:e] in vocab), None)
        if end is None:
            return ["[UNK]"] if whole_unk else pieces + ["[UNK]"]
        pieces.append((later if start else first) + word[start:end])
        start = end
    return pieces


WORDPIECE_MISTAKES = (  # (how _cut goes wrong, the hint for it)
    ({"longest": False}, ("take the LONGEST piece first: start with end = len(word) and shrink it "
                         "('un' beats 'u', '##aff' beats '##a')")),
    ({"later": ""}, ("a piece that continues a word is stored as '##' + piece: look it up (and return it) "
                    "with the '##'")),
    ({"first": "##"}, "the first piece of a word has no '##'; only the later ones do"),
    ({"whole_unk": False}, "when some part cannot be matched, the WHOLE word becomes ['[UNK]'], not just that part"),
)


@exercise("cut a word into WordPiece pieces")
def check_wordpiece(wordpiece) -> None:
    for word in ("unaffable", "playing", "players", "hug", "huggable", "able", "unable", "xyz", "playx"):
        got = wordpiece(word, set(TOY_WORDPIECE_VOCAB))
        require(got is not None, "your function returns None: did you forget `return`?")
        require(isinstance(got, (list, tuple)), f"return a list of pieces, got a {type(got).__name__}")
        got = list(got)
        want = solution_wordpiece(word, TOY_WORDPIECE_VOCAB)
        if got == want:
            continue

        for mistake, hint in WORDPIECE_MISTAKES:
            require(got != _cut(word, TOY_WORDPIECE_VOCAB, **mistake), hint)
        require(False, f"wordpiece({word!r}) should be {want}, got {got}")

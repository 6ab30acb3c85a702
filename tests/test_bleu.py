"""course_lib.transformer.bleu against sacrebleu (the reference implementation), plus hand-checkable cases."""

from __future__ import annotations

import math
import random

import pytest

from course_lib.transformer import (
    bleu,
    brevity_penalty,
    corpus_bleu,
    modified_precision,
    ngrams,
    tokenize_13a,
)

sacrebleu = pytest.importorskip("sacrebleu", reason="sacrebleu is the reference for BLEU: pip install sacrebleu "
                                                    "(it belongs to the dev extra)")

WORDS = "el la una un gato perro pelota roja rojo pequeña casa fue a al parque ella lo encontró".split()


def _random_sentence(rng: random.Random, low: int = 1, high: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    text = " ".join(words)
    punct = rng.choice(["", ".", ",", "!", " ?", "...", "-"])
    return text[0].upper() + text[1:] + punct


def _reference(hyps, refs, **kwargs) -> float:
    return sacrebleu.corpus_bleu(hyps, [refs], **kwargs).score


CASES = {
    "identical": (["Ella la encontró.", "Tomás fue al parque."], ["Ella la encontró.", "Tomás fue al parque."]),
    "one word wrong": (["Ella lo encontró en el parque."], ["Ella la encontró en el parque."]),
    "zero matches": (["uno dos tres cuatro cinco"], ["seis siete ocho nueve diez"]),
    "no 4-gram matches (smoothing)": (["a b c d x a b c"], ["a b c y d a b x"]),
    "short hypothesis (brevity penalty)": (["la pelota roja"], ["ella encontró la pelota roja en el parque"]),
    "hypothesis shorter than 4 words": (["la pelota"], ["la pelota"]),
    "longer hypothesis": (["la la la pelota roja roja del parque viejo"], ["la pelota roja"]),
    "clipping": (["the the the the the the the"], ["the cat is on the mat"]),
    "punctuation split by 13a": (["Hola,mundo.¿Qué tal?"], ["Hola , mundo . ¿Qué tal ?"]),
    "empty hypothesis": ([""], ["algo"]),
    "numbers and dashes": (["En 1999-2000 costó 3.5 euros, o 3,5."], ["En 1999 - 2000 costó 3.5 euros , o 3,5 ."]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_sacrebleu_on_hand_picked_cases(name):
    hyps, refs = CASES[name]
    assert bleu(hyps, refs) == pytest.approx(_reference(hyps, refs), abs=1e-9)
    assert bleu(hyps, refs, smooth="none") == pytest.approx(_reference(hyps, refs, smooth_method="none"), abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_matches_sacrebleu_on_random_corpora(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 30)
    refs = [_random_sentence(rng) for _ in range(n)]
    hyps = [r if rng.random() < 0.3 else _random_sentence(rng, 0 if rng.random() < 0.1 else 1) for r in refs]
    ours = corpus_bleu(hyps, refs)
    theirs = sacrebleu.corpus_bleu(hyps, [refs])
    assert ours.score == pytest.approx(theirs.score, abs=1e-9)
    assert list(ours.matches) == list(theirs.counts) and list(ours.totals) == list(theirs.totals)
    assert (ours.hyp_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len)
    assert ours.brevity_penalty == pytest.approx(theirs.bp)
    assert bleu(hyps, refs, lowercase=True) == pytest.approx(_reference(hyps, refs, lowercase=True), abs=1e-9)


def test_several_references_per_sentence_match_sacrebleu():
    rng = random.Random(3)
    refs_a = [_random_sentence(rng) for _ in range(12)]
    refs_b = [_random_sentence(rng, 2, 20) for _ in range(12)]
    hyps = [rng.choice([a, b, _random_sentence(rng)]) for a, b in zip(refs_a, refs_b)]
    ours = bleu(hyps, [[a, b] for a, b in zip(refs_a, refs_b)])
    assert ours == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs_a, refs_b]).score, abs=1e-9)


@pytest.mark.parametrize("text", ["Hola,mundo.", "Una mañana, María fue al parque.", "3.5 y 3,5 o 1999-2000",
                                  "a&amp;b \"quoted\" (paren) [x] {y} $5 50% #1", "  espacios   extra  \n"])
def test_tokenize_13a_matches_sacrebleu(text):
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    assert tokenize_13a(text) == Tokenizer13a()(text.rstrip()).split()


def test_pieces_by_hand():
    assert ngrams(["a", "b", "a", "b"], 2) == {("a", "b"): 2, ("b", "a"): 1}
    assert ngrams(["a"], 2) == {}
    # "the" x 7 against a reference with 2 "the": only 2 of 7 count
    assert modified_precision(["the"] * 7, [["the", "cat", "is", "on", "the", "mat"]], 1) == (2, 7)
    assert modified_precision(["the"] * 7, [["the", "cat"], ["the", "the", "the"]], 1) == (3, 7)
    assert brevity_penalty(10, 8) == 1.0 and brevity_penalty(0, 5) == 0.0
    assert brevity_penalty(5, 10) == pytest.approx(math.exp(1 - 10 / 5))
    assert bleu(["Ella la encontró."], ["Ella la encontró."]) == pytest.approx(100.0)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="one entry per hypothesis"):
        bleu(["a b"], ["a b", "c d"])
    with pytest.raises(TypeError, match="hypotheses"):
        bleu("a b c", ["a b c"])
    with pytest.raises(TypeError, match="references"):
        bleu(["a b"], "a b")
    with pytest.raises(ValueError, match="hypotheses must not be empty"):
        bleu([], [])
    with pytest.raises(ValueError, match="smooth"):
        bleu(["a"], ["a"], smooth="add-k")
    with pytest.raises(TypeError, match=r"references\[0\]"):
        bleu(["a"], [[]])

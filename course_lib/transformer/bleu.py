"""BLEU: how many of a translation's n-grams (1 to 4 words) appear in a reference translation.

Taught in 08_encoder_decoder. Corpus BLEU-4 as in sacrebleu's default (and the WMT evaluations):
  1. tokenise hypothesis and references with the "13a" rules (punctuation split off, words kept whole);
  2. for n = 1..4, modified n-gram precision p_n over the whole corpus: each hypothesis n-gram counts as
     matched at most as often as it occurs in the reference (clipping: "the the the" gains nothing);
  3. brevity penalty BP = exp(1 - r / c) if the hypotheses are shorter (c words) than the references
     (r words), else 1: precision alone would reward saying little;
  4. BLEU = 100 * BP * exp(mean(log p_n)), the geometric mean of the four precisions.
With several references per sentence an n-gram may match up to its largest count in any of them, and r
takes the reference length closest to each hypothesis. smooth="exp" (sacrebleu's default) replaces a
zero precision by 1 / (2^k * total), k = 1, 2, ... for each zero in turn; smooth="none" keeps it 0.
Checked against sacrebleu in tests/test_bleu.py. Deliberately left out: sentence-level BLEU with
effective order, chrF, and tokenisers for languages without spaces.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

MAX_ORDER = 4
SMOOTHING = ("exp", "none")

# mteval-v13a's rules, as sacrebleu's Tokenizer13a applies them (ASCII punctuation and symbols).
_13A_RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),  # split off punctuation and symbols
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),  # period and comma, unless after a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),  # period and comma, unless before a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),  # a dash after a digit
]


def tokenize_13a(text: str) -> list[str]:
    """'Ella la encontró.' -> ['Ella', 'la', 'encontró', '.'] (sacrebleu's default tokenisation)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    line = text.rstrip().replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        for escaped, char in (("&quot;", '"'), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")):
            line = line.replace(escaped, char)
    line = f" {line} "
    for pattern, replacement in _13A_RULES:
        line = pattern.sub(replacement, line)
    return line.split()


def ngrams(tokens: list[str], n: int) -> Counter:
    """Counts of the n-grams of a token list: ngrams(['a', 'b', 'a', 'b'], 2) -> {('a','b'): 2, ('b','a'): 1}."""
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def modified_precision(hypothesis: list[str], references: list[list[str]], n: int) -> tuple[int, int]:
    """(matched, total) n-grams of one tokenised hypothesis; a match counts at most max-reference-count times."""
    hyp = ngrams(hypothesis, n)
    most = Counter()
    for ref in references:
        most |= ngrams(ref, n)  # | keeps the larger count of each n-gram
    return sum(min(count, most[g]) for g, count in hyp.items()), sum(hyp.values())


def brevity_penalty(hyp_len: int, ref_len: int) -> float:
    """1 if the hypotheses are at least as long as the references, else exp(1 - ref_len / hyp_len)."""
    if hyp_len >= ref_len:
        return 1.0
    return math.exp(1 - ref_len / hyp_len) if hyp_len > 0 else 0.0


@dataclass(frozen=True)
class BleuScore:
    """A BLEU score and the statistics it is made of; float(score) is the number."""

    score: float                    # 0..100
    precisions: tuple[float, ...]   # p_1..p_4 in percent, after smoothing
    matches: tuple[int, ...]        # matched n-grams per order, whole corpus
    totals: tuple[int, ...]         # hypothesis n-grams per order
    brevity_penalty: float
    hyp_len: int
    ref_len: int

    def __float__(self) -> float:
        return self.score

    def __str__(self) -> str:
        ps = "/".join(f"{p:.1f}" for p in self.precisions)
        return (f"BLEU = {self.score:.2f} {ps} (BP = {self.brevity_penalty:.3f} ratio = "
                f"{self.hyp_len / max(self.ref_len, 1):.3f} hyp_len = {self.hyp_len} ref_len = {self.ref_len})")


def _references(references, n_hyp: int) -> list[list[str]]:
    if isinstance(references, str) or not hasattr(references, "__len__"):
        raise TypeError(f"references must be a list with one reference (str) or a list of references per "
                        f"hypothesis, got {type(references).__name__}")
    if len(references) != n_hyp:
        raise ValueError(f"references must have one entry per hypothesis: {n_hyp} hypotheses, "
                         f"{len(references)} references")
    out = []
    for i, r in enumerate(references):
        refs = [r] if isinstance(r, str) else list(r) if isinstance(r, (list, tuple)) else None
        if not refs or not all(isinstance(x, str) for x in refs):
            raise TypeError(f"references[{i}] must be a str or a non-empty list of str, got {r!r:.60}")
        out.append(refs)
    return out


def corpus_bleu(hypotheses: list[str], references, smooth: str = "exp", lowercase: bool = False) -> BleuScore:
    """Corpus BLEU-4 with its statistics. references[i]: the reference of hypotheses[i] (a str) or a list
    of references (note: sacrebleu takes the transpose, one list per reference set)."""
    if isinstance(hypotheses, str) or not hasattr(hypotheses, "__len__"):
        raise TypeError(f"hypotheses must be a list of str, got {type(hypotheses).__name__}")
    if not hypotheses:
        raise ValueError("hypotheses must not be empty")
    for i, h in enumerate(hypotheses):
        if not isinstance(h, str):
            hint = " (join a list of tokens with ' '.join first)" if isinstance(h, (list, tuple)) else ""
            raise TypeError(f"hypotheses[{i}] must be a str (one translated sentence), got "
                            f"{type(h).__name__} {h!r:.60}{hint}")
    if smooth not in SMOOTHING:
        raise ValueError(f"smooth must be one of {SMOOTHING}, got {smooth!r}")
    if not isinstance(lowercase, bool):
        raise TypeError(f"lowercase must be True or False, got {lowercase!r}")
    refs_per_hyp = _references(references, len(hypotheses))
    prep = (lambda s: tokenize_13a(s.lower())) if lowercase else tokenize_13a
    matches, totals, hyp_len, ref_len = [0] * MAX_ORDER, [0] * MAX_ORDER, 0, 0
    for hyp_text, ref_texts in zip(hypotheses, refs_per_hyp):
        hyp, refs = prep(hyp_text), [prep(r) for r in ref_texts]
        hyp_len += len(hyp)
        ref_len += min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]  # closest; ties: the shorter
        for n in range(1, MAX_ORDER + 1):
            m, t = modified_precision(hyp, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
    bp = brevity_penalty(hyp_len, ref_len)
    precisions = [0.0] * MAX_ORDER
    if not any(matches):
        return BleuScore(0.0, tuple(precisions), tuple(matches), tuple(totals), bp, hyp_len, ref_len)
    halvings = 1.0
    for n in range(MAX_ORDER):
        if totals[n] == 0:  # no hypothesis has n + 1 words: the higher precisions stay 0
            break
        if matches[n] == 0 and smooth == "exp":
            halvings *= 2
            precisions[n] = 100.0 / (halvings * totals[n])
        else:
            precisions[n] = 100.0 * matches[n] / totals[n]
    log_mean = sum(math.log(p / 100) if p > 0 else -math.inf for p in precisions) / MAX_ORDER
    return BleuScore(100.0 * bp * math.exp(log_mean), tuple(precisions), tuple(matches), tuple(totals), bp,
                     hyp_len, ref_len)


def bleu(hypotheses: list[str], references, smooth: str = "exp", lowercase: bool = False) -> float:
    """Corpus BLEU-4 in 0..100 (see the module docstring); e.g. bleu(["Ella la encontró."], ["Ella la encontró."])
    is 100.0."""
    return corpus_bleu(hypotheses, references, smooth, lowercase).score

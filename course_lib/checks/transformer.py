"""Self-checks for the exercises of 08_encoder_decoder: the shifted decoder input and target, one greedy
decoding step, and BLEU's modified n-gram precision.

Each check compares the student's function with a reference on fixed inputs and recognises the typical
wrong answers (input and target swapped or not shifted, the model's output indexed instead of its
.logits, the first position's logits instead of the last, the next token returned without the prefix,
n-gram counts not clipped, distinct n-grams counted, the reference's n-grams in the denominator) to give
a specific hint. Reference solutions: `solution_<name>`.
Deliberately left out: timing or style checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import torch

from course_lib.checks import exercise, require
from course_lib.transformer import EncoderDecoder, TransformerConfig

# ----------------------------------------------------------------------------- reference solutions


def solution_shift_target(tgt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """tgt (B, T) = start, words, <eos>, padding -> (decoder input tgt[:, :-1], targets tgt[:, 1:])."""
    return tgt[:, :-1], tgt[:, 1:]


def solution_greedy_step(model, src: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """Append the most probable next token: logits at the LAST position, argmax over the vocabulary."""
    logits = model(src, ys).logits  # (B, t, V)
    next_token = logits[:, -1].argmax(dim=-1)  # (B,)
    return torch.cat([ys, next_token[:, None]], dim=1)  # (B, t + 1)


def solution_modified_precision(hypothesis: list[str], reference: list[str], n: int) -> float:
    """Matched n-grams / hypothesis n-grams, each n-gram matched at most as often as the reference has it."""
    hyp = Counter(tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1))
    ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
    total = sum(hyp.values())
    matched = sum(min(count, ref[g]) for g, count in hyp.items())
    return matched / total if total else 0.0


# ----------------------------------------------------------------------------- helpers

def _target() -> torch.Tensor:
    """<bos>=5, words, <eos>=6, [PAD]=0: two rows of different lengths."""
    return torch.tensor([[5, 11, 12, 13, 6, 0], [5, 21, 22, 23, 24, 6]])


def _same(a, b) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == b.shape and bool((a == b).all())


def _tiny_model() -> tuple[EncoderDecoder, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)  # a fixed random model: the check needs its answer, not a good translation
    config = TransformerConfig(20, 20, d_model=16, n_heads=2, d_ff=32, n_layers=1, max_len=16, dropout=0.0)
    model = EncoderDecoder(config).double().eval()
    g = torch.Generator().manual_seed(1)
    src = torch.randint(7, 20, (3, 6), generator=g)
    src[1, 4:] = 0
    ys = torch.cat([torch.full((3, 1), 5), torch.randint(7, 20, (3, 3), generator=g)], dim=1)
    return model, src, ys


def _ngram_list(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


# ----------------------------------------------------------------------------- checks

@exercise("the shifted decoder input and target")
def check_shift_target(shift_target: Callable) -> None:
    """shift_target(tgt) must return (tgt_in, tgt_out) for teacher forcing."""
    tgt = _target()
    got = shift_target(tgt.clone())
    require(isinstance(got, (tuple, list)) and len(got) == 2,
            f"return two tensors (tgt_in, tgt_out), got {type(got).__name__}")
    got_in, got_out = got
    want_in, want_out = solution_shift_target(tgt)
    if _same(got_in, want_in) and _same(got_out, want_out):
        return
    require(not (_same(got_in, want_out) and _same(got_out, want_in)),
            "input and target are swapped: the decoder READS tgt[:, :-1] (starting with <bos>) and must "
            "PREDICT tgt[:, 1:]")
    require(not (_same(got_in, tgt) or _same(got_out, tgt)),
            "shift by one: tgt_in drops the last token, tgt_out drops the first, so both have T - 1 tokens")
    require(not _same(got_in, tgt[:, 1:]), "tgt_in must keep the start token <bos> at position 0: it is what "
                                           "the decoder reads before it has produced anything")
    require(not _same(got_out, tgt[:, :-1]), "tgt_out must not start with <bos>: position 0 has to predict the "
                                             "first real word")
    require(False, "tgt_in = every token but the last, tgt_out = every token but the first")


_LOGITS_HINT = ("model(src, ys) returns a ModelOutput (logits, attentions), not a tensor: take its logits first, "
                "model(src, ys).logits, of shape (B, t, V)")


def _indexed_the_output(err: Exception) -> bool:
    """The error of slicing or calling a tensor method on the ModelOutput tuple instead of its .logits."""
    text = str(err)
    return "tuple indices" in text or "'ModelOutput' object" in text or text.startswith("'NoneType' object")


@exercise("one greedy decoding step")
def check_greedy_step(greedy_step: Callable) -> None:
    """greedy_step(model, src, ys) must return ys with the most probable next token appended."""
    model, src, ys = _tiny_model()
    with torch.no_grad():
        try:
            got = greedy_step(model, src, ys.clone())
        except (TypeError, AttributeError) as err:
            require(not _indexed_the_output(err), _LOGITS_HINT)
            raise
        want = solution_greedy_step(model, src, ys)
        logits = model(src, ys).logits
    require(isinstance(got, torch.Tensor), f"return a tensor of token ids, got {type(got).__name__}")
    if _same(got, want):
        return
    require(got.shape != (ys.shape[0],) and got.shape != (ys.shape[0], 1),
            "return the whole decoder input with the new token appended (B, t + 1), not the new token alone: "
            "torch.cat([ys, next_token[:, None]], dim=1)")
    require(got.shape == want.shape, f"the result should have shape (B, t + 1) = {tuple(want.shape)}, got "
                                     f"{tuple(got.shape)}")
    require(not _same(got[:, -1], logits[:, 0].argmax(-1)),
            "you used the logits of the first position; the next token is predicted by the LAST one, logits[:, -1]")
    require(not _same(got[:, -1], logits[:, -1].argmin(-1)), "argmax, not argmin: take the most probable token")
    require(_same(got[:, :-1], ys), "keep the tokens of ys unchanged and only append one at the end")
    require(False, "the next token is logits[:, -1].argmax(dim=-1): the last position, over the vocabulary")


def _unclipped(hyp: list[str], ref: list[str], n: int) -> float:
    h, r = _ngram_list(hyp, n), _ngram_list(ref, n)
    return sum(g in r for g in h) / len(h) if h else 0.0


def _distinct(hyp: list[str], ref: list[str], n: int) -> float:
    h, r = set(_ngram_list(hyp, n)), set(_ngram_list(ref, n))
    return len(h & r) / len(h) if h else 0.0


def _by_reference(hyp: list[str], ref: list[str], n: int) -> float:
    h, r = Counter(_ngram_list(hyp, n)), Counter(_ngram_list(ref, n))
    return sum(min(c, r[g]) for g, c in h.items()) / sum(r.values()) if r else 0.0


_PRECISION_MISTAKES = [
    (_unclipped, ("clip the counts: each hypothesis n-gram may match at most as many times as it appears in "
                  "the reference ('the the the the' against 'the cat' matches once, not four times)")),
    (_distinct, "count every n-gram of the hypothesis, repeats included (a Counter), not only the distinct ones"),
    (_by_reference, "divide by the number of n-grams of the HYPOTHESIS (precision), not of the reference"),
]


@exercise("BLEU's modified n-gram precision")
def check_modified_precision(modified_precision: Callable) -> None:
    """modified_precision(hypothesis, reference, n) must clip each n-gram's count by the reference's."""
    cases = [("the the the the the the the".split(), "the cat is on the mat".split(), 1),
             ("la pelota roja la pelota roja".split(), "la pelota roja pequeña".split(), 2),
             ("ella la encontró".split(), "ella lo encontró debajo del árbol".split(), 1),
             ("a b c d a b".split(), "a b c d e".split(), 3),
             ("a a b".split(), "a b b b".split(), 1),
             ("x".split(), "x y".split(), 2)]
    got = []
    for hyp, ref, n in cases:
        value = modified_precision(list(hyp), list(ref), n)
        require(isinstance(value, (int, float)) and not isinstance(value, bool),
                f"return a number (matched / total), got {type(value).__name__}")
        got.append(float(value))

    def same(fn: Callable) -> bool:
        return all(abs(g - fn(h, r, n)) < 1e-9 for g, (h, r, n) in zip(got, cases))

    if same(solution_modified_precision):
        return
    for mistake, hint in _PRECISION_MISTAKES:
        require(not same(mistake), hint)
    for g, (hyp, ref, n) in zip(got, cases):
        want = solution_modified_precision(hyp, ref, n)
        require(abs(g - want) < 1e-9, f"for {' '.join(hyp)!r} vs {' '.join(ref)!r} with n={n} expected "
                                      f"{want:.3f}, got {g:.3f} (0.0 when the hypothesis has no n-grams)")

"""Self-checks for the exercises of 09_bert_pretraining: [CLS] a [SEP] b [SEP] with segment ids, and
BERT's masking rule (15% chosen; of those 80% [MASK], 10% random token, 10% unchanged).

The masking check is statistical: it runs the student's function on about 40,000 ordinary tokens
and compares the rates with the rule, within several binomial standard deviations, besides exact
checks (special tokens and padding never change, labels are the original ids or -100).
Reference solutions: `solution_<name>`. Deliberately left out: checks of speed or style.
"""

from __future__ import annotations

import math

import torch

from course_lib.bert.pretraining_data import IGNORE, VocabInfo, mask_tokens
from course_lib.checks import Hint, exercise, require
from course_lib.tokenization import SPECIAL_TOKENS

CLS_ID, SEP_ID, MASK_ID = (SPECIAL_TOKENS.index(t) for t in ("[CLS]", "[SEP]", "[MASK]"))


# ----------------------------------------------------------------------------- reference solutions

def solution_build_input(ids_a: list[int], ids_b: list[int], cls_id: int, sep_id: int) -> tuple[list[int], list[int]]:
    """[CLS] a [SEP] b [SEP], with segment 0 for "[CLS] a [SEP]" and 1 for "b [SEP]"."""
    ids = [cls_id] + list(ids_a) + [sep_id] + list(ids_b) + [sep_id]
    segments = [0] * (len(ids_a) + 2) + [1] * (len(ids_b) + 1)
    return ids, segments


def solution_bert_mask(ids: torch.Tensor, special_ids: list[int], mask_id: int, vocab_size: int,
                       mlm_prob: float = 0.15, generator: torch.Generator | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """Choose each non-special token with probability mlm_prob; chosen: 80% [MASK], 10% random, 10% kept."""
    return mask_tokens(ids, VocabInfo(vocab_size, mask_id, tuple(special_ids)), mlm_prob, generator)


# ----------------------------------------------------------------------------- [CLS] a [SEP] b [SEP]

@exercise("[CLS] a [SEP] b [SEP] with segment ids")
def check_build_input(build_input) -> None:
    """build_input(ids_a, ids_b, cls_id, sep_id) -> (ids, segments), two lists of the same length."""
    for ids_a, ids_b in (([11, 12, 13], [21, 22]), ([31], [41, 42, 43, 44]), ([51, 52], [61])):
        got = build_input(list(ids_a), list(ids_b), CLS_ID, SEP_ID)
        require(isinstance(got, tuple) and len(got) == 2, "return a tuple (ids, segments)")
        ids, segments = (x.tolist() if isinstance(x, torch.Tensor) else list(x) for x in got)
        want_ids, want_segments = solution_build_input(ids_a, ids_b, CLS_ID, SEP_ID)
        if ids != want_ids:
            require(ids[:1] == [CLS_ID], "the input must start with [CLS]: its final vector is what the "
                                         "next-sentence head reads")
            require(ids.count(SEP_ID) == 2, f"there must be two [SEP] tokens (one after a, one after b); "
                                            f"you have {ids.count(SEP_ID)}")
            require(ids[1:1 + len(ids_a)] == ids_a, "segment a comes right after [CLS], in its own order")
            raise Hint(f"for a={ids_a}, b={ids_b} expected ids {want_ids}, got {ids}")
        require(len(segments) == len(ids), f"segments must have one id per token ({len(ids)}), got {len(segments)}")
        if segments != want_segments:
            require(set(segments) <= {0, 1}, f"segment ids are 0 (sentence A) and 1 (sentence B), got {set(segments)}")
            require(1 in segments, "the tokens of b must get segment id 1: otherwise the model cannot tell a from b")
            first_sep = len(ids_a) + 1
            require(segments[first_sep] == 0, "the [SEP] after a belongs to sentence A: segment 0")
            require(segments[0] == 0, "[CLS] belongs to sentence A: segment 0")
            require(segments[-1] == 1, "the final [SEP] (after b) belongs to sentence B: segment 1")
            raise Hint(f"expected segments {want_segments}, got {segments}")


# ----------------------------------------------------------------------------- the 80/10/10 rule

def _test_ids(seed: int = 0) -> torch.Tensor:
    """(100, 400) ids: [CLS] ... [SEP] ... [SEP] [PAD]..., ordinary ids 7..499."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(len(SPECIAL_TOKENS), 500, (100, 400), generator=g)
    ids[:, 0], ids[:, 150] = CLS_ID, SEP_ID
    for row, length in enumerate(torch.randint(200, 401, (100,), generator=g).tolist()):
        ids[row, length - 1], ids[row, length:] = SEP_ID, 0
    return ids


def _near(x: float, p: float, n: int, sigmas: float = 5.0) -> bool:
    return abs(x - p) <= sigmas * math.sqrt(p * (1 - p) / max(n, 1)) + 1e-9


@exercise("BERT's masking rule (15%, then 80/10/10)")
def check_bert_mask(bert_mask) -> None:
    """bert_mask(ids, special_ids, mask_id, vocab_size, mlm_prob, generator) -> (corrupted ids, labels)."""
    specials = list(range(len(SPECIAL_TOKENS)))
    for mlm_prob, seed in ((0.15, 0), (0.3, 1)):
        ids = _test_ids(seed)
        got = bert_mask(ids.clone(), specials, MASK_ID, 500, mlm_prob, torch.Generator().manual_seed(seed))
        require(isinstance(got, tuple) and len(got) == 2, "return a tuple (corrupted ids, labels)")
        out, labels = got
        require(isinstance(out, torch.Tensor) and isinstance(labels, torch.Tensor)
                and out.shape == labels.shape == ids.shape,
                f"return two tensors shaped like ids {tuple(ids.shape)}")
        special = torch.isin(ids, torch.tensor(specials))
        require(torch.equal(out[special], ids[special]),
                "special tokens and padding ([PAD], [CLS], [SEP], ...) must never be chosen or changed")
        chosen = labels != IGNORE
        require(bool(chosen.any()), "no position has a label other than -100: nothing was chosen")
        require(not bool((labels == 0).float().mean() > 0.5),
                "use -100 (not 0) as the label of positions that were not chosen: 0 is [PAD], a real token "
                "id, and F.cross_entropy ignores only -100")
        require(not bool(chosen[special].any()), "special tokens and padding must get the label -100")
        require(torch.equal(out[~chosen], ids[~chosen]),
                "a token with label -100 (not chosen) must stay as it is; every chosen token gets its original "
                "id as label, also those replaced by a random token or left unchanged")
        if not torch.equal(labels[chosen], ids[chosen]):
            require(not torch.equal(labels[chosen], out[chosen]),
                    "the label is the ORIGINAL token (what the model must recover), not the corrupted one")
            raise Hint("where a token was chosen, its label must be the original id")
        n, k = int((~special).sum()), int(chosen.sum())
        masked = int((out[chosen] == MASK_ID).sum()) / k
        kept = int((out[chosen] == ids[chosen]).sum()) / k
        randomised = 1 - masked - kept
        if masked > 0.97:
            require(not _near(k / n, mlm_prob * 0.8, n),
                    f"about {100 * mlm_prob * 0.8:.0f}% of the tokens have labels: give labels to every chosen "
                    f"token ({100 * mlm_prob:.0f}%), also those replaced by a random token or left unchanged")
            raise Hint("every chosen token became [MASK]: apply 80/10/10 (80% [MASK], 10% random token, "
                       "10% unchanged), so the model cannot rely on seeing [MASK]")
        require(_near(k / n, mlm_prob, n), f"with mlm_prob={mlm_prob} about {100 * mlm_prob:.0f}% of the "
                                           f"ordinary tokens should be chosen, you chose {100 * k / n:.1f}%")
        replacements = out[chosen & (out != ids) & (out != MASK_ID)]
        require(not bool(torch.isin(replacements, torch.tensor(specials)).any()),
                "random replacements must be ordinary tokens, never special ones ([PAD], [CLS], ...)")
        require(_near(masked, 0.8, k), f"{100 * masked:.1f}% of the chosen tokens became [MASK]; expected 80%")
        require(randomised > 0.02, "no chosen token was replaced by a random token: that is the middle 10%")
        require(kept > 0.02, "no chosen token was left unchanged: that is the last 10%")
        require(_near(randomised, 0.1, k) and _near(kept, 0.1, k, sigmas=6),
                f"of the chosen tokens {100 * randomised:.1f}% became random and {100 * kept:.1f}% stayed; "
                "expected 10% and 10%")

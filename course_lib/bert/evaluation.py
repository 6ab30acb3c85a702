"""Measuring a BERT: masked-LM and NSP accuracy on held-out batches, a majority baseline, fill-mask.

Taught in 09_bert_pretraining. `pretraining_metrics(model, get_batch)` is the eval_fn the training
engine calls at every evaluation; `majority_baseline` is the accuracy of always guessing the most
frequent masked token (what a model must beat to have learned anything from context); `fill_mask`
is BERT's classic demo: the most likely tokens at each [MASK] of a sentence.
Deliberately left out: perplexity-style pseudo-likelihood scores and beam search over several masks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import torch

from course_lib.util import evaluating

from .model import Bert
from .pretraining_data import IGNORE, encode_pair


@torch.no_grad()
def pretraining_metrics(model: Bert, get_batch: Callable, n_batches: int = 10, split: str = "val") -> dict:
    """mlm_accuracy, nsp_accuracy, mlm_loss and nsp_loss over batches 0..n_batches-1 of `split`.

    mlm_accuracy: the share of masked positions where the top prediction is the original token.
    nsp_accuracy and nsp_loss are measured on the same pairs with their masks undone (as the model is
    used after pretraining; during training it sees masked pairs). The model is put in eval mode for
    the measurement and returned to its former mode.
    """
    if not isinstance(n_batches, int) or isinstance(n_batches, bool) or n_batches < 1:
        raise ValueError(f"n_batches must be a positive int, got {n_batches!r}")
    device = next(model.parameters()).device
    hits = count = nsp_hits = nsp_count = 0
    mlm_loss = nsp_loss = 0.0
    with evaluating(model):
        for i in range(n_batches):
            ids, segments, mlm_labels, nsp_labels = (t.to(device) for t in get_batch(split, i))
            out = model(ids, segments)
            chosen = mlm_labels != IGNORE
            logits = out.logits[chosen].float()  # (N, V)
            hits += int((logits.argmax(-1) == mlm_labels[chosen]).sum())
            count += int(chosen.sum())
            mlm_loss += float(torch.nn.functional.cross_entropy(logits, mlm_labels[chosen], reduction="sum"))
            clean = torch.where(chosen, mlm_labels, ids)  # the pair as it was before masking
            nsp_logits = model(clean, segments).nsp_logits.float()
            nsp_hits += int((nsp_logits.argmax(-1) == nsp_labels).sum())
            nsp_count += len(nsp_labels)
            nsp_loss += float(torch.nn.functional.cross_entropy(nsp_logits, nsp_labels, reduction="sum"))
    return {"mlm_accuracy": hits / max(count, 1), "nsp_accuracy": nsp_hits / nsp_count,
            "mlm_loss": mlm_loss / max(count, 1), "nsp_loss": nsp_loss / nsp_count}


def majority_baseline(get_batch: Callable, n_batches: int = 10, split: str = "val") -> tuple[int, float]:
    """(the most frequent masked token id, the MLM accuracy of always predicting it) on the same batches
    pretraining_metrics reads: the bar a model that ignores the context would reach."""
    counts = Counter()
    for i in range(n_batches):
        labels = get_batch(split, i)[2]
        counts.update(labels[labels != IGNORE].tolist())
    if not counts:
        raise ValueError("the batches hold no masked position (mlm_prob=0?)")
    token, n = counts.most_common(1)[0]
    return token, n / sum(counts.values())


@torch.no_grad()
def fill_mask(model: Bert, tokenizer, text: str, top_k: int = 5) -> list[list[tuple[str, float]]]:
    """The top_k (token, probability) predictions for each [MASK] in `text`, left to right.

    The text is encoded as [CLS] text [SEP]; write " [SEP] " between two sentences to give a pair
    ([CLS] a [SEP] b [SEP], segments 0 and 1). Text longer than max_len is an error, not cut. Each mask
    is predicted on its own from the same input (several masks are not filled one after another).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string containing [MASK], got {type(text).__name__}")
    tokens = tokenizer.tokenize(text)
    if "[MASK]" not in tokens:
        raise ValueError(f"text must contain at least one [MASK] token to fill, got {text!r}")
    if tokens.count("[SEP]") > 1:
        raise ValueError(f"text may contain one [SEP] (between sentence a and sentence b), got {tokens.count('[SEP]')}")
    vocab_size, max_len = model.config.vocab_size, model.config.max_len
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= vocab_size:
        raise ValueError(f"top_k must be an int in [1, vocab_size={vocab_size}], got {top_k!r}")
    if len(tokens) + 3 - ("[SEP]" not in tokens) > max_len:
        raise ValueError(f"text has {len(tokens)} tokens; with [CLS] and [SEP] that is more than max_len={max_len}")
    a, _, b = text.partition("[SEP]")
    encoded = encode_pair(tokenizer, a, b if "[SEP]" in tokens else None, max_len)
    device = next(model.parameters()).device
    ids = torch.tensor([encoded.ids], device=device)
    segments = torch.tensor([encoded.segments], device=device)
    with evaluating(model):
        logits = model(ids, segments).logits[0]  # (T, V)
    positions = (ids[0] == tokenizer.token_to_id("[MASK]")).nonzero().flatten()
    probs = torch.softmax(logits[positions].float(), dim=-1)  # (n_masks, V)
    top = torch.topk(probs, top_k, dim=-1)
    return [[(tokenizer.id_to_token(i), round(float(p), 4)) for p, i in zip(values.tolist(), indices.tolist())]
            for values, indices in zip(top.values, top.indices)]

"""Figures for 10_gpt_pretraining: the next-token distribution, and what temperature, top-k and top-p
do to it.

Both take a row of logits (vocab_size,) and the vocabulary's token strings. Whitespace is drawn
visibly, as everywhere in the course ("␣" for a space, "↵" for a newline; course_lib.plots.style).
Deliberately left out: loss curves
(course_lib.plots.training.plot_history) and attention maps (course_lib.plots.multihead).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from course_lib.gpt import next_token_probs
from course_lib.plots import inputs, set_tick_labels, style, to_numpy

show_token = style.visible  # a token with its whitespace made visible, for axis labels and printed tables


def _check_row(logits, tokens) -> torch.Tensor:
    logits = torch.from_numpy(inputs.array("logits", logits))
    if logits.isnan().any():  # -inf is a fine logit (a token ruled out), NaN is not
        raise ValueError("logits holds NaN; expected numbers (find where they come from first)")
    if logits.dim() != 1:
        raise ValueError(f"logits must be one row of shape (vocab_size,), got {tuple(logits.shape)}")
    tokens = inputs.tokens("tokens", tokens)
    if len(tokens) != logits.shape[0]:
        raise ValueError(f"got {len(tokens)} tokens for {logits.shape[0]} logits; pass the whole vocabulary")
    return logits


def next_token_bars(probs, tokens, k: int = 12, ax=None, title: str | None = None, color: str = style.COLORS[0],
                    order=None, uniform: bool = False):
    """Bar chart of the k most likely next tokens (or of the tokens at `order`). Returns the Axes.

    uniform=True adds a dotted line at 1 / vocab_size, the probability of every token under a uniform guess.
    """
    p = inputs.array("probs", probs)
    p = inputs.series("probs (one row, (vocab_size,))", p[0] if p.ndim == 2 and len(p) == 1 else p)
    inputs.probabilities("probs", p, "probabilities", "probabilities (the softmax of the logits), not logits")
    tokens = inputs.tokens("tokens", tokens)
    if len(tokens) != len(p):
        raise ValueError(f"got {len(tokens)} tokens for {len(p)} probabilities; pass the whole vocabulary")
    if order is None:
        if not 1 <= inputs.count("k", k) <= len(p):
            raise ValueError(f"k must be in [1, {len(p)}], got {k}")
        order = np.argsort(-p, kind="stable")[:k]
    order = np.asarray(inputs.indices("order", order, len(p), "a token id"))
    if ax is None:
        longest = max(len(show_token(tokens[i])) for i in order)
        _, ax = style.subplots(figsize=(min(style.MAX_WIDTH_IN, max(5.0, (0.42 + 0.04 * longest) * len(order) + 1.6)),
                                        3.6 + 0.06 * min(longest, 20)))
    ax.bar(range(len(order)), p[order], color=color)
    set_tick_labels(ax, "x", [tokens[i] for i in order])
    top = max(float(p[order].max()), 1e-9)
    if uniform:
        ax.axhline(1 / len(p), color="black", linestyle=":", label=f"uniform guess, 1/{len(p)}")
        ax.legend()
        top = max(top, 1 / len(p))
    ax.set_ylim(0, 1.1 * top)
    ax.set_xlabel("next token")
    ax.set_ylabel("probability")
    ax.set_title(title or f"the {len(order)} most likely next tokens")
    return ax


def sampling_panels(logits, tokens, temperatures=(0.5, 1.0, 2.0), top_k: int = 5, top_p: float = 0.9,
                    k: int = 12, title: str | None = None):
    """One next-token distribution under different settings: a row of temperatures, then top-k and top-p.

    Every panel shows the same k tokens (the most likely at temperature 1), so the bars can be compared.
    Returns the array of Axes.
    """
    logits = _check_row(logits, tokens)
    k = inputs.count("k", k)  # more than the vocabulary shows the whole vocabulary
    settings = [(f"temperature {t:g}", dict(temperature=t)) for t in temperatures]
    settings += [(f"top-k = {top_k}", dict(top_k=top_k)), (f"top-p = {top_p:g}", dict(top_p=top_p))]
    base = next_token_probs(logits)
    order = np.argsort(-to_numpy(base).reshape(-1), kind="stable")[:k]
    ncols = 3
    nrows = math.ceil(len(settings) / ncols)
    fig, axes = style.subplots(nrows, ncols, figsize=(10, 3.4 * nrows + 0.6), sharey=True, squeeze=False)
    for ax, (name, kwargs) in zip(axes.flat, settings):
        probs = next_token_probs(logits, **kwargs)
        kept = int((probs > 0).sum())
        next_token_bars(probs, tokens, ax=ax, order=order, color=style.COLORS[1] if "top" in name else style.COLORS[0],
                        title=f"{name}: {kept} possible")
        ax.set_ylim(0, 1)
        if ax not in axes[:, 0]:
            ax.set_ylabel("")
    for ax in list(axes.flat)[len(settings):]:
        ax.axis("off")
    fig.suptitle(title or f"one next-token distribution, {len(settings)} ways to sample from it")
    fig.tight_layout()
    return axes.ravel()[:len(settings)]

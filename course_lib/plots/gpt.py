"""Figures for 10_gpt_pretraining: the next-token distribution, and what temperature, top-k and top-p
do to it.

Both take a row of logits (vocab_size,) and the vocabulary's token strings. Whitespace is drawn
visibly ("␣" for a space, "⏎" for a newline). Deliberately left out: loss curves
(course_lib.plots.training.plot_history) and attention maps (course_lib.plots.multihead).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.gpt import next_token_probs
from course_lib.plots import to_numpy

VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def show_token(token: str) -> str:
    """A token string with its whitespace made visible, for axis labels and printed tables."""
    return "".join(VISIBLE.get(ch, ch) for ch in token)


def _check_row(logits, tokens) -> torch.Tensor:
    logits = torch.as_tensor(logits).detach().float().cpu()
    if logits.dim() != 1:
        raise ValueError(f"logits must be one row of shape (vocab_size,), got {tuple(logits.shape)}")
    if len(tokens) != logits.shape[0]:
        raise ValueError(f"got {len(tokens)} tokens for {logits.shape[0]} logits; pass the whole vocabulary")
    return logits


def next_token_bars(probs, tokens, k: int = 12, ax=None, title: str | None = None, color: str = "tab:blue",
                    order=None):
    """Bar chart of the k most likely next tokens (or of the tokens at `order`). Returns the Axes."""
    p = to_numpy(probs).reshape(-1)
    if len(tokens) != len(p):
        raise ValueError(f"got {len(tokens)} tokens for {len(p)} probabilities; pass the whole vocabulary")
    if order is None:
        if not 1 <= k <= len(p):
            raise ValueError(f"k must be in [1, {len(p)}], got {k}")
        order = np.argsort(-p, kind="stable")[:k]
    order = np.asarray(order)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(order) + 1.5), 3.0))
    ax.bar(range(len(order)), p[order], color=color)
    ax.set_xticks(range(len(order)), [show_token(tokens[i]) for i in order])
    ax.set_ylim(0, 1.05 * max(float(p[order].max()), 1e-9))
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
    settings = [(f"temperature {t:g}", dict(temperature=t)) for t in temperatures]
    settings += [(f"top-k = {top_k}", dict(top_k=top_k)), (f"top-p = {top_p:g}", dict(top_p=top_p))]
    base = next_token_probs(logits)
    order = np.argsort(-to_numpy(base).reshape(-1), kind="stable")[:k]
    fig, axes = plt.subplots(1, len(settings), figsize=(2.6 * len(settings), 2.9), sharey=True)
    for ax, (name, kwargs) in zip(axes, settings):
        probs = next_token_probs(logits, **kwargs)
        kept = int((probs > 0).sum())
        next_token_bars(probs, tokens, ax=ax, order=order, color="tab:orange" if "top" in name else "tab:blue",
                        title=f"{name}\n({kept} tokens possible)")
        ax.set_ylim(0, 1)
        if ax is not axes[0]:
            ax.set_ylabel("")
    fig.suptitle(title or "one next-token distribution, five ways to sample from it")
    fig.tight_layout()
    return axes

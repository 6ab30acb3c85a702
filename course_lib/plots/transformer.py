"""Figures for 08_encoder_decoder: teacher forcing, cross-attention alignments, decoding steps, BLEU.

`plot_teacher_forcing` draws the shifted target (what the decoder reads, what it must predict);
`plot_cross_attention` one heatmap per layer of the cross-attention (English columns, Spanish rows,
the word being produced on each row), `plot_next_token` the most probable next tokens of one decoding
step, `plot_bleu` the four n-gram precisions and the brevity penalty. Deliberately left out: the
explorer (course_lib.widgets.transformer) and bertviz (course_lib.viz).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from course_lib.plots import heatmap, to_numpy


def plot_teacher_forcing(tokens: Sequence[str], ax=None, title: str = "teacher forcing: read one, predict the next"):
    """Boxes: the decoder input tokens[:-1] on the bottom row, the targets tokens[1:] above, arrows between."""
    tokens = [str(t) for t in tokens]
    if len(tokens) < 2:
        raise ValueError(f"tokens must hold a start token and at least one more, got {tokens}")
    n = len(tokens) - 1
    if ax is None:
        _, ax = plt.subplots(figsize=(1.15 * n + 1.6, 2.2))
    for i in range(n):
        for y, text, colour in ((0, tokens[i], "#dbe9f6"), (1.2, tokens[i + 1], "#fde0c5")):
            ax.text(i, y, text, ha="center", va="center", fontsize=9,
                    bbox=dict(boxstyle="round", fc=colour, ec="gray"))
        ax.annotate("", xy=(i, 0.95), xytext=(i, 0.25), arrowprops=dict(arrowstyle="->", color="gray"))
        if i + 1 < n:  # the word predicted at position i is what position i + 1 reads
            ax.annotate("", xy=(i + 1, 0.25), xytext=(i + 0.1, 0.95),
                        arrowprops=dict(arrowstyle="->", color="tab:orange", ls=":", alpha=0.6))
    ax.text(-0.9, 0, "tgt_in\n(decoder reads)", ha="right", va="center", fontsize=8)
    ax.text(-0.9, 1.2, "tgt_out\n(must predict)", ha="right", va="center", fontsize=8)
    ax.set_xlim(-2.6, n - 0.4)
    ax.set_ylim(-0.5, 1.7)
    ax.axis("off")
    ax.set_title(title)
    return ax


def _layer_weights(weights, head, batch_index: int) -> np.ndarray:
    """(B, H, T, S) -> (T, S) for one sample: one head, or the mean over heads when head is None."""
    w = to_numpy(weights[batch_index].mean(0) if head is None else weights[batch_index, head])
    return w


def plot_cross_attention(cross: Sequence, src_tokens: Sequence[str], out_tokens: Sequence[str], head: int | None = None,
                         layers: Sequence[int] | None = None, batch_index: int = 0, title: str | None = None,
                         size: float = 3.0):
    """One heatmap per decoder layer: row i = the Spanish token produced at step i, columns = English tokens.

    cross: a list over layers of (B, H, T, S) weights (Attentions.cross). head=None averages the heads.
    Returns the axes.
    """
    if not isinstance(cross, (list, tuple)) or not cross:
        raise TypeError(f"cross must be a non-empty list over layers of (B, H, T, S) tensors, got {type(cross).__name__}")
    T, S = cross[0].shape[-2:]
    if len(src_tokens) != S or len(out_tokens) != T:
        raise ValueError(f"the attention is {T} x {S} (target x source) but got {len(out_tokens)} output tokens "
                         f"and {len(src_tokens)} source tokens")
    layers = list(range(len(cross))) if layers is None else list(layers)
    fig, axes = plt.subplots(1, len(layers), figsize=(size * len(layers) * max(S, 4) / 8 + 1.5, size * max(T, 4) / 8 + 1.2),
                             squeeze=False)
    for k, (ax, layer) in enumerate(zip(axes[0], layers)):
        heatmap(_layer_weights(cross[layer], head, batch_index), rows=out_tokens if k == 0 else None, cols=src_tokens,
                ax=ax, vmin=0, vmax=1, colorbar=False, title=f"layer {layer}")
        if k:
            ax.set_yticks([])
    axes[0][0].set_ylabel("Spanish token produced")
    fig.supxlabel("English token attended to", fontsize=9)
    who = "mean over heads" if head is None else f"head {head}"
    fig.suptitle(title or f"cross-attention ({who})")
    fig.tight_layout()
    return axes[0]


def plot_next_token(tokens: Sequence[str], probs: Sequence[float], ax=None, title: str = "next-token probabilities"):
    """Horizontal bars: the candidate next tokens of one decoding step and their probabilities."""
    if len(tokens) != len(probs):
        raise ValueError(f"{len(tokens)} tokens but {len(probs)} probabilities")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 0.35 * len(tokens) + 1.0))
    y = np.arange(len(tokens))[::-1]
    ax.barh(y, probs, color=["tab:green"] + ["tab:gray"] * (len(tokens) - 1))
    ax.set_yticks(y, [str(t) for t in tokens])
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability")
    ax.set_title(title)
    return ax


def plot_bleu(score, ax=None, title: str | None = None):
    """Bars of the modified n-gram precisions p1..p4 (percent) with the brevity penalty and the score."""
    precisions = list(score.precisions)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 2.8))
    names = [f"p{n}" for n in range(1, len(precisions) + 1)]
    ax.bar(names, precisions, color="tab:blue")
    for i, p in enumerate(precisions):
        ax.text(i, p + 1, f"{p:.1f}", ha="center", fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_ylabel("modified precision (%)")
    ax.set_xlabel("n-gram order")
    ax.set_title(title or f"BLEU {score.score:.1f} = BP {score.brevity_penalty:.3f} x geometric mean")
    return ax

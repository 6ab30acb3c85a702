"""Figures for 08_encoder_decoder (and 11_pretrained_models): teacher forcing, cross-attention
alignments, decoding steps, BLEU.

`plot_teacher_forcing` draws the shifted target (what the decoder reads, what it must predict);
`plot_cross_attention` one heatmap per decoder layer of the cross-attention (source columns, target
rows) on the attention scale 0 to 1 with its colour bar; `plot_next_token` the most probable next tokens
of one decoding step; `plot_bleu` the four n-gram precisions and the brevity penalty. The whole model's
picture is course_lib.plots.diagrams.plot_encoder_decoder. Deliberately left out: the explorer
(course_lib.widgets.transformer) and bertviz (course_lib.viz).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_lib.guards import describe
from course_lib.plots import heatmap, inputs, style

ROW_LABEL = "Spanish token produced"


def plot_teacher_forcing(tokens: Sequence[str], ax=None, title: str = "teacher forcing: read one, predict the next"):
    """Boxes: the decoder input tokens[:-1] on the bottom row, the targets tokens[1:] above, arrows between."""
    tokens = inputs.tokens("tokens", tokens)
    if len(tokens) < 2:
        raise ValueError(f"tokens must hold a start token and at least one more, got {tokens}")
    n = len(tokens) - 1
    longest = max(len(t) for t in tokens)
    per = max(0.75, 0.1 * longest + 0.4)  # inches per token
    if ax is None:
        _, ax = style.subplots(figsize=(min(style.MAX_WIDTH_IN, per * n + 2.2), 3.0))
    for i in range(n):
        for y, text, colour in ((0, tokens[i], "#cfe3f3"), (1.2, tokens[i + 1], "#fbe5bf")):
            ax.text(i, y, style.label(text), ha="center", va="center", color="black",
                    bbox=dict(boxstyle="round", fc=colour, ec="#555555"))
        ax.annotate("", xy=(i, 0.95), xytext=(i, 0.25), arrowprops=dict(arrowstyle="-|>", color="#333333", lw=1.5))
        if i + 1 < n:  # the word predicted at position i is what position i + 1 reads
            ax.annotate("", xy=(i + 1, 0.25), xytext=(i + 0.12, 0.95),
                        arrowprops=dict(arrowstyle="-|>", color=style.OKABE_ITO["vermillion"], ls="--", lw=1.5))
    ax.text(-0.6, 0, "tgt_in\n(decoder reads)", ha="right", va="center")
    ax.text(-0.6, 1.2, "tgt_out\n(must predict)", ha="right", va="center")
    ax.set_xlim(-2.4, n - 0.4)
    ax.set_ylim(-0.5, 1.7)
    ax.axis("off")
    ax.set_title(title)
    return ax


def _layer_weights(weights, head, batch_index: int) -> np.ndarray:
    """(B, H, T, S) -> (T, S) for one sample: one head, or the mean over heads when head is None."""
    return weights[batch_index].mean(0) if head is None else weights[batch_index, head]


def plot_cross_attention(cross: Sequence, src_tokens: Sequence[str], out_tokens: Sequence[str], head: int | None = None,
                         layers: Sequence[int] | None = None, batch_index: int = 0, title: str | None = None,
                         size: float = 3.0, row_label: str = ROW_LABEL, col_label: str = "English token attended to"):
    """One heatmap per decoder layer (0-based `layers`, titled from 1): row i = out_tokens[i], columns =
    source tokens, on the attention scale 0 to 1 with one colour bar.

    cross: a list over layers of (B, H, T, S) weights (Attentions.cross). head=None averages the heads.
    row_label names what the rows are: the tokens produced (course_lib.transformer.translate's
    output_tokens), or the decoder's input tokens (each row produces the next token). Returns the axes.
    """
    if not isinstance(cross, (list, tuple)) or not cross:
        raise TypeError(f"cross must be a non-empty list over layers of (B, H, T, S) tensors, got {type(cross).__name__}")
    cross = [inputs.weights(f"cross[{i}]", w, dims=4, what="(B, H, T, S)") for i, w in enumerate(cross)]
    if any(w.shape != cross[0].shape for w in cross):
        raise ValueError(f"every layer of cross must have the same shape (B, H, T, S), got {[w.shape for w in cross]}")
    B, H, T, S = cross[0].shape
    src_tokens, out_tokens = inputs.tokens("src_tokens", src_tokens), inputs.tokens("out_tokens", out_tokens)
    if len(src_tokens) != S or len(out_tokens) != T:
        raise ValueError(f"the attention is {T} x {S} (target x source) but got {len(out_tokens)} output tokens "
                         f"and {len(src_tokens)} source tokens")
    layers = list(range(len(cross))) if layers is None else inputs.indices("layers", layers, len(cross), "a layer")
    head = None if head is None else inputs.index("head", head, H, "a head; None averages them")
    batch_index = inputs.index("batch_index", batch_index, B, "a sample of the batch")
    n = len(layers)
    cell = min(0.36, (style.MAX_WIDTH_IN - 3.2) / (n * max(S, 4)))
    fig, axes = style.subplots(1, n, figsize=(cell * n * max(S, 4) + 3.2, 0.34 * max(T, 4) + 2.4), squeeze=False)
    for k, (ax, layer) in enumerate(zip(axes[0], layers)):
        heatmap(_layer_weights(cross[layer], head, batch_index), rows=out_tokens if k == 0 else None, cols=src_tokens,
                ax=ax, attention=True, colorbar=False, title=style.layer_head(layer))
        if k:
            ax.set_yticks([])
    axes[0][0].set_ylabel(row_label)
    fig.supxlabel(col_label)
    fig.suptitle(title or f"cross-attention ({'mean of heads' if head is None else style.layer_head(None, head)})")
    fig.tight_layout()
    style.attention_colorbar(axes[0][0].images[0], axes[0])
    return axes[0]


def plot_next_token(tokens: Sequence[str], probs: Sequence[float], ax=None, title: str = "next-token probabilities",
                    chosen: int = 0):
    """Horizontal bars: the candidate next tokens of one decoding step and their probabilities (written
    beside each bar); the chosen one (index `chosen`, the most probable by default) is hatched and named."""
    tokens, p = inputs.tokens("tokens", tokens), inputs.series("probs", probs)
    if len(tokens) != len(p):
        raise ValueError(f"{len(tokens)} tokens but {len(p)} probabilities")
    if not tokens:
        raise ValueError("tokens is empty; expected at least one candidate token")
    inputs.probabilities("probs", p, "probabilities", "probabilities (softmax outputs), not logits")
    chosen = inputs.index("chosen", chosen, len(tokens), "one of the tokens")
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 0.42 * len(tokens) + 1.6))
    y = np.arange(len(tokens))[::-1]
    bars = ax.barh(y, p, color=style.OKABE_ITO["grey"])
    bars[chosen].set(color=style.OKABE_ITO["green"], hatch="//", edgecolor="white")
    for yi, pi in zip(y, p):
        ax.text(pi, yi, f" {pi:.2f}", va="center", fontsize=style.SMALL)
    ax.set_yticks(y, [style.label(t) + (" (chosen)" if k == chosen else "") for k, t in enumerate(tokens)])
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("probability")
    ax.set_ylabel("candidate token")
    ax.set_title(title)
    return ax


def plot_bleu(score, ax=None, title: str | None = None):
    """Bars of the modified n-gram precisions p1..p4 (percent) with the brevity penalty and the score."""
    if not all(hasattr(score, name) for name in ("precisions", "brevity_penalty", "score")):
        raise TypeError(f"score must be what corpus_bleu returns (with precisions, brevity_penalty and score), "
                        f"got {describe(score)}")
    precisions = list(score.precisions)
    if ax is None:
        _, ax = style.subplots(figsize=(6.0, 3.8))
    names = [f"p{n}" for n in range(1, len(precisions) + 1)]
    ax.bar(names, precisions, color=style.COLORS[0])
    for i, p in enumerate(precisions):
        ax.text(i, p + 1, f"{p:.1f}", ha="center", fontsize=style.SMALL)
    ax.set_ylim(0, 112)
    ax.set_ylabel("modified precision (%)")
    ax.set_xlabel("n-gram order")
    ax.set_title(title or f"BLEU {score.score:.1f} = BP {score.brevity_penalty:.3f} x geometric mean")
    return ax

"""Figures for 09_bert_pretraining: the input representation, pretraining accuracies, fill-mask bars,
fine-tuning curves.

Each function takes plain values (token strings, a History, lists of numbers) and returns the Axes it
drew on. The two attention masks (bidirectional vs causal) are drawn with course_lib.plots.masking.
Deliberately left out: interactivity (course_lib.widgets.bert).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt

from course_lib.training import History

_SEGMENT_COLOURS = ("#c6dbef", "#fdd0a2")  # sentence A blue, sentence B orange


def plot_input_representation(tokens: Sequence[str], segments: Sequence[int], ax=None):
    """BERT's input as three rows of vectors that are added: token, segment (A/B) and position."""
    if len(tokens) != len(segments):
        raise ValueError(f"tokens ({len(tokens)}) and segments ({len(segments)}) must have the same length")
    T = len(tokens)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.75 * T + 1.5), 2.9))
    rows = [("token", [f"E[{t}]" for t in tokens]), ("segment", [f"E_{'AB'[s]}" for s in segments]),
            ("position", [f"E_{i}" for i in range(T)])]
    for r, (name, labels) in enumerate(rows):
        y = len(rows) - r
        ax.text(-0.7, y, name, ha="right", va="center", fontsize=9)
        for i, label in enumerate(labels):
            colour = _SEGMENT_COLOURS[segments[i]] if name != "position" else "#e5e5e5"
            ax.text(i, y, label, ha="center", va="center", fontsize=7,
                    bbox=dict(boxstyle="round,pad=0.3", fc=colour, ec="grey"))
            if r < len(rows) - 1:
                ax.text(i, y - 0.5, "+", ha="center", va="center", fontsize=9)
    for i, t in enumerate(tokens):
        ax.text(i, len(rows) + 0.9, t, ha="center", va="center", fontsize=8, rotation=45)
    ax.set_xlim(-2.6, T - 0.4)
    ax.set_ylim(0.4, len(rows) + 1.4)
    ax.axis("off")
    ax.set_title("input = token + segment + position vectors, then LayerNorm (blue: sentence A, orange: B)",
                 fontsize=9)
    return ax


def plot_masking_rates(chosen: float, masked: float, randomised: float, kept: float, mlm_prob: float = 0.15,
                       axes=None):
    """Measured masking rates next to BERT's rule: the share of ordinary tokens chosen (left) and what
    became of the chosen ones (right: [MASK] / random token / unchanged)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 2.8), gridspec_kw={"width_ratios": [1, 2]})
    left, right = axes
    left.bar(["chosen"], [chosen], color="tab:blue")
    left.axhline(mlm_prob, color="black", ls="--", lw=1, label=f"rule: {mlm_prob:.0%}")
    left.set(ylim=(0, max(0.3, 1.5 * mlm_prob)), ylabel="share of ordinary tokens", title="1. choose")
    left.legend(fontsize=8)
    names, measured, rule = ["[MASK]", "random token", "unchanged"], [masked, randomised, kept], [0.8, 0.1, 0.1]
    right.bar(names, measured, color=["tab:orange", "tab:green", "tab:grey"])
    for x, (m, r) in enumerate(zip(measured, rule)):
        right.hlines(r, x - 0.4, x + 0.4, color="black", ls="--", lw=1)
        right.text(x, m + 0.03, f"{m:.1%}", ha="center", fontsize=8)
    right.set(ylim=(0, 1), ylabel="share of chosen tokens", title="2. corrupt the chosen (dashed: 80/10/10)")
    right.figure.tight_layout()
    return axes


def plot_pretraining(history: History, baseline: float | None = None, nsp_target: float | None = 0.9, axes=None):
    """Left: training and validation loss. Right: held-out MLM and NSP accuracy against the step,
    with the majority-token baseline (dotted) and the NSP target (dashed)."""
    if not isinstance(history, History):
        raise TypeError(f"history must be a History (what train returns), got {type(history).__name__}")
    missing = {"mlm_accuracy", "nsp_accuracy"} - set(history.metrics)
    if missing:
        raise ValueError(f"history.metrics has no {sorted(missing)}: train with eval_fn=pretraining_metrics")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    left, right = axes
    left.plot(history.steps, history.train_loss, label="train (MLM + NSP)", alpha=0.8)
    if history.val_loss:
        left.plot(history.val_steps, history.val_loss, "o-", ms=3, label="validation")
    left.set(xlabel="step", ylabel="loss", title="pretraining loss")
    left.legend()
    steps = history.val_steps[-len(history.metrics["mlm_accuracy"]):]
    right.plot(steps, history.metrics["mlm_accuracy"], "o-", ms=3, label="MLM accuracy (masked tokens)")
    right.plot(steps, history.metrics["nsp_accuracy"], "s-", ms=3, label="NSP accuracy (sentence pairs)")
    if baseline is not None:
        right.axhline(baseline, color="tab:blue", ls=":", label=f"most frequent token ({baseline:.0%})")
    if nsp_target is not None:
        right.axhline(nsp_target, color="tab:orange", ls="--", lw=1, label=f"NSP target ({nsp_target:.0%})")
    right.axhline(0.5, color="grey", lw=0.8, label="NSP chance (50%)")
    right.set(xlabel="step", ylabel="accuracy on held-out stories", ylim=(0, 1), title="what the model learned")
    right.legend(fontsize=7, loc="lower right")
    right.figure.tight_layout()
    return axes


def plot_fill_mask(predictions: Sequence[Sequence[tuple[str, float]]], text: str = "", axes=None):
    """One horizontal bar chart per [MASK]: its top-k tokens and their probabilities (fill_mask's output).

    With one [MASK] the text is the chart's title; with several it is the figure's title.
    """
    if not predictions:
        raise ValueError("predictions is empty: fill_mask returns one list per [MASK]")
    n = len(predictions)
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(3.4 * n + 0.6, 0.32 * len(predictions[0]) + 1.3), squeeze=False)
        axes = axes[0]
    if len(axes) != n:
        raise ValueError(f"got {len(axes)} axes for {n} masks")
    for k, (ax, top) in enumerate(zip(axes, predictions)):
        words, probs = [w for w, _ in top][::-1], [p for _, p in top][::-1]
        ax.barh(words, probs, color="tab:blue")
        for y, p in enumerate(probs):
            ax.text(p, y, f" {p:.2f}", va="center", fontsize=8)
        ax.set_xlim(0, min(1.0, max(0.25, 1.3 * max(probs))))
        ax.set_xlabel("probability")
        ax.set_title(text if n == 1 and text else f"[MASK] {k + 1}" if n > 1 else "[MASK]", fontsize=9)
    if text and n > 1:
        axes[0].figure.suptitle(text, fontsize=10)
    axes[0].figure.tight_layout()
    return axes


def plot_accuracy_curves(curves: dict[str, tuple[Sequence[int], Sequence[float]]], chance: float | None = 0.5,
                         ax=None, title: str = "fine-tuning: accuracy on held-out examples"):
    """Accuracy against the fine-tuning step for several runs, e.g. {"pretrained": (steps, accs), ...}."""
    if not curves:
        raise ValueError("curves must hold at least one run: {name: (steps, accuracies)}")
    if ax is None:
        _, ax = plt.subplots()
    for name, (steps, accs) in curves.items():
        if len(steps) != len(accs):
            raise ValueError(f"curve {name!r} has {len(steps)} steps and {len(accs)} accuracies")
        ax.plot(steps, accs, "o-", ms=3, label=f"{name} (last {accs[-1]:.0%})")
    if chance is not None:
        ax.axhline(chance, color="grey", lw=0.8, ls=":", label=f"chance ({chance:.0%})")
    ax.set(xlabel="fine-tuning step", ylabel="accuracy", ylim=(0, 1.02), title=title)
    ax.legend(fontsize=8, loc="lower right")
    return ax

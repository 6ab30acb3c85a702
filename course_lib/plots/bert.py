"""Figures for 09_bert_pretraining: the input representation, pretraining accuracies, fill-mask bars,
fine-tuning curves.

Each function takes plain values (token strings, a History, lists of numbers) and returns the Axes it
drew on. The two attention masks (bidirectional vs causal) are drawn with course_lib.plots.masking.
Deliberately left out: interactivity (course_lib.widgets.bert).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Patch

from course_lib.guards import describe
from course_lib.plots import inputs, style
from course_lib.training import History

_SEGMENT_COLOURS = ("#cfe3f3", "#fbe5bf")  # sentence A blue, sentence B orange (the segment row says A or B)


def plot_input_representation(tokens: Sequence[str], segments: Sequence[int], ax=None):
    """BERT's input as three rows of vectors that are added: token, segment (A/B) and position."""
    tokens, segments = inputs.tokens("tokens", tokens), inputs.series("segments", segments)
    if len(tokens) != len(segments):
        raise ValueError(f"tokens ({len(tokens)}) and segments ({len(segments)}) must have the same length")
    if not tokens:
        raise ValueError("tokens is empty; expected at least one token, e.g. [CLS]")
    if not np.isin(segments, (0, 1)).all():
        raise ValueError(f"segments must hold 0 (sentence A) or 1 (sentence B) for each token, got "
                         f"{segments[~np.isin(segments, (0, 1))][0]:g}")
    segments = segments.astype(int).tolist()
    T = len(tokens)
    per = max(0.6, 0.085 * max(len(str(t)) for t in tokens) + 0.3)  # inches per token
    if ax is None:
        _, ax = style.subplots(figsize=(min(style.MAX_WIDTH_IN, per * T + 1.6), 3.6))
    rows = [("token", [style.label(t) for t in tokens]),
            ("segment", ["AB"[s] for s in segments]), ("position", [str(i) for i in range(T)])]
    for r, (name, labels) in enumerate(rows):
        y = len(rows) - r
        ax.text(-0.6, y, f"{name}\nembedding", ha="right", va="center")
        for i, label in enumerate(labels):
            colour = _SEGMENT_COLOURS[segments[i]] if name != "position" else "#e5e5e5"
            ax.text(i, y, label, ha="center", va="center", fontsize=style.SMALL, color="black",
                    bbox=dict(boxstyle="round,pad=0.3", fc=colour, ec="#555555"))
            if r < len(rows) - 1:
                ax.text(i, y - 0.5, "+", ha="center", va="center")
    ax.set_xlim(-1.9, T - 0.4)
    ax.set_ylim(0.4, len(rows) + 0.6)
    ax.axis("off")
    ax.legend(handles=[Patch(fc=_SEGMENT_COLOURS[0], ec="#555555", label="sentence A"),
                       Patch(fc=_SEGMENT_COLOURS[1], ec="#555555", label="sentence B")],
              loc="upper left", bbox_to_anchor=(0.0, 0.0), ncol=2, frameon=False)
    ax.set_title("input = token + segment + position embeddings, then LayerNorm")
    return ax


def plot_masking_rates(chosen: float, masked: float, randomised: float, kept: float, mlm_prob: float = 0.15,
                       axes=None):
    """Measured masking rates next to BERT's rule: the share of ordinary tokens chosen (left) and what
    became of the chosen ones (right: [MASK] / random token / unchanged). Every rate is a share in [0, 1]."""
    chosen, masked, randomised, kept = (inputs.number(name, value, 0, 1, high_open=False) for name, value in (
        ("chosen", chosen), ("masked", masked), ("randomised", randomised), ("kept", kept)))
    mlm_prob = inputs.number("mlm_prob", mlm_prob, 0, 1, low_open=True, high_open=False)
    if axes is None:
        _, axes = style.subplots(1, 2, figsize=(9.6, 3.8), gridspec_kw={"width_ratios": [1, 2]})
    left, right = axes
    left.bar(["chosen"], [chosen], color=style.COLORS[0])
    left.text(0, chosen + 0.01, f"{chosen:.1%}", ha="center", va="bottom", fontsize=style.SMALL)
    left.axhline(mlm_prob, color="black", ls="--", lw=1, label=f"rule: {mlm_prob:.0%}")
    left.set(ylim=(0, max(0.3, 1.5 * mlm_prob)), ylabel="share of ordinary tokens", title="1. choose",
             xlabel="ordinary tokens")
    left.legend(loc="upper right")
    names, measured, rule = ["[MASK]", "random", "unchanged"], [masked, randomised, kept], [0.8, 0.1, 0.1]
    bars = right.bar(names, measured, color=[style.OKABE_ITO["orange"], style.OKABE_ITO["green"], style.OKABE_ITO["grey"]])
    for bar, hatch in zip(bars, ("", "//", "..")):
        bar.set(hatch=hatch, edgecolor="white")
    for x, (m, r) in enumerate(zip(measured, rule)):
        right.hlines(r, x - 0.4, x + 0.4, color="black", ls="--", lw=1)
        right.text(x, m + 0.03, f"{m:.1%}", ha="center", fontsize=style.SMALL)
    right.set(ylim=(0, 1), ylabel="share of chosen tokens", title="2. corrupt the chosen (dashed: 80/10/10)",
              xlabel="what a chosen token became")
    right.figure.tight_layout()
    return axes


def plot_pretraining(history: History, baseline: float | None = None, nsp_target: float | None = 0.9, axes=None,
                     data: str = "held-out data"):
    """Left: training and validation loss. Right: held-out MLM and NSP accuracy against the step,
    with the majority-token baseline (dotted) and the NSP target (dashed; None leaves it out).
    `data` names what the accuracy is measured on ("held-out stories", "held-out Shakespeare", ...).
    The legends sit under the plots, so no curve is hidden."""
    inputs.history("history", history)
    missing = {"mlm_accuracy", "nsp_accuracy"} - set(history.metrics)
    if missing:
        raise ValueError(f"history.metrics has no {sorted(missing)}: train with eval_fn=pretraining_metrics")
    n_mlm, n_nsp = len(history.metrics["mlm_accuracy"]), len(history.metrics["nsp_accuracy"])
    if n_mlm != n_nsp or n_mlm > len(history.val_steps):
        raise ValueError(f"history.metrics['mlm_accuracy'] and ['nsp_accuracy'] must hold one value per evaluation "
                         f"(at most {len(history.val_steps)}, one per val_steps), got {n_mlm} and {n_nsp}")
    for name, value in (("baseline", baseline), ("nsp_target", nsp_target)):
        if value is not None:
            inputs.number(name, value, 0, 1, high_open=False)
    if axes is None:
        _, axes = style.subplots(1, 2, figsize=(10, 5.4))
    left, right = axes
    left.plot(history.steps, history.train_loss, label="train (MLM + NSP)", alpha=0.8, color=style.COLORS[0], ls="-")
    if history.val_loss:
        left.plot(history.val_steps, history.val_loss, ms=4, label="validation", **style.line_style(1))
    left.set(xlabel="step", ylabel="loss", title="pretraining loss")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1, frameon=False)
    steps = history.val_steps[-len(history.metrics["mlm_accuracy"]):]
    right.plot(steps, history.metrics["mlm_accuracy"], ms=4, label="MLM accuracy (masked tokens)", **style.line_style(0))
    right.plot(steps, history.metrics["nsp_accuracy"], ms=4, label="NSP accuracy (sentence pairs)", **style.line_style(1))
    if baseline is not None:
        right.axhline(baseline, color=style.COLORS[0], ls=":", label=f"most frequent token ({baseline:.0%})")
    if nsp_target is not None:
        right.axhline(nsp_target, color=style.COLORS[1], ls="--", lw=1, label=f"NSP target ({nsp_target:.0%})")
    right.axhline(0.5, color="grey", lw=1, ls="-.", label="NSP chance (50%)")
    right.set(xlabel="step", ylabel=f"accuracy on {data}", ylim=(0, 1), title="what the model learned")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    right.figure.tight_layout()
    return axes


def plot_fill_mask(predictions: Sequence[Sequence[tuple[str, float]]], text: str = "", axes=None):
    """One horizontal bar chart per [MASK]: its top-k tokens and their probabilities (fill_mask's output).

    With one [MASK] the text is the chart's title; with several it is the figure's title.
    """
    if not isinstance(predictions, (list, tuple)):
        raise TypeError(f"predictions must be a list with one list of (token, probability) pairs per [MASK] "
                        f"(what fill_mask returns), got {describe(predictions)}")
    if not predictions:
        raise ValueError("predictions is empty: fill_mask returns one list per [MASK]")
    for k, top in enumerate(predictions):
        if not (isinstance(top, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in top)):
            pair = isinstance(top, tuple) and isinstance(top[0], str)  # one (token, probability) pair, not a list
            raise TypeError(f"predictions[{k}] must be a list of (token, probability) pairs, got {describe(top)}"
                            + ("; for one [MASK] wrap its list: [top]" if pair else ""))
        if not top:
            raise ValueError(f"predictions[{k}] is empty; expected at least one (token, probability) pair")
        probs = inputs.series("probabilities", [p for _, p in top])
        inputs.probabilities(f"the probabilities of predictions[{k}]", probs, "probabilities",
                             "probabilities (softmax outputs), not logits")
    n = len(predictions)
    if axes is None:
        _, axes = style.subplots(1, n, figsize=(min(style.MAX_WIDTH_IN, 4.2 * n + 0.8), 0.4 * len(predictions[0]) + 1.9),
                                 squeeze=False)
        axes = axes[0]
    if len(axes) != n:
        raise ValueError(f"got {len(axes)} axes for {n} masks")
    for k, (ax, top) in enumerate(zip(axes, predictions)):
        words, probs = [w for w, _ in top][::-1], [p for _, p in top][::-1]
        ax.barh(range(len(words)), probs, color=style.COLORS[0])
        ax.set_yticks(range(len(words)), [style.label(w) for w in words])
        for y, p in enumerate(probs):
            ax.text(p, y, f" {p:.2f}", va="center", fontsize=style.SMALL)
        ax.set_xlim(0, min(1.15, max(0.3, 1.35 * max(probs))))
        ax.set_xlabel("probability")
        ax.set_ylabel("candidate")
        ax.set_title(text if n == 1 and text else f"[MASK] {k + 1}" if n > 1 else "[MASK]")
    if text and n > 1:
        axes[0].figure.suptitle(text)
    axes[0].figure.tight_layout()
    return axes


def plot_accuracy_curves(curves: dict[str, tuple[Sequence[int], Sequence[float]]], chance: float | None = 0.5,
                         ax=None, title: str = "fine-tuning: accuracy on held-out examples"):
    """Accuracy against the fine-tuning step for several runs, e.g. {"pretrained": (steps, accs), ...}."""
    if not curves:
        raise ValueError("curves must hold at least one run: {name: (steps, accuracies)}")
    inputs.entries("curves", curves, "{name: (steps, accuracies)}")
    for name, run in curves.items():
        if not (isinstance(run, (list, tuple)) and len(run) == 2):
            raise TypeError(f"curves[{name!r}] must be a pair (steps, accuracies), got {describe(run)}")
        steps, accs = inputs.series(f"the steps of curves[{name!r}]", run[0]), inputs.series("accuracies", run[1])
        if len(steps) != len(accs):
            raise ValueError(f"curve {name!r} has {len(steps)} steps and {len(accs)} accuracies")
        if not len(steps):
            raise ValueError(f"curve {name!r} is empty; expected at least one (step, accuracy)")
        inputs.probabilities(f"the accuracies of curves[{name!r}]", accs, "accuracies",
                             "fractions (0.9), not percent (90)")
    if chance is not None:
        inputs.number("chance", chance, 0, 1, high_open=False)
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.2))
    for k, (name, (steps, accs)) in enumerate(curves.items()):
        ax.plot(steps, accs, ms=4, label=f"{name} (last {accs[-1]:.0%})", **style.line_style(k))
    if chance is not None:
        ax.axhline(chance, color="grey", lw=1, ls=":", label=f"chance ({chance:.0%})")
    ax.set(xlabel="fine-tuning step", ylabel="accuracy", ylim=(0, 1.02), title=title)
    ax.legend(loc="lower right")
    return ax

"""Every public plot of course_lib.plots, rendered on small inputs and checked as a class would see it.

A figure fails when (see the check functions below):
  - text_size: a drawn text is under MIN_FONT_PX pixels high at the dpi the notebook saves it with, or
    the figure is wider than MAX_WIDTH_PX (it would be scaled down, text with it);
  - overlaps: two drawn texts overlap (tick labels, titles, axis labels, legends, annotations; rotated
    labels compared as rotated rectangles);
  - labels: a visible Axes has no title, or shows tick labels on an axis without an axis label (a grid
    may share them along its rows / columns, or use the figure's suptitle / supxlabel / supylabel);
  - scales: an image (AxesImage, QuadMesh) has no colour bar with a label, no legend and no number in
    every cell; attention figures must also use the fixed scale 0 to 1;
  - contrast: a text written on an image cell or inside a box contrasts less than 4.5:1 with it;
  - log axes: a log axis whose tick labels are switched on draws no tick label with text (neither
    major nor minor) inside its view, as happens when the data span less than a power of ten.
CASES registers one small case per public callable of course_lib.plots (NOT_FIGURES lists the public
helpers that draw nothing, with the reason): a new public plot function without a case fails
test_every_public_plot_has_a_case. EXPLORERS does the same for the explorers of course_lib.widgets,
whose first state is drawn with their own draw function.
"""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.collections import QuadMesh
from matplotlib.image import AxesImage
from matplotlib.text import Text

from course_lib.plots import style

MIN_CONTRAST = 4.5


def _drawn_ticklabels(ax) -> set:
    labels = set()
    for axis in (ax.xaxis, ax.yaxis):
        for tick in axis._update_ticks():  # the ticks matplotlib draws (inside the view limits)
            for lab in (tick.label1, tick.label2):
                if lab.get_visible() and tick.get_visible():
                    labels.add(lab)
    return labels


def drawn_texts(fig, renderer) -> list[Text]:
    """Every Text the figure draws with some text in it (tick labels only where a tick is drawn)."""
    ticks_all, ticks_drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks_all.update((tick.label1, tick.label2))
        if ax.get_visible() and ax.axison:
            ticks_drawn |= _drawn_ticklabels(ax)
    out = []
    for t in fig.findobj(Text):
        if not t.get_text().strip() or not t.get_visible():
            continue
        if t in ticks_all and t not in ticks_drawn:
            continue
        ax = t.axes
        if ax is not None and not ax.get_visible():
            continue
        if ax is not None and not ax.axison and (t is ax.xaxis.label or t is ax.yaxis.label):
            continue
        parent = t.get_figure(root=True) if hasattr(t, "get_figure") else t.figure
        if parent is not fig:
            continue
        out.append(t)
    return out


def text_size(fig, renderer, min_px: float = style.MIN_FONT_PX, max_width_px: float = style.MAX_WIDTH_PX) -> list[str]:
    problems = []
    for t in drawn_texts(fig, renderer):
        px = t.get_fontsize() * fig.dpi / 72
        if px < min_px - 0.05:
            problems.append(f"text {t.get_text()[:30]!r} is {px:.1f} px high ({t.get_fontsize():g} pt at "
                            f"{fig.dpi:g} dpi); at least {min_px} px")
    width = fig.get_tightbbox(renderer).width * fig.dpi
    if width > max_width_px + 2:
        problems.append(f"the figure is {width:.0f} px wide; at most {max_width_px} px (wider is scaled down)")
    return problems


def _rectangle(t: Text, renderer) -> tuple[np.ndarray, float, float, float]:
    """(centre, half-width, half-height, angle in radians) of a text's box in pixels."""
    box = t.get_window_extent(renderer)
    centre = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
    angle = t.get_rotation() % 180
    if angle in (0, 90):
        w, h = (box.width, box.height) if angle == 0 else (box.height, box.width)
    else:
        t.set_rotation(0)
        flat = t.get_window_extent(renderer)
        t.set_rotation(angle)
        w, h = flat.width, flat.height
    return centre, w / 2, h / 2, np.deg2rad(angle)


def _overlap(a, b, slack: float = 1.5) -> bool:
    """Separating-axis test of two rotated rectangles, each shrunk by `slack` pixels on every side."""
    (ca, wa, ha, ta), (cb, wb, hb, tb) = a, b
    wa, ha, wb, hb = wa - slack, ha - slack, wb - slack, hb - slack
    if min(wa, ha, wb, hb) <= 0:
        return False
    axes_a = [np.array([np.cos(ta), np.sin(ta)]), np.array([-np.sin(ta), np.cos(ta)])]
    axes_b = [np.array([np.cos(tb), np.sin(tb)]), np.array([-np.sin(tb), np.cos(tb)])]
    d = cb - ca
    for axis in axes_a + axes_b:
        ra = wa * abs(axes_a[0] @ axis) + ha * abs(axes_a[1] @ axis)
        rb = wb * abs(axes_b[0] @ axis) + hb * abs(axes_b[1] @ axis)
        if abs(d @ axis) >= ra + rb:
            return False
    return True


def overlaps(fig, renderer) -> list[str]:
    texts = drawn_texts(fig, renderer)
    rects = [_rectangle(t, renderer) for t in texts]
    problems = []
    for (i, a), (j, b) in itertools.combinations(enumerate(rects), 2):
        if np.abs(a[0] - b[0]).max() > 2000:
            continue
        if _overlap(a, b):
            problems.append(f"texts {texts[i].get_text()[:25]!r} and {texts[j].get_text()[:25]!r} overlap")
    return problems[:10]


def _colorbar_axes(fig) -> set:
    return {ax for ax in fig.axes if getattr(ax, "_colorbar", None) is not None}


def _images(ax) -> list:
    return [a for a in ax.get_children() if isinstance(a, (AxesImage, QuadMesh)) and a.get_visible()]


def _grid_position(ax):
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    if spec is None:
        return None
    return spec.get_gridspec(), spec.rowspan, spec.colspan


def labels(fig, renderer) -> list[str]:
    problems, bars = [], _colorbar_axes(fig)
    plots = [ax for ax in fig.axes if ax.get_visible() and ax not in bars]
    suptitle = fig._suptitle is not None and fig._suptitle.get_text().strip()
    supx = fig._supxlabel is not None and fig._supxlabel.get_text().strip()
    supy = fig._supylabel is not None and fig._supylabel.get_text().strip()
    drawn = set(drawn_texts(fig, renderer))

    def siblings(ax, along: str):
        """Axes of the same grid in the same column (along='col') or row (along='row')."""
        pos = _grid_position(ax)
        if pos is None:
            return [ax]
        found = []
        for other in plots:
            p = _grid_position(other)
            if p is None or p[0] is not pos[0]:
                continue
            same = set(p[2]) & set(pos[2]) if along == "col" else set(p[1]) & set(pos[1])
            if same:
                found.append(other)
        return found

    for ax in plots:
        has_content = ax.lines or ax.images or ax.patches or ax.collections or ax.texts or ax.artists
        if not has_content:
            continue
        name = f"axes {fig.axes.index(ax)}"
        titles = [ax.get_title(loc) for loc in ("center", "left", "right")]
        if not any(titles) and not any(any(o.get_title(loc) for loc in ("center", "left", "right"))
                                       for o in siblings(ax, "col")) and not suptitle:
            problems.append(f"{name} has no title")
        if not ax.axison:
            continue
        for axis, along, sup in (("x", "col", supx), ("y", "row", supy)):
            ticks = [t for t in (ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()) if t in drawn]
            if not ticks:
                continue
            label = lambda a: (a.get_xlabel() if axis == "x" else a.get_ylabel()).strip()  # noqa: E731
            if not (label(ax) or sup or any(label(o) for o in siblings(ax, along))):
                problems.append(f"{name} ({titles[0]!r}) shows {axis} tick labels but has no {axis} axis label")
    return problems


def scales(fig, renderer, attention: bool = False) -> list[str]:
    problems, bars = [], _colorbar_axes(fig)
    colorbars = [ax._colorbar for ax in bars]
    for cb in colorbars:
        if not (cb.ax.get_ylabel().strip() or cb.ax.get_xlabel().strip()):
            problems.append("a colour bar has no label saying what the colour shows")
    legend = bool(fig.legends)
    for ax in fig.axes:
        if ax in bars or not ax.get_visible():
            continue
        for im in _images(ax):
            shared = any(cb.mappable.get_cmap().name == im.get_cmap().name
                         and tuple(cb.mappable.get_clim()) == tuple(im.get_clim()) for cb in colorbars)
            cells = np.asarray(im.get_array()).size
            annotated = len(ax.texts) >= cells
            if not (getattr(im, "colorbar", None) is not None or shared or ax.get_legend() or legend or annotated):
                problems.append(f"an image in {ax.get_title()!r} has no colour bar, legend or numbers in its cells")
            if attention and im.get_cmap().name == style.ATTENTION_CMAP and tuple(np.round(im.get_clim(), 6)) != (0.0, 1.0):
                problems.append(f"attention image {ax.get_title()!r} is scaled {im.get_clim()}, not 0 to 1")
    return problems


def _cell_colour(ax, x: float, y: float):
    """The colour drawn under data point (x, y) by the top image of ax, or None."""
    for im in reversed(_images(ax)):
        if not isinstance(im, AxesImage):
            continue
        arr = np.asarray(im.get_array())
        x0, x1, y0, y1 = im.get_extent()
        rows, cols = arr.shape[:2]
        j = int(np.floor((x - min(x0, x1)) / abs(x1 - x0) * cols))
        i = int(np.floor((y - min(y0, y1)) / abs(y1 - y0) * rows))
        if im.origin == "lower":
            i = rows - 1 - i
        if 0 <= i < rows and 0 <= j < cols:
            return im.to_rgba(arr[i, j]) if arr.ndim == 2 else arr[i, j]
    return None


def contrast(fig, renderer) -> list[str]:
    problems = []
    for t in drawn_texts(fig, renderer):
        patch = t.get_bbox_patch()
        background = None
        if patch is not None and patch.get_fill():
            background = patch.get_facecolor()
        elif t.axes is not None and t in t.axes.texts:
            x, y = t.get_position()
            if t.get_transform() == t.axes.transData:
                background = _cell_colour(t.axes, x, y)
        if background is None:
            continue
        ratio = style.contrast(t.get_color(), background[:3])
        if ratio < MIN_CONTRAST:
            problems.append(f"text {t.get_text()[:20]!r} contrasts {ratio:.1f}:1 with its background; "
                            f"at least {MIN_CONTRAST}:1")
    return problems[:10]


def log_axes(fig, renderer) -> list[str]:
    problems = []
    for ax in fig.axes:
        if not (ax.get_visible() and ax.axison):
            continue
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            first = axis.majorTicks[0]  # carries the axis' tick settings: labels switched off on purpose?
            if axis.get_scale() != "log" or not (first.label1.get_visible() or first.label2.get_visible()):
                continue
            drawn = [lab.get_text() for tick in axis._update_ticks() for lab in (tick.label1, tick.label2)
                     if lab.get_visible() and tick.get_visible()]
            if not any(text.strip() for text in drawn):
                problems.append(f"the log {name} axis of {ax.get_title()!r} shows no tick label over "
                                f"{axis.get_view_interval()[0]:.3g} to {axis.get_view_interval()[1]:.3g}")
    return problems


def check(fig, attention: bool = False) -> list[str]:
    """All checks on one figure; returns the problems found."""
    if not hasattr(fig.canvas, "get_renderer"):  # a Figure made outside pyplot (LivePlot's)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return (text_size(fig, renderer) + overlaps(fig, renderer) + labels(fig, renderer)
            + scales(fig, renderer, attention) + contrast(fig, renderer) + log_axes(fig, renderer))


# ----- the registry: one small case per public callable ---------------------------------------------

import importlib  # noqa: E402
import inspect  # noqa: E402
import math  # noqa: E402
import pkgutil  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import course_lib.plots  # noqa: E402
import course_lib.widgets  # noqa: E402

TOKENS = ["the", "cat", "sat", "on", "the", "warm", "mat"]
T = len(TOKENS)
CASES: dict = {}  # "module.function" -> (build() -> something holding figures, attention?)
NOT_FIGURES = {
    "course_lib.plots.to_numpy": "converts a tensor to an array",
    "course_lib.plots.set_tick_labels": "a helper of heatmap, checked through every heatmap",
    "course_lib.plots.annotate_cells": "a helper of heatmap, checked through plot_lookup",
    "course_lib.plots.masking.mask_kinds": "computes the mask categories (tested below)",
    "course_lib.plots.tokenization.tokens_html": "HTML, not a figure (escaping tested in test_widgets_snapshot)",
    "course_lib.plots.tokenization.tokenizer_html": "HTML, not a figure",
    "course_lib.plots.tokenization.count_line": "a line of text",
    **{f"course_lib.plots.style.{name}": "part of the style, used by every plot" for name in (
        "apply", "subplots", "visible", "label", "layer_head", "line_style", "luminance", "contrast",
        "text_colour_on", "colorbar", "attention_colorbar", "mask_handles", "mask_legend", "category_style",
        "LogTicks", "log_label", "log_axis", "plain")},
    **{f"course_lib.plots.inputs.{name}": "checks the arguments of every plot (tests/test_bad_inputs_plots.py)"
       for name in ("array", "not_empty", "finite", "probabilities", "weights", "positive", "series", "tokens",
                    "axis_tokens", "index", "indices", "entries", "history", "number", "count", "boolean_grid")},
}


def case(name: str, attention: bool = False):
    def register(build):
        CASES[f"course_lib.plots.{name}"] = (build, attention)
        return build
    return register


def _attn(B=1, H=2, Tq=T, Tk=T, seed=0, causal=False):
    g = torch.Generator().manual_seed(seed)
    s = 2 * torch.randn(B, H, Tq, Tk, generator=g)
    if causal:
        s = s.masked_fill(~torch.ones(Tq, Tk, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(s, dim=-1)


def _history(metrics=()):
    from course_lib.training import History
    steps = list(range(10, 210, 10))
    h = History(steps=steps, train_loss=[4 * math.exp(-s / 80) + 1 for s in steps], lr=[1e-3] * len(steps),
                val_steps=[0, 100, 200], val_loss=[5.0, 2.0, 1.6], step=200)
    for m in metrics:
        h.metrics[m] = [0.1, 0.5, 0.8]
    return h


@pytest.fixture(scope="module")
def bpe():
    from course_lib.tokenization import BPETokenizer
    text = "The lowest tower was lower than the newest one. " * 20 + "A newer tower, the newest."
    return BPETokenizer.train(text, vocab_size=300)


@case("heatmap")
def _(**_):
    return course_lib.plots.heatmap(torch.rand(4, 6), rows=list("abcd"), cols=list("uvwxyz"), title="values",
                                    xlabel="column", ylabel="row", annotate=True)


@case("attention.plot_attention", attention=True)
def _(**_):
    from course_lib.plots.attention import plot_attention
    return plot_attention(_attn()[0, 0], TOKENS, annotate=True)


@case("attention.plot_score_grid")
def _(**_):
    from course_lib.plots.attention import plot_score_grid
    return plot_score_grid({"dot": torch.randn(T, T), "scaled dot": torch.randn(T, T) / 2, "additive": torch.randn(T, T)},
                           TOKENS)


@case("attention.plot_weights_and_row", attention=True)
def _(**_):
    from course_lib.plots.attention import plot_weights_and_row
    return plot_weights_and_row(_attn()[0, 0], TOKENS, query=2)


@case("attention.plot_saturation")
def _(**_):
    from course_lib.plots.attention import plot_saturation
    d_ks = [4, 16, 64, 256, 1024]
    measured = {name: {"unscaled": [10.0 ** (i / 2) for i in range(5)], "scaled": [1.0] * 5}
                for name in ["variance of the scores", "largest weight", "entropy (nats)"]}
    measured["gradient norm"] = {"unscaled": [0.9, 0.6, 0.4, 0.3, 0.25], "scaled": [0.8] * 5}  # under one decade
    return plot_saturation(d_ks, measured)


@case("attention.plot_curves")
def _(**_):
    from course_lib.plots.attention import plot_curves
    return plot_curves([5, 10, 20, 40], {"attention": [1, 1, 1, 1], "LSTM": [0.9, 0.3, 0.1, 0.1]}, "sequence length T",
                       "accuracy", "recall the first symbol", logx=True)


@case("attention.plot_mask")
def _(**_):
    from course_lib.plots.attention import plot_mask
    return plot_mask(torch.ones(T, T, dtype=torch.bool).tril(), TOKENS, title="causal mask")


@case("attention.plot_attention_steps")
def _(**_):
    from course_lib.plots.attention import plot_attention_steps
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(5, 3, generator=g) for _ in range(3))
    return plot_attention_steps(q, k, v, TOKENS[:5], query=2)


@case("bert.plot_input_representation")
def _(**_):
    from course_lib.plots.bert import plot_input_representation
    words = ["[CLS]", "lucy", "found", "a", "red", "ball", ".", "[SEP]", "she", "washed", "it", ".", "[SEP]"]
    return plot_input_representation(words, [0] * 8 + [1] * 5)


@case("bert.plot_masking_rates")
def _(**_):
    from course_lib.plots.bert import plot_masking_rates
    return plot_masking_rates(0.149, 0.801, 0.098, 0.101)


@case("bert.plot_pretraining")
def _(**_):
    from course_lib.plots.bert import plot_pretraining
    return plot_pretraining(_history(["mlm_accuracy", "nsp_accuracy"]), baseline=0.12, data="held-out stories")


@case("bert.plot_fill_mask")
def _(**_):
    from course_lib.plots.bert import plot_fill_mask
    top = [("ball", 0.61), ("dog", 0.2), ("cat", 0.1), ("umbrella", 0.05), ("tree", 0.02)]
    return plot_fill_mask([top, top[::-1]], "Tom found a [MASK] near the [MASK].")


@case("bert.plot_accuracy_curves")
def _(**_):
    from course_lib.plots.bert import plot_accuracy_curves
    return plot_accuracy_curves({"pretrained": ([0, 5, 10], [0.5, 0.8, 0.9]), "from scratch": ([0, 5, 10], [0.5, 0.5, 0.6])})


@case("blocks.plot_feature_distributions")
def _(**_):
    from course_lib.plots.blocks import plot_feature_distributions
    x = torch.randn(5, 64) * torch.tensor([[0.5], [1.0], [2.0], [4.0], [8.0]])
    return plot_feature_distributions(x, (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True))


@case("blocks.plot_activations")
def _(**_):
    from course_lib.plots.blocks import plot_activations
    return plot_activations()


@case("blocks.plot_per_layer")
def _(**_):
    from course_lib.plots.blocks import plot_per_layer
    plot_per_layer({"residual": [0.9, 0.8, 0.7], "pre-norm": [0.6, 0.65, 0.5]}, "gradient norm", "under one decade")
    return plot_per_layer({"residual": [1, 0.9, 0.8], "no residual": [1, 1e-3, 1e-6]}, "gradient norm", "gradients")


@case("blocks.plot_depth_experiment")
def _(**_):
    from course_lib.plots.blocks import plot_depth_experiment
    run = {"grad_norm": [1e-1, 1e-2, 1e-3], "qk_grad_norm": [1e-2, 1e-3, 1e-5], "similarity": [0.1, 0.5, 0.9]}
    return plot_depth_experiment({"post-norm": run, "pre-norm": {k: v[::-1] for k, v in run.items()}})


@case("blocks.plot_attention_layers", attention=True)
def _(**_):
    from course_lib.plots.blocks import plot_attention_layers
    return plot_attention_layers([_attn(), _attn(seed=1)], TOKENS, title="after training")


@case("chips.chip_rows")
def _(**_):
    from course_lib.plots.chips import chip_rows
    return chip_rows([("step 0: 5 tokens", ["T", "h", "e", " ", "\n"], [84, 104, 101, 32, 10])], "chips")


@case("diagrams.plot_encoder_decoder")
def _(**_):
    from course_lib.plots.diagrams import plot_encoder_decoder
    return plot_encoder_decoder(d_model=128, n_heads=4, d_ff=512, n_layers=3, src_vocab_size=1021, tgt_vocab_size=1187)


@case("embeddings.plot_lookup")
def _(**_):
    from course_lib.plots.embeddings import plot_lookup
    vocab = ["the", "cat", "sat", "mat", "dog"]
    oh = torch.eye(5)[[1, 0, 4]]
    return plot_lookup(oh, torch.randn(5, 3) / 2, rows=["cat", "the", "dog"], vocab=vocab)


@case("embeddings.plot_dot_vs_cosine")
def _(**_):
    from course_lib.plots.embeddings import plot_dot_vs_cosine
    return plot_dot_vs_cosine(torch.tensor([1.0, 0.5]), torch.tensor([[2.0, 1.0], [0.3, 0.2], [-1.0, 0.5]]),
                              ["long", "short", "opposite"])


@case("embeddings.plot_loss")
def _(**_):
    from course_lib.plots.embeddings import plot_loss
    return plot_loss([6 - 3 * (1 - math.exp(-i / 50)) for i in range(200)], uniform=360)


@case("embeddings.plot_neighbours")
def _(**_):
    from course_lib.plots.embeddings import plot_neighbours
    return plot_neighbours(["cat", "horse", "bird", "cow"], torch.tensor([0.9, 0.8, 0.5, 0.4]), "dog", "cosine")


@case("embeddings.plot_projection")
def _(**_):
    from course_lib.plots.embeddings import plot_projection
    g = torch.Generator().manual_seed(0)
    words = [f"word{i}" for i in range(24)]
    cats = [["colour", "animal", "place", "food"][i % 4] for i in range(24)]
    return plot_projection(torch.randn(24, 2, generator=g), words, cats)


@case("gpt.next_token_bars")
def _(**_):
    from course_lib.plots.gpt import next_token_bars
    vocab = [" the", "\n", " Romeo", ",", "�", " and", " of", "$", "ing", " thou", " my", " a"]
    return next_token_bars(torch.softmax(torch.randn(12), 0), vocab, k=12, uniform=True, title="next token after 'O'")


@case("gpt.sampling_panels")
def _(**_):
    from course_lib.plots.gpt import sampling_panels
    vocab = [chr(c) for c in range(97, 123)] + [" ", "\n"]
    return sampling_panels(torch.randn(len(vocab)), vocab, title="the next token after 'I will'")


@case("interop.agreement_scatter")
def _(**_):
    from course_lib.plots.interop import agreement_scatter
    a = torch.randn(500)
    return agreement_scatter(a, a + 1e-6 * torch.randn(500))


@case("interop.size_bars")
def _(**_):
    from course_lib.plots.interop import size_bars
    return size_bars(["GPT-2", "BERT-base", "BERT-large"], [124.4e6, 109.5e6, 335.1e6], [124e6, 110e6, 340e6])


@case("masking.mask_panel")
def _(**_):
    from course_lib.plots.masking import mask_panel
    tokens = TOKENS[:5] + ["[PAD]", "[PAD]"]
    real = torch.tensor([t != "[PAD]" for t in tokens])
    return mask_panel(torch.ones(T, T, dtype=torch.bool).tril() & real[None, :], tokens, title="padding + causal")


@case("masking.mask_gallery")
def _(**_):
    from course_lib.plots.masking import mask_gallery
    tokens = ["[CLS]", "she", "found", "a", "ball", "[SEP]", "it", "was", "dirty", "[SEP]", "[PAD]", "[PAD]"]
    real = torch.tensor([t != "[PAD]" for t in tokens])
    n = len(tokens)
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    return mask_gallery({"padding": real[None, :].expand(n, n), "causal": causal, "window = 2":
                         (torch.arange(n)[:, None] - torch.arange(n)[None, :]).abs() <= 2,
                         "all three": causal & real[None, :]}, tokens, title="who may attend to whom")


@case("masking.mask_and_weights", attention=True)
def _(**_):
    from course_lib.plots.masking import mask_and_weights
    tokens = TOKENS[:6] + ["[PAD]"]
    mask = torch.ones(T, T, dtype=torch.bool).tril() & torch.tensor([t != "[PAD]" for t in tokens])[None, :]
    w = torch.softmax(torch.randn(T, T).masked_fill(~mask, float("-inf")), -1)
    return mask_and_weights(mask, w, tokens, title="padding + causal")


@case("multihead.head_heatmaps", attention=True)
def _(**_):
    from course_lib.plots.multihead import head_heatmaps
    chars = list("ROMEO:\nI will th")
    words = ["laura", "noticed", "a", "small", "dog", "near", "the", "old", "tree", "and", "it", "rushed", "to", "her",
             "while", "tom", "was", "reading", "quietly", "."]
    head_heatmaps(_attn(H=8, Tq=20, Tk=20, causal=True), words, layer=1, title="8 heads, 20 tokens")  # 4 columns
    return head_heatmaps(_attn(H=4, Tq=len(chars), Tk=len(chars), causal=True), [style.visible(c) for c in chars],
                         layer=0, title="untrained layer 1")


@case("multihead.attention_grid", attention=True)
def _(**_):
    from course_lib.plots.multihead import attention_grid
    return attention_grid([_attn(H=4), _attn(H=4, seed=1)], TOKENS)


@case("multihead.plot_head_split")
def _(**_):
    from course_lib.plots.multihead import plot_head_split
    return plot_head_split(B=2, T=5, d_model=8, n_heads=2)


@case("positional.plot_table")
def _(**_):
    from course_lib.plots.positional import plot_table
    from course_lib.positional import sinusoidal_table
    return plot_table(sinusoidal_table(100, 64))


@case("positional.plot_waves")
def _(**_):
    from course_lib.plots.positional import plot_waves
    from course_lib.positional import sinusoidal_table
    return plot_waves(sinusoidal_table(50, 64), dims=[0, 1, 8, 30])


@case("positional.plot_distance_dots")
def _(**_):
    from course_lib.plots.positional import plot_distance_dots
    from course_lib.positional import sinusoidal_table
    return plot_distance_dots(sinusoidal_table(100, 64), positions=[10, 40, 70])


@case("positional.plot_position_and_dimension")
def _(**_):
    from course_lib.plots.positional import plot_position_and_dimension
    from course_lib.positional import sinusoidal_table
    return plot_position_and_dimension(sinusoidal_table(64, 32), position=10, dimension=4)


@case("tokenization.plot_token_chips")
def _(**_):
    from course_lib.plots.tokenization import plot_token_chips
    tokens = ["Token", "izers", " split", " text", ":", " ", "ü", "n", "ï", "\n", "<script>", "$x$"] * 3
    return plot_token_chips(tokens, list(range(len(tokens))))


@case("tokenization.plot_pair_counts")
def _(**_):
    from course_lib.plots.tokenization import plot_pair_counts
    counts = {(97, 97): 4, (97, 98): 2, (98, 100): 1, (100, 97): 1, (97, 99): 1}
    return plot_pair_counts(counts, chr, title="adjacent pairs in 'aaabdaaabac'")


@case("tokenization.plot_encode_steps")
def _(bpe, **_):
    from course_lib.plots.tokenization import plot_encode_steps
    return plot_encode_steps(bpe, "The lowest tower was lower than the newest one.", rows=6)


@case("tokenization.plot_compression")
def _(**_):
    from course_lib.plots.tokenization import plot_compression
    return plot_compression([300, 512, 1024, 2048], [2.1, 2.6, 3.1, 3.5],
                            references={"characters": (65, 1.0), "words (5,000, with [UNK])": (5000, 4.3)})


@case("tokenization.plot_vocabulary_growth")
def _(**_):
    from course_lib.plots.tokenization import plot_vocabulary_growth
    return plot_vocabulary_growth(list(range(1000, 200_001, 1000)), [int(300 * (n / 1000) ** 0.6) for n in range(1000, 200_001, 1000)])


@case("training.plot_history")
def _(**_):
    from course_lib.plots.training import plot_history
    return plot_history(_history(), log_y=True)


@case("training.plot_lr_schedule")
def _(**_):
    from course_lib.plots.training import plot_lr_schedule
    from course_lib.training import TrainConfig
    return plot_lr_schedule(TrainConfig(max_steps=200, warmup_steps=20))


@case("training.LivePlot")
def _(monkeypatch, **_):
    from course_lib.plots import training
    monkeypatch.setattr(training, "_in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: type("Handle", (), {"update": lambda *a: None})())
    live = training.LivePlot(keep=True)
    live(_history())
    live(_history())
    return live.figure


@case("transformer.plot_teacher_forcing")
def _(**_):
    from course_lib.plots.transformer import plot_teacher_forcing
    return plot_teacher_forcing(["<bos>", "la", "pelota", "roja", "está", "debajo", "del", "árbol", ".", "<eos>"])


@case("transformer.plot_cross_attention", attention=True)
def _(**_):
    from course_lib.plots.transformer import plot_cross_attention
    src, out = ["she", "found", "a", "red", "ball", "."], ["encontró", "una", "pelota", "roja", ".", "<eos>"]
    return plot_cross_attention([_attn(Tq=6, Tk=6), _attn(Tq=6, Tk=6, seed=1)], src, out)


@case("transformer.plot_next_token")
def _(**_):
    from course_lib.plots.transformer import plot_next_token
    return plot_next_token(["tranquila", "tranquilo", ".", "muy", "feliz"], [0.59, 0.39, 0.01, 0.005, 0.001],
                           title="'It was quiet.', step 2")


@case("transformer.plot_bleu")
def _(**_):
    from course_lib.plots.transformer import plot_bleu
    from course_lib.transformer import corpus_bleu
    return plot_bleu(corpus_bleu(["la pelota roja está aquí ."], ["la pelota roja está allí ."]))


@case("views.head_view_picture")
def _(**_):
    from course_lib.plots.views import head_view_picture
    blocks = [("Encoder", torch.stack([a[0] for a in (_attn(H=3), _attn(H=3, seed=1))]).numpy(), TOKENS, TOKENS)]
    return head_view_picture(blocks, layer=1)


@case("views.model_view_picture", attention=True)
def _(**_):
    from course_lib.plots.views import model_view_picture
    blocks = [("", torch.stack([a[0] for a in (_attn(H=3), _attn(H=3, seed=1))]).numpy(), TOKENS, TOKENS)]
    return model_view_picture(blocks)


@case("forward_pass.plot_forward_pass", attention=True)
def _(**_):
    from course_lib.plots.forward_pass import plot_forward_pass
    g = torch.Generator().manual_seed(0)
    chars = list("ROMEO:")
    vocab = sorted(set("ROMEO: abc\n"))
    states = [torch.randn(len(chars), 16, generator=g) * (i + 1) for i in range(3)]
    return plot_forward_pass(chars, [vocab.index(c) for c in chars], states, [_attn(H=2, Tq=6, Tk=6, causal=True)] * 2,
                             torch.randn(len(vocab), generator=g), vocab, k=6)


@case("modern.plot_kv_cache_memory")
def _(**_):
    from course_lib.plots.modern import plot_kv_cache_memory
    return plot_kv_cache_memory({"multi-head (32 kv heads)": (32, 32, 128), "grouped (8 kv heads)": (32, 8, 128)},
                                context=8192)


@case("modern.plot_receptive_field")
def _(**_):
    from course_lib.plots.modern import plot_receptive_field
    T, w = 16, 3
    reach = torch.stack([torch.arange(T) >= T - 1 - w * (l + 1) for l in range(4)])
    return plot_receptive_field(reach, window=w)


@case("modern.plot_loss_vs_time")
def _(**_):
    from course_lib.plots.modern import plot_loss_vs_time
    from course_lib.training import History
    runs = {name: History(val_steps=[0, 100, 200], val_loss=[4.0, 2.5 - d, 2.0 - d], val_time=[0, 10 * f, 20 * f], step=200)
            for name, d, f in (("baseline", 0.0, 1.0), ("modern", 0.2, 1.2))}
    return plot_loss_vs_time(runs)


# ----- running the cases ----------------------------------------------------------------------------

def public_callables(package) -> set[str]:
    names = set()
    modules = [package] + [importlib.import_module(f"{package.__name__}.{m.name}")
                           for m in pkgutil.iter_modules(package.__path__)]
    for mod in modules:
        for name, obj in vars(mod).items():
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj)) \
                    and obj.__module__ == mod.__name__:
                names.add(f"{mod.__name__}.{name}")
    return names


def figures_of(result) -> list[Figure]:
    found = []
    for obj in (result if isinstance(result, (list, tuple, dict, np.ndarray)) else [result]):
        obj = obj if not isinstance(result, dict) else result[obj]
        if isinstance(obj, np.ndarray):
            found += figures_of(list(obj.ravel()))
        elif isinstance(obj, Figure):
            found.append(obj)
        elif hasattr(obj, "figure"):
            found.append(obj.figure)
    found += [plt.figure(n) for n in plt.get_fignums()]
    unique = []
    for f in found:
        if f not in unique:
            unique.append(f)
    return unique


def test_every_public_plot_has_a_case():
    public = public_callables(course_lib.plots)
    missing = sorted(public - set(CASES) - set(NOT_FIGURES))
    stale = sorted((set(CASES) | set(NOT_FIGURES)) - public)
    assert not missing, f"public plot functions without a case in tests/test_figures.py CASES: {missing}"
    assert not stale, f"CASES / NOT_FIGURES name functions that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_figure_is_fit_to_project(name, request, monkeypatch):
    build, attention = CASES[name]
    plt.close("all")
    kwargs = {"monkeypatch": monkeypatch}
    if "bpe" in inspect.signature(build).parameters:
        kwargs["bpe"] = request.getfixturevalue("bpe")
    try:
        figures = figures_of(build(**kwargs))
        assert figures, f"{name} drew no figure"
        problems = [p for fig in figures for p in check(fig, attention=attention)]
        assert not problems, f"{name}:\n  " + "\n  ".join(problems)
    finally:
        plt.close("all")


# ----- explorers: the figure of their first state ---------------------------------------------------

EXPLORERS: dict = {}  # "module.function" -> build() returning the explorer
NOT_EXPLORERS = {
    "course_lib.widgets.explorer": "the builder every explorer uses",
    "course_lib.widgets.show": "displays a widget",
    "course_lib.widgets.Explorer": "the explorer's class",
    "course_lib.widgets.attention.explorer_weights": "computes the weights the attention explorer draws",
    "course_lib.widgets.masking.build_mask": "builds the masks the mask builder draws",
    "course_lib.widgets.interop.TokenizerView": "adapts a Hugging Face tokenizer",
    "course_lib.widgets.tokenization.show_chips": "displays token chips (drawn by plot_token_chips)",
    "course_lib.widgets.snapshot.in_snapshot": "a flag", "course_lib.widgets.snapshot.record": "records outputs",
    "course_lib.widgets.snapshot.figure_output": "a figure as an output",
}
SENTENCES = ["Maria found a red ball near the tree.", "She washed it.", "Tom found a small dog.", "It was quiet."]


def explorer_case(name: str):
    def register(build):
        EXPLORERS[f"course_lib.widgets.{name}"] = build
        return build
    return register


@explorer_case("attention.attention_explorer")
def _():
    from course_lib.widgets.attention import attention_explorer
    return attention_explorer(torch.randn(T, 8, generator=torch.Generator().manual_seed(0)), TOKENS)


@explorer_case("bert.fill_mask_explorer")
def _():
    from course_lib.bert import Bert, BertConfig
    from course_lib.tokenization import WordTokenizer
    from course_lib.widgets.bert import fill_mask_explorer
    tok = WordTokenizer.train(SENTENCES)
    torch.manual_seed(0)
    return fill_mask_explorer(Bert(BertConfig(vocab_size=tok.vocab_size, d_model=16, n_heads=2, n_layers=1)), tok,
                              "Maria found a red [MASK] near the [MASK].")


@explorer_case("bert.masking_explorer")
def _():
    from course_lib.tokenization import WordTokenizer
    from course_lib.widgets.bert import masking_explorer
    return masking_explorer(WordTokenizer.train(SENTENCES), SENTENCES[0], SENTENCES[1])


@explorer_case("blocks.depth_explorer")
def _():
    from course_lib.widgets.blocks import depth_explorer
    return depth_explorer(d_model=16, seq_len=6, batch=2, max_layers=8)


@explorer_case("blocks.layer_norm_explorer")
def _():
    from course_lib.widgets.blocks import layer_norm_explorer
    return layer_norm_explorer()


@explorer_case("embeddings.neighbour_explorer")
def _():
    from course_lib.widgets.embeddings import neighbour_explorer
    words = [f"word{i}" for i in range(12)]
    return neighbour_explorer(torch.randn(12, 4, generator=torch.Generator().manual_seed(0)), words, words[:3])


@explorer_case("gpt.sampling_explorer")
def _():
    from course_lib.gpt import GPT, GPTConfig
    from course_lib.tokenization import CharTokenizer
    from course_lib.widgets.gpt import sampling_explorer
    tok = CharTokenizer.train(" ".join(SENTENCES) + "\n")
    torch.manual_seed(0)
    return sampling_explorer(GPT(GPTConfig(vocab_size=tok.vocab_size, d_model=16, n_heads=2, n_layers=1, max_len=32)),
                             tok, prompt="Maria found", n_tokens=20)


@explorer_case("interop.sampling_explorer")
def _():
    pytest.skip("needs a Hugging Face tokenizer; it draws with course_lib.widgets.gpt.sampling_explorer, checked above")


@explorer_case("interop.cross_attention_explorer")
def _():
    pytest.skip("needs a Hugging Face Marian tokenizer; it draws the heatmap translation_explorer draws, checked below")


@explorer_case("masking.mask_builder")
def _():
    from course_lib.widgets.masking import mask_builder
    return mask_builder()


@explorer_case("multihead.head_explorer")
def _():
    from course_lib.widgets.multihead import head_explorer

    def attend(sentence):
        words = sentence.split()
        g = torch.Generator().manual_seed(len(words))
        return [torch.softmax(torch.randn(1, 4, len(words), len(words), generator=g), -1) for _ in range(2)], words
    return head_explorer(attend, "laura noticed a small dog . it rushed to her .")


@explorer_case("positional.positional_explorer")
def _():
    from course_lib.widgets.positional import positional_explorer
    return positional_explorer()


@explorer_case("tokenization.token_explorer")
def _():
    from course_lib.tokenization import CharTokenizer
    from course_lib.widgets.tokenization import token_explorer
    return token_explorer({"characters": CharTokenizer.train("Tokenizers split text differently: 12345!")},
                          "Tokenizers split text differently: 12345!")


@explorer_case("tokenization.merge_stepper")
def _(bpe=None):
    from course_lib.tokenization import BPETokenizer
    from course_lib.widgets.tokenization import merge_stepper
    text = "The lowest tower was lower than the newest one. " * 20
    return merge_stepper(BPETokenizer.train(text, vocab_size=300), "The lowest tower was lower than the newest one.")


@explorer_case("transformer.translation_explorer")
def _():
    from course_lib.tokenization import WordTokenizer
    from course_lib.transformer import EncoderDecoder, TransformerConfig
    from course_lib.widgets.transformer import translation_explorer
    en, es = WordTokenizer.train(SENTENCES), WordTokenizer.train(["Maria encontró una pelota roja.", "Estaba tranquila."])
    torch.manual_seed(0)
    config = TransformerConfig(src_vocab_size=en.vocab_size, tgt_vocab_size=es.vocab_size, d_model=16, n_heads=2,
                               d_ff=32, n_layers=2, max_len=12)
    return translation_explorer(EncoderDecoder(config), en, es, "Maria found a red ball.")


@explorer_case("modern.kv_cache_explorer")
def _():
    from course_lib.widgets.modern import kv_cache_explorer
    return kv_cache_explorer()


def test_every_explorer_has_a_case():
    public = public_callables(course_lib.widgets)
    missing = sorted(public - set(EXPLORERS) - set(NOT_EXPLORERS))
    stale = sorted((set(EXPLORERS) | set(NOT_EXPLORERS)) - public)
    assert not missing, f"explorers without a case in tests/test_figures.py EXPLORERS: {missing}"
    assert not stale, f"EXPLORERS / NOT_EXPLORERS name functions that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_explorer_first_state_is_fit_to_project(name, monkeypatch):
    """The explorer's first state, drawn by its own draw function (chips drawn as their PNG twin)."""
    import course_lib.widgets.snapshot as snapshot
    import course_lib.widgets.tokenization as tokenization_widgets
    plt.close("all")
    box = EXPLORERS[name]()
    assert box.snapshot, f"{name}: its first state recorded nothing"
    kept = []
    monkeypatch.setattr(snapshot, "_active", [True])  # chips are drawn as a figure, as while recording
    monkeypatch.setattr(tokenization_widgets, "figure_output", lambda fig: kept.append(fig) or {"data": {"image/png": ""}})
    monkeypatch.setattr(tokenization_widgets, "display", lambda *a, **k: None)
    monkeypatch.setattr(tokenization_widgets.plt, "close", lambda *a: None)
    try:
        box.draw(**box.values())
        figures = figures_of(kept)
        assert figures, f"{name}: its first state draws no figure"
        problems = [p for fig in figures for p in check(fig)]
        assert not problems, f"{name}:\n  " + "\n  ".join(problems)
    finally:
        monkeypatch.undo()
        plt.close("all")


# ----- the checks themselves fail on the figures that were wrong before ------------------------------

def test_checks_catch_the_old_annotation_colour_rule():
    """The heatmap's old rule (white below the middle value, black above) is unreadable on Greys (02 c13)."""
    fig, ax = plt.subplots(figsize=(4, 3), dpi=style.DPI)
    m = np.eye(3)
    im = ax.imshow(m, cmap="Greys", vmin=0, vmax=1)
    for i in range(3):
        for j in range(3):
            ax.text(j, i, f"{m[i, j]:.0f}", ha="center", va="center", color="white" if m[i, j] < 0.5 else "black")
    ax.set(title="one-hot", xlabel="vocabulary", ylabel="token")
    problems = contrast(fig, fig.canvas.get_renderer())
    plt.close(fig)
    assert len(problems) == 9 and "contrasts 1.0:1" in problems[0]


def test_checks_catch_the_old_crowded_token_labels():
    """10 c15 as it was: four 2.4-inch panels of 17 characters at 80 dpi, labels turned 60 degrees."""
    chars = [style.visible(c) for c in "ROMEO:\nI will thee"[:17]]
    fig, axes = plt.subplots(1, 4, figsize=(2.4 * 4 + 0.6, 3.2), dpi=80)
    for h, ax in enumerate(axes):
        ax.imshow(np.random.default_rng(h).random((17, 17)), vmin=0, vmax=1)
        ax.set_xticks(range(17), chars, rotation=60, ha="right")
        ax.set_yticks(range(17), chars if h == 0 else [""] * 17)
        ax.set_title(f"head {h}")
    fig.supxlabel("key (attended to)", fontsize=9)
    fig.tight_layout()
    problems = check(fig, attention=True)
    plt.close(fig)
    assert any("overlap" in p for p in problems)
    assert any("px high" in p for p in problems)  # 11 pt at 80 dpi is 12 px
    assert any("no colour bar" in p for p in problems)


def test_checks_catch_a_log_axis_without_labels():
    """plot_per_layer as it was: labels at the powers of ten only, on data between 0.5 and 0.9."""
    from matplotlib.ticker import LogLocator, NullFormatter
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=style.DPI)
    ax.plot([1, 2, 3], [0.9, 0.7, 0.5], label="residual")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=5))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set(title="gradients", xlabel="layer", ylabel="gradient norm")
    problems = check(fig)
    plt.close(fig)
    assert problems == ["the log y axis of 'gradients' shows no tick label over 0.486 to 0.927"], problems


# ----- what some figures draw ------------------------------------------------------------------------

def test_mask_kinds_marks_padding_keys_only():
    """Left padding with a causal mask (06, section 7): the [PAD] columns are "padding"; a [PAD] query's
    row blocks the future like any other row (code 1), not as padding."""
    from course_lib.masking import causal_mask
    from course_lib.plots.masking import mask_kinds
    tokens = ["[PAD]", "[PAD]", "tom", "found", "it"]
    real = torch.tensor([t != "[PAD]" for t in tokens])
    codes = mask_kinds(causal_mask(5) & real[None, :], tokens)
    assert codes.tolist() == [[2, 2, 1, 1, 1],
                              [2, 2, 1, 1, 1],
                              [2, 2, 0, 1, 1],
                              [2, 2, 0, 0, 1],
                              [2, 2, 0, 0, 0]]


def test_head_heatmaps_keeps_a_grid_with_many_tokens():
    from course_lib.plots.multihead import head_heatmaps
    axes = head_heatmaps(_attn(H=8, Tq=20, Tk=20), [f"w{i}" for i in range(20)])
    fig = axes[0].figure
    try:
        assert axes[0].get_gridspec().get_geometry() == (2, 4)
        assert fig.get_figwidth() <= style.MAX_WIDTH_IN
    finally:
        plt.close(fig)


def test_projection_gives_every_category_its_own_colour_and_marker():
    from course_lib.plots.embeddings import plot_projection
    names = [f"class {k}" for k in range(10)]
    ax = plot_projection(torch.randn(20, 2, generator=torch.Generator().manual_seed(0)), [f"w{i}" for i in range(20)],
                         names * 2, label_words=False)
    looks = {(tuple(np.round(c.get_facecolor()[0], 3)), c.get_paths()[0].vertices.round(3).tobytes())
             for c in ax.collections}
    plt.close(ax.figure)
    assert len(ax.collections) == 10 and len(looks) == 10


def test_dot_vs_cosine_writes_names_as_they_are():
    from course_lib.plots.embeddings import plot_dot_vs_cosine
    names = ["same direction", "opposite way", "costs $5"]
    axes = plot_dot_vs_cosine(torch.tensor([1.0, 0.5]), torch.tensor([[2.0, 1.0], [-1.0, -0.5], [0.3, 0.9]]), names)
    fig = axes[0].figure
    fig.canvas.draw()
    ticks = [t.get_text() for t in axes[1].get_xticklabels()]
    arrows = [t.get_text() for t in axes[0].texts if t.get_text() not in ("", "query")]
    plt.close(fig)
    assert ticks == arrows == ["same direction", "opposite way", r"costs \$5"]


def test_maths_is_written_as_mathtext():
    """d_model, d_head, d_k, W_Q and W_O are typeset ($d_{model}$), never written as plain identifiers."""
    import re

    from course_lib.plots.attention import plot_saturation
    from course_lib.plots.multihead import plot_head_split
    plot_head_split(B=2, T=5, d_model=8, n_heads=2)
    plot_saturation([4, 16], {"gradient norm": {"unscaled": [1.0, 0.5], "scaled": [1.0, 1.0]}})
    texts = [t.get_text() for n in plt.get_fignums() for t in plt.figure(n).findobj(Text)]
    plt.close("all")
    plain = [t for t in texts if re.search(r"d_model|d_head|d_k|W_Q|W_O", re.sub(r"\$[^$]*\$", "", t))]
    assert any("$d_{model}$" in t for t in texts) and any(t == "$d_k$" for t in texts)
    assert not plain, plain

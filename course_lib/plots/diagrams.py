"""The whole encoder-decoder as boxes and arrows, annotated with its sizes (08_encoder_decoder; also
07_encoder and 11_pretrained_models can show it).

`plot_encoder_decoder(d_model, n_heads, d_ff, n_layers, src_vocab_size, tgt_vocab_size)` draws the
model of "Attention Is All You Need": token embeddings + positions, N x encoder block (self-attention,
Add & Norm, feed-forward, Add & Norm), N x decoder block (masked self-attention, cross-attention on the
encoder's output, feed-forward, each followed by Add & Norm), then linear + softmax, with every
matrix's shape written beside its box. Every box says what it is, so its colour is only a second cue.
Deliberately left out: dropout and the pre-norm variant (07 and 10 explain it in the text).
"""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_lib import guards
from course_lib.plots import style

COLOURS = {"embed": "#e5e5e5", "attn": "#fbe5bf", "ffn": "#cfe3f3", "norm": "#f6f0b8", "out": "#c8eadf"}
W, H = 4.1, 0.62  # box width and height (data units)


def _box(ax, x, y, text, kind, w=W, h=H):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=COLOURS[kind], edgecolor="#444444", linewidth=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=style.SMALL, color="black")


def _arrow(ax, a, b, colour="#333333", style_="-|>", rad=0.0, ls="-"):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style_, mutation_scale=13, color=colour, linewidth=1.3,
                                 linestyle=ls, connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))


def _stack(ax, x, y0, layers, n, label, side="left"):
    """Boxes from y0 upwards inside a frame marked 'n x' on its `side`; returns the y of each box."""
    ys = [y0 + 0.82 * i for i in range(len(layers))]
    top, bottom = ys[-1] + H / 2 + 0.25, ys[0] - H / 2 - 0.25
    ax.add_patch(FancyBboxPatch((x - W / 2 - 0.25, bottom), W + 0.5, top - bottom, boxstyle="round,pad=0.02",
                                facecolor="none", edgecolor="#666666", linewidth=1.2, linestyle="--"))
    if side == "left":
        ax.text(x - W / 2 - 0.4, (top + bottom) / 2, f"{n} x\n{label}", ha="right", va="center")
    else:
        ax.text(x + W / 2 + 0.4, (top + bottom) / 2, f"{n} x\n{label}", ha="left", va="center")
    for i, (y, (text, kind)) in enumerate(zip(ys, layers)):
        _box(ax, x, y, text, kind)
        if i:
            _arrow(ax, (x, ys[i - 1] + H / 2), (x, y - H / 2))
    return ys, bottom, top


def plot_encoder_decoder(d_model: int = 512, n_heads: int = 8, d_ff: int = 2048, n_layers: int = 6,
                         src_vocab_size: int = 37000, tgt_vocab_size: int = 37000, decoder_layers: int | None = None,
                         ax=None, title: str | None = None):
    """Boxes and arrows of the whole encoder-decoder with its sizes (defaults: the base model of the paper)."""
    for name, value in (("d_model", d_model), ("n_heads", n_heads), ("d_ff", d_ff), ("n_layers", n_layers),
                        ("src_vocab_size", src_vocab_size), ("tgt_vocab_size", tgt_vocab_size),
                        ("decoder_layers", n_layers if decoder_layers is None else decoder_layers)):
        guards.positive_int(name, value)  # bools are not sizes
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    n_dec = n_layers if decoder_layers is None else decoder_layers
    d_head = d_model // n_heads
    if ax is None:
        _, ax = style.subplots(figsize=(10, 9.2))
    xe, xd = 2.45, 8.0
    attn = f"{n_heads} heads x d_head {d_head}"
    ffn = f"feed-forward {d_model} → {d_ff} → {d_model}"
    # inputs
    ax.text(xe, 0.0, "source tokens (B, S)", ha="center", va="center")
    ax.text(xd, 0.0, "target tokens, shifted right (B, T)", ha="center", va="center")
    _box(ax, xe, 0.95, f"embedding\n({src_vocab_size:,} x {d_model})\n+ positions", "embed", w=2.6, h=0.9)
    _box(ax, xd, 0.95, f"embedding\n({tgt_vocab_size:,} x {d_model})\n+ positions", "embed", w=2.6, h=0.9)
    for x in (xe, xd):
        _arrow(ax, (x, 0.2), (x, 0.95 - 0.45))
    enc = [(f"self-attention\n{attn}", "attn"), ("Add & Norm", "norm"), (ffn, "ffn"), ("Add & Norm", "norm")]
    dec = [(f"masked self-attention\n{attn}", "attn"), ("Add & Norm", "norm"),
           ("cross-attention: queries here,\nkeys, values from the encoder", "attn"),
           ("Add & Norm", "norm"), (ffn, "ffn"), ("Add & Norm", "norm")]
    ys_e, _, top_e = _stack(ax, xe, 2.35, enc, n_layers, "encoder\nblock")
    ys_d, _, top_d = _stack(ax, xd, 2.35, dec, n_dec, "decoder\nblock", side="right")
    _arrow(ax, (xe, 0.95 + 0.45), (xe, ys_e[0] - H / 2))
    _arrow(ax, (xd, 0.95 + 0.45), (xd, ys_d[0] - H / 2))
    # the encoder's output feeds every decoder block's cross-attention
    ax.text(xe, top_e + 0.35, f"encoder output (B, S, {d_model})", ha="center", va="center")
    _arrow(ax, (xe, ys_e[-1] + H / 2), (xe, top_e + 0.15))
    _arrow(ax, (xe + 1.6, top_e + 0.35), (xd - W / 2, ys_d[2]), colour=style.OKABE_ITO["vermillion"], rad=-0.25, ls="--")
    # output head
    y_lin, y_soft = top_d + 0.75, top_d + 1.6
    _box(ax, xd, y_lin, f"linear {d_model} → {tgt_vocab_size:,}", "out")
    _box(ax, xd, y_soft, "softmax: next-token probabilities", "out")
    _arrow(ax, (xd, ys_d[-1] + H / 2), (xd, y_lin - H / 2))
    _arrow(ax, (xd, y_lin + H / 2), (xd, y_soft - H / 2))
    ax.text((xe + xd) / 2, 0.95, "each Add & Norm:\nx + sublayer(x),\nthen LayerNorm", ha="center", va="center",
            fontsize=style.SMALL)
    ax.set_xlim(-1.0, 11.3)
    ax.set_ylim(-0.5, y_soft + 0.6)
    ax.axis("off")
    ax.set_title(title or f"encoder-decoder: d_model {d_model}, {n_heads} heads, d_ff {d_ff}, "
                          f"{n_layers} + {n_dec} layers")
    return ax

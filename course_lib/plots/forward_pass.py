"""One forward pass of a GPT in one figure, for 10_gpt_pretraining (in the spirit of the Transformer Explainer).

`plot_forward_pass` draws, for one input: the characters and their token ids, the embedding (token +
position vectors), each block's attention (one small heatmap per layer: the mean of its heads, or its
most focused head), the size of the residual stream at every position after each block, and at the end
the last position's logits and the probabilities softmax makes of them. It only draws: the notebook
runs the model (need_weights=True, the blocks one by one) and passes tensors and token strings.
Layers and heads are numbered from 1, attention is on the fixed scale 0 to 1 (course_lib.plots.style).
Deliberately left out: the inside of a block (queries, keys, values: 04 and 05) and interactivity.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.gridspec import GridSpec

from course_lib.plots import inputs, set_tick_labels, style

HEAD_CHOICES = ("mean", "focused")
STREAM_CMAP = "YlOrBr"  # lengths: a sequential map that is not the attention map


def _rows(x, name: str, dims: int) -> np.ndarray:
    """A tensor with an optional leading batch of 1 -> numpy with `dims` dimensions (batch item 0)."""
    a = inputs.array(name, x)
    if a.ndim == dims + 1:
        a = a[0]
    if a.ndim != dims:
        raise ValueError(f"{name} must have {dims} dimensions (or {dims + 1} with a batch first), got shape {a.shape}")
    return a


def _layer_maps(attentions, heads: str, T: int) -> tuple[list[np.ndarray], list[str]]:
    """One (T, T) map per layer and its title: the mean of the heads, or the most focused head.

    Titles shrink with the number of layers so that they fit side by side: "block 2, head 3" (up to 4
    layers), "block 2" over "head 3" (up to 8), then "2" over "h3"."""
    L = len(attentions)
    maps, titles = [], []
    for layer, a in enumerate(attentions):
        w = _rows(a, f"attentions[{layer}]", 3)  # (H, T, T)
        if w.shape[1:] != (T, T):
            raise ValueError(f"attentions[{layer}] has maps of shape {w.shape[1:]}, expected ({T}, {T}) for {T} tokens")
        inputs.weights(f"attentions[{layer}]", w, dims=3, what="(H, T, T)")
        if heads == "mean":
            maps.append(w.mean(0))
            titles.append(f"block {layer + 1}" if L <= 8 else f"{layer + 1}")
            continue
        h = int(w.max(-1).mean(-1).argmax())  # the head whose rows put the most weight on one key, on average
        maps.append(w[h])
        titles.append(f"block {layer + 1}, head {h + 1}" if L <= 4 else
                      f"block {layer + 1}\nhead {h + 1}" if L <= 8 else f"{layer + 1}\nh{h + 1}")
    return maps, titles


def plot_forward_pass(tokens, ids, hidden_states, attentions, logits, vocab, k: int = 8, heads: str = "mean",
                      title: str | None = None):
    """Input -> embedding -> attention and residual stream per block -> logits -> next-token probabilities.

    tokens: the T input token strings; ids: their T token ids. hidden_states: L + 1 tensors (T, d_model)
    (a leading batch of 1 is allowed): the embedding (token + position), then the residual stream after
    each of the L blocks. attentions: L tensors (H, T, T) or (1, H, T, T), as model(ids, need_weights=True)
    returns them. logits: the last position's logits (vocab_size,). vocab: the token string of every id.
    k: how many of the most likely next tokens to show. heads: "mean" (each block's heads averaged) or
    "focused" (each block's most focused head). Returns a dict of the Axes by part.
    """
    tokens = inputs.tokens("tokens", tokens)
    T = len(tokens)
    if not T:
        raise ValueError("tokens is empty; expected at least one input token")
    if len(ids) != T:
        raise ValueError(f"got {T} tokens and {len(ids)} ids; give one id per token")
    ids = [inputs.count("ids", i, minimum=0) for i in ids]
    if heads not in HEAD_CHOICES:
        raise ValueError(f"heads must be one of {HEAD_CHOICES}, got {heads!r}")
    L = len(attentions)
    if L < 1 or len(hidden_states) != L + 1:
        raise ValueError(f"give the embedding and the residual stream after each block: {L + 1} hidden states for "
                         f"{L} attention maps, got {len(hidden_states)}")
    states = [_rows(h, f"hidden_states[{i}]", 2) for i, h in enumerate(hidden_states)]  # (T, d_model) each
    if any(s.shape != states[0].shape or s.shape[0] != T for s in states):
        raise ValueError(f"every hidden state must have the shape ({T}, d_model), one row per token, got "
                         f"{[s.shape for s in states]}")
    row = inputs.array("logits", logits)
    if row.ndim != 1:
        raise ValueError(f"logits must be the last position's row (vocab_size,), got shape {row.shape}")
    if np.isnan(row).any():  # a -inf logit is a token ruled out; NaN is a bug
        raise ValueError("logits holds NaN; expected numbers (find where they come from first)")
    for i, state in enumerate(states):
        inputs.finite(f"hidden_states[{i}]", state)
    vocab = inputs.tokens("vocab", vocab)
    row = torch.from_numpy(row)
    if len(vocab) != row.shape[0]:
        raise ValueError(f"got {len(vocab)} vocabulary strings for {row.shape[0]} logits; pass the whole vocabulary")
    if not 1 <= inputs.count("k", k) <= len(vocab):
        raise ValueError(f"k must be in [1, {len(vocab)}], got {k}")
    maps, map_titles = _layer_maps(attentions, heads, T)

    # rows: embedding, attention, residual stream, logits and probabilities, with gaps sized to their labels
    many = L > 4  # two-line titles over the attention maps, a taller residual-stream row
    heights = [1.25, 1.75 if many else 1.45, 2.0, 0.85, 1.3 if many else 0.95, 0.95, 1.6]
    fig = style.subplots(figsize=(style.MAX_WIDTH_IN, 10.0 + (sum(heights) - 9.05) / 0.845))[0]
    fig.clear()
    outer = GridSpec(7, 1, figure=fig, height_ratios=heights, hspace=0.0, left=0.12, right=0.9, top=0.915,
                     bottom=0.07)
    outer = [outer[0], outer[2], outer[4], outer[6]]
    chars = [style.label(t) for t in tokens]
    axes = {}

    def full_width(spec, matrix, cmap, vmin, vmax, colour_label):
        """A heatmap over the T input characters, with its colour bar in a narrow column on the right."""
        cells = spec.subgridspec(1, 2, width_ratios=[1, 0.018], wspace=0.02)
        ax, cax = fig.add_subplot(cells[0]), fig.add_subplot(cells[1])
        image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
        fig.colorbar(image, cax=cax).set_label(colour_label)
        return ax

    # 1. the input and its embedding: one column of d_model numbers per token
    emb = states[0].T  # (d_model, T)
    limit = float(np.abs(emb).max()) or 1.0
    ax = axes["embedding"] = full_width(outer[0], emb, style.DIVERGING_CMAP, -limit, limit, "value")
    if T <= 32:  # room for the id under each character
        ax.set_xticks(range(T), [f"{c}\n{i}" for c, i in zip(chars, ids)])
        ax.set_xlabel("input: character and its token id")
    else:
        set_tick_labels(ax, "x", tokens)
        ax.set_xlabel("input character")
    ax.set_yticks([0, emb.shape[0] - 1], ["1", str(emb.shape[0])])
    ax.set_ylabel("feature")
    ax.set_title(f"1. embedding: each character becomes a vector of {emb.shape[0]} numbers (token + position)")

    # 2. each block's attention: rows = queries (characters), columns = keys
    middle = outer[1].subgridspec(1, L + 1, width_ratios=[1] * L + [0.06], wspace=0.18)
    attention_axes = []
    for layer, (m, name) in enumerate(zip(maps, map_titles)):
        ax = fig.add_subplot(middle[layer])
        ax.imshow(m, cmap=style.ATTENTION_CMAP, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        set_tick_labels(ax, "x", tokens)
        if layer == 0:
            set_tick_labels(ax, "y", tokens)
            ax.set_ylabel("query")
        else:
            ax.set_yticks([])
        ax.set_xlabel("key")
        ax.set_title(name)
        attention_axes.append(ax)
    axes["attention"] = attention_axes
    bar = fig.colorbar(attention_axes[0].images[0], cax=fig.add_subplot(middle[L]))
    bar.set_ticks([0, 0.5, 1], labels=["0", "0.5", "1"])
    bar.set_label(style.ATTENTION_LABEL)
    which = f"the mean of its {len(_rows(attentions[0], 'attentions[0]', 3))} heads" if heads == "mean" else \
        "its most focused head" + (", h = head" if L > 8 else "")
    fig.text(0.5, attention_axes[0].get_position().y1 + (0.055 if many else 0.036),
             f"2. attention in each block{f' (1 to {L})' if L > 8 else ''} ({which})",
             ha="center", fontsize=style.TITLE)

    # 3. the residual stream: how long each position's vector is after the embedding and after each block
    lengths = np.stack([np.linalg.norm(s, axis=-1) for s in states])  # (L + 1, T)
    ax = axes["stream"] = full_width(outer[2], lengths, STREAM_CMAP, 0, float(lengths.max()), "length")
    set_tick_labels(ax, "x", tokens)
    ax.set_xlabel("input character")
    names = ["embedding"] + [f"block {i}" for i in range(1, L + 1)]
    row_px = ax.get_position().height * fig.get_figheight() * fig.dpi / (L + 1)
    step = max(1, math.ceil(1.35 * style.TICK * fig.dpi / 72 / row_px))  # every step-th name, so none overlap
    ax.set_yticks(range(L + 1), [n if i % step == 0 else "" for i, n in enumerate(names)])
    ax.set_ylabel("after")
    ax.set_title("3. the residual stream: length of each character's vector after each block")

    # 4. the last position's logits, and 5. the probabilities softmax makes of them
    probs = torch.softmax(row.double(), dim=-1).numpy()
    order = np.argsort(-row.numpy(), kind="stable")[:k]
    top = [vocab[i] for i in order]
    bottom = outer[3].subgridspec(1, 2, wspace=0.3)
    ax = axes["logits"] = fig.add_subplot(bottom[0])
    ax.bar(range(k), row.numpy()[order], color=style.COLORS[0])
    ax.axhline(0, color="black", linewidth=0.8)
    set_tick_labels(ax, "x", top)
    ax.set_xlabel("next token")
    ax.set_ylabel("logit (score)")
    ax.set_title(f"4. logits after '{chars[-1]}': top {k} of {len(vocab)}")
    ax = axes["probabilities"] = fig.add_subplot(bottom[1])
    ax.bar(range(k), probs[order], color=style.COLORS[1], hatch="//", edgecolor="white")
    for i, p in enumerate(probs[order]):
        if p >= 0.005:
            ax.text(i, p + 0.02, f"{p:.2f}", ha="center", va="bottom", fontsize=style.TICK)
    set_tick_labels(ax, "x", top)
    ax.set_ylim(0, 1.12)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_xlabel("next token")
    ax.set_ylabel("probability")
    ax.set_title(f"5. softmax: top {k} hold {probs[order].sum():.0%}")
    fig.suptitle(title or f"one forward pass: '{''.join(chars)}' -> the next token")
    return axes

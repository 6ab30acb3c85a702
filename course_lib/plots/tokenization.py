"""Figures of tokenization for 01_tokenization: coloured tokens, pair counts, merge steps, compression.

Tokens are shown with visible whitespace: a space as "·", a newline as "↵", a tab as "→".
Deliberately left out: anything that tokenizes (course_lib.tokenization does that); functions take
token strings, ids or a tokenizer and only draw.
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt

PALETTE = ["#fde68a", "#bbf7d0", "#bfdbfe", "#fecaca", "#ddd6fe", "#fed7aa", "#a5f3fc", "#f5d0fe"]
VISIBLE = str.maketrans({" ": "·", "\n": "↵", "\t": "→", "\r": "␍"})


def visible(token: str) -> str:
    """A token with its whitespace made visible."""
    return token.translate(VISIBLE)


def tokens_html(tokens: list[str], ids: list[int] | None = None, show_ids: bool = True) -> str:
    """HTML: each token in a coloured box (the colour follows the id), its id underneath."""
    if ids is not None and len(ids) != len(tokens):
        raise ValueError(f"got {len(tokens)} tokens but {len(ids)} ids")
    ids = list(range(len(tokens))) if ids is None else list(ids)
    spans = []
    for tok, i in zip(tokens, ids):
        label = f"<br><span style='font-size:70%;color:#555'>{i}</span>" if show_ids else ""
        spans.append(f"<span style='display:inline-block;background:{PALETTE[i % len(PALETTE)]};"
                     "border:1px solid #999;border-radius:3px;margin:1px;padding:0 2px;text-align:center;"
                     f"font-family:monospace;white-space:pre'>{html.escape(visible(tok))}{label}</span>")
    return "<div style='line-height:1.9'>" + "".join(spans) + "</div>"


def tokenizer_html(tokenizer, text: str) -> str:
    """The tokens of `text` under `tokenizer` (anything with encode and id_to_token), with a count."""
    ids = tokenizer.encode(text)
    head = (f"<div style='font-size:90%'>{len(ids)} tokens for {len(text)} characters "
            f"({len(text) / max(len(ids), 1):.2f} characters per token)</div>")
    return head + tokens_html([tokenizer.id_to_token(i) for i in ids], ids)


def plot_pair_counts(counts: dict, name, ax=None, top: int = 8, title: str = "adjacent pair counts"):
    """Bar chart of the `top` most frequent pairs; `name(id)` turns an id into its text."""
    pairs = sorted(counts, key=lambda p: (-counts[p], p))[:top]
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 0.35 * len(pairs) + 1.2))
    labels = [f"'{visible(name(a))}' + '{visible(name(b))}'" for a, b in pairs]
    ax.barh(range(len(pairs)), [counts[p] for p in pairs], color="#60a5fa")
    ax.set_yticks(range(len(pairs)), labels, family="monospace")
    ax.invert_yaxis()  # the most frequent pair on top
    ax.set_xlabel("count")
    ax.set_title(title)
    return ax


def plot_encode_steps(tokenizer, text: str, rows: int = 6, ax=None,
                      title: str = "BPE encoding, one merge at a time"):
    """The tokens of `text` at `rows` evenly spaced merge steps (raw bytes on top, final tokens last)."""
    steps = tokenizer.encode_steps(text)
    picks = sorted({round(k * (len(steps) - 1) / max(rows - 1, 1)) for k in range(rows)})
    if ax is None:
        _, ax = plt.subplots(figsize=(min(0.11 * len(steps[0]) + 1, 14), 0.4 * len(picks) + 0.8))
    ax.axis("off")
    renderer = ax.figure.canvas.get_renderer()
    to_axes = ax.transAxes.inverted()
    gap = 5 * ax.figure.dpi / 72  # 5 points, in pixels
    for row, k in enumerate(picks):
        y = 1 - (row + 0.5) / len(picks)
        ax.text(-0.01, y, f"step {k}: {len(steps[k])} tokens", transform=ax.transAxes, ha="right",
                va="center", fontsize=8)
        x = 0.0
        for i in steps[k]:  # place each token right after the previous one, measured on screen
            box = ax.text(x, y, visible(tokenizer.id_to_token(i)), transform=ax.transAxes, family="monospace",
                          fontsize=8, va="center", ha="left",
                          bbox={"boxstyle": "square,pad=0.15", "fc": PALETTE[i % len(PALETTE)], "ec": "#888"})
            end = box.get_window_extent(renderer)  # the text only: add the box padding and a gap
            x = to_axes.transform((end.x1 + gap, end.y1))[0]
    ax.set_title(title)
    return ax


def plot_compression(vocab_sizes, chars_per_token, references: dict | None = None, ax=None,
                     title: str = "bigger vocabularies give shorter sequences"):
    """Characters per token against vocabulary size (log scale); `references` maps a name to
    (vocab_size, chars_per_token) for other tokenizers drawn as labelled points."""
    if ax is None:
        _, ax = plt.subplots()
    ax.plot(vocab_sizes, chars_per_token, "o-", label="byte-level BPE")
    for k, (name, (size, ratio)) in enumerate((references or {}).items()):
        ax.plot([size], [ratio], "s", color=f"C{k + 1}", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("vocabulary size (log scale)")
    ax.set_ylabel("characters per token")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_vocabulary_growth(words_read, distinct_words, ax=None,
                           title: str = "the word vocabulary never stops growing"):
    """Distinct words seen against words read: new words keep arriving, so a word list is never complete."""
    if ax is None:
        _, ax = plt.subplots()
    ax.plot(words_read, distinct_words)
    ax.set_xlabel("words read")
    ax.set_ylabel("distinct words seen")
    ax.set_title(title)
    return ax

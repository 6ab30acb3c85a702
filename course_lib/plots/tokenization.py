"""Figures of tokenization for 01_tokenization: coloured tokens, pair counts, merge steps, compression.

Tokens are shown with the course's visible whitespace (course_lib.plots.style): a space as "␣", a
newline as "↵", a tab as "⇥". HTML views escape every token. Deliberately left out: anything that
tokenizes (course_lib.tokenization does that); functions take token strings, ids or a tokenizer and
only draw.
"""

from __future__ import annotations

import html

from course_lib.guards import describe
from course_lib.plots import inputs, style
from course_lib.plots.chips import PALETTE, chip_rows

VISIBLE = style.VISIBLE
visible = style.visible


def tokens_html(tokens: list[str], ids: list[int] | None = None, show_ids: bool = True, colours=None,
                notes=None) -> str:
    """HTML: each token in a coloured box (the colour follows the id), its id underneath; text escaped.

    colours / notes: one background colour and one text (instead of the id) per token.
    """
    if ids is not None and len(ids) != len(tokens):
        raise ValueError(f"got {len(tokens)} tokens but {len(ids)} ids")
    ids = list(range(len(tokens))) if ids is None else [int(i) for i in ids]
    colours = colours or [PALETTE[i % len(PALETTE)] for i in ids]
    notes = notes or ([str(i) for i in ids] if show_ids else None)
    spans = []
    for k, tok in enumerate(tokens):
        label = f"<br><span style='font-size:80%;color:#333'>{html.escape(notes[k])}</span>" if notes else ""
        spans.append(f"<span style='display:inline-block;background:{html.escape(colours[k])};color:#000;"
                     "border:1px solid #777;border-radius:3px;margin:1px;padding:0 3px;text-align:center;"
                     f"font-family:monospace;font-size:110%;white-space:pre'>{html.escape(visible(tok))}{label}</span>")
    return "<div style='line-height:2.1'>" + "".join(spans) + "</div>"


def tokenizer_html(tokenizer, text: str) -> str:
    """The tokens of `text` under `tokenizer` (anything with encode and id_to_token), with a count."""
    ids = tokenizer.encode(text)
    return f"<div style='font-size:90%'>{html.escape(count_line(len(ids), len(text)))}</div>" + tokens_html(
        [tokenizer.id_to_token(i) for i in ids], ids)


def count_line(n_tokens: int, n_chars: int) -> str:
    """ "12 tokens for 40 characters (3.33 characters per token)" """
    return f"{n_tokens} tokens for {n_chars} characters ({n_chars / max(n_tokens, 1):.2f} characters per token)"


def plot_token_chips(tokens, ids=None, title: str = "tokens (colour follows the id)", show_ids: bool = True,
                     colours=None, notes=None):
    """The PNG twin of tokens_html: one chip per token, wrapped to the figure's width, ids (or notes)
    underneath."""
    tokens = inputs.tokens("tokens", tokens)
    ids = list(range(len(tokens))) if ids is None else [inputs.count("ids", i, minimum=0) for i in ids]
    return chip_rows([("", tokens, ids, colours, notes)], title, show_ids=show_ids)


def plot_pair_counts(counts: dict, name, ax=None, top: int = 8, title: str = "adjacent pair counts"):
    """Bar chart of the `top` most frequent pairs; `name(id)` turns an id into its text."""
    inputs.entries("counts", counts, "{(id, id): count}, e.g. count_pairs(ids)")
    bad = next((p for p in counts if not (isinstance(p, tuple) and len(p) == 2)), None)
    if bad is not None:
        raise TypeError(f"counts must map pairs of ids (a, b) to counts, got the key {describe(bad)}")
    if not callable(name):
        raise TypeError(f"name must be a function from an id to its text (e.g. chr or tokenizer.id_to_token), "
                        f"got {describe(name)}")
    top = inputs.count("top", top)
    pairs = sorted(counts, key=lambda p: (-counts[p], p))[:top]
    if ax is None:
        _, ax = style.subplots(figsize=(6.0, 0.42 * len(pairs) + 1.6))
    labels = [f"'{style.label(name(a))}' + '{style.label(name(b))}'" for a, b in pairs]  # the tokens' spaces shown
    ax.barh(range(len(pairs)), [counts[p] for p in pairs], color=style.OKABE_ITO["blue"])
    ax.set_yticks(range(len(pairs)), labels, family="monospace")
    ax.xaxis.get_major_locator().set_params(integer=True)  # counts are whole numbers
    ax.invert_yaxis()  # the most frequent pair on top
    ax.set_xlabel("count")
    ax.set_ylabel("pair")
    ax.set_title(title)
    return ax


def plot_encode_steps(tokenizer, text: str, rows: int = 6, ax=None,
                      title: str = "BPE encoding, one merge at a time"):
    """The tokens of `text` at `rows` evenly spaced merge steps (raw bytes first, final tokens last).

    Each step is a group of chips under "step k: n tokens", wrapped to the figure's width. `ax` is
    accepted for older calls and ignored (the figure sizes itself to the chips).
    """
    if not (hasattr(tokenizer, "encode_steps") and hasattr(tokenizer, "id_to_token")):
        raise TypeError(f"tokenizer must be a BPETokenizer (it has encode_steps and id_to_token), "
                        f"got {describe(tokenizer)}")
    rows = inputs.count("rows", rows)
    steps = tokenizer.encode_steps(text)
    picks = sorted({round(k * (len(steps) - 1) / max(rows - 1, 1)) for k in range(rows)})
    groups = [(f"step {k}: {len(steps[k])} tokens", [tokenizer.id_to_token(i) for i in steps[k]], steps[k])
              for k in picks]
    return chip_rows(groups, title)


def plot_compression(vocab_sizes, chars_per_token, references: dict | None = None, ax=None,
                     title: str = "bigger vocabularies give shorter sequences"):
    """Characters per token against vocabulary size (log scale); `references` maps a name to
    (vocab_size, chars_per_token) for other tokenizers drawn as labelled points."""
    sizes = inputs.not_empty("vocab_sizes", inputs.series("vocab_sizes", vocab_sizes), "vocabulary size")
    ratios = inputs.series("chars_per_token", chars_per_token, len(sizes), "one per vocabulary size")
    inputs.positive("vocab_sizes", sizes, "the log x axis")
    if references:
        inputs.entries("references", references, "{name: (vocab_size, chars_per_token)}")
    references = references or {}
    for name, point in references.items():
        if not (isinstance(point, (list, tuple)) and len(point) == 2):
            raise TypeError(f"references[{name!r}] must be a pair (vocab_size, chars_per_token), "
                            f"got {describe(point)}")
        inputs.number(f"the vocab_size of references[{name!r}]", point[0], 0, float("inf"), low_open=True)
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.0))
    ax.plot(sizes, ratios, label="byte-level BPE", **style.line_style(0))
    for k, (name, (size, ratio)) in enumerate(references.items(), start=1):
        look = style.line_style(k)
        ax.plot([size], [ratio], marker=look["marker"], color=look["color"], linestyle="none", markersize=9,
                label=name)
    ax.set_xscale("log")
    ax.set_xlabel("vocabulary size (log scale)")
    ax.set_ylabel("characters per token")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_vocabulary_growth(words_read, distinct_words, ax=None,
                           title: str = "the word vocabulary never stops growing"):
    """Distinct words seen against words read: new words keep arriving, so a word list is never complete."""
    read = inputs.not_empty("words_read", inputs.series("words_read", words_read), "count")
    distinct = inputs.series("distinct_words", distinct_words, len(read), "one per words_read")
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.0))
    ax.plot(read, distinct, color=style.COLORS[0])
    for axis in (ax.xaxis, ax.yaxis):  # 50k rather than 50000: short labels that never collide
        axis.set_major_formatter(lambda v, _: f"{v / 1000:g}k" if abs(v) >= 10_000 else f"{v:,.0f}")
    ax.set_xlabel("words read")
    ax.set_ylabel("distinct words seen")
    ax.set_title(title)
    return ax

"""Tokens as coloured chips in a matplotlib figure, wrapped to the figure's width (01_tokenization, and
the static pictures of the token explorers).

`chip_rows(rows, title)` draws groups of chips, each group under its own heading (e.g. "step 3: 40
tokens"), wrapping long groups onto several lines so that chips keep a projector-legible size (11 pt,
whitespace drawn visibly). The colour of a chip follows its id, so equal tokens share a colour; a
border separates neighbours. Deliberately left out: HTML chips (course_lib.plots.tokenization.tokens_html).
"""

from __future__ import annotations

from matplotlib.font_manager import FontProperties

from course_lib.guards import describe
from course_lib.plots import inputs, style

PALETTE = ["#fde68a", "#bbf7d0", "#bfdbfe", "#fecaca", "#ddd6fe", "#fed7aa", "#a5f3fc", "#f5d0fe"]
FONT = style.TICK  # points
PAD, GAP, LINE, HEAD = 4, 6, 30, 24  # pixels: padding inside a chip, between chips, per line, per heading


def _width(renderer, text: str, prop: FontProperties) -> float:
    w, _, _ = renderer.get_text_width_height_descent(text, prop, ismath=False)
    return w


def chip_rows(rows, title: str, width_in: float = style.MAX_WIDTH_IN, show_ids: bool = False):
    """rows: a list of (heading, tokens, ids), or (heading, tokens, ids, colours, notes) to choose each
    chip's colour and the text under it (show_ids=True writes the id there). Ids are ints >= 0; a row
    may hold no tokens (the tokens of an empty text). Returns the Axes (its data units are pixels)."""
    if not isinstance(rows, (list, tuple)) or not rows:
        raise ValueError(f"rows must be a non-empty list of (heading, tokens, ids) rows, got {describe(rows)}")
    for r, row in enumerate(rows):
        if not (isinstance(row, (list, tuple)) and len(row) in (3, 5)):
            raise TypeError(f"rows[{r}] must be (heading, tokens, ids) or (heading, tokens, ids, colours, notes), "
                            f"got {describe(row)}")
        tokens = inputs.tokens(f"the tokens of rows[{r}]", row[1])
        ids = row[2]
        if len(tokens) != len(ids):
            raise ValueError(f"got {len(tokens)} tokens but {len(ids)} ids")
        for i in ids:
            inputs.count(f"the ids of rows[{r}]", i, minimum=0)
        for name, extra in zip(("colours", "notes"), row[3:]):
            if extra is not None and len(extra) != len(tokens):
                raise ValueError(f"the {name} of rows[{r}] must hold one entry per token ({len(tokens)}), "
                                 f"got {len(extra)}")
    fig, ax = style.subplots(figsize=(width_in, 2.0))
    renderer = fig.canvas.get_renderer()
    mono = FontProperties(family="monospace", size=FONT)
    width_px = width_in * fig.dpi - 8
    placed, y = [], 4.0
    for heading, tokens, ids, *extra in rows:
        if len(tokens) != len(ids):
            raise ValueError(f"got {len(tokens)} tokens but {len(ids)} ids")
        colours, notes = extra if extra else (None, None)
        colours = colours or [PALETTE[i % len(PALETTE)] for i in ids]
        notes = notes or ([str(i) for i in ids] if show_ids else None)
        line = LINE + (18 if notes else 0)
        if heading:
            placed.append(("head", 4.0, y + HEAD / 2, heading, None))
            y += HEAD
        x = 4.0
        for k, tok in enumerate(tokens):
            text = style.visible(tok) or "∅"
            note = notes[k] if notes else ""
            w = _width(renderer, text, mono) + 2 * PAD
            if note:  # the note written underneath must fit under its own chip
                w = max(w, _width(renderer, note, FontProperties(size=style.SMALL)) + 4)
            if x + w > width_px and x > 4.0:
                x, y = 4.0, y + line
            placed.append(("chip", x + PAD, y + LINE / 2, text, (colours[k], note, w)))
            x += w + GAP
        y += line + 6
    height_px = y + 4
    fig.set_size_inches(width_in, height_px / fig.dpi + 0.45)
    ax.set_position((0, 0, 1, height_px / (height_px + 0.45 * fig.dpi)))
    ax.set_xlim(0, width_in * fig.dpi)
    ax.set_ylim(height_px, 0)
    ax.axis("off")
    for kind, x, yy, text, info in placed:
        if kind == "head":
            ax.text(x, yy, text, va="center", ha="left", fontsize=style.TICK, color="#333333")
            continue
        colour, note, w = info
        ax.text(x, yy, style.label(text), va="center", ha="left", fontproperties=mono, color="black",
                bbox={"boxstyle": f"square,pad={PAD / FONT * 72 / fig.dpi:.2f}", "fc": colour, "ec": "#777777", "lw": 0.8})
        if note:
            ax.text(x - PAD + w / 2, yy + 19, note.replace("$", r"\$"), va="center", ha="center", fontsize=style.SMALL,
                    color="#333333")
    ax.set_title(title, loc="left")
    return ax

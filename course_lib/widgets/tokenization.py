"""The explorers of 01_tokenization: coloured tokens for any text, and a BPE merge-step slider.

Every token and header is HTML-escaped (a token may be any text, `<script>` included). While an
explorer records its first state (course_lib.widgets.snapshot), the chips are also drawn as a PNG, so a
saved notebook shows them where HTML is not rendered.
Deliberately left out: training inside a widget (too slow to redo on every key press).
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from course_lib.plots.tokenization import count_line, plot_token_chips, tokens_html, visible
from course_lib.widgets import explorer
from course_lib.widgets.snapshot import figure_output, in_snapshot


def show_chips(head: str, tokens, ids, colours=None, notes=None) -> None:
    """Display a line of text and the token chips: HTML (escaped), plus a PNG while a snapshot is taken."""
    bundle = {"text/html": f"<div>{html.escape(head)}</div>" + tokens_html(tokens, ids, colours=colours, notes=notes),
              "text/plain": head + "\n" + " ".join(visible(t) for t in tokens)}
    if in_snapshot():
        ax = plot_token_chips(tokens, ids, title=head, colours=colours, notes=notes)
        bundle["image/png"] = figure_output(ax.figure)["data"]["image/png"]
        plt.close(ax.figure)
    display(bundle, raw=True)


def token_explorer(tokenizers: dict, text: str = "Tokenizers split text into pieces: 🙂 ünïcödé, 12345!"):
    """Type any text and pick a tokenizer: its tokens are shown in colour with their ids."""
    if not tokenizers:
        raise ValueError("tokenizers must map at least one name to a tokenizer")

    def draw(text: str, tokenizer: str) -> None:
        tok = tokenizers[tokenizer]
        ids = tok.encode(text)
        show_chips(f"{tokenizer}: {count_line(len(ids), len(text))}", [tok.id_to_token(i) for i in ids], ids)

    controls = {
        "text": widgets.Textarea(value=text, description="text", layout=widgets.Layout(width="60%")),
        "tokenizer": widgets.Dropdown(options=list(tokenizers), description="tokenizer"),
    }
    return explorer(draw, controls, columns=2, title="tokens and their ids")


def merge_stepper(tokenizer, text: str = "The lowest tower was lower than the newest one."):
    """A slider over BPE merge steps: the sentence starts as raw bytes, each step applies one merge."""
    cache: dict[str, list[list[int]]] = {}

    def steps_of(text: str) -> list[list[int]]:
        if text not in cache:
            cache[text] = tokenizer.encode_steps(text)
        return cache[text]

    def draw(text: str, step: int) -> None:
        steps = steps_of(text)
        step = min(step, len(steps) - 1)
        ids = steps[step]
        if step == 0:
            what = "the raw UTF-8 bytes"
        else:
            before = steps[step - 1]
            i = next((k for k in range(len(ids)) if ids[k] != before[k]), len(ids) - 1)
            parts = " + ".join(f"'{visible(tokenizer.id_to_token(t))}'" for t in before[i:i + 2])
            what = f"merged {parts} into '{visible(tokenizer.id_to_token(ids[i]))}' (id {ids[i]})"
        show_chips(f"step {step} of {len(steps) - 1}: {len(ids)} tokens; {what}",
                   [tokenizer.id_to_token(t) for t in ids], ids)

    controls = {
        "text": widgets.Text(value=text, description="sentence", layout=widgets.Layout(width="60%")),
        "step": widgets.IntSlider(value=0, min=0, max=len(steps_of(text)) - 1, description="merge step"),
    }

    def new_text(change) -> None:  # a new sentence has its own number of steps
        controls["step"].max = len(steps_of(change["new"])) - 1

    controls["text"].observe(new_text, names="value")
    return explorer(draw, controls, columns=2, title="BPE, one merge at a time")

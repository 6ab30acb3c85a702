"""The explorers of 01_tokenization: coloured tokens for any text, and a BPE merge-step slider.

Deliberately left out: training inside a widget (too slow to redo on every key press).
"""

from __future__ import annotations

import ipywidgets as widgets
from IPython.display import HTML, display

from course_lib.plots.tokenization import tokenizer_html, tokens_html, visible
from course_lib.widgets import explorer


def token_explorer(tokenizers: dict, text: str = "Tokenizers split text into pieces: 🙂 ünïcödé, 12345!"):
    """Type any text and pick a tokenizer: its tokens are shown in colour with their ids."""
    if not tokenizers:
        raise ValueError("tokenizers must map at least one name to a tokenizer")

    def draw(text: str, tokenizer: str) -> None:
        display(HTML(tokenizer_html(tokenizers[tokenizer], text)))

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
        display(HTML(f"<div>step {step} of {len(steps) - 1}: {len(ids)} tokens; {what}</div>"
                     + tokens_html([tokenizer.id_to_token(t) for t in ids], ids)))

    controls = {
        "text": widgets.Text(value=text, description="sentence", layout=widgets.Layout(width="60%")),
        "step": widgets.IntSlider(value=0, min=0, max=len(steps_of(text)) - 1, description="merge step"),
    }

    def new_text(change) -> None:  # a new sentence has its own number of steps
        controls["step"].max = len(steps_of(change["new"])) - 1

    controls["text"].observe(new_text, names="value")
    return explorer(draw, controls, columns=2, title="BPE, one merge at a time")

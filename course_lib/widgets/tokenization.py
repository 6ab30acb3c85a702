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
from course_lib.widgets import _check_text, _check_tokens, explorer
from course_lib.widgets.snapshot import figure_output, in_snapshot


def _chips_with_notes_html(tokens, ids, colours, notes) -> str:
    """The chips as a list, one item per chip with its note (if any) on its own line underneath; text escaped.

    Each note is its own element with a margin, so neighbouring notes never run together, and a list keeps
    them apart even where a page drops the styles.
    """
    items = []
    for k, (tok, i) in enumerate(zip(tokens, ids)):
        chip = tokens_html([tok], [i], show_ids=False, colours=None if colours is None else [colours[k]])
        note = f"<div style='font-size:80%;color:#333;margin:0 2px'>{html.escape(notes[k])}</div>" if notes[k] else ""
        items.append(f"<li style='margin:0 6px 6px 0;text-align:center'>{chip}{note}</li>")
    return ("<ul style='list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;align-items:flex-start'>"
            + "".join(items) + "</ul>")


def show_chips(head: str, tokens, ids, colours=None, notes=None) -> None:
    """Display a line of text and the token chips: HTML (escaped), plus a PNG while a snapshot is taken.

    colours / notes: one background colour / one short note (may be "") per token; with notes, each
    chip shows its note underneath instead of its id.
    """
    _check_text("head", head)
    _check_tokens("tokens", tokens)
    for name, values in (("colours", colours), ("notes", notes)):
        if values is not None and (not isinstance(values, (list, tuple)) or len(values) != len(tokens)
                                   or not all(isinstance(v, str) for v in values)):
            raise ValueError(f"{name} must be None or a list of {len(tokens)} strings (one per token), got "
                             f"{values!r:.80}")
    if len(ids) != len(tokens):
        raise ValueError(f"ids must hold one id per token: got {len(tokens)} tokens but {len(ids)} ids")
    if notes is None:
        chips = tokens_html(tokens, ids, colours=colours)
    else:
        chips = _chips_with_notes_html(tokens, ids, colours, notes)
    shown = [visible(t) + (f" ({notes[k]})" if notes and notes[k] else "") for k, t in enumerate(tokens)]
    bundle = {"text/html": f"<div>{html.escape(head)}</div>" + chips, "text/plain": head + "\n" + " ".join(shown)}
    if in_snapshot():
        ax = plot_token_chips(tokens, ids, title=head, colours=colours, notes=notes)
        bundle["image/png"] = figure_output(ax.figure)["data"]["image/png"]
        plt.close(ax.figure)
    display(bundle, raw=True)


def token_explorer(tokenizers: dict, text: str = "Tokenizers split text into pieces: 🙂 ünïcödé, 12345!"):
    """Type any text and pick a tokenizer: its tokens are shown in colour with their ids."""
    if not isinstance(tokenizers, dict):
        raise TypeError(f"tokenizers must be a dict from names to tokenizers, e.g. {{'bpe': bpe}}, got "
                        f"{type(tokenizers).__name__}")
    if not tokenizers:
        raise ValueError("tokenizers must map at least one name to a tokenizer")
    for name, tok in tokenizers.items():
        if not (callable(getattr(tok, "encode", None)) and callable(getattr(tok, "id_to_token", None))):
            raise TypeError(f"tokenizers[{name!r}] must be a tokenizer (with encode and id_to_token), "
                            f"got {type(tok).__name__}")
    _check_text("text", text)

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
    if not callable(getattr(tokenizer, "encode_steps", None)):
        raise TypeError(f"tokenizer must be a BPETokenizer (merge_stepper replays its merges with encode_steps), "
                        f"got {type(tokenizer).__name__}")
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

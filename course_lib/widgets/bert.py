"""Explorers for 09_bert_pretraining: type a sentence with [MASK] and see what the model fills in;
move the masking probability and see which tokens BERT's rule corrupts.

Both are built with course_lib.widgets.explorer over a static figure or printout the notebook shows
first. Deliberately left out: training from a widget (the notebook trains in plain cells).
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from course_lib.bert import IGNORE, Bert, encode_pair, fill_mask, mask_tokens
from course_lib.plots.bert import plot_fill_mask
from course_lib.widgets import _check_int, _check_model, _check_text, explorer
from course_lib.widgets.tokenization import show_chips

# chip colours of the masking explorer (each chosen chip also names its fate underneath)
FATE_COLOURS = {"not chosen": "#eeeeee", "[MASK]": "#fbe5bf", "random": "#c8eadf", "kept": "#cfe3f3"}


def fill_mask_explorer(model, tokenizer, text: str = "Maria found a red [MASK] near the tree.",
                       top_k: int = 5) -> widgets.VBox:
    """A text box (press Enter to apply; write [MASK] where a word should be guessed) and a top-k slider."""
    _check_model("model", model, Bert, "course_lib.bert.Bert")
    _check_text("text", text)
    _check_int("top_k", top_k, 1, 10)

    def draw(text: str, top_k: int) -> None:
        try:
            predictions = fill_mask(model, tokenizer, text, top_k=top_k)
        except ValueError as err:  # no [MASK], or too long: say so instead of a traceback
            print(f"cannot fill that: {err}")
            return
        unknown = [w for w in tokenizer.tokenize(text) if w not in tokenizer]
        if unknown:
            print(f"not in the vocabulary, read as [UNK]: {', '.join(unknown)}")
        plot_fill_mask(predictions, text)

    controls = {
        "text": widgets.Text(value=text, description="sentence", continuous_update=False,
                             layout=widgets.Layout(width="480px")),
        "top_k": widgets.IntSlider(value=top_k, min=1, max=10, description="top k", continuous_update=False),
    }
    return explorer(draw, controls, columns=2, title="What does the model expect at [MASK]?")


def masking_explorer(tokenizer, a: str, b: str, max_len: int = 64) -> widgets.VBox:
    """Sliders for mlm_prob and the random seed: the pair after BERT's masking as coloured chips, each
    chosen token marked with what became of it ([MASK], random, kept) and its original word. A pair
    longer than max_len is cut (as in pretraining), and a line says how many tokens were dropped."""
    if not all(callable(getattr(tokenizer, m, None)) for m in ("encode", "token_to_id", "id_to_token")):
        raise TypeError(f"tokenizer must be a course tokenizer (with encode, token_to_id and id_to_token), "
                        f"got {type(tokenizer).__name__}")
    encoded = encode_pair(tokenizer, a, b, max_len)
    ids = torch.tensor(encoded.ids)

    def draw(mlm_prob: float, seed: int) -> None:
        out, labels = mask_tokens(ids, tokenizer, mlm_prob, torch.Generator().manual_seed(seed))
        shown, colours, notes = [], [], []
        for original, new, label in zip(ids.tolist(), out.tolist(), labels.tolist()):
            word = tokenizer.id_to_token(new)
            fate = ("not chosen" if label == IGNORE else "kept" if new == original
                    else "[MASK]" if word == "[MASK]" else "random")
            shown.append(word)
            colours.append(FATE_COLOURS[fate])
            notes.append("" if fate == "not chosen" else f"{fate}: {tokenizer.id_to_token(original)}"
                         if fate != "kept" else "kept")
        n_chosen = int((labels != IGNORE).sum())
        if encoded.truncated:
            print(f"the pair is longer than max_len={max_len}: {encoded.truncated} tokens were cut")
        show_chips(f"{n_chosen} of {len(ids)} tokens chosen; under each chosen token: what became of it and the "
                   f"label the model must recover", shown, out.tolist(), colours=colours, notes=notes)

    controls = {
        "mlm_prob": widgets.FloatSlider(value=0.15, min=0.0, max=1.0, step=0.05, description="mlm_prob",
                                        continuous_update=False),
        "seed": widgets.IntSlider(value=0, min=0, max=20, description="seed", continuous_update=False),
    }
    return explorer(draw, controls, columns=2, title="BERT's masking rule: 15% chosen, then 80/10/10")

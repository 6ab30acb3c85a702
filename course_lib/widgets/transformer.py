"""The translation explorer of 08_encoder_decoder: type English, see the Spanish and where each word looked.

`translation_explorer(model, src_tokenizer, tgt_tokenizer, text)`: a text box (press Enter to apply), a
decoder-layer dropdown, a head dropdown ("mean" = the average of the heads) and a decoding dropdown
(greedy or beam search). It prints the tokens the encoder read (unknown words as [UNK]) and the
translation, then draws the cross-attention of the chosen layer and head: English columns, Spanish rows.
Bad input (an empty sentence, one too long) is reported in a line, never as a traceback.
Deliberately left out: the bertviz views (course_lib.viz) and editing the translation by hand.
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib import guards
from course_lib.plots import heatmap, style
from course_lib.transformer import EncoderDecoder, translate
from course_lib.widgets import _check_model, _check_text, explorer


def translation_explorer(model, src_tokenizer, tgt_tokenizer, text: str, title: str | None = None,
                         beam_size: int = 4) -> widgets.VBox:
    """Explorer over translate(..., need_weights=True): sentence, layer, head and decoding controls."""
    _check_model("model", model, EncoderDecoder, "course_lib.transformer.EncoderDecoder")
    _check_text("text", text)
    _check_text("title", title, none=True)
    guards.positive_int("beam_size", beam_size, minimum=2)  # the "beam" choice; greedy is the other one
    c = model.config

    def draw(sentence: str, layer: int, head, decoding: str) -> None:
        try:
            out = translate(model, src_tokenizer, tgt_tokenizer, sentence, need_weights=True,
                            beam_size=1 if decoding == "greedy" else beam_size)
        except (ValueError, TypeError) as err:
            print(f"cannot translate that: {err}")
            return
        marked = " ".join(f"**{t}**" if t == "[UNK]" else t for t in out.source_tokens)
        print(f"English tokens: {marked}")
        if out.unknown:
            print(f"unknown words (read as [UNK]): {', '.join(out.unknown)}")
        print(f"Spanish: {out.text}")
        weights = out.attentions.cross[layer][0]  # (H, T, S)
        matrix = weights.mean(0) if head == "mean" else weights[head]
        heatmap(matrix, rows=out.output_tokens, cols=out.source_tokens, attention=True,
                annotate=len(out.source_tokens) <= 8 and len(out.output_tokens) <= 8,
                title="cross-attention, decoder " + style.layer_head(layer, "mean of heads" if head == "mean" else head),
                xlabel="English token attended to", ylabel="Spanish token produced")

    controls = {
        "sentence": widgets.Text(value=text, description="English", continuous_update=False),
        "layer": widgets.Dropdown(options=[(str(i + 1), i) for i in range(c.decoder_layers)],
                                  value=c.decoder_layers - 1, description="layer"),
        "head": widgets.Dropdown(options=[("mean", "mean")] + [(str(h + 1), h) for h in range(c.n_heads)],
                                 value="mean", description="head"),
        "decoding": widgets.Dropdown(options=["greedy", f"beam {beam_size}"], value="greedy", description="decoding"),
    }
    return explorer(draw, controls, columns=2, title=title or "Translate, and see where each Spanish word looked")

"""Explorers of 11_pretrained_models: the cross-attention of a real translator, and the GPT-2 sampler.

`cross_attention_explorer(model, tokenizer, text)`: type English, choose the decoder layer and head, see
the Spanish our EncoderDecoder produces and where each Spanish token looked. `sampling_explorer` wraps
10_gpt_pretraining's explorer so that it works with a Hugging Face tokenizer.
Deliberately left out: editing the translation by hand, and beam search inside the explorer.
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib import guards
from course_lib.interop import translate_text
from course_lib.plots import heatmap, style
from course_lib.transformer import EncoderDecoder
from course_lib.widgets import _check_model, _check_text, explorer
from course_lib.widgets import gpt as gpt_widgets


def _check_hf_tokenizer(tokenizer) -> None:
    """tokenizer must be a Hugging Face tokenizer (callable on text, with convert_ids_to_tokens)."""
    if not (callable(tokenizer) and hasattr(tokenizer, "convert_ids_to_tokens")):
        raise TypeError(f"tokenizer must be a Hugging Face tokenizer (e.g. from load_pretrained), got "
                        f"{type(tokenizer).__name__}; for a course tokenizer use course_lib.widgets.gpt or "
                        f"course_lib.widgets.transformer")


class TokenizerView:
    """The few methods 10's sampling explorer calls (encode, decode, id_to_token, vocab_size) on a HF tokenizer."""

    def __init__(self, tokenizer):
        _check_hf_tokenizer(tokenizer)
        self.tokenizer = tokenizer
        self.vocab_size = len(tokenizer)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids)

    def id_to_token(self, i: int) -> str:
        return self.tokenizer.decode([i])


def sampling_explorer(model, tokenizer, prompt: str, n_tokens: int = 30, k: int = 15) -> widgets.VBox:
    """10_gpt_pretraining's sampling explorer (temperature, top-k, top-p) on our GPT with a HF tokenizer."""
    return gpt_widgets.sampling_explorer(model, TokenizerView(tokenizer), prompt=prompt, n_tokens=n_tokens, k=k)


def cross_attention_explorer(model, tokenizer, text: str, max_len: int = 40) -> widgets.VBox:
    """Explorer: an English sentence, a decoder layer and a head ("mean" = average of the heads)."""
    _check_model("model", model, EncoderDecoder, "course_lib.transformer.EncoderDecoder")
    _check_hf_tokenizer(tokenizer)
    _check_text("text", text)
    guards.positive_int("max_len", max_len)
    c = model.config

    def draw(sentence: str, layer: int, head) -> None:
        try:
            out = translate_text(model, tokenizer, sentence, max_len=max_len, need_weights=True)
        except ValueError as err:
            print(f"cannot translate that: {err}")
            return
        print(f"Spanish: {out.text}")
        if out.attentions is None:
            print("(no tokens were produced)")
            return
        weights = out.attentions.cross[layer][0]  # (H, T, S)
        matrix = weights.mean(0) if head == "mean" else weights[head]
        heatmap(matrix, rows=out.output_tokens, cols=out.source_tokens, attention=True,
                title="cross-attention, decoder " + style.layer_head(layer, "mean of heads" if head == "mean" else head),
                xlabel="English token attended to", ylabel="Spanish token produced")

    controls = {
        "sentence": widgets.Text(value=text, description="English", continuous_update=False),
        "layer": widgets.Dropdown(options=[(str(i + 1), i) for i in range(c.decoder_layers)],
                                  value=c.decoder_layers - 1, description="layer"),
        "head": widgets.Dropdown(options=[("mean", "mean")] + [(str(h + 1), h) for h in range(c.n_heads)],
                                 value="mean", description="head"),
    }
    return explorer(draw, controls, columns=3, title="Translate, and see where each Spanish token looked")

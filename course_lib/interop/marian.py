"""Marian translation checkpoints (Hugging Face MarianMTModel, e.g. opus-mt-en-es) in our EncoderDecoder.

Taught in 11_pretrained_models. A Marian model is the encoder-decoder of 08_encoder_decoder with a few
switches set in TransformerConfig: post-norm blocks without a final LayerNorm, embeddings scaled by
sqrt(d_model), sinusoidal positions laid out as all sines then all cosines ("halves"), the swish (SiLU)
activation, usually one embedding table for source, target and output layer, a fixed final_logits_bias,
and decoding that starts from the [PAD] id. `HF_NAMES` is the conversion table `load_marian` loops over.
Whether the tables are shared is read off the checkpoint's tensors, not assumed: a model whose encoder and
decoder embeddings differ gets two tables. `translate_text` returns a `MarianTranslation`.
Deliberately left out: Marian models with different encoder and decoder widths, and the tokenizer
(sentencepiece, used through transformers.MarianTokenizer).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from course_lib.transformer import Attentions, EncoderDecoder, TransformerConfig, beam_search, greedy_decode
from course_lib.util import evaluating

from .common import convert, copy_, resolve, same_settings

ACTIVATION_NAMES = {"swish": "silu", "silu": "silu", "gelu": "gelu", "gelu_new": "gelu_tanh", "relu": "relu"}


def _attention(ours: str, theirs: str) -> dict:
    return {f"{ours}.qkv": tuple(f"{theirs}.{p}_proj" for p in "qkv"), f"{ours}.out": f"{theirs}.out_proj"}


# Our parameter or module -> MarianMTModel's ({i}: the block). Shared or tied tables are one Parameter on
# our side: load_marian first checks that the checkpoint's copies are equal.
HF_NAMES = {
    "encoder.embed.tokens.embedding.weight": "model.encoder.embed_tokens.weight",
    "decoder.embed.tokens.embedding.weight": "model.decoder.embed_tokens.weight",
    "head.weight": "lm_head.weight",
    **_attention("encoder.blocks.{i}.self_attn", "model.encoder.layers.{i}.self_attn"),
    "encoder.blocks.{i}.norm1": "model.encoder.layers.{i}.self_attn_layer_norm",
    "encoder.blocks.{i}.ffn.linear1": "model.encoder.layers.{i}.fc1",
    "encoder.blocks.{i}.ffn.linear2": "model.encoder.layers.{i}.fc2",
    "encoder.blocks.{i}.norm2": "model.encoder.layers.{i}.final_layer_norm",
    **_attention("decoder.blocks.{i}.self_attn", "model.decoder.layers.{i}.self_attn"),
    "decoder.blocks.{i}.norm1": "model.decoder.layers.{i}.self_attn_layer_norm",
    **_attention("decoder.blocks.{i}.cross_attn", "model.decoder.layers.{i}.encoder_attn"),
    "decoder.blocks.{i}.norm2": "model.decoder.layers.{i}.encoder_attn_layer_norm",
    "decoder.blocks.{i}.ffn.linear1": "model.decoder.layers.{i}.fc1",
    "decoder.blocks.{i}.ffn.linear2": "model.decoder.layers.{i}.fc2",
    "decoder.blocks.{i}.norm3": "model.decoder.layers.{i}.final_layer_norm",
}
UNSEEN_BY_SHAPES = ("n_heads", "activation", "norm_first", "final_norm", "scale_embeddings", "sinusoidal_layout",
                    "share_embeddings", "tie_output", "final_logits_bias", "pad_id", "eos_id", "start_id")
_TABLES = ("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight")


def _tables(state: dict) -> tuple[bool, bool]:
    """(encoder and decoder embeddings are equal, the output layer equals the decoder embedding)."""
    enc, dec, head = (state.get(k, state.get("model.shared.weight")) for k in _TABLES)
    same = lambda a, b: a is not None and b is not None and a.shape == b.shape and torch.equal(a, b)  # noqa: E731
    return same(enc, dec), same(dec, head)


def marian_config(hf_config, share_embeddings: bool | None = None, tie_output: bool | None = None) -> TransformerConfig:
    """The TransformerConfig with the shape and switches of a transformers.MarianConfig.

    share_embeddings / tie_output: whether the checkpoint's encoder and decoder embeddings (and its output
    layer) are one table; None reads the config (shared only if share_encoder_decoder_embeddings and
    tie_word_embeddings are both set; tied if tie_word_embeddings). marian_from_hf reads them off the tensors.
    """
    c = hf_config
    if c.activation_function not in ACTIVATION_NAMES:
        raise ValueError(f"Marian: config.activation_function={c.activation_function!r} is not supported "
                         f"(known: {sorted(ACTIVATION_NAMES)})")
    for enc, dec in (("encoder_attention_heads", "decoder_attention_heads"), ("encoder_ffn_dim", "decoder_ffn_dim")):
        if getattr(c, enc) != getattr(c, dec):
            raise ValueError(f"Marian: config.{enc}={getattr(c, enc)} differs from config.{dec}={getattr(c, dec)}; "
                             "the course's TransformerConfig has one value for both stacks")
    tied = bool(getattr(c, "tie_word_embeddings", True)) if tie_output is None else tie_output
    shared = bool(c.share_encoder_decoder_embeddings) and tied if share_embeddings is None else share_embeddings
    return TransformerConfig(
        src_vocab_size=c.vocab_size, tgt_vocab_size=c.vocab_size if shared else c.decoder_vocab_size,
        d_model=c.d_model, n_heads=c.encoder_attention_heads, d_ff=c.encoder_ffn_dim, n_layers=c.encoder_layers,
        n_encoder_layers=c.encoder_layers, n_decoder_layers=c.decoder_layers, max_len=c.max_position_embeddings,
        dropout=float(c.dropout), activation=ACTIVATION_NAMES[c.activation_function], norm_first=False,
        final_norm=False, positional="sinusoidal", sinusoidal_layout="halves",
        scale_embeddings=bool(c.scale_embedding), share_embeddings=shared, tie_output=tied,
        final_logits_bias=True, pad_id=c.pad_token_id, bos_id=c.decoder_start_token_id, eos_id=c.eos_token_id,
        start_id=c.decoder_start_token_id, never_generate=(c.pad_token_id,))  # Marian's bad_words_ids


def load_marian(model: EncoderDecoder, hf_model) -> EncoderDecoder:
    """Copy the weights of a MarianMTModel into our EncoderDecoder, in place (shape-checked); returns it.

    Our config must match the checkpoint on what shapes cannot show: heads, activation, norm placement,
    and whether the embedding tables are shared (one table on our side cannot hold two different ones).
    """
    hf = resolve(hf_model, "MarianMTModel")
    if not isinstance(model, EncoderDecoder):
        raise TypeError(f"model must be a course_lib.transformer.EncoderDecoder, got {type(model).__name__}")
    sd = hf.state_dict()
    sd = {**{k: sd["model.shared.weight"] for k in _TABLES if "model.shared.weight" in sd}, **sd}
    same_settings(model.config, marian_config(hf.config, *_tables(sd)), UNSEEN_BY_SHAPES, "Marian")
    for side, stack in (("encoder", model.encoder), ("decoder", model.decoder)):
        name = f"model.{side}.embed_positions.weight"
        ours = stack.embed.positions.pe
        if sd[name].shape != ours.shape or not torch.allclose(sd[name].float().cpu(), ours.cpu(), atol=1e-5):
            raise ValueError(f"Hugging Face tensor {name!r} of shape {tuple(sd[name].shape)} is not the sinusoidal "
                             f"table (layout 'halves') of shape {tuple(ours.shape)} that the course builds")
    convert(model, sd, HF_NAMES)
    copy_("final_logits_bias (row 0)", model.final_logits_bias, sd["final_logits_bias"][0])  # (1, V) -> (V,)
    return model


def marian_from_hf(hf_model_or_name) -> EncoderDecoder:
    """Our EncoderDecoder with the weights of a MarianMTModel (or a name or folder such as
    "Helsinki-NLP/opus-mt-en-es"), in eval mode. Its config is `model.config`."""
    hf = resolve(hf_model_or_name, "MarianMTModel")
    sd = hf.state_dict()
    sd = {**{k: sd["model.shared.weight"] for k in _TABLES if "model.shared.weight" in sd}, **sd}
    model = EncoderDecoder(marian_config(hf.config, *_tables(sd)))
    load_marian(model, hf)
    return model.to(next(hf.parameters()).device).eval()


class MarianTranslation(NamedTuple):
    """One Marian translation. Token lists mean what course_lib.transformer.Translation's mean:
    output_tokens[i] was produced by the decoder row that read decoder_tokens[i]."""

    text: str                      # the translation, decoded (special tokens dropped)
    source_tokens: list[str]       # what the encoder read, ending with </s>
    output_tokens: list[str]       # what the decoder produced, </s> included if it ended
    decoder_tokens: list[str]      # the decoder input: the start token (<pad>), then the produced tokens but the last
    ids: list[int]                 # the produced ids (output_tokens as ids)
    attentions: Attentions | None  # of one teacher-forced pass over (source, decoder_tokens), if asked


@torch.no_grad()
def translate_text(model: EncoderDecoder, tokenizer, text: str, beam_size: int = 1, max_len: int = 64,
                   need_weights: bool = False) -> MarianTranslation:
    """Translate one sentence with our model and a Hugging Face tokenizer (greedy, or beam search).

    With need_weights the model re-reads its own translation once (teacher forcing on its output) and
    returns the encoder, decoder and cross attention of that pass.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}")
    device = next(model.parameters()).device
    src = tokenizer(text, return_tensors="pt")["input_ids"].to(device)  # (1, S), ends with </s>
    max_len = min(max_len, model.config.max_len)
    out = (greedy_decode(model, src, max_len) if beam_size == 1 else beam_search(model, src, beam_size, max_len))[0]
    decoder_in = [model.config.decoder_start_id] + out[:-1]  # row i of the decoder produced out[i]
    attentions = None
    if need_weights and out:
        with evaluating(model):
            attentions = model(src, torch.tensor([decoder_in], device=device), need_weights=True).attentions
    return MarianTranslation(tokenizer.decode(out, skip_special_tokens=True),
                             tokenizer.convert_ids_to_tokens(src[0].tolist()), tokenizer.convert_ids_to_tokens(out),
                             tokenizer.convert_ids_to_tokens(decoder_in), out, attentions)

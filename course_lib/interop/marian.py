"""Marian translation checkpoints (Hugging Face MarianMTModel, e.g. opus-mt-en-es) in our EncoderDecoder.

Taught in 11_pretrained_models. A Marian model is the encoder-decoder of 08_encoder_decoder with a few
switches set in TransformerConfig: post-norm blocks without a final LayerNorm, embeddings scaled by
sqrt(d_model), sinusoidal positions laid out as all sines then all cosines ("halves"), the swish (SiLU)
activation, one embedding table shared by source, target and output layer, a fixed final_logits_bias, and
decoding that starts from the [PAD] id. Query, key and value projections are stacked into our fused qkv.
Deliberately left out: Marian models with different encoder and decoder widths, and the tokenizer
(sentencepiece, used through transformers.MarianTokenizer).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from course_lib.transformer import Attentions, EncoderDecoder, TransformerConfig, beam_search, greedy_decode

from .common import copy_, copy_linear, copy_norm, copy_qkv, resolve

ACTIVATION_NAMES = {"swish": "silu", "silu": "silu", "gelu": "gelu", "gelu_new": "gelu_tanh", "relu": "relu"}


def marian_config(hf_config) -> TransformerConfig:
    """The TransformerConfig with the shape and switches of a transformers.MarianConfig."""
    c = hf_config
    if c.activation_function not in ACTIVATION_NAMES:
        raise ValueError(f"Marian: config.activation_function={c.activation_function!r} is not supported "
                         f"(known: {sorted(ACTIVATION_NAMES)})")
    for enc, dec in (("encoder_attention_heads", "decoder_attention_heads"), ("encoder_ffn_dim", "decoder_ffn_dim")):
        if getattr(c, enc) != getattr(c, dec):
            raise ValueError(f"Marian: config.{enc}={getattr(c, enc)} differs from config.{dec}={getattr(c, dec)}; "
                             "the course's TransformerConfig has one value for both stacks")
    shared = bool(c.share_encoder_decoder_embeddings)
    return TransformerConfig(
        src_vocab_size=c.vocab_size, tgt_vocab_size=c.vocab_size if shared else c.decoder_vocab_size,
        d_model=c.d_model, n_heads=c.encoder_attention_heads, d_ff=c.encoder_ffn_dim, n_layers=c.encoder_layers,
        n_encoder_layers=c.encoder_layers, n_decoder_layers=c.decoder_layers, max_len=c.max_position_embeddings,
        dropout=float(c.dropout), activation=ACTIVATION_NAMES[c.activation_function], norm_first=False,
        final_norm=False, positional="sinusoidal", sinusoidal_layout="halves",
        scale_embeddings=bool(c.scale_embedding), share_embeddings=shared, tie_output=bool(c.tie_word_embeddings),
        final_logits_bias=True, pad_id=c.pad_token_id, bos_id=c.decoder_start_token_id, eos_id=c.eos_token_id,
        start_id=c.decoder_start_token_id, never_generate=(c.pad_token_id,))  # Marian's bad_words_ids


def _attention(name: str, ours, sd: dict) -> None:
    copy_qkv(tuple(f"{name}.{p}_proj" for p in "qkv"), ours.qkv, sd)
    copy_linear(f"{name}.out_proj", ours.out, sd)


def load_marian(model: EncoderDecoder, hf_model) -> EncoderDecoder:
    """Copy the weights of a MarianMTModel into our EncoderDecoder, in place (shape-checked); returns it."""
    sd = resolve(hf_model, "MarianMTModel").state_dict()
    if not isinstance(model, EncoderDecoder):
        raise TypeError(f"model must be a course_lib.transformer.EncoderDecoder, got {type(model).__name__}")
    c = model.config
    src_name = "model.shared.weight" if c.share_embeddings else "model.encoder.embed_tokens.weight"
    copy_(src_name, model.encoder.embed.tokens.weight, sd[src_name])
    if not c.share_embeddings:
        copy_("model.decoder.embed_tokens.weight", model.decoder.embed.tokens.weight,
              sd["model.decoder.embed_tokens.weight"])
    if not c.tie_output:
        copy_("lm_head.weight", model.output.weight, sd["lm_head.weight"])
    for side, stack in (("encoder", model.encoder), ("decoder", model.decoder)):
        name = f"model.{side}.embed_positions.weight"
        ours = stack.embed.positions.pe
        if sd[name].shape != ours.shape or not torch.allclose(sd[name].float().cpu(), ours.cpu(), atol=1e-5):
            raise ValueError(f"Hugging Face tensor {name!r} of shape {tuple(sd[name].shape)} is not the sinusoidal "
                             f"table (layout 'halves') of shape {tuple(ours.shape)} that the course builds")
        n_hf = sum(1 for k in sd if k.startswith(f"model.{side}.layers.") and k.endswith("fc1.weight"))
        if n_hf != len(stack.layers):
            raise ValueError(f"the Hugging Face {side} has {n_hf} layers, ours has {len(stack.layers)}")
    for i, layer in enumerate(model.encoder.layers):
        h = f"model.encoder.layers.{i}"
        _attention(f"{h}.self_attn", layer.self_attn, sd)
        copy_norm(f"{h}.self_attn_layer_norm", layer.norm1, sd)
        copy_linear(f"{h}.fc1", layer.ffn.linear1, sd)
        copy_linear(f"{h}.fc2", layer.ffn.linear2, sd)
        copy_norm(f"{h}.final_layer_norm", layer.norm2, sd)
    for i, layer in enumerate(model.decoder.layers):
        h = f"model.decoder.layers.{i}"
        _attention(f"{h}.self_attn", layer.self_attn, sd)
        copy_norm(f"{h}.self_attn_layer_norm", layer.norm1, sd)
        _attention(f"{h}.encoder_attn", layer.cross_attn, sd)
        copy_norm(f"{h}.encoder_attn_layer_norm", layer.norm2, sd)
        copy_linear(f"{h}.fc1", layer.ffn.linear1, sd)
        copy_linear(f"{h}.fc2", layer.ffn.linear2, sd)
        copy_norm(f"{h}.final_layer_norm", layer.norm3, sd)
    copy_("final_logits_bias (row 0)", model.final_logits_bias, sd["final_logits_bias"][0])  # (1, V) -> (V,)
    return model


def marian_from_hf(hf_model_or_name) -> EncoderDecoder:
    """Our EncoderDecoder with the weights of a MarianMTModel (or a name such as
    "Helsinki-NLP/opus-mt-en-es"), in eval mode. Its config is `model.config`."""
    hf = resolve(hf_model_or_name, "MarianMTModel")
    model = EncoderDecoder(marian_config(hf.config))
    load_marian(model, hf)
    return model.to(next(hf.parameters()).device).eval()


class Translation(NamedTuple):
    """One translation: the text, the token strings on both sides, the output ids and (if asked) attention."""

    text: str
    source_tokens: list[str]
    output_tokens: list[str]   # the decoder's input: the start token, then every produced token but the last
    ids: list[int]             # the produced ids, up to and including </s>
    attentions: Attentions | None


@torch.no_grad()
def translate_text(model: EncoderDecoder, tokenizer, text: str, beam_size: int = 1, max_len: int = 64,
                   need_weights: bool = False) -> Translation:
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
    tgt_in: Tensor = torch.tensor([[model.config.decoder_start_id] + out[:-1]], device=device)  # (1, T)
    attentions = model(src, tgt_in, need_weights=True)[1] if need_weights and out else None
    return Translation(tokenizer.decode(out, skip_special_tokens=True),
                       tokenizer.convert_ids_to_tokens(src[0].tolist()),
                       tokenizer.convert_ids_to_tokens(tgt_in[0].tolist()), out, attentions)

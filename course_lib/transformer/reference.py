"""Agreement with PyTorch: our EncoderDecoder and torch.nn.Transformer compute the same function.

Taught in 08_encoder_decoder (the agreement cell) and used by tests/test_transformer.py.
torch.nn.Transformer holds the two stacks of blocks and their final LayerNorms, but no embeddings,
positions or output layer. `load_from_torch_transformer` copies its weights into our model (block by
block with course_lib.blocks.load_from_torch); `torch_logits` then runs torch's stacks between our
embeddings and our output layer, with torch's mask conventions (True = blocked, the opposite of ours).
Deliberately left out: copying in the other direction, and nn.Transformer options we do not have
(custom encoders, batch_first=False inputs).
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

from course_lib.blocks import load_from_torch
from course_lib.masking import causal_mask, padding_mask, to_key_padding_mask

from .model import EncoderDecoder


def torch_transformer(model: EncoderDecoder, **kwargs) -> nn.Transformer:
    """A randomly initialised torch.nn.Transformer with the sizes and switches of our model's config."""
    c = model.config
    if c.final_norm is False:
        raise ValueError("torch.nn.Transformer always ends each stack with a LayerNorm: build the model with "
                         "final_norm=True (or None with norm_first=True) to compare")
    with warnings.catch_warnings():  # torch warns that its nested-tensor fast path is off with norm_first
        warnings.simplefilter("ignore", UserWarning)
        transformer = nn.Transformer(d_model=c.d_model, nhead=c.n_heads, num_encoder_layers=c.encoder_layers,
                                     num_decoder_layers=c.decoder_layers, dim_feedforward=c.d_ff, dropout=c.dropout,
                                     activation=c.activation, batch_first=True, norm_first=c.norm_first, **kwargs)
    transformer.encoder.enable_nested_tensor = transformer.encoder.use_nested_tensor = False  # the plain path
    return transformer


@torch.no_grad()
def load_from_torch_transformer(model: EncoderDecoder, transformer: nn.Transformer) -> EncoderDecoder:
    """Copy every block and both final LayerNorms of `transformer` into `model`, in place; returns model."""
    if not isinstance(transformer, nn.Transformer):
        raise TypeError(f"transformer must be a torch.nn.Transformer, got {type(transformer).__name__}")
    if not model.config.use_final_norm:
        raise ValueError("model has no final LayerNorm but torch.nn.Transformer has: set final_norm=True")
    pairs = [(model.encoder, transformer.encoder), (model.decoder, transformer.decoder)]
    for ours, theirs in pairs:
        if len(ours.blocks) != len(theirs.layers):
            raise ValueError(f"layer counts differ: ours {len(ours.blocks)}, torch {len(theirs.layers)}")
        for block, layer in zip(ours.blocks, theirs.layers):
            load_from_torch(block, layer)
        ours.norm.load_state_dict(theirs.norm.state_dict())
    return model


def torch_logits(model: EncoderDecoder, transformer: nn.Transformer, src: Tensor, tgt_in: Tensor,
                 target_padding: bool = True) -> Tensor:
    """Logits (B, T, V) from our embeddings -> torch's encoder and decoder stacks -> our output layer.

    Masks in torch's convention: True = may NOT attend. target_padding=True also hides target padding
    from the decoder (our model needs only the causal mask; real positions agree either way).
    """
    c = model.config
    src_pad = to_key_padding_mask(padding_mask(src, c.pad_id))  # (B, S) True = padding
    tgt_pad = to_key_padding_mask(padding_mask(tgt_in, c.pad_id)) if target_padding else None
    future = ~causal_mask(tgt_in.shape[1], device=tgt_in.device)  # (T, T) True = a later position: blocked
    x = transformer(model.encoder.embed(src), model.decoder.embed(tgt_in), tgt_mask=future,
                    src_key_padding_mask=src_pad, tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad,
                    tgt_is_causal=True)
    logits = model.head(x)
    return logits + model.final_logits_bias if c.final_logits_bias else logits

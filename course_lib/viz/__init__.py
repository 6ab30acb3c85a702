"""bertviz views of the course's own models, working offline (first used in 05_multi_head_attention).

`head_view` and `model_view` take the course's attention format, a list over layers of (B, H, T, T)
tensors plus the token strings, pick one sample of the batch, and return an HTML object (the last
expression of a cell displays it; `save_html` writes it as a standalone page). bertviz's own views run
with their JavaScript libraries inlined (course_lib.viz.offline), so they need no network and work in
JupyterLab 4, Colab and a plain browser. Where bertviz (or mpld3, which ships d3) is missing, one line
says so and the course's own static view (course_lib.viz.fallback) is shown instead. Either way a static
picture of the same attention comes first (course_lib.viz.static), so a saved notebook shows it.
Encoder-decoder models pass encoder_attentions / decoder_attentions / cross_attentions with
encoder_tokens / decoder_tokens instead. Deliberately left out: bertviz's neuron view.
"""

from __future__ import annotations

import html
import os
import pathlib

import torch
from IPython.display import HTML

from course_lib import guards
from course_lib.viz import fallback, offline
from course_lib.viz.static import AttentionView, marker, pictures


def _layers(name: str, attentions, batch_index: int) -> list[torch.Tensor]:
    """Validate a list over layers of (B, H, T_q, T_k) tensors; return sample batch_index of each as
    (1, H, T_q, T_k) float64."""
    if isinstance(attentions, torch.Tensor):
        if attentions.dim() not in (4, 5):
            raise ValueError(f"{name} must be a list over layers of (B, H, T_q, T_k) tensors (or one such "
                             f"tensor), got a single tensor of shape {tuple(attentions.shape)}; for one (T, T) "
                             f"matrix pass [a[None, None]]")
        attentions = [attentions] if attentions.dim() == 4 else list(attentions)  # one layer, or (L, B, H, T, T)
    if not isinstance(attentions, (list, tuple)) or not attentions:
        raise TypeError(f"{name} must be a non-empty list over layers of (B, H, T_q, T_k) tensors, "
                        f"got {'an empty list' if isinstance(attentions, (list, tuple)) else type(attentions).__name__}")
    shape = None
    for i, a in enumerate(attentions):
        if not isinstance(a, torch.Tensor) or a.dim() != 4:
            got = tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__
            raise ValueError(f"{name}[{i}] must be a tensor of shape (B, H, T_q, T_k), got {got}"
                             + ("; for one (T, T) matrix pass a[None, None]" if isinstance(a, torch.Tensor) else ""))
        if shape is not None and a.shape != shape:
            raise ValueError(f"every layer of {name} must have the same shape: layer 0 has {tuple(shape)}, "
                             f"layer {i} has {tuple(a.shape)}")
        shape = a.shape
    if 0 in shape[1:]:
        raise ValueError(f"{name} must have at least one head, query and key, got shape {tuple(shape)}")
    if not guards.is_int(batch_index) or not 0 <= batch_index < shape[0]:
        raise ValueError(f"batch_index must be an int in [0, {shape[0]}) for a batch of {shape[0]}, got {batch_index!r}")
    return [a[batch_index:batch_index + 1].detach().cpu().double() for a in attentions]


def _weights(name: str, layers: list[torch.Tensor]) -> list[torch.Tensor]:
    """Each layer must hold attention weights: finite, in [0, 1], each row summing to 1 (or to 0, a row
    masked out). Returned rounded to 3 decimals, so the numbers written into the page stay short."""
    for i, a in enumerate(layers):
        if not torch.isfinite(a).all():
            raise ValueError(f"{name}[{i}] holds NaN or inf values; attention weights must be numbers in [0, 1]")
        rows = a.sum(-1)
        ok_rows = ((rows - 1).abs() <= 0.02) | (rows.abs() <= 0.02)  # loose enough for float16 / bfloat16 weights
        if a.min() < -1e-3 or a.max() > 1 + 1e-3 or not ok_rows.all():
            raise ValueError(f"{name}[{i}] must hold attention weights (after the softmax: values in [0, 1], each "
                             f"row summing to 1), got values from {a.min().item():.3g} to {a.max().item():.3g} and "
                             f"row sums from {rows.min().item():.3g} to {rows.max().item():.3g}; pass the weights, "
                             f"not the scores")
    return [torch.round(a, decimals=3) for a in layers]


def _tokens(name: str, tokens, n: int, what: str) -> list[str]:
    if not isinstance(tokens, (list, tuple)):
        raise TypeError(f"{name} must be a list of {n} token strings, got {type(tokens).__name__}")
    if len(tokens) != n:
        raise ValueError(f"{name} has {len(tokens)} tokens but the attention has {n} {what}")
    for i, t in enumerate(tokens):
        if not isinstance(t, str):
            raise TypeError(f"{name} must be a list of token strings, got {guards.describe(t)} at position {i} "
                            f"(turn ids into strings with tokenizer.id_to_token)")
    return list(tokens)


def _prepare(attentions, tokens, batch_index, enc=None, dec=None, cross=None, enc_tokens=None, dec_tokens=None):
    """-> (bertviz keyword arguments, blocks for the fallback: (name, (L, H, T_q, T_k) numpy, left, right))."""
    if attentions is not None:
        if any(x is not None for x in (enc, dec, cross)):
            raise ValueError("pass either attentions (one self-attention stack) or the encoder/decoder/cross "
                             "attentions of an encoder-decoder model, not both")
        layers = _layers("attentions", attentions, batch_index)
        T_q, T_k = layers[0].shape[-2:]
        if T_q != T_k:
            raise ValueError(f"attentions must be self-attention (T_q == T_k), got T_q={T_q}, T_k={T_k}; "
                             f"for cross-attention pass cross_attentions with encoder/decoder tokens")
        tokens = _tokens("tokens", tokens, T_k, "positions")
        layers = _weights("attentions", layers)
        return {"attention": layers, "tokens": tokens}, [("", torch.cat(layers, 0).numpy(), tokens, tokens)]
    kwargs, blocks = {}, []
    for key, label, layers_in, q_name, k_name in (("encoder", "Encoder", enc, "encoder_tokens", "encoder_tokens"),
                                                  ("decoder", "Decoder", dec, "decoder_tokens", "decoder_tokens"),
                                                  ("cross", "Cross", cross, "decoder_tokens", "encoder_tokens")):
        if layers_in is None:
            continue
        layers = _layers(f"{key}_attentions", layers_in, batch_index)
        named = {"encoder_tokens": enc_tokens, "decoder_tokens": dec_tokens}
        left = _tokens(q_name, named[q_name], layers[0].shape[-2], "query positions")
        right = _tokens(k_name, named[k_name], layers[0].shape[-1], "key positions")
        layers = _weights(f"{key}_attentions", layers)
        kwargs[f"{key}_attention"] = layers
        kwargs.update({q_name: left, k_name: right})
        blocks.append((label, torch.cat(layers, 0).numpy(), left, right))
    if not blocks:
        raise ValueError("nothing to show: pass attentions (and tokens), or encoder/decoder/cross attentions")
    return kwargs, blocks


def _check_sentence_b_start(value, attentions, kwargs: dict) -> None:
    """None, or (for one self-attention stack) the position where sentence B starts: an int in [1, T)."""
    if value is None:
        return
    if attentions is None:
        raise ValueError("sentence_b_start applies to attentions (a sentence pair in one self-attention stack), not "
                         "to encoder, decoder or cross attentions")
    T = len(kwargs["tokens"])
    if not guards.is_int(value) or not 1 <= value < T:
        raise ValueError(f"sentence_b_start must be None or an int in [1, {T}) (the position of the first token of "
                         f"sentence B), got {value!r}")


def _render(kind: str, kwargs: dict, blocks, use_bertviz: bool, own_view, **choice) -> AttentionView:
    if not isinstance(use_bertviz, bool):
        raise TypeError(f"use_bertviz must be True or False, got {use_bertviz!r}")
    pngs = pictures(kind, blocks, **choice)
    reason = offline.unavailable_reason() if use_bertviz else None
    if use_bertviz and reason is None:
        return AttentionView(offline.offline_html(kind, hide=[marker(p) for p in pngs], **kwargs), pngs, live=True)
    if reason:
        print(f"{reason}: showing the course's own {kind} view instead.")
    return AttentionView(own_view(), pngs, live=False)


def head_view(attentions=None, tokens=None, sentence_b_start: int | None = None, *, layer: int | None = None,
              heads=None, batch_index: int = 0, encoder_attentions=None, decoder_attentions=None,
              cross_attentions=None, encoder_tokens=None, decoder_tokens=None, use_bertviz: bool = True) -> HTML:
    """bertviz's head view: lines from each token to the tokens it attends to, one colour per head.

    attentions: list over layers of (B, H, T, T) tensors; tokens: T strings; sample `batch_index` is shown.
    layer / heads: what is selected at first. use_bertviz=False shows the course's own static view.
    """
    kwargs, blocks = _prepare(attentions, tokens, batch_index, encoder_attentions, decoder_attentions,
                              cross_attentions, encoder_tokens, decoder_tokens)
    fallback.check_choice(blocks, layer=layer, heads=heads)
    _check_sentence_b_start(sentence_b_start, attentions, kwargs)
    heads = None if heads is None else list(heads)
    kwargs.update(sentence_b_start=sentence_b_start, layer=layer, heads=heads)
    if attentions is None:
        kwargs.pop("sentence_b_start")
    return _render("head", kwargs, blocks, use_bertviz, lambda: fallback.head_view_html(blocks, layer, heads),
                   layer=layer, heads=heads)


def model_view(attentions=None, tokens=None, sentence_b_start: int | None = None, *, layers=None, heads=None,
               batch_index: int = 0, encoder_attentions=None, decoder_attentions=None, cross_attentions=None,
               encoder_tokens=None, decoder_tokens=None, display_mode: str = "light",
               use_bertviz: bool = True) -> HTML:
    """bertviz's model view: a thumbnail of every head in every layer; click one to enlarge it.

    layers / heads: indices to include (default all). display_mode: "light" or "dark".
    """
    if display_mode not in ("light", "dark"):
        raise ValueError(f"display_mode must be 'light' or 'dark', got {display_mode!r}")
    kwargs, blocks = _prepare(attentions, tokens, batch_index, encoder_attentions, decoder_attentions,
                              cross_attentions, encoder_tokens, decoder_tokens)
    fallback.check_choice(blocks, layers=layers, heads=heads)
    _check_sentence_b_start(sentence_b_start, attentions, kwargs)
    layers, heads = (None if x is None else list(x) for x in (layers, heads))
    kwargs.update(display_mode=display_mode, include_layers=layers, include_heads=heads)
    if attentions is not None:
        kwargs["sentence_b_start"] = sentence_b_start
    return _render("model", kwargs, blocks, use_bertviz, lambda: fallback.model_view_html(blocks, layers, heads),
                   layers=layers, heads=heads)


def save_html(view, path, title: str = "attention") -> pathlib.Path:
    """Write a view (the HTML object returned above, or its text) as a standalone page; returns the path.

    path: a file name in a folder that exists. The title is escaped: it is text, never markup."""
    if not isinstance(view, (HTML, str)):
        raise TypeError(f"view must be what head_view or model_view returns (or an HTML string), "
                        f"got {type(view).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, got {guards.describe(title)}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (a str or pathlib.Path), got {guards.describe(path)}")
    path = pathlib.Path(path)
    if path.is_dir():
        raise ValueError(f"path must be a file name such as {str(path / 'attention.html')!r}, "
                         f"got the folder {str(path)!r}")
    if not path.parent.is_dir():
        raise ValueError(f"path {str(path)!r} is in a folder that does not exist ({str(path.parent)!r}); create it "
                         f"first: pathlib.Path({str(path.parent)!r}).mkdir(parents=True)")
    body = view.data if isinstance(view, HTML) else view
    path.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
                    '</head>\n'
                    f"<body>\n{body}\n</body></html>\n", encoding="utf-8")
    return path

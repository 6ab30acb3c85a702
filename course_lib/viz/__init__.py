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
import pathlib

import torch
from IPython.display import HTML

from course_lib.viz import fallback, offline
from course_lib.viz.static import AttentionView, marker, pictures


def _layers(name: str, attentions, batch_index: int) -> list[torch.Tensor]:
    """Validate a list over layers of (B, H, T_q, T_k) tensors; return them as (1, H, T_q, T_k) float64."""
    if isinstance(attentions, torch.Tensor):
        attentions = [attentions] if attentions.dim() == 4 else list(attentions)  # one layer, or (L, B, H, T, T)
    if not isinstance(attentions, (list, tuple)) or not attentions:
        raise TypeError(f"{name} must be a non-empty list over layers of (B, H, T_q, T_k) tensors, "
                        f"got {'an empty list' if isinstance(attentions, (list, tuple)) else type(attentions).__name__}")
    shape = None
    for i, a in enumerate(attentions):
        if not isinstance(a, torch.Tensor) or a.dim() != 4:
            got = tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__
            raise ValueError(f"{name}[{i}] must be a tensor of shape (B, H, T_q, T_k), got {got}")
        if shape is not None and a.shape != shape:
            raise ValueError(f"every layer of {name} must have the same shape: layer 0 has {tuple(shape)}, "
                             f"layer {i} has {tuple(a.shape)}")
        shape = a.shape
    if not isinstance(batch_index, int) or not 0 <= batch_index < shape[0]:
        raise ValueError(f"batch_index must be an int in [0, {shape[0]}) for a batch of {shape[0]}, got {batch_index!r}")
    # one sample, float64 rounded to 3 decimals: the numbers written into the page stay short
    return [torch.round(a[batch_index:batch_index + 1].detach().cpu().double(), decimals=3) for a in attentions]


def _tokens(name: str, tokens, n: int, what: str) -> list[str]:
    if tokens is None or isinstance(tokens, str) or not hasattr(tokens, "__len__"):
        raise TypeError(f"{name} must be a list of {n} token strings, got {type(tokens).__name__}")
    if len(tokens) != n:
        raise ValueError(f"{name} has {len(tokens)} tokens but the attention has {n} {what}")
    return [str(t) for t in tokens]


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
        kwargs[f"{key}_attention"] = layers
        kwargs.update({q_name: left, k_name: right})
        blocks.append((label, torch.cat(layers, 0).numpy(), left, right))
    if not blocks:
        raise ValueError("nothing to show: pass attentions (and tokens), or encoder/decoder/cross attentions")
    return kwargs, blocks


def _check_indices(name: str, chosen, n: int, what: str) -> None:
    """Every index in `chosen` (an int or a list) must be an int in [0, n): else a clear error naming it."""
    for i in [chosen] if isinstance(chosen, int) or not hasattr(chosen, "__iter__") else list(chosen):
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"{name} must hold ints (0-based {what} indices), got {i!r}")
        if not 0 <= i < n:
            raise IndexError(f"{name} {i} is out of range: the attention has {n} {what}s, so {name} must be in "
                             f"[0, {n - 1}] (0-based; titles number them from 1)")


def _check_choice(blocks, layer=None, heads=None, layers=None) -> None:
    n_layers, n_heads = min(b[1].shape[0] for b in blocks), min(b[1].shape[1] for b in blocks)
    if layer is not None:
        _check_indices("layer", layer, n_layers, "layer")
    if layers is not None:
        _check_indices("layers", layers, n_layers, "layer")
    if heads is not None:
        _check_indices("heads", heads, n_heads, "head")


def _render(kind: str, kwargs: dict, blocks, use_bertviz: bool, own_view, **choice) -> AttentionView:
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
    _check_choice(blocks, layer=layer, heads=heads)
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
    _check_choice(blocks, layers=layers, heads=heads)
    layers, heads = (None if x is None else list(x) for x in (layers, heads))
    kwargs.update(display_mode=display_mode, include_layers=layers, include_heads=heads)
    if attentions is not None:
        kwargs["sentence_b_start"] = sentence_b_start
    return _render("model", kwargs, blocks, use_bertviz, lambda: fallback.model_view_html(blocks, layers, heads),
                   layers=layers, heads=heads)


def save_html(view, path, title: str = "attention") -> pathlib.Path:
    """Write a view (the HTML object returned above, or its text) as a standalone page; returns the path.

    The title is escaped: it is text, never markup."""
    body = view.data if isinstance(view, HTML) else str(view)
    path = pathlib.Path(path)
    path.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(str(title))}</title>'
                    '</head>\n'
                    f"<body>\n{body}\n</body></html>\n", encoding="utf-8")
    return path

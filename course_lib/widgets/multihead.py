"""The head explorer of 05_multi_head_attention: type a sentence, pick a layer and a head, see its attention.

`head_explorer(attend, sentence)` takes any function attend(sentence) -> (attentions, tokens), with
attentions the course format (a list over layers of (B, H, T, T) tensors), so it works for every model
of the course. Layers and heads are numbered from 1 in the dropdowns and titles, as in every figure.
Deliberately left out: the bertviz views (course_lib.viz), which need no kernel.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import torch

from course_lib.plots import heatmap, style
from course_lib.plots.multihead import head_heatmaps
from course_lib.widgets import _check_text, _check_tokens, explorer


def _check_attend_result(result, sentence: str) -> tuple[list, list[str]]:
    """What attend(sentence) returned, if it is (a list over layers of (B, H, T, T) tensors, T token strings)."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[0], (list, tuple))):
        got = (f"({', '.join(type(r).__name__ for r in result)})" if isinstance(result, (tuple, list))
               else type(result).__name__)
        raise TypeError(f"attend must return (attentions, tokens), attentions a list over layers of (B, H, T, T) "
                        f"tensors, got {got} for {sentence!r}")
    attentions, tokens = result
    if not attentions or not all(isinstance(a, torch.Tensor) and a.dim() == 4 for a in attentions):
        got = [tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__ for a in attentions][:3]
        raise ValueError(f"attend must return attentions as a non-empty list over layers of (B, H, T, T) tensors, "
                         f"got {got}")
    _check_tokens("the tokens attend returns", tokens, attentions[0].shape[-1])
    return attentions, tokens


def head_explorer(attend: Callable[[str], tuple[list, list[str]]], sentence: str,
                  title: str | None = None) -> widgets.VBox:
    """Explorer: a text box (press Enter to apply), a layer dropdown and a head dropdown ("all" = every head)."""
    if not callable(attend):
        raise TypeError(f"attend must be a function attend(sentence) -> (attentions, tokens), "
                        f"got {type(attend).__name__}")
    _check_text("sentence", sentence)
    _check_text("title", title, none=True)
    try:
        result = attend(sentence)
    except (ValueError, KeyError) as err:  # e.g. an empty sentence, or one longer than the model allows
        raise ValueError(f"sentence {sentence!r} cannot start the explorer: {err}") from err
    attentions, _ = _check_attend_result(result, sentence)
    n_layers, n_heads = len(attentions), attentions[0].shape[1]

    def draw(sentence: str, layer: int, head) -> None:
        try:
            attentions, tokens = attend(sentence)
        except (ValueError, KeyError) as err:  # e.g. an empty sentence or one longer than the model allows
            print(f"cannot show that sentence: {err}")
            return
        weights = attentions[layer][0]  # (H, T, T)
        if head == "all":
            head_heatmaps(weights, tokens, layer=layer, title=f"{style.layer_head(layer)}, every head")
        else:
            heatmap(weights[head], rows=tokens, cols=tokens, attention=True, annotate=len(tokens) <= 10,
                    title=style.layer_head(layer, head), xlabel="key (attended to)", ylabel="query (attending)")

    controls = {
        "sentence": widgets.Text(value=sentence, description="sentence", continuous_update=False),
        "layer": widgets.Dropdown(options=[(str(i + 1), i) for i in range(n_layers)], value=0, description="layer"),
        "head": widgets.Dropdown(options=[("all", "all")] + [(str(h + 1), h) for h in range(n_heads)], value="all",
                                 description="head"),
    }
    return explorer(draw, controls, title=title or "Which words does each head look at?")

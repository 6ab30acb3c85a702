"""The mask builder of 06_masking: pick a mask type, a window size and an amount of padding, and see
the mask and the attention weights it produces on fixed random queries and keys.

Deliberately left out: masks on a trained model (05_multi_head_attention's explorer shows real heads).
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from course_lib import guards
from course_lib.attention import scaled_dot_product_attention
from course_lib.masking import causal_mask, combine_masks, padding_mask, window_mask
from course_lib.plots.masking import mask_and_weights
from course_lib.widgets import explorer

KINDS = ["none", "padding", "causal", "window", "causal window", "padding + causal", "padding + window"]
WORDS = ["the", "small", "cat", "sat", "on", "a", "warm", "mat", "by", "the", "door"]


def build_mask(kind: str, T: int, window: int = 1, n_pad: int = 0, pad_id: int = 0):
    """(ids (1, T), mask broadcastable to (1, 1, T, T) or None) for one of KINDS; the last n_pad ids are
    pad_id, the others 1..T (so pad_id must not be one of them)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    guards.positive_int("T", T)
    if not guards.is_int(pad_id) or 1 <= pad_id <= T:
        raise ValueError(f"pad_id must be an int outside 1..{T} (the ids of the real tokens), got {pad_id!r}")
    if not guards.is_int(n_pad) or not 0 <= n_pad < T:
        raise ValueError(f"n_pad must be in [0, {T}) so that at least one token is real, got {n_pad}")
    ids = torch.arange(1, T + 1)[None, :]  # (1, T): real ids 1..T, never pad_id 0
    ids[:, T - n_pad:] = pad_id
    parts = {
        "padding": padding_mask(ids, pad_id) if "padding" in kind else None,
        "causal": causal_mask(T) if "causal" in kind and "window" not in kind else None,
        "window": window_mask(T, window, causal="causal" in kind) if "window" in kind else None,
    }
    return ids, combine_masks(*parts.values())


def mask_builder(T: int = 8, d: int = 16, seed: int = 0) -> widgets.VBox:
    """Explorer: mask type, window size and padding length -> the mask and the attention weights."""
    guards.positive_int("T", T)
    guards.positive_int("d", d)
    guards.positive_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(1, 1, T, d, generator=g) for _ in range(3))  # (B=1, H=1, T, d)
    words = (WORDS * (T // len(WORDS) + 1))[:T]

    def draw(kind: str, window: int, padding: int) -> None:
        ids, mask = build_mask(kind, T, window, padding if "padding" in kind else 0)
        _, weights = scaled_dot_product_attention(q, k, v, mask)  # (1, 1, T, T)
        tokens = [w if int(i) != 0 else "[PAD]" for w, i in zip(words, ids[0])]
        full = torch.ones(T, T, dtype=torch.bool) if mask is None else mask.expand(1, 1, T, T)[0, 0]
        mask_and_weights(full, weights[0, 0], tokens, title=f"{kind}: each row sums to 1 over its blue cells")

    controls = {
        "kind": widgets.Dropdown(options=KINDS, value="padding + causal", description="mask"),
        "window": widgets.IntSlider(value=1, min=0, max=T - 1, description="window"),
        "padding": widgets.IntSlider(value=min(2, T - 1), min=0, max=T - 1, description="padding"),
    }
    return explorer(draw, controls, title="Mask builder: window = neighbours on each side; padding = [PAD] at the end")

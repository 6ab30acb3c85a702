"""The KV-cache explorer of 12_modern_llm: layers, query and key/value heads, d_head, context, batch and
precision -> how many bytes the keys and values of every past token take during generation.

The numbers come from course_lib.modern.kv_cache_bytes (the notebook checks that formula against the
bytes of a real, filled KVCache); the figure is course_lib.plots.modern.plot_kv_cache_memory with two
lines: the chosen number of key/value heads and plain multi-head attention (as many as query heads).
Deliberately left out: the memory of the weights and of the activations, and paged or quantised caches.
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.modern import kv_cache_bytes
from course_lib.plots.modern import GiB, plot_kv_cache_memory
from course_lib.widgets import _check_int, explorer

PRECISIONS = {"fp32 (4 bytes)": 4, "bf16 / fp16 (2 bytes)": 2, "int8 (1 byte)": 1, "int4 (half a byte)": 0.5}
CONTEXTS = [2 ** i for i in range(9, 21)]  # 512 tokens .. 1M
D_HEADS = [64, 80, 96, 128, 256]


def _size(n_bytes: float) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes:,.0f} bytes"


def kv_cache_explorer(n_layers: int = 32, n_heads: int = 32, n_kv_heads: int = 8, d_head: int = 128,
                      context: int = 8192, batch: int = 1, precision: str = "bf16 / fp16 (2 bytes)") -> widgets.VBox:
    """Explorer: the model's shape, the context, the batch and the precision -> KV-cache memory.

    The defaults are Llama 3 8B's shape (32 layers, 32 query heads sharing 8 key/value heads of 128).
    Prints the total, the bytes per token and the saving of grouped-query attention, then draws the
    memory against the context for the chosen key/value heads and for plain multi-head attention.
    """
    if context not in CONTEXTS:
        raise ValueError(f"context must be a power of two from {CONTEXTS[0]} to {CONTEXTS[-1]}, got {context!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")
    if d_head not in D_HEADS:
        raise ValueError(f"d_head must be one of {D_HEADS}, got {d_head!r}")
    for name, value in (("n_layers", n_layers), ("n_heads", n_heads), ("n_kv_heads", n_kv_heads)):
        _check_int(name, value, 1, 128)  # the sliders' ranges
    _check_int("batch", batch, 1, 64)

    def draw(n_layers: int, n_heads: int, n_kv_heads: int, d_head: int, context: int, batch: int,
             precision: str) -> None:
        if n_kv_heads > n_heads or n_heads % n_kv_heads:
            print(f"n_kv_heads={n_kv_heads} must divide n_heads={n_heads}: each key/value head serves a whole "
                  f"group of query heads (try {', '.join(str(k) for k in range(1, n_heads + 1) if n_heads % k == 0)})")
            return
        value = PRECISIONS[precision]
        total = kv_cache_bytes(n_layers, n_kv_heads, d_head, context, batch, value)
        per_token = kv_cache_bytes(n_layers, n_kv_heads, d_head, 1, 1, value)
        print(f"KV cache: {_size(total)} = 2 (k and v) x {n_layers} layers x {batch} sequences x {n_kv_heads} "
              f"key/value heads x {context:,} tokens x {d_head} numbers x {value} bytes")
        if n_kv_heads == n_heads:
            print(f"per token of one sequence: {_size(per_token)}; this is plain multi-head attention (one key/value "
                  f"head per query head): grouped-query attention would share them")
        else:
            print(f"per token of one sequence: {_size(per_token)}; plain multi-head attention ({n_heads} key/value "
                  f"heads) would need {n_heads // n_kv_heads}x as much")
        curves = {f"{n_kv_heads} key/value heads": (n_layers, n_kv_heads, d_head)}
        if n_kv_heads != n_heads:
            curves[f"{n_heads} key/value heads (multi-head)"] = (n_layers, n_heads, d_head)
        plot_kv_cache_memory(curves, batch=batch, bytes_per_value=value, context=context,
                             title=f"{n_layers} layers, d_head {d_head}, batch {batch}, {precision.split(' (')[0]}")

    slider = dict(continuous_update=False, style={"description_width": "initial"})
    controls = {
        "n_layers": widgets.IntSlider(value=n_layers, min=1, max=128, description="layers", **slider),
        "n_heads": widgets.IntSlider(value=n_heads, min=1, max=128, description="query heads", **slider),
        "n_kv_heads": widgets.IntSlider(value=n_kv_heads, min=1, max=128, description="key/value heads", **slider),
        "d_head": widgets.Dropdown(options=D_HEADS, value=d_head, description="d_head"),
        "context": widgets.SelectionSlider(options=[(f"{c:,}", c) for c in CONTEXTS], value=context,
                                           description="context", **slider),
        "batch": widgets.IntSlider(value=batch, min=1, max=64, description="batch", **slider),
        "precision": widgets.Dropdown(options=list(PRECISIONS), value=precision, description="precision"),
    }
    return explorer(draw, controls, columns=3,
                    title="KV-cache explorer: the memory generation keeps for every past token")

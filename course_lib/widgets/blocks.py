"""Explorers for 07_encoder: a deep stack at initialisation (depth, residuals, norm placement) and
LayerNorm's gain and bias over a feature distribution.

Both are built with course_lib.widgets.explorer and redraw a static figure of course_lib.plots.blocks.
Deliberately left out: training inside a widget (a redraw must take well under a second).
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from course_lib import guards
from course_lib.blocks import LayerNorm, depth_experiment
from course_lib.plots.blocks import plot_depth_experiment, plot_feature_distributions
from course_lib.widgets import explorer


def depth_explorer(d_model: int = 32, seq_len: int = 12, batch: int = 4, max_layers: int = 48) -> widgets.VBox:
    """Slide the depth, switch residuals and the norm placement: gradient norms and token similarity per
    layer of a freshly initialised stack, next to the same stack with residuals and post-norm as a baseline."""
    for name, value in (("d_model", d_model), ("seq_len", seq_len), ("batch", batch)):
        guards.positive_int(name, value)
    guards.positive_int("max_layers", max_layers, minimum=2)

    def draw(n_layers: int, residual: bool, placement: str) -> None:
        norm_first = placement.startswith("pre")
        kw = {"n_layers": n_layers, "d_model": d_model, "seq_len": seq_len, "batch": batch}
        chosen = f"{'residual' if residual else 'no residual'}, {placement}"
        results = {chosen: depth_experiment(residual=residual, norm_first=norm_first, **kw)}
        if chosen != "residual, post-norm":
            results["residual, post-norm (baseline)"] = depth_experiment(residual=True, norm_first=False, **kw)
        plot_depth_experiment(results)

    controls = {
        "n_layers": widgets.IntSlider(value=min(24, max_layers), min=2, max=max_layers, step=2,
                                      description="n_layers", continuous_update=False),
        "residual": widgets.Checkbox(value=False, description="residual connections"),
        "placement": widgets.Dropdown(options=["post-norm", "pre-norm"], value="post-norm", description="LayerNorm"),
    }
    return explorer(draw, controls, title="A deep stack at initialisation")


def layer_norm_explorer(x: torch.Tensor | None = None) -> widgets.VBox:
    """Gain and bias sliders (one value shared by every feature) over the values of a few token vectors:
    the normalisation fixes mean 0 and std 1, then gain and bias set the scale and the centre."""
    if x is None:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(5, 64, generator=g) * torch.tensor([[0.5], [1.0], [2.0], [4.0], [8.0]]) \
            + torch.tensor([[-6.0], [-2.0], [0.0], [3.0], [8.0]])
    guards.tensor("x", x, dims=2, what="(N, d_model) token vectors")
    if not x.dtype.is_floating_point:
        raise TypeError(f"x must hold floating-point token vectors, got dtype {x.dtype}")
    if x.shape[0] == 0 or x.shape[1] < 2:
        raise ValueError(f"x must hold at least one token vector of at least 2 numbers, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("x holds NaN or inf values; token vectors must be finite numbers")
    ln = LayerNorm(x.shape[-1])

    def draw(gain: float, bias: float) -> None:
        with torch.no_grad():
            ln.weight.fill_(gain)
            ln.bias.fill_(bias)
            y = ln(x)
        plot_feature_distributions(x, y, after_title=f"after LayerNorm, gain={gain:.1f}, bias={bias:.1f}")

    controls = {
        "gain": widgets.FloatSlider(value=1.0, min=0.0, max=4.0, step=0.1, description="gain",
                                    continuous_update=False),
        "bias": widgets.FloatSlider(value=0.0, min=-6.0, max=6.0, step=0.5, description="bias",
                                    continuous_update=False),
    }
    return explorer(draw, controls, title="LayerNorm: normalise, then scale by gain and shift by bias")

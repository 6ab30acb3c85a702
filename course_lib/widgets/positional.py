"""The positional-encoding explorer of 03_positional_encoding: sliders over position and dimension.

Deliberately left out: editing the formula itself (the notebook's exercises do that).
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plots.positional import plot_position_and_dimension
from course_lib.positional import sinusoidal_table
from course_lib.widgets import explorer


def positional_explorer(max_len: int = 64, d_model: int = 32) -> widgets.VBox:
    """Pick a position (its vector is drawn) and a dimension (its wave is drawn) of the sinusoidal table."""
    pe = sinusoidal_table(max_len, d_model)

    def draw(position: int, dimension: int) -> None:
        plot_position_and_dimension(pe, position, dimension)

    controls = {
        "position": widgets.IntSlider(value=min(10, max_len - 1), min=0, max=max_len - 1, description="position"),
        "dimension": widgets.IntSlider(value=min(4, d_model - 1), min=0, max=d_model - 1, description="dimension"),
    }
    return explorer(draw, controls, title=f"sinusoidal table, max_len={max_len}, d_model={d_model}")

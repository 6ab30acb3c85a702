"""The nearest-neighbour explorer of 02_embeddings: pick a word, a metric and k, see its neighbours.

Deliberately left out: typing arbitrary words (the dropdown holds only words the embedding knows).
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets

from course_lib import guards
from course_lib.embeddings import METRICS, nearest_neighbours
from course_lib.plots.embeddings import plot_neighbours
from course_lib.widgets import _check_tokens, explorer


def neighbour_explorer(weights, tokens: Sequence[str], words: Sequence[str], k: int = 8,
                       exclude: Sequence[int] = ()) -> widgets.VBox:
    """Explore the rows of `weights` (vocab_size, d_model); `tokens[i]` names row i.

    `words` fills the dropdown; `exclude` holds ids never shown as neighbours (e.g. special tokens).
    The k slider goes up to 20 (or the rows left), so a larger k starts at its end.
    """
    guards.tensor("weights", weights, dims=2, what="(vocab_size, d_model)")
    if len(tokens) != weights.shape[0]:
        raise ValueError(f"tokens has {len(tokens)} entries but weights has {weights.shape[0]} rows")
    _check_tokens("tokens", tokens)
    _check_tokens("words", words)
    index = {t: i for i, t in enumerate(tokens)}
    missing = [w for w in words if w not in index]
    if missing or not words:
        raise ValueError(f"words must be non-empty tokens of the vocabulary, not found: {missing[:5]}")
    guards.positive_int("k", k)
    bad = [i for i in exclude if not guards.is_int(i) or not 0 <= i < len(tokens)]
    if bad:
        raise ValueError(f"exclude must hold row ids in [0, {len(tokens)}), got {bad[:5]}")
    weights = weights.detach()
    k_max = min(20, len(tokens) - len(set(exclude)) - 1)
    if k_max < 1:
        raise ValueError(f"weights has {len(tokens)} rows, {len(set(exclude))} excluded: at least 2 must be left "
                         f"(a word and one neighbour)")

    def draw(word: str, metric: str, k: int) -> None:
        ids, scores = nearest_neighbours(weights, index[word], k=k, metric=metric, exclude=exclude)
        plot_neighbours([tokens[i] for i in ids.tolist()], scores, word, metric)

    controls = {
        "word": widgets.Dropdown(options=list(words), value=words[0], description="word"),
        "metric": widgets.ToggleButtons(options=list(METRICS), value="cosine", description="metric"),
        "k": widgets.IntSlider(value=min(k, k_max), min=1, max=k_max, description="k"),
    }
    return explorer(draw, controls, columns=3, title="nearest neighbours in the trained embedding")

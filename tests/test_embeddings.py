"""course_lib.embeddings against references: nn.Embedding, F.cosine_similarity in float64, loops, numpy."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.data import synthetic_stories, word_categories
from course_lib.embeddings import (
    SkipGram,
    TokenEmbedding,
    category_similarity,
    cosine_similarity,
    dot_similarity,
    nearest_neighbours,
    one_hot,
    project_2d,
    skipgram_pairs,
    train_skipgram,
)
from course_lib.tokenization import WordTokenizer


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ----------------------------------------------------------------------------- one-hot and lookup
def test_one_hot_matches_a_loop():
    ids = torch.tensor([[2, 0], [4, 2]])
    expected = torch.zeros(2, 2, 5)
    for b in range(2):
        for t in range(2):
            expected[b, t, ids[b, t]] = 1.0
    torch.testing.assert_close(one_hot(ids, 5), expected)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=12), st.integers(1, 6))
def test_one_hot_times_matrix_is_a_row_lookup(ids, d_model):
    W = _randn(10, d_model, seed=d_model)
    ids = torch.tensor(ids)
    torch.testing.assert_close(one_hot(ids, 10, dtype=torch.float64) @ W, W[ids])
    emb = torch.nn.Embedding(10, d_model).double()
    with torch.no_grad():
        emb.weight.copy_(W)
    torch.testing.assert_close(one_hot(ids, 10, dtype=torch.float64) @ W, emb(ids))


def test_token_embedding_equals_nn_embedding_and_scales():
    ours = TokenEmbedding(11, 6).double()
    ref = torch.nn.Embedding(11, 6).double()
    with torch.no_grad():
        ref.weight.copy_(ours.weight)
    ids = torch.randint(0, 11, (3, 4), generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(ours(ids), ref(ids))
    assert ours(ids).shape == (3, 4, 6)
    scaled = TokenEmbedding(11, 6, scale=True).double()
    scaled.load_state_dict(ours.state_dict())
    torch.testing.assert_close(scaled(ids), ref(ids) * math.sqrt(6))


def test_same_word_same_vector_at_every_position():
    emb = TokenEmbedding(8, 4)
    out = emb(torch.tensor([[5, 2, 5, 7, 5]]))
    assert torch.equal(out[0, 0], out[0, 2]) and torch.equal(out[0, 0], out[0, 4])
    assert not torch.equal(out[0, 0], out[0, 1])


def test_gradients_reach_only_the_looked_up_rows():
    emb = TokenEmbedding(6, 3).double()
    ids = torch.tensor([1, 3, 3])
    upstream = _randn(3, 3, seed=2)
    (emb(ids) * upstream).sum().backward()
    expected = one_hot(ids, 6, dtype=torch.float64).T @ upstream  # (V, d): scatter-add of the upstream grads
    torch.testing.assert_close(emb.weight.grad, expected)
    untouched = [0, 2, 4, 5]
    assert torch.count_nonzero(emb.weight.grad[untouched]) == 0
    assert torch.count_nonzero(emb.weight.grad[[1, 3]]) == 6


def test_padding_row_is_zero_and_gets_no_gradient():
    emb = TokenEmbedding(5, 3, padding_idx=0)
    ids = torch.tensor([0, 2, 0])
    out = emb(ids)
    assert torch.equal(out[0], torch.zeros(3))
    out.sum().backward()
    assert torch.count_nonzero(emb.weight.grad[0]) == 0 and torch.count_nonzero(emb.weight.grad[2]) == 3


# ----------------------------------------------------------------------------- similarity
def test_cosine_matches_torch_in_float64():
    a, b = _randn(5, 7, seed=3), _randn(4, 7, seed=4)
    ours = cosine_similarity(a, b)
    ref = F.cosine_similarity(a[:, None, :], b[None, :, :], dim=-1)
    assert ours.dtype == torch.float64 and ours.shape == (5, 4)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(cosine_similarity(a[0], b[1]), ref[0:1, 1:2], rtol=1e-12, atol=1e-12)


def test_cosine_ignores_length_and_dot_does_not():
    a, b = _randn(3, 4, seed=5), _randn(2, 4, seed=6)
    torch.testing.assert_close(cosine_similarity(7.0 * a, b), cosine_similarity(a, b))
    torch.testing.assert_close(dot_similarity(7.0 * a, b), 7.0 * dot_similarity(a, b))
    loop = torch.tensor([[sum(x * y for x, y in zip(ra.tolist(), rb.tolist())) for rb in b] for ra in a],
                        dtype=torch.float64)
    torch.testing.assert_close(dot_similarity(a, b), loop)


def test_cosine_of_zero_vectors_is_zero_not_nan():
    a = torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]], dtype=torch.float64)
    sims = cosine_similarity(a, a)
    assert not torch.isnan(sims).any()
    torch.testing.assert_close(sims, torch.tensor([[0.0, 0.0], [0.0, 1.0]], dtype=torch.float64))


def _brute_force_neighbours(W, q, k, metric, skip):
    scores = []
    for i, row in enumerate(W.tolist()):
        if i in skip:
            continue
        dot = sum(x * y for x, y in zip(q, row))
        if metric == "cosine":
            dot /= math.sqrt(sum(x * x for x in q)) * math.sqrt(sum(y * y for y in row))
        scores.append((dot, i))
    best = sorted(scores, reverse=True)[:k]
    return [i for _, i in best], [s for s, _ in best]


@pytest.mark.parametrize("metric", ["cosine", "dot"])
@pytest.mark.parametrize("exclude_self", [True, False])
def test_nearest_neighbours_match_a_brute_force_loop(metric, exclude_self):
    W = _randn(30, 5, seed=7) * torch.linspace(0.2, 3.0, 30, dtype=torch.float64)[:, None]  # varied lengths
    for q in (0, 13, 29):
        ids, scores = nearest_neighbours(W, q, k=6, metric=metric, exclude_self=exclude_self, exclude=[4])
        ref_ids, ref_scores = _brute_force_neighbours(W, W[q].tolist(), 6, metric, {4} | ({q} if exclude_self else set()))
        assert ids.tolist() == ref_ids
        torch.testing.assert_close(scores, torch.tensor(ref_scores, dtype=torch.float64))
        if exclude_self:
            assert q not in ids.tolist()
        elif metric == "cosine":
            assert ids[0] == q  # with cosine every word is its own nearest neighbour (cosine 1)


def test_nearest_neighbours_of_a_vector_query():
    W = _randn(20, 4, seed=8)
    query = _randn(4, seed=9)
    ids, _ = nearest_neighbours(W, query, k=3, metric="dot")
    assert ids.tolist() == _brute_force_neighbours(W, query.tolist(), 3, "dot", set())[0]


def test_project_2d_matches_numpy_eigenvectors():
    x = _randn(40, 6, seed=10) * torch.tensor([5.0, 3.0, 1.0, 0.5, 0.2, 0.1], dtype=torch.float64)
    ours = project_2d(x).numpy()
    xc = x.numpy() - x.numpy().mean(0)
    _, vecs = np.linalg.eigh(xc.T @ xc)       # ascending eigenvalues
    ref = xc @ vecs[:, ::-1][:, :2]           # the two largest
    signs = np.sign((ours * ref).sum(0))      # eigenvectors are defined up to sign
    np.testing.assert_allclose(ours, ref * signs, rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------- skip-gram
def test_skipgram_pairs_match_a_loop_and_stay_inside_sentences():
    sequences = [[10, 11, 12, 13], [20, 21], [30]]
    expected = Counter()
    for s in sequences:
        for i in range(len(s)):
            for j in range(len(s)):
                if i != j and abs(i - j) <= 2:
                    expected[(s[i], s[j])] += 1
    pairs = skipgram_pairs(sequences, window=2)
    assert Counter(map(tuple, pairs.tolist())) == expected
    assert skipgram_pairs([[1], [2]], window=3).shape == (0, 2)


def _small_corpus():
    sentences = [s for story in synthetic_stories(300, seed=0) for s in story]
    tok = WordTokenizer.train(sentences)
    punct = {tok.token_to_id(p) for p in ".,"}
    return tok, skipgram_pairs([[i for i in tok.encode(s) if i not in punct] for s in sentences], window=2)


def test_training_lowers_the_loss_and_groups_categories():
    tok, pairs = _small_corpus()
    emb, history = train_skipgram(pairs, tok.vocab_size, d_model=16, steps=300, batch_size=512, lr=0.03)
    assert len(history) == 300
    assert sum(history[-30:]) / 30 < sum(history[:30]) / 30 - 1.0  # from about ln(V) = 5.9 to about 3.7
    groups = {}
    for word, category in word_categories().items():
        if word in tok and category in ("colour", "animal", "place", "motion", "feeling", "person", "food"):
            groups.setdefault(category, []).append(tok.token_to_id(word))
    within, across = category_similarity(emb.weight.detach(), groups)
    assert within > across + 0.2, (within, across)
    ids, _ = nearest_neighbours(emb.weight.detach(), tok.token_to_id("red"), k=3)
    assert sum(int(i) in groups["colour"] for i in ids) >= 2  # the neighbours of "red" are colours


def test_training_is_deterministic_for_a_seed():
    pairs = torch.tensor([[1, 2], [2, 1], [3, 4], [4, 3]])
    a, ha = train_skipgram(pairs, 5, d_model=4, steps=5, batch_size=4, seed=3)
    b, hb = train_skipgram(pairs, 5, d_model=4, steps=5, batch_size=4, seed=3)
    assert ha == hb and torch.equal(a.weight, b.weight)


def test_training_restores_the_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train_skipgram(torch.tensor([[1, 2], [2, 1]]), 3, d_model=2, steps=2, batch_size=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_skipgram_loss_is_cross_entropy_of_the_full_softmax():
    model = SkipGram(7, 3).double()
    centre, context = torch.tensor([1, 4]), torch.tensor([2, 6])
    logits = model.embed.weight[centre] @ model.out.weight.T
    ref = -torch.log_softmax(logits, dim=-1)[torch.arange(2), context].mean()
    torch.testing.assert_close(model.loss(centre, context), ref)


def test_category_similarity_on_hand_made_vectors():
    W = torch.tensor([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]], dtype=torch.float64)
    within, across = category_similarity(W, {"x": [0, 1], "y": [2, 3]})
    c = cosine_similarity(W, W)
    assert within == pytest.approx(float((c[0, 1] + c[2, 3]) / 2))
    assert across == pytest.approx(float((c[0, 2] + c[0, 3] + c[1, 2] + c[1, 3]) / 4))


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, match", [
    (lambda: TokenEmbedding(0, 4), ValueError, "vocab_size"),
    (lambda: TokenEmbedding(5, 4, padding_idx=5), ValueError, "padding_idx"),
    (lambda: TokenEmbedding(5, 4)(torch.tensor([0.0, 1.0])), TypeError, "ids"),
    (lambda: TokenEmbedding(5, 4)(torch.tensor([0, 5])), ValueError, "vocab_size=5"),
    (lambda: one_hot(torch.tensor([-1]), 3), ValueError, "ids"),
    (lambda: cosine_similarity(torch.zeros(2, 2, 2), torch.zeros(2, 2)), ValueError, "a must be"),
    (lambda: cosine_similarity(torch.zeros(2, 3), torch.zeros(2, 4)), ValueError, "last dimension"),
    (lambda: nearest_neighbours(torch.zeros(4, 2), 1, metric="euclid"), ValueError, "metric"),
    (lambda: nearest_neighbours(torch.zeros(4, 2), 1, k=4), ValueError, "k must"),
    (lambda: nearest_neighbours(torch.zeros(4, 2), 9), ValueError, "query"),
    (lambda: skipgram_pairs([[1, 2]], window=0), ValueError, "window"),
    (lambda: train_skipgram(torch.tensor([1, 2]), 5), ValueError, "pairs"),
    (lambda: train_skipgram(torch.tensor([[1, 9]]), 5), ValueError, "pairs"),
    (lambda: project_2d(torch.zeros(1, 3)), ValueError, "vectors"),
])
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------- figures and explorer
def test_figures_and_explorer_draw_and_reject_bad_input():
    import matplotlib.pyplot as plt

    from course_lib.plots.embeddings import plot_dot_vs_cosine, plot_projection
    from course_lib.widgets.embeddings import neighbour_explorer

    W = _randn(6, 3, seed=11)
    tokens = list("abcdef")
    box = neighbour_explorer(W, tokens, words=["a", "c"], k=3)
    box.controls["metric"].value = "dot"   # redraws with the new metric
    box.controls["word"].value = "c"
    assert box.controls["k"].max == 5
    axes = plot_dot_vs_cosine(torch.tensor([1.0, 0.0]), torch.tensor([[2.0, 0.0], [0.0, 1.0]]), ["x", "y"])
    heights = [p.get_height() for p in axes[1].patches]
    assert heights == pytest.approx([2.0, 0.0, 1.0, 0.0])  # dots, then cosines
    plt.close("all")
    with pytest.raises(ValueError, match="words"):
        neighbour_explorer(W, tokens, words=["zebra"])
    with pytest.raises(ValueError, match="tokens"):
        neighbour_explorer(W, tokens[:4], words=["a"])
    with pytest.raises(ValueError, match="same length"):
        plot_projection(torch.zeros(3, 2), ["a", "b"], ["x", "x"])

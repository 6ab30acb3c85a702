"""Bad inputs to every public plot of course_lib.plots, as a careless or hostile student would pass them.

Each case was a raw error from deep inside numpy, matplotlib or torch (an IndexError, a ZeroDivisionError,
"x and y must have same first dimension") or, worse, a figure that silently showed something else (a
negative index drawing the last row under a wrong title, scores drawn as if they were weights, an
additive mask drawn as all blocked). Now each raises a ValueError, TypeError or IndexError from
course_lib that names the argument and says what was expected; the test checks the type and a piece
of the message. Valid inputs the notebooks use (numpy arrays, lists, tensors with grad, numpy ints)
are checked at the end to still draw.
"""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.plots import (
    attention,
    bert,
    blocks,
    chips,
    diagrams,
    embeddings,
    forward_pass,
    gpt,
    heatmap,
    interop,
    masking,
    modern,
    multihead,
    positional,
    tokenization,
    training,
    transformer,
    views,
)
from course_lib.training import History, TrainConfig

TOK = ["the", "cat", "sat", "on", "the", "warm", "mat"]
T = len(TOK)


def attn(B=1, H=2, Tq=T, Tk=T, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(2 * torch.randn(B, H, Tq, Tk, generator=g), dim=-1)


def with_nan(x):
    x = x.clone()
    x.view(-1)[1] = float("nan")
    return x


W = attn()[0, 0]                                   # (T, T) weights
A4 = attn(H=4)                                     # (1, 4, T, T)
CAUSAL = torch.ones(T, T, dtype=torch.bool).tril()
ADDITIVE = torch.zeros(T, T).masked_fill(~CAUSAL, float("-inf"))  # 0 / -inf: the other mask convention
Q, K, V = (torch.randn(5, 3, generator=torch.Generator().manual_seed(s)) for s in range(3))
PE = torch.randn(50, 16, generator=torch.Generator().manual_seed(0))
BLOCK = ("Encoder", torch.stack([attn(H=3)[0], attn(H=3, seed=1)[0]]).numpy(), TOK, TOK)  # (L=2, H=3, T, T)
CROSS = [attn(Tq=6, Tk=5), attn(Tq=6, Tk=5, seed=1)]
SRC, OUT = TOK[:5], ["a", "b", "c", "d", "e", "f"]
VOCAB = list("abcdef")
PROBS = torch.softmax(torch.randn(6, generator=torch.Generator().manual_seed(0)), 0)
CHARS = list("ROMEO:")
FP_VOCAB = sorted(set("ROMEO: abc\n"))
FP_IDS = [FP_VOCAB.index(c) for c in CHARS]
FP_STATES = [torch.randn(6, 16, generator=torch.Generator().manual_seed(s)) for s in range(3)]
FP_ATTN = [attn(H=2, Tq=6, Tk=6)] * 2
FP_LOGITS = torch.randn(len(FP_VOCAB), generator=torch.Generator().manual_seed(0))


def history(n_metrics=3, **fields):
    steps = list(range(10, 210, 10))
    h = History(steps=steps, train_loss=[4 * math.exp(-s / 80) + 1 for s in steps], val_steps=[0, 100, 200],
                val_loss=[5.0, 2.0, 1.6], step=200)
    h.metrics.update(mlm_accuracy=[0.1, 0.5, 0.8][:n_metrics], nsp_accuracy=[0.5, 0.6, 0.7])
    for name, value in fields.items():
        setattr(h, name, value)
    return h


def forward(**change):
    args = {"tokens": CHARS, "ids": FP_IDS, "hidden_states": FP_STATES, "attentions": FP_ATTN, "logits": FP_LOGITS,
            "vocab": FP_VOCAB}
    args.update(change)
    return forward_pass.plot_forward_pass(**args)


CASES = []


def case(function: str, bad: str, call, error, fragment: str):
    CASES.append(pytest.param(call, error, fragment, id=f"{function}: {bad}"))


# ----- heatmap (course_lib.plots) --------------------------------------------------------------------
case("heatmap", "an empty matrix", lambda: heatmap(torch.zeros(0, 0)), ValueError, "matrix is empty")
case("heatmap", "a string", lambda: heatmap("abc"), TypeError, "matrix must be a tensor, array or list")
case("heatmap", "None", lambda: heatmap(None), TypeError, "matrix must be a tensor, array or list")
case("heatmap", "a ragged list", lambda: heatmap([[1, 2], [3]]), TypeError, "rows of one length")
case("heatmap", "complex numbers", lambda: heatmap(torch.randn(2, 2, dtype=torch.complex64)), TypeError,
     "matrix must hold real numbers")
case("heatmap", "rows as one string", lambda: heatmap(torch.rand(3, 3), rows="abc"), TypeError,
     "rows must be a list of strings")
case("heatmap", "attention=True with NaN", lambda: heatmap(with_nan(W), attention=True), ValueError,
     "matrix holds NaN")
case("heatmap", "attention=True with scores", lambda: heatmap(W * 5, attention=True), ValueError,
     "matrix must hold attention weights in [0, 1]")

# ----- attention --------------------------------------------------------------------------------------
case("plot_attention", "1-D weights", lambda: attention.plot_attention(W[0], TOK), ValueError,
     "weights must have shape (T_q, T_k)")
case("plot_attention", "4-D weights", lambda: attention.plot_attention(attn(), TOK), ValueError,
     "weights must have shape (T_q, T_k), got (1, 2, 7, 7)")
case("plot_attention", "a string as weights", lambda: attention.plot_attention("weights", TOK), TypeError,
     "weights must be a tensor, array or list")
case("plot_attention", "NaN weights", lambda: attention.plot_attention(with_nan(W), TOK), ValueError,
     "weights holds NaN")
case("plot_attention", "inf weights", lambda: attention.plot_attention(W.masked_fill(W > 0.3, float("inf")), TOK),
     ValueError, "weights holds infinite values")
case("plot_attention", "scores instead of weights", lambda: attention.plot_attention(W * 5, TOK), ValueError,
     "not the scores")
case("plot_attention", "negative weights", lambda: attention.plot_attention(-W, TOK), ValueError,
     "weights must hold attention weights in [0, 1]")
case("plot_attention", "tokens of the wrong length", lambda: attention.plot_attention(W, TOK[:5]), ValueError,
     "queries must hold 7 strings")
case("plot_attention", "empty tokens", lambda: attention.plot_attention(W, []), ValueError,
     "queries must hold 7 strings (one per row of weights), got 0")
case("plot_attention", "tokens as one string", lambda: attention.plot_attention(W, "the cat"), TypeError,
     "use list(text)")
case("plot_attention", "token ids instead of strings", lambda: attention.plot_attention(W, torch.arange(T)),
     TypeError, "queries must be a list of strings")
case("plot_attention", "non-string tokens", lambda: attention.plot_attention(W, list(range(T))), TypeError,
     "got int 0 at position 0")
case("plot_attention", "keys of the wrong length", lambda: attention.plot_attention(W, TOK, keys=TOK[:3]),
     ValueError, "keys (the queries unless given) must hold 7 strings")
case("plot_score_grid", "an empty dict", lambda: attention.plot_score_grid({}, TOK), ValueError, "scores is empty")
case("plot_score_grid", "a list instead of a dict", lambda: attention.plot_score_grid([torch.randn(T, T)], TOK),
     TypeError, "scores must be a dict")
case("plot_score_grid", "ncols=0", lambda: attention.plot_score_grid({"dot": torch.randn(T, T)}, TOK, ncols=0),
     ValueError, "ncols must be a positive int")
case("plot_weights_and_row", "query out of range", lambda: attention.plot_weights_and_row(W, TOK, query=7),
     IndexError, "query must be in [0, 7)")
case("plot_weights_and_row", "negative query", lambda: attention.plot_weights_and_row(W, TOK, query=-1),
     IndexError, "query must be in [0, 7)")
case("plot_weights_and_row", "float query", lambda: attention.plot_weights_and_row(W, TOK, query=2.0), TypeError,
     "query must be an int index")
case("plot_weights_and_row", "query as a token", lambda: attention.plot_weights_and_row(W, TOK, query="cat"),
     TypeError, "query must be an int index")
case("plot_weights_and_row", "tokens of the wrong length", lambda: attention.plot_weights_and_row(W, TOK[:5], 1),
     ValueError, "tokens must hold 7 strings")
case("plot_weights_and_row", "3-D weights", lambda: attention.plot_weights_and_row(attn()[0], TOK, 1), ValueError,
     "weights must have shape (T_q, T_k)")
case("plot_weights_and_row", "NaN weights", lambda: attention.plot_weights_and_row(with_nan(W), TOK, 1), ValueError,
     "weights holds NaN")
case("plot_weights_and_row", "scores", lambda: attention.plot_weights_and_row(W * 5, TOK, 1), ValueError,
     "not the scores")
D_KS = [4, 16, 64]
case("plot_saturation", "values of the wrong length",
     lambda: attention.plot_saturation(D_KS, {"variance": {"unscaled": [1, 2]}}), ValueError,
     "measured['variance']['unscaled'] must hold 3 values")
case("plot_saturation", "empty measured", lambda: attention.plot_saturation(D_KS, {}), ValueError,
     "measured is empty")
case("plot_saturation", "a list of values instead of curves",
     lambda: attention.plot_saturation(D_KS, {"variance": [1, 2, 3]}), TypeError,
     "measured['variance'] must be a dict")
case("plot_saturation", "d_k = 0 on the log axis",
     lambda: attention.plot_saturation([0, 4, 16], {"entropy": {"a": [1, 2, 3]}}), ValueError,
     "d_ks must hold values > 0")
case("plot_saturation", "no d_k", lambda: attention.plot_saturation([], {"entropy": {"a": []}}), ValueError,
     "d_ks is empty")
case("plot_curves", "values of the wrong length",
     lambda: attention.plot_curves([1, 2, 3], {"a": [1, 2]}, "x", "y", "t"), ValueError,
     "curves['a'] must hold 3 values")
case("plot_curves", "no curves", lambda: attention.plot_curves([1, 2, 3], {}, "x", "y", "t"), ValueError,
     "curves is empty")
case("plot_curves", "logx with x = 0",
     lambda: attention.plot_curves([0, 1, 2], {"a": [1, 2, 3]}, "x", "y", "t", logx=True), ValueError,
     "x must hold values > 0 for logx=True")
case("plot_curves", "logy with a negative value",
     lambda: attention.plot_curves([1, 2, 3], {"a": [-1, 2, 3]}, "x", "y", "t", logy=True), ValueError,
     "must hold values >= 0 for logy=True")
case("plot_curves", "a list instead of a dict", lambda: attention.plot_curves([1, 2, 3], [[1, 2, 3]], "x", "y", "t"),
     TypeError, "curves must be a dict")
case("plot_mask", "tokens of the wrong length", lambda: attention.plot_mask(CAUSAL, TOK[:3]), ValueError,
     "tokens must hold 7 strings")
case("plot_mask", "an additive 0 / -inf mask", lambda: attention.plot_mask(ADDITIVE, TOK), ValueError,
     "pass (mask == 0)")
case("plot_mask", "a mask of 0.3", lambda: attention.plot_mask(torch.full((T, T), 0.3), TOK), ValueError,
     "mask must hold only True/False")
case("plot_attention_steps", "query out of range", lambda: attention.plot_attention_steps(Q, K, V, TOK[:5], 5),
     IndexError, "query must be in [0, 5)")
case("plot_attention_steps", "negative query", lambda: attention.plot_attention_steps(Q, K, V, TOK[:5], -1),
     IndexError, "query must be in [0, 5)")
case("plot_attention_steps", "1-D keys", lambda: attention.plot_attention_steps(Q, K[0], V, TOK[:5]), ValueError,
     "k must have shape (T, d_k)")
case("plot_attention_steps", "1-D values", lambda: attention.plot_attention_steps(Q, K, V[0], TOK[:5]), ValueError,
     "v must have shape (T, d_v)")
case("plot_attention_steps", "3-D queries", lambda: attention.plot_attention_steps(Q[None], K, V, TOK[:5]),
     ValueError, "q must have shape (T, d_k) or (d_k,)")
case("plot_attention_steps", "tokens of the wrong length", lambda: attention.plot_attention_steps(Q, K, V, TOK[:3]),
     ValueError, "tokens must hold 5 strings")
case("plot_attention_steps", "NaN in q", lambda: attention.plot_attention_steps(with_nan(Q), K, V, TOK[:5]),
     ValueError, "q holds NaN")

# ----- bert -------------------------------------------------------------------------------------------
case("plot_input_representation", "segment 2", lambda: bert.plot_input_representation(TOK[:3], [0, 1, 2]),
     ValueError, "segments must hold 0 (sentence A) or 1 (sentence B)")
case("plot_input_representation", "segment -1", lambda: bert.plot_input_representation(TOK[:3], [0, 1, -1]),
     ValueError, "segments must hold 0 (sentence A) or 1 (sentence B)")
case("plot_input_representation", "no tokens", lambda: bert.plot_input_representation([], []), ValueError,
     "tokens is empty")
case("plot_input_representation", "tokens as one string", lambda: bert.plot_input_representation("abc", [0, 0, 1]),
     TypeError, "tokens must be a list of strings")
case("plot_masking_rates", "percent instead of a share", lambda: bert.plot_masking_rates(15, 80, 10, 10), ValueError,
     "chosen must be a number in [0, 1]")
case("plot_masking_rates", "NaN", lambda: bert.plot_masking_rates(float("nan"), 0.8, 0.1, 0.1), ValueError,
     "chosen must be a number in [0, 1]")
case("plot_masking_rates", "a string", lambda: bert.plot_masking_rates("0.15", 0.8, 0.1, 0.1), ValueError,
     "chosen must be a number in [0, 1]")
case("plot_masking_rates", "a negative rate", lambda: bert.plot_masking_rates(0.15, 0.8, -0.1, 0.1), ValueError,
     "randomised must be a number in [0, 1]")
case("plot_pretraining", "more metrics than evaluations",
     lambda: bert.plot_pretraining(history(metrics={"mlm_accuracy": [0.1] * 5, "nsp_accuracy": [0.5] * 5})),
     ValueError, "must hold one value per evaluation")
case("plot_pretraining", "metrics of different lengths", lambda: bert.plot_pretraining(history(n_metrics=2)),
     ValueError, "must hold one value per evaluation")
case("plot_pretraining", "a baseline in percent", lambda: bert.plot_pretraining(history(), baseline=12.0),
     ValueError, "baseline must be a number in [0, 1]")
case("plot_fill_mask", "one [MASK]'s list, not wrapped", lambda: bert.plot_fill_mask([("ball", 0.6), ("dog", 0.2)]),
     TypeError, "wrap its list")
case("plot_fill_mask", "an empty list for a [MASK]", lambda: bert.plot_fill_mask([[]]), ValueError,
     "predictions[0] is empty")
case("plot_fill_mask", "a probability of 60", lambda: bert.plot_fill_mask([[("ball", 60.0)]]), ValueError,
     "not logits")
case("plot_fill_mask", "a NaN probability", lambda: bert.plot_fill_mask([[("ball", float("nan"))]]), ValueError,
     "holds NaN")
case("plot_fill_mask", "a dict", lambda: bert.plot_fill_mask({"ball": 0.6}), TypeError,
     "predictions must be a list")
case("plot_accuracy_curves", "accuracies without steps", lambda: bert.plot_accuracy_curves({"a": [0.5, 0.6]}),
     ValueError, "the steps of curves['a'] must have shape")
case("plot_accuracy_curves", "an empty run", lambda: bert.plot_accuracy_curves({"a": ([], [])}), ValueError,
     "curve 'a' is empty")
case("plot_accuracy_curves", "percent", lambda: bert.plot_accuracy_curves({"a": ([0, 1], [50, 90])}), ValueError,
     "not percent")

# ----- blocks -----------------------------------------------------------------------------------------
X = torch.randn(5, 16, generator=torch.Generator().manual_seed(0))
case("plot_feature_distributions", "labels of the wrong length",
     lambda: blocks.plot_feature_distributions(X, X, labels=["a"]), ValueError, "labels must hold 5 strings")
case("plot_feature_distributions", "no token vectors",
     lambda: blocks.plot_feature_distributions(torch.randn(0, 4), torch.randn(0, 4)), ValueError, "before is empty")
case("plot_feature_distributions", "value_range reversed",
     lambda: blocks.plot_feature_distributions(X, X, value_range=(5, -5)), ValueError,
     "value_range must be (low, high) with low < high")
case("plot_feature_distributions", "value_range a number",
     lambda: blocks.plot_feature_distributions(X, X, value_range=5), TypeError, "value_range must be a pair")
case("plot_feature_distributions", "NaN", lambda: blocks.plot_feature_distributions(with_nan(X), X), ValueError,
     "before holds NaN")
case("plot_activations", "x_min above x_max", lambda: blocks.plot_activations(4, -4), ValueError,
     "x_min must be smaller than x_max")
case("plot_activations", "a string", lambda: blocks.plot_activations("a", 4), ValueError,
     "x_min must be a number")
case("plot_per_layer", "a negative value on the log axis", lambda: blocks.plot_per_layer({"a": [1, -1]}, "y", "t"),
     ValueError, "curves['a'] must hold values >= 0")
case("plot_per_layer", "2-D values", lambda: blocks.plot_per_layer({"a": [[1, 2], [3, 4]]}, "y", "t"), ValueError,
     "curves['a'] must have shape (n,)")
case("plot_per_layer", "no values", lambda: blocks.plot_per_layer({"a": []}, "y", "t"), ValueError,
     "curves['a'] is empty")
case("plot_per_layer", "a list instead of a dict", lambda: blocks.plot_per_layer([1, 2], "y", "t"), TypeError,
     "curves must be a dict")
case("plot_per_layer", "a string of values", lambda: blocks.plot_per_layer({"a": "abc"}, "y", "t"), TypeError,
     "curves['a'] must be a tensor, array or list")
case("plot_depth_experiment", "a result without qk_grad_norm",
     lambda: blocks.plot_depth_experiment({"a": {"grad_norm": [1.0]}}), ValueError,
     "must be what depth_experiment returns")
case("plot_depth_experiment", "one result, not a dict of them",
     lambda: blocks.plot_depth_experiment({"grad_norm": [1.0], "qk_grad_norm": [1.0], "similarity": [0.5]}),
     ValueError, "must be what depth_experiment returns")
case("plot_attention_layers", "one tensor instead of a list", lambda: blocks.plot_attention_layers(attn(), TOK),
     ValueError, "got a torch.float32 tensor")
case("plot_attention_layers", "batch_index out of range",
     lambda: blocks.plot_attention_layers([attn()], TOK, batch_index=1), IndexError, "batch_index must be in [0, 1)")
case("plot_attention_layers", "batch_index -1", lambda: blocks.plot_attention_layers([attn()], TOK, batch_index=-1),
     IndexError, "batch_index must be in [0, 1)")
case("plot_attention_layers", "layers with different heads",
     lambda: blocks.plot_attention_layers([attn(H=2), attn(H=3)], TOK), ValueError,
     "every layer must have the same (B, H)")
case("plot_attention_layers", "NaN weights", lambda: blocks.plot_attention_layers([with_nan(attn())], TOK),
     ValueError, "weights[0] holds NaN")
case("plot_attention_layers", "scores", lambda: blocks.plot_attention_layers([attn() * 4], TOK), ValueError,
     "not the scores")
case("plot_attention_layers", "zero heads", lambda: blocks.plot_attention_layers([torch.rand(1, 0, T, T)], TOK),
     ValueError, "weights[0] is empty")

# ----- chips, diagrams --------------------------------------------------------------------------------
case("chip_rows", "no rows", lambda: chips.chip_rows([], "t"), ValueError, "rows must be a non-empty list")
case("chip_rows", "a row that is a string", lambda: chips.chip_rows(["abc"], "t"), TypeError,
     "rows[0] must be (heading, tokens, ids)")
case("chip_rows", "colours of the wrong length", lambda: chips.chip_rows([("h", ["a", "b"], [1, 2], ["#fff"], None)], "t"),
     ValueError, "the colours of rows[0] must hold one entry per token")
case("chip_rows", "notes of the wrong length", lambda: chips.chip_rows([("h", ["a", "b"], [1, 2], None, ["x"])], "t"),
     ValueError, "the notes of rows[0] must hold one entry per token")
case("chip_rows", "a negative id", lambda: chips.chip_rows([("h", ["a", "b"], [1, -2])], "t"), ValueError,
     "the ids of rows[0] must be a non-negative int")
case("chip_rows", "a float id", lambda: chips.chip_rows([("h", ["a", "b"], [1.5, 2])], "t"), ValueError,
     "the ids of rows[0] must be a non-negative int")
case("chip_rows", "tokens as one string", lambda: chips.chip_rows([("h", "ab", [1, 2])], "t"), TypeError,
     "the tokens of rows[0] must be a list of strings")
case("plot_encoder_decoder", "decoder_layers=0", lambda: diagrams.plot_encoder_decoder(decoder_layers=0), ValueError,
     "decoder_layers must be a positive int")
case("plot_encoder_decoder", "decoder_layers as a string", lambda: diagrams.plot_encoder_decoder(decoder_layers="6"),
     ValueError, "decoder_layers must be a positive int")
case("plot_encoder_decoder", "d_model=True", lambda: diagrams.plot_encoder_decoder(d_model=True, n_heads=1),
     ValueError, "d_model must be a positive int, got True")

# ----- embeddings -------------------------------------------------------------------------------------
ONE_HOT, EMB = torch.eye(5)[[1, 0, 4]], torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
QUERY, VECTORS = torch.tensor([1.0, 0.5]), torch.tensor([[2.0, 1.0], [0.3, 0.2], [-1.0, 0.5]])
case("plot_lookup", "shapes that do not chain", lambda: embeddings.plot_lookup(ONE_HOT, torch.randn(4, 3)),
     ValueError, "one_hot (n, V) has V = 5 columns but weight (V, d) has 4 rows")
case("plot_lookup", "a 1-D one-hot row", lambda: embeddings.plot_lookup(ONE_HOT[0], EMB), ValueError,
     "one_hot must have shape (n, V)")
case("plot_lookup", "ids instead of one-hot rows", lambda: embeddings.plot_lookup(torch.tensor([1, 0, 4]), EMB),
     ValueError, "e.g. torch.eye(V)[ids]")
case("plot_dot_vs_cosine", "labels of the wrong length", lambda: embeddings.plot_dot_vs_cosine(QUERY, VECTORS, ["a"]),
     ValueError, "labels must hold 3 strings")
case("plot_dot_vs_cosine", "labels as one string", lambda: embeddings.plot_dot_vs_cosine(QUERY, VECTORS, "abc"),
     TypeError, "labels must be a list of strings")
case("plot_dot_vs_cosine", "the zero query", lambda: embeddings.plot_dot_vs_cosine(torch.zeros(2), VECTORS, list("abc")),
     ValueError, "must not be the zero vector")
case("plot_dot_vs_cosine", "a NaN vector", lambda: embeddings.plot_dot_vs_cosine(QUERY, with_nan(VECTORS), list("abc")),
     ValueError, "vectors holds NaN")
case("plot_dot_vs_cosine", "no vectors", lambda: embeddings.plot_dot_vs_cosine(QUERY, torch.zeros(0, 2), []),
     ValueError, "vectors is empty")
case("plot_loss", "an empty history", lambda: embeddings.plot_loss([]), ValueError, "history is empty")
case("plot_loss", "a 2-D history", lambda: embeddings.plot_loss([[1, 2], [3, 4]]), ValueError,
     "history must have shape (n,)")
case("plot_loss", "smooth=0", lambda: embeddings.plot_loss([3.0] * 100, smooth=0), ValueError,
     "smooth must be a positive int")
case("plot_loss", "smooth=2.5", lambda: embeddings.plot_loss([3.0] * 100, smooth=2.5), ValueError,
     "smooth must be a positive int")
case("plot_loss", "a negative vocabulary size", lambda: embeddings.plot_loss([3.0] * 100, uniform=-5), ValueError,
     "uniform (the vocabulary size V) must be a positive int")
case("plot_loss", "strings", lambda: embeddings.plot_loss(["a", "b"]), TypeError, "history must be a tensor")
case("plot_neighbours", "words of the wrong length",
     lambda: embeddings.plot_neighbours(["a", "b"], torch.tensor([0.9, 0.8, 0.1]), "dog", "cosine"), ValueError,
     "words must hold 3 strings")
case("plot_neighbours", "no neighbours", lambda: embeddings.plot_neighbours([], torch.tensor([]), "dog", "cosine"),
     ValueError, "scores is empty")
case("plot_neighbours", "a NaN score",
     lambda: embeddings.plot_neighbours(["a", "b"], torch.tensor([0.9, float("nan")]), "dog", "cosine"), ValueError,
     "scores holds NaN")
case("plot_projection", "1-D coordinates", lambda: embeddings.plot_projection(torch.randn(4), list("abcd"), ["x"] * 4),
     ValueError, "coords must have shape (n, 2)")
case("plot_projection", "3 coordinates per word",
     lambda: embeddings.plot_projection(torch.randn(4, 3), list("abcd"), ["x"] * 4), ValueError,
     "coords must have shape (n, 2), one (x, y) per word")
case("plot_projection", "no points", lambda: embeddings.plot_projection(torch.randn(0, 2), [], []), ValueError,
     "coords is empty")
case("plot_projection", "NaN coordinates",
     lambda: embeddings.plot_projection(torch.full((4, 2), float("nan")), list("abcd"), ["x"] * 4), ValueError,
     "coords holds NaN")
case("plot_projection", "categories as one string",
     lambda: embeddings.plot_projection(torch.randn(4, 2), list("abcd"), "xyzw"), TypeError,
     "categories must be a list")
case("plot_projection", "50 categories",
     lambda: embeddings.plot_projection(torch.randn(50, 2), [f"w{i}" for i in range(50)], list(range(50)),
                                        label_words=False), ValueError, "at most 49 can be told apart")

# ----- gpt --------------------------------------------------------------------------------------------
case("next_token_bars", "two rows of probabilities", lambda: gpt.next_token_bars(torch.stack([PROBS, PROBS]), VOCAB),
     ValueError, "must have shape (n,)")
case("next_token_bars", "logits instead of probabilities", lambda: gpt.next_token_bars(torch.randn(6) * 5, VOCAB, k=3),
     ValueError, "not logits")
case("next_token_bars", "NaN probabilities", lambda: gpt.next_token_bars(with_nan(PROBS), VOCAB, k=3), ValueError,
     "probs holds NaN")
case("next_token_bars", "k=2.5", lambda: gpt.next_token_bars(PROBS, VOCAB, k=2.5), ValueError,
     "k must be a positive int")
case("next_token_bars", "order out of range", lambda: gpt.next_token_bars(PROBS, VOCAB, order=[0, 9]), IndexError,
     "order[1] must be in [0, 6)")
case("next_token_bars", "a negative order", lambda: gpt.next_token_bars(PROBS, VOCAB, order=[0, -1]), IndexError,
     "order[1] must be in [0, 6)")
case("next_token_bars", "an empty order", lambda: gpt.next_token_bars(PROBS, VOCAB, order=[]), ValueError,
     "order is empty")
case("next_token_bars", "the vocabulary as a dict",
     lambda: gpt.next_token_bars(PROBS, {c: i for i, c in enumerate(VOCAB)}, k=3), TypeError,
     "tokens must be a list of strings")
case("next_token_bars", "the vocabulary as one string", lambda: gpt.next_token_bars(PROBS, "abcdef", k=3), TypeError,
     "use list(text)")
case("sampling_panels", "k=0", lambda: gpt.sampling_panels(torch.randn(6), VOCAB, k=0), ValueError,
     "k must be a positive int")
case("sampling_panels", "NaN logits", lambda: gpt.sampling_panels(torch.full((6,), float("nan")), VOCAB), ValueError,
     "logits holds NaN")
case("sampling_panels", "a string", lambda: gpt.sampling_panels("abc", VOCAB), TypeError,
     "logits must be a tensor, array or list")

# ----- interop ----------------------------------------------------------------------------------------
case("agreement_scatter", "no logits", lambda: interop.agreement_scatter(torch.randn(0), torch.randn(0)), ValueError,
     "ours is empty")
case("agreement_scatter", "NaN logits",
     lambda: interop.agreement_scatter(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0])), ValueError,
     "ours holds NaN")
case("agreement_scatter", "max_points=0", lambda: interop.agreement_scatter(torch.randn(5), torch.randn(5), max_points=0),
     ValueError, "max_points must be a positive int")
case("size_bars", "a published count of 0", lambda: interop.size_bars(["a"], [1e6], [0]), ValueError,
     "published must hold values > 0")
case("size_bars", "a negative count", lambda: interop.size_bars(["a"], [-1e6], [1e6]), ValueError,
     "ours must hold values > 0")
case("size_bars", "no models", lambda: interop.size_bars([], [], []), ValueError, "names is empty")
case("size_bars", "names as one string", lambda: interop.size_bars("ab", [1e6, 2e6], [1e6, 2e6]), TypeError,
     "names must be a list of strings")

# ----- masking ----------------------------------------------------------------------------------------
case("mask_panel", "tokens of the wrong length", lambda: masking.mask_panel(CAUSAL, TOK[:3]), ValueError,
     "tokens must hold 7 strings (one per query")
case("mask_panel", "keys of the wrong length", lambda: masking.mask_panel(CAUSAL[:, :5], TOK, keys=TOK), ValueError,
     "keys (the tokens unless given) must hold 5 strings")
case("mask_panel", "a non-square mask without keys", lambda: masking.mask_panel(CAUSAL[:3], TOK[:3]), ValueError,
     "keys (the tokens unless given) must hold 7 strings")
case("mask_panel", "an additive 0 / -inf mask", lambda: masking.mask_panel(ADDITIVE, TOK), ValueError,
     "pass (mask == 0)")
case("mask_panel", "a NaN mask", lambda: masking.mask_panel(torch.full((T, T), float("nan")), TOK), ValueError,
     "mask must hold only True/False")
case("mask_panel", "an empty mask", lambda: masking.mask_panel(torch.ones(0, 0, dtype=torch.bool)), ValueError,
     "mask is empty")
case("mask_panel", "weights passed as a mask", lambda: masking.mask_panel(W, TOK), ValueError,
     "mask must hold only True/False")
case("mask_gallery", "a list instead of a dict", lambda: masking.mask_gallery([CAUSAL]), TypeError,
     "masks must be a dict")
case("mask_gallery", "masks of different sizes", lambda: masking.mask_gallery({"a": CAUSAL, "b": CAUSAL[:3, :3]}, TOK),
     ValueError, "masks['b'] has shape (3, 3), expected (7, 7)")
case("mask_gallery", "tokens of the wrong length", lambda: masking.mask_gallery({"a": CAUSAL}, TOK[:3]), ValueError,
     "masks['a'] has shape (7, 7), expected (3, 3)")
case("mask_and_weights", "weights of another shape", lambda: masking.mask_and_weights(CAUSAL, attn(Tq=5, Tk=5)[0, 0], TOK),
     ValueError, "mask and weights must have the same shape")
case("mask_and_weights", "tokens of the wrong length", lambda: masking.mask_and_weights(CAUSAL, W, TOK[:3]), ValueError,
     "tokens must hold 7 strings")
case("mask_and_weights", "NaN weights", lambda: masking.mask_and_weights(CAUSAL, with_nan(W), TOK), ValueError,
     "weights holds NaN")
case("mask_and_weights", "scores", lambda: masking.mask_and_weights(CAUSAL, W * 5, TOK), ValueError, "not the scores")
case("mask_and_weights", "mask and weights swapped", lambda: masking.mask_and_weights(W, CAUSAL, TOK), ValueError,
     "mask must hold only True/False")
case("mask_kinds", "a 1-D mask", lambda: masking.mask_kinds(CAUSAL[0]), ValueError, "mask must have shape (T_q, T_k)")
case("mask_kinds", "tokens of the wrong length", lambda: masking.mask_kinds(CAUSAL, TOK[:3]), ValueError,
     "tokens must hold 7 strings")

# ----- multihead --------------------------------------------------------------------------------------
case("head_heatmaps", "tokens of the wrong length", lambda: multihead.head_heatmaps(A4, TOK[:3]), ValueError,
     "tokens must hold 7 strings")
case("head_heatmaps", "keys of the wrong length", lambda: multihead.head_heatmaps(A4, TOK, keys=TOK[:3]), ValueError,
     "keys (the tokens unless given) must hold 7 strings")
case("head_heatmaps", "a head out of range", lambda: multihead.head_heatmaps(A4, TOK, heads=[0, 4]), IndexError,
     "heads[1] must be in [0, 4)")
case("head_heatmaps", "a negative head", lambda: multihead.head_heatmaps(A4, TOK, heads=[-1]), IndexError,
     "heads[0] must be in [0, 4)")
case("head_heatmaps", "no heads chosen", lambda: multihead.head_heatmaps(A4, TOK, heads=[]), ValueError,
     "heads is empty")
case("head_heatmaps", "heads as an int", lambda: multihead.head_heatmaps(A4, TOK, heads=2), TypeError,
     "heads must be a list of int indices")
case("head_heatmaps", "zero heads", lambda: multihead.head_heatmaps(torch.rand(1, 0, T, T), TOK), ValueError,
     "weights is empty")
case("head_heatmaps", "batch_index=0.0", lambda: multihead.head_heatmaps(A4, TOK, batch_index=0.0), ValueError,
     "batch_index must be a non-negative int")
case("head_heatmaps", "a list over layers", lambda: multihead.head_heatmaps([A4, A4], TOK), TypeError,
     "pick one, e.g. attentions[0]")
case("head_heatmaps", "NaN weights", lambda: multihead.head_heatmaps(with_nan(A4), TOK), ValueError,
     "weights holds NaN")
case("head_heatmaps", "scores", lambda: multihead.head_heatmaps(A4 * 3, TOK), ValueError, "not the scores")
case("head_heatmaps", "ncols=0", lambda: multihead.head_heatmaps(A4, TOK, ncols=0), ValueError,
     "ncols must be a positive int")
case("head_heatmaps", "layer=-1", lambda: multihead.head_heatmaps(A4, TOK, layer=-1), ValueError,
     "layer must be a non-negative int")
case("head_heatmaps", "size=0", lambda: multihead.head_heatmaps(A4, TOK, size=0), ValueError, "size must be a number")
case("attention_grid", "tokens of the wrong length", lambda: multihead.attention_grid([A4], TOK[:3]), ValueError,
     "tokens must hold 7 strings")
case("attention_grid", "layers with different heads", lambda: multihead.attention_grid([A4, attn(H=2)], TOK),
     ValueError, "every layer must have the same (H, T_q, T_k)")
case("attention_grid", "layers with different lengths", lambda: multihead.attention_grid([A4, attn(H=4, Tq=5, Tk=5)]),
     ValueError, "every layer must have the same (H, T_q, T_k)")
case("attention_grid", "NaN weights", lambda: multihead.attention_grid([with_nan(A4)], TOK), ValueError,
     "attentions[0] holds NaN")
case("attention_grid", "scores", lambda: multihead.attention_grid([A4 * 3], TOK), ValueError, "not the scores")
case("attention_grid", "layer_ids of the wrong length", lambda: multihead.attention_grid([A4], TOK, layer_ids=[0, 1]),
     ValueError, "layer_ids must be a list of 1 layer numbers")
case("attention_grid", "head_ids of the wrong length", lambda: multihead.attention_grid([A4], TOK, head_ids=[0]),
     ValueError, "head_ids must be a list of 4 head numbers")
case("attention_grid", "zero heads", lambda: multihead.attention_grid([torch.rand(1, 0, T, T)], TOK), ValueError,
     "attentions[0] is empty")
case("plot_head_split", "n_heads=0", lambda: multihead.plot_head_split(n_heads=0), ValueError,
     "n_heads must be a positive int")
case("plot_head_split", "d_model=0", lambda: multihead.plot_head_split(d_model=0), ValueError,
     "d_model must be a positive int")
case("plot_head_split", "B=-1", lambda: multihead.plot_head_split(B=-1), ValueError, "B must be a positive int")
case("plot_head_split", "d_model=8.0", lambda: multihead.plot_head_split(d_model=8.0), ValueError,
     "d_model must be a positive int")

# ----- positional -------------------------------------------------------------------------------------
case("plot_waves", "a dimension out of range", lambda: positional.plot_waves(PE, dims=[0, 16]), IndexError,
     "dims[1] must be in [0, 16)")
case("plot_waves", "a negative dimension", lambda: positional.plot_waves(PE, dims=[-1]), IndexError,
     "dims[0] must be in [0, 16)")
case("plot_waves", "dims as an int", lambda: positional.plot_waves(PE, dims=3), TypeError,
     "dims must be a list of int indices")
case("plot_waves", "a 1-D table", lambda: positional.plot_waves(PE[0], dims=[0]), ValueError,
     "pe must have shape (max_len, d_model)")
case("plot_waves", "samples=0", lambda: positional.plot_waves(PE, dims=[0], samples=0), ValueError,
     "samples must be a positive int")
case("plot_waves", "no dimensions", lambda: positional.plot_waves(PE, dims=[]), ValueError, "dims is empty")
case("plot_distance_dots", "a position out of range", lambda: positional.plot_distance_dots(PE, positions=[60]),
     IndexError, "positions[0] must be in [0, 50)")
case("plot_distance_dots", "a negative position", lambda: positional.plot_distance_dots(PE, positions=[-1]),
     IndexError, "positions[0] must be in [0, 50)")
case("plot_distance_dots", "positions as an int", lambda: positional.plot_distance_dots(PE, positions=3), TypeError,
     "positions must be a list of int indices")
case("plot_distance_dots", "a 1-D table", lambda: positional.plot_distance_dots(PE[0], positions=[0]), ValueError,
     "pe must have shape (max_len, d_model)")
case("plot_position_and_dimension", "position out of range", lambda: positional.plot_position_and_dimension(PE, 50, 0),
     IndexError, "position must be in [0, 50)")
case("plot_position_and_dimension", "a negative position", lambda: positional.plot_position_and_dimension(PE, -1, 0),
     IndexError, "position must be in [0, 50)")
case("plot_position_and_dimension", "dimension out of range",
     lambda: positional.plot_position_and_dimension(PE, 0, 16), IndexError, "dimension must be in [0, 16)")
case("plot_position_and_dimension", "a negative dimension",
     lambda: positional.plot_position_and_dimension(PE, 0, -2), IndexError, "dimension must be in [0, 16)")
case("plot_position_and_dimension", "a float position", lambda: positional.plot_position_and_dimension(PE, 2.0, 0),
     TypeError, "position must be an int index")
case("plot_position_and_dimension", "a 1-D table", lambda: positional.plot_position_and_dimension(PE[0], 0, 0),
     ValueError, "pe must have shape (max_len, d_model)")

# ----- tokenization -----------------------------------------------------------------------------------
case("plot_token_chips", "tokens as one string", lambda: tokenization.plot_token_chips("ab", [1, 2]), TypeError,
     "tokens must be a list of strings")
case("plot_token_chips", "ids that are strings", lambda: tokenization.plot_token_chips(["a", "b"], ["x", "y"]),
     ValueError, "ids must be a non-negative int")
case("plot_token_chips", "ids instead of tokens", lambda: tokenization.plot_token_chips([1, 2], [1, 2]), TypeError,
     "got int 1 at position 0")
case("plot_pair_counts", "no pairs", lambda: tokenization.plot_pair_counts({}, chr), ValueError, "counts is empty")
case("plot_pair_counts", "name as a string", lambda: tokenization.plot_pair_counts({(97, 98): 2}, "chr"), TypeError,
     "name must be a function")
case("plot_pair_counts", "a key that is not a pair", lambda: tokenization.plot_pair_counts({97: 2}, chr), TypeError,
     "counts must map pairs of ids")
case("plot_pair_counts", "top=0", lambda: tokenization.plot_pair_counts({(97, 98): 2}, chr, top=0), ValueError,
     "top must be a positive int")
case("plot_pair_counts", "a list of pairs", lambda: tokenization.plot_pair_counts([((97, 98), 2)], chr), TypeError,
     "counts must be a dict")
case("plot_encode_steps", "a string instead of a tokenizer", lambda: tokenization.plot_encode_steps("bpe", "low"),
     TypeError, "tokenizer must be a BPETokenizer")
case("plot_compression", "values of the wrong length", lambda: tokenization.plot_compression([300, 512], [2.1]),
     ValueError, "chars_per_token must hold 2 values")
case("plot_compression", "a vocabulary of 0", lambda: tokenization.plot_compression([0, 512], [1.0, 2.0]), ValueError,
     "vocab_sizes must hold values > 0")
case("plot_compression", "a reference that is not a pair",
     lambda: tokenization.plot_compression([300, 512], [2.1, 2.6], references={"a": 3}), TypeError,
     "references['a'] must be a pair")
case("plot_compression", "no points", lambda: tokenization.plot_compression([], []), ValueError,
     "vocab_sizes is empty")
case("plot_vocabulary_growth", "values of the wrong length",
     lambda: tokenization.plot_vocabulary_growth([1, 2, 3], [1, 2]), ValueError, "distinct_words must hold 3 values")
case("plot_vocabulary_growth", "no points", lambda: tokenization.plot_vocabulary_growth([], []), ValueError,
     "words_read is empty")
case("plot_vocabulary_growth", "strings", lambda: tokenization.plot_vocabulary_growth(["a"], ["b"]), TypeError,
     "words_read must be a tensor, array or list")

# ----- training ---------------------------------------------------------------------------------------
case("plot_history", "train_loss shorter than steps",
     lambda: training.plot_history(History(steps=[1, 2, 3], train_loss=[1.0, 0.5], step=3)), ValueError,
     "history.steps and history.train_loss must have the same length")
case("plot_history", "val_loss shorter than val_steps",
     lambda: training.plot_history(History(val_steps=[1, 2, 3], val_loss=[1.0], step=3)), ValueError,
     "history.val_steps and history.val_loss must have the same length")
case("plot_history", "a negative loss on a log axis",
     lambda: training.plot_history(History(steps=[1, 2], train_loss=[1.0, -0.5], step=2), log_y=True), ValueError,
     "history.train_loss must hold values >= 0 for log_y=True")
case("plot_lr_schedule", "a dict instead of a TrainConfig", lambda: training.plot_lr_schedule({"max_steps": 10}),
     TypeError, "config must be a TrainConfig")

# ----- transformer ------------------------------------------------------------------------------------
case("plot_teacher_forcing", "tokens as one string", lambda: transformer.plot_teacher_forcing("<bos> la pelota"),
     TypeError, "tokens must be a list of strings")
case("plot_teacher_forcing", "token ids", lambda: transformer.plot_teacher_forcing(torch.tensor([1, 5, 6])),
     TypeError, "tokens must be a list of strings")
case("plot_cross_attention", "a head out of range", lambda: transformer.plot_cross_attention(CROSS, SRC, OUT, head=2),
     IndexError, "head must be in [0, 2)")
case("plot_cross_attention", "a negative head", lambda: transformer.plot_cross_attention(CROSS, SRC, OUT, head=-1),
     IndexError, "head must be in [0, 2)")
case("plot_cross_attention", "a float head", lambda: transformer.plot_cross_attention(CROSS, SRC, OUT, head=1.0),
     TypeError, "head must be an int index")
case("plot_cross_attention", "a layer out of range",
     lambda: transformer.plot_cross_attention(CROSS, SRC, OUT, layers=[2]), IndexError, "layers[0] must be in [0, 2)")
case("plot_cross_attention", "a negative layer", lambda: transformer.plot_cross_attention(CROSS, SRC, OUT, layers=[-1]),
     IndexError, "layers[0] must be in [0, 2)")
case("plot_cross_attention", "no layers", lambda: transformer.plot_cross_attention(CROSS, SRC, OUT, layers=[]),
     ValueError, "layers is empty")
case("plot_cross_attention", "layers as an int", lambda: transformer.plot_cross_attention(CROSS, SRC, OUT, layers=1),
     TypeError, "layers must be a list of int indices")
case("plot_cross_attention", "batch_index out of range",
     lambda: transformer.plot_cross_attention(CROSS, SRC, OUT, batch_index=1), IndexError,
     "batch_index must be in [0, 1)")
case("plot_cross_attention", "3-D layers", lambda: transformer.plot_cross_attention([CROSS[0][0]], SRC, OUT),
     ValueError, "cross[0] must have shape (B, H, T, S)")
case("plot_cross_attention", "layers of different shapes",
     lambda: transformer.plot_cross_attention([CROSS[0], attn(Tq=4, Tk=5)], SRC, OUT), ValueError,
     "every layer of cross must have the same shape")
case("plot_cross_attention", "NaN weights", lambda: transformer.plot_cross_attention([with_nan(CROSS[0])], SRC, OUT),
     ValueError, "cross[0] holds NaN")
case("plot_cross_attention", "scores", lambda: transformer.plot_cross_attention([CROSS[0] * 3], SRC, OUT), ValueError,
     "not the scores")
case("plot_next_token", "chosen out of range", lambda: transformer.plot_next_token(["a", "b"], [0.5, 0.3], chosen=2),
     IndexError, "chosen must be in [0, 2)")
case("plot_next_token", "a negative chosen", lambda: transformer.plot_next_token(["a", "b"], [0.5, 0.3], chosen=-1),
     IndexError, "chosen must be in [0, 2)")
case("plot_next_token", "no candidates", lambda: transformer.plot_next_token([], []), ValueError, "tokens is empty")
case("plot_next_token", "probabilities above 1", lambda: transformer.plot_next_token(["a", "b"], [5.0, 3.0]),
     ValueError, "not logits")
case("plot_next_token", "a (1, n) row", lambda: transformer.plot_next_token(["a", "b"], torch.tensor([[0.5, 0.3]])),
     ValueError, "probs must have shape (n,)")
case("plot_next_token", "a NaN probability", lambda: transformer.plot_next_token(["a", "b"], [float("nan"), 0.3]),
     ValueError, "probs holds NaN")
case("plot_bleu", "a number", lambda: transformer.plot_bleu(31.5), TypeError, "score must be what corpus_bleu returns")
case("plot_bleu", "a dict", lambda: transformer.plot_bleu({"score": 31.5}), TypeError,
     "score must be what corpus_bleu returns")

# ----- views ------------------------------------------------------------------------------------------
case("head_view_picture", "a layer out of range", lambda: views.head_view_picture([BLOCK], layer=2), IndexError,
     "layer must be in [0, 2)")
case("head_view_picture", "a negative layer", lambda: views.head_view_picture([BLOCK], layer=-1), IndexError,
     "layer must be in [0, 2)")
case("head_view_picture", "a float layer", lambda: views.head_view_picture([BLOCK], layer=1.0), TypeError,
     "layer must be an int index")
case("head_view_picture", "a head out of range", lambda: views.head_view_picture([BLOCK], heads=[5]), IndexError,
     "heads[0] must be in [0, 3)")
case("head_view_picture", "a negative head", lambda: views.head_view_picture([BLOCK], heads=[-1]), IndexError,
     "heads[0] must be in [0, 3)")
case("head_view_picture", "no heads", lambda: views.head_view_picture([BLOCK], heads=[]), ValueError, "heads is empty")
case("head_view_picture", "no blocks", lambda: views.head_view_picture([]), ValueError,
     "blocks must be a non-empty list")
case("head_view_picture", "tokens of the wrong length",
     lambda: views.head_view_picture([("E", BLOCK[1], TOK[:3], TOK)]), ValueError,
     "the query tokens of blocks[0] must hold 7 strings")
case("head_view_picture", "3-D attention", lambda: views.head_view_picture([("E", BLOCK[1][0], TOK, TOK)]),
     ValueError, "the attention of blocks[0] must have shape (L, H, T_q, T_k)")
case("head_view_picture", "a block of two items", lambda: views.head_view_picture([(BLOCK[1], TOK)]), TypeError,
     "blocks[0] must be (name, attention")
case("head_view_picture", "NaN weights", lambda: views.head_view_picture([("E", np.full((2, 3, T, T), np.nan), TOK, TOK)]),
     ValueError, "the attention of blocks[0] holds NaN")
case("head_view_picture", "scores", lambda: views.head_view_picture([("E", BLOCK[1] * 5, TOK, TOK)]), ValueError,
     "not the scores")
case("model_view_picture", "a layer out of range", lambda: views.model_view_picture([BLOCK], layers=[3]), IndexError,
     "layers[0] must be in [0, 2)")
case("model_view_picture", "a negative layer", lambda: views.model_view_picture([BLOCK], layers=[-1]), IndexError,
     "layers[0] must be in [0, 2)")
case("model_view_picture", "a head out of range", lambda: views.model_view_picture([BLOCK], heads=[3]), IndexError,
     "heads[0] must be in [0, 3)")
case("model_view_picture", "no heads", lambda: views.model_view_picture([BLOCK], heads=[]), ValueError,
     "heads is empty")
case("model_view_picture", "no blocks", lambda: views.model_view_picture([]), ValueError,
     "blocks must be a non-empty list")
case("model_view_picture", "tokens of the wrong length",
     lambda: views.model_view_picture([("E", BLOCK[1], TOK[:3], TOK)]), ValueError,
     "the query tokens of blocks[0] must hold 7 strings")
case("model_view_picture", "3-D attention", lambda: views.model_view_picture([("E", BLOCK[1][0], TOK, TOK)]),
     ValueError, "the attention of blocks[0] must have shape (L, H, T_q, T_k)")

# ----- forward_pass -----------------------------------------------------------------------------------
case("plot_forward_pass", "k=2.5", lambda: forward(k=2.5), ValueError, "k must be a positive int")
case("plot_forward_pass", "NaN attention", lambda: forward(attentions=[torch.full((1, 2, 6, 6), float("nan"))] * 2),
     ValueError, "attentions[0] holds NaN")
case("plot_forward_pass", "scores as attention", lambda: forward(attentions=[FP_ATTN[0] * 4] * 2), ValueError,
     "not the scores")
case("plot_forward_pass", "NaN logits", lambda: forward(logits=torch.full((len(FP_VOCAB),), float("nan"))), ValueError,
     "logits holds NaN")
case("plot_forward_pass", "NaN hidden state", lambda: forward(hidden_states=[with_nan(s) for s in FP_STATES]),
     ValueError, "hidden_states[0] holds NaN")
case("plot_forward_pass", "no tokens",
     lambda: forward(tokens=[], ids=[], hidden_states=[torch.randn(0, 16)] * 3, attentions=[torch.rand(1, 2, 0, 0)] * 2),
     ValueError, "tokens is empty")
case("plot_forward_pass", "hidden states of different widths",
     lambda: forward(hidden_states=[FP_STATES[0], FP_STATES[1][:, :8], FP_STATES[2]]), ValueError,
     "every hidden state must have the shape (6, d_model)")
case("plot_forward_pass", "the vocabulary as one string", lambda: forward(vocab="".join(FP_VOCAB)), TypeError,
     "vocab must be a list of strings")

# ----- modern -----------------------------------------------------------------------------------------
case("plot_kv_cache_memory", "a shape of two numbers", lambda: modern.plot_kv_cache_memory({"a": (32, 8)}), TypeError,
     "curves['a'] must be (n_layers, n_kv_heads, d_head)")
case("plot_kv_cache_memory", "a negative context", lambda: modern.plot_kv_cache_memory({"a": (32, 8, 128)}, context=-5),
     ValueError, "context must be a positive int")
case("plot_receptive_field", "no layers", lambda: modern.plot_receptive_field(torch.ones(0, 5, dtype=torch.bool), 2),
     ValueError, "reach is empty")
case("plot_receptive_field", "counts instead of booleans",
     lambda: modern.plot_receptive_field(torch.arange(10).reshape(2, 5), 2), ValueError,
     "reach must hold only True/False")
case("plot_loss_vs_time", "a History without val_time",
     lambda: modern.plot_loss_vs_time({"a": History(val_steps=[0, 1], val_loss=[2.0, 1.0], step=1)}), ValueError,
     "histories['a'].val_time and histories['a'].val_loss must have the same length")
case("plot_loss_vs_time", "a list instead of a dict", lambda: modern.plot_loss_vs_time([History()]), TypeError,
     "histories must be a dict")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(("call", "error", "fragment"), CASES)
def test_bad_input_is_named(call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)):
        call()


# ----- valid inputs the notebooks pass keep drawing ---------------------------------------------------

VALID = {
    "weights as nested lists": lambda: attention.plot_attention(W.tolist(), TOK),
    "weights with grad, a numpy int query": lambda: attention.plot_weights_and_row(W.clone().requires_grad_(), TOK,
                                                                                   query=np.int64(2)),
    "a 0-d tensor query": lambda: attention.plot_weights_and_row(W, TOK, query=torch.tensor(2)),
    "x as a range, values as a tensor": lambda: attention.plot_curves(range(1, 4), {"a": torch.tensor([1.0, 2.0, 3.0])},
                                                                      "x", "y", "t", logx=True),
    "a gradient that reached 0 on a log axis": lambda: blocks.plot_per_layer({"vanished": [1.0, 1e-3, 0.0]}, "norm", "t"),
    "numpy attention layers": lambda: blocks.plot_attention_layers([attn().numpy()], TOK),
    "rates as a 0-d tensor and a numpy float": lambda: bert.plot_masking_rates(torch.tensor(0.15), np.float32(0.8), 0.1,
                                                                               0.1),
    "segments as a tensor": lambda: bert.plot_input_representation(TOK[:3], torch.tensor([0, 0, 1])),
    "losses appended without .item()": lambda: embeddings.plot_loss([torch.tensor(3.0, requires_grad=True)] * 60),
    "scores as a (1, n) row": lambda: embeddings.plot_neighbours(["a", "b"], torch.tensor([[0.9, 0.8]]), "dog", "cosine"),
    "probabilities as a (1, V) row": lambda: gpt.next_token_bars(PROBS[None], VOCAB, k=3),
    "a ruled-out token (-inf logit)": lambda: gpt.sampling_panels(torch.tensor([0.0, 1.0, -math.inf, 2.0, 0.5, 0.1]),
                                                                  VOCAB),
    "numpy weights, heads as a tuple": lambda: multihead.head_heatmaps(A4.numpy(), TOK, heads=(0, 2)),
    "a tuple of layers": lambda: multihead.attention_grid((A4, A4), TOK),
    "ids as a tensor": lambda: tokenization.plot_token_chips(["a", "b"], torch.tensor([1, 2])),
    "the tokens of an empty text": lambda: tokenization.plot_token_chips([], []),
    "an empty History": lambda: training.plot_history(History()),
    "a TrainConfig": lambda: training.plot_lr_schedule(TrainConfig(max_steps=20, warmup_steps=2)),
    "numpy layers, a numpy int head": lambda: transformer.plot_cross_attention([c.numpy() for c in CROSS], SRC, OUT,
                                                                               head=np.int64(1)),
    "a tensor block": lambda: views.model_view_picture([("E", torch.from_numpy(BLOCK[1]), TOK, TOK)]),
    "ids as a tensor, states with grad": lambda: forward(ids=torch.tensor(FP_IDS),
                                                         hidden_states=[s.clone().requires_grad_() for s in FP_STATES]),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_inputs_still_draw(name):
    """Arrays, lists, tensors with grad, numpy and 0-d tensor ints, -inf logits, a 0 on a log axis: all draw."""
    assert VALID[name]() is not None


def test_mask_gallery_marks_padding_only_in_the_panels_that_hold_the_padding_mask():
    from course_lib.masking import causal_mask
    from course_lib.plots import style

    tokens = ["a", "b", "[PAD]", "[PAD]"]
    pad = torch.tensor([True, True, False, False]).expand(4, 4)
    causal = causal_mask(4)
    axes = masking.mask_gallery({"padding": pad, "causal": causal}, tokens, padded=["padding"])
    hatched = [sum(len(c.get_paths()) for c in ax.collections if c.get_hatch() == style.MASK_HATCH["padding"])
               for ax in axes]
    plt.close("all")
    assert hatched == [8, 0]  # the causal panel blocks the [PAD] keys by the future, not by padding
    with pytest.raises(ValueError, match="padded must name panels"):
        masking.mask_gallery({"causal": causal}, tokens, padded="padding")

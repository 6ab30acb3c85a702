"""The sampling explorer of 10_gpt_pretraining: type a prompt, move temperature / top-k / top-p, and see
the next-token distribution and a freshly drawn sample.

Deliberately left out: batched or streaming generation (the explorer redraws one short sample).
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from course_lib import guards
from course_lib.gpt import GPT, generate, next_token_probs
from course_lib.plots import style
from course_lib.plots.gpt import next_token_bars, show_token
from course_lib.widgets import _check_int, _check_model, _check_text, explorer


def sampling_explorer(model: GPT, tokenizer, prompt: str = "\n", n_tokens: int = 120, seed: int = 0,
                      k: int = 15) -> widgets.VBox:
    """Explorer: prompt, temperature, top-k (0 = off), top-p and seed -> next-token bars and one sample.

    The bars show the distribution the next token is drawn from (after temperature and filtering); the
    grey bars behind them are the model's own distribution at temperature 1. A prompt longer than the
    model's max_len is read from its last max_len tokens. k: how many bars.
    """
    _check_model("model", model, GPT, "course_lib.gpt.GPT")
    if getattr(tokenizer, "vocab_size", None) != model.config.vocab_size:
        raise ValueError(f"tokenizer has {getattr(tokenizer, 'vocab_size', 'no')} tokens but the model was built for "
                         f"vocab_size={model.config.vocab_size}: pass the tokenizer the model was trained with")
    _check_text("prompt", prompt)
    guards.positive_int("n_tokens", n_tokens)
    _check_int("seed", seed, 0, 20)
    guards.positive_int("k", k)
    vocab = [tokenizer.id_to_token(i) for i in range(tokenizer.vocab_size)]
    device = next(model.parameters()).device

    def draw(prompt: str, temperature: float, top_k: int, top_p: float, seed: int) -> None:
        ids = tokenizer.encode(prompt)
        if not ids:
            print("type a prompt (at least one character)")
            return
        ids = ids[-model.config.max_len:]
        settings = dict(temperature=temperature, top_k=top_k or None, top_p=top_p)
        model.eval()
        with torch.no_grad():
            logits = model(torch.tensor([ids], device=device)).logits[0, -1].float().cpu()  # (V,)
        base, probs = next_token_probs(logits), next_token_probs(logits, **settings)
        _, ax = style.subplots(figsize=(8.0, 4.0))
        order = torch.argsort(probs, descending=True, stable=True)[:min(k, len(vocab))].tolist()
        ax.bar(range(len(order)), base[order].numpy(), color="#d9d9d9", hatch="..", edgecolor="white",
               label="temperature 1, no filter")
        next_token_bars(probs, vocab, ax=ax, order=order,
                        title=f"after {show_token(prompt[-16:])!r}: {int((probs > 0).sum())} of {len(vocab)} possible")
        ax.set_ylim(0, 1)
        ax.legend(loc="upper right")
        plt.show()
        generator = torch.Generator(device=device).manual_seed(seed)
        out = generate(model, torch.tensor(ids, device=device), n_tokens, generator=generator, **settings)
        print(prompt + tokenizer.decode(out[len(ids):].tolist()))

    controls = {
        "prompt": widgets.Text(value=prompt, description="prompt", continuous_update=False),
        "temperature": widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.05, description="temperature",
                                           continuous_update=False),
        "top_k": widgets.IntSlider(value=0, min=0, max=len(vocab), description="top-k (0=off)",
                                   continuous_update=False),
        "top_p": widgets.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top-p",
                                     continuous_update=False),
        "seed": widgets.IntSlider(value=seed, min=0, max=20, description="seed", continuous_update=False),
    }
    return explorer(draw, controls, columns=3,
                    title="Sampling explorer: the bars are what the next token is drawn from; below, a sample")

"""How much time does course_lib.training.train add to each step, compared with a bare loop?

    python benchmarks/train_overhead.py [--steps 300] [--repeats 5] [--threads 2]

Both loops train the same model on the same batches with the same optimizer (AdamW, weight decay on
matrices, fused kernel), the same warmup + cosine schedule, gradient clipping and set_to_none; the bare
loop reads the loss only every 10 steps, as the engine does. Runs alternate (engine, bare, engine, ...)
so a neighbour loading the machine slows all alike; the wall and CPU time of the whole call (set-up
included) are compared, as the minimum over runs (as timeit does) and the median. Use 1 thread on a busy machine: CPU time is then the steadier figure.
Three models: one weight (the step is all overhead: the extra microseconds per step are the engine's
cost), a tiny MLP language model (about 1-3 ms a step) and a small transformer LM at nanoGPT's CPU
batch (12 x 64 tokens).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.training import TrainConfig, lr_at, train
from course_lib.training.perf import make_optimizer

V, B, T = 65, 12, 64
DATA = torch.randint(0, V, (200_000,), generator=torch.Generator().manual_seed(0))


class MLPLM(nn.Module):
    def __init__(self, d: int = 64):
        super().__init__()
        self.emb, self.hidden, self.out = nn.Embedding(V, d), nn.Linear(d, 2 * d), nn.Linear(2 * d, V)

    def forward(self, x):
        return self.out(F.gelu(self.hidden(self.emb(x))))

    def loss(self, x, y):
        return F.cross_entropy(self(x).view(-1, V), y.view(-1))


class TransformerLM(nn.Module):
    def __init__(self, d: int = 128, n_layers: int = 2):
        super().__init__()
        self.emb, self.pos = nn.Embedding(V, d), nn.Parameter(torch.zeros(T, d))
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.out = nn.Linear(d, V)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(T))

    def forward(self, x):
        return self.out(self.blocks(self.emb(x) + self.pos, mask=self.mask, is_causal=True))

    def loss(self, x, y):
        return F.cross_entropy(self(x).view(-1, V), y.view(-1))


class ScalarModel(nn.Module):
    """One weight and a tiny batch: a step does almost no arithmetic, so its time is loop overhead."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2, 2))

    def loss(self, x, y):
        return ((x[:2, :2].float() @ self.w) ** 2).mean()


def get_batch(split: str, i: int):
    ix = torch.randint(0, len(DATA) - T - 1, (B,), generator=torch.Generator().manual_seed(i))
    return torch.stack([DATA[j:j + T] for j in ix]), torch.stack([DATA[j + 1:j + T + 1] for j in ix])


def bare_loop(model: nn.Module, config: TrainConfig) -> None:
    """The loop a careful person writes by hand."""
    opt = make_optimizer(model, config)
    params = [p for p in model.parameters() if p.requires_grad]
    for step in range(config.max_steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, config)
        x, y = get_batch("train", step)
        loss = model.loss(x, y)
        loss.backward()
        nn.utils.clip_grad_norm_(params, config.grad_clip, foreach=True)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if (step + 1) % config.log_every == 0:
            loss.item()


def engine(model: nn.Module, config: TrainConfig, verbose: bool = False) -> None:
    if verbose:  # the bar and the lines are drawn, into a buffer
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            train(model, get_batch, config, device="cpu", verbose=True)
    else:
        train(model, get_batch, config, device="cpu", verbose=False)


def timed(fn, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call, set-up included."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(name: str, make, steps: int, repeats: int) -> None:
    config = TrainConfig(max_steps=steps, lr=1e-3, min_lr=1e-4, warmup_steps=steps // 10, eval_every=10**6,
                         eval_steps=0, log_every=10, compile=False, precision="fp32")
    engine(make(), TrainConfig(max_steps=20, eval_steps=0, warmup_steps=2))  # warm-up, peak FLOP/s
    bare_loop(make(), TrainConfig(max_steps=20, warmup_steps=2))
    runs = {"bare loop": (bare_loop,), "engine": (engine,), "engine + progress bar": (engine, True)}
    times = {label: [] for label in runs}
    for _ in range(repeats):
        for label, (fn, *extra) in runs.items():
            times[label].append(timed(fn, make(), config, *extra))
    print(f"\n{name}: {sum(p.numel() for p in make().parameters()):,} parameters, {steps} steps x {repeats} runs")
    for stat in (min, statistics.median):  # min: least disturbed by neighbours (as timeit); median: typical
        base = [stat(t[k] for t in times["bare loop"]) for k in (0, 1)]
        for label, values in times.items():
            wall, cpu = (stat(v[k] for v in values) for k in (0, 1))
            print(f"  {stat.__name__:6s} {label:22s} wall {1e3 * wall / steps:8.3f} ms/step ({wall / base[0]:.3f} x bare)"
                  f"   CPU {1e3 * cpu / steps:8.3f} ms/step ({cpu / base[1]:.3f} x bare, "
                  f"{1e6 * (cpu - base[1]) / steps:+.0f} us/step)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    compare("scalar model (the step is all loop overhead)", ScalarModel, 5 * args.steps, args.repeats)
    compare("MLP language model", MLPLM, args.steps, args.repeats)
    compare("transformer LM (2 layers, d_model 128)", TransformerLM, max(args.steps // 3, 30), args.repeats)


if __name__ == "__main__":
    main()

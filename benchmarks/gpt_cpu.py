"""How fast does the course GPT train on a laptop CPU, compared with nanoGPT's CPU recipe?

    python benchmarks/gpt_cpu.py [CORPUS.txt] [--threads 2] [--repeats 7] [--runs 1] [--skip-runs]

CORPUS.txt: Tiny Shakespeare as a text file (default: course_lib.data.load_corpus("tinyshakespeare"),
which downloads and caches it). Character-level, as nanoGPT's shakespeare_char: the validation split is
the last 10% of the characters. Everything runs with torch.set_num_threads(--threads).

1. peak: the best fp32 (1024 x 1024) matmul rate of this machine on these threads, measured now.
2. speed at nanoGPT's CPU configuration (4 layers, 4 heads, d_model 128, context 64, batch 12,
   dropout 0): full training steps (forward, backward, clipping, AdamW) of the course GPT and of the
   same GPT built from torch.nn.TransformerEncoderLayer (norm_first, GELU, causal mask), alternating
   in short chunks so that a neighbour loading the machine slows both alike. Medians of --repeats
   chunks; MFU = tokens/s x FLOPs per token / peak.
3. time to validation loss 1.88, trained by the course engine (course_lib.training.train):
   (a) nanoGPT's recipe (batch 12, lr 1e-3 -> 1e-4 cosine over 2000 steps, warmup 100, AdamW betas
       (0.9, 0.99), weight decay 0.1, clipping 1.0), and
   (b) the notebook's CPU preset (GPTConfig.preset("cpu") with GPTConfig.recipe("cpu")),
   run one after the other (--runs times, alternating). The validation loss is the mean over EVERY
   non-overlapping window of the validation split (111k characters), evaluated --evals times per run
   (nanoGPT's eval_iters=20 random batches are about 15k tokens: noisier by about +-0.01). Its cost is
   timed and reported separately: "training" excludes evaluation, "total" includes it.
The machine's load average is printed next to every figure: under load every number can be 2-5x slower,
so compare figures from the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.data import load_corpus, random_batches, train_val_split
from course_lib.gpt import GPT, GPTConfig
from course_lib.tokenization import CharTokenizer
from course_lib.training import TrainConfig, measure_peak_flops, train
from course_lib.training.perf import make_optimizer

NANOGPT = dict(n_layers=4, n_heads=4, d_model=128, max_len=64, dropout=0.0)
NANOGPT_RECIPE = dict(batch_size=12, lr=1e-3, min_lr=1e-4, warmup_steps=100, max_steps=2000)
TARGET = 1.88


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f}"


class TorchLayerGPT(nn.Module):
    """The same GPT assembled from torch.nn.TransformerEncoderLayer (pre-norm, GELU, causal mask)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        c = config
        self.tok_emb, self.pos_emb = nn.Embedding(c.vocab_size, c.d_model), nn.Embedding(c.max_len, c.d_model)
        layer = nn.TransformerEncoderLayer(c.d_model, c.n_heads, c.d_ff, dropout=c.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, c.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(c.max_len), persistent=False)

    def loss(self, ids, targets):
        T = ids.shape[1]
        x = self.tok_emb(ids) + self.pos_emb(torch.arange(T, device=ids.device))
        x = self.blocks(x, mask=self.mask[:T, :T], is_causal=True)
        logits = self.head(self.norm(x))
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def speed(train_ids, vocab_size: int, threads: int, repeats: int, chunk: int, peak: float) -> dict[str, float]:
    """Tokens/s of full training steps, alternating chunks of steps between the models; medians by name.

    Three models: the course GPT and the torch-layer GPT at nanoGPT's configuration, and the course GPT
    at the notebook's CPU preset (with its own batch), so that section 3 can combine its step counts
    with speeds measured side by side.
    """
    nano = GPTConfig(vocab_size=vocab_size, **NANOGPT)
    preset = GPTConfig.preset("cpu", vocab_size)
    opt_config = TrainConfig(lr=1e-3, betas=(0.9, 0.99))
    gen = torch.Generator().manual_seed(0)
    entries = {  # name: (model, batch size, context)
        "course GPT": (GPT(nano), NANOGPT_RECIPE["batch_size"], nano.max_len),
        "TransformerEncoderLayer GPT": (TorchLayerGPT(nano), NANOGPT_RECIPE["batch_size"], nano.max_len),
        "course GPT, notebook preset": (GPT(preset), GPTConfig.recipe("cpu").batch_size, preset.max_len),
    }
    steps = {name: (m, make_optimizer(m, opt_config), [random_batches(train_ids, T, B, gen) for _ in range(chunk)])
             for name, (m, B, T) in entries.items()}
    rates = {name: [] for name in entries}

    def run(name: str) -> float:
        model, opt, batches = steps[name]
        start = time.perf_counter()
        for x, y in batches:
            model.loss(x, y).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=True)
            opt.step()
            opt.zero_grad(set_to_none=True)
        return sum(x.numel() for x, _ in batches) / (time.perf_counter() - start)

    for name in entries:  # warm-up: thread pools, allocator, first-call costs
        run(name)
    for r in range(repeats):
        for name in (list(entries) if r % 2 == 0 else list(entries)[::-1]):
            rates[name].append(run(name))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratios = [a / b for a, b in zip(rates["course GPT"], rates["TransformerEncoderLayer GPT"])]
    print(f"\n2. speed: full training steps, {threads} threads, {repeats} alternating chunks of {chunk} steps "
          f"per model ({load()})")
    for name, values in rates.items():
        model, B, T = entries[name]
        fpt = (model if isinstance(model, GPT) else entries["course GPT"][0]).flops_per_token()
        print(f"   {name:28s} batch {B:2d} x {T}: {medians[name]:8,.0f} tokens/s (median; range "
              f"{min(values):,.0f}-{max(values):,.0f})  MFU {100 * medians[name] * fpt / peak:4.1f}%  "
              f"({fpt / 1e6:.2f} MFLOPs/token)")
    print(f"   course / TransformerEncoderLayer at nanoGPT's configuration: {statistics.median(ratios):.2f}x "
          "(median of the paired chunks)")
    return medians


def fixed_windows(val_ids: torch.Tensor, T: int, n: int | None) -> torch.Tensor:
    """Starts of n non-overlapping windows of T tokens spread evenly over val_ids (all of them if n is None)."""
    total = (len(val_ids) - 1) // T
    n = total if n is None else min(n, total)
    return torch.arange(n) * (total // n) * T


def time_to_target(name: str, config: GPTConfig, recipe: dict, train_ids, val_ids, args) -> dict:
    """Train with the course engine; times to reach the validation target, with evaluation timed apart."""
    recipe = dict(recipe)
    B, T = recipe.pop("batch_size"), config.max_len
    starts = fixed_windows(val_ids, T, None)
    vb = 64  # windows per validation batch

    def get_batch(split: str, i: int):
        if split == "train":
            return random_batches(train_ids, T, B, torch.Generator().manual_seed(i))
        if i == 0:
            eval_started.append(time.perf_counter())
        idx = starts[i * vb:(i + 1) * vb, None] + torch.arange(T)
        return val_ids[idx], val_ids[idx + 1]

    eval_started, eval_seconds = [], []

    def callback(history) -> bool:
        eval_seconds.append(time.perf_counter() - eval_started[-1])
        return False

    torch.manual_seed(0)
    model = GPT(config)
    cfg = TrainConfig(**recipe, betas=(0.9, 0.99), weight_decay=0.1, grad_clip=1.0,
                      eval_every=max(recipe["max_steps"] // args.evals, 1),
                      eval_steps=math.ceil(len(starts) / vb), log_every=10, compile=False)
    before = load()
    with contextlib.redirect_stderr(io.StringIO()):  # no progress bar in the printed report
        history = train(model, get_batch, cfg, callback=callback, verbose=False)  # MFU: model.flops_per_token()
    result = {"name": name, "history": history, "eval": eval_seconds, "load": f"{before} -> {load()}"}
    for target in (1.89, TARGET):
        hit = next((k for k, v in enumerate(history.val_loss) if v <= target), None)
        if hit is None:
            result[target] = None
        else:
            total = history.val_time[hit]
            result[target] = (history.val_steps[hit], total - sum(eval_seconds[:hit + 1]), total)
    return result


def report(r: dict, B: int, T: int, peak: float, fpt: float) -> None:
    h = r["history"]
    tok_s = statistics.median(h.tokens_per_s[1:] or h.tokens_per_s)
    print(f"   {r['name']}: {h.step} steps of {B} x {T} tokens, {tok_s:,.0f} tokens/s in the engine "
          f"(MFU {100 * tok_s * fpt / peak:.1f}%), {r['load']}")
    print("      validation loss (whole split), last evaluations: "
          + " ".join(f"{v:.3f}" for v in h.val_loss[-6:]) + f" (last 6 of {len(h.val_loss)})")
    for target in (1.89, TARGET):
        if r[target] is None:
            print(f"      val {target}: not reached (final {h.val_loss[-1]:.4f})")
        else:
            step, train_s, total_s = r[target]
            print(f"      val {target}: at step {step}, {train_s:.1f} s training + "
                  f"{total_s - train_s:.1f} s evaluation = {total_s:.1f} s")
    print(f"      whole run {h.elapsed:.1f} s, of which {sum(r['eval']):.1f} s evaluation "
          f"({len(r['eval'])} x {len(h.val_loss) and sum(r['eval']) / len(r['eval']):.2f} s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", help="Tiny Shakespeare text file (default: the course loader)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7, help="speed chunks per model")
    parser.add_argument("--chunk", type=int, default=20, help="steps per speed chunk")
    parser.add_argument("--runs", type=int, default=1, help="time-to-1.88 runs of each recipe, alternating")
    parser.add_argument("--evals", type=int, default=20, help="evaluations per training run")
    parser.add_argument("--skip-runs", action="store_true", help="only the peak and speed measurements")
    parser.add_argument("--only", choices=["nanogpt", "preset"], help="only one of the two time-to-1.88 runs")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    if args.corpus:
        with open(args.corpus, encoding="utf-8") as f:
            text, source = f.read(), args.corpus
    else:
        corpus = load_corpus("tinyshakespeare")
        text, source = corpus.text, f"{corpus.name} ({corpus.source})"
    tok = CharTokenizer.train(text)
    ids = torch.tensor(tok.encode(text))
    train_ids, val_ids = train_val_split(ids, 0.1)
    print(f"corpus {source}: {len(ids):,} characters, vocab {tok.vocab_size}, "
          f"train {len(train_ids):,} / val {len(val_ids):,} (last 10%) | torch {torch.__version__}, "
          f"{args.threads} threads | {load()}")

    peak = measure_peak_flops("cpu", repeats=10)
    print(f"\n1. peak: fp32 matmul {peak / 1e9:.0f} GFLOP/s on {args.threads} threads ({load()}; "
          "170 GFLOP/s measured earlier on an idle machine)")
    rates = speed(train_ids, tok.vocab_size, args.threads, args.repeats, args.chunk, peak)
    if args.skip_runs:
        return 0

    runs = []
    if args.only != "preset":
        runs.append(("nanoGPT recipe", GPTConfig(vocab_size=tok.vocab_size, **NANOGPT), NANOGPT_RECIPE))
    if args.only != "nanogpt":
        r = GPTConfig.recipe("cpu")
        preset_recipe = dict(batch_size=r.batch_size, lr=r.train.lr, min_lr=r.train.min_lr,
                             warmup_steps=r.train.warmup_steps, max_steps=r.train.max_steps)
        runs.append(("notebook CPU preset", GPTConfig.preset("cpu", tok.vocab_size), preset_recipe))
    speed_name = {"nanoGPT recipe": "course GPT", "notebook CPU preset": "course GPT, notebook preset"}
    print(f"\n3. time to validation loss {TARGET} (course engine, {args.threads} threads, {args.evals} evaluations "
          "per run on the whole validation split)")
    for name, config, recipe in runs:
        c = {k: getattr(config, k) for k in ("n_layers", "n_heads", "d_model", "max_len")}
        print(f"   {name}: {c} {recipe}")
    results = {name: [] for name, _, _ in runs}
    for _ in range(args.runs):
        for name, config, recipe in runs:
            r = time_to_target(name, config, recipe, train_ids, val_ids, args)
            report(r, recipe["batch_size"], config.max_len, peak, GPT(config).flops_per_token())
            results[name].append(r)
            sys.stdout.flush()
    # Steps are load-free; the speeds of section 2 were measured side by side. Their product is a training
    # time that a change of load between the two runs cannot skew.
    print(f"\n   steps to {TARGET} (or to the end) x tokens per step / the side-by-side tokens/s of section 2:")
    estimates = {}
    for name, config, recipe in runs:
        r = results[name][-1]
        step = r[TARGET][0] if r[TARGET] else r["history"].step
        estimates[name] = step * recipe["batch_size"] * config.max_len / rates[speed_name[name]]
        print(f"      {name:20s} {step:5d} steps -> {estimates[name]:6.1f} s of training"
              + ("" if r[TARGET] else f" (ends at {r['history'].val_loss[-1]:.3f})"))
    if len(runs) == 2:
        # nanoGPT's reference point is the end of its 2000 steps (val 1.886 on its own, noisier estimate):
        # the recipe's time to 1.88, or its whole run when it ends above 1.88.
        def reference(r: dict) -> tuple[float, float]:
            if r[TARGET]:
                return r[TARGET][1], r[TARGET][2]
            return r["history"].elapsed - sum(r["eval"]), r["history"].elapsed

        a, b = (results[name] for name, _, _ in runs)
        print(f"   notebook preset to {TARGET} / nanoGPT recipe (to {TARGET} or its end):")
        print(f"      side-by-side estimate (training): {estimates[runs[1][0]] / estimates[runs[0][0]]:.2f}x")
        for k, what in ((0, "measured training time (evaluation excluded)"), (1, "measured total time")):
            ratios = [y[TARGET][k + 1] / reference(x)[k] for x, y in zip(a, b) if y[TARGET]]
            if ratios:
                print(f"      {what}: {statistics.median(ratios):.2f}x (load may differ between the runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

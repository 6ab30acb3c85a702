"""course_lib.training: the schedule, the loop against a hand-written reference loop, evaluation,
the stop button, speed reporting, precision, bad input; course_lib.plots.training."""

from __future__ import annotations

import math
import os
import signal

import matplotlib
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.runtime import set_seed
from course_lib.training import TrainConfig, lr_at, measure_peak_flops, peak_flops, resolve_precision, train
from course_lib.training.perf import compile_decision, default_flops_per_token, make_optimizer

matplotlib.use("Agg")

V, T, B = 24, 12, 6
torch.set_num_threads(1)


class TinyLM(nn.Module):
    """Embedding -> dropout -> linear -> ReLU -> LayerNorm -> linear: a next-token model with a .loss."""

    def __init__(self, d: int = 16, dropout: float = 0.1):
        super().__init__()
        self.emb = nn.Embedding(V, d)
        self.drop = nn.Dropout(dropout)
        self.hidden = nn.Linear(d, d)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, V)

    def forward(self, x):  # (B, T) -> (B, T, V)
        return self.out(self.norm(torch.relu(self.hidden(self.drop(self.emb(x))))))

    def loss(self, x, y):
        return F.cross_entropy(self(x).reshape(-1, V), y.reshape(-1))


DATA = (torch.arange(4000) * 7 + torch.arange(4000) // 5) % V  # a learnable pattern


def get_batch(split: str, i: int):
    """The i-th batch: a function of (split, i) alone, as the engine asks."""
    g = torch.Generator().manual_seed(2 * i + (split == "val"))
    ix = torch.randint(0, len(DATA) - T - 1, (B,), generator=g)
    x = torch.stack([DATA[j:j + T] for j in ix])
    y = torch.stack([DATA[j + 1:j + T + 1] for j in ix])
    return x, y


def model(seed: int = 0, **kw) -> TinyLM:
    torch.manual_seed(seed)
    return TinyLM(**kw)


FAST = dict(lr=1e-2, min_lr=1e-3, warmup_steps=3, eval_every=5, eval_steps=2, log_every=4)


# ---------------------------------------------------------------- schedule
def test_lr_at_matches_hand_computed_table():
    cfg = TrainConfig(max_steps=12, warmup_steps=4, lr=1.0, min_lr=0.1)
    # warmup: (s+1)/4; then 0.1 + 0.45 * (1 + cos(pi * (s - 4) / 8)); cos(pi/4) = 0.70710678
    table = {0: 0.25, 1: 0.5, 2: 0.75, 3: 1.0, 4: 1.0, 6: 0.1 + 0.45 * 1.70710678, 8: 0.55,
             10: 0.1 + 0.45 * 0.29289322, 12: 0.1, 50: 0.1}
    for step, expected in table.items():
        assert lr_at(step, cfg) == pytest.approx(expected, abs=1e-8), step
    values = [lr_at(s, cfg) for s in range(4, 13)]
    assert all(a >= b for a, b in zip(values, values[1:])), "the cosine part must never go up"


def test_lr_at_without_warmup_and_all_warmup():
    assert lr_at(0, TrainConfig(max_steps=10, warmup_steps=0, lr=2.0, min_lr=0.0)) == pytest.approx(2.0)
    cfg = TrainConfig(max_steps=4, warmup_steps=4, lr=1.0, min_lr=0.0)
    assert [lr_at(s, cfg) for s in range(5)] == pytest.approx([0.25, 0.5, 0.75, 1.0, 0.0])
    with pytest.raises(ValueError, match="step"):
        lr_at(-1, cfg)


# ---------------------------------------------------------------- config
@pytest.mark.parametrize("field, value", [
    ("lr", 0.0), ("lr", -1e-3), ("max_steps", 0), ("warmup_steps", 11), ("min_lr", 1.0),
    ("precision", "fp8"), ("grad_accum_steps", 0), ("eval_every", 0), ("log_every", 0),
    ("betas", (0.9,)), ("grad_clip", -1.0), ("compile", "yes"), ("weight_decay", -0.1), ("seed", -1),
    ("max_steps", 2.5), ("checkpoint_every", -1),
])
def test_config_rejects_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"TrainConfig\.{field} must be") as err:
        TrainConfig(**{"max_steps": 10, "lr": 1e-3, "min_lr": 1e-4, "warmup_steps": 2, field: value})
    assert str(err.value).endswith(f"got {value!r}"), "the message shows the value it got"


# ---------------------------------------------------------------- the loop against a reference loop
def reference_loop(net: nn.Module, cfg: TrainConfig) -> list[float]:
    """The textbook loop, written out: what train() must do step for step (no logging, no eval)."""
    decay = [p for p in net.parameters() if p.dim() >= 2]
    other = [p for p in net.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=cfg.lr, betas=cfg.betas, fused=True)
    set_seed(cfg.seed)
    losses = []
    for step in range(cfg.max_steps):
        lr = (cfg.lr * (step + 1) / cfg.warmup_steps if step < cfg.warmup_steps else
              cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) *
              (1 + math.cos(math.pi * (step - cfg.warmup_steps) / (cfg.max_steps - cfg.warmup_steps))))
        for g in opt.param_groups:
            g["lr"] = lr
        for micro in range(cfg.grad_accum_steps):
            loss = net.loss(*get_batch("train", step * cfg.grad_accum_steps + micro))
            losses.append(loss.item())
            (loss / cfg.grad_accum_steps).backward()
        nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        opt.step()
        opt.zero_grad()
    return losses


@pytest.mark.parametrize("accum", [1, 2])
def test_train_matches_a_hand_written_loop(accum):
    cfg = TrainConfig(max_steps=12, grad_clip=0.5, grad_accum_steps=accum, **FAST)
    ours, ref = model(), model()
    history = train(ours, get_batch, cfg, verbose=False)
    ref_losses = reference_loop(ref, cfg)
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0, msg=name)
    # logged train loss = mean of the per-micro-batch losses since the previous log step
    per_step = [sum(ref_losses[i:i + accum]) / accum for i in range(0, len(ref_losses), accum)]
    assert history.steps == [4, 8, 12]
    expected = [sum(per_step[a:b]) / (b - a) for a, b in ((0, 4), (4, 8), (8, 12))]
    assert history.train_loss == pytest.approx(expected, rel=1e-6)
    assert history.tokens_seen == 12 * accum * B * T
    assert history.lr == pytest.approx([lr_at(s - 1, cfg) for s in (4, 8, 12)])


def test_training_lowers_the_loss_and_evaluates_on_schedule():
    cfg = TrainConfig(max_steps=40, lr=3e-2, min_lr=3e-3, warmup_steps=5, eval_every=15, eval_steps=3,
                      log_every=10)
    net = model()
    seen_modes = []

    def eval_fn(m):
        seen_modes.append(m.training)
        return {"pattern_accuracy": 0.5}

    history = train(net, get_batch, cfg, eval_fn=eval_fn, verbose=False)
    assert history.val_steps == [0, 15, 30, 40]
    assert history.val_loss[-1] < history.val_loss[0] - 0.5
    assert history.val_loss[0] == pytest.approx(math.log(V), abs=0.3), "untrained loss should be near ln(V)"
    assert history.train_loss[-1] < history.train_loss[0]
    assert seen_modes == [False] * 4 and net.training, "eval in eval mode, then back to train mode"
    assert history.metrics == {"pattern_accuracy": [0.5] * 4}
    assert history.step == 40 and not history.interrupted
    # the last validation loss is the mean loss of the final model on the first eval_steps val batches
    net.eval()
    with torch.no_grad():
        again = sum(net.loss(*get_batch("val", i)).item() for i in range(3)) / 3
    assert history.val_loss[-1] == pytest.approx(again, rel=1e-5)
    assert history.time_to(history.val_loss[-1]) <= history.val_time[-1]
    assert history.time_to(-1.0) == math.inf


def test_weight_decay_only_on_matrices():
    opt = make_optimizer(model(), TrainConfig(weight_decay=0.3))
    shapes = {g["weight_decay"]: [tuple(p.shape) for p in g["params"]] for g in opt.param_groups}
    assert all(len(s) >= 2 for s in shapes[0.3])
    assert sorted(shapes[0.0]) == sorted([(16,), (16,), (16,), (V,)])  # biases and LayerNorm gain/bias


# ---------------------------------------------------------------- stopping early
def test_ctrl_c_stops_after_the_current_step_and_keeps_the_history(capsys):
    def pressing_stop(split, i):
        if split == "train" and i == 6:
            os.kill(os.getpid(), signal.SIGINT)  # what the notebook's stop button sends
        return get_batch(split, i)

    before = signal.getsignal(signal.SIGINT)
    history = train(model(), pressing_stop, TrainConfig(max_steps=30, **FAST))
    assert history.interrupted and history.step == 7, "step 6 finishes, then the loop stops"
    assert signal.getsignal(signal.SIGINT) is before, "the usual Ctrl-C handler is put back"
    out = capsys.readouterr().out
    start_line, stop_line = out.strip().splitlines()  # one line to start, one to say where it stopped
    assert stop_line.startswith("stopped at step 7 of 30") and "train loss" in stop_line


def test_a_second_ctrl_c_stops_at_once():
    def pressing_twice(split, i):
        if split == "train" and i == 6:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)  # impatient: the step is abandoned
        return get_batch(split, i)

    history = train(model(), pressing_twice, TrainConfig(max_steps=30, **FAST), verbose=False)
    assert history.interrupted and history.step == 6


def test_keyboard_interrupt_mid_step_stops_at_once():
    net = model()

    def broken(split, i):
        if split == "train" and i == 4:
            raise KeyboardInterrupt
        return get_batch(split, i)

    history = train(net, broken, TrainConfig(max_steps=30, **FAST), verbose=False)
    assert history.interrupted and history.step == 4 and history.steps == [4]
    assert all(p.grad is None for p in net.parameters())


def test_callback_can_stop_training():
    calls = []
    history = train(model(), get_batch, TrainConfig(max_steps=30, **FAST), verbose=False,
                    callback=lambda h: calls.append(h.step) or h.step >= 10)
    assert calls == [0, 5, 10] and history.step == 10 and not history.interrupted


# ---------------------------------------------------------------- speed reporting and precision
def test_tokens_per_s_and_mfu_are_consistent():
    history = train(model(), get_batch, TrainConfig(max_steps=8, **FAST), verbose=False,
                    flops_per_token=lambda m: 1000.0)
    peak, source = peak_flops("cpu", "fp32")
    assert source == "measured" and 1e8 < peak < 1e14
    assert all(t > 0 for t in history.tokens_per_s)
    assert history.mfu == pytest.approx([t * 1000.0 / peak for t in history.tokens_per_s])
    assert default_flops_per_token(model()) == 6 * sum(p.numel() for p in model().parameters())
    counted = model()
    counted.flops_per_token = lambda: 1234.0  # a model that counts its own FLOPs is asked first
    assert default_flops_per_token(counted) == 1234.0


def test_measure_peak_flops_is_a_plausible_cpu_figure():
    flops = measure_peak_flops("cpu", n=256, repeats=3)
    assert 1e8 < flops < 1e14  # 0.1 GFLOP/s .. 100 TFLOP/s


def test_precision_choices():
    assert resolve_precision("auto", torch.device("cpu")) == "fp32"
    assert resolve_precision("bf16", torch.device("cpu")) == "bf16"
    with pytest.raises(ValueError, match="fp16.*CUDA"):
        resolve_precision("fp16", torch.device("cpu"))
    with pytest.raises(ValueError, match="fp16"):
        train(model(), get_batch, TrainConfig(max_steps=3, precision="fp16", **FAST), device="cpu", verbose=False)


def test_bf16_autocast_on_cpu_trains():
    history = train(model(dropout=0.0), get_batch, TrainConfig(max_steps=20, precision="bf16", lr=3e-2,
                    warmup_steps=2, eval_every=10, eval_steps=2), verbose=False)
    assert history.val_loss[-1] < history.val_loss[0] - 0.3


def test_compile_decision(monkeypatch):
    cpu = torch.device("cpu")
    assert compile_decision("auto", cpu) == (False, None)
    assert compile_decision(False, cpu) == (False, None)
    assert compile_decision(True, cpu) == (True, None)
    monkeypatch.setattr("platform.system", lambda: "Windows")
    use, why = compile_decision(True, cpu)
    assert not use and "Windows" in why


# ---------------------------------------------------------------- bad input
def test_get_batch_must_return_a_tuple():
    with pytest.raises(TypeError, match=r"get_batch\('(val|train)', 0\) must return .*tuple.*Tensor"):
        train(model(), lambda split, i: get_batch(split, i)[0], TrainConfig(max_steps=3, **FAST), verbose=False)
    with pytest.raises(TypeError, match="get_batch must be a function"):
        train(model(), [1, 2], TrainConfig(max_steps=3, **FAST), verbose=False)


def test_model_without_loss_needs_loss_fn():
    net = nn.Sequential(nn.Embedding(V, 8), nn.Linear(8, V))
    with pytest.raises(TypeError, match="no .loss.*loss_fn"):
        train(net, get_batch, TrainConfig(max_steps=3, **FAST), verbose=False)

    def loss_fn(m, batch):
        x, y = batch
        return F.cross_entropy(m(x).reshape(-1, V), y.reshape(-1))

    history = train(net, get_batch, TrainConfig(max_steps=3, **FAST), loss_fn=loss_fn, verbose=False)
    assert history.step == 3
    with pytest.raises(TypeError, match="scalar tensor.*shape"):
        train(net, get_batch, TrainConfig(max_steps=3, **FAST), loss_fn=lambda m, b: m(b[0]), verbose=False)


def test_bad_config_eval_fn_and_diverging_loss():
    with pytest.raises(TypeError, match="TrainConfig"):
        train(model(), get_batch, {"max_steps": 3}, verbose=False)
    with pytest.raises(TypeError, match="eval_fn.*dict"):
        train(model(), get_batch, TrainConfig(max_steps=3, **FAST), eval_fn=lambda m: 3.0, verbose=False)
    with pytest.raises(FloatingPointError, match="learning rate"):
        train(model(), get_batch, TrainConfig(max_steps=4, **FAST), verbose=False,
              loss_fn=lambda m, b: m.loss(*b) * float("nan"))


# ---------------------------------------------------------------- plots
def test_plot_history_and_live_plot_outside_a_notebook():
    from course_lib.plots.training import LivePlot, plot_history, plot_lr_schedule

    history = train(model(), get_batch, TrainConfig(max_steps=10, **FAST), verbose=False)
    ax = plot_history(history)
    train_line, val_line = ax.get_lines()
    assert list(train_line.get_xdata()) == history.steps and list(val_line.get_ydata()) == history.val_loss
    assert ax.get_xlabel() and ax.get_ylabel() == "loss" and ax.get_title()
    ax = plot_lr_schedule(TrainConfig(max_steps=10, warmup_steps=2))
    assert ax.get_lines()[0].get_ydata()[1] == pytest.approx(1e-3)
    live = LivePlot()
    assert live(history) is None and live.figure is None, "outside a notebook LivePlot draws nothing"
    with pytest.raises(TypeError, match="History"):
        plot_history({"steps": []})
    with pytest.raises(ValueError, match="every"):
        LivePlot(every=0)

"""The training loop every training notebook uses: `train(model, get_batch, config)`.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (10 explains how it is made fast).
The model computes its own loss: `loss_fn(model, batch)`, by default `model.loss(*batch)`.
Data: `get_batch(split, i)` returns the i-th batch of "train" or "val" as a tuple of tensors. With one
process and grad_accum_steps=1, i is the step. Make it a function of i alone (e.g. a generator seeded
with i) and a resumed run sees exactly the batches the uninterrupted run would have seen.
Tokens (for tokens/s and MFU) are the elements of each batch's first tensor, e.g. input ids (B, T).

One step (`Run.train_step`): forward under autocast, backward (through a gradient scaler for fp16),
clip the gradient norm, AdamW step with the scheduled learning rate. For speed nothing waits for the
device except at log steps: the losses stay tensors until then. The first Ctrl-C (the stop button in a
notebook) or SIGTERM stops after the current step and returns the model and its History; with a
checkpoint_path the location is checked and locked before the first step (guard.py).
Deliberately left out: data loaders, early-stopping rules, EMA weights, more than one optimizer.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from course_lib.runtime import set_seed
from course_lib.util import evaluating

from .checkpoint import get_rng_states, load_checkpoint, save_checkpoint, set_rng_states, unwrap
from .config import TrainConfig
from .distributed import (all_reduce_sum, any_process, cleanup_distributed, gather_objects, init_distributed,
                          pick_train_device, process_rank)
from .guard import CheckpointGuard
from .history import History
from .interrupt import StopButton
from .perf import (autocast_context, compile_decision, default_flops_per_token, make_optimizer, make_scaler,
                   peak_flops, resolve_precision)
from .schedule import lr_at
from .step import LossModule, check_arguments, check_loss, fetch


def train(model: nn.Module, get_batch: Callable, config: TrainConfig | None = None, *,
          loss_fn: Callable | None = None, eval_fn: Callable | None = None, device=None,
          resume_from=None, flops_per_token: float | Callable | None = None,
          callback: Callable | None = None, verbose: bool = True) -> History:
    """Train `model` in place for config.max_steps updates and return its History.

    loss_fn(model, batch) -> scalar loss tensor (default: model.loss(*batch)).
    eval_fn(model) -> {"name": number}: extra metrics at each evaluation (model in eval mode, no grad).
    device: default cuda > mps > cpu (under torchrun: this process's GPU).
    resume_from: a checkpoint to continue; an existing config.checkpoint_path is resumed too.
    flops_per_token: for MFU; a number or a function of the model (default: the model's own
        flops_per_token() where it has one, as GPT and Bert do, else 6 x parameters).
    callback(history): called after each evaluation on the main process; returning True stops.
    verbose: show the progress bar and print a line at the start and at the end.
    """
    config, loss_fn = check_arguments(model, get_batch, config, loss_fn, eval_fn, callback, flops_per_token)
    # Nothing lost: before anything else, the checkpoint location is checked and locked (guard.py).
    guard = CheckpointGuard(config.checkpoint_path, main=process_rank() == 0, verbose=verbose)
    guard.open(needed_bytes=3 * sum(p.numel() * p.element_size() for p in model.parameters()))
    try:
        run = Run(unwrap(model), get_batch, config, loss_fn, eval_fn, device, flops_per_token, callback, verbose,
                  guard)
        try:
            if resume_from is None and config.checkpoint_path and os.path.exists(config.checkpoint_path):
                resume_from = config.checkpoint_path
            if resume_from is not None:
                run.resume(resume_from)
            return run.loop()
        finally:
            cleanup_distributed(run.dist)
    finally:
        guard.close()


class Run:
    """The state of one training run: model, optimizer, step counter, history, and how to advance them."""

    def __init__(self, model, get_batch, config, loss_fn, eval_fn, device, flops_per_token, callback, verbose, guard):
        self.model, self.get_batch, self.config = model, get_batch, config
        self.eval_fn, self.callback, self.guard = eval_fn, callback, guard
        # Where: one process, or one of many under torchrun (then this process's GPU, or the CPU).
        self.dist = init_distributed()
        self.main = self.dist.is_main
        self.verbose = verbose and self.main
        self.device = pick_train_device(self.dist, device)
        # How: precision, optimizer, compile, and DDP around model + loss.
        self.precision = resolve_precision(config.precision, self.device)
        if self.device.type == "cuda":  # fp32 matmuls on tensor cores (TF32): much faster, accurate enough
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        model.to(self.device).train()
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(model, config)
        self.scaler = make_scaler(self.precision, self.device)
        self.autocast = autocast_context(self.precision, self.device)
        self.compiled, why_not = compile_decision(config.compile, self.device)
        self.say(why_not)
        self.forward = self.eval_forward = LossModule(model, loss_fn)
        if self.compiled:
            self.forward = self.eval_forward = torch.compile(self.forward)
        if self.dist.enabled:  # averages the gradients of all processes during backward
            self.forward = nn.parallel.DistributedDataParallel(
                self.forward, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        # What to report: FLOPs per token and the device's peak, for MFU (measured once, before the clock).
        fpt = flops_per_token(model) if callable(flops_per_token) else flops_per_token
        self.flops_per_token = fpt or default_flops_per_token(model)
        self.peak, _ = peak_flops(self.device, self.precision)
        self.history = History()
        self.pending, self.pending_tokens = [], 0  # losses (tensors) and tokens since the last log
        set_seed(config.seed + self.dist.rank)  # each process draws different dropout masks

    def say(self, line: str | None) -> None:
        if line and self.verbose:
            print(line)

    def resume(self, path) -> None:
        """Continue a saved run: weights, optimizer, scaler, step, history, generators, pending losses."""
        ckpt = load_checkpoint(path, self.model, self.optimizer, self.scaler, map_location=self.device)
        self.history = ckpt["history"] or History(step=ckpt["step"])
        self.history.interrupted = False
        set_rng_states(ckpt["rng"][self.dist.rank % len(ckpt["rng"])])
        self.pending = [torch.tensor(v, device=self.device) for v in ckpt["extra"].get("pending_losses", [])]
        self.pending_tokens = ckpt["extra"].get("pending_tokens", 0)
        if self.config.checkpoint_path and os.path.exists(self.config.checkpoint_path) and \
                os.path.samefile(path, self.config.checkpoint_path):
            self.guard.saved_step = self.history.step
        self.say(f"resumed from {path} at step {self.history.step}")

    def train_step(self, step: int) -> float:
        """One optimizer update (over grad_accum_steps micro-batches); returns the learning rate used."""
        lr = lr_at(step, self.config)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        accum, world, rank = self.config.grad_accum_steps, self.dist.world_size, self.dist.rank
        losses, tokens = [], 0
        for micro in range(accum):
            batch = fetch(self.get_batch, "train", (step * accum + micro) * world + rank, self.device)
            if self.dist.enabled:  # average gradients across processes on the last micro-step only
                self.forward.require_backward_grad_sync = micro == accum - 1
            with self.autocast:
                loss = check_loss(self.forward(*batch))
            losses.append(loss.detach())  # a tensor: reading its value would wait for the device
            tokens += batch[0].numel() if isinstance(batch[0], torch.Tensor) else 0
            if accum > 1:
                loss = loss / accum  # gradients add up over micro-batches: average them
            (self.scaler.scale(loss) if self.scaler else loss).backward()
        if self.scaler:
            self.scaler.unscale_(self.optimizer)  # clip the true gradients, not the scaled ones
        if self.config.grad_clip > 0:
            nn.utils.clip_grad_norm_(self.params, self.config.grad_clip, foreach=True)
        if self.scaler:
            self.scaler.step(self.optimizer)  # skips the update if fp16 gradients overflowed
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.pending += losses  # only now: a step stopped halfway leaves no trace
        self.pending_tokens += tokens
        return lr

    def clock(self) -> float:
        """Seconds of training so far, over all sessions of this run."""
        return self.history.elapsed + time.perf_counter() - self.t_start

    def log(self, step: int, lr: float) -> None:
        """Record the mean training loss since the last log, the learning rate and the speed."""
        h = self.history
        losses = torch.stack(self.pending).float().tolist() if self.pending else []  # waits for the device
        loss_sum, count, tokens = all_reduce_sum([sum(losses), len(losses), self.pending_tokens],
                                                 self.dist, self.device)
        now = time.perf_counter()
        loss, tokens_per_s = loss_sum / max(count, 1), tokens / max(now - self.t_log, 1e-9)
        if not math.isfinite(loss):
            raise FloatingPointError(f"the training loss is {loss} at step {step}: lower the learning rate "
                                     f"(lr={self.config.lr}) or check the data and the model")
        h.step = step
        h.steps.append(step), h.train_loss.append(loss), h.lr.append(lr), h.time.append(self.clock())
        h.tokens_per_s.append(tokens_per_s)
        h.mfu.append(tokens_per_s * self.flops_per_token / (self.peak * self.dist.world_size))
        h.tokens_seen += int(tokens)
        self.pending, self.pending_tokens, self.t_log = [], 0, now
        self.postfix.update(loss=f"{loss:.4f}", lr=f"{lr:.2e}", tok_s=f"{tokens_per_s:,.0f}")
        self.bar.set_postfix(self.postfix, refresh=False)

    def evaluate(self, step: int) -> bool:
        """Validation loss (and eval_fn's metrics) at this step; True if the callback asks to stop."""
        cfg, h, world = self.config, self.history, self.dist.world_size
        start = time.perf_counter()
        with evaluating(self.model), torch.no_grad():  # dropout off; back in training mode afterwards
            if cfg.eval_steps:
                total = torch.zeros((), device=self.device)
                for i in range(cfg.eval_steps):
                    batch = fetch(self.get_batch, "val", i * world + self.dist.rank, self.device)
                    with self.autocast:
                        total += check_loss(self.eval_forward(*batch), need_grad=False).float()
                val = all_reduce_sum([total.item()], self.dist, self.device)[0] / (cfg.eval_steps * world)
                h.val_loss.append(val)
                self.postfix["val"] = f"{val:.4f}"
            metrics = self.eval_fn(self.model) if (self.eval_fn is not None and self.main) else {}
        if not isinstance(metrics, dict):
            raise TypeError(f"eval_fn(model) must return a dict such as {{'bleu': 91.5}}, got {metrics!r}")
        for name, value in metrics.items():
            h.metrics.setdefault(name, []).append(float(value))
        h.step = step
        h.val_steps.append(step), h.val_time.append(self.clock())
        stop = bool(self.callback(h)) if (self.callback is not None and self.main) else False
        self.t_log += time.perf_counter() - start  # evaluating and plotting do not count against tokens/s
        return any_process(stop, self.dist, self.device)

    def save(self, step: int) -> None:
        """Write the checkpoint (rank 0), with every process's generator states; a failed write is reported."""
        rng = gather_objects(get_rng_states(), self.dist)
        if self.main and self.guard.saved_step != step:
            saved = dataclasses.replace(self.history, step=step, elapsed=self.clock())
            extra = {"pending_losses": [float(x) for x in self.pending], "pending_tokens": self.pending_tokens}
            self.guard.save(step, lambda: save_checkpoint(self.config.checkpoint_path, self.model, self.optimizer,
                                                          self.scaler, step, saved, self.config, rng, extra),
                            self.button)

    def loop(self) -> History:
        """Steps until max_steps, the stop button or the callback; logs, evaluates, saves on schedule."""
        cfg, h = self.config, self.history
        step = h.step
        evaluates = bool(cfg.eval_steps or self.eval_fn)
        self.say(f"training {sum(p.numel() for p in self.params):,} parameters on {self.device}"
                 + (f" x {self.dist.world_size} processes" if self.dist.enabled else "")
                 + f" | {self.precision} | compile {'on' if self.compiled else 'off'} | steps {step}->{cfg.max_steps}")
        self.bar = tqdm(total=cfg.max_steps, initial=step, disable=not self.verbose, desc="training", unit="step",
                        dynamic_ncols=True)
        self.postfix = {}  # what the progress bar shows after the counts
        self.t_start = self.t_log = time.perf_counter()
        stopped = None  # why the loop ended early: "stop button", "SIGTERM", "interrupted" or "callback"
        try:
            with StopButton(enabled=not self.dist.enabled) as self.button:
                try:
                    if step == 0 and not h.val_steps and evaluates and self.evaluate(step):
                        stopped = "callback"  # the untrained model is evaluated too
                    while step < cfg.max_steps and stopped is None:
                        lr = self.train_step(step)
                        step += 1
                        self.bar.update()
                        last = step == cfg.max_steps
                        if step % cfg.log_every == 0 or last:
                            self.log(step, lr)
                        if (step % cfg.eval_every == 0 or last) and evaluates and self.evaluate(step):
                            stopped = "callback"
                        if cfg.checkpoint_path and cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                            self.save(step)
                        if self.button.pressed:
                            stopped = self.button.reason
                    self.button.hold()  # the run is ending: a signal from here on waits for the final save
                except KeyboardInterrupt:  # a second Ctrl-C, or one outside the main thread: stop now
                    self.button.hold()
                    self.optimizer.zero_grad(set_to_none=True)
                    stopped = "interrupted"
                h.step, h.interrupted = step, stopped not in (None, "callback")
                if cfg.checkpoint_path and not (stopped == "interrupted" and self.dist.enabled):
                    self.save(step)  # unless the file already holds this step
        finally:
            self.bar.close()
            h.elapsed = self.clock()
        note = self.guard.note()
        if h.interrupted:
            again = " (train again with the same checkpoint_path to continue)" if self.guard.saved_step else ""
            self.say(f"stopped at step {step} of {cfg.max_steps} ({stopped}); the model and its history are kept"
                     + again + f": {h.summary()}{note}")
            if self.callback is not None and self.main:
                self.callback(h)  # e.g. the live plot draws the last points
        else:
            self.say(h.summary() + note)
        return h

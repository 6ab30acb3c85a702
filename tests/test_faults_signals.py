"""Nothing lost, with real signals: child python processes run a tiny training loop and this test sends
them SIGINT (the notebook's stop button), SIGTERM (Colab, Slurm, `timeout`) or SIGKILL at different
moments, starts a second run on the same checkpoint, or fills the disk. After every run the checkpoint
must load (weights_only=True) and hold the step and the history that train() returned, and nothing may
be left beside it. Each test counts its runs and the runs that lost anything, prints the counts
(`pytest -s` shows them) and fails if any run lost anything."""

from __future__ import annotations

import json
import os
import pathlib
import queue
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from course_lib.training import load_checkpoint

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# The child: runs one training per path in opts["paths"] and reports each step and each result as JSON.
CHILD = r'''
import json, os, resource, signal, sys, time
import torch, torch.nn.functional as F
from torch import nn
import course_lib.training.checkpoint as ckpt_module
from course_lib.training import TrainConfig, train

opts = json.loads(sys.argv[1])
torch.set_num_threads(1)
V, T, B = 16, 8, 4
RUN = 0

def emit(**event):
    print(json.dumps(event), flush=True)

class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb, self.out = nn.Embedding(V, 32), nn.Linear(32, V)
    def loss(self, x, y):
        return F.cross_entropy(self.out(self.emb(x)).reshape(-1, V), y.reshape(-1))

DATA = (torch.arange(2000) * 5 + torch.arange(2000) // 3) % V

def get_batch(split, i):
    if split == "train":
        emit(event="step", run=RUN, i=i)
        time.sleep(opts.get("step_s", 0.02))  # a step that takes a while, like a real one
    g = torch.Generator().manual_seed(2 * i + (split == "val"))
    ix = torch.randint(0, len(DATA) - T - 1, (B,), generator=g)
    return torch.stack([DATA[j:j + T] for j in ix]), torch.stack([DATA[j + 1:j + T + 1] for j in ix])

if opts.get("save_s"):  # a slow disk: a save takes save_s seconds, and says when it starts
    real_save = ckpt_module.torch.save
    def slow_save(obj, f):
        emit(event="saving", run=RUN, step=obj["step"])
        real_save(obj, f)
        time.sleep(opts["save_s"])
    ckpt_module.torch.save = slow_save

for RUN, path in enumerate(opts["paths"]):
    fsize = opts.get("fsize", [None] * len(opts["paths"]))[RUN]
    if fsize:  # a full disk: no file may grow past fsize bytes (the kernel enforces it)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize or hard, hard))
    steps = opts.get("max_steps", 400)
    config = TrainConfig(max_steps=steps if isinstance(steps, int) else steps[RUN], lr=1e-2, min_lr=1e-3,
                         warmup_steps=2, eval_every=10, eval_steps=1, log_every=1, checkpoint_path=path,
                         checkpoint_every=opts.get("every", 0))
    try:
        history = train(Tiny(), get_batch, config, verbose=opts.get("verbose", False))
    except Exception as err:
        emit(event="error", run=RUN, type=type(err).__name__, message=str(err))
        continue
    emit(event="done", run=RUN, step=history.step, interrupted=history.interrupted, logged=history.steps)
'''


class Child:
    """A child training process whose JSON events can be waited for (polling, with a timeout)."""

    def __init__(self, tmp_path: pathlib.Path, **opts):
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(opts)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                     env=os.environ | {"OMP_NUM_THREADS": "1"})
        self.queue, self.events, self.lines, self.err = queue.Queue(), [], [], []
        self.readers = [threading.Thread(target=self._read, daemon=True),
                        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True)]
        for r in self.readers:
            r.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self.queue.put(json.loads(line))
            except ValueError:
                self.lines.append(line)

    def wait_for(self, want, timeout: float = 90.0) -> dict:
        """The next event for which want(event) is true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.queue.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self.queue.empty():
                    break
                continue
            self.events.append(event)
            if want(event):
                return event
        raise AssertionError(f"no such event (exit code {self.proc.poll()}); last events {self.events[-3:]}; "
                             f"stderr: {''.join(self.err)[-2000:]}")

    def send(self, sig) -> None:
        os.kill(self.proc.pid, sig)

    def finish(self, timeout: float = 120.0) -> int:
        code = self.proc.wait(timeout)
        for r in self.readers:
            r.join(timeout)
        while not self.queue.empty():
            self.events.append(self.queue.get())
        return code

    def result(self, run: int) -> dict | None:
        return next((e for e in self.events if e["run"] == run and e["event"] in ("done", "error")), None)


def losses(path: pathlib.Path, done: dict | None) -> list[str]:
    """What a run lost: its history (train did not return), its checkpoint, or files left beside it."""
    lost = []
    if done is None or done["event"] != "done":
        lost.append(f"train() did not return the history: {done}")
    if not path.exists():
        return lost + ["no checkpoint"]
    try:
        ckpt = load_checkpoint(path)
    except Exception as err:
        return lost + [f"unreadable checkpoint: {err}"]
    if done and done["event"] == "done":
        if ckpt["step"] != done["step"]:
            lost.append(f"the checkpoint holds step {ckpt['step']}, the run ended at step {done['step']}")
        if ckpt["history"].steps != done["logged"]:
            lost.append("the history in the checkpoint differs from the one returned")
    left = sorted(p.name for p in path.parent.iterdir() if p.name.startswith((f".{path.name}.", f"{path.name}.")))
    if left:
        lost.append(f"left beside the checkpoint: {left}")
    return lost


def report(name: str, tried: int, lost: dict) -> None:
    print(f"\n{name}: {tried} runs, {len(lost)} lost anything")
    assert not lost, f"{name}: runs that lost something: {lost}"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_any_moment_saves_then_stops(tmp_path, sig):
    moments = [(1, 0.0), (4, 0.005), (5, 0.012), (9, 0.019), (10, 0.003), (16, 0.01), (23, 0.015)]
    paths = [tmp_path / f"run{k}.pt" for k in range(len(moments))]
    child = Child(tmp_path, paths=[str(p) for p in paths], every=5)
    sent = []
    for k, (at, delay) in enumerate(moments):  # a step index, then a little into that step (or a save)
        child.wait_for(lambda e, k=k, at=at: e == {"event": "step", "run": k, "i": at})
        time.sleep(delay)
        child.send(sig)
        sent.append(at)
        child.wait_for(lambda e, k=k: e["run"] == k and e["event"] in ("done", "error"))
    assert child.finish() == 0, "".join(child.err)[-2000:]
    lost = {}
    for k, path in enumerate(paths):
        done = child.result(k)
        problems = losses(path, done)
        if done and done["event"] == "done" and not (done["interrupted"] and sent[k] <= done["step"] < 400):
            problems.append(f"signal at step {sent[k]} but the run ended at step {done['step']}")
        if problems:
            lost[k] = problems
    report(f"{signal.Signals(sig).name} at {len(moments)} moments", len(moments), lost)


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM], ids=["then SIGINT", "then SIGTERM"])
def test_a_second_signal_during_the_final_save_does_not_lose_it(tmp_path, second):
    """Ctrl-C, then (impatient) a second signal while the final checkpoint is written, or just before."""
    into_save = [None, 0.0, 0.1, 0.3, 0.6]  # None: right after the first, before the save starts
    paths = [tmp_path / f"run{k}.pt" for k in range(len(into_save))]
    child = Child(tmp_path, paths=[str(p) for p in paths], save_s=1.0)  # a save that takes 1 s
    for k, delay in enumerate(into_save):
        child.wait_for(lambda e, k=k: e == {"event": "step", "run": k, "i": 3 + k})
        child.send(signal.SIGINT)
        if delay is None:
            child.send(second)
        else:
            child.wait_for(lambda e, k=k: e["event"] == "saving" and e["run"] == k)
            time.sleep(delay)
            child.send(second)
        child.wait_for(lambda e, k=k: e["run"] == k and e["event"] in ("done", "error"))
    assert child.finish() == 0, "".join(child.err)[-2000:]
    lost = {k: p for k, path in enumerate(paths) if (p := losses(path, child.result(k)))}
    report(f"SIGINT then {signal.Signals(second).name} during the final save", len(into_save), lost)


def test_sigkill_at_any_moment_then_the_next_run_resumes(tmp_path):
    """A run killed outright (no chance to save) keeps its last complete checkpoint; the next run on the
    same path removes the killed run's temporary file, takes over its lock and resumes from that checkpoint."""
    rng = random.Random(0)
    n, every, max_steps = 6, 3, 40
    paths = [tmp_path / f"run{k}.pt" for k in range(n)]
    lost, killed_in_save = {}, 0
    for k, path in enumerate(paths):
        child = Child(tmp_path, paths=[str(path)], every=every, save_s=0.15, max_steps=max_steps)
        at = 4 + 5 * k
        if k % 2:  # kill while a checkpoint is being written (the temporary file is complete, not yet renamed)
            child.wait_for(lambda e, at=at: e["event"] == "saving" and e["step"] >= at)
            time.sleep(rng.uniform(0.0, 0.12))
            killed_in_save += 1
        else:  # kill in the middle of a step
            child.wait_for(lambda e, at=at: e == {"event": "step", "run": 0, "i": at})
            time.sleep(rng.uniform(0.0, 0.02))
        child.send(signal.SIGKILL)
        child.finish()
        done_saves = [e["step"] for e in child.events if e["event"] == "saving"
                      and any(s["event"] == "step" and s["i"] >= e["step"] for s in child.events)]
        expect = max(done_saves, default=0)
        step = load_checkpoint(path)["step"] if path.exists() else 0
        if step < expect:
            lost[k] = [f"killed after the save of step {expect} completed, but the checkpoint holds step {step}"]
        assert (tmp_path / f"{path.name}.lock").exists(), "a killed run cannot remove its lock"
    stale = len(list(tmp_path.glob(".run*.pt.*.tmp")))  # temporary files of saves cut short
    resume = Child(tmp_path, paths=[str(p) for p in paths], every=every, step_s=0.0, max_steps=max_steps,
                   verbose=True)
    assert resume.finish() == 0, "".join(resume.err)[-2000:]
    for k, path in enumerate(paths):
        problems = losses(path, resume.result(k))
        done = resume.result(k)
        if done and done["event"] == "done" and done["logged"] != list(range(1, max_steps + 1)):
            problems.append("the resumed history does not continue the killed run's history")
        if problems:
            lost.setdefault(k, []).extend(problems)
    said = "".join(resume.lines)
    assert said.count("took over the lock of an earlier run") == n, said
    assert said.count("removed 1 unfinished checkpoint file(s)") == stale, said
    report(f"SIGKILL at {n} moments ({killed_in_save} during a save, {stale} temporary files left), then resumed",
           n, lost)


def test_two_runs_on_one_checkpoint_the_second_is_refused(tmp_path):
    runs = 2
    paths = [tmp_path / f"run{k}.pt" for k in range(runs)]
    first = Child(tmp_path, paths=[str(p) for p in paths], every=4, step_s=0.05)  # 20 s unless stopped
    lost, refused = {}, 0
    for k, path in enumerate(paths):
        first.wait_for(lambda e, k=k: e == {"event": "step", "run": k, "i": 6})
        second = Child(tmp_path, paths=[str(path)] * 2)  # two attempts
        assert second.finish() == 0
        results = [e for e in second.events if e["event"] in ("error", "done")]
        refused += sum(e["event"] == "error" and "being written by another training run" in e["message"]
                       and f"pid {first.proc.pid}" in e["message"] for e in results)
        if any(e["event"] == "step" for e in second.events) or len(results) != 2:
            lost[f"second run {k}"] = ["the second run trained on a checkpoint another run holds"]
        assert (tmp_path / f"{path.name}.lock").exists(), "the refused run leaves the lock alone"
        first.send(signal.SIGINT)
        first.wait_for(lambda e, k=k: e["run"] == k and e["event"] in ("done", "error"))
    assert first.finish() == 0
    for k, path in enumerate(paths):
        if problems := losses(path, first.result(k)):
            lost[k] = problems
    assert refused == 2 * runs, f"{refused} of {2 * runs} attempts were refused"
    report(f"a second run started during {runs} runs ({refused} attempts refused)", runs, lost)


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
def test_a_full_disk_loses_nothing_that_was_saved(tmp_path):
    """The kernel refuses to let any file grow past 2000 bytes (as a full disk would): every save fails,
    yet train returns the history, the earlier checkpoint stays intact and a line says so."""
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    child = Child(tmp_path, paths=[str(a), str(b), str(b)], fsize=[2000, None, 2000], max_steps=[12, 12, 24],
                  every=4, step_s=0.0)
    assert child.finish() == 0, "".join(child.err)[-2000:]
    err = "".join(child.err)
    lost = {}
    first, second, third = (child.result(k) for k in range(3))
    if first is None or first["event"] != "done" or first["step"] != 12 or a.exists():
        lost[0] = [f"no checkpoint could be written, yet: {first}, file exists: {a.exists()}"]
    if second is None or second["event"] != "done":
        lost[1] = [f"{second}"]
    if third is None or third["event"] != "done" or third["step"] != 24 or load_checkpoint(b)["step"] != 12:
        lost[2] = [f"the earlier checkpoint (step 12) must survive: {third}"]
    left = sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".pt")
    if left:
        lost["files"] = [f"left behind: {left}"]
    assert "File too large" in err and f"there is no checkpoint at {str(a)!r}" in err
    assert f"{str(b)!r} still holds the checkpoint of step 12" in err
    report("saves refused by a full disk", 3, lost)

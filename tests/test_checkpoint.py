"""course_lib.training checkpoints: exact resume (bit-identical to the uninterrupted run), atomic
writes, weights_only loading, clear errors for a model of another config, RNG states."""

from __future__ import annotations

import dataclasses
import os
import random
import signal

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_lib.training.checkpoint as ckpt_module
from course_lib.training import (History, TrainConfig, get_rng_states, load_checkpoint, save_checkpoint,
                                 set_rng_states, train)

V, T, B = 20, 10, 4
torch.set_num_threads(1)


@dataclasses.dataclass(frozen=True)
class TinyConfig:
    d_model: int = 16
    dropout: float = 0.2


class TinyLM(nn.Module):
    """Embedding -> dropout -> linear -> GELU -> dropout -> linear, with its own loss."""

    def __init__(self, config: TinyConfig = TinyConfig()):
        super().__init__()
        d = config.d_model
        self.emb = nn.Embedding(V, d)
        self.hidden = nn.Linear(d, d)
        self.out = nn.Linear(d, V)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x):  # (B, T) -> (B, T, V)
        return self.out(self.drop(F.gelu(self.hidden(self.drop(self.emb(x))))))

    def loss(self, x, y):
        return F.cross_entropy(self(x).reshape(-1, V), y.reshape(-1))


DATA = (torch.arange(3000) * 3 + torch.arange(3000) // 7) % V


def get_batch(split, i):
    g = torch.Generator().manual_seed(2 * i + (split == "val"))
    ix = torch.randint(0, len(DATA) - T - 1, (B,), generator=g)
    return torch.stack([DATA[j:j + T] for j in ix]), torch.stack([DATA[j + 1:j + T + 1] for j in ix])


def get_batch_global_rng(split, i):
    """A get_batch that draws from the global torch RNG: exact only if the RNG state is resumed too."""
    ix = torch.randint(0, len(DATA) - T - 1, (B,))
    return torch.stack([DATA[j:j + T] for j in ix]), torch.stack([DATA[j + 1:j + T + 1] for j in ix])


def fresh_model(seed: int) -> TinyLM:
    torch.manual_seed(seed)
    return TinyLM()


def stop_at(index: int, batches=get_batch):
    """get_batch that presses the stop button (SIGINT) while fetching training batch `index`."""
    def wrapped(split, i):
        if split == "train" and i == index:
            os.kill(os.getpid(), signal.SIGINT)
        return batches(split, i)
    return wrapped


HISTORY_FIELDS = ("steps", "train_loss", "lr", "val_steps", "val_loss", "metrics", "step", "tokens_seen")


@pytest.mark.parametrize("stop_index, accum, batches", [
    (6, 1, get_batch),                # stops mid log interval: the pending losses travel in the checkpoint
    (9, 1, get_batch_global_rng),     # batches drawn from the global RNG
    (5, 2, get_batch),                # gradient accumulation: index 5 is the 2nd micro-batch of step 2
])
def test_resume_is_bit_identical_to_the_uninterrupted_run(tmp_path, stop_index, accum, batches):
    cfg = TrainConfig(max_steps=16, lr=1e-2, min_lr=1e-3, warmup_steps=4, eval_every=5, eval_steps=2,
                      log_every=4, grad_accum_steps=accum, checkpoint_path=str(tmp_path / "run.pt"))
    straight_model = fresh_model(0)
    straight = train(straight_model, batches, dataclasses.replace(cfg, checkpoint_path=None, checkpoint_every=0), verbose=False)

    first = train(fresh_model(0), stop_at(stop_index, batches), cfg, verbose=False)
    assert first.interrupted and 0 < first.step < cfg.max_steps
    resumed_model = fresh_model(123)  # a fresh model (other weights) and a fresh optimizer
    resumed = train(resumed_model, batches, cfg, verbose=False)  # picks up checkpoint_path

    for (name, a), b in zip(straight_model.named_parameters(), resumed_model.parameters()):
        assert torch.equal(a, b), f"parameter {name} differs after resuming"
    for field in HISTORY_FIELDS:
        assert getattr(straight, field) == getattr(resumed, field), field
    assert not resumed.interrupted and resumed.elapsed >= first.elapsed


def test_resume_from_a_periodic_checkpoint_after_a_crash(tmp_path):
    """A run killed without warning resumes from its last periodic checkpoint and ends where it would have."""
    path = tmp_path / "periodic.pt"
    cfg = TrainConfig(max_steps=12, lr=1e-2, min_lr=1e-3, warmup_steps=2, eval_every=4, eval_steps=1,
                      log_every=3, checkpoint_path=str(path), checkpoint_every=5)
    straight_model = fresh_model(0)
    straight = train(straight_model, get_batch, dataclasses.replace(cfg, checkpoint_path=None, checkpoint_every=0), verbose=False)

    class Crash(Exception):
        pass

    def crashing(split, i):
        if split == "train" and i == 7:
            raise Crash  # a crash, not Ctrl-C: nothing is saved on the way out
        return get_batch(split, i)

    with pytest.raises(Crash):
        train(fresh_model(0), crashing, cfg, verbose=False)
    assert load_checkpoint(path)["step"] == 5
    resumed_model = fresh_model(1)
    resumed = train(resumed_model, get_batch, TrainConfig(**dataclasses.asdict(cfg)), resume_from=path,
                    verbose=False)
    assert all(torch.equal(a, b) for a, b in zip(straight_model.parameters(), resumed_model.parameters()))
    assert straight.train_loss == resumed.train_loss and straight.val_loss == resumed.val_loss


def test_a_finished_run_is_not_trained_again(tmp_path, capsys):
    cfg = TrainConfig(max_steps=4, warmup_steps=1, eval_every=2, eval_steps=1, checkpoint_path=str(tmp_path / "a.pt"))
    done = fresh_model(0)
    train(done, get_batch, cfg, verbose=False)
    calls = []
    again = fresh_model(5)
    history = train(again, lambda s, i: calls.append(s) or get_batch(s, i), cfg)
    assert calls == [] and history.step == 4
    assert "resumed from" in capsys.readouterr().out
    assert all(torch.equal(a, b) for a, b in zip(done.parameters(), again.parameters()))


def test_checkpoint_is_plain_and_loads_with_weights_only(tmp_path):
    net = fresh_model(0)
    opt = torch.optim.AdamW(net.parameters())
    net.loss(*get_batch("train", 0)).backward()
    opt.step()
    hist = History(steps=[1], train_loss=[2.5], step=1)
    path = save_checkpoint(tmp_path / "sub" / "c.pt", net, opt, step=1, history=hist, config=TrainConfig(),
                           extra={"model_config": TinyConfig(d_model=16)})
    raw = torch.load(path, weights_only=True)  # raises if anything but tensors and plain values were pickled
    assert raw["extra"]["model_config"] == {"d_model": 16, "dropout": 0.2}
    assert raw["config"]["betas"] == (0.9, 0.95)
    other, other_opt = fresh_model(9), torch.optim.AdamW(fresh_model(9).parameters())
    other_opt = torch.optim.AdamW(other.parameters())
    loaded = load_checkpoint(path, other, other_opt)
    assert loaded["step"] == 1 and loaded["history"] == hist
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), other.parameters()))
    for a, b in zip(opt.state.values(), other_opt.state.values()):
        assert torch.equal(a["exp_avg"], b["exp_avg"])


def test_an_interrupted_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    save_checkpoint(path, fresh_model(0), step=3)
    before = path.read_bytes()

    def dies_halfway(obj, f):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt  # Ctrl-C in the middle of writing

    monkeypatch.setattr(ckpt_module.torch, "save", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, fresh_model(1), step=4)
    monkeypatch.undo()
    assert path.read_bytes() == before and load_checkpoint(path)["step"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"], "no temporary file is left behind"


def test_a_model_of_another_config_gets_a_clear_error(tmp_path):
    path = save_checkpoint(tmp_path / "c.pt", TinyLM(TinyConfig(d_model=16)))
    with pytest.raises(ValueError, match=r"c.pt' was saved from a model with a different config: 'emb.weight' has shape \(20, 16\) "
                                         r"in the checkpoint but \(20, 8\) in the model"):
        load_checkpoint(path, TinyLM(TinyConfig(d_model=8)))
    bigger = TinyLM()
    bigger.extra = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"'extra.weight' is in the model but not in the checkpoint"):
        load_checkpoint(path, bigger)
    del bigger.hidden
    with pytest.raises(ValueError, match=r"'hidden.weight' is in the checkpoint but not in the model"):
        load_checkpoint(path, bigger)
    cfg = TrainConfig(max_steps=3, warmup_steps=1, checkpoint_path=str(path))
    with pytest.raises(ValueError, match="different config.*start afresh"):
        train(TinyLM(TinyConfig(d_model=8)), get_batch, cfg, verbose=False)


def test_missing_or_foreign_files_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nope.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match="not a checkpoint written by save_checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")


def test_rng_states_round_trip_through_a_checkpoint(tmp_path):
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    path = save_checkpoint(tmp_path / "r.pt", fresh_model(0), rng_states=get_rng_states())
    # fresh_model reseeded torch; draw from all three generators after the save...
    expected = (random.random(), np.random.rand(), torch.rand(3))
    random.seed(99), np.random.seed(99), torch.manual_seed(99)
    set_rng_states(load_checkpoint(path)["rng"][0])
    got = (random.random(), np.random.rand(), torch.rand(3))
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])


def test_fp16_with_gradient_scaler_resumes_exactly(tmp_path, monkeypatch):
    """The T4 path (fp16 autocast + GradScaler), run on CPU: the scaler state travels in the checkpoint."""
    import course_lib.training.loop as loop

    monkeypatch.setattr(loop, "resolve_precision", lambda precision, device: "fp16")
    monkeypatch.setattr(loop, "peak_flops", lambda device, precision: (1e12, "not measured in this test"))
    cfg = TrainConfig(max_steps=10, lr=1e-2, min_lr=1e-3, warmup_steps=2, eval_every=5, eval_steps=1, log_every=2,
                      checkpoint_path=str(tmp_path / "fp16.pt"))
    straight_model = fresh_model(0)
    straight = train(straight_model, get_batch, dataclasses.replace(cfg, checkpoint_path=None, checkpoint_every=0), verbose=False)
    train(fresh_model(0), stop_at(4), cfg, verbose=False)
    saved = load_checkpoint(cfg.checkpoint_path)
    assert saved["step"] == 5 and saved["scaler"]["scale"] > 1.0
    resumed_model = fresh_model(7)
    resumed = train(resumed_model, get_batch, cfg, verbose=False)
    assert all(torch.equal(a, b) for a, b in zip(straight_model.parameters(), resumed_model.parameters()))
    assert straight.train_loss == resumed.train_loss and straight.val_loss == resumed.val_loss


def test_summary_reports_mfu_only_when_it_can_be_real():
    hist = History(steps=[1], train_loss=[2.5], step=1, tokens_per_s=[1000.0], mfu=[0.42])
    assert "MFU 42.0%" in hist.summary()
    hist.mfu[-1] = 1.3  # a peak measured while the machine was busy gives more than 100%
    assert "MFU unknown" in hist.summary() and "130" not in hist.summary()

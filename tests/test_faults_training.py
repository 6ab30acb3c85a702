"""Nothing lost in the training engine, in one process: the checkpoint location checked before training,
the lock, stale temporary files, saves that fail, SIGTERM, signals during the final save, unreadable
checkpoints. (tests/test_faults_signals.py repeats the signal cases with real signals on child processes.)"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_lib.training.checkpoint as ckpt_module
from course_lib.training import TrainConfig, load_checkpoint, save_checkpoint, train

V, T, B = 12, 6, 3
torch.set_num_threads(1)


class TinyLM(nn.Module):
    def __init__(self, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.emb = nn.Embedding(V, 8)
        self.out = nn.Linear(8, V)

    def loss(self, x, y):
        return F.cross_entropy(self.out(self.emb(x)).reshape(-1, V), y.reshape(-1))


DATA = (torch.arange(600) * 5 + torch.arange(600) // 3) % V


def get_batch(split, i):
    g = torch.Generator().manual_seed(2 * i + (split == "val"))
    ix = torch.randint(0, len(DATA) - T - 1, (B,), generator=g)
    return torch.stack([DATA[j:j + T] for j in ix]), torch.stack([DATA[j + 1:j + T + 1] for j in ix])


def config(path=None, **kw) -> TrainConfig:
    base = {"max_steps": 12, "lr": 1e-2, "min_lr": 1e-3, "warmup_steps": 2, "eval_every": 4, "eval_steps": 1,
            "log_every": 1, "checkpoint_path": None if path is None else str(path)}
    return TrainConfig(**(base | kw))


def leftovers(path: pathlib.Path) -> list[str]:
    """Files beside the checkpoint other than the checkpoint itself."""
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def signalling(sig, at: int, times: int = 1):
    """get_batch that sends `sig` to this process `times` times while fetching training batch `at`."""
    def wrapped(split, i):
        if split == "train" and i == at:
            for _ in range(times):
                os.kill(os.getpid(), sig)
        return get_batch(split, i)
    return wrapped


# ----------------------------------------------------------------------------- config
def test_checkpoint_every_without_a_path_is_an_error():
    with pytest.raises(ValueError, match=r"TrainConfig\.checkpoint_every must be 0 without a checkpoint_path"):
        TrainConfig(checkpoint_every=5)


@pytest.mark.parametrize("bad", ["", b"run.pt", 3])
def test_checkpoint_path_must_be_a_path(bad):
    with pytest.raises(ValueError, match=r"TrainConfig\.checkpoint_path must be None or a file path"):
        TrainConfig(checkpoint_path=bad)


def test_checkpoint_path_may_be_a_pathlib_path(tmp_path):
    cfg = TrainConfig(max_steps=3, warmup_steps=1, eval_steps=0, checkpoint_path=tmp_path / "p.pt")
    assert cfg.checkpoint_path == str(tmp_path / "p.pt")
    history = train(TinyLM(), get_batch, cfg, verbose=False)
    assert load_checkpoint(tmp_path / "p.pt")["step"] == history.step == 3


# ----------------------------------------------------------------------------- the location, before training
def never_called(split, i):
    raise AssertionError("training started although the checkpoint cannot be written")


def test_a_folder_given_as_the_checkpoint_is_refused_before_training(tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(IsADirectoryError, match=r"checkpoint_path '.*runs' is a folder, not a checkpoint file"):
        train(TinyLM(), never_called, config(tmp_path / "runs"), verbose=False)


def test_a_file_in_place_of_the_folder_is_refused_before_training(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    with pytest.raises(ValueError, match=r"notes.txt' is a file, not a folder"):
        train(TinyLM(), never_called, config(tmp_path / "notes.txt" / "run.pt"), verbose=False)


def test_a_missing_folder_is_made_and_said(tmp_path, capsys):
    path = tmp_path / "new" / "deeper" / "run.pt"
    train(TinyLM(), get_batch, config(path, max_steps=2))
    assert load_checkpoint(path)["step"] == 2
    assert "created the folder" in capsys.readouterr().out


def test_an_unwritable_folder_is_refused_before_training(tmp_path, monkeypatch):
    """Files cannot be made in the folder (here: os.open refuses, as for a read-only folder; the real
    read-only folder is in tests/test_faults_readonly.py)."""
    real_open = os.open

    def read_only(path, flags, *args):
        if str(path).startswith(str(tmp_path)) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(ValueError, match=r"cannot be written: no file can be created in .*Permission denied"):
        train(TinyLM(), never_called, config(tmp_path / "run.pt"), verbose=False)


# ----------------------------------------------------------------------------- saves that fail
def test_a_full_disk_keeps_the_model_and_history_and_says_so(tmp_path, monkeypatch, capsys):
    path = tmp_path / "run.pt"
    train(TinyLM(), get_batch, config(path, max_steps=4))  # a good checkpoint of step 4
    capsys.readouterr()

    def disk_full(obj, f):
        f.write(b"the first bytes")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt_module.torch, "save", disk_full)
    net = TinyLM(1)
    history = train(net, get_batch, config(path, max_steps=10, checkpoint_every=3), verbose=False)
    monkeypatch.undo()
    assert history.step == 10 and history.steps == list(range(1, 11)) and not history.interrupted
    err = capsys.readouterr().err
    assert "the checkpoint of step 6 could not be written (OSError: No space left on device)" in err
    assert f"nothing was written to {str(path)!r}; {str(path)!r} still holds the checkpoint of step 4" in err
    assert load_checkpoint(path)["step"] == 4, "the old checkpoint is intact"
    assert leftovers(path) == [], "no temporary file and no lock file are left"


def test_a_failed_save_without_an_earlier_checkpoint_says_there_is_none(tmp_path, monkeypatch, capsys):
    def no_permission(obj, f):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(ckpt_module.torch, "save", no_permission)
    history = train(TinyLM(), signalling(signal.SIGINT, 3), config(tmp_path / "run.pt"), verbose=False)
    assert history.interrupted and history.step == 4
    err = capsys.readouterr().err
    assert "could not be written (PermissionError: Permission denied)" in err
    assert f"there is no checkpoint at {str(tmp_path / 'run.pt')!r}" in err
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- signals
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sigint_and_sigterm_save_then_stop(tmp_path, sig, capsys):
    before = signal.getsignal(sig)
    path = tmp_path / "run.pt"
    history = train(TinyLM(), signalling(sig, 5), config(path, max_steps=50))
    assert history.interrupted and history.step == 6, "the step in progress finishes, then the run stops"
    assert load_checkpoint(path)["step"] == 6 and load_checkpoint(path)["history"].steps == history.steps
    assert signal.getsignal(sig) is before, "the previous handler is put back"
    name = "stop button" if sig == signal.SIGINT else "SIGTERM"
    assert f"stopped at step 6 of 50 ({name})" in capsys.readouterr().out


def test_a_second_signal_during_the_final_save_lets_it_finish(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    real_save = torch.save
    saves = []

    def save_interrupted(obj, f):  # Ctrl-C arrives while the final checkpoint is being written
        saves.append(obj["step"])
        os.kill(os.getpid(), signal.SIGINT)
        real_save(obj, f)

    monkeypatch.setattr(ckpt_module.torch, "save", save_interrupted)
    history = train(TinyLM(), signalling(signal.SIGINT, 3), config(path, max_steps=50), verbose=False)
    monkeypatch.undo()
    assert history.interrupted and history.step == 4 and saves == [4]
    assert load_checkpoint(path)["step"] == 4 and leftovers(path) == []


def test_a_signal_during_a_periodic_save_stops_after_it_without_saving_twice(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    real_save = torch.save
    saves = []

    def save_interrupted(obj, f):
        saves.append(obj["step"])
        if obj["step"] == 6:
            os.kill(os.getpid(), signal.SIGTERM)
        real_save(obj, f)

    monkeypatch.setattr(ckpt_module.torch, "save", save_interrupted)
    history = train(TinyLM(), get_batch, config(path, max_steps=50, checkpoint_every=3), verbose=False)
    assert history.interrupted and history.step == 6 and saves == [3, 6]
    assert load_checkpoint(path)["step"] == 6


def test_many_signals_during_a_save_abandon_it_and_keep_the_old_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "run.pt"
    train(TinyLM(), get_batch, config(path, max_steps=3), verbose=False)
    before = path.read_bytes()
    real_save = torch.save

    def hammered(obj, f):  # Ctrl-C pressed again and again while the checkpoint is written
        for _ in range(3):
            os.kill(os.getpid(), signal.SIGINT)
        real_save(obj, f)

    monkeypatch.setattr(ckpt_module.torch, "save", hammered)
    history = train(TinyLM(), get_batch, config(path, max_steps=6), verbose=False)
    monkeypatch.undo()
    assert history.step == 6, "train still returns the history"
    err = capsys.readouterr().err
    assert "the save of step 6 was abandoned" in err and "still holds the checkpoint of step 3" in err
    assert path.read_bytes() == before and leftovers(path) == []


# ----------------------------------------------------------------------------- lock and stale files
def test_stale_temporary_files_are_removed_at_start(tmp_path, capsys):
    path = tmp_path / "run.pt"
    stale = [tmp_path / ".run.pt.abc123.tmp", tmp_path / ".run.pt.zz9.tmp"]
    for p in stale:
        p.write_bytes(b"half a checkpoint from a killed run")
    (tmp_path / "notes.tmp").write_text("not ours: stays")
    train(TinyLM(), get_batch, config(path, max_steps=2))
    assert leftovers(path) == ["notes.tmp"]
    assert "removed 2 unfinished checkpoint file(s)" in capsys.readouterr().out


def _hold_lock_in_a_child(path: pathlib.Path):
    """A child process that takes the run lock of `path` and waits: another live run."""
    code = ("import sys, time; from course_lib.training.guard import RunLock; import pathlib; "
            "lock = RunLock(pathlib.Path(sys.argv[1])); lock.acquire(); print('locked', flush=True); "
            "sys.stdin.read()")
    child = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "locked"
    return child


def test_a_second_run_on_the_same_checkpoint_is_refused(tmp_path):
    path = tmp_path / "run.pt"
    holder = _hold_lock_in_a_child(path)
    try:
        with pytest.raises(RuntimeError, match=rf"being written by another training run \(pid {holder.pid} on"):
            train(TinyLM(), never_called, config(path), verbose=False)
        assert (tmp_path / "run.pt.lock").exists(), "the refused run leaves the other run's lock alone"
    finally:
        holder.communicate("")
    train(TinyLM(), get_batch, config(path, max_steps=2), verbose=False)  # the lock is free again
    assert leftovers(path) == []


def test_the_lock_of_a_dead_run_is_taken_over(tmp_path, capsys):
    path = tmp_path / "run.pt"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    pid = int(dead.stdout)
    (tmp_path / "run.pt.lock").write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started": "-"}))
    history = train(TinyLM(), get_batch, config(path, max_steps=2))
    assert history.step == 2 and leftovers(path) == []
    assert f"took over the lock of an earlier run (pid {pid})" in capsys.readouterr().out


def test_the_lock_is_released_when_training_fails(tmp_path):
    path = tmp_path / "run.pt"

    def broken(split, i):
        raise RuntimeError("a bug in get_batch")

    with pytest.raises(RuntimeError, match="a bug in get_batch"):
        train(TinyLM(), broken, config(path), verbose=False)
    assert leftovers(path) == [] and not path.exists()


# ----------------------------------------------------------------------------- loading
def _good(tmp_path) -> bytes:
    return save_checkpoint(tmp_path / "good.pt", TinyLM(), step=3).read_bytes()


@pytest.mark.parametrize("name, damage, says", [
    ("truncated", lambda b: b[:len(b) // 2], "is not a zip archive as torch.save writes"),
    ("cut short", lambda b: b[:100], "is not a zip archive as torch.save writes"),
    ("empty", lambda b: b"", "it is empty"),
    ("garbage", lambda b: bytes(range(256)) * 8, "is not a zip archive as torch.save writes"),
    ("text", lambda b: "héllo wörld\n".encode() * 20, "is not a zip archive as torch.save writes"),
])
def test_a_damaged_checkpoint_gets_one_clear_error(tmp_path, name, damage, says):
    path = tmp_path / "damaged.pt"
    path.write_bytes(damage(_good(tmp_path)))
    with pytest.raises(ValueError, match="not a readable checkpoint") as err:
        load_checkpoint(path)
    assert str(path) in str(err.value) and says in str(err.value)
    assert "weights_only=False" not in str(err.value), "never advise loading with weights_only=False"


def test_a_checkpoint_with_pickled_objects_is_refused_clearly(tmp_path):
    torch.save({"model": nn.Linear(2, 2)}, tmp_path / "objects.pt")
    with pytest.raises(ValueError, match=r"holds pickled Python objects \(torch.nn.modules.linear.Linear\)"):
        load_checkpoint(tmp_path / "objects.pt")


def test_a_folder_is_not_a_checkpoint(tmp_path):
    save_checkpoint(tmp_path / "run" / "model.pt", TinyLM())
    with pytest.raises(IsADirectoryError, match=r"'.*run' is a folder, not a checkpoint file \(it holds model.pt\)"):
        load_checkpoint(tmp_path / "run")


@pytest.mark.parametrize("bad", [None, 3, b"x.pt"])
def test_load_checkpoint_path_must_be_a_path(bad):
    with pytest.raises(TypeError, match="path must be a file path"):
        load_checkpoint(bad)


def test_a_damaged_checkpoint_at_checkpoint_path_stops_train_before_it_overwrites_anything(tmp_path):
    path = tmp_path / "run.pt"
    path.write_bytes(_good(tmp_path)[:500])
    with pytest.raises(ValueError, match="run.pt' is not a readable checkpoint"):
        train(TinyLM(), never_called, config(path), verbose=False)
    assert len(path.read_bytes()) == 500 and leftovers(path) == ["good.pt"]

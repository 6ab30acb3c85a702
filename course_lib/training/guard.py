"""Nothing lost: the checkpoint file of a training run, checked before it starts and locked while it runs.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (through `train`, and by the
script form of 10). Before the first step `train` checks that the checkpoint can be written (the path
is not a folder, its folder exists or can be made, a file can be created there), takes a lock so that
no second run writes the same file (the lock of a run that died is taken over), and removes temporary
files left by a run killed while saving. A save that fails (disk full, permission) is reported in one
line saying what the file still holds; training goes on and `train` returns the model and its History.
Deliberately left out: locks between machines that do not share a file system.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import socket
import sys
import time
from collections.abc import Callable

from course_lib.util import stale_temporaries

from .checkpoint import checkpoint_file
from .interrupt import ABANDON_AFTER, StopButton

try:  # the kernel releases these locks when their process dies, however it dies
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class CheckpointInUseError(RuntimeError):
    """Another live training run holds the lock of this checkpoint path."""


def warn(line: str) -> None:
    """One line on stderr, whether or not the run is verbose: it says something may be lost."""
    print(line, file=sys.stderr, flush=True)


def _try_lock(fd: int) -> bool | None:
    """True if this process now holds the lock on fd, False if another one does, None if the file system
    has no locks (some network disks)."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except (BlockingIOError, PermissionError):
        return False
    except OSError:
        return None


def _alive(who: dict) -> bool:
    """Whether the run named in a lock file still runs (only knowable on this machine, and not on Windows)."""
    pid = who.get("pid")
    if not isinstance(pid, int) or pid == os.getpid() or who.get("host") != socket.gethostname() or os.name == "nt":
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but belongs to someone else
    return True


def _holder(fd: int) -> dict:
    """What the lock file says about the run that wrote it (pid, host, started), {} if unreadable."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode() or "{}")
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}


class RunLock:
    """`<checkpoint>.lock`, held (flock) by the one run that writes the checkpoint."""

    def __init__(self, path: pathlib.Path):
        self.path = path.with_name(path.name + ".lock")
        self.fd: int | None = None

    def acquire(self) -> dict:
        """Take the lock; returns what an earlier, dead holder left in the file ({} if none)."""
        for _ in range(20):  # the file may be removed by its holder between our open and our lock
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                got = _try_lock(fd)
                if got is False or (got is None and _alive(_holder(fd))):
                    raise CheckpointInUseError(self._refusal(_holder(fd)))
                with contextlib.suppress(FileNotFoundError):
                    if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                        previous = _holder(fd)
                        me = {"pid": os.getpid(), "host": socket.gethostname(),
                              "started": time.strftime("%Y-%m-%d %H:%M:%S")}
                        os.ftruncate(fd, 0)
                        os.lseek(fd, 0, os.SEEK_SET)
                        os.write(fd, json.dumps(me).encode())
                        self.fd, fd = fd, None
                        return previous
            finally:
                if fd is not None:
                    os.close(fd)
        raise CheckpointInUseError(f"could not take the lock {str(self.path)!r}: other runs keep replacing it")

    def _refusal(self, who: dict) -> str:
        run = f"pid {who.get('pid', '?')} on {who.get('host', '?')}, started {who.get('started', '?')}"
        checkpoint = str(self.path)[:-len(".lock")]
        return (f"checkpoint_path {checkpoint!r} is being written by another training run ({run}): two runs "
                "saving to one file would overwrite each other. Let that run finish or stop it, or give this "
                "run another checkpoint_path.")

    def release(self) -> None:
        if self.fd is None:
            return
        if fcntl is not None:  # remove the file while still holding the lock, then let go
            with contextlib.suppress(OSError):
                self.path.unlink()
            os.close(self.fd)
        else:
            os.close(self.fd)
            with contextlib.suppress(OSError):
                self.path.unlink()
        self.fd = None


def check_location(path) -> pathlib.Path:
    """The checkpoint path, if a file can be written there; a ValueError naming checkpoint_path otherwise."""
    path = checkpoint_file(path, name="checkpoint_path")
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"checkpoint_path {str(path)!r} cannot be written: {str(folder)!r} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"checkpoint_path {str(path)!r} cannot be written: its folder {str(folder)!r} does not "
                         f"exist and cannot be made ({err.strerror or err}). Choose a folder you can write to.") from None
    return path


class CheckpointGuard:
    """Everything `train` does so that a checkpoint is never lost: check, lock, clean up, save, report.

    With path None (no checkpoint) it does nothing; on processes other than the first (torchrun) it
    checks nothing and takes no lock, since only the first process writes.
    """

    def __init__(self, path, main: bool = True, verbose: bool = True):
        self.path = None if path is None else pathlib.Path(path)
        self.active = self.path is not None and main
        self.verbose = verbose
        self.lock = None
        self.saved_step: int | None = None  # the step of the checkpoint in the file now, if any
        self.failed: str | None = None  # why the last save failed, if it did

    def say(self, line: str) -> None:
        if self.verbose:
            print(line)

    def open(self, needed_bytes: int = 0) -> None:
        """Before training: the location can be written, the lock is ours, stale temporaries are gone."""
        if not self.active:
            return
        created = not self.path.parent.exists()
        self.path = check_location(self.path)
        if created:
            self.say(f"created the folder {str(self.path.parent)!r} for the checkpoint")
        self.lock = RunLock(self.path)
        try:
            previous = self.lock.acquire()
        except OSError as err:
            resume = (" To continue from the checkpoint there, pass resume_from=checkpoint_path and a checkpoint_path "
                      "in a folder you can write to.") if self.path.exists() else ""
            raise ValueError(f"checkpoint_path {str(self.path)!r} cannot be written: no file can be created in "
                             f"{str(self.path.parent)!r} ({err.strerror or err}). Training would run but nothing "
                             f"could be saved: choose a folder you can write to.{resume}") from None
        try:
            if previous.get("pid") not in (None, os.getpid()):
                self.say(f"took over the lock of an earlier run (pid {previous['pid']}) that ended without "
                         "releasing it")
            stale = stale_temporaries(self.path)
            for tmp in stale:
                tmp.unlink(missing_ok=True)
            if stale:
                self.say(f"removed {len(stale)} unfinished checkpoint file(s) left by a run killed while saving")
            free = shutil.disk_usage(self.path.parent).free
            if needed_bytes > free:
                warn(f"only {free / 2**20:,.0f} MB free beside {str(self.path)!r}; a checkpoint needs about "
                     f"{needed_bytes / 2**20:,.0f} MB: saving will probably fail")
        except BaseException:  # e.g. Ctrl-C right now: never keep the lock of a run that does not start
            self.close()
            raise

    def close(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def kept(self) -> str:
        """What the file at the path holds now."""
        if self.saved_step is not None:
            return f"{str(self.path)!r} still holds the checkpoint of step {self.saved_step}"
        if self.path.exists():
            return f"{str(self.path)!r} still holds what it held before"
        return f"there is no checkpoint at {str(self.path)!r}"

    def save(self, step: int, write: Callable[[], object], button: StopButton | None = None) -> bool:
        """write() the checkpoint of `step` with signals held back; a failure is reported, not raised."""
        held = button.saving() if button is not None and button.enabled else contextlib.nullcontext()
        try:
            with held:
                write()
        except (OSError, RuntimeError) as err:  # disk full, permission, file too large, a vanished folder
            reason = f"{type(err).__name__}: {err.strerror or err}" if isinstance(err, OSError) else repr(err)[:200]
            self.failed = f"the checkpoint of step {step} could not be written ({reason})"
            warn(f"{self.failed}: nothing was written to {str(self.path)!r}; {self.kept()}. Training goes on; "
                 "the model and its history stay in memory (save them elsewhere with save_checkpoint).")
            return False
        except KeyboardInterrupt:
            self.failed = f"the save of step {step} was abandoned ({ABANDON_AFTER} signals while saving)"
            warn(f"{self.failed}: {self.kept()}")
            return False
        self.saved_step, self.failed = step, None
        return True

    def note(self) -> str:
        """For the last line of a run: where its checkpoint is, or why there is none."""
        if not self.active:
            return ""
        if self.failed:
            return f"; {self.failed} and {self.kept()}"
        return f"; checkpoint of step {self.saved_step} in {str(self.path)!r}" if self.saved_step is not None else ""

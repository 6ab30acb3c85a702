"""The stop button: Ctrl-C (or SIGTERM) ends training cleanly after the current step.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (through `train`). In Jupyter
the stop button sends the kernel SIGINT, which normally raises KeyboardInterrupt wherever Python is,
possibly halfway through an optimizer step. While training, the first SIGINT only sets a flag; the loop
finishes its step, saves a checkpoint if it has a path, and returns the model and its history.
SIGTERM (what Colab and Slurm send before they take the machine back, and what `timeout` sends) is
treated like the first Ctrl-C. While a checkpoint is being written no signal interrupts it: the save
completes, then training stops; only a third signal during one save abandons it (the file at the path
is then still the previous checkpoint, since writes are atomic).
Deliberately left out: distributed runs, where torchrun ends the processes.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None)
ABANDON_AFTER = 3  # signals during one save before the save is given up


class StopButton:
    """Turns the first Ctrl-C or SIGTERM into a flag the loop checks after each step; a second one raises
    KeyboardInterrupt as usual, except while saving (see `saving`). Only in the main thread, one process."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.pressed = False
        self.reason: str | None = None  # "stop button" (SIGINT) or "SIGTERM"
        self.held, self.held_signum = 0, signal.SIGINT  # signals received during the current save
        self.holding = False
        self.previous: dict = {}

    def _handler(self, signum, frame) -> None:
        if self.holding:  # saving, or the run is ending: remember the signal, act after the save
            self.held, self.held_signum = self.held + 1, signum
            if self.held >= ABANDON_AFTER:
                raise KeyboardInterrupt
            return
        if self.pressed:
            self.holding = True  # from here on the run ends: later signals wait for its final save
            raise KeyboardInterrupt
        self.press(signum)

    def press(self, signum) -> None:
        self.pressed = True
        self.reason = "stop button" if signum == signal.SIGINT else signal.Signals(signum).name

    def hold(self) -> None:
        """From now on signals are held back (the loop is over; only the final save is left)."""
        self.holding = True

    @contextlib.contextmanager
    def saving(self) -> Iterator[None]:
        """Inside this block signals are held back; a signal received meanwhile stops training after it."""
        previous, self.holding, self.held = self.holding, True, 0
        try:
            yield
        finally:
            self.holding = previous
            if self.held and not self.pressed:
                self.press(self.held_signum)

    def __enter__(self) -> StopButton:
        if self.enabled:
            for sig in SIGNALS:
                self.previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            for sig, previous in self.previous.items():
                default = signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
                signal.signal(sig, previous if previous is not None else default)

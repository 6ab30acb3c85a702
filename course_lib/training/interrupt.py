"""The stop button: Ctrl-C ends training cleanly after the current step.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (through `train`). In Jupyter
the stop button sends the kernel SIGINT, which normally raises KeyboardInterrupt wherever Python is,
possibly halfway through an optimizer step. While training, the first SIGINT only sets a flag; the loop
finishes its step, saves a checkpoint if it has a path, and returns the model and its history.
Deliberately left out: other signals (SIGTERM) and distributed runs, where torchrun ends the processes.
"""

from __future__ import annotations

import signal
import threading


class StopButton:
    """Turns the first Ctrl-C (SIGINT: the notebook's stop button) into a flag the loop checks after
    each step; a second Ctrl-C raises KeyboardInterrupt as usual. Only in the main thread, one process."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.pressed = False

    def _handler(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def __enter__(self) -> StopButton:
        if self.enabled:
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            signal.signal(signal.SIGINT, self.previous if self.previous is not None else signal.default_int_handler)

"""Training figures: loss curves, the learning-rate schedule, and a live loss plot for notebooks.

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining. `LivePlot()` is a callback for
course_lib.training.train: it redraws the curves in place (an IPython display handle) after every
few evaluations, and does nothing outside a notebook. When the training cell ends, the live frame is
replaced by one line (keep=True leaves it): the notebook draws the final curves from the history, so
the saved notebook shows them once. Deliberately left out: interactive zooming (`%matplotlib widget`)
and logging services.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from course_lib.plots import inputs, style
from course_lib.training import History, TrainConfig, lr_at

DONE = "(the live loss plot ends with the training; plot_history(history) draws the final curves)"


def plot_history(history: History, ax=None, title: str | None = None, log_y: bool = False):
    """Training loss (every log step) and validation loss (every evaluation) against the step."""
    if not isinstance(history, History):
        raise TypeError(f"plot_history expects a History (what train returns), got {type(history).__name__}")
    inputs.history("history", history)
    if log_y:
        for name in ("train_loss", "val_loss"):
            inputs.positive(f"history.{name}", inputs.series(f"history.{name}", getattr(history, name)), "log_y=True",
                            zero_ok=True)
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.0))
    if history.steps:
        ax.plot(history.steps, history.train_loss, label="train", color=style.COLORS[0], linestyle="-", alpha=0.85)
    if history.val_loss:
        ax.plot(history.val_steps, history.val_loss, label="validation", ms=4, **style.line_style(1))
    ax.set_xlabel("step (optimizer updates)")
    ax.set_ylabel("loss")
    if log_y:
        style.log_axis(ax, "y")
    if history.steps or history.val_loss:
        ax.legend()
    if title is None:
        title = f"loss after {history.step} steps" + (f" (val {history.val_loss[-1]:.3f})" if history.val_loss else "")
    ax.set_title(title)
    return ax


def plot_lr_schedule(config: TrainConfig, ax=None):
    """The learning rate of every step: linear warmup, then cosine decay to min_lr."""
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if ax is None:
        _, ax = style.subplots(figsize=(6.4, 4.0))
    steps = list(range(config.max_steps))
    ax.plot(steps, [lr_at(s, config) for s in steps], color=style.COLORS[0], linestyle="-")
    ax.axvline(config.warmup_steps, color="black", ls=":", label=f"end of warmup ({config.warmup_steps})")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title("warmup + cosine decay")
    ax.legend()
    return ax


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class LivePlot:
    """Callback for train(..., callback=LivePlot()): redraw the loss curves every `every` evaluations.

    The figure is updated in place through an IPython display handle, so the notebook keeps one figure
    while training runs. When the cell ends, that frame becomes one line of text (keep=True: the last
    frame stays), since the notebook then draws the final curves itself. Outside a notebook (scripts,
    tests, torchrun) it does nothing.
    """

    def __init__(self, every: int = 1, log_y: bool = False, keep: bool = False):
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be an int >= 1, got {every!r}")
        self.every, self.log_y, self.keep = every, log_y, keep
        self.calls, self.handle, self.figure = 0, None, None

    def __call__(self, history: History) -> None:
        if not _in_notebook():
            return
        self.calls += 1
        if self.calls % self.every and not history.interrupted:
            return
        from IPython.display import display

        if self.figure is None:  # a Figure outside pyplot: the notebook will not show it a second time
            self.figure = Figure(figsize=(6.4, 4.0), dpi=style.DPI)
            self.figure.add_subplot()
        ax = self.figure.axes[0]
        ax.clear()
        plot_history(history, ax=ax, log_y=self.log_y)
        self.figure.tight_layout()
        if self.handle is None:
            self.handle = display(self.figure, display_id=True)
            if not self.keep:
                self._end_with_the_cell()
        else:
            self.handle.update(self.figure)

    def _end_with_the_cell(self) -> None:
        """After the running cell, replace the live frame by one line (once)."""
        from IPython import get_ipython

        shell = get_ipython()

        def done(*args) -> None:
            shell.events.unregister("post_run_cell", done)
            if self.handle is not None:
                self.handle.update({"text/plain": DONE}, raw=True)

        shell.events.register("post_run_cell", done)

"""Self-checks for the exercises in every notebook.

Used by the exercise cells of all notebooks; one submodule per notebook topic
(`course_lib.checks.tokenization`, ...). An exercise check never raises in class:
an untouched stub (it raises NotImplementedError or returns None) reports "not done yet",
a wrong answer gets a specific hint, a right one says so. Each check has its reference solution
beside it (`solution_<name>`), which `show_solution(check)` prints. Deliberately left out: grading.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from dataclasses import dataclass
from typing import Callable

TODO, WRONG, RIGHT = "not done yet", "wrong", "right"


@dataclass(frozen=True)
class Result:
    """What a check found: `status` is one of TODO, WRONG, RIGHT; `message` says why."""

    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == RIGHT

    def __str__(self) -> str:
        icon = {TODO: "[ ]", WRONG: "[x]", RIGHT: "[ok]"}[self.status]
        return f"{icon} {self.exercise}: {self.message}"

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the sentence, not the dataclass
        p.text(str(self))


class Hint(Exception):
    """Raised inside a check to report a wrong answer with a specific hint."""


def exercise(name: str) -> Callable:
    """Decorator turning `check(answer) -> None` (raising Hint when wrong) into a friendly check.

    The wrapped check returns a Result and prints nothing; in a notebook the Result is the cell output.
    """

    def wrap(check: Callable) -> Callable[..., Result]:
        @functools.wraps(check)
        def run(answer, *args, **kwargs) -> Result:
            if answer is None:
                return Result(name, TODO, "not done yet: replace the stub with your answer and run the cell again")
            try:
                check(answer, *args, **kwargs)
            except NotImplementedError:
                return Result(name, TODO, "not done yet: the stub still raises NotImplementedError")
            except Hint as hint:
                return Result(name, WRONG, f"not quite. Hint: {hint}")
            except Exception as err:  # the student's code crashed: say how, never fail the notebook
                return Result(name, WRONG, f"your code raised {type(err).__name__}: {err}")
            return Result(name, RIGHT, "correct, well done")

        run.exercise_name = name
        return run

    return wrap


def returned(value, what: str = "your function"):
    """Pass through what a student's function returned; a hint when it is None (a forgotten `return`)."""
    require(value is not None, f"{what} returns None: did you forget `return`?")
    return value


def require(condition: bool, hint: str) -> None:
    """Raise Hint(hint) unless condition holds: the building block of every check."""
    if not condition:
        raise Hint(hint)


def solution_source(check: Callable) -> str:
    """The source code of the reference solution of an exercise, given its check (`check_<name>`).

    Every check in course_lib.checks.<topic> has a `solution_<name>` beside it; the tests run each
    solution through its check.
    """
    name = getattr(check, "__name__", "")
    if not (callable(check) and name.startswith("check_") and hasattr(check, "exercise_name")):
        raise TypeError(f"check must be an exercise check from course_lib.checks (check_<name>), got {check!r}")
    module = importlib.import_module(check.__module__)
    solution = getattr(module, "solution_" + name.removeprefix("check_"), None)
    if solution is None:
        raise LookupError(f"{check.__module__} has no solution_{name.removeprefix('check_')}")
    return inspect.getsource(solution)


def show_solution(check: Callable) -> None:
    """Print the reference solution of an exercise: `show_solution(check_top_k_filter)`."""
    print(solution_source(check), end="")

"""What every exercise check of every notebook must do (course_lib.checks.<topic>.check_*):

an untouched stub reports "not done yet", a function that forgets to return gets a hint about it,
and the reference solution next to it (solution_<name>) is accepted. Topic test files add the
typical wrong answers and their specific hints.
"""

import importlib
import pkgutil

import pytest

import course_lib.checks
from course_lib.checks import RIGHT, TODO, WRONG

CHECKS = []
for info in pkgutil.iter_modules(course_lib.checks.__path__):
    module = importlib.import_module(f"course_lib.checks.{info.name}")
    for name in sorted(vars(module)):
        if name.startswith("check_") and callable(getattr(module, name)):
            CHECKS.append((f"{info.name}.{name}", module, name))


def stub(*args, **kwargs):
    raise NotImplementedError


def test_every_topic_has_checks():
    topics = {label.split(".")[0] for label, _, _ in CHECKS}
    assert len(topics) >= 2 and all(any(label.startswith(t) for label, _, _ in CHECKS) for t in topics)


@pytest.mark.parametrize("label, module, name", CHECKS, ids=[c[0] for c in CHECKS])
def test_stub_is_not_done_yet(label, module, name):
    check = getattr(module, name)
    assert check(stub).status == TODO
    assert check(None).status == TODO


@pytest.mark.parametrize("label, module, name", CHECKS, ids=[c[0] for c in CHECKS])
def test_forgotten_return_gets_a_hint(label, module, name):
    result = getattr(module, name)(lambda *args, **kwargs: None)
    assert result.status == WRONG and "return" in result.message, result


@pytest.mark.parametrize("label, module, name", CHECKS, ids=[c[0] for c in CHECKS])
def test_reference_solution_is_right(label, module, name):
    solution = getattr(module, "solution_" + name.removeprefix("check_"), None)
    assert solution is not None, f"course_lib.checks.{label} has no solution_{name.removeprefix('check_')}"
    result = getattr(module, name)(solution)
    assert result.status == RIGHT, result


@pytest.mark.parametrize("label, module, name", CHECKS, ids=[c[0] for c in CHECKS])
def test_shown_solution_is_the_code_that_passes(label, module, name):
    """show_solution prints code that, run in the topic's module namespace, passes the check."""
    from course_lib.checks import solution_source

    check = getattr(module, name)
    source = solution_source(check)
    solution_name = "solution_" + name.removeprefix("check_")
    assert source.startswith(f"def {solution_name}(")
    namespace = dict(vars(module))
    del namespace[solution_name]
    exec(source, namespace)
    assert check(namespace[solution_name]).status == RIGHT


def test_show_solution_prints_and_rejects_what_is_not_a_check(capsys):
    from course_lib.checks import show_solution
    from course_lib.checks.gpt import check_top_k_filter

    show_solution(check_top_k_filter)
    assert "def solution_top_k_filter(" in capsys.readouterr().out
    for wrong in (print, lambda answer: None, "check_top_k_filter"):
        with pytest.raises(TypeError, match="check must be an exercise check"):
            show_solution(wrong)

"""The teaching modules read as the idea first: argument checks are at most a fifth of their code lines.

A guard line is a line of an `if ...: raise ...` statement, of a call to a course_lib.guards check made as a
statement, or of a function whose name starts with `_check`. Code lines exclude blank lines, comments and
docstrings. The checks themselves live in course_lib.guards.
"""

import ast
import pathlib

import pytest

import course_lib

ROOT = pathlib.Path(course_lib.__file__).parent
GUARDS = {name for name, value in vars(__import__("course_lib.guards", fromlist=["x"])).items() if callable(value)}
LIMIT = 0.2


def guard_share(path: pathlib.Path) -> tuple[int, int]:
    source = path.read_text()
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body and \
                isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            docstrings.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    code = {i for i, line in enumerate(source.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#") and i not in docstrings}
    guard = set()
    for node in ast.walk(tree):
        span = None
        if isinstance(node, ast.If) and all(isinstance(s, ast.Raise) for s in node.body) and not node.orelse:
            span = (node.lineno, node.end_lineno)
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("_check"):
            span = (node.lineno, node.end_lineno)
        elif isinstance(node, ast.Expr) and isinstance(node.value, (ast.Call, ast.Tuple)):
            calls = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            if all(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in GUARDS for c in calls):
                span = (node.lineno, node.end_lineno)
        if span:
            guard.update(range(span[0], span[1] + 1))
    return len(guard & code), len(code)


@pytest.mark.parametrize("module", ["attention.py", "masking.py", "multihead.py"])
def test_guards_are_at_most_a_fifth_of_a_teaching_module(module):
    guard, code = guard_share(ROOT / module)
    assert guard / code <= LIMIT, f"{module}: {guard} of {code} code lines are argument checks (limit {LIMIT:.0%})"


if __name__ == "__main__":  # python tests/test_guard_share.py: the share of every module
    for path in sorted(ROOT.rglob("*.py")):
        g, c = guard_share(path)
        if c:
            print(f"{str(path.relative_to(ROOT)):<40} {g:>4} / {c:<4} {g / c:6.1%}")

"""The course's own rules (DESIGN.md): notebook conventions, module size and import order, set-up files."""

from __future__ import annotations

import ast
import json
import pathlib
import re
import tomllib

import pytest

from course_lib.runtime import SETUP_CELL

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MODULES = sorted(p for p in (ROOT / "course_lib").rglob("*.py"))
MAX_NOTEBOOK_KB = 800
MAX_MODULE_LINES = 300

# Lower concepts never import higher ones. A module may import only modules earlier in this list
# (a package's submodules share the package's level). Plotting and widgets come last.
LEVELS = ["cell_order", "guards", "util", "runtime", "tokenization", "data", "embeddings", "positional", "rotary", "attention", "flash",
          "masking", "multihead", "modern", "blocks", "training", "config", "transformer", "bert", "gpt", "interop", "checks",
          "plots", "widgets", "viz"]


def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_name(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), f"{path.name}: expected NN_topic.ipynb"


def test_notebook_numbers_are_consecutive():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(numbers) + 1)), f"notebook numbers {numbers} should run 01, 02, ..."


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    nb = _load(path)
    cells = nb["cells"]
    first = cells[0]
    assert first["cell_type"] == "markdown", "first cell must be markdown (title, objectives, run time)"
    text = _source(first)
    assert text.startswith("# "), "first cell must start with a '# ' title"
    for phrase in ("you will learn", "you need", "time to run", "cpu", "gpu"):
        assert phrase in text.lower(), f"first cell should say {phrase!r}"
    assert cells[1]["cell_type"] == "code" and _source(cells[1]) == SETUP_CELL, \
        "second cell must be the setup cell, identical to course_lib.runtime.SETUP_CELL"
    last = cells[-1]
    assert last["cell_type"] == "markdown" and "mistake" in _source(last).lower(), \
        "last cell must be a summary with the common mistakes"
    assert "widgets" not in nb.get("metadata", {}), "widget state is saved in the metadata: clear it"
    code = [c for c in cells if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), \
        f"notebook not executed top to bottom in one kernel (execution counts {counts})"
    for c in code:
        for out in c["outputs"]:
            assert out["output_type"] != "error", f"error output committed in cell:\n{_source(c)[:200]}"
            assert "application/vnd.jupyter.widget-view+json" not in out.get("data", {}), \
                "a widget view is saved: re-run tests/execute_notebooks.py to clean it"
    checked = [c for c in code if "# NBVAL_CHECK_OUTPUT" in _source(c)]
    assert len(checked) >= 3, "at least 3 deterministic cells must carry # NBVAL_CHECK_OUTPUT"
    assert all(c["outputs"] for c in checked), "a # NBVAL_CHECK_OUTPUT cell has no committed output"
    exercises = [c for c in code if "course_lib.checks" in _source(c) or re.search(r"\bcheck_\w+\(", _source(c))]
    assert len(exercises) >= 2, "each notebook needs at least two self-checked exercises"
    kb = path.stat().st_size / 1024
    assert kb <= MAX_NOTEBOOK_KB, f"{path.name} is {kb:.0f} KB; keep notebooks under {MAX_NOTEBOOK_KB} KB"


def _level(module: str) -> int:
    top = module.split(".")[0]
    assert top in LEVELS, f"course_lib.{top} is not in the import order LEVELS of tests/test_conventions.py"
    return LEVELS.index(top)


def _relative_name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT / "course_lib").with_suffix("")
    return ".".join(p for p in rel.parts if p != "__init__")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_size_docstring_and_imports(path):
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    assert lines < MAX_MODULE_LINES, f"{path.name} has {lines} lines; split it (limit {MAX_MODULE_LINES})"
    tree = ast.parse(text)
    doc = ast.get_docstring(tree)
    assert doc, f"{path.name} needs a module docstring"
    assert re.search(r"\d\d_[a-z_]+|every notebook|all notebooks", doc), \
        f"{path.name}: the docstring must name the notebook that teaches it"
    name = _relative_name(path)
    if not name:
        return  # course_lib/__init__.py
    own = _level(name)
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:  # relative import inside a package
                targets = [name.split(".")[0]]
            elif node.module.startswith("course_lib."):
                targets = [node.module.removeprefix("course_lib.")]
            elif node.module == "course_lib":
                targets = [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name.removeprefix("course_lib.") for a in node.names if a.name.startswith("course_lib.")]
        for target in targets:
            assert _level(target) <= own, \
                f"course_lib.{name} imports course_lib.{target}, a higher concept (see LEVELS)"


def _requirement_names(reqs) -> set[str]:
    return {re.split(r"[<>=!\[; ]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in reqs}


def test_environment_yml_matches_pyproject():
    yaml = pytest.importorskip("yaml")  # pyyaml comes with jupyterlab
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirement_names(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = _requirement_names(r for r in pip if not r.startswith("-"))
    assert listed == wanted, f"environment.yml lists {sorted(listed ^ wanted)} differently from pyproject.toml"
    assert "-e .[dev,real]" in pip, "environment.yml must pip-install this package (-e .[dev,real])"


def test_readme_commands_match_ci():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[dev,real]"' in readme and '-e ".[dev,real]"' in ci
    assert "bertviz==1.4.1" in readme and "bertviz==1.4.1" in ci
    assert "python -m pytest" in readme and "python -m pytest" in ci


def test_readme_links_every_notebook_and_its_colab_page():
    readme = (ROOT / "README.md").read_text()
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    colab = repo.replace("https://github.com/", "https://colab.research.google.com/github/") + "/blob/main/notebooks/"
    for path in NOTEBOOKS:
        assert f"](notebooks/{path.name})" in readme, f"README's course map does not link {path.name}"
        assert f"]({colab}{path.name})" in readme, f"README has no Colab link for {path.name} ({colab}...)"
    linked = set(re.findall(r"\]\(notebooks/(\d\d_\w+\.ipynb)\)", readme))
    assert linked <= {p.name for p in NOTEBOOKS}, f"README links notebooks that do not exist: {linked}"
    assert repo.removeprefix("https://") in SETUP_CELL, "the setup cell installs from another repository"

"""Reading a notebook's code cells: which names each cell binds, where each cell sits.

Part of course_lib.cell_order (used by every notebook through the setup cell). Pure functions on
notebook dicts and cell sources, so they are tested without a kernel. Deliberately left out: names
bound by `exec`, `globals()[...]`, star imports, `global` inside functions, and magics other than
%time / %%time / %%capture / %%prun (their bodies are ordinary code).
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass

_HEADING = re.compile(r"^#{2,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_SHELL_ASSIGN = re.compile(r"^(\s*[\w\s,.()\[\]*]+?)\s*=\s*[!%]")  # files = !ls, t = %timeit -o f()
_PYTHON_CELL_MAGICS = {"time", "capture", "prun"}  # cell magics whose body runs as ordinary code


@dataclass(frozen=True)
class Cell:
    """One code cell: `number` counts code cells from 1; `section` is the nearest `## ...` heading above."""

    number: int
    source: str
    section: str | None = None


def code_cells(notebook: dict) -> list[Cell]:
    """The code cells of a notebook (nbformat 4 as a dict), each with the section it sits under."""
    cells, section = [], None
    for raw in notebook.get("cells", []):
        src = raw.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        if raw.get("cell_type") == "markdown":
            headings = _HEADING.findall(src)
            section = headings[-1] if headings else section
        elif raw.get("cell_type") == "code":
            cells.append(Cell(len(cells) + 1, src, section))
    return cells


def strip_magics(source: str) -> str:
    """The cell as plain Python: magic and `!shell` lines become `pass`, `x = !cmd` becomes `x = None`."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = (lines[0].lstrip()[2:].split() or [""])[0]
        if magic not in _PYTHON_CELL_MAGICS:
            return ""  # %%bash, %%writefile, ...: not Python
        lines = lines[1:]
    out = []
    for line in lines:
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        if body.startswith("%time "):  # `%time model = train()` runs (and binds) the statement
            out.append(indent + body[len("%time "):])
        elif body.startswith(("%", "!")) or (body.endswith("?") and not body.startswith("#")):
            out.append(indent + "pass")
        elif match := _SHELL_ASSIGN.match(line):
            out.append(match.group(1) + " = None")
        else:
            out.append(line)
    return "\n".join(out)


class _Binder(ast.NodeVisitor):
    """Collects the names a cell binds in the notebook's namespace (not inside functions or classes)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):  # assignments, tuple unpacking, for, with-as, :=
            self.names.add(node.id)

    def _define(self, node) -> None:  # def, class: the name only, the body is another scope
        self.names.add(node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _define

    def visit_Lambda(self, node: ast.Lambda) -> None:
        pass

    def visit_comprehension(self, node: ast.comprehension) -> None:  # its loop variable stays inside
        self.visit(node.iter)
        for condition in node.ifs:
            self.visit(condition)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:  # `x += 1` needs x already
        self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:  # `x: int` alone binds nothing
        if node.value is not None:
            self.visit(node.target)
            self.visit(node.value)

    def visit_Import(self, node: ast.Import) -> None:
        self.names.update(a.asname or a.name.split(".")[0] for a in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.names.update(a.asname or a.name for a in node.names if a.name != "*")

    def visit_MatchAs(self, node) -> None:
        if node.name:
            self.names.add(node.name)
        self.generic_visit(node)

    visit_MatchStar = visit_MatchAs


def bound_names(source: str) -> set[str]:
    """Names a cell binds at notebook level. A line that does not parse is skipped (up to 20 of them)."""
    lines = strip_magics(source).splitlines()
    for _ in range(20):
        try:
            tree = ast.parse("\n".join(lines))
            break
        except SyntaxError as err:
            row = (err.lineno or 1) - 1
            if not 0 <= row < len(lines):
                return set()
            lines[row] = re.match(r"\s*", lines[row]).group() + "pass"
    else:
        return set()
    binder = _Binder()
    binder.visit(tree)
    return binder.names


def first_definition(cells: list[Cell], name: str) -> Cell | None:
    """The first code cell that binds `name`, or None."""
    return next((cell for cell in cells if name in bound_names(cell.source)), None)


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def find_cell(cells: list[Cell], source: str | None) -> Cell | None:
    """The cell holding `source` (exactly, else a close match: the file may be saved a little late)."""
    if source is None or not source.strip():
        return None
    wanted = _normal(source)
    exact = [cell for cell in cells if _normal(cell.source) == wanted]
    if exact:
        return exact[0]
    scored = [(difflib.SequenceMatcher(None, _normal(c.source), wanted).ratio(), c.number, c) for c in cells]
    best = max(scored, default=None, key=lambda s: (s[0], -s[1]))
    return best[2] if best and best[0] >= 0.8 else None


def describe_cell(cell: Cell) -> str:
    """'the cell under section '5. Training' (code cell 17) that starts `B, T = recipe[...`'."""
    lines = [ln.strip() for ln in cell.source.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("# NBVAL")]  # the first line a student sees
    start = (lines or [""])[0].replace("`", "'")
    start = start if len(start) <= 32 else start[:32].rstrip() + "..."
    where = f"under section '{cell.section}' " if cell.section else ""
    return f"the cell {where}(code cell {cell.number}) that starts `{start}`"

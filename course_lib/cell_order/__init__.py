"""Say which cell to run when a notebook cell runs before the cells it needs.

Used by every notebook: `course_lib.runtime.setup()` (the second cell) calls `install()`, which asks
IPython to send NameErrors raised by notebook code to `handler`. Instead of a NameError deep in a
traceback, the student reads one line such as "`model` is defined further up, in the cell under
section '5. Training' (code cell 17) that starts `B, T = recipe[...`. Run the cells above ...".
To find that cell it reads the notebook (JupyterLab's JPY_SESSION_NAME, VS Code, COURSE_NOTEBOOK,
Colab's front end, else the notebooks in the kernel's folder) and parses each code cell with `ast`
(course_lib.cell_order.cells). Deliberately left out: errors other than NameError, and the names that
`cells` cannot see. When anything goes wrong, or the error was raised outside notebook code (inside a
library), the normal traceback is shown.
"""

from __future__ import annotations

import ast
import difflib
import functools
import json
import linecache
import os
import pathlib
import re
import sys

from .cells import Cell, bound_names, code_cells, describe_cell, find_cell, first_definition, strip_magics

__all__ = ["Cell", "bound_names", "code_cells", "describe_cell", "explain", "find_cell", "first_definition",
           "handler", "install", "message_for", "missing_name", "notebook_candidates", "strip_magics"]

RUN_ABOVE = ("run the cells above this one in order (Run > Run All Above, or Runtime > Run before on Colab), "
             "then this cell again")
_START_CWD = os.getcwd()
# Built-ins a student may misspell (not all of dir(builtins): `later` should not suggest `aiter`).
_BUILTINS = {"print", "len", "range", "list", "dict", "set", "tuple", "str", "int", "float", "bool", "sum",
             "min", "max", "abs", "sorted", "reversed", "enumerate", "zip", "map", "filter", "isinstance",
             "type", "open", "round", "any", "all", "iter", "next", "input", "repr", "getattr", "setattr",
             "hasattr", "super", "format", "True", "False", "None"}


@functools.lru_cache(maxsize=1)
def course_lib_names() -> dict[str, str]:
    """Public name -> the shortest course_lib module that offers it, read from the sources (no imports)."""
    root = pathlib.Path(__file__).resolve().parent.parent
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        module = ".".join(("course_lib",) + tuple(p for p in parts if p != "__init__"))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):  # constants such as QUICK
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper())
            elif isinstance(node, ast.ImportFrom) and node.level and path.name == "__init__.py":
                names.update(a.asname or a.name for a in node.names)  # a package re-exporting its parts
        for name in names:
            if not name.startswith("_") and (name not in found or module.count(".") < found[name].count(".")):
                found[name] = module
    return found


def explain(name: str, cells: list[Cell] | None, current: str | None = None,
            known: set[str] = frozenset()) -> str:
    """The message for a NameError of `name`. `cells`: the notebook's code cells (None if unknown);
    `current`: the source of the cell that failed; `known`: names the kernel has (for spelling hints)."""
    defining = first_definition(cells, name) if cells else None
    here = find_cell(cells, current) if cells else None
    if defining is not None:
        if here is not None and defining.number == here.number:
            return (f"`{name}` is only defined further down in this same cell (code cell {here.number}): "
                    f"move the line that defines it above the line that uses it.")
        if here is not None and defining.number > here.number:
            return (f"`{name}` is only defined further down, in {describe_cell(defining)}, below this one "
                    f"(code cell {here.number}). The notebook runs top to bottom: run that cell first "
                    f"(or move it up), then this cell again.")
        above = "further up, in" if here is not None else "in"
        advice = RUN_ABOVE[:1].upper() + RUN_ABOVE[1:]
        return f"`{name}` is defined {above} {describe_cell(defining)}. {advice}."
    module = course_lib_names().get(name)
    if module:
        return (f"`{name}` comes from the course package: run `from {module} import {name}` "
                f"(in this cell or one above), then this cell again.")
    candidates = set(known) | _BUILTINS
    for cell in cells or []:
        candidates |= bound_names(cell.source)
    lower = {c.lower(): c for c in sorted(candidates - {name}, reverse=True)}  # `ture` finds `True`
    close = [lower[c] for c in difflib.get_close_matches(name.lower(), lower, n=1, cutoff=0.75)]
    if cells is None and not close:
        return (f"`{name}` is not defined yet: if a cell above defines it, {RUN_ABOVE}; "
                f"if not, check the spelling.")
    where = "nothing in this notebook defines" if cells is not None else "nothing defines"
    hint = f" (did you mean `{close[0]}`?)" if close else ", or define it in a cell above this one"
    return f"{where} `{name}`: check the spelling{hint}."


def missing_name(error: BaseException) -> str | None:
    """The name a NameError is about (`.name` on Python 3.10+, else read from the message)."""
    if not isinstance(error, NameError) or isinstance(error, UnboundLocalError):
        return None  # an UnboundLocalError is a bug inside a function, not a cell run out of order
    name = getattr(error, "name", None)
    if not name:
        match = re.fullmatch(r"(?:global )?name '(\w+)' is not defined", str(error))
        name = match.group(1) if match else None
    return name


def notebook_candidates(env: dict, user_ns: dict, cwd: str | None = None) -> list[pathlib.Path]:
    """Where the running notebook may be, in order: JupyterLab, VS Code, COURSE_NOTEBOOK."""
    cwds = [pathlib.Path(d) for d in dict.fromkeys([cwd or os.getcwd(), _START_CWD])]
    out = []
    session = env.get("JPY_SESSION_NAME")
    if session:  # absolute, or relative to the server root (an ancestor of the notebook's folder)
        path = pathlib.Path(session)
        if path.is_absolute():
            out.append(path)
        else:
            for folder in cwds:
                out += [folder / path] + [up / path for up in folder.parents] + [folder / path.name]
    if user_ns.get("__vsc_ipynb_file__"):
        out.append(pathlib.Path(str(user_ns["__vsc_ipynb_file__"])))
    if env.get("COURSE_NOTEBOOK"):
        out += [folder / env["COURSE_NOTEBOOK"] for folder in cwds]  # an absolute path stays as it is
    return [p for p in dict.fromkeys(out) if p.suffix == ".ipynb"]


def _read(path: pathlib.Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.stat().st_size < 20_000_000 else None
    except (OSError, ValueError):
        return None


def _notebooks(shell):
    """Yield (notebook dict, sure) for the notebooks this kernel may be running, best guess first.

    `sure` is False for notebooks merely found in the kernel's folder (a renamed notebook keeps its
    old JPY_SESSION_NAME): those count only if they hold the cell that failed."""
    for path in notebook_candidates(dict(os.environ), getattr(shell, "user_ns", {}) or {}):
        if (notebook := _read(path)) is not None:
            yield notebook, True
    if "google.colab" in sys.modules:
        try:
            from google.colab import _message  # Colab's front end hands over the notebook

            yield _message.blocking_request("get_ipynb", timeout_sec=5)["ipynb"], True
        except Exception:
            pass
    for folder in dict.fromkeys([os.getcwd(), _START_CWD]):
        for path in sorted(pathlib.Path(folder).glob("*.ipynb"))[:50]:
            if (notebook := _read(path)) is not None:
                yield notebook, False


def message_for(shell, error: BaseException, tb) -> str | None:
    """The friendly message, or None when the notebook cannot tell (then show the normal traceback)."""
    name = missing_name(error)
    if name is None:
        return None
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    mine = [f for f in frames if f.f_globals is shell.user_global_ns]
    if not frames or frames[-1].f_globals is not shell.user_global_ns:
        return None  # raised inside a library, or by code run in another namespace
    current = _current_source(shell, mine[0])
    cells = None
    for notebook, sure in _notebooks(shell):  # the first that holds the failing cell, else the first sure one
        found = code_cells(notebook)
        if find_cell(found, current) is not None:
            cells = found
            break
        cells = found if cells is None and sure else cells
    known = {k for k in shell.user_ns if not k.startswith("_")}
    return explain(name, cells, current, known)


def _current_source(shell, cell_frame) -> str | None:
    """The failing cell as typed (the history's last input) if that is really the cell that ran, else
    the code IPython compiled for it (the history is stale when a client runs cells without storing
    them, as nbval does)."""
    compiled = "".join(linecache.getlines(cell_frame.f_code.co_filename))
    history = shell.history_manager.input_hist_raw
    raw = history[-1] if history else None
    if compiled.strip() and raw is not None:
        transform = getattr(shell, "transform_cell", lambda text: text)
        if transform(raw).strip() != compiled.strip():
            return compiled
    return raw or compiled or None


def handler(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: one short line, or the normal traceback if anything fails."""
    try:
        message = message_for(shell, value, tb)
        if message is not None:
            sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # %debug and %tb still work
            shell._showtraceback(etype, value, [f"{etype.__name__}: {message}"])  # an "error" output
            return
    except Exception:
        pass
    try:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    except Exception:
        pass


def install(shell=None) -> bool:
    """Send NameErrors of notebook code to `handler`. A no-op (False) outside IPython; never raises."""
    try:
        if shell is None:
            if "IPython" not in sys.modules:
                return False
            shell = sys.modules["IPython"].get_ipython()
        if shell is None:
            return False
        mine = getattr(getattr(shell, "CustomTB", None), "__course_cell_order__", False)
        if getattr(shell, "custom_exceptions", ()) and not mine:
            return False  # someone else's handler: leave it alone
        shell.set_custom_exc((NameError,), handler)
        shell.CustomTB.__func__.__course_cell_order__ = True
        return True
    except Exception:
        return False

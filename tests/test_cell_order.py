"""course_lib.cell_order: a cell run before the cells it needs says which cell to run.

Unit tests of the pure functions (bound names checked against what Python itself binds), the handler
with a stand-in shell (including its fall-back to the normal traceback), and an end-to-end run in a
real kernel through nbclient where a cell is run without the cell above it.
"""

from __future__ import annotations

import contextlib
import json
import linecache
import sys
import types

import nbformat
import pytest

from course_lib import cell_order, runtime
from course_lib.cell_order import bound_names, code_cells, explain, first_definition, strip_magics


def _md(text):
    return {"cell_type": "markdown", "source": text}


def _code(text):
    return {"cell_type": "code", "source": text}


NOTEBOOK = {"cells": [
    _md("# 05 · Training\n\n**You will learn** things"),
    _code(runtime.SETUP_CELL),
    _md("## 1. Data\nSome prose."),
    _code("# NBVAL_CHECK_OUTPUT\nrecipe = {'batch': 4, 'len': 8}"),
    _md(["## 5. Training\n", "More prose.\n", "### 5.1 The loop"]),
    _code(["B, T = recipe['batch'], recipe['len']\n", "model = B * T"]),
    _md("no heading here"),
    _code("print(model)"),
    _code("loss = model - 1\nmodel2 = loss"),
]}
CELLS = code_cells(NOTEBOOK)


# --- which names a cell binds -------------------------------------------------------------------

# Each snippet runs as it is; Python's own namespace after running it is the reference.
BINDING = [
    "model = 1",
    "a, (b, model) = 1, (2, 3)",
    "*rest, model = [1, 2, 3]",
    "x = y = 3",
    "for i, model in enumerate('ab'):\n    pass",
    "with contextlib.nullcontext(5) as model:\n    pass",
    "with contextlib.nullcontext((1, 2)) as (p, q), contextlib.nullcontext() as r:\n    pass",
    "def model(x=1):\n    inner = 2\n    return inner",
    "class Model:\n    attr = 1\n    def method(self):\n        local = 1",
    "@functools.lru_cache\ndef cached():\n    return 1",
    "import os.path\nimport math as m",
    "from math import pi, tau as two_pi",
    "model: int = 3\nlabel: str",
    "for flag in (True, False):\n    if flag:\n        model = 1\n    else:\n        other = 2",
    "try:\n    model = int('1')\n    int('x')\nexcept ValueError as err:\n    fallback = 0\n"
    "finally:\n    done = 1",
    "total = 0\nwhile total < 3:\n    total += 1",
    "squares = [k * k for k in range(3)]\nfirst = (big := 10) + 1",
    "values = [v for v in range(3) if (last := v) >= 0]",
    "f = lambda z: z + 1\ng = [lambda: w for w in range(2)]",
    "match (1, 2):\n    case (1, second):\n        pass",
    "match [1, 2, 3]:\n    case [head, *tail]:\n        pass",
]


@pytest.mark.parametrize("source", BINDING)
def test_bound_names_agree_with_what_python_binds(source):
    namespace = {"contextlib": contextlib, "functools": __import__("functools")}
    before = set(namespace)
    exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - the reference
    python_binds = {n for n in set(namespace) - before if not n.startswith("__")}
    assert bound_names(source) == python_binds


@pytest.mark.parametrize("source", [
    "print(model)", "model += 1", "model: int", "def f():\n    model = 1", "[model for model in 'ab']",
    "text = 'model = 1'", "# model = 1", "del model", "class C:\n    model = 1", "lambda model: model",
    "%%bash\nmodel=1", "%%writefile x.py\nmodel = 1",
])
def test_bound_names_ignores_what_does_not_bind_model(source):
    assert "model" not in bound_names(source)


@pytest.mark.parametrize("source, names", [
    ("%matplotlib inline\nmodel = 1", {"model"}),
    ("!pip install -q x\nmodel = 1", {"model"}),
    ("files = !ls\nout, err = %sx echo hi", {"files", "out", "err"}),
    ("%%time\nmodel = 1\nfor step in range(2):\n    loss = step", {"model", "step", "loss"}),
    ("%time model = 1", {"model"}),
    ("if True:\n    %load_ext foo\n    model = 1", {"model"}),
    ("model?\nother = 1", {"other"}),
])
def test_magics_and_shell_lines_are_skipped(source, names):
    assert bound_names(source) == names
    assert "%" not in strip_magics(source) and "!" not in strip_magics(source)


def test_a_half_written_cell_still_gives_the_lines_that_parse():
    assert bound_names("model = 1\nthis is not python\nlast = 2") == {"model", "last"}
    assert bound_names("(((") == set()


# --- cells, sections, the first definition ------------------------------------------------------

def test_code_cells_are_numbered_and_named_after_the_nearest_section_heading():
    assert [c.number for c in CELLS] == [1, 2, 3, 4, 5]
    assert [c.section for c in CELLS] == [None, "1. Data", "5.1 The loop", "5.1 The loop", "5.1 The loop"]
    assert CELLS[2].source == "B, T = recipe['batch'], recipe['len']\nmodel = B * T"  # list sources joined


@pytest.mark.parametrize("name, number", [("model", 3), ("recipe", 2), ("device", 1), ("QUICK", 1),
                                          ("B", 3), ("model2", 5), ("nowhere", None)])
def test_first_definition_is_the_first_cell_that_binds_the_name(name, number):
    found = first_definition(CELLS, name)
    assert (found.number if found else None) == number


def test_defined_further_up_names_section_cell_number_and_start():
    msg = explain("model", CELLS, "print(model)")
    assert msg.startswith("`model` is defined further up, in the cell under section '5.1 The loop' "
                          "(code cell 3) that starts `B, T = recipe['batch'], recipe['...`.")
    assert "Run > Run All Above" in msg and "Runtime > Run before" in msg and "then this cell again" in msg


def test_the_start_of_a_cell_skips_the_nbval_marker():
    assert "starts `recipe = {'batch': 4, 'len': 8}`" in explain("recipe", CELLS, "print(model)")


def test_the_current_cell_is_found_even_if_the_saved_file_is_slightly_behind():
    assert "defined further up" in explain("model", CELLS, "loss = model - 1\nmodel2 = loss * 2")  # edited
    assert "defined in the cell" in explain("model", CELLS, "something else entirely = 1")


def test_defined_below_says_so_honestly():
    msg = explain("model2", CELLS, "print(model)")
    assert msg.startswith("`model2` is only defined further down, in the cell under section '5.1 The loop' "
                          "(code cell 5) that starts "
                          "`loss = model - 1`, below this one (code cell 4).")
    assert "Run All Above" not in msg


def test_defined_later_in_the_same_cell():
    msg = explain("loss", code_cells({"cells": [_code("print(loss)\nloss = 1")]}), "print(loss)\nloss = 1")
    assert "further down in this same cell (code cell 1)" in msg


@pytest.mark.parametrize("typo, meant", [("modle", "model"), ("recipie", "recipe"), ("pritn", "print"),
                                         ("ragne", "range"), ("enumarate", "enumerate"), ("ture", "True")])
def test_a_name_nothing_defines_gets_a_spelling_hint(typo, meant):
    msg = explain(typo, CELLS, "print(model)")
    assert msg == f"nothing in this notebook defines `{typo}`: check the spelling (did you mean `{meant}`?)."


@pytest.mark.parametrize("name", ["zebra_xq", "later"])  # `later` is not `aiter` or `filter`
def test_a_name_with_no_close_match_says_nothing_defines_it(name):
    msg = explain(name, CELLS, "print(model)")
    assert msg == (f"nothing in this notebook defines `{name}`: check the spelling, "
                   f"or define it in a cell above this one.")


def test_a_course_lib_name_says_where_to_import_it_from():
    import course_lib.masking
    import course_lib.tokenization

    msg = explain("causal_mask", CELLS, "print(model)")
    assert "`from course_lib.masking import causal_mask`" in msg
    assert callable(course_lib.masking.causal_mask)  # the suggested import really works
    assert "`from course_lib.tokenization import BPETokenizer`" in explain("BPETokenizer", None)
    assert course_lib.tokenization.BPETokenizer


def test_without_the_notebook_the_message_is_still_helpful():
    assert explain("model", None, "print(model)").startswith(
        "`model` is not defined yet: if a cell above defines it, run the cells above this one in order")
    assert explain("modle", None, known={"model"}) == \
        "nothing defines `modle`: check the spelling (did you mean `model`?)."


def test_missing_name_reads_the_attribute_or_the_message():
    try:
        undefined_here  # noqa: B018, F821
    except NameError as err:
        assert cell_order.missing_name(err) == "undefined_here"
    assert cell_order.missing_name(NameError("name 'old_style' is not defined")) == "old_style"
    assert cell_order.missing_name(NameError("something else")) is None
    assert cell_order.missing_name(UnboundLocalError("cannot access local variable 'x'")) is None
    assert cell_order.missing_name(ValueError("name 'x' is not defined")) is None


# --- where the notebook is ---------------------------------------------------------------------------

def test_notebook_candidates_in_order_and_jupyterlab_paths_absolute_or_relative(tmp_path):
    root = tmp_path / "server-root"
    folder = root / "notebooks"
    nb = folder / "05_x.ipynb"
    absolute = cell_order.notebook_candidates({"JPY_SESSION_NAME": str(nb)}, {}, cwd=str(folder))
    assert absolute[0] == nb
    relative = cell_order.notebook_candidates({"JPY_SESSION_NAME": "notebooks/05_x.ipynb"}, {},
                                              cwd=str(folder))
    assert nb in relative  # relative to the server root, an ancestor of the kernel's folder
    vsc = tmp_path / "vs.ipynb"
    order = cell_order.notebook_candidates({"JPY_SESSION_NAME": str(nb), "COURSE_NOTEBOOK": "c.ipynb"},
                                           {"__vsc_ipynb_file__": str(vsc)}, cwd=str(folder))
    assert order.index(nb) < order.index(vsc) < order.index(folder / "c.ipynb")
    assert cell_order.notebook_candidates({"JPY_SESSION_NAME": "a-console"}, {}, cwd=str(folder)) == []


# --- the handler, with a stand-in shell -------------------------------------------------------------

class FakeShell:
    def __init__(self, cell_source):
        self.user_ns = {"recipe": 1}
        self.user_global_ns = self.user_ns
        self.history_manager = types.SimpleNamespace(input_hist_raw=["", cell_source])
        self.short, self.normal, self.custom = [], [], None

    def _showtraceback(self, etype, value, stb):
        self.short.append(stb)

    def showtraceback(self, exc_tuple=None, tb_offset=None, **kwargs):
        self.normal.append((exc_tuple, tb_offset))

    def set_custom_exc(self, exc_tuple, handler):
        self.custom_exceptions = exc_tuple
        self.CustomTB = types.MethodType(lambda s, *a, **k: handler(s, *a, **k), self)


def _raise_in(namespace, source):
    try:
        exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102
    except NameError:
        return sys.exc_info()
    raise AssertionError("no NameError")


def _notebook_file(tmp_path, notebook=NOTEBOOK):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook))
    return path


def test_handler_prints_one_line_naming_the_cell(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv("COURSE_NOTEBOOK", str(_notebook_file(tmp_path)))
    shell = FakeShell("print(model)")
    cell_order.handler(shell, *_raise_in(shell.user_ns, "print(model)"))
    assert shell.normal == [] and len(shell.short) == 1 and len(shell.short[0]) == 1
    assert shell.short[0][0].startswith("NameError: `model` is defined further up, in the cell under section "
                                        "'5.1 The loop' (code cell 3)")


def test_a_stale_history_is_not_taken_for_the_failing_cell(tmp_path, monkeypatch):
    """nbval runs cells without storing them: the history's last input is another cell."""
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv("COURSE_NOTEBOOK", str(_notebook_file(tmp_path)))
    source = "loss = model - 1\nmodel2 = loss"
    filename = str(tmp_path / "compiled-cell.py")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # as IPython does
    shell = FakeShell("print(model)")  # stale: code cell 4
    try:
        exec(compile(source, filename, "exec"), shell.user_ns)  # noqa: S102
    except NameError:
        exc = sys.exc_info()
    cell_order.handler(shell, *exc)
    assert "defined further up" in shell.short[0][0]
    shell = FakeShell("print(model)")
    cell_order.handler(shell, *_raise_in(shell.user_ns, "print(model2)"))  # no compiled source: the history
    assert "below this one (code cell 4)" in shell.short[0][0]
    del linecache.cache[filename]


def test_handler_falls_back_to_the_normal_traceback_if_its_own_code_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_NOTEBOOK", str(_notebook_file(tmp_path)))

    def broken(*args, **kwargs):
        raise RuntimeError("bug in the helper")

    monkeypatch.setattr(cell_order, "explain", broken)
    shell = FakeShell("print(model)")
    exc = _raise_in(shell.user_ns, "print(model)")
    cell_order.handler(shell, *exc, tb_offset=1)
    assert shell.short == [] and shell.normal == [(exc, 1)]


def test_handler_falls_back_when_the_error_is_not_from_notebook_code():
    shell = FakeShell("run_library()")
    exc = _raise_in({}, "print(not_in_the_notebook)")  # another namespace, like a library's module
    cell_order.handler(shell, *exc)
    assert shell.short == [] and shell.normal == [(exc, None)]


def test_a_renamed_notebook_is_found_in_the_kernels_folder_by_its_cells(tmp_path, monkeypatch):
    (tmp_path / "other.ipynb").write_text(json.dumps({"cells": [_code("unrelated = 1")]}))
    _notebook_file(tmp_path)  # nb.ipynb: the notebook that really runs, under a new name
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSE_NOTEBOOK", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "old-name.ipynb"))  # gone since the rename
    shell = FakeShell("print(model)")
    cell_order.handler(shell, *_raise_in(shell.user_ns, "print(model)"))
    assert "(code cell 3)" in shell.short[0][0]
    shell = FakeShell("print(zzz_q)")  # a cell no notebook here holds: the folder's notebooks are not used
    cell_order.handler(shell, *_raise_in(shell.user_ns, "print(zzz_q)"))
    assert shell.short[0][0].startswith("NameError: `zzz_q` is not defined yet: if a cell above defines it")


def test_on_colab_the_notebook_comes_from_the_front_end(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for var in ("JPY_SESSION_NAME", "COURSE_NOTEBOOK"):
        monkeypatch.delenv(var, raising=False)
    asked = []

    def blocking_request(request, timeout_sec):
        asked.append((request, timeout_sec))
        return {"ipynb": NOTEBOOK}

    message = types.ModuleType("google.colab._message")
    message.blocking_request = blocking_request
    colab = types.ModuleType("google.colab")
    colab._message = message
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    shell = FakeShell("print(model)")
    cell_order.handler(shell, *_raise_in(shell.user_ns, "print(model)"))
    assert asked == [("get_ipynb", 5)] and "(code cell 3)" in shell.short[0][0]
    message.blocking_request = lambda *a, **k: 1 / 0  # the request fails: the generic message, no error
    shell = FakeShell("print(model)")
    cell_order.handler(shell, *_raise_in(shell.user_ns, "print(model)"))
    assert shell.short[0][0].startswith("NameError: `model` is not defined yet")


def test_install_is_a_no_op_outside_ipython_and_leaves_other_handlers_alone(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert cell_order.install() is False
    shell = FakeShell("")
    assert cell_order.install(shell) is True and shell.custom_exceptions == (NameError,)
    assert cell_order.install(shell) is True  # running the setup cell again is fine
    other = FakeShell("")
    other.set_custom_exc((KeyError,), lambda *a, **k: None)
    assert cell_order.install(other) is False and other.custom_exceptions == (KeyError,)
    assert cell_order.install(object()) is False  # not a shell at all: no error


def test_setup_installs_the_handler(monkeypatch):
    calls = []
    monkeypatch.setattr(cell_order, "install", lambda shell=None: calls.append(shell))
    runtime.setup(seed=0, verbose=False)
    assert calls == [None]
    monkeypatch.setattr(cell_order, "install", lambda shell=None: 1 / 0)
    runtime.setup(seed=0, verbose=False)  # a broken helper never breaks the setup cell


# --- end to end: a real kernel, a cell run without the one above it ---------------------------------

E2E = nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_markdown_cell("# A tiny notebook"),
    nbformat.v4.new_code_cell("from course_lib.cell_order import install\nprint(install())"),
    nbformat.v4.new_markdown_cell("## 2. Make a model"),
    nbformat.v4.new_code_cell("model = 3 * 7"),
    nbformat.v4.new_code_cell("print(model + 1)"),
    nbformat.v4.new_code_cell("pritn(1)"),
    nbformat.v4.new_code_cell("exec('not_in_this_notebook', {})"),
])


def test_end_to_end_in_a_kernel_the_error_names_the_cell_to_run(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    path = tmp_path / "tiny.ipynb"
    nbformat.write(E2E, path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv("COURSE_NOTEBOOK", str(path))  # the kernel inherits it
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})

    def run_failing(index):
        with pytest.raises(nbclient.exceptions.CellExecutionError):  # still an error for nbclient/nbval
            client.execute_cell(nb.cells[index], index)
        errors = [o for o in nb.cells[index].outputs if o.output_type == "error"]
        assert len(errors) == 1 and errors[0].ename == "NameError"
        return errors[0].traceback

    with client.setup_kernel():
        client.execute_cell(nb.cells[1], 1)
        assert nb.cells[1].outputs[0].text.strip() == "True"
        short = run_failing(4)  # cell 4 needs `model` from cell 3, which did not run
        assert len(short) == 1
        assert short[0].startswith("NameError: `model` is defined further up, in the cell under section "
                                   "'2. Make a model' (code cell 2) that starts `model = 3 * 7`. "
                                   "Run the cells above")
        typo = run_failing(5)
        assert typo == ["NameError: nothing in this notebook defines `pritn`: check the spelling "
                        "(did you mean `print`?)."]
        normal = run_failing(6)  # raised outside notebook code: the usual, full traceback
        assert len(normal) > 1 and "not_in_this_notebook" in normal[-1]
        client.execute_cell(nb.cells[3], 3)  # run the cell above, then this one again: it works
        client.execute_cell(nb.cells[4], 4)
        assert nb.cells[4].outputs[-1].text.strip() == "22"

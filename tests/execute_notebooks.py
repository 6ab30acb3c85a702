"""Re-execute notebooks at class size and save them clean, ready to commit.

    python tests/execute_notebooks.py                 # every notebook in notebooks/
    python tests/execute_notebooks.py 01 03_positional_encoding.ipynb
    python tests/execute_notebooks.py --quick 02      # quick mode (as the tests run), for a fast look
    python tests/execute_notebooks.py --clean-only 05 # re-clean the saved file, without running it

Each notebook runs top to bottom in a fresh kernel from the notebooks/ folder, exactly as after
"Restart kernel and run all". A notebook that fails is left untouched on disk and the error printed.
Saved notebooks carry no widget state, no timing metadata and no widget views (their static figures
stay), so diffs show only what changed.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import sys
import time
from datetime import datetime

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# course_lib.viz views inline third-party JavaScript (d3, bertviz) at run time; the repository commits
# none of it, so their saved outputs are replaced by a note (GitHub would not run the scripts anyway).
LIVE_VIEW = re.compile(r'id="course-(head|model)-view-')
LIVE_VIEW_NOTE = "[interactive attention view: run this cell to see it; its JavaScript is not saved]\n"


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what changes from run to run or machine to machine and is not teaching content."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type == "code":
            cell.outputs = [_strip_live_view(o) for o in cell.outputs if WIDGET_MIME not in o.get("data", {})]
    return nb


def _strip_live_view(output):
    html = output.get("data", {}).get("text/html", "")
    if LIVE_VIEW.search("".join(html)):
        return nbformat.v4.new_output("display_data", data={"text/plain": LIVE_VIEW_NOTE})
    return output


def cell_seconds(nb: nbformat.NotebookNode) -> list[tuple[int, float]]:
    """(cell index, seconds) of every executed code cell, from the timing nbclient records."""
    timed = []
    for i, cell in enumerate(nb.cells):
        t = cell.metadata.get("execution", {})
        start, end = t.get("iopub.execute_input"), t.get("shell.execute_reply")
        if cell.cell_type == "code" and start and end:
            seconds = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                       - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            timed.append((i, seconds))
    return timed


def execute(path: pathlib.Path, quick: bool = False, timeout: int = 1800) -> tuple[float, list[tuple[int, float]]]:
    """Run one notebook in a fresh kernel and save it cleaned; returns (wall seconds, the slowest cells)."""
    nb = nbformat.read(path, as_version=4)
    env_quick = os.environ.get("COURSE_QUICK")
    os.environ["COURSE_QUICK"] = "1" if quick else "0"
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        elapsed = time.perf_counter() - start
        slowest = sorted(cell_seconds(nb), key=lambda item: -item[1])[:5]
    finally:
        if env_quick is None:
            os.environ.pop("COURSE_QUICK", None)
        else:
            os.environ["COURSE_QUICK"] = env_quick
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(clean(nb), tmp)
    os.replace(tmp, path)  # atomic: an interrupted run never leaves half a notebook
    return elapsed, slowest


def resolve(names: list[str]) -> list[pathlib.Path]:
    everything = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return everything
    chosen = []
    for name in names:
        hits = [p for p in everything if p.name == name or p.name.startswith(name)]
        if not hits:
            raise SystemExit(f"no notebook matches {name!r}; expected one of {[p.name for p in everything]}")
        chosen += hits
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names or number prefixes (default: all)")
    parser.add_argument("--quick", action="store_true", help="run in quick mode (COURSE_QUICK=1)")
    parser.add_argument("--clean-only", action="store_true", help="only clean the saved notebooks")
    args = parser.parse_args(argv)
    failed = 0
    for path in resolve(args.names):
        if args.clean_only:
            nbformat.write(clean(nbformat.read(path, as_version=4)), path)
            continue
        try:
            seconds, slowest = execute(path, quick=args.quick)
            cells = ", ".join(f"cell {i} {t:.0f} s" for i, t in slowest)
            print(f"{path.name}: ran in {seconds:.1f} s ({path.stat().st_size // 1024} KB); slowest: {cells}")
        except Exception as err:  # report and go on with the next notebook
            failed += 1
            print(f"{path.name}: FAILED, left unchanged\n{err}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

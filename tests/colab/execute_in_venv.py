"""Run one notebook headless in the Colab-like environment (called by run_colab_like.py, with its python).

    <venv>/bin/python execute_in_venv.py NOTEBOOK.ipynb PROBE.py RESULT.json EXECUTED.ipynb --kernel NAME

Executes a copy of the notebook with the explorer probe appended as a last cell, in the kernel NAME,
from the notebook's folder; writes what happened as JSON (and the executed copy, for a person to look
at). Exit status 0 even when the notebook fails: the JSON says how.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

PROBE_TAG = "COURSE_EXPLORER_PROBE "


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook", type=pathlib.Path)
    ap.add_argument("probe", type=pathlib.Path)
    ap.add_argument("result", type=pathlib.Path)
    ap.add_argument("executed", type=pathlib.Path)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args(argv)

    nb = nbformat.read(args.notebook, as_version=4)
    n_cells = len(nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(args.probe.read_text(encoding="utf-8")))
    result = {"notebook": args.notebook.name, "ok": False, "error": None, "error_cell": None, "probe": None}
    client = NotebookClient(nb, timeout=args.timeout, kernel_name=args.kernel, allow_errors=False,
                            resources={"metadata": {"path": str(args.notebook.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        result["ok"] = True
    except CellExecutionError as err:
        result["error"] = f"{err.ename}: {err.evalue}"
        result["traceback"] = str(err)[-3000:]
    except (CellTimeoutError, DeadKernelError) as err:
        result["error"] = f"{type(err).__name__}: {err}"
    result["seconds"] = round(time.perf_counter() - start, 1)

    # Errors shown without stopping the run (a traceback printed by a widget, say) count too.
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                result["ok"] = False
                result["error_cell"] = "probe" if i == n_cells else i
                result["error"] = result["error"] or f"{out.get('ename')}: {out.get('evalue')}"
                result["cell_source"] = cell.source[:300]
                break
        if result["error_cell"] is not None:
            break
    probe_cell = nb.cells[-1]
    for out in probe_cell.get("outputs", []):
        if out.get("output_type") == "stream":
            for line in out.get("text", "").splitlines():
                if line.startswith(PROBE_TAG):
                    result["probe"] = json.loads(line[len(PROBE_TAG):])
    args.result.write_text(json.dumps(result, indent=1), encoding="utf-8")
    nbformat.write(nb, args.executed)
    return 0


if __name__ == "__main__":
    sys.exit(main())

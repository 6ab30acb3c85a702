# Colab-like check: appended as a last cell to a copy of each notebook (never saved into the notebook).
# It runs in the notebook's own kernel after every cell, finds each explorer the notebook built with
# course_lib.widgets.explorer, moves one control, and reports as one JSON line whether the explorer
# redrew something different without a traceback. It talks to no front end, so it checks what the
# kernel side of ipywidgets (7.7.1 on Colab) does: observers fire, draw runs, new output is published.
def _course_explorer_probe():
    import io
    import json
    import sys
    import traceback
    import warnings

    import IPython
    import ipywidgets

    shell = get_ipython()  # noqa: F821 - defined in every IPython kernel

    class capture_output:  # IPython's own capture_output swaps the display publisher,
        """which ipywidgets 8's Output cannot work with; this one records what the publisher is given."""

        def __enter__(self):
            self.outputs, self._text = [], io.StringIO()
            pub = shell.display_pub
            pub.publish = lambda data=None, metadata=None, *a, **k: self.outputs.append(dict(data or {}))
            pub.clear_output = lambda *a, **k: self.outputs.clear()
            self._stdout, sys.stdout = sys.stdout, self._text
            return self

        def __exit__(self, *exc):
            sys.stdout = self._stdout
            for name in ("publish", "clear_output"):
                shell.display_pub.__dict__.pop(name, None)
            self.stdout = self._text.getvalue()
            return False

    def versions():
        out = {"python": sys.version.split()[0], "ipython": IPython.__version__, "ipywidgets": ipywidgets.__version__}
        for name in ("ipykernel", "torch", "course_lib"):
            module = sys.modules.get(name)
            out[name] = getattr(module, "__version__", None) if module else None
        course_lib = sys.modules.get("course_lib")
        out["course_lib_file"] = getattr(course_lib, "__file__", None)
        return out

    def signature(captured):
        """What a redraw published: printed text plus every displayed mime bundle."""
        parts = [captured.stdout]
        for data in captured.outputs:
            parts += [f"{k}={v}" for k, v in sorted(data.items()) if not k.startswith("application/vnd.jupyter.widget")]
        return "\n".join(parts)

    def moves(control):
        """Ways to move this control, in the order a student would: slider, choice, switch, text."""
        if hasattr(control, "options") and hasattr(control, "index") and len(control.options) > 1:
            index = control.index or 0
            yield "index", (index + 1) % len(control.options)
        elif all(hasattr(control, a) for a in ("min", "max", "step")) and isinstance(control.value, (int, float)):
            up = control.value + control.step
            yield "value", up if up <= control.max else control.value - control.step
        elif isinstance(control.value, bool):
            yield "value", not control.value
        elif isinstance(control.value, str):
            yield "value", control.value + " and more"

    rank = {"IntSlider": 0, "FloatSlider": 0, "SelectionSlider": 0, "Dropdown": 1, "ToggleButtons": 1,
            "RadioButtons": 1, "Checkbox": 2, "ToggleButton": 2}
    registry = getattr(ipywidgets.widgets.widget, "_instances", None)  # ipywidgets 8
    if not isinstance(registry, dict):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            registry = ipywidgets.Widget.widgets  # ipywidgets 7
    boxes = [w for w in list(registry.values()) if isinstance(w, ipywidgets.Box)
             and callable(getattr(w, "redraw", None)) and isinstance(getattr(w, "controls", None), dict)]
    report = {"versions": versions(), "google_colab_loaded": "google.colab" in sys.modules, "explorers": []}
    try:
        from course_lib.runtime import in_colab

        report["in_colab"] = in_colab()
    except Exception as err:  # noqa: BLE001
        report["in_colab"] = f"error: {err!r}"
    for number, box in enumerate(boxes):
        entry = {"explorer": number, "controls": {k: type(c).__name__ for k, c in box.controls.items()},
                 "changed": False, "moved": [], "errors": []}
        traces = entry["errors"]
        original = shell.showtraceback

        def record(exc_tuple=None, *args, traces=traces, **kwargs):  # how ipywidgets' Output shows an error
            traces.append("".join(traceback.format_exception(*(exc_tuple or sys.exc_info())))[-1500:])

        shell.showtraceback = record
        try:
            with capture_output() as before:
                box.redraw()
            baseline = signature(before)
            entry["draws_something"] = bool(baseline.strip())
            ordered = sorted(box.controls.items(), key=lambda kv: rank.get(type(kv[1]).__name__, 3))
            for name, control in ordered:
                for attr, new in moves(control):
                    old = getattr(control, attr)
                    with capture_output() as after:
                        setattr(control, attr, new)
                    entry["moved"].append(f"{name}.{attr}: {old!r} -> {new!r}")
                    if signature(after) != baseline and not traces:
                        entry["changed"] = True
                    break
                if entry["changed"] or traces:
                    break
        except Exception:  # noqa: BLE001 - an observer that raises outside the output area
            traces.append(traceback.format_exc()[-1500:])
        finally:
            shell.showtraceback = original
        report["explorers"].append(entry)
    print("COURSE_EXPLORER_PROBE " + json.dumps(report))


_course_explorer_probe()
del _course_explorer_probe

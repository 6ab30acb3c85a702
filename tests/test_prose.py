"""The prose claims what the outputs show (DESIGN.md, principle 9): a measured number written in a
notebook's markdown must appear in one of that notebook's saved outputs.

Flagged: a number followed by a unit of time (ms, s, sec, seconds, min, minutes), by tokens/s, or by %,
and a decimal number next to the word "loss", that no output of the same notebook shows. An output
"shows" it when one of its numbers, read in the same kind of unit (seconds, tokens/s, %, any number
for a loss), rounds to the markdown's number at the markdown's precision ("63k" is 63,000 to 63,999;
"1.9" is 1.85 to 1.95), or lies inside a range written in the markdown ("4-5 min"). Inline code and
LaTeX are not prose and are skipped. Numbers that are definitions, not measurements, are in ALLOWED
(ALLOWED_IN for one notebook). The first cell's "Time to run" paragraph is left out: its evidence is the
run log of tests/execute_notebooks.py, which no cell prints.

KNOWN lists the findings still to correct; it may only shrink. The test fails on a
finding that is not in KNOWN, and on a KNOWN entry that no longer occurs (then delete it).
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Definitions and targets written in the prose, not measurements.
ALLOWED = {
    "15%",     # BERT's masking rate (09), a definition
    "80%", "10%",  # the 80/10/10 rule of BERT's masking (09), a definition
    "50%",     # chance for a two-way choice (NSP), a definition
    "90%",     # the course's NSP target (09), asserted in the notebook, not a measurement
    "100%",    # a whole (e.g. "exact match below 100%"), not a measurement
}
ALLOWED_IN = {
    "09": {"40%", "60%", "97%"},  # DistilBERT's published size, speed and score (Sanh et al., 2019), quoted
}

# Findings still to correct in the notebooks (notebook number -> the flagged phrases). When one is
# corrected, delete its entry: a finding missing here, or an entry that no longer occurs, fails the test.
KNOWN: dict[str, list[str]] = {
    # notebook number -> flagged phrases, e.g. "10": ["c26: 63k tokens/s"]; empty: every notebook passes
}

NUMBER = r"\d[\d,]*(?:\.\d+)?"
RANGE = rf"(?P<a>{NUMBER})(?P<ka>k)?(?:\s*(?:-|–|to)\s*(?P<b>{NUMBER})(?P<kb>k)?)?"
UNITS = {  # unit as written -> (kind, factor to the kind's base unit)
    "ms": ("time", 0.001), "s": ("time", 1), "sec": ("time", 1), "second": ("time", 1), "seconds": ("time", 1),
    "min": ("time", 60), "mins": ("time", 60), "minute": ("time", 60), "minutes": ("time", 60),
    "tokens/s": ("speed", 1), "tok/s": ("speed", 1), "%": ("percent", 1),
}
UNIT = r"(?P<unit>tokens/s|tok/s|%|ms|seconds?|sec|minutes?|mins?|s)(?![\w/])"
CLAIM = re.compile(rf"(?<![\w.,]){RANGE}\s*(?:\u00a0)?{UNIT}")
LOSS = [re.compile(rf"\bloss(?:es)?\b[^.\n\d]{{0,40}}?(?P<a>\d+\.\d+)(?:\s*(?:->|→|to)\s*(?P<b>\d+\.\d+))?"),
        re.compile(rf"(?P<a>\d+\.\d+)\s+(?:validation |training |val |train )?loss\b")]
OUT_NUMBER = re.compile(rf"(?<![\w.]){NUMBER}(?P<k>k)?")
OUT_UNIT = re.compile(rf"(?<![\w.])(?P<n>{NUMBER})(?P<k>k)?\s*{UNIT}")


def _value(text: str, k: str | None) -> float:
    return float(text.replace(",", "")) * (1000 if k else 1)


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def prose(cell) -> str:
    text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.DOTALL)
    return text


def outputs_text(nb) -> str:
    parts = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            parts.append("".join(o.get("text", "")))
            data = o.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown"):
                parts.append(re.sub(r"<[^>]+>", " ", "".join(data.get(mime, ""))))
    return "\n".join(parts)


def measured(outputs: str) -> dict[str, list[float]]:
    """Numbers of the outputs by kind ("time" in seconds, "speed", "percent", "any")."""
    found: dict[str, list[float]] = {"time": [], "speed": [], "percent": [], "any": []}
    for m in OUT_UNIT.finditer(outputs):
        kind, factor = UNITS[m["unit"]]
        found[kind].append(_value(m["n"], m["k"]) * factor)
    found["any"] = [_value(m.group(0).rstrip("k"), m["k"]) for m in OUT_NUMBER.finditer(outputs)]
    return found


def _shown(a: str, ka, b: str | None, kb, kind: str, factor: float, numbers: dict) -> bool:
    if b is not None:  # a range: some output inside it
        lo, hi = sorted((_value(a, ka or kb), _value(b, kb)))
        return any(lo * factor * 0.995 <= x <= hi * factor * 1.005 for x in numbers[kind])
    target = _value(a, ka)
    step = 1000 if ka else 10 ** -_decimals(a)
    for x in numbers[kind]:
        y = x / factor
        if ka and int(y // 1000) == int(target // 1000):
            return True
        if not ka and abs(y - target) <= step / 2 + 1e-9:
            return True
    return False


def findings(path: pathlib.Path) -> list[str]:
    """The phrases of a notebook's markdown whose numbers no output of the notebook shows."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    numbers = measured(outputs_text(nb))
    allowed = ALLOWED | ALLOWED_IN.get(path.name[:2], set())
    flagged = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = prose(cell)
        if i == 0:  # the run time of the whole notebook: measured by the runner, printed by no cell
            text = re.sub(r"time to run.*?(\n\s*\n|$)", " ", text, flags=re.IGNORECASE | re.DOTALL)
        for m in CLAIM.finditer(text):
            phrase = m.group(0).replace("\u00a0", " ")
            if re.sub(r"\s+", "", phrase) in allowed:
                continue
            kind, factor = UNITS[m["unit"]]
            if not _shown(m["a"], m["ka"], m["b"], m["kb"], kind, factor, numbers):
                flagged.append(f"c{i}: {phrase}")
        for pattern in LOSS:
            for m in pattern.finditer(text):
                for number in filter(None, (m["a"], m.groupdict().get("b"))):
                    if not _shown(number, None, None, None, "any", 1, numbers):
                        flagged.append(f"c{i}: loss {number}")
    return flagged


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_prose_numbers_appear_in_the_outputs(path):
    found = findings(path)
    known = KNOWN.get(path.name[:2], [])
    new = [f for f in found if f not in known]
    gone = [k for k in known if k not in found]
    assert not new, (f"{path.name}: numbers in the prose that no output shows (write 'the output above', "
                     f"a range that holds, or fix the number): {new}")
    assert not gone, f"{path.name}: KNOWN lists findings that no longer occur; delete them from KNOWN: {gone}"


def test_the_check_catches_a_made_up_speed(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "source": "It runs at about 63k tokens/s and reaches a loss of 1.88 in 30 s."},
        {"cell_type": "code", "source": "", "outputs": [
            {"output_type": "stream", "text": "median 51,532 tokens/s | reached 1.88 after 45 s"}]},
        {"cell_type": "markdown", "source": "About 51k tokens/s, 45 s, loss 1.88; BERT masks 15%; 4-5 min."},
        {"cell_type": "code", "source": "", "outputs": [{"output_type": "stream", "text": "253.6 s"}]},
    ]}
    path = tmp_path / "99_x.ipynb"
    path.write_text(json.dumps(nb))
    assert findings(path) == ["c0: 63k tokens/s", "c0: 30 s"]

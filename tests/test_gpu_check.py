"""The GPU check script runs end to end (in its --smoke mode on whatever device the tests have)."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_gpu_check_smoke_trains_every_family():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--smoke"], capture_output=True,
                         text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line for line in out.stdout.splitlines() if "tok/s" in line]
    assert [line.split()[0] for line in lines] == ["gpt", "bert", "seq2seq"], out.stdout
    assert not any("did not fall" in line for line in lines), out.stdout

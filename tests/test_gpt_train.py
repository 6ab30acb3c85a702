"""The script form of 10_gpt_pretraining: `python -m course_lib.gpt.train`, alone and under torchrun."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from course_lib.gpt.train import main

TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 150


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _val_losses(out: str) -> tuple[float, float]:
    match = re.search(r"validation loss ([\d.]+|nan) -> ([\d.]+|nan)", out)
    assert match, f"no validation line in:\n{out[-2000:]}"
    return float(match.group(1)), float(match.group(2))


def test_trains_saves_and_resumes(corpus, tmp_path, capsys):
    ckpt = tmp_path / "gpt.pt"
    args = ["--corpus", str(corpus), "--preset", "cpu", "--batch-size", "8", "--out", str(ckpt)]
    assert main(args + ["--steps", "20"]) == 0
    first, last = _val_losses(capsys.readouterr().out)
    assert last < first - 0.5, f"validation loss did not fall: {first} -> {last}"
    assert ckpt.is_file()
    assert main(args + ["--steps", "30"]) == 0
    captured = capsys.readouterr()
    assert "resumed from" in captured.out + captured.err and "at step 20" in captured.out + captured.err


@pytest.mark.parametrize("bad, message", [(["--steps", "0"], "--steps must be a positive integer"),
                                          (["--corpus", "/no/such/file.txt"], "is not a file"),
                                          (["--preset", "huge"], "invalid choice")])
def test_bad_arguments_are_named(bad, message, corpus, capsys):
    args = ["--corpus", str(corpus)] + bad if "--corpus" not in bad else bad
    with pytest.raises(SystemExit):
        main(args)
    assert message in capsys.readouterr().err


def test_runs_under_torchrun_with_two_processes(corpus):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           "-m", "course_lib.gpt.train", "--corpus", str(corpus), "--preset", "cpu",
                           "--steps", "15", "--batch-size", "8"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, f"torchrun failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    first, last = _val_losses(proc.stdout)
    assert last < first, f"validation loss did not fall under DDP: {first} -> {last}"
    assert proc.stdout.count("validation loss") == 1, "only rank 0 should report"

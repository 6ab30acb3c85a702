"""course_lib.training under torchrun: 2 CPU processes with gloo stay in sync, see different batches,
lower the loss, and match one process that accumulates the same two batches per step."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import torch

import _ddp_worker as worker
from course_lib.training import init_distributed, train

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
           str(ROOT / "tests" / "_ddp_worker.py"), str(out)]
    proc = subprocess.run(cmd, check=False, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"torchrun failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]


def test_ranks_stay_in_sync(ranks):
    r0, r1 = ranks
    assert r0["world_size"] == r1["world_size"] == 2
    assert r0["param_sha256"] == r1["param_sha256"], "the ranks' parameters differ after training"
    assert r0["train_loss"] == r1["train_loss"] and r0["val_loss"] == r1["val_loss"], "losses are averaged"
    assert r0["process_group_left"] and r1["process_group_left"]


def test_ranks_see_different_batches_and_the_loss_falls(ranks):
    r0, r1 = ranks
    assert r0["indices"] == list(range(0, 60, 2)) and r1["indices"] == list(range(1, 60, 2))
    assert r0["train_loss"][-1] < r0["train_loss"][0] - 0.5
    assert r0["val_loss"][-1] < r0["val_loss"][0] - 0.5
    assert r0["tokens_seen"] == 30 * 2 * worker.B * worker.T, "tokens are counted over both ranks"
    assert all(t > 0 for t in r0["tokens_per_s"])


def test_two_ranks_equal_one_process_accumulating_two_batches(ranks):
    """DDP averages the gradients of batches 2s and 2s+1; one process with grad_accum_steps=2 sees
    the same two batches per step (get_batch index = step * 2 + micro_step), so both runs agree."""
    torch.manual_seed(0)  # rank 0's initial weights, which DDP copies to every rank
    model = worker.TinyLM()
    from dataclasses import replace

    history = train(model, worker.get_batch, replace(worker.CONFIG, grad_accum_steps=2), device="cpu",
                    verbose=False)
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    torch.testing.assert_close(torch.tensor(ranks[0]["params"]), flat, rtol=1e-4, atol=1e-5)
    assert history.train_loss == pytest.approx(ranks[0]["train_loss"], rel=1e-4)


def test_one_process_is_not_distributed():
    info = init_distributed()
    assert (info.rank, info.world_size, info.enabled, info.is_main) == (0, 1, False, True)

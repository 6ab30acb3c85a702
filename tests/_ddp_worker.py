"""Run by tests/test_distributed.py under torchrun (2 CPU processes, gloo): trains a tiny model with
course_lib.training.train and writes what each rank ended with to OUT_DIR/rank<N>.json.

    python -m torch.distributed.run --nproc_per_node=2 --standalone tests/_ddp_worker.py OUT_DIR
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import sys

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.training import TrainConfig, train

V, T, B = 16, 8, 4
DATA = (torch.arange(2000) * 5 + torch.arange(2000) // 3) % V
CONFIG = TrainConfig(max_steps=30, lr=2e-2, min_lr=2e-3, warmup_steps=3, eval_every=10, eval_steps=2,
                     log_every=5, seed=0)


class TinyLM(nn.Module):
    def __init__(self, d: int = 16):
        super().__init__()
        self.emb = nn.Embedding(V, d)
        self.hidden = nn.Linear(d, d)
        self.out = nn.Linear(d, V)

    def forward(self, x):  # (B, T) -> (B, T, V)
        return self.out(torch.tanh(self.hidden(self.emb(x))))

    def loss(self, x, y):
        return F.cross_entropy(self(x).reshape(-1, V), y.reshape(-1))


def get_batch(split: str, i: int):
    g = torch.Generator().manual_seed(2 * i + (split == "val"))
    ix = torch.randint(0, len(DATA) - T - 1, (B,), generator=g)
    return torch.stack([DATA[j:j + T] for j in ix]), torch.stack([DATA[j + 1:j + T + 1] for j in ix])


def make_model() -> TinyLM:
    """Each rank starts from different weights on purpose: DDP must copy rank 0's to every rank."""
    torch.manual_seed(int(os.environ.get("RANK", "0")))
    return TinyLM()


def main(out_dir: str) -> None:
    torch.set_num_threads(1)
    indices = []

    def recording_batches(split, i):
        if split == "train":
            indices.append(i)
        return get_batch(split, i)

    model = make_model()
    history = train(model, recording_batches, CONFIG, device="cpu", verbose=False)
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    result = {
        "rank": int(os.environ["RANK"]),
        "world_size": int(os.environ["WORLD_SIZE"]),
        "param_sha256": hashlib.sha256(flat.numpy().tobytes()).hexdigest(),
        "params": flat.tolist(),
        "train_loss": history.train_loss,
        "val_loss": history.val_loss,
        "tokens_seen": history.tokens_seen,
        "tokens_per_s": history.tokens_per_s,
        "indices": indices,
        "process_group_left": not torch.distributed.is_initialized(),
    }
    pathlib.Path(out_dir, f"rank{result['rank']}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])

"""The same training loop on many processes: DistributedDataParallel (DDP) under torchrun.

Used by the script form of 10_gpt_pretraining (python -m course_lib.gpt.train) and by any training
notebook turned into a script.
In a notebook (one process) nothing here does anything.

How it works: torchrun starts one process per GPU (or CPU worker) and sets RANK, LOCAL_RANK and
WORLD_SIZE. `train` sees them, joins the process group (NCCL on GPUs, gloo on CPUs) and wraps the
model in DDP, which averages the gradients of all processes after every backward pass so every copy
takes the same step. Each process reads different batches: get_batch(split, i) is called with
i = (step * grad_accum_steps + micro_step) * world_size + rank. Only rank 0 prints, plots and saves.

Command lines (the script calls `train` exactly as the notebook does; it must not wait for input):

    # one machine, 8 GPUs: one process per GPU
    torchrun --standalone --nproc_per_node=8 -m course_lib.gpt.train

    # two machines with 8 GPUs each; run both lines, one per machine (host = the first machine's address)
    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 --rdzv_endpoint=host:29500 -m course_lib.gpt.train
    torchrun --nnodes=2 --node_rank=1 --nproc_per_node=8 --rdzv_endpoint=host:29500 -m course_lib.gpt.train

    # CPU only, e.g. to try it on a laptop: 2 processes with gloo, one thread each
    OMP_NUM_THREADS=1 torchrun --standalone --nproc_per_node=2 -m course_lib.gpt.train

Every parameter must take part in the loss (DDP waits for a gradient of each one): freeze unused
heads with requires_grad_(False). With N processes each step sees N times as many tokens: divide max_steps by N (or the batch size) to
train on the same data. A checkpoint path must be on a disk that every machine sees to resume.
Deliberately left out: FSDP and tensor or pipeline parallelism (models here fit on one GPU).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from course_lib.runtime import pick_device


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: its rank among `world_size` processes and its GPU (`local_rank`)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    started_here: bool = False  # True when init_distributed started the process group

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed() -> DistInfo:
    """Join the process group when launched by torchrun with more than one process; else one process."""
    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), dist.get_world_size())
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        dist.init_process_group(backend="nccl")
    else:
        dist.init_process_group(backend="gloo")
    return DistInfo(rank, local_rank, world_size, started_here=True)


def process_rank() -> int:
    """This process's rank before (or after) joining the process group: 0 when there is one process."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0"))


def pick_train_device(info: DistInfo, device=None) -> torch.device:
    """This process's device: its own GPU under torchrun; otherwise `device` or the best one here."""
    if info.enabled:
        return torch.device("cuda", info.local_rank) if torch.cuda.is_available() else torch.device("cpu")
    return pick_device(device)


def all_reduce_sum(values: list[float], info: DistInfo, device: torch.device) -> list[float]:
    """The element-wise sum of `values` over all processes (unchanged with one process)."""
    if not info.enabled:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def any_process(flag: bool, info: DistInfo, device: torch.device) -> bool:
    """True on every process if it is True on any (so all processes stop at the same step)."""
    return all_reduce_sum([float(flag)], info, device)[0] > 0 if info.enabled else flag


def gather_objects(obj, info: DistInfo) -> list:
    """[obj of rank 0, obj of rank 1, ...] on every process (a list of one with one process)."""
    if not info.enabled:
        return [obj]
    out = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def cleanup_distributed(info: DistInfo) -> None:
    """Leave the process group if init_distributed started it."""
    if info.started_here and dist.is_initialized():
        dist.destroy_process_group()

"""Speed: precision, the fused optimizer, torch.compile, and model FLOPs utilisation (MFU).

Used by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining (through `train`; 10 also
explains MFU). Precision rules: CUDA with bf16 (compute capability >= 8, e.g. A100, L4, H100) trains
under bf16 autocast; older GPUs (T4, V100) under fp16 autocast with a gradient scaler; CPU and Apple
MPS in fp32 (bf16 autocast is slower than fp32 on most laptop CPUs, and fp32 is the safe choice on MPS;
ask for "bf16" explicitly to try it there). Deliberately left out: fp8, quantisation, CUDA graphs.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import platform
import time

import torch
from torch import nn

# Dense peak FLOP/s per GPU from the makers' data sheets: (bf16 or fp16 tensor cores, fp32 matmuls).
# fp32 matmuls use TF32 tensor cores where the GPU has them (train() turns TF32 on).
# First match wins, so longer names come before their prefixes ("L40S" before "L4").
GPU_PEAK_FLOPS = {
    "H200": (989e12, 494e12),
    "H100 PCIe": (756e12, 378e12),
    "H100": (989e12, 494e12),
    "A100": (312e12, 156e12),
    "L40S": (362e12, 183e12),
    "L40": (181e12, 90.5e12),
    "L4": (121e12, 60e12),
    "RTX 4090": (165e12, 82.6e12),
    "RTX 3090": (71e12, 35.6e12),
    "V100": (125e12, 15.7e12),
    "T4": (65e12, 8.1e12),
}

_AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(precision: str, device: torch.device) -> str:
    """'fp32', 'bf16' or 'fp16' for this device ('auto' chooses; an impossible choice is an error)."""
    device = torch.device(device)
    bf16_gpu = device.type == "cuda" and torch.cuda.get_device_capability(device)[0] >= 8
    if precision == "auto":
        if device.type == "cuda":
            return "bf16" if bf16_gpu else "fp16"
        return "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise ValueError(f'precision "fp16" needs a CUDA GPU (it uses a gradient scaler), got device {device}; '
                         'use "fp32" or "bf16"')
    if precision == "bf16" and device.type == "cuda" and not bf16_gpu:
        raise ValueError(f'precision "bf16" is not supported by {torch.cuda.get_device_name(device)}; use "fp16"')
    if precision not in ("fp32", "bf16", "fp16"):
        raise ValueError(f'precision must be "auto", "fp32", "bf16" or "fp16", got {precision!r}')
    return precision


def autocast_context(precision: str, device: torch.device):
    """A reusable context manager: autocast for bf16/fp16, nothing for fp32 (no per-step cost)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=_AUTOCAST_DTYPES[precision])


def make_scaler(precision: str, device: torch.device):
    """A gradient scaler for fp16 (small gradients would underflow to 0 otherwise); None otherwise."""
    if precision != "fp16":
        return None
    return torch.amp.GradScaler(torch.device(device).type)


def make_optimizer(model: nn.Module, config) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (>= 2-D: linear and embedding weights), not on biases
    and norm gains; the fused kernel (one call for all parameters) where the device supports it."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters (all have requires_grad=False)")
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": config.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    try:
        return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, fused=True)
    except (RuntimeError, TypeError, ValueError):  # this device (or an old torch) has no fused AdamW
        return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas)


def compile_decision(setting: bool | str, device: torch.device) -> tuple[bool, str | None]:
    """(use torch.compile?, a one-line reason when it was asked for but is turned off)."""
    device = torch.device(device)
    if setting is False or (setting == "auto" and device.type != "cuda"):
        return False, None
    if platform.system() == "Windows":
        return False, "torch.compile is off: it is not supported on Windows"
    if not hasattr(torch, "compile"):
        return False, "torch.compile is off: this torch has no torch.compile"
    if device.type == "cuda":
        if importlib.util.find_spec("triton") is None:
            return False, "torch.compile is off: triton is not installed"
        if torch.cuda.get_device_capability(device)[0] < 7:
            return False, "torch.compile is off: this GPU is too old for triton (compute capability < 7)"
    return True, None


def default_flops_per_token(model: nn.Module) -> float:
    """Training FLOPs per token: the model's own `flops_per_token()` where it has one (GPT, Bert), else
    about 6 x trainable parameters (2 for the forward multiply-adds, 4 for backward)."""
    own = getattr(model, "flops_per_token", None)
    if callable(own):
        return float(own())
    return 6.0 * sum(p.numel() for p in model.parameters() if p.requires_grad)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure_peak_flops(device="cpu", dtype: torch.dtype = torch.float32, n: int | None = None,
                       repeats: int = 5) -> float:
    """FLOP/s of the best of `repeats` square (n x n) @ (n x n) matmuls: a practical peak to compare with.

    Without `n`, the size doubles from 256 until one matmul takes 20 ms (at most 1024 on CPU, 8192 on
    a GPU), so a slow dtype (bf16 on an old CPU) stays quick to measure. On CPU it uses torch's current
    thread count. Measured peaks sit somewhat below data-sheet peaks.
    """
    device = torch.device(device)

    def seconds(a, b) -> float:
        start = time.perf_counter()
        a @ b
        _sync(device)
        return time.perf_counter() - start

    gen = torch.Generator().manual_seed(0)
    size, largest = n or 256, n or (1024 if device.type == "cpu" else 8192)
    while True:
        a, b = (torch.randn(size, size, generator=gen).to(device, dtype) for _ in range(2))
        seconds(a, b)  # warm-up: thread pools, kernels, caches
        if size >= largest or min(seconds(a, b) for _ in range(3)) > 0.02:
            break
        size *= 2
    return 2 * size**3 / min(seconds(a, b) for _ in range(repeats))


@functools.cache
def _measured(device: str, dtype: torch.dtype, threads: int) -> float:
    return measure_peak_flops(device, dtype)


def peak_flops(device, precision: str = "fp32") -> tuple[float, str]:
    """(peak FLOP/s of one device at this precision, where it came from: 'data sheet' or 'measured').

    Known GPUs come from GPU_PEAK_FLOPS; CPUs, MPS and unknown GPUs are measured once per process.
    """
    device = torch.device(device)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, (half, single) in GPU_PEAK_FLOPS.items():
            if key in name:
                return (single if precision == "fp32" else half), "data sheet"
    dtype = torch.float32 if precision == "fp32" else _AUTOCAST_DTYPES[precision]
    return _measured(str(device), dtype, torch.get_num_threads()), "measured"

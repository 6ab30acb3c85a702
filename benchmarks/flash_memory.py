"""How much memory does the online softmax save? Plain (T, T) attention next to course_lib.flash.

    python benchmarks/flash_memory.py                          # T = 512 ... 8192, one head, d_head 64
    python benchmarks/flash_memory.py --sizes 1024 4096 --runs 5 --block-size 128 --causal
    python benchmarks/flash_memory.py --device cuda            # the allocator's own peak on a GPU

For each sequence length T, both computations of softmax(q k^T / sqrt(d_head)) v run on the same
random q, k, v of shape (1, 1, T, d_head) in float32:
  naive   scores = q @ k^T (T x T), softmax, weights @ v: what course_lib.attention does;
  online  course_lib.flash.online_softmax_attention, key blocks of --block-size.
Peak memory is the largest number of bytes of tensors created by the computation and alive at the
same moment (the inputs are not counted). On the CPU it is measured by watching every tensor
operation (a TorchDispatchMode that adds a tensor's bytes when it is created and subtracts them when
it is freed), which is exact and the same on every machine; on CUDA it is the caching allocator's
peak (torch.cuda.max_memory_allocated), which also sees kernels' internal buffers. Times are wall-clock.
The table shows medians of --runs runs and the ratios naive / online. Both outputs are checked to agree.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import statistics
import sys
import time
import weakref
from functools import partial

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # run from a checkout

from course_lib.flash import online_softmax_attention

MB = 2 ** 20


class PeakTensorBytes(TorchDispatchMode):
    """Inside `with PeakTensorBytes() as m:`, m.peak is the most bytes of new tensor storage alive at once.

    A storage is new when an operation returns it and none of the operation's inputs holds it (views
    and in-place results are not new). Its bytes are counted until the storage is freed.
    """

    def __init__(self):
        super().__init__()
        self.live: dict[int, int] = {}  # storage address -> bytes
        self.current = self.peak = self.largest = 0

    def _free(self, key: int) -> None:
        self.current -= self.live.pop(key, 0)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage().data_ptr() for t in tree_flatten((args, kwargs))[0]
                  if isinstance(t, torch.Tensor)}
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            key, size = storage.data_ptr(), storage.nbytes()
            if size == 0 or key in inputs or key in self.live:
                continue
            self.live[key] = size
            self.current += size
            self.peak, self.largest = max(self.peak, self.current), max(self.largest, size)
            weakref.finalize(storage, self._free, key)
        return out


def naive_attention(q, k, v, causal: bool):
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (B, H, T, T)
    if causal:
        T = q.shape[-2]
        scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool, device=q.device).tril(), -math.inf)
    return torch.softmax(scores, dim=-1) @ v  # (B, H, T, d_head)


def measure(fn, device: torch.device) -> tuple[int, float, torch.Tensor]:
    """(peak bytes, seconds, output) of one call of fn()."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        start = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        return torch.cuda.max_memory_allocated() - before, seconds, out
    with PeakTensorBytes() as memory:
        out = fn()
    start = time.perf_counter()  # timed separately: watching every operation costs a little
    fn()
    return memory.peak, time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048, 4096, 8192])
    parser.add_argument("--d-head", type=int, default=64)
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3, help="runs per size (medians are printed)")
    parser.add_argument("--causal", action="store_true", help="causal attention instead of full attention")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    how = "allocator peak" if device.type == "cuda" else "live tensor bytes"
    print(f"one head, d_head {args.d_head}, float32, block_size {args.block_size}, "
          f"{'causal' if args.causal else 'full'} attention | {device}, {torch.get_num_threads()} threads | "
          f"peak memory = {how}, medians of {args.runs} runs")
    header = (f"{'T':>6} | {'naive MB':>9} {'online MB':>9} {'ratio':>7} | {'(T,T) MB':>8} | "
              f"{'naive ms':>9} {'online ms':>9} {'ratio':>6}")
    print(header)
    print("-" * len(header))
    for T in args.sizes:
        torch.manual_seed(T)
        q, k, v = (torch.randn(1, 1, T, args.d_head, device=device) for _ in range(3))
        rows, outputs = {"naive": [], "online": []}, {}
        for _ in range(args.runs):
            for name, fn in (("naive", partial(naive_attention, q, k, v, args.causal)),
                             ("online", partial(online_softmax_attention, q, k, v, is_causal=args.causal,
                                                block_size=args.block_size))):
                peak, seconds, out = measure(fn, device)
                rows[name].append((peak, seconds))
                outputs[name] = out
        torch.testing.assert_close(outputs["online"], outputs["naive"], rtol=1e-4, atol=1e-5)
        (mem_n, t_n), (mem_o, t_o) = ((statistics.median(p for p, _ in rows[name]),
                                       statistics.median(s for _, s in rows[name])) for name in ("naive", "online"))
        print(f"{T:>6} | {mem_n / MB:>9.1f} {mem_o / MB:>9.2f} {mem_n / mem_o:>6.1f}x | {T * T * 4 / MB:>8.1f} | "
              f"{t_n * 1e3:>9.1f} {t_o * 1e3:>9.1f} {t_o / t_n:>5.1f}x")
    print("ratios: naive / online for memory, online / naive for time. (T,T) MB: one float32 score matrix.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

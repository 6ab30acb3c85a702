"""Peak memory of building a window mask, as a multiple of the mask itself.

    python benchmarks/mask_memory.py [--sizes 4096 8192 16384] [--window 128]

Each size is built in a fresh Python process (so earlier allocations do not hide the peak); the peak is
the growth of the process's maximum resident set size (ru_maxrss) while course_lib.masking.window_mask
runs, and the mask's own size is T * T bytes (one byte per bool). A (T, T) int64 intermediate, as in
`(pos[:, None] - pos[None, :]).abs() <= window`, would cost 8 bytes per entry on top: a ratio near 17x.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

CHILD = r"""
import resource, sys, torch
from course_lib.masking import window_mask
T, window, naive = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "naive"
torch.zeros(1)  # load torch's allocator before the first reading
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if naive:
    pos = torch.arange(T)
    mask = (pos[:, None] - pos[None, :]).abs() <= window
else:
    mask = window_mask(T, window)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) * 1024, mask.numel() * mask.element_size())
"""


def measure(T: int, window: int, naive: bool) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(T), str(window), "naive" if naive else "course"],
                         capture_output=True, text=True, check=True)
    peak, size = map(int, out.stdout.split())
    return peak, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 8192, 16384])
    parser.add_argument("--window", type=int, default=128)
    parser.add_argument("--naive", action="store_true", help="also measure the int64 (T, T) construction")
    args = parser.parse_args()
    print(f"{'T':>6} | {'mask MB':>8} | {'peak MB':>8} | peak / mask" + (" | naive peak / mask" if args.naive else ""))
    for T in args.sizes:
        peak, size = measure(T, args.window, naive=False)
        line = f"{T:>6} | {size / 2**20:8.0f} | {peak / 2**20:8.0f} | {peak / size:6.2f}x"
        if args.naive:
            naive_peak, _ = measure(T, args.window, naive=True)
            line += f" | {naive_peak / size:6.2f}x"
        print(line, flush=True)


if __name__ == "__main__":
    main()

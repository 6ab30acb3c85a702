"""Course MultiHeadAttention vs torch.nn.MultiheadAttention: forward + backward, same run, same weights.

    python benchmarks/mha.py            # B=8, T=256, d_model=256, 8 heads, CPU fp32, 2 threads
    python benchmarks/mha.py --reps 40 --threads 4

Both modules hold identical weights (MultiHeadAttention.from_torch). Repetitions are interleaved
(course, torch, course, torch, ...) so that a noisy machine slows both alike; the medians and the
ratio course / torch are printed (below 1.0: the course version is faster). Cases:
  no mask          course: mha(x)                      torch: mha(x, x, x, need_weights=False)
  causal (flag)    course: mha(x, is_causal=True)      torch: attn_mask=causal, is_causal=True
  causal (mask)    course: mha(x, mask=causal)         torch: attn_mask=~causal (its True = blocked)
  weights, causal  course: need_weights=True           torch: need_weights=True, per-head weights
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_lib.masking import causal_mask
from course_lib.multihead import MultiHeadAttention


def step(fn, x: torch.Tensor) -> float:
    """Seconds for one forward + backward."""
    x.grad = None
    start = time.perf_counter()
    out = fn(x)
    out.float().square().mean().backward()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(args.d_model, args.heads, batch_first=True)
    ours = MultiHeadAttention.from_torch(ref)
    x = torch.randn(args.batch, args.seq, args.d_model, requires_grad=True)
    causal = causal_mask(args.seq)  # True = may attend
    blocked = ~causal  # nn.MultiheadAttention's convention: True = blocked

    cases = {
        "no mask": (lambda x: ours(x)[0],
                    lambda x: ref(x, x, x, need_weights=False)[0]),
        "causal (flag)": (lambda x: ours(x, is_causal=True)[0],
                          lambda x: ref(x, x, x, attn_mask=blocked, is_causal=True, need_weights=False)[0]),
        "causal (mask)": (lambda x: ours(x, mask=causal)[0],
                          lambda x: ref(x, x, x, attn_mask=blocked, need_weights=False)[0]),
        "weights, causal": (lambda x: ours(x, mask=causal, need_weights=True)[0],
                            lambda x: ref(x, x, x, attn_mask=blocked, need_weights=True,
                                          average_attn_weights=False)[0]),
    }
    with torch.no_grad():  # same weights, same answer (fp32 tolerance)
        for name, (course_fn, torch_fn) in cases.items():
            torch.testing.assert_close(course_fn(x), torch_fn(x), rtol=1e-4, atol=1e-5, msg=name)

    print(f"forward + backward, B={args.batch} T={args.seq} d_model={args.d_model} heads={args.heads}, "
          f"CPU fp32, {torch.get_num_threads()} threads, torch {torch.__version__}, {args.reps} interleaved reps")
    print(f"{'case':<17}{'course ms':>11}{'torch ms':>11}{'course/torch':>14}")
    ratios = {}
    for name, (course_fn, torch_fn) in cases.items():
        times = {"course": [], "torch": []}
        for rep in range(args.warmup + args.reps):
            for who, fn in (("course", course_fn), ("torch", torch_fn)) if rep % 2 else \
                           (("torch", torch_fn), ("course", course_fn)):
                t = step(fn, x)
                if rep >= args.warmup:
                    times[who].append(t)
        c, t = statistics.median(times["course"]), statistics.median(times["torch"])
        ratios[name] = c / t
        print(f"{name:<17}{1e3 * c:>11.2f}{1e3 * t:>11.2f}{c / t:>14.2f}")
    fast = max(ratios["no mask"], ratios["causal (flag)"])
    print(f"fast path (no mask, causal flag): worst ratio {fast:.2f} -> "
          f"{'OK (<= 1.0)' if fast <= 1.0 else 'SLOWER than torch'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How fast does the course GPT generate, with its key/value cache, next to Hugging Face GPT-2?

    python benchmarks/generate.py [--tokens 500] [--pairs 5] [--threads 1] [--d-model 256 --layers 4 ...]

1. GPT: a course GPT and a Hugging Face GPT2LMHeadModel of the same random configuration (the course
   model carries GPT-2's weights, so both compute the same thing); each generates --tokens tokens greedily
   from the same 8-token prompt, HF with use_cache=True and the course GPT with use_cache=True, then both
   without a cache. Runs alternate (course, HF, course, HF ...) so a neighbour loading the machine slows
   both alike; the figure is the median tokens/s over --pairs pairs, and the ratio course / HF is the
   median of the per-pair ratios. The tokens are checked equal.
2. Encoder-decoder: greedy decoding time of a random EncoderDecoder for 25, 50 and 100 output tokens,
   cached and uncached: cached time should grow about linearly with the length.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_lib.gpt import generate
from course_lib.interop.gpt2 import gpt2_from_hf
from course_lib.transformer import EncoderDecoder, TransformerConfig, greedy_decode


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def gpt_pairs(args) -> None:
    import transformers

    hf_config = transformers.GPT2Config(vocab_size=args.vocab, n_positions=args.tokens + 16, n_embd=args.d_model,
                                       n_layer=args.layers, n_head=args.heads, bos_token_id=0, eos_token_id=None)
    torch.manual_seed(0)
    hf = transformers.GPT2LMHeadModel(hf_config).eval()
    ours = gpt2_from_hf(hf)
    prompt = torch.randint(0, args.vocab, (1, 8))
    n = args.tokens

    def run_hf(cache: bool):
        with torch.no_grad():
            return hf.generate(prompt, max_new_tokens=n, min_new_tokens=n, do_sample=False, use_cache=cache,
                               pad_token_id=0)

    def run_ours(cache: bool):
        return generate(ours, prompt, n, top_k=1, use_cache=cache)

    assert torch.equal(run_ours(True), run_hf(True)), "the course GPT and GPT-2 generated different tokens"
    for cache in (True, False):
        rates_ours, rates_hf, ratios = [], [], []
        for _ in range(args.pairs):
            t_ours, t_hf = timed(lambda: run_ours(cache)), timed(lambda: run_hf(cache))
            rates_ours.append(n / t_ours), rates_hf.append(n / t_hf), ratios.append(t_hf / t_ours)
        print(f"  use_cache={cache!s:<5}  course {statistics.median(rates_ours):8.1f} tok/s | HF GPT-2 "
              f"{statistics.median(rates_hf):8.1f} tok/s | course / HF {statistics.median(ratios):.2f}x "
              f"(per-pair ratios {min(ratios):.2f}-{max(ratios):.2f})")


def seq2seq(args) -> None:
    torch.manual_seed(0)
    lengths = (25, 50, 100)
    model = EncoderDecoder(TransformerConfig(args.vocab, args.vocab, d_model=args.d_model, n_heads=args.heads,
                                             d_ff=4 * args.d_model, n_layers=args.layers, max_len=max(lengths),
                                             dropout=0.0, eos_id=6)).eval()
    with torch.no_grad():  # never end early: the <eos> logit is pushed down
        model.head.weight[6].fill_(-1.0)
    src = torch.randint(7, args.vocab, (1, 20))
    for cache in (True, False):
        times = {n: statistics.median(timed(lambda: greedy_decode(model, src, n, use_cache=cache))
                                      for _ in range(args.pairs)) for n in lengths}
        growth = " | ".join(f"{n} tokens {t * 1000:7.1f} ms" for n, t in times.items())
        print(f"  use_cache={cache!s:<5}  {growth} | 100/25 tokens: {times[100] / times[25]:.1f}x time (linear: 4x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--vocab", type=int, default=1000)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s); d_model {args.d_model}, {args.layers} layers, "
          f"{args.heads} heads, vocabulary {args.vocab}")
    print(f"GPT: {args.tokens} new tokens, greedy, median of {args.pairs} alternating pairs")
    gpt_pairs(args)
    print("encoder-decoder greedy decoding, time by output length")
    seq2seq(args)


if __name__ == "__main__":
    main()

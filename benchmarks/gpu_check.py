"""A GPU check of the three training notebooks' presets: tokens/s, MFU and loss, compile on and off.

    python benchmarks/gpu_check.py [--steps 300] [--presets t4 a100] [--families gpt bert seq2seq]
    python benchmarks/gpu_check.py --smoke      # a few steps of tiny models on any device (CI runs this)

For each family (10's GPT on characters of the synthetic stories, 09's BERT on the stories' sentence
pairs, 08's encoder-decoder on the English-Spanish pairs), each preset and compile off/on, the course
engine (course_lib.training.train) trains `--steps` steps with the preset's recipe and precision "auto"
(bf16 where the GPU has it, fp16 with a gradient scaler on a T4, fused AdamW on CUDA) and the script
prints one line: precision, compile, median tokens/s of the second half of the run, median MFU against
the GPU's data-sheet peak, first and last training loss. A loss that does not fall is marked.
The data are the offline corpora the notebooks use, so the check runs without a network.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics

import torch

from course_lib.bert import Bert, BertConfig, PretrainingBatches, sentence_pairs
from course_lib.data import load_corpus, random_batches, synthetic_pairs, synthetic_stories
from course_lib.gpt import GPT, GPTConfig
from course_lib.runtime import pick_device
from course_lib.tokenization import CharTokenizer, WordTokenizer
from course_lib.training import resolve_precision, train
from course_lib.transformer import EncoderDecoder, TransformerConfig, encode_pairs, pad


def gpt_setup(preset: str, smoke: bool):
    text = load_corpus("synthetic", n_stories=300 if smoke else 3000).text
    tok = CharTokenizer.train(text)
    ids = torch.tensor(tok.encode(text))
    config = GPTConfig.preset(preset, tok.vocab_size, **(dict(d_model=32, n_heads=2, n_layers=1) if smoke else {}))
    recipe = GPTConfig.recipe(preset)
    return GPT(config), lambda split, i: random_batches(ids, config.max_len, recipe.batch_size,
                                                       torch.Generator().manual_seed(i)), recipe


def bert_setup(preset: str, smoke: bool):
    stories = synthetic_stories(200 if smoke else 4000, seed=0)
    tok = WordTokenizer.train([s for story in stories for s in story])
    pairs = sentence_pairs(stories, random.Random(0))
    config = BertConfig.preset(preset, tok.vocab_size, **(dict(d_model=32, n_heads=2, n_layers=1) if smoke else {}))
    recipe = BertConfig.recipe(preset)
    batches = PretrainingBatches(tok, pairs, pairs[:256], max_len=config.max_len, batch_size=recipe.batch_size,
                                 pad_to_max_len=True)
    return Bert(config), batches, recipe


def seq2seq_setup(preset: str, smoke: bool):
    pairs = synthetic_pairs(50 if smoke else 1000, seed=0)
    en = WordTokenizer.train([e for e, _ in pairs])
    es = WordTokenizer.train([s for _, s in pairs], lowercase=False)
    config = TransformerConfig.preset(preset, en.vocab_size, es.vocab_size,
                                      **(dict(d_model=32, n_heads=2, d_ff=64, n_layers=1) if smoke else {}))
    recipe = TransformerConfig.recipe(preset)
    src, tgt = encode_pairs(pairs, en, es, config)

    def get_batch(split, i):
        rng = random.Random(i)
        rows = [rng.randrange(len(src)) for _ in range(recipe.batch_size)]
        return pad([src[r] for r in rows], config.pad_id), pad([tgt[r] for r in rows], config.pad_id)

    return EncoderDecoder(config), get_batch, recipe


SETUPS = {"gpt": gpt_setup, "bert": bert_setup, "seq2seq": seq2seq_setup}


def run(family: str, preset: str, compile_: bool, steps: int, smoke: bool, device) -> str:
    torch.manual_seed(0)
    model, get_batch, recipe = SETUPS[family](preset, smoke)
    cfg = dataclasses.replace(recipe.train, max_steps=steps, warmup_steps=min(recipe.train.warmup_steps, steps // 5),
                              eval_every=steps, eval_steps=1, log_every=max(steps // 20, 1), compile=compile_)
    history = train(model, get_batch, cfg, device=device, verbose=False)
    half = len(history.tokens_per_s) // 2
    rate = statistics.median(history.tokens_per_s[half:] or history.tokens_per_s)
    mfu = [m for m in history.mfu[half:] if m == m]
    first, last = history.train_loss[0], history.train_loss[-1]
    flag = "" if last < first else "  <- the loss did not fall"
    return (f"{family:<8} {preset:<5} {resolve_precision(cfg.precision, device):<5} compile={compile_!s:<5} "
            f"{rate:>12,.0f} tok/s  MFU {statistics.median(mfu) if mfu else float('nan'):6.1%}  "
            f"loss {first:.3f} -> {last:.3f}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--presets", nargs="+", default=["t4", "a100"])
    parser.add_argument("--families", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--smoke", action="store_true", help="tiny models, a few steps, any device")
    args = parser.parse_args()
    device = pick_device()
    if device.type != "cuda" and not args.smoke:
        raise SystemExit(f"no CUDA GPU here (device {device}); run with --smoke for a quick check on any device")
    name = torch.cuda.get_device_name() if device.type == "cuda" else str(device)
    print(f"torch {torch.__version__} on {name}")
    for family in args.families:
        for preset in (["cpu"] if args.smoke else args.presets):
            for compile_ in ((False,) if args.smoke else (False, True)):
                print(run(family, preset, compile_, 6 if args.smoke else args.steps, args.smoke, device), flush=True)


if __name__ == "__main__":
    main()

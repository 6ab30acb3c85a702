"""Pretrain a character-level GPT from the command line: the script form of 10_gpt_pretraining.

    python -m course_lib.gpt.train [--corpus FILE.txt] [--preset cpu|t4|a100] [--steps N] [--out ckpt.pt]

The same model, data and engine as the notebook, without the widgets. Under torchrun the engine runs
one process per GPU with DistributedDataParallel (course_lib.training.distributed):

    torchrun --standalone --nproc_per_node=8 -m course_lib.gpt.train --preset a100 --out gpt.pt
    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=8 --rdzv_endpoint=HOST:29500 -m course_lib.gpt.train ...
    OMP_NUM_THREADS=1 torchrun --standalone --nproc_per_node=2 -m course_lib.gpt.train --preset cpu

With --out the checkpoint is written atomically every --checkpoint-every steps and when the run is
stopped (Ctrl-C); running the same command again resumes it. The corpus defaults to Tiny Shakespeare
through course_lib.data.load_corpus (the synthetic stories when offline). Validation is the last 10%.
Deliberately left out: sampling options beyond one sample at the end (see course_lib.gpt.sampling).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys

import torch

from course_lib.data import load_corpus, random_batches, train_val_split
from course_lib.runtime import pick_device, preset_for
from course_lib.tokenization import CharTokenizer
from course_lib.training import train

from .model import PRESETS, GPT, GPTConfig
from .sampling import generate


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m course_lib.gpt.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="a UTF-8 text file (default: Tiny Shakespeare via the course loader)")
    parser.add_argument("--preset", choices=list(PRESETS), help="model size and recipe (default: by device)")
    parser.add_argument("--steps", type=int, help="optimizer steps (default: the preset's recipe)")
    parser.add_argument("--batch-size", type=int, help="windows per step and process (default: the recipe's)")
    parser.add_argument("--out", help="checkpoint file: written atomically, resumed when it exists")
    parser.add_argument("--checkpoint-every", type=int, default=0, help="steps between checkpoints (0: at the end)")
    parser.add_argument("--evals", type=int, default=10, help="validation evaluations per run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("steps", "batch_size", "evals"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
    for name in ("checkpoint_every", "seed"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be 0 or more, got {getattr(args, name)}")
    if args.corpus and not os.path.isfile(args.corpus):
        parser.error(f"--corpus {args.corpus!r} is not a file")
    if args.checkpoint_every and not args.out:
        parser.error("--checkpoint-every needs --out (the checkpoint file to write); without it nothing is saved")
    if args.out is not None and (not args.out or os.path.isdir(args.out)):
        parser.error(f"--out {args.out!r} must be a file, not a folder: e.g. --out {os.path.join(args.out, 'gpt.pt')}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    main_process = int(os.environ.get("RANK", "0")) == 0
    if args.corpus:
        with open(args.corpus, encoding="utf-8") as f:
            text, name = f.read(), args.corpus
    else:
        corpus = load_corpus("tinyshakespeare")
        text, name = corpus.text, f"{corpus.name} ({corpus.source})"
    tok = CharTokenizer.train(text)
    train_ids, val_ids = train_val_split(torch.tensor(tok.encode(text)), val_fraction=0.1)

    preset = args.preset or preset_for(pick_device())
    config = GPTConfig.preset(preset, vocab_size=tok.vocab_size)
    recipe = GPTConfig.recipe(preset, **({"max_steps": args.steps} if args.steps else {}))
    B = args.batch_size or recipe.batch_size
    T = config.max_len
    if len(val_ids) <= T + 1:
        raise ValueError(f"the corpus is too short: its validation split has {len(val_ids)} tokens, "
                         f"a context of {T} needs more than {T + 1}")
    # Validation reads every non-overlapping window once, split into eval_steps batches per process
    # (the engine gives process `rank` the batches rank, rank + world, ...).
    val_starts = torch.arange(0, len(val_ids) - T - 1, T)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    eval_steps = math.ceil(len(val_starts) / (256 * world))
    val_batch = math.ceil(len(val_starts) / (eval_steps * world))
    if len(val_starts) < eval_steps * world:
        raise ValueError(f"the validation split has {len(val_starts)} windows of {T} tokens, fewer than the "
                         f"{world} processes: use a longer corpus or fewer processes")

    def get_batch(split: str, i: int):
        if split == "train":  # the seed of batch i depends on i only: a resumed run sees the same batches
            return random_batches(train_ids, T, B, torch.Generator().manual_seed(args.seed * 1_000_003 + i))
        idx = val_starts[i * val_batch:(i + 1) * val_batch, None] + torch.arange(T)
        return val_ids[idx], val_ids[idx + 1]

    cfg = dataclasses.replace(recipe.train, seed=args.seed, eval_every=max(recipe.train.max_steps // args.evals, 1),
                      eval_steps=eval_steps, log_every=10,
                      checkpoint_path=args.out, checkpoint_every=args.checkpoint_every)
    torch.manual_seed(args.seed)
    model = GPT(config)
    if main_process:
        print(f"corpus {name}: {len(text):,} characters, vocabulary {tok.vocab_size}")
        print(f"preset {preset!r}: {config}; {model.num_params():,} parameters; batch {B} x {T}")
    history = train(model, get_batch, cfg)  # MFU from model.flops_per_token(), which the engine asks for
    if main_process:
        print(f"validation loss {history.val_loss[0]:.3f} -> {history.val_loss[-1]:.3f} after {history.step} steps")
        prompt = torch.tensor(tok.encode(text[:T // 2]), device=next(model.parameters()).device)
        sample = generate(model.eval(), prompt, 200, generator=torch.Generator(prompt.device).manual_seed(0))
        print("-" * 40 + "\n" + tok.decode(sample.tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

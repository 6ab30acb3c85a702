"""How the course's shipped models were made: the commands data/README.md gives, as code.

Taught in 11_pretrained_models (which loads what these commands write; see course_lib.interop.shipped).

    python -m course_lib.gpt.train --corpus tinyshakespeare.txt --preset cpu --steps 2000 --seed 0 --out run.pt
    python -m course_lib.interop.build gpt run.pt --corpus tinyshakespeare.txt --out data/shakespeare_char_gpt.pt
    python -m course_lib.interop.build translator --out data/translator_en_es.pt

`gpt`: the training engine's checkpoint holds the optimizer state and the random-generator states too;
this keeps the config, the weights and the character vocabulary (rebuilt from the corpus exactly as the
training script builds it) and prints the held-out loss. `translator`: 08_encoder_decoder's translator,
trained with its recipe (the cpu preset, 400 steps of 64 sentence pairs, seed 0) and saved with its two
vocabularies by course_lib.transformer.save_translator; prints its BLEU on 100 held-out sentences.
Deliberately left out: any other model; the sha256 in course_lib.interop.shipped.SHIPPED is updated by hand.
"""

from __future__ import annotations

import argparse
import os
import random
import sys

import torch

from course_lib.data import synthetic_pairs
from course_lib.gpt import GPT, GPTConfig
from course_lib.tokenization import CharTokenizer, WordTokenizer
from course_lib.training import TrainConfig, load_checkpoint, train
from course_lib.transformer import (
    EncoderDecoder,
    bleu,
    encode_pairs,
    pad,
    preset,
    save_translator,
    translate_batch,
)

from .shipped import heldout_loss, save_gpt, sha256_file


def build_gpt(checkpoint: str, corpus: str, out: str, preset_name: str = "cpu") -> float:
    """Write the slim shipped GPT from the training engine's checkpoint; returns its held-out loss."""
    with open(corpus, encoding="utf-8") as f:
        text = f.read()
    tokenizer = CharTokenizer.train(text)  # as python -m course_lib.gpt.train builds it
    model = GPT(GPTConfig.preset(preset_name, vocab_size=tokenizer.vocab_size))
    load_checkpoint(checkpoint, model)
    loss = heldout_loss(model, tokenizer, text)
    save_gpt(out, model, tokenizer, origin=f"python -m course_lib.gpt.train --preset {preset_name} on "
                                           f"{os.path.basename(corpus)}")
    return loss


def build_translator(out: str, steps: int = 400, batch_size: int = 64, seed: int = 0) -> float:
    """Train 08's translator with 08's recipe and save it; returns its BLEU on 100 held-out sentences."""
    train_pairs, test_pairs = synthetic_pairs(1000, seed=0), synthetic_pairs(100, seed=1)
    en_tok = WordTokenizer.train([en for en, _ in train_pairs])
    es_tok = WordTokenizer.train([es for _, es in train_pairs], lowercase=False)
    config = preset("cpu", en_tok.vocab_size, es_tok.vocab_size)
    src, tgt = encode_pairs(train_pairs, en_tok, es_tok, config)

    def get_batch(split, i):
        rng = random.Random(2 * i + (split == "val"))  # batch i is always the same batch, as in 08
        rows = [rng.randrange(len(src)) for _ in range(batch_size)]
        return pad([src[r] for r in rows], config.pad_id), pad([tgt[r] for r in rows], config.pad_id)

    torch.manual_seed(seed)
    model = EncoderDecoder(config)
    train(model, get_batch, TrainConfig(max_steps=steps, lr=2e-3, warmup_steps=max(steps // 10, 1), weight_decay=0.01,
                                        eval_every=steps, eval_steps=5, compile=False, seed=seed))
    model = model.cpu().eval()
    save_translator(out, model, en_tok, es_tok)
    hyps = translate_batch(model, en_tok, es_tok, [en for en, _ in test_pairs])
    return bleu(hyps, [es for _, es in test_pairs])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.interop.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    gpt = sub.add_parser("gpt", help="the slim shipped GPT from a course_lib.gpt.train checkpoint")
    gpt.add_argument("checkpoint")
    gpt.add_argument("--corpus", required=True, help="the text the GPT was trained on")
    gpt.add_argument("--preset", default="cpu")
    gpt.add_argument("--out", required=True)
    tr = sub.add_parser("translator", help="08's English -> Spanish translator, trained with 08's recipe")
    tr.add_argument("--out", required=True)
    tr.add_argument("--steps", type=int, default=400)
    args = parser.parse_args(argv)
    if args.what == "gpt":
        print(f"held-out loss (last 10%): {build_gpt(args.checkpoint, args.corpus, args.out, args.preset):.4f}")
    else:
        print(f"BLEU on 100 held-out sentences: {build_translator(args.out, args.steps):.1f}")
    print(f"{args.out}: sha256 {sha256_file(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

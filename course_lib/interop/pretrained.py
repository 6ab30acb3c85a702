"""Loading a published checkpoint into a course model, with a small random stand-in when offline.

Taught in 11_pretrained_models. `load_pretrained(kind)` downloads a Hugging Face model and its tokenizer
("gpt2", "bert" or "marian"), converts the model into the course's class and returns both. Without a
network (a classroom, CI) it says so in one line and builds a stand-in: a small randomly initialised model
of the same architecture and a tokenizer trained in a second on the course's synthetic stories, so every
cell downstream runs the same code (the stand-in's outputs are noise). COURSE_OFFLINE=1 forces it.
Deliberately left out: caching and checksums (huggingface_hub does both) and any model choice beyond the three.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from typing import Any, NamedTuple

import torch

from course_lib.data import synthetic_pairs, synthetic_stories

from .bert import bert_from_hf
from .common import require_transformers
from .gpt2 import gpt2_from_hf
from .marian import marian_from_hf

DEFAULT_NAMES = {"gpt2": "gpt2", "bert": "bert-base-uncased", "marian": "Helsinki-NLP/opus-mt-en-es"}
HF_CLASSES = {"gpt2": ("GPT2LMHeadModel", "GPT2TokenizerFast"), "bert": ("BertForPreTraining", "BertTokenizerFast"),
              "marian": ("MarianMTModel", "MarianTokenizer")}
CONVERTERS = {"gpt2": gpt2_from_hf, "bert": bert_from_hf, "marian": marian_from_hf}


class Pretrained(NamedTuple):
    """What load_pretrained returns: our model, the tokenizer, whether the real weights were loaded,
    the Hugging Face model (for agreement checks) and the checkpoint name (or "stand-in")."""

    model: torch.nn.Module
    tokenizer: Any
    was_real: bool
    hf_model: torch.nn.Module
    name: str


def network_available(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    """True when a TCP connection to host:443 opens within `timeout` seconds (False if COURSE_OFFLINE is set)."""
    if os.environ.get("COURSE_OFFLINE", "0").strip().lower() not in ("", "0", "false", "no"):
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _sentences(kind: str) -> list[str]:
    if kind == "marian":
        return [s for pair in synthetic_pairs(150, seed=1) for s in pair]
    return [s for story in synthetic_stories(300, seed=1) for s in story]


def standin_tokenizer(kind: str):
    """A small tokenizer of the same family as the real one, trained on the course's synthetic stories."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tf = require_transformers()
    text = _sentences(kind)
    if kind == "gpt2":  # byte-level BPE, as GPT-2's
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=["<|endoftext|>"], show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(text, trainer)
        return tf.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                                          unk_token="<|endoftext|>")
    if kind == "bert":  # lower-cased WordPiece with [CLS] a [SEP] b [SEP], as BERT's
        special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        tok.train_from_iterator(text, trainers.WordPieceTrainer(vocab_size=1000, special_tokens=special,
                                                                show_progress=False))
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                           special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
        return tf.PreTrainedTokenizerFast(tokenizer_object=tok, model_input_names=["input_ids", "token_type_ids",
                                                                                     "attention_mask"],
                                          **{f"{n}_token": f"[{n.upper()}]" for n in ("pad", "unk", "cls", "sep", "mask")})
    # marian: one subword vocabulary for English and Spanish, </s> = 0, <pad> last, sentences end with </s>
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(text, trainers.BpeTrainer(vocab_size=1000, special_tokens=["</s>", "<unk>"],
                                                      show_progress=False))
    tok.add_special_tokens(["<pad>"])
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 0)])
    return tf.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>", pad_token="<pad>")


def standin_model(kind: str, tokenizer, seed: int = 0):
    """A small, randomly initialised Hugging Face model of the real architecture, sized to the tokenizer."""
    tf = require_transformers()
    V = len(tokenizer)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "gpt2":
            config = tf.GPT2Config(vocab_size=V, n_positions=128, n_embd=64, n_layer=2, n_head=4,
                                   bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
            hf = tf.GPT2LMHeadModel(config)
        elif kind == "bert":
            config = tf.BertConfig(vocab_size=V, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                   intermediate_size=256, max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id)
            hf = tf.BertForPreTraining(config)
        else:
            pad = tokenizer.pad_token_id
            config = tf.MarianConfig(vocab_size=V, d_model=64, encoder_layers=2, decoder_layers=2,
                                     encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=256,
                                     decoder_ffn_dim=256, max_position_embeddings=128, activation_function="swish",
                                     scale_embedding=True, pad_token_id=pad, decoder_start_token_id=pad,
                                     eos_token_id=tokenizer.eos_token_id, forced_eos_token_id=None)
            hf = tf.MarianMTModel(config)
            hf.final_logits_bias.normal_(0.0, 0.5)  # real checkpoints have one; make it count
    config._attn_implementation = "eager"  # so that it can return its attention weights too
    return hf.eval()


def _cls_sep_mask(kind: str, tokenizer) -> dict:
    if kind != "bert":
        return {}
    return dict(cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id, mask_id=tokenizer.mask_token_id)


def load_pretrained(kind: str, name: str | None = None, offline_standin: bool = True, device=None) -> Pretrained:
    """Our model with a published checkpoint's weights: kind "gpt2", "bert" or "marian" (en->es by default).

    When the download is impossible (no network, no sentencepiece for Marian) it prints one line saying
    why and returns a random stand-in (was_real=False), or raises RuntimeError if offline_standin is False.
    """
    if kind not in DEFAULT_NAMES:
        raise ValueError(f"kind must be one of {sorted(DEFAULT_NAMES)}, got {kind!r}")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValueError(f"name must be None or a checkpoint name such as {DEFAULT_NAMES[kind]!r}, got {name!r}")
    tf = require_transformers()
    name = name or DEFAULT_NAMES[kind]
    model_cls, tok_cls = HF_CLASSES[kind]
    reason = None
    if not network_available():
        reason = "no network (huggingface.co cannot be reached)"
    elif kind == "marian" and importlib.util.find_spec("sentencepiece") is None:
        reason = "sentencepiece is not installed (MarianTokenizer needs it: pip install sentencepiece)"
    if reason is None:
        try:
            tokenizer = getattr(tf, tok_cls).from_pretrained(name)
            hf = getattr(tf, model_cls).from_pretrained(name, attn_implementation="eager").eval()
        except Exception as err:  # a failed download is a message and a fallback, never a traceback in class
            reason = f"the download of {name!r} failed ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
    if reason is not None:
        if not offline_standin:
            raise RuntimeError(f"cannot load {name!r}: {reason}")
        print(f"{name}: {reason}. Using a small random stand-in of the same architecture (its outputs are noise).")
        tokenizer = standin_tokenizer(kind)
        hf = standin_model(kind, tokenizer)
    if device is not None:
        hf = hf.to(device)
    model = CONVERTERS[kind](hf, **_cls_sep_mask(kind, tokenizer))
    return Pretrained(model, tokenizer, reason is None, hf, name if reason is None else "stand-in")

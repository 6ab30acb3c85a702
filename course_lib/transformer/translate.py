"""From text to text: preparing sentence pairs, translating sentences, saving a translator with its vocabularies.

Taught in 08_encoder_decoder. A source sentence becomes its word ids plus <eos>; a target becomes
<bos> (the start token), word ids, <eos>. Batches are padded with [PAD] at the end. `translate` checks
its input (not a string, empty, longer than max_len, unknown words, which become [UNK] and are shown
as such) and returns the tokens the model actually saw and produced, with the attention if asked.
`save_translator` stores the config, the weights and both vocabularies; `load_translator` refuses a
tokenizer whose vocabulary differs from the saved one, since the ids would mean other words.
Deliberately left out: subword tokenizers (any object with tokenize/encode/decode/tokens would do) and
detokenising case or spacing beyond what WordTokenizer.decode does.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import torch
from torch import Tensor

from course_lib.tokenization import UNK_ID, WordTokenizer
from course_lib.training.checkpoint import checkpoint_file, read_file
from course_lib.util import atomic_write, evaluating

from .config import TransformerConfig
from .decoding import beam_search, greedy_decode
from .model import Attentions, EncoderDecoder

FORMAT = "course_lib.transformer/1"


def source_ids(text: str, tokenizer, config: TransformerConfig) -> list[int]:
    """Word ids of a source sentence plus <eos>; a clear error for a non-string, empty or too-long input."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (one sentence), got {type(text).__name__}")
    ids = tokenizer.encode(text)
    if not ids:
        raise ValueError(f"text must contain at least one word, got {text!r}")
    if len(ids) + 1 > config.max_len:
        raise ValueError(f"text has {len(ids)} tokens (+ <eos>), more than max_len={config.max_len}: "
                         f"translate shorter sentences, e.g. split it at '.' or ','")
    return ids + [config.eos_id]


def target_ids(text: str, tokenizer, config: TransformerConfig) -> list[int]:
    """The full target: start token, word ids, <eos>."""
    return [config.decoder_start_id] + tokenizer.encode(text) + [config.eos_id]


def _positive_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 1


def pad(sequences: list[list[int]], pad_id: int) -> Tensor:
    """A (B, T_max) LongTensor of the sequences, padded with pad_id at the end."""
    if not sequences:
        raise ValueError("sequences must not be empty")
    width = max(len(s) for s in sequences)
    return torch.tensor([s + [pad_id] * (width - len(s)) for s in sequences], dtype=torch.long)


def encode_pairs(pairs: list[tuple[str, str]], src_tokenizer, tgt_tokenizer, config: TransformerConfig,
                 ) -> tuple[list[list[int]], list[list[int]]]:
    """(source ids, target ids) of every pair that fits max_len; pairs too long are dropped (all: an error)."""
    if isinstance(pairs, (str, bytes)) or not hasattr(pairs, "__iter__"):
        raise TypeError(f"pairs must be a list of (source, target) sentence pairs, got {type(pairs).__name__}")
    src, tgt, shortest, n = [], [], None, 0
    for n, pair in enumerate(pairs, 1):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise TypeError(f"pairs[{n - 1}] must be a (source, target) pair of str, got {pair!r:.80}")
        en, es = pair
        s, t = src_tokenizer.encode(en) + [config.eos_id], target_ids(es, tgt_tokenizer, config)
        need = max(len(s), len(t) - 1)
        shortest = need if shortest is None else min(shortest, need)
        if len(s) <= config.max_len and len(t) - 1 <= config.max_len:
            src.append(s), tgt.append(t)
    if not src:
        why = f"all {n} are longer (the shortest needs {shortest} tokens)" if n else "it is empty"
        raise ValueError(f"pairs must hold at least one pair that fits max_len={config.max_len} tokens: {why}")
    return src, tgt


def check_vocabulary(tokenizer, expected: list[str], name: str) -> None:
    """A ValueError naming the first difference unless the tokenizer's tokens are exactly `expected`."""
    got = list(getattr(tokenizer, "tokens", []))
    if got == list(expected):
        return
    first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
    have = got[first] if first < len(got) else "(none)"
    want = expected[first] if first < len(expected) else "(none)"
    raise ValueError(f"{name} has a different vocabulary from the one the model was trained with: "
                     f"{len(got)} tokens instead of {len(expected)}, first difference at id {first} "
                     f"({have!r} instead of {want!r}). Every id would mean another word: use the "
                     f"tokenizer saved with the model (load_translator without {name}).")


def _check_sizes(model: EncoderDecoder, src_tokenizer, tgt_tokenizer) -> None:
    for name, tok, size in (("src_tokenizer", src_tokenizer, model.config.src_vocab_size),
                            ("tgt_tokenizer", tgt_tokenizer, model.config.tgt_vocab_size)):
        if tok.vocab_size != size:
            raise ValueError(f"{name} has {tok.vocab_size} tokens but the model was built for {size}: "
                             f"is it the tokenizer of the other language, or of another training run?")


@dataclass
class Translation:
    """One translated sentence and what the model saw and said."""

    text: str                          # the translation, decoded
    source_tokens: list[str]           # what the encoder read: [UNK] for unknown words, then <eos>
    output_tokens: list[str]           # what the decoder produced, <eos> included if it ended
    decoder_tokens: list[str]          # the decoder input: start token + output tokens but the last
    attentions: Attentions | None      # for batch index 0 of (source, decoder input), if asked
    unknown: list[str]                 # source words the vocabulary does not know


def translate(model: EncoderDecoder, src_tokenizer, tgt_tokenizer, text: str, beam_size: int = 1,
              length_penalty: float = 1.0, max_len: int | None = None, need_weights: bool = False) -> Translation:
    """Translate one sentence (greedy when beam_size=1, else beam search); attention if need_weights."""
    if not _positive_int(beam_size):
        raise ValueError(f"beam_size must be a positive int (1: greedy), got {beam_size!r}")
    if max_len is not None and not _positive_int(max_len):
        raise ValueError(f"max_len must be None or a positive int (the most tokens to produce), got {max_len!r}")
    if not isinstance(length_penalty, (int, float)) or isinstance(length_penalty, bool) or length_penalty < 0:
        raise ValueError(f"length_penalty must be a number >= 0, got {length_penalty!r}")
    _check_sizes(model, src_tokenizer, tgt_tokenizer)
    c = model.config
    ids = source_ids(text, src_tokenizer, c)
    device = next(model.parameters()).device
    src = torch.tensor([ids], device=device)
    if beam_size == 1:
        out = greedy_decode(model, src, max_len)[0]
    else:
        out = beam_search(model, src, beam_size, max_len, length_penalty)[0]
    decoder_in = ([c.decoder_start_id] + out)[:len(out)]  # row i of the decoder produced out[i]
    attentions = None
    if need_weights:
        with evaluating(model), torch.no_grad():
            _, attentions = model(src, torch.tensor([decoder_in], device=device), need_weights=True)
    words = [i for i in out if i not in (c.eos_id, c.pad_id)]
    source_tokens = [src_tokenizer.id_to_token(i) for i in ids]
    unknown = [w for w, i in zip(src_tokenizer.tokenize(text), ids) if i == UNK_ID]
    return Translation(tgt_tokenizer.decode(words), source_tokens, [tgt_tokenizer.id_to_token(i) for i in out],
                       [tgt_tokenizer.id_to_token(i) for i in decoder_in], attentions, unknown)


def translate_batch(model: EncoderDecoder, src_tokenizer, tgt_tokenizer, texts: list[str],
                    batch_size: int = 256) -> list[str]:
    """Greedy translations of many sentences, batched (for evaluation)."""
    if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
        raise TypeError(f"texts must be a list of sentences (use translate for one), got {type(texts).__name__}")
    if not _positive_int(batch_size):
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    _check_sizes(model, src_tokenizer, tgt_tokenizer)
    c, device, out = model.config, next(model.parameters()).device, []
    for start in range(0, len(texts), batch_size):
        ids = [source_ids(t, src_tokenizer, c) for t in texts[start:start + batch_size]]
        for row in greedy_decode(model, pad(ids, c.pad_id).to(device)):
            out.append(tgt_tokenizer.decode([i for i in row if i not in (c.eos_id, c.pad_id)]))
    return out


def save_translator(path, model: EncoderDecoder, src_tokenizer: WordTokenizer,
                    tgt_tokenizer: WordTokenizer) -> pathlib.Path:
    """Write config, weights and both vocabularies to one file, atomically (temporary file + os.replace)."""
    _check_sizes(model, src_tokenizer, tgt_tokenizer)
    path = checkpoint_file(path, what="saved translator")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": FORMAT, "config": model.config.to_dict(),
             "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
             "src_tokens": list(src_tokenizer.tokens), "tgt_tokens": list(tgt_tokenizer.tokens),
             "lowercase": [getattr(src_tokenizer, "lowercase", True), getattr(tgt_tokenizer, "lowercase", True)]}
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_translator(path, src_tokenizer=None, tgt_tokenizer=None, map_location="cpu"):
    """(model, src_tokenizer, tgt_tokenizer) from save_translator's file, read with weights_only=True.

    Tokenizers given must have exactly the saved vocabularies (else a ValueError says where they differ);
    tokenizers not given are rebuilt from the saved vocabularies.
    """
    path = checkpoint_file(path, must_exist=True, what="saved translator")
    state = read_file(path, map_location, what="saved translator")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} was not written by save_translator ({FORMAT})")
    toks = []
    for name, given, key, lower in (("src_tokenizer", src_tokenizer, "src_tokens", state["lowercase"][0]),
                                    ("tgt_tokenizer", tgt_tokenizer, "tgt_tokens", state["lowercase"][1])):
        if given is None:
            given = WordTokenizer(state[key], lowercase=lower)
        check_vocabulary(given, state[key], name)
        toks.append(given)
    model = EncoderDecoder(TransformerConfig.from_dict(state["config"]))
    model.load_state_dict(state["model"])
    return model.eval(), toks[0], toks[1]

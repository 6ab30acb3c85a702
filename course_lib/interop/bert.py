"""BERT checkpoints (Hugging Face BertForPreTraining or BertModel) loaded into the course's Bert, and fill-mask.

Taught in 11_pretrained_models. The course's Bert was written with BERT's names beside its own, and
`course_lib.bert.HF_NAMES` is the one table of the conversion: `load_bert` loops over it (the only
reshaping is stacking the separate query, key and value projections into our fused `qkv`). From a
BertForPreTraining both heads come across (the masked-LM head, whose decoder is tied to the token
embedding, and the next-sentence head); a BertModel (an encoder alone, such as all-MiniLM-L6-v2) has no
heads, and `load_bert(..., heads=False)` loads the encoder and pooler only. `fill_mask_hf` is fill-mask
with a Hugging Face tokenizer (course_lib.bert.fill_mask takes the course's own tokenizers).
Deliberately left out: relative position variants and task heads other than pretraining.
"""

from __future__ import annotations

import torch

from course_lib.bert import HF_NAMES, Bert, BertConfig
from course_lib.util import evaluating

from .common import convert, require_setting, resolve, same_settings

HEADS = ("mlm_head", "nsp_head")
UNSEEN_BY_SHAPES = ("n_heads", "layer_norm_eps")


def bert_config(hf_config, cls_id: int | None = None, sep_id: int | None = None,
                mask_id: int | None = None) -> BertConfig:
    """The BertConfig with the shape of a transformers.BertConfig.

    The ids of [CLS], [SEP] and [MASK] are not in a Hugging Face config (they live in the tokenizer):
    give them, or get bert-base-uncased's (101, 102, 103) when the vocabulary is big enough, else 1, 2, 3.
    """
    c = hf_config
    require_setting(c, "hidden_act", ("gelu",), "BERT")
    require_setting(c, "tie_word_embeddings", (True,), "BERT")
    if getattr(c, "position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"BERT: position_embedding_type={c.position_embedding_type!r} is not supported "
                         "(the course model has learned absolute positions)")
    default = (101, 102, 103) if c.vocab_size > 103 else (1, 2, 3)
    ids = [d if x is None else x for x, d in zip((cls_id, sep_id, mask_id), default)]
    return BertConfig(vocab_size=c.vocab_size, max_len=c.max_position_embeddings, d_model=c.hidden_size,
                      n_heads=c.num_attention_heads, n_layers=c.num_hidden_layers, d_ff=c.intermediate_size,
                      dropout=float(c.hidden_dropout_prob), n_segments=c.type_vocab_size,
                      layer_norm_eps=float(c.layer_norm_eps), init_std=float(c.initializer_range),
                      pad_id=c.pad_token_id if c.pad_token_id is not None else 0,
                      cls_id=ids[0], sep_id=ids[1], mask_id=ids[2])


def bert_state(state: dict) -> dict:
    """A BERT state dict with BertForPreTraining's names: a BertModel's keys get the "bert." prefix."""
    if any(k.startswith("bert.") for k in state):
        return state
    return {f"bert.{k}": v for k, v in state.items()}


def load_bert(model: Bert, hf_model_or_state, heads: bool = True, hf_config=None) -> Bert:
    """Copy a BERT checkpoint into our Bert, in place (shape-checked, by the table HF_NAMES); returns it.

    hf_model_or_state: a BertForPreTraining (or a checkpoint name), or a state dict (BertForPreTraining's
    or BertModel's names). heads=False loads the encoder and pooler only and leaves the MLM and NSP heads
    as they are (random): for checkpoints without them. With a model (or hf_config) our config must agree
    with the checkpoint's on what shapes cannot show (n_heads, LayerNorm eps).
    """
    if not isinstance(model, Bert):
        raise TypeError(f"model must be a course_lib.bert.Bert, got {type(model).__name__}")
    if isinstance(hf_model_or_state, dict):
        state = bert_state(hf_model_or_state)
    else:
        hf = resolve(hf_model_or_state, "BertForPreTraining")
        hf_config, state = hf.config, hf.state_dict()
    if hf_config is not None:
        same_settings(model.config, bert_config(hf_config, *(getattr(model.config, f"{t}_id") for t in
                                                             ("cls", "sep", "mask"))), UNSEEN_BY_SHAPES, "BERT")
    convert(model, state, HF_NAMES, skip=() if heads else HEADS)
    return model


def bert_from_hf(hf_model_or_name, cls_id: int | None = None, sep_id: int | None = None,
                 mask_id: int | None = None) -> Bert:
    """Our Bert with the weights of a BertForPreTraining (or a name or folder such as "bert-base-uncased"), in eval mode."""
    hf = resolve(hf_model_or_name, "BertForPreTraining")
    model = Bert(bert_config(hf.config, cls_id, sep_id, mask_id))
    load_bert(model, hf)
    return model.to(next(hf.parameters()).device).eval()


@torch.no_grad()
def fill_mask_hf(model: Bert, tokenizer, text: str, top_k: int = 5) -> list[list[tuple[str, float]]]:
    """The top_k (token, probability) guesses for each mask token in `text`, with a Hugging Face tokenizer.

    The tokenizer adds [CLS] ... [SEP] and the segment ids; our Bert does the rest. (With the course's own
    tokenizers use course_lib.bert.fill_mask.)
    """
    if not isinstance(text, str) or tokenizer.mask_token not in text:
        raise ValueError(f"text must be a string containing {tokenizer.mask_token}, got {text!r}")
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= len(tokenizer):
        raise ValueError(f"top_k must be an int in [1, {len(tokenizer)}], got {top_k!r}")
    device = next(model.parameters()).device
    enc = tokenizer(text, return_tensors="pt")
    ids = enc["input_ids"].to(device)  # (1, T)
    segments = enc.get("token_type_ids", torch.zeros_like(enc["input_ids"])).to(device)
    with evaluating(model):
        probs = model(ids, segments).logits[0].softmax(-1)  # (T, V)
    where = (ids[0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
    out = []
    for t in where:
        p, i = probs[t].topk(top_k)
        out.append([(tokenizer.convert_ids_to_tokens(int(j)), round(float(q), 4)) for q, j in zip(p, i)])
    return out

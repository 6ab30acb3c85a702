"""BERT checkpoints (Hugging Face BertForPreTraining) loaded into the course's Bert, and fill-mask.

Taught in 11_pretrained_models. The course's Bert was written with BERT's names beside its own
(course_lib.bert.HF_NAMES), so this converter is that table: the only reshaping is stacking the
separate query, key and value projections into our fused `qkv`. Both heads come across: the masked-LM
head (its decoder is tied to the token embedding, plus its own bias) and the next-sentence head.
Deliberately left out: relative position variants and task heads other than pretraining.
"""

from __future__ import annotations

import torch

from course_lib.bert import Bert, BertConfig

from .common import copy_, copy_linear, copy_norm, copy_qkv, require_setting, resolve


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


def load_bert(model: Bert, hf_model) -> Bert:
    """Copy the weights of a BertForPreTraining into our Bert, in place (shape-checked); returns it."""
    sd = resolve(hf_model, "BertForPreTraining").state_dict()
    if not isinstance(model, Bert):
        raise TypeError(f"model must be a course_lib.bert.Bert, got {type(model).__name__}")
    e, emb = "bert.embeddings", model.embeddings
    copy_(f"{e}.word_embeddings.weight", emb.tokens.weight, sd[f"{e}.word_embeddings.weight"])
    copy_(f"{e}.position_embeddings.weight", emb.positions.weight, sd[f"{e}.position_embeddings.weight"])
    copy_(f"{e}.token_type_embeddings.weight", emb.segments.weight, sd[f"{e}.token_type_embeddings.weight"])
    copy_norm(f"{e}.LayerNorm", emb.norm, sd)
    n_hf = sum(1 for k in sd if k.endswith(".attention.self.query.weight"))
    if n_hf != len(model.layers):
        raise ValueError(f"the Hugging Face model has {n_hf} layers (bert.encoder.layer.*), ours has "
                         f"{len(model.layers)}")
    for i, layer in enumerate(model.layers):
        h = f"bert.encoder.layer.{i}"
        copy_qkv(tuple(f"{h}.attention.self.{n}" for n in ("query", "key", "value")), layer.self_attn.qkv, sd)
        copy_linear(f"{h}.attention.output.dense", layer.self_attn.out, sd)
        copy_norm(f"{h}.attention.output.LayerNorm", layer.norm1, sd)
        copy_linear(f"{h}.intermediate.dense", layer.ffn.linear1, sd)
        copy_linear(f"{h}.output.dense", layer.ffn.linear2, sd)
        copy_norm(f"{h}.output.LayerNorm", layer.norm2, sd)
    copy_linear("bert.pooler.dense", model.pooler.dense, sd)
    copy_linear("cls.predictions.transform.dense", model.mlm_head.transform, sd)
    copy_norm("cls.predictions.transform.LayerNorm", model.mlm_head.norm, sd)
    copy_("cls.predictions.bias", model.mlm_head.decoder.bias, sd["cls.predictions.bias"])
    copy_linear("cls.seq_relationship", model.nsp_head, sd)
    return model


def bert_from_hf(hf_model_or_name, cls_id: int | None = None, sep_id: int | None = None,
                 mask_id: int | None = None) -> Bert:
    """Our Bert with the weights of a BertForPreTraining (or a name such as "bert-base-uncased"), in eval mode."""
    hf = resolve(hf_model_or_name, "BertForPreTraining")
    model = Bert(bert_config(hf.config, cls_id, sep_id, mask_id))
    load_bert(model, hf)
    return model.to(next(hf.parameters()).device).eval()


@torch.no_grad()
def fill_mask(model: Bert, tokenizer, text: str, top_k: int = 5) -> list[list[tuple[str, float]]]:
    """The top_k (token, probability) guesses for each mask token in `text`, with a Hugging Face tokenizer.

    The tokenizer adds [CLS] ... [SEP] and the segment ids; our Bert does the rest.
    """
    if not isinstance(text, str) or tokenizer.mask_token not in text:
        raise ValueError(f"text must be a string containing {tokenizer.mask_token}, got {text!r}")
    device = next(model.parameters()).device
    enc = tokenizer(text, return_tensors="pt")
    ids = enc["input_ids"].to(device)  # (1, T)
    segments = enc.get("token_type_ids", torch.zeros_like(enc["input_ids"])).to(device)
    model.eval()
    probs = model(ids, segments).mlm_logits[0].softmax(-1)  # (T, V)
    where = (ids[0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
    out = []
    for t in where:
        p, i = probs[t].topk(top_k)
        out.append([(tokenizer.convert_ids_to_tokens(int(j)), round(float(q), 4)) for q, j in zip(p, i)])
    return out

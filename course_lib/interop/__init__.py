"""Checkpoint converters: published Hugging Face models loaded into the course's own classes.

Taught in 11_pretrained_models. `gpt2_from_hf` (GPT2LMHeadModel -> course_lib.gpt.GPT), `bert_from_hf`
(BertForPreTraining -> course_lib.bert.Bert, MLM and NSP heads), `marian_from_hf` (MarianMTModel ->
course_lib.transformer.EncoderDecoder); each takes a model object or a checkpoint name and returns our
model in eval mode (its config is `model.config`). `load_pretrained(kind)` adds the tokenizer and falls
back to a small random stand-in when offline; `scale_table` counts published models with our formulas. `transformers` is an optional extra: importing this package
never imports it. Deliberately left out: converting back (our models -> Hugging Face) and other families.
"""

from .bert import bert_config, bert_from_hf, fill_mask, load_bert
from .common import copy_, require_transformers
from .gpt2 import gpt2_config, gpt2_from_hf, load_gpt2
from .marian import Translation, load_marian, marian_config, marian_from_hf, translate_text
from .pretrained import (DEFAULT_NAMES, Pretrained, load_pretrained, network_available, standin_model,
                         standin_tokenizer)
from .scale import MODELS, count_params, scale_table, training_flops

__all__ = ["DEFAULT_NAMES", "MODELS", "Pretrained", "Translation", "bert_config", "bert_from_hf", "copy_",
           "count_params", "fill_mask", "gpt2_config", "gpt2_from_hf", "load_bert", "load_gpt2", "load_marian", "load_pretrained",
           "marian_config", "marian_from_hf", "network_available", "require_transformers", "scale_table",
           "standin_model", "standin_tokenizer", "training_flops", "translate_text"]

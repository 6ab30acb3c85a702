"""Checkpoint converters: published models loaded into the course's own classes, and the course's shipped models.

Taught in 11_pretrained_models. `gpt2_from_hf` (GPT2LMHeadModel -> course_lib.gpt.GPT), `bert_from_hf`
(BertForPreTraining -> course_lib.bert.Bert, MLM and NSP heads), `marian_from_hf` (MarianMTModel ->
course_lib.transformer.EncoderDecoder); each takes a model object, a checkpoint name or a local folder and
returns our model in eval mode (its config is `model.config`); each is a loop over one name table
(`HF_NAMES` of its family). `load_pretrained(kind)` adds the tokenizer, or says why it cannot and returns
None. Offline: `load_minilm` (all-MiniLM-L6-v2, a real pretrained encoder without heads, in our Bert),
`load_shakespeare_gpt` and `load_shipped_translator` (the course's own trained models, shipped in data/
with their sha256). `head_shares` measures what attention heads do; `scale_table` counts published
models with our formulas. `transformers` is an optional extra: importing this package never imports it.
Deliberately left out: converting back (our models -> Hugging Face) and other families.
"""

from .bert import bert_config, bert_from_hf, fill_mask_hf, load_bert
from .common import convert, copy_, require_transformers, same_settings
from .gpt2 import gpt2_config, gpt2_from_hf, load_gpt2
from .heads import HEAD_TYPES, clearest_heads, head_shares, word_starts
from .marian import MarianTranslation, load_marian, marian_config, marian_from_hf, translate_text
from .minilm import (
                     MiniLM,
                     MissingHead,
                     encode_batch,
                     encode_sentences,
                     load_minilm,
                     mean_pool,
                     minilm_checkpoint,
                     sentence_embeddings,
)
from .pretrained import DEFAULT_NAMES, Pretrained, load_pretrained, network_available, offline_forced
from .scale import MODELS, count_params, scale_table, training_flops
from .shipped import (
                     SHIPPED,
                     ShippedFileError,
                     heldout_loss,
                     load_shakespeare_gpt,
                     load_shipped_translator,
                     shipped_path,
                     verify_sha256,
)

__all__ = ["DEFAULT_NAMES", "HEAD_TYPES", "MODELS", "SHIPPED", "MarianTranslation", "MiniLM", "MissingHead",
           "Pretrained", "ShippedFileError", "bert_config", "bert_from_hf", "clearest_heads", "convert", "copy_",
           "count_params", "encode_batch", "encode_sentences", "fill_mask_hf", "gpt2_config", "gpt2_from_hf",
           "head_shares", "heldout_loss", "load_bert", "load_gpt2", "load_marian", "load_minilm", "load_pretrained",
           "load_shakespeare_gpt", "load_shipped_translator", "marian_config", "marian_from_hf", "mean_pool",
           "minilm_checkpoint",
           "network_available", "offline_forced", "require_transformers", "same_settings", "scale_table",
           "sentence_embeddings", "shipped_path", "training_flops", "translate_text", "verify_sha256", "word_starts"]

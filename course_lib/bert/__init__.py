"""BERT: a bidirectional encoder pretrained by masked-language modelling and next-sentence prediction.

Taught in 09_bert_pretraining. Submodules: `config` (BertConfig and presets), `model` (Bert with its
MLM and NSP heads, BertClassifier), `pretraining_data` (sentence pairs, [CLS] a [SEP] b [SEP], masking,
batches), `real_text` (plain text into documents of sentences), `evaluation` (accuracies, majority
baseline, fill_mask), `finetuning` (a sentence classification task built from the stories).
Deliberately left out: training (course_lib.training does it), plots and widgets.
"""

from .config import PRESETS, BertConfig
from .evaluation import fill_mask, majority_baseline, pretraining_metrics
from .finetuning import (
                         CLASSES,
                         animal_or_thing,
                         classification_accuracy,
                         classification_batch,
                         split_by_noun,
                         spotted_noun,
)
from .model import HF_NAMES, Bert, BertClassifier, BertOutput, segments_from_sep
from .pretraining_data import (
                         IGNORE,
                         IS_NEXT,
                         NOT_NEXT,
                         EncodedPair,
                         PretrainingBatches,
                         SentencePair,
                         VocabInfo,
                         encode_pair,
                         mask_tokens,
                         pad_batch,
                         sentence_pairs,
                         truncate_pair,
)
from .real_text import split_documents, split_sentences, text_to_documents

__all__ = ["CLASSES", "HF_NAMES", "IGNORE", "IS_NEXT", "NOT_NEXT", "PRESETS", "Bert", "BertClassifier", "BertConfig",
           "BertOutput", "EncodedPair", "PretrainingBatches", "SentencePair", "VocabInfo", "animal_or_thing",
           "classification_accuracy", "classification_batch", "encode_pair", "fill_mask", "majority_baseline",
           "mask_tokens", "pad_batch", "pretraining_metrics", "segments_from_sep", "sentence_pairs",
           "split_by_noun", "split_documents", "split_sentences", "spotted_noun", "text_to_documents", "truncate_pair"]

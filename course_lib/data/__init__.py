"""Data for the course: a synthetic story corpus, real corpora with a safe download, LM batches.

Taught in 02_embeddings (the corpus and its vocabulary); reused by 08_encoder_decoder, 09_bert_pretraining
and 10_gpt_pretraining. Submodules: `lexicon` (the words, as data), `frames` (what a sentence says),
`planner` (coherent stories as frames), `english` (frames into English), `spanish` (the same frames in
Spanish, for 08_encoder_decoder's translator), `stories` (the corpus),
`corpora` (`load_corpus`: cache, fallback), `download` (streamed, capped, checksummed),
`batches` (next-token windows).
Deliberately left out: tokenization (course_lib.tokenization) and streaming corpora too big for memory.
"""

from course_lib.data.batches import random_batches, train_val_split
from course_lib.data.corpora import REGISTRY, Corpus, RemoteFile, load_corpus
from course_lib.data.english import realise_english
from course_lib.data.frames import Frame, Mention
from course_lib.data.lexicon import LEXICON, SPANISH, SpanishWord, Word, word_categories, words_in
from course_lib.data.planner import story_frames
from course_lib.data.spanish import realise_spanish, realise_spanish_story, spanish_stories, synthetic_pairs
from course_lib.data.stories import synthetic_corpus, synthetic_stories

__all__ = ["LEXICON", "REGISTRY", "SPANISH", "Corpus", "Frame", "Mention", "RemoteFile", "SpanishWord", "Word",
           "load_corpus", "random_batches", "realise_english", "realise_spanish", "realise_spanish_story",
           "spanish_stories", "story_frames", "synthetic_corpus", "synthetic_pairs", "synthetic_stories",
           "train_val_split", "word_categories", "words_in"]

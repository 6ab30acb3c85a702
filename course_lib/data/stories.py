"""A deterministic synthetic English corpus: short coherent stories from a small grammar.

Taught in 02_embeddings; reused by 08_encoder_decoder (translation), 09_bert_pretraining (next-sentence
prediction) and 10_gpt_pretraining. A story keeps its protagonist, place and objects from beginning to
end and refers back to them with pronouns and "the", so a sentence from another story stands out.

Every sentence is planned first as a language-independent `Frame` (planner.py, frames.py) and only
then realised in English (english.py); a second language is a second realiser over the same
`story_frames`. Deliberately left out: any other language, dialogue, tenses other than simple present
and simple past.
"""

from __future__ import annotations

from course_lib.data.english import realise_english
from course_lib.data.frames import Frame, Mention
from course_lib.data.planner import story_frames

__all__ = ["Frame", "Mention", "realise_english", "story_frames", "synthetic_corpus", "synthetic_stories"]


def synthetic_stories(n_stories: int, seed: int = 0) -> list[list[str]]:
    """`n_stories` English stories, each a list of sentences."""
    return [[realise_english(f) for f in frames] for frames in story_frames(n_stories, seed)]


def synthetic_corpus(n_stories: int = 2000, seed: int = 0) -> str:
    """The stories as one text: one sentence per line, a blank line between stories, a final newline."""
    return "\n\n".join("\n".join(story) for story in synthetic_stories(n_stories, seed)) + "\n"

"""Sentence frames: what a sentence says, before it is put into words of any language.

Taught in 02_embeddings (section 1) and reused by 08_encoder_decoder, where the same frames are realised
in Spanish. A `Frame` holds a verb lemma and tense, a subject, an object, prepositional phrases and a time
phrase; each noun phrase is a `Mention` with number, adjectives, definiteness and pronoun choice, all as
lexicon lemmas. Deliberately left out: words of any language (see english.py), questions, clauses.
"""

from __future__ import annotations

from dataclasses import dataclass

TENSES = ("past", "present")


@dataclass(frozen=True)
class Mention:
    """How one entity is referred to in one sentence, before choosing words in any language."""

    head: str                            # lexicon lemma: "ball", "Maria"; "it" for "It was a cold day"
    number: str = "sg"                   # "sg" | "pl"
    gender: str = "n"                    # "f" | "m" | "n": picks the pronoun
    count: int = 0                       # > 0: say how many ("two balls")
    adjectives: tuple[str, ...] = ()     # lemmas, in English order (size before colour)
    definite: bool = False               # "the ball" (already known) vs "a ball" (new)
    pronoun: bool = False                # she / he / it / they
    members: tuple[Mention, ...] = ()    # a coordination: "Tom and Anna" (number "pl")


@dataclass(frozen=True)
class Frame:
    """One planned sentence: who does what to what, where, when."""

    verb: str                            # lexicon lemma: "walk", "find", "be"
    tense: str                           # "past" | "present"
    subject: Mention
    obj: Mention | None = None           # direct object, or the noun after "be" ("a sunny morning")
    predicate: str = ""                  # adjective after "be": "The ball was dirty."
    adverb: str = ""                     # "home", "together"
    complements: tuple[tuple[str, Mention], ...] = ()  # prepositional phrases: (("to", garden),)
    opener: str = ""                     # a time phrase from the lexicon: "one morning"

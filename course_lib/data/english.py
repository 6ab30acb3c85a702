"""English realisation of sentence frames: "One morning, Maria walked to the old garden."

Taught in 02_embeddings. Chooses the English words for a `Frame`: articles (a / an / the / a number),
pronouns by gender, number and case, verb forms by tense and agreement, adjectives before the noun.
Deliberately left out: other languages (a second realiser over the same frames adds one).
"""

from __future__ import annotations

from course_lib.data.frames import TENSES, Frame, Mention
from course_lib.data.lexicon import LEXICON, NUMBERS

_PRONOUNS = {"f": ("she", "her"), "m": ("he", "him"), "n": ("it", "it"), "pl": ("they", "them")}


def _plural(m: Mention) -> bool:
    return m.number == "pl" or bool(m.members)


def _noun_phrase(m: Mention, subject: bool) -> str:
    if m.pronoun:
        return _PRONOUNS["pl" if _plural(m) else m.gender][0 if subject else 1]
    if m.members:  # "Tom and Anna", "Tom, Anna and the dog"
        names = [_noun_phrase(x, subject) for x in m.members]
        return ", ".join(names[:-1]) + " and " + names[-1]
    word = LEXICON[m.head]
    if word.pos == "name":
        return word.lemma
    words = [*m.adjectives, word.plural if m.number == "pl" else word.lemma]
    if m.definite:
        words.insert(0, "the")
    elif m.count:
        words.insert(0, NUMBERS[m.count])
    elif m.number == "sg":
        words.insert(0, "an" if words[0][0] in "aeiou" else "a")
    return " ".join(words)


def _verb(frame: Frame) -> str:
    plural = _plural(frame.subject)
    if frame.verb == "be":
        return {("past", False): "was", ("past", True): "were",
                ("present", False): "is", ("present", True): "are"}[frame.tense, plural]
    word = LEXICON[frame.verb]
    if frame.tense == "past":
        return word.past
    return word.lemma if plural else word.third


def realise_english(frame: Frame) -> str:
    """The English sentence for a frame: 'One morning, Maria walked to the old garden.'"""
    if frame.tense not in TENSES:
        raise ValueError(f"frame.tense must be one of {TENSES}, got {frame.tense!r}")
    parts = []
    if frame.opener:
        parts.append(frame.opener + ("," if "comma" in LEXICON[frame.opener].tags else ""))
    parts += [_noun_phrase(frame.subject, subject=True), _verb(frame)]
    if frame.obj is not None:
        parts.append(_noun_phrase(frame.obj, subject=False))
    parts += [w for w in (frame.predicate, frame.adverb) if w]
    for preposition, m in frame.complements:
        parts += [preposition, _noun_phrase(m, subject=False)]
    text = " ".join(parts)
    return text[0].upper() + text[1:] + "."

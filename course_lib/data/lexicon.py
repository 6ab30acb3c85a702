"""The lexicon of the synthetic story corpus: every word it can use, as data.

Taught in 02_embeddings (the word categories are what a trained embedding rediscovers). Each entry is
a `Word`: an English lemma with its inflected forms (plural, past tense, present third person), its
category ("colour", "animal", "motion", ...) and, for names, the gender its pronoun needs.
Deliberately left out: any other language. A second language is added later as extra fields or a
parallel table keyed by the English lemma (e.g. Spanish form and grammatical gender), without
changing the grammar that uses this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One lexicon entry. Unused forms are empty strings (a colour has no past tense)."""

    lemma: str       # dictionary form, also the key: "ball", "run", "red", "one morning"
    pos: str         # "name", "noun", "verb", "adj", "time", "adv"
    category: str    # semantic class: "person", "animal", "object", "colour", "motion", ...
    plural: str = ""  # nouns: "balls", "mice"
    past: str = ""    # verbs: "walked", "ran"
    third: str = ""   # verbs: present 3rd person singular, "walks", "goes"
    gender: str = ""  # names: "f" or "m" (picks she/he); other nouns use "n" (it/they)
    tags: frozenset[str] = frozenset()  # extra features: "container" (can hold things), "comma" (opener)


def _s_form(word: str) -> str:
    """Regular plural / 3rd person -s: boxes, cherries, balls."""
    if word.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _ed_form(word: str) -> str:
    """Regular past tense: walked, hurried, smiled."""
    if word.endswith("e"):
        return word + "d"
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ied"
    return word + "ed"


# Nouns: "lemma" or "lemma:irregular-plural"; the key is the category.
_NOUNS = {
    "animal": "cat dog bird horse rabbit fox mouse:mice duck cow sheep:sheep goat frog owl pig bear",
    "object": "ball book box key hat cup lamp basket letter coin shoe kite bag bottle ring map clock "
              "toy stone bell candle pencil plate umbrella blanket feather shell",
    "food": "apple cake carrot banana egg cookie pear sandwich plum cherry pie lemon",
    "place": "garden park forest kitchen river beach school market library farm lake hill village "
             "station field street bridge castle cave shop museum meadow harbour",
    "landmark": "tree bench wall door table bed rock bush fence window gate chair",
    "daytime": "morning day afternoon evening",
}
_CONTAINERS = {"box", "basket", "bag"}

# Verbs: "lemma" or "lemma:past" or "lemma:past:third" (irregular forms only).
_VERBS = {
    "motion": "walk run:ran go:went:goes hurry wander rush stroll march",
    "find": "find:found discover notice spot:spotted",
    "handle": "take:took hold:held carry wash clean hide:hid keep:kept lift",
    "repair": "fix mend",
    "meet": "see:saw meet:met greet",
    "give": "give:gave show bring:brought throw:threw",
    "eat": "eat:ate buy:bought",
    "play": "play",
    "put": "put:put",
    "be": "be:was:is",  # special: were / are for plurals, see stories.py
}

_ADJECTIVES = {
    "colour": "red blue green yellow white black brown orange pink grey purple",
    "size": "big small little tiny huge",
    "quality": "old new shiny dirty heavy broken beautiful strange",  # said of objects
    "setting": "quiet sunny dark busy empty peaceful noisy",          # said of places
    "weather": "rainy windy cold warm cloudy bright foggy",
    "feeling": "happy sad tired hungry scared excited proud sleepy surprised glad",
}

_NAMES = {
    "f": "Maria Anna Lucy Sara Emma Clara Julia Elena Sofia Laura",
    "m": "Tom Pablo David Leo Max Hugo Daniel Lucas Mario Sam",
}

# Time phrases that open a sentence; "comma" ones are followed by a comma.
_TIMES = {
    "start": ("one morning", "one day", "one afternoon", "one evening", "on Monday", "on Saturday",
              "early in the morning", "after breakfast"),
    "middle": ("then", "after that", "soon", "suddenly", "later", "next"),
    "end": ("in the evening", "at last", "in the end", "at night", "later that day", "finally"),
}
_NO_COMMA = {"then", "soon", "suddenly", "later", "next"}

_ADVERBS = "home together"
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five"}


def _build() -> dict[str, Word]:
    lex: dict[str, Word] = {}

    def add(w: Word) -> None:
        if w.lemma in lex:
            raise ValueError(f"lexicon lists {w.lemma!r} twice")
        lex[w.lemma] = w

    for category, spec in _NOUNS.items():
        for item in spec.split():
            lemma, _, plural = item.partition(":")
            tags = frozenset({"container"}) if lemma in _CONTAINERS else frozenset()
            add(Word(lemma, "noun", category, plural=plural or _s_form(lemma), gender="n", tags=tags))
    for category, spec in _VERBS.items():
        for item in spec.split():
            lemma, past, third = (item.split(":") + ["", ""])[:3]
            add(Word(lemma, "verb", category, past=past or _ed_form(lemma), third=third or _s_form(lemma)))
    for category, spec in _ADJECTIVES.items():
        for lemma in spec.split():
            add(Word(lemma, "adj", category))
    for gender, spec in _NAMES.items():
        for name in spec.split():
            add(Word(name, "name", "person", gender=gender))
    for category, phrases in _TIMES.items():
        for phrase in phrases:
            tags = frozenset() if phrase in _NO_COMMA else frozenset({"comma"})
            add(Word(phrase, "time", "time_" + category, tags=tags))
    for lemma in _ADVERBS.split():
        add(Word(lemma, "adv", "adverb"))
    return lex


LEXICON: dict[str, Word] = _build()


def words_in(category: str) -> list[str]:
    """Lemmas of one category, in lexicon order (e.g. words_in("colour") -> ["red", "blue", ...])."""
    found = [w.lemma for w in LEXICON.values() if w.category == category]
    if not found:
        known = sorted({w.category for w in LEXICON.values()})
        raise ValueError(f"category must be one of {known}, got {category!r}")
    return found


def word_categories() -> dict[str, str]:
    """Every single-word surface form (lower case) -> its category: {"red": "colour", "ran": "motion", ...}.

    The ground truth for judging an embedding trained on the corpus (same category = should be close).
    Multi-word time phrases are left out; "be" forms are left out (they are function words here).
    """
    out: dict[str, str] = {}
    for w in LEXICON.values():
        if w.pos == "time" or w.category == "be":
            continue
        for form in (w.lemma, w.plural, w.past, w.third):
            if form:
                out.setdefault(form.lower(), w.category)
    return out

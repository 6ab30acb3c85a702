"""Spanish realisation of the same sentence frames: "Una mañana, María caminó al jardín viejo."

Taught in 08_encoder_decoder, where English -> Spanish pairs train a translator. The frames of
`story_frames` are put into Spanish with a bilingual lexicon (`SPANISH`, keyed by the English lemma):
nouns with gender and plural, articles that agree (el/la/los/las, un/una), adjectives after the noun in
mirror order ("a small red ball" -> "una pelota roja pequeña"), agreement of adjectives, verbs in the
present and the past (pretérito indefinido; "was" describing a state takes the imperfect: era/estaba),
ser vs estar vs tener ("was broken" -> "estaba rota", "was hungry" -> "tenía hambre"), object pronouns
before the verb ("she found it" -> "ella la encontró"; "gave it to him" -> "se la dio"), the personal
"a" ("vio a Tomás"), and the contractions a + el = al, de + el = del. Subject pronouns for things are
dropped ("It was dirty." -> "Estaba sucia."), as Spanish does.
A sentence alone does not always say a pronoun's gender ("it" may be a ball, una pelota, or a book,
un libro); the story does, so `realise_spanish_story` passes it along. Deliberately left out: other
tenses, other persons than the third, and anything the English grammar does not produce.
"""

from __future__ import annotations

from course_lib.data.english import realise_english
from course_lib.data.frames import TENSES, Frame, Mention
from course_lib.data.lexicon import LEXICON, SPANISH, SpanishWord
from course_lib.data.planner import story_frames

__all__ = ["SPANISH", "SpanishWord", "realise_spanish", "realise_spanish_story", "spanish_stories",
           "synthetic_pairs"]

_PREPOSITIONS = {"under": "debajo de", "near": "cerca de", "behind": "detrás de", "with": "con", "in": "en"}
_SUBJECT = {("f", False): "ella", ("m", False): "él", ("f", True): "ellas", ("m", True): "ellos"}
_DIRECT = {("f", False): "la", ("m", False): "lo", ("f", True): "las", ("m", True): "los"}
_COPULA = {  # "be" as (present sg, present pl, imperfect sg, imperfect pl)
    "ser": ("es", "son", "era", "eran"), "estar": ("está", "están", "estaba", "estaban"),
    "tener": ("tiene", "tienen", "tenía", "tenían")}
_NUMBERS = {2: "dos", 3: "tres", 4: "cuatro", 5: "cinco"}
GENDERS = ("f", "m")


def _plural(m: Mention) -> bool:
    return m.number == "pl" or bool(m.members)


def _is_person(m: Mention) -> bool:
    """People (and groups, which always include a person) keep their subject pronoun; things drop it."""
    return m.head == "and" or bool(m.members) or LEXICON.get(m.head, None) is not None and \
        LEXICON[m.head].pos == "name"


def _gender(m: Mention, group_gender: str) -> str:
    """Grammatical gender in Spanish: a group is feminine only if every member is."""
    if m.members:
        return "f" if all(_gender(x, group_gender) == "f" for x in m.members) else "m"
    if m.head == "and":  # a pronoun for a group: the frame no longer lists its members
        return group_gender
    if m.head == "it":
        return "m"
    return SPANISH[m.head].gender


def _agree(adjective: str, gender: str, plural: bool) -> str:
    """The form of an adjective (English lemma) agreeing with a noun: rojo, roja, rojos, rojas."""
    return SPANISH[adjective].forms[2 * plural + (gender == "f")]


def _noun_phrase(m: Mention, group_gender: str) -> list[str]:
    """A full noun phrase (never a pronoun): 'la pelota roja pequeña', 'Tomás y Ana', 'dos gatos'."""
    if m.members:
        parts = [" ".join(_noun_phrase(x, group_gender)) for x in m.members]
        return (", ".join(parts[:-1]) + " y " + parts[-1]).split(" ")
    word = SPANISH[m.head]
    if LEXICON[m.head].pos == "name":
        return [word.lemma]
    plural, gender = m.number == "pl", word.gender
    words = [word.plural if plural else word.lemma]
    words += [_agree(a, gender, plural) for a in reversed(m.adjectives)]  # mirror order: noun colour size
    if m.definite:
        words.insert(0, {"f": "la", "m": "el"}[gender] + ("s" if plural and gender == "f" else ""))
        if plural and gender == "m":
            words[0] = "los"
    elif m.count:
        words.insert(0, _NUMBERS[m.count])
    elif not plural:
        words.insert(0, {"f": "una", "m": "un"}[gender])
    return words


def _object(m: Mention, group_gender: str) -> list[str]:
    """A noun phrase after a preposition: 'la pelota', or the pronoun 'ella' / 'él' / 'ellos' / 'ellas'."""
    if m.pronoun:
        return [_SUBJECT[_gender(m, group_gender), _plural(m)]]
    return _noun_phrase(m, group_gender)


def _contract(words: list[str]) -> list[str]:
    """a + el = al, de + el = del (the article 'el' only; the pronoun 'él' has an accent and stays)."""
    out: list[str] = []
    for w in words:
        if w == "el" and out and out[-1] in ("a", "de"):
            out[-1] += "l"
        else:
            out.append(w)
    return out


def _verb(frame: Frame, group_gender: str) -> tuple[list[str], list[str]]:
    """(verb words, predicate words) for the frame's verb, agreeing with the subject."""
    plural, past = _plural(frame.subject), frame.tense == "past"
    if frame.verb != "be":
        forms = SPANISH[frame.verb].forms  # (present sg, present pl, past sg, past pl)
        words = [forms[2 * past + plural]]
        return (["se", *words] if SPANISH[frame.verb].reflexive else words), []
    if frame.predicate:
        adjective = SPANISH[frame.predicate]
        copula, _, noun = adjective.copula.partition(" ")
        if noun:  # "was hungry" -> "tenía hambre": a noun, which does not agree
            predicate = [noun]
        else:
            predicate = [_agree(frame.predicate, _gender(frame.subject, group_gender), plural)]
    else:  # "It was a cold morning" -> "Era una mañana fría"
        copula, predicate = "ser", []
    return [_COPULA[copula][2 * past + plural]], predicate


def realise_spanish(frame: Frame, group_gender: str = "m") -> str:
    """The Spanish sentence for a frame: 'Una mañana, María caminó al jardín viejo.'

    group_gender: the gender of 'they' when it stands for a group whose members the frame no longer
    lists ("Tom and Anna ... They ..."): "m" unless every member is female (realise_spanish_story
    works it out from the story).
    """
    if not isinstance(frame, Frame):
        raise TypeError(f"frame must be a Frame, got {type(frame).__name__}")
    if frame.tense not in TENSES:
        raise ValueError(f"frame.tense must be one of {TENSES}, got {frame.tense!r}")
    if group_gender not in GENDERS:
        raise ValueError(f"group_gender must be one of {GENDERS}, got {group_gender!r}")
    g = group_gender
    subject_gender, plural = _gender(frame.subject, g), _plural(frame.subject)
    words: list[str] = []
    if frame.opener:
        words += (SPANISH[frame.opener].lemma + ("," if "comma" in LEXICON[frame.opener].tags else "")).split()
    if not frame.subject.pronoun:
        words += _noun_phrase(frame.subject, g)
    elif _is_person(frame.subject):
        words.append(_SUBJECT[subject_gender, plural])
    verb, predicate = _verb(frame, g)

    clitics, after = [], []  # pronouns before the verb; phrases after it
    giving = frame.verb != "be" and LEXICON[frame.verb].category == "give"
    if frame.obj is not None:
        if frame.obj.pronoun:
            clitics.append(_DIRECT[_gender(frame.obj, g), _plural(frame.obj)])
        else:
            name = frame.verb != "be" and _is_person(frame.obj)
            after += (["a"] if name else []) + _noun_phrase(frame.obj, g)  # the personal "a": "vio a Tomás"
    after += predicate
    if frame.adverb == "home":
        after += [SPANISH[frame.verb].to, "casa"]
    elif frame.adverb:
        after.append(_agree(frame.adverb, subject_gender, plural))  # juntos / juntas
    for preposition, m in frame.complements:
        if preposition == "to" and giving:  # the recipient: "le dio", "se la dio", "dio la pelota a Ana"
            if m.pronoun:
                clitics.insert(0, "se" if clitics else "le" + ("s" if _plural(m) else ""))
            else:
                after += ["a", *_noun_phrase(m, g)]
        elif preposition == "to":  # motion: to a place with the verb's preposition, towards someone with hacia
            place = not m.pronoun and not m.members and LEXICON[m.head].category == "place"
            after += [SPANISH[frame.verb].to if place else "hacia", *_object(m, g)]
        elif preposition in _PREPOSITIONS:
            after += [*_PREPOSITIONS[preposition].split(), *_object(m, g)]
        else:
            raise ValueError(f"frame.complements uses the preposition {preposition!r}, expected 'to' or one "
                             f"of {sorted(_PREPOSITIONS)}")
    words = _contract(words + clitics + verb + after)
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _groups(frame: Frame) -> list[Mention]:
    """Coordinations named in full in a frame ('Tom and Anna'), in order."""
    mentions = [frame.subject, *([frame.obj] if frame.obj else []), *(m for _, m in frame.complements)]
    return [m for m in mentions if m.members and not m.pronoun]


def realise_spanish_story(frames: list[Frame]) -> list[str]:
    """A story in Spanish, sentence by sentence; 'they' for a group takes the gender of the group last named."""
    group_gender, out = "m", []
    for frame in frames:
        out.append(realise_spanish(frame, group_gender))
        for m in _groups(frame):
            group_gender = _gender(m, group_gender)
    return out


def spanish_stories(n_stories: int, seed: int = 0) -> list[list[str]]:
    """`n_stories` Spanish stories: the same stories as synthetic_stories(n_stories, seed), in Spanish."""
    return [realise_spanish_story(frames) for frames in story_frames(n_stories, seed)]


def synthetic_pairs(n_stories: int, seed: int = 0) -> list[tuple[str, str]]:
    """(English, Spanish) sentence pairs of `n_stories` stories, in story order.

    Stories of different seeds are different stories: train on one seed, test on another.
    """
    return [(realise_english(f), es) for frames in story_frames(n_stories, seed)
            for f, es in zip(frames, realise_spanish_story(frames))]

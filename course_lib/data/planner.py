"""Story planning: a deterministic grammar that plans coherent stories as lists of sentence frames.

Taught in 02_embeddings; reused by 08_encoder_decoder, 09_bert_pretraining and 10_gpt_pretraining.
A story has a beginning (when, who, where), a middle (something is found, something happens to it, maybe
a companion, maybe lunch) and an end (home, and how it felt). It keeps its characters, place and objects
throughout: first mentions are indefinite ("a small red ball"), later ones definite or pronouns, a
pronoun only where the previous sentence makes it unambiguous. Deliberately left out: words (the
realisers choose them), dialogue, more than one companion.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from course_lib.data.frames import Frame, Mention
from course_lib.data.lexicon import LEXICON, words_in


@dataclass(eq=False)
class _Entity:
    """Something a story talks about, and whether it has been mentioned yet."""

    head: str
    gender: str = "n"
    number: str = "sg"
    count: int = 0
    adjectives: tuple[str, ...] = ()
    members: tuple[_Entity, ...] = ()
    place: bool = False          # places are unique in a story: always "the garden"
    mentioned: bool = False
    pronoun_key: str = ""        # entities with the same key would take the same pronoun

    def __post_init__(self) -> None:
        self.pronoun_key = "pl" if self.number == "pl" else self.gender


_W = {c: words_in(c) for c in ("person", "animal", "object", "food", "place", "landmark", "daytime",
                                "motion", "find", "handle", "repair", "meet", "give", "colour", "size",
                                "quality", "setting", "weather", "feeling", "time_start", "time_middle",
                                "time_end")}
_NAMES = {g: [n for n in _W["person"] if LEXICON[n].gender == g] for g in "fm"}
_CONTAINERS = [w for w in _W["object"] if "container" in LEXICON[w].tags]
_END_FEELINGS = ("happy", "tired", "glad", "sleepy", "proud")
_HANDLE_CLEAN = [v for v in _W["handle"] if v not in ("wash", "clean")]  # for things that are not dirty


@dataclass
class _Storyteller:
    """Plans one story as a list of frames, choosing pronouns the way a careful writer would."""

    rng: random.Random
    tense: str = "past"
    frames: list[Frame] = field(default_factory=list)
    previous: list[_Entity] = field(default_factory=list)    # entities of the last sentence
    current: list[_Entity] = field(default_factory=list)     # entities of the sentence being planned
    previous_subject: _Entity | None = None
    current_subject: _Entity | None = None

    def ref(self, e: _Entity, subject: bool = False, pronoun_ok: bool = True) -> Mention:
        """Mention e: a pronoun if the last sentence makes it unambiguous, else 'the ...' or 'a ...'."""
        pronoun = pronoun_ok and e in self.previous
        if pronoun:  # ... unless another entity nearby would take the same pronoun
            key = e.pronoun_key
            rivals = any(x is not e and x.pronoun_key == key for x in self.previous + self.current)
            continuing = subject and e is self.previous_subject and e not in self.current
            pronoun = not rivals or continuing
        first = not e.mentioned
        members = () if pronoun else tuple(self.ref(x, pronoun_ok=False) for x in e.members)
        e.mentioned = True
        self.current.append(e)
        if subject:
            self.current_subject = e
        return Mention(e.head, e.number, e.gender, e.count if first else 0, e.adjectives if first else (),
                       definite=e.place or not first, pronoun=pronoun, members=members)

    def say(self, verb: str, subject: Mention, **parts) -> None:
        self.frames.append(Frame(verb, self.tense, subject, **parts))
        self.previous, self.previous_subject = self.current, self.current_subject
        self.current, self.current_subject = [], None

    def maybe(self, p: float) -> bool:
        return self.rng.random() < p

    def person(self, avoid: tuple[str, ...] = ()) -> _Entity:
        gender = self.rng.choice("fm")
        return _Entity(self.rng.choice([n for n in _NAMES[gender] if n not in avoid]), gender)

    def thing(self, category: str, kinds: list[str] | None = None, colour: bool = True,
              plural: bool = True) -> _Entity:
        """A new object, animal or food: maybe plural, with size and/or colour adjectives."""
        r = self.rng
        count = r.choice((2, 3, 4, 5)) if plural and self.maybe(0.25) else 0
        adjectives = ((r.choice(_W["size"]),) if self.maybe(0.5) else ()) + \
                     ((r.choice(_W["colour"]),) if colour and self.maybe(0.7) else ())
        return _Entity(r.choice(kinds or _W[category]), "n", "pl" if count else "sg", count, adjectives)

    def story(self) -> list[Frame]:
        r, W = self.rng, _W
        self.tense = "past" if self.maybe(0.6) else "present"
        if self.maybe(0.25):
            a = self.person()
            hero = _Entity("and", number="pl", members=(a, self.person(avoid=(a.head,))))
        else:
            hero = self.person()
        place = _Entity(r.choice(W["place"]), adjectives=(r.choice(W["setting"]),) if self.maybe(0.5) else (),
                        place=True)

        # Beginning: when and where.
        opener = r.choice(W["time_start"])
        if self.maybe(0.35):
            self.say("be", Mention("it", pronoun=True),
                     obj=Mention(r.choice(W["daytime"]), adjectives=(r.choice(W["weather"]),)))
            opener = ""
        self.say(r.choice(W["motion"]), self.ref(hero, True), complements=(("to", self.ref(place)),), opener=opener)
        if self.maybe(0.3):
            quiet = [a for a in W["setting"] if a not in place.adjectives]
            self.say("be", self.ref(place, True), predicate=r.choice(quiet))

        # Middle: something is found, and something happens to it.
        thing = self.thing("object")
        landmark = _Entity(r.choice(W["landmark"]), adjectives=(r.choice(W["size"]),) if self.maybe(0.4) else ())
        where = ((r.choice(("under", "near", "behind")), self.ref(landmark)),) if self.maybe(0.5) else ()
        self.say(r.choice(W["find"]), self.ref(hero, True), obj=self.ref(thing), complements=where,
                 opener=r.choice(W["time_middle"]) if self.maybe(0.3) else "")
        if self.maybe(0.5):
            quality = r.choice(W["quality"])
            self.say("be", self.ref(thing, True), predicate=quality)
            verb = {"dirty": r.choice(("wash", "clean")), "broken": r.choice(W["repair"])}.get(
                quality) or r.choice(_HANDLE_CLEAN)
            self.say(verb, self.ref(hero, True), obj=self.ref(thing))
        else:
            self.say(r.choice(W["handle"]), self.ref(hero, True), obj=self.ref(thing))

        carried = thing
        if self.maybe(0.55):  # a companion arrives
            names = tuple(m.head for m in hero.members) or (hero.head,)
            friend = self.person(avoid=names) if self.maybe(0.3) else self.thing("animal")
            verb = r.choice(("meet", "see", "greet")) if friend.gender != "n" else r.choice(("see", "notice", "spot"))
            self.say(verb, self.ref(hero, True), obj=self.ref(friend),
                     opener=r.choice(W["time_middle"]) if self.maybe(0.5) else "")
            if self.maybe(0.5):
                self.say(r.choice(W["motion"]), self.ref(friend, True), complements=(("to", self.ref(hero)),))
            if self.maybe(0.6):
                self.say(r.choice(W["give"]), self.ref(hero, True), obj=self.ref(thing),
                         complements=(("to", self.ref(friend)),))
                carried = None
                if self.maybe(0.7):
                    self.say("be", self.ref(friend, True), predicate=r.choice(W["feeling"]))
            else:
                pair = _Entity("and", number="pl", members=(*(hero.members or (hero,)), friend))
                self.say("play", self.ref(pair, True), adverb="together" if self.maybe(0.3) else "",
                         complements=(("with", self.ref(thing)),))
        elif self.maybe(0.5):  # a second object to put the first one in
            box = self.thing("object", kinds=_CONTAINERS, plural=False)
            self.say(r.choice(W["find"]), self.ref(hero, True), obj=self.ref(box))
            self.say("put", self.ref(hero, True), obj=self.ref(thing), complements=(("in", self.ref(box)),))
            carried = box
        if self.maybe(0.3):  # lunch
            self.say("be", self.ref(hero, True), predicate="hungry")
            food = self.thing("food", colour=False)
            if place.head in ("market", "shop"):
                self.say("buy", self.ref(hero, True), obj=self.ref(food))
            self.say("eat", self.ref(hero, True), obj=self.ref(food))

        # End: home, and how it felt.
        with_thing = (("with", self.ref(carried)),) if carried is not None and self.maybe(0.5) else ()
        self.say(r.choice(W["motion"]), self.ref(hero, True), adverb="home", complements=with_thing,
                 opener=r.choice(W["time_end"]))
        if self.maybe(0.6):
            self.say("be", self.ref(hero, True), predicate=r.choice(_END_FEELINGS))
        return self.frames


def _check_args(n_stories: int, seed: int) -> None:
    for name, value in (("n_stories", n_stories), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")


def story_frames(n_stories: int, seed: int = 0) -> list[list[Frame]]:
    """The planned frames of `n_stories` stories; the same seed always gives the same stories.

    Story i does not depend on n_stories: story_frames(10)[:3] == story_frames(3).
    """
    _check_args(n_stories, seed)
    rng = random.Random(seed)  # our own generator: the global random state is never touched
    return [_Storyteller(rng).story() for _ in range(n_stories)]

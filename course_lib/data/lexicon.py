"""The lexicon of the synthetic story corpus: every word it can use, as data.

Taught in 02_embeddings (the word categories are what a trained embedding rediscovers). Each entry is
a `Word`: an English lemma with its inflected forms (plural, past tense, present third person), its
category ("colour", "animal", "motion", ...) and, for names, the gender its pronoun needs.
The Spanish side (08_encoder_decoder) is a parallel table, `SPANISH`, keyed by the English lemma:
a `SpanishWord` with the Spanish lemma, grammatical gender, plural, verb and adjective forms; the
grammar above does not use it (course_lib.data.spanish does). Deliberately left out: other languages.
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


# ----------------------------------------------------------------------------- the Spanish side

@dataclass(frozen=True)
class SpanishWord:
    """The Spanish side of one lexicon entry (SPANISH[english_lemma]). Unused fields stay empty."""

    lemma: str                    # "pelota", "encontrar", "rojo", "una mañana", "María"
    gender: str = ""              # nouns and names: "f" | "m" (la pelota, el libro)
    plural: str = ""              # nouns: "pelotas", "ratones"
    forms: tuple[str, ...] = ()   # verbs: (present sg, present pl, past sg, past pl) of the 3rd person;
    #                               adjectives: (masc sg, fem sg, masc pl, fem pl)
    to: str = ""                  # motion verbs: "to the park" -> "a" (al parque) or "hasta"
    reflexive: bool = False       # verbs said with "se": "se apresuró"
    copula: str = ""              # adjectives after "was": "ser", "estar", or "tener hambre" (tenía hambre)


# "english=spanish/gender[/irregular plural]"
_ES_NOUNS = (
    "cat=gato/m dog=perro/m bird=pájaro/m horse=caballo/m rabbit=conejo/m fox=zorro/m mouse=ratón/m/ratones "
    "duck=pato/m cow=vaca/f sheep=oveja/f goat=cabra/f frog=rana/f owl=búho/m pig=cerdo/m bear=oso/m "
    "ball=pelota/f book=libro/m box=caja/f key=llave/f hat=sombrero/m cup=taza/f lamp=lámpara/f "
    "basket=cesta/f letter=carta/f coin=moneda/f shoe=zapato/m kite=cometa/f bag=bolsa/f bottle=botella/f "
    "ring=anillo/m map=mapa/m clock=reloj/m toy=juguete/m stone=piedra/f bell=campana/f candle=vela/f "
    "pencil=lápiz/m plate=plato/m umbrella=paraguas/m/paraguas blanket=manta/f feather=pluma/f shell=concha/f "
    "apple=manzana/f cake=pastel/m carrot=zanahoria/f banana=plátano/m egg=huevo/m cookie=galleta/f "
    "pear=pera/f sandwich=bocadillo/m plum=ciruela/f cherry=cereza/f pie=tarta/f lemon=limón/m/limones "
    "garden=jardín/m/jardines park=parque/m forest=bosque/m kitchen=cocina/f river=río/m beach=playa/f "
    "school=escuela/f market=mercado/m library=biblioteca/f farm=granja/f lake=lago/m hill=colina/f "
    "village=pueblo/m station=estación/f/estaciones field=campo/m street=calle/f bridge=puente/m "
    "castle=castillo/m cave=cueva/f shop=tienda/f museum=museo/m meadow=prado/m harbour=puerto/m "
    "tree=árbol/m bench=banco/m wall=muro/m door=puerta/f table=mesa/f bed=cama/f rock=roca/f bush=arbusto/m "
    "fence=valla/f window=ventana/f gate=verja/f chair=silla/f "
    "morning=mañana/f day=día/m afternoon=tarde/f evening=noche/f")
# "english=infinitive>preposition of 'to a place'[:present sg,present pl,past sg,past pl]"
_ES_VERBS = (
    "walk=caminar>a run=correr>a go=ir>a:va,van,fue,fueron hurry=apresurarse>a rush=acudir>a "
    "wander=deambular>hasta stroll=pasear>hasta march=marchar>a "
    "find=encontrar:encuentra,encuentran,encontró,encontraron discover=descubrir notice=notar spot=divisar "
    "take=tomar hold=sostener:sostiene,sostienen,sostuvo,sostuvieron carry=llevar wash=lavar clean=limpiar "
    "hide=esconder keep=guardar lift=levantar fix=arreglar mend=reparar see=ver:ve,ven,vio,vieron "
    "meet=conocer greet=saludar give=dar:da,dan,dio,dieron show=mostrar:muestra,muestran,mostró,mostraron "
    "bring=traer:trae,traen,trajo,trajeron throw=lanzar eat=comer buy=comprar "
    "play=jugar:juega,juegan,jugó,jugaron put=poner:pone,ponen,puso,pusieron be=ser")
# "english=masculine singular[/irregular plural | /inv (never changes)]"; together=junto is the adverb
_ES_ADJECTIVES = (
    "red=rojo blue=azul green=verde yellow=amarillo white=blanco black=negro brown=marrón/marrones "
    "orange=naranja/inv pink=rosa/inv grey=gris purple=morado big=grande small=pequeño little=pequeñito "
    "tiny=diminuto huge=enorme old=viejo new=nuevo shiny=brillante dirty=sucio heavy=pesado broken=roto "
    "beautiful=bonito strange=extraño quiet=tranquilo sunny=soleado dark=oscuro busy=concurrido empty=vacío "
    "peaceful=apacible noisy=ruidoso rainy=lluvioso windy=ventoso cold=frío warm=cálido cloudy=nublado "
    "bright=luminoso foggy=brumoso happy=contento sad=triste tired=cansado hungry=hambriento "
    "scared=asustado excited=emocionado proud=orgulloso sleepy=soñoliento surprised=sorprendido glad=alegre "
    "together=junto")
_ES_COPULA = {"quality": "ser", "setting": "estar", "feeling": "estar", "weather": "ser", "colour": "ser",
              "size": "ser", "dirty": "estar", "broken": "estar", "hungry": "tener hambre",
              "sleepy": "tener sueño"}
_ES_NAMES = {"Maria": "María", "Anna": "Ana", "Lucy": "Lucía", "Sofia": "Sofía", "Tom": "Tomás"}
_ES_PHRASES = {
    "one morning": "una mañana", "one day": "un día", "one afternoon": "una tarde", "one evening": "una noche",
    "on Monday": "el lunes", "on Saturday": "el sábado", "early in the morning": "temprano por la mañana",
    "after breakfast": "después del desayuno", "then": "entonces", "after that": "después de eso",
    "soon": "pronto", "suddenly": "de repente", "later": "más tarde", "next": "luego",
    "in the evening": "por la noche", "at last": "por fin", "in the end": "al final", "at night": "de noche",
    "later that day": "más tarde ese día", "finally": "finalmente", "home": "casa"}


def _es_plural(word: str) -> str:
    """Regular Spanish plural: vowel + s (pelotas), z -> ces (lápices), consonant + es (relojes)."""
    if word[-1] in "aeiouáéíóú":
        return word + "s"
    return word[:-1] + "ces" if word.endswith("z") else word + "es"


def _es_conjugate(infinitive: str) -> tuple[str, str, str, str]:
    """Regular 3rd person (present sg, present pl, past sg, past pl): camina, caminan, caminó, caminaron."""
    stem, ending = infinitive[:-2], infinitive[-2:]
    if ending == "ar":
        return stem + "a", stem + "an", stem + "ó", stem + "aron"
    return stem + "e", stem + "en", stem + "ió", stem + "ieron"


def _build_spanish() -> dict[str, SpanishWord]:
    es: dict[str, SpanishWord] = {}
    for item in _ES_NOUNS.split():
        english, spec = item.split("=")
        lemma, gender, *plural = spec.split("/")
        es[english] = SpanishWord(lemma, gender, plural[0] if plural else _es_plural(lemma))
    for item in _ES_VERBS.split():
        english, spec = item.split("=")
        spec, _, irregular = spec.partition(":")
        lemma, _, to = spec.partition(">")
        reflexive = lemma.endswith("se")
        forms = tuple(irregular.split(",")) if irregular else _es_conjugate(lemma.removesuffix("se"))
        es[english] = SpanishWord(lemma, forms=forms, to=to, reflexive=reflexive)
    for item in _ES_ADJECTIVES.split():
        english, spec = item.split("=")
        lemma, _, plural = spec.partition("/")
        if plural == "inv":
            forms = (lemma,) * 4
        elif lemma.endswith("o"):
            forms = (lemma, lemma[:-1] + "a", lemma + "s", lemma[:-1] + "as")
        else:
            forms = (lemma, lemma, plural or _es_plural(lemma), plural or _es_plural(lemma))
        word = LEXICON.get(english)
        copula = _ES_COPULA.get(english) or _ES_COPULA.get(word.category, "")
        es[english] = SpanishWord(lemma, forms=forms, copula=copula)
    for w in LEXICON.values():
        if w.pos == "name":
            es[w.lemma] = SpanishWord(_ES_NAMES.get(w.lemma, w.lemma), gender=w.gender)
    for english, spanish in _ES_PHRASES.items():
        es[english] = SpanishWord(spanish)
    return es


SPANISH: dict[str, SpanishWord] = _build_spanish()

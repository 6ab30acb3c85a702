"""A small fine-tuning task built from the stories: did the hero spot an animal or a thing?

Taught in 09_bert_pretraining (fine-tuning on [CLS]). The sentences are the story lines where someone
notices or spots something: "Later she spotted a red horse." (animal) or "He notices a small blue
cup." (thing). Adjectives, verbs and sentence shapes are the same for both classes, so only the noun
tells them apart, and `split_by_noun` puts different nouns in the labelled training set and in the
test set: a classifier must know that a fox is an animal without ever having seen "fox" labelled.
Pretraining on unlabelled stories is the only place such knowledge can come from.
Deliberately left out: any training (course_lib.training.train does it on BertClassifier).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import torch
from torch import Tensor

from course_lib.data import LEXICON, words_in
from course_lib.util import evaluating

from .pretraining_data import encode_pair, pad_batch

CLASSES = ("thing", "animal")
_VERBS = ("notice", "spot")
_FORMS = {form for verb in _VERBS for form in (verb, LEXICON[verb].past, LEXICON[verb].third)}
_NOUNS = {category: {form: lemma for lemma in words_in(category)
                     for form in (lemma, LEXICON[lemma].plural)} for category in ("object", "animal")}
_PATTERN = re.compile(r"^(?:[a-z ]+, |\w+ )?(?:she|he|they|\w+(?: and \w+)?) (\w+) (?:an?|two|three|four|five) "
                      r"(?:\w+ )*?(\w+)\.$", re.IGNORECASE)


def spotted_noun(sentence: str) -> tuple[str, int] | None:
    """(noun lemma, label) for "<who> noticed/spotted a ... <noun>." sentences, None for any other sentence.

    label 0 = a thing (lexicon category "object"), 1 = an animal.
    """
    m = _PATTERN.match(sentence)
    if not m or m.group(1).lower() not in _FORMS:
        return None
    noun = m.group(2).lower()
    for label, category in enumerate(("object", "animal")):
        if noun in _NOUNS[category]:
            return _NOUNS[category][noun], label
    return None


def animal_or_thing(stories: Sequence[Sequence[str]]) -> list[tuple[str, int, str]]:
    """Every (sentence, label, noun lemma) of the stories that spotted_noun recognises, in story order."""
    out = []
    for story in stories:
        for sentence in story:
            found = spotted_noun(sentence)
            if found is not None:
                out.append((sentence, found[1], found[0]))
    return out


def split_by_noun(examples: Sequence[tuple[str, int, str]], n_train: int, seed: int = 0
                  ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(train, test) lists of (sentence, label) where no noun of the test set appears in the train set.

    Half of the nouns of each class (chosen with `seed`) are for training; n_train labelled examples
    are drawn from their sentences, balanced between the classes; every sentence of the other nouns
    is for testing.
    """
    if not isinstance(n_train, int) or isinstance(n_train, bool) or n_train < 2:
        raise ValueError(f"n_train must be an int >= 2, got {n_train!r}")
    rng = random.Random(seed)
    train_nouns = set()
    for label in (0, 1):
        nouns = sorted({noun for _, lab, noun in examples if lab == label})
        if len(nouns) < 2:
            raise ValueError(f"examples must hold at least 2 nouns of class {CLASSES[label]!r}, got {nouns}")
        train_nouns |= set(rng.sample(nouns, len(nouns) // 2))
    train, test = [], []
    for label in (0, 1):
        pool = [(s, lab) for s, lab, noun in examples if lab == label and noun in train_nouns]
        want = n_train // 2 + (n_train % 2 if label == 0 else 0)
        if len(pool) < want:
            raise ValueError(f"only {len(pool)} training sentences of class {CLASSES[label]!r}; "
                             f"n_train={n_train} needs {want}")
        train += rng.sample(pool, want)
    rng.shuffle(train)
    test = [(s, lab) for s, lab, noun in examples if noun not in train_nouns]
    return train, test


def classification_batch(tokenizer, examples: Sequence[tuple[str, int]], max_len: int) -> tuple[Tensor, Tensor, Tensor]:
    """(ids, segments, labels) for BertClassifier: [CLS] sentence [SEP], padded to the longest."""
    if not examples:
        raise ValueError("examples must hold at least one (sentence, label) pair")
    encoded = [encode_pair(tokenizer, sentence, None, max_len) for sentence, _ in examples]
    ids, segments = pad_batch(encoded, tokenizer.token_to_id("[PAD]"))
    return ids, segments, torch.tensor([label for _, label in examples])


@torch.no_grad()
def classification_accuracy(model, batch: tuple[Tensor, Tensor, Tensor]) -> float:
    """The share of examples of (ids, segments, labels) whose top class is the label (eval mode, then back)."""
    ids, segments, labels = (t.to(next(model.parameters()).device) for t in batch)
    with evaluating(model):
        return float((model(ids, segments).argmax(-1) == labels).float().mean())

"""Plain text into documents of sentences, ready for sentence_pairs: how BERT's data is cut from real text.

Taught in 09_bert_pretraining (section "Real text"), on Tiny Shakespeare when it is cached or
downloadable, on the synthetic stories otherwise. The rules are deliberately simple and written down:
- a **document** is a block of lines separated by blank lines (a speech in a play, a story, a
  paragraph); a first line that names a speaker (1 to 5 words, the first capitalised, ending with
  the line's only colon and no . ! ? ;, as "First Citizen:" or "KING RICHARD III:") is dropped;
- a **sentence** is, with rule "punctuation", the text up to and including . ! ? or ; (lines of a
  document are joined first, so a sentence may run over several lines of verse); with rule "lines",
  one line of the document (a line of verse).
Deliberately left out: abbreviations ("Mr."), quotations and stage directions (the rules above treat
them as any other text), and sentence splitters trained on data (what real pipelines use).
"""

from __future__ import annotations

import re

RULES = ("punctuation", "lines")
# A speaker line: 1 to 5 words, the first capitalised, no . ! ? ; and one colon, at the end.
SPEAKER = re.compile(r"[A-Z][^\s:.!?;]*(?:\s+[^\s:.!?;]+){0,4}:")
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")  # whitespace after . ! ? ; is where a sentence ends


def _check_text(text, name: str = "text") -> None:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string of plain text, got {type(text).__name__}")


def is_speaker_line(line: str) -> bool:
    """True for a line that only names who speaks, as "First Citizen:" or "KING RICHARD III:"."""
    return SPEAKER.fullmatch(line.strip()) is not None


def split_documents(text: str, drop_speakers: bool = True) -> list[str]:
    """The blocks of `text` separated by blank lines (lines of spaces count as blank), in order.

    Each block keeps its line breaks, without leading or trailing spaces per line. With drop_speakers, a
    first line that is a speaker line (is_speaker_line) is removed; a block left empty is skipped.
    """
    _check_text(text)
    documents = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if drop_speakers and lines and is_speaker_line(lines[0]):
            lines = lines[1:]
        if lines:
            documents.append("\n".join(lines))
    return documents


def split_sentences(document: str, rule: str = "punctuation") -> list[str]:
    """The sentences of one document, in order, by `rule` (see RULES and the module docstring).

    "punctuation": the lines are joined with spaces, then cut after every . ! ? ; that is followed by
    whitespace; text after the last mark is a sentence too. "lines": every non-empty line.
    """
    _check_text(document, "document")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if rule == "lines":
        return [line.strip() for line in document.split("\n") if line.strip()]
    joined = " ".join(document.split())  # every run of spaces and line breaks becomes one space
    return [s for s in SENTENCE_END.split(joined) if s]


def text_to_documents(text: str, rule: str = "punctuation", min_sentences: int = 1) -> list[list[str]]:
    """split_documents, then split_sentences on each: a list of documents, each a list of sentences.

    Documents with fewer than `min_sentences` sentences are left out (sentence_pairs makes a pair only
    from a sentence that has one before it, but 1-sentence documents still serve as random b's).
    """
    if not isinstance(min_sentences, int) or isinstance(min_sentences, bool) or min_sentences < 1:
        raise ValueError(f"min_sentences must be an int >= 1, got {min_sentences!r}")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    documents = [split_sentences(d, rule) for d in split_documents(text)]
    return [d for d in documents if len(d) >= min_sentences]

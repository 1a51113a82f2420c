"""Split text into sentences and paragraphs without nltk data (no `punkt` download).

Good enough for grouping a knowledge-base context into units for LongLLMLingua's coarse ranking:
a sentence ends at `.`, `!` or `?` (optionally followed by a closing quote or bracket) before
whitespace and an upper-case letter, a digit or an opening quote; common abbreviations and
decimal numbers do not end a sentence.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "vs",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "approx",
        "dept",
        "est",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "st",
    ]
)
_BOUNDARY = re.compile(r"""(?<=[.!?])["')\]]?\s+(?=["'(\[]?[A-Z0-9])""")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace-trimmed, in order; joining them with spaces restores the words."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        candidate = text[start : m.start()].rstrip()
        last = candidate.rsplit(None, 1)[-1] if candidate.split() else ""
        word = last.rstrip(".!?\"')]").lower()
        if last.endswith(".") and (word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
            continue  # "e.g. The", "J. Smith": not a boundary
        out.append(text[start : m.start()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def split_paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def chunk_units(text: str, max_chars: int = 600) -> list[str]:
    """Paragraphs; a paragraph longer than `max_chars` is cut into groups of whole sentences."""
    units: list[str] = []
    for para in split_paragraphs(text):
        if len(para) <= max_chars:
            units.append(para)
            continue
        group: list[str] = []
        for sentence in split_sentences(para):
            if group and len(" ".join([*group, sentence])) > max_chars:
                units.append(" ".join(group))
                group = []
            group.append(sentence)
        if group:
            units.append(" ".join(group))
    return units

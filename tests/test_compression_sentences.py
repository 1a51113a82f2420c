"""Sentence and paragraph splitting without nltk data."""

from __future__ import annotations

from workbench.compression.sentences import chunk_units, split_paragraphs, split_sentences


def test_split_sentences_keeps_decimals_and_abbreviations() -> None:
    text = "The fee is $4.50 per month. Call Dr. Raman, e.g. Tomorrow at 9. Is it open? Yes! 3 days left."
    assert split_sentences(text) == [
        "The fee is $4.50 per month.",
        "Call Dr. Raman, e.g. Tomorrow at 9.",
        "Is it open?",
        "Yes!",
        "3 days left.",
    ]


def test_split_sentences_rejoins_to_the_same_words() -> None:
    text = "One. Two three.  Four?\nFive"
    assert " ".join(split_sentences(text)).split() == text.split()


def test_paragraphs_and_chunks() -> None:
    long_para = " ".join(f"Sentence number {i} is here." for i in range(40))
    text = f"Short one.\n\n  \n{long_para}\n\nLast."
    assert split_paragraphs(text)[0] == "Short one."
    units = chunk_units(text, max_chars=200)
    assert units[0] == "Short one." and units[-1] == "Last."
    assert all(len(u) <= 200 for u in units)
    assert " ".join(units[1:-1]) == long_para  # whole sentences, none lost

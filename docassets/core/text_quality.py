"""How well a page's text reads: the score that compares an old OCR text layer with a fresh OCR.

A poor OCR layer is made of word-shaped tokens ("tbe Distriet Conrt wlth"), so counting
non-word tokens (`docassets.core.pdf.garbage_ratio`) misses it. This score asks instead how many
of the page's words are English words: the share of *checked* tokens that are dictionary words.

- A lower-case word is checked: a dictionary word counts for the page, any other against it
  ("tbe", "cornpany", "ofthe").
- A capitalised or all-capital word is checked only when the dictionary knows it ("Court",
  "AFFIRMED"); otherwise it is a name or an acronym ("Herrmann", "NTSB") and not counted, so a
  page full of parties' names is not taken for a poor one.
- Letters with a digit inside or in front ("c0urt", "l1ability", "0f", "5tate") and tokens of
  stray symbols ("~", "«", "|") count against the page: OCR confuses such glyphs, writers don't.
- A word broken over two lines ("Com-" / "merce") is read joined.
- Numbers, citations and punctuation ("12(b)(6)", "§", "1:21-cv-01061", "2d") are not counted.

The dictionary is pyspellchecker's English word list (160,000 words, shipped with the package);
it is loaded once per process, on the first page that needs a score.
"""

from __future__ import annotations

import re
from functools import cache

from spellchecker import SpellChecker

# Fewer checked tokens than this say too little about a page to score it (a caption, a stamp).
MIN_CHECKED_TOKENS = 20
_SURROUNDING = "\"'“”‘’()[]{}<>.,;:!?*"
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")  # "court", "Court's", "don't"
_WORD_PART = re.compile(r"[A-Za-z]+")
_LINE_BREAK_HYPHEN = re.compile(r"([A-Za-z])[-\xad]\n([A-Za-z])")  # "Com-\nmerce", "presump\xad\ntion"
# Glyph confusions that OCR makes and writers don't: a digit inside letters or in front of a
# lower-case run that is no ordinal or reporter series ("1st", "2d", "3rd", "4th", "F.3d" are
# written so).
_CONFUSED = re.compile(r"[A-Za-z]+[0-9]+[A-Za-z]+|^[0-9]+(?!(?:st|nd|rd|th|d)$)[a-z]{2,}$")
_STRAY = re.compile(r"[^\w\s•·©®™°§$%&@#¶'’\"“”‘()\[\].,;:!?/*+=<>\-–—]")  # a symbol no typeset text uses


@cache
def _dictionary() -> frozenset[str]:
    return frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def reading_score(text: str) -> float | None:
    """The share of `text`'s checked tokens that are dictionary words (see the module docstring),
    rounded to three places; None when fewer than `MIN_CHECKED_TOKENS` tokens could be checked."""
    words = _dictionary()
    good = bad = 0
    for token in _LINE_BREAK_HYPHEN.sub(r"\1\2", text).replace("\xad", "").split():
        core = token.strip(_SURROUNDING)
        if not core:
            continue
        if _WORD.fullmatch(core) or ("-" in core and all(_WORD.fullmatch(part) for part in core.split("-"))):
            for part in _WORD_PART.findall(core.replace("’", "'").split("'")[0]):
                if part.lower() in words:
                    good += 1
                elif part.islower():
                    bad += 1
        elif _CONFUSED.search(core) or _STRAY.search(core):
            bad += 1
    checked = good + bad
    return round(good / checked, 3) if checked >= MIN_CHECKED_TOKENS else None

"""Split a document's pages into sentence-aware chunks that remember where they came from.

Tokens are counted with one regular expression, `\\w+|[^\\w\\s]`: every run of letters and
digits is a token and so is every other visible character ("U.S.C. § 1983" is 8 tokens). That
is close to, and a little above, what sub-word tokenisers count for English legal prose, so a
400-token chunk fits a 512-token embedding model.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from docassets.core.bates import stamp_spans
from docassets.core.models import PAGE_SEPARATOR, Chunk, Page

_TOKEN = re.compile(r"\w+|[^\w\s]")

# A sentence ends at ".", "?" or "!" (with any closing quotes or brackets) before whitespace
# and a capital, a digit or an opening quote or bracket.
_END = re.compile(r"[.?!]+[\"'”’)\]]*(?=\s+[\"'“‘(\[§A-Z0-9]|\s*$)")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_WORD_BEFORE = re.compile(r"[^\s(\[\"'“‘]+$")
# Words after which a period does not end a sentence: case names, reporters, rules, courts,
# titles, months and citation signals. Single letters (initials, "F.", "P.") and dotted
# abbreviations ("U.S.", "e.g.") are recognised by their shape. Words that also end
# sentences ("etc.", "et al.", "et seq.", "so.") are left out on purpose.
_ABBREVIATIONS = frozenset(
    """
    v vs inc corp co cos ltd bros llc assn ass'n ass’n dept dep't dep’t
    ins mut fin sav indus mfg elec hosp prods servs sys tel pub prop envtl transp educ
    fed civ crim app evid bankr proc prac stat ann rev supp cir ct sup super dist div
    op ops mem br rep reg regs admin l.ed
    bd comm commn comm'n comm’n govt gov't gov’t intl int'l int’l natl nat'l nat’l univ
    cnty cty twp mun mr mrs ms dr jr sr st hon esq prof gen atty gov sen
    id ibid cf viz approx
    jan feb mar apr jun jul aug sep sept oct nov dec
    ala ariz ark cal colo conn del fla ga ill ind kan ky la md mass mich minn miss mo mont
    neb nev okla or pa tenn tex va vt wash wis wyo
    """.split()
)
# Abbreviations only when a number follows ("No. 5", "No. ED108783", "Art. III", "So. 2d"):
# "the answer was no." and "it did so." end their sentences.
_NUMBER_ABBREVIATIONS = frozenset(
    "no nos pp art arts sec secs ch cl para paras pt pts vol ex exs exh so".split()
)
_NUMBER_AFTER = re.compile(r"\s*(?:\d|[IVXL]+\b|[A-Z]+[-\d])")
_ENUMERATOR = re.compile(r"\d{1,3}|L?X{0,3}(?:IX|IV|V?I{0,3})")  # "1", "12", "IV", "XIII"
_LONGEST_WORD = 64  # how far back to look for the word a period ends
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # "U.S", "e.g", "N.E" before their last period
# A paragraph break does not end a sentence that visibly goes on: the text before it ends in a
# comma, a connecting mark or an abbreviation, or the text after it starts in lower case.
_OPEN_END = re.compile(r"[,;:(\-–—&]")


def document_text(pages: Sequence[Page]) -> str:
    """The document text every offset refers to: the pages' texts joined by `PAGE_SEPARATOR`."""
    return PAGE_SEPARATOR.join(page.text for page in pages)


def page_spans(pages: Sequence[Page]) -> list[tuple[int, int]]:
    """(start, end) of each page's text within `document_text(pages)`."""
    spans: list[tuple[int, int]] = []
    start = 0
    for page in pages:
        spans.append((start, start + len(page.text)))
        start += len(page.text) + len(PAGE_SEPARATOR)
    return spans


def _is_abbreviation(text: str, period: int) -> bool:
    """Whether the period at `period` closes an abbreviation rather than a sentence."""
    match = _WORD_BEFORE.search(text, max(0, period - _LONGEST_WORD), period)
    if not match:
        return False
    word = match.group()
    if "." in word and not _DOTTED.fullmatch(word):
        word = word.rsplit(".", 1)[-1]  # "Civ.P" -> "P"
    if word.lower() in _ABBREVIATIONS or _DOTTED.fullmatch(word):
        return True
    if word.lower() in _NUMBER_ABBREVIATIONS:
        return _NUMBER_AFTER.match(text, period + 1) is not None
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J.", "Carlos F. Lucero"
    # a list or heading number at the start of a line: "1.", "II.", "(a)."
    at_line_start = text.rfind("\n", 0, match.start()) == match.start() - 1 or match.start() == 0
    return at_line_start and _ENUMERATOR.fullmatch(word) is not None


def _continues(text: str, before: int, after: int) -> bool:
    """Whether a sentence runs on across the paragraph (or page) break text[before:after]."""
    last = before  # one past the last visible character before the break
    while last > 0 and text[last - 1].isspace():
        last -= 1
    following = text[after:after + 1]
    if last == 0 or not following:
        return False
    if following.islower() or _OPEN_END.match(text[last - 1]):
        return True
    return text[last - 1] == "." and _is_abbreviation(text, last - 1)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, in order, without surrounding whitespace.

    Legal-aware: no break after case-name, reporter, rule and court abbreviations ("v.",
    "U.S.", "No.", "Inc.", "Fed. R. Civ. P.", "Id."), initials ("J.") or list numbers. A blank
    line -- a paragraph break or the gap between pages -- ends a sentence unless the sentence
    visibly runs on (see `_continues`). A CM/ECF header line is a sentence of its own, so page
    furniture never glues two sentences together. Every non-space character of `text` is in
    exactly one sentence.
    """
    cuts: set[int] = set()
    for match in _END.finditer(text):
        if not (match.group().startswith(".") and _is_abbreviation(text, match.start())):
            cuts.add(match.end())
    for match in _BLANK_LINE.finditer(text):
        if not _continues(text, match.start(), match.end()):
            cuts.add(match.start())
    for start, end in stamp_spans(text):
        cuts.update((start, end))

    spans: list[tuple[int, int]] = []
    start = 0
    for cut in sorted(cuts) + [len(text)]:
        segment = text[start:cut]
        stripped = segment.strip()
        if stripped:
            left = start + len(segment) - len(segment.lstrip())
            spans.append((left, left + len(stripped)))
        start = max(start, cut)
    return spans


def _units(text: str, sentences: list[tuple[int, int]], max_tokens: int) -> list[tuple[int, int, int]]:
    """(start, end, tokens) of each sentence, a sentence over `max_tokens` cut at token bounds."""
    units: list[tuple[int, int, int]] = []
    for start, end in sentences:
        tokens = [match.span() for match in _TOKEN.finditer(text, start, end)]
        for first in range(0, len(tokens), max_tokens):
            piece = tokens[first:first + max_tokens]
            units.append((piece[0][0], piece[-1][1], len(piece)))
    return units


def chunk_pages(pages: Sequence[Page], *, max_tokens: int = 400, overlap: int = 40) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `max_tokens`; a lone longer sentence is split.

    Consecutive chunks share the previous chunk's last whole sentences, as near to `overlap`
    tokens as whole sentences allow (so fewer than `2 * overlap`), so that a statement cut by a
    chunk boundary is whole in one of them. Offsets are
    into `document_text(pages)` and `chunk.text == text[chunk.char_start:chunk.char_end]`.
    """
    if max_tokens < 1 or not 0 <= overlap < max_tokens:
        raise ValueError(f"need max_tokens >= 1 and 0 <= overlap < max_tokens, got {max_tokens}, {overlap}")
    text = document_text(pages)
    units = _units(text, split_sentences(text), max_tokens)
    page_starts = [start for start, _ in page_spans(pages)]

    def page_at(offset: int) -> Page:
        return pages[bisect.bisect_right(page_starts, offset) - 1]

    chunks: list[Chunk] = []
    first = 0  # index of the first unit of the chunk being built
    fresh = 0  # index of the first unit not yet in any chunk
    while fresh < len(units):
        # Drop overlap sentences from the front until at least one new sentence fits.
        tokens = sum(unit[2] for unit in units[first:fresh])
        while first < fresh and tokens + units[fresh][2] > max_tokens:
            tokens -= units[first][2]
            first += 1
        last = fresh
        while last < len(units) and tokens + units[last][2] <= max_tokens:
            tokens += units[last][2]
            last += 1
        start, end = units[first][0], units[last - 1][1]
        page_first, page_last = page_at(start), page_at(end - 1)
        chunks.append(
            Chunk(
                index=len(chunks),
                text=text[start:end],
                char_start=start,
                char_end=end,
                page_start=page_first.number,
                page_end=page_last.number,
                bates_start=page_first.bates,
                bates_end=page_last.bates,
                token_count=tokens,
            )
        )
        fresh = last
        first = _overlap_start(units, first, last, overlap)
    return chunks


def _overlap_start(units: list[tuple[int, int, int]], first: int, last: int, overlap: int) -> int:
    """Where the next chunk starts: the trailing run of units[first + 1:last] whose token total
    is nearest to `overlap` (the fewer units on a tie), so that a 30-token closing sentence is
    repeated for an overlap of 20 but a 60-token one is not."""
    best, best_distance = last, overlap
    start, tokens = last, 0
    while start - 1 > first and tokens < overlap:
        start -= 1
        tokens += units[start][2]
        if abs(tokens - overlap) < best_distance:
            best, best_distance = start, abs(tokens - overlap)
    return best


def coverage_gaps(chunks: Sequence[Chunk], text: str) -> list[tuple[int, int]]:
    """Spans of non-whitespace `text` that no chunk covers (each trimmed of whitespace)."""
    gaps: list[tuple[int, int]] = []
    covered_to = 0
    for chunk in sorted(chunks, key=lambda chunk: chunk.char_start):
        gaps.extend(_visible_span(text, covered_to, chunk.char_start))
        covered_to = max(covered_to, chunk.char_end)
    gaps.extend(_visible_span(text, covered_to, len(text)))
    return gaps


def _visible_span(text: str, start: int, end: int) -> list[tuple[int, int]]:
    segment = text[start:end] if end > start else ""
    stripped = segment.strip()
    if not stripped:
        return []
    left = start + len(segment) - len(segment.lstrip())
    return [(left, left + len(stripped))]

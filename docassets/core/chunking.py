"""Split a document's pages into sentence-aware chunks that remember where they came from.

Tokens are counted with one regular expression, `\\w+|[^\\w\\s]`: every run of letters and
digits is a token and so is every other visible character ("U.S.C. § 1983" is 8 tokens). That
is close to, and a little above, what sub-word tokenisers count for English legal prose, so a
400-token chunk fits a 512-token embedding model.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import NamedTuple

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
    following = text[after : after + 1]
    if last == 0 or not following:
        return False
    if following.islower() or _OPEN_END.match(text[last - 1]):
        return True
    return text[last - 1] == "." and _is_abbreviation(text, last - 1)


# --------------------------------------------------------------------------------------------
# Layout noise: what a page prints besides its prose


class Noise(NamedTuple):
    """A span of page furniture; `kind` says which (see `SKIPPED` and `ISOLATED`)."""

    start: int
    end: int
    kind: str


# Skipped: in no sentence, so never inside one; not a coverage gap when no chunk holds it;
# blanked out before entity extraction (`entities.py`). Isolated: a sentence of its own, because
# what it says matters (a CM/ECF stamp's docket and filing date, a page's Bates number).
SKIPPED = frozenset({"page_number", "line_number", "star_page", "running_header", "legend"})
ISOLATED = frozenset({"stamp", "bates"})

_LINE = re.compile(r"^[ \t]*(\S(?:[^\n]*\S)?)[ \t]*$", re.M)
# A line that is only a page number: "3", "- 3 -", "Page 3", "Page 3 of 9", "3 of 9", "[*3]".
_PAGE_NUMBER_LINE = re.compile(
    r"[-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]|(?:[Pp]age|PAGE)\s*\d{1,4}(?:\s*(?:of|OF)\s*\d{1,4})?"
    r"|\d{1,4}\s*(?:of|OF)\s*\d{1,4}|\[\*\d{1,4}\]|\d{1,3}"
)
_STAR_PAGE = re.compile(r"\[\*\d{1,4}\](?=[ \t])")  # "[*5] corresponding deduction ..."
_LINE_NUMBER_PREFIX = re.compile(r"(\d{1,2})(?:[ \t]+(?=\S)|$)")
_LINE_NUMBER_RUN = 5  # consecutive numbered lines that make a pleading-paper margin
_ZONE_LINES = 3  # lines at the top and at the bottom of a page where running heads sit
_RUNNING_SHARE = 0.3  # a line on at least this share of the pages (and on 3) is a running head
_RUNNING_MAX_CHARS = 150
_DIGITS = re.compile(r"\d+")


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line of `text`, without surrounding spaces."""
    return [match.span(1) for match in _LINE.finditer(text)]


def line_noise(text: str) -> list[Noise]:
    """Page numbers, star-paging markers and pleading-paper line numbers found line by line.

    A line that is only a number ("3", "- 3 -", "Page 3 of 9", "[*3]") is a page number, or a
    line number when it is part of a run of at least five lines numbered n, n+1, ... (a pleading
    paper's margin, which PDF text layers give as a column of "1" .. "28"). When OCR or a sorted
    text layer puts each line number at the start of its line ("3 The court held"), only the
    number is noise, and only within such a run.
    """
    noise: list[Noise] = []
    numbered: list[tuple[int, int, int, bool]] = []  # (value, start, end, whole line) per line
    runs: list[list[tuple[int, int, int, bool]]] = []
    for start, end in _lines(text):
        line = text[start:end]
        prefix = _LINE_NUMBER_PREFIX.match(line)
        if prefix is not None:
            entry = (int(prefix.group(1)), start, start + len(prefix.group(1)), prefix.end() == len(line))
            if numbered and entry[0] == numbered[-1][0] + 1:
                numbered.append(entry)
            else:
                runs.append(numbered)
                numbered = [entry]
        else:
            runs.append(numbered)
            numbered = []
        star = _STAR_PAGE.match(line)
        if star is not None:
            noise.append(Noise(start, start + star.end(), "star_page"))
        elif _PAGE_NUMBER_LINE.fullmatch(line):
            noise.append(Noise(start, end, "page_number"))
    runs.append(numbered)
    in_runs = {}
    for run in runs:
        if len(run) >= _LINE_NUMBER_RUN:
            for _, start, end, _whole in run:
                in_runs[start] = end
    out = [n if n.start not in in_runs else Noise(n.start, n.end, "line_number") for n in noise]
    whole = {n.start for n in out}
    out += [Noise(start, end, "line_number") for start, end in in_runs.items() if start not in whole]
    return sorted(out)


def _running_key(line: str) -> str:
    """A line compared across pages: whitespace collapsed, numbers ignored ("No. #-#")."""
    return _DIGITS.sub("#", " ".join(line.split()))


def page_noise(pages: Sequence[Page]) -> list[list[Noise]]:
    """The layout noise of each page, offsets into that page's text.

    Per page: `line_noise`, CM/ECF stamps, the page's Bates number and the legend beside it on
    its line. Across
    pages: running headers and footers, lines among the first or last three lines of a page
    (not counting page numbers, stamps and Bates lines) that, numbers aside, recur on at least
    30% of the pages with text and on at least three. They are marked on every page except at
    the top of the first, which is the caption's ("No. 21-50498" heads a Fifth Circuit opinion's
    first page as its docket and every later page as a running head).
    """
    per_page: list[list[Noise]] = []
    zones: list[list[tuple[int, int, bool, str]]] = []  # start, end, in the top zone, running key
    stamp_lines: list[str] = []  # running keys of the lines holding a page's Bates number
    for page in pages:
        text = page.text
        noise = line_noise(text) + [Noise(s, e, "stamp") for s, e in stamp_spans(text)]
        lines = _lines(text)
        if page.bates:
            for start, end in lines[-5:] + lines[:3]:
                if page.bates in text[start:end] and not any(n.start < end and start < n.end for n in noise):
                    # the number is a mention; the rest of its line is the production's legend
                    # ("CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER"), furniture like a running head
                    at = text.index(page.bates, start, end)
                    noise.append(Noise(at, at + len(page.bates), "bates"))
                    noise += [
                        Noise(s, e, "legend")
                        for s, e in ((start, at), (at + len(page.bates), end))
                        if text[s:e].strip()
                    ]
                    stamp_lines.append(_running_key(text[start:end]))
                    break
        taken = sorted(noise)
        free = [
            (s, e)
            for s, e in lines
            if not any(n.start <= s and e <= n.end for n in taken)
            and not any(s <= n.start < e for n in taken if n.kind == "bates")  # the stamp's line
        ]
        zone = [(s, e, True) for s, e in free[:_ZONE_LINES]] + [
            (s, e, False) for s, e in free[_ZONE_LINES:][-_ZONE_LINES:]
        ]
        zones.append(
            [(s, e, top, _running_key(text[s:e])) for s, e, top in zone if e - s <= _RUNNING_MAX_CHARS]
        )
        per_page.append(noise)
    with_text = sum(1 for page in pages if page.text.strip())
    threshold = max(3, math.ceil(_RUNNING_SHARE * with_text))
    # A Bates line recurs too: where its stamp was unreadable, the line is a running head.
    counts = Counter(key for zone in zones for key in {key for _, _, _, key in zone}) + Counter(stamp_lines)
    running = {key for key, count in counts.items() if count >= threshold and any(ch.isalpha() for ch in key)}
    for index, lines_of_zone in enumerate(zones):
        per_page[index] += [
            Noise(s, e, "running_header")
            for s, e, top, key in lines_of_zone
            if key in running and not (index == 0 and top)
        ]
    return [sorted(noise) for noise in per_page]


def layout_noise(pages: Sequence[Page]) -> list[Noise]:
    """`page_noise` with offsets into `document_text(pages)`."""
    out: list[Noise] = []
    for (start, _), noise in zip(page_spans(pages), page_noise(pages), strict=True):
        out += [Noise(start + n.start, start + n.end, n.kind) for n in noise]
    return out


def text_noise(text: str) -> list[Noise]:
    """What `layout_noise` can skip, found from a document's text alone (no page boundaries).

    `line_noise` plus every whole line that, numbers aside, occurs at least three times: a
    superset of the running heads `page_noise` finds, used by `coverage_gaps` when it is given
    no noise, so that the check that chunks cover the text never counts skipped furniture.
    """
    lines = [(s, e) for s, e in _lines(text) if e - s <= _RUNNING_MAX_CHARS]
    counts = Counter(_running_key(text[s:e]) for s, e in lines)
    repeated = [Noise(s, e, "running_header") for s, e in lines if counts[_running_key(text[s:e])] >= 3]
    return sorted(set(line_noise(text) + repeated))


def _mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with the characters of `spans` turned into spaces (line breaks kept)."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def mask_noise(text: str, noise: Sequence[Noise]) -> str:
    """`text` with its skipped noise blanked out, same length: offsets into it index `text`."""
    return _mask(text, [(n.start, n.end) for n in noise if n.kind in SKIPPED])


# --------------------------------------------------------------------------------------------
# Sentences


def _default_noise(text: str) -> list[Noise]:
    return sorted(line_noise(text) + [Noise(s, e, "stamp") for s, e in stamp_spans(text)])


def sentence_parts(text: str, noise: Sequence[Noise] | None = None) -> list[list[tuple[int, int]]]:
    """Sentences, each as the list of its noise-free parts and the isolated spans inside it
    (noise as for `split_sentences`, which returns the same spans, flattened).

    The sentence bounds are found on the text with all noise blanked out, so a sentence runs on
    across a page break, its footer and the next page's header (see `_continues`); its parts are
    then what lies between the noise.
    """
    noise = sorted(_default_noise(text) if noise is None else noise)
    blocked = [(n.start, n.end) for n in noise]
    isolated = {(n.start, n.end) for n in noise if n.kind in ISOLATED}
    masked = _mask(text, blocked)
    cuts: set[int] = set()
    for match in _END.finditer(masked):
        if not (match.group().startswith(".") and _is_abbreviation(masked, match.start())):
            cuts.add(match.end())
    numbered = _numbered_line_starts(text, noise)
    for match in _BLANK_LINE.finditer(masked):
        if _double_spaced(masked, match.start(), match.end(), numbered):
            continue
        if not _continues(masked, match.start(), match.end()):
            cuts.add(match.start())

    starts = [start for start, _ in blocked]
    groups: list[list[tuple[int, int]]] = []
    previous = 0
    for cut in sorted(cuts) + [len(masked)]:
        segment = masked[previous:cut]
        stripped = segment.strip()
        if stripped:
            left = previous + len(segment) - len(segment.lstrip())
            right = left + len(stripped)
            groups.append(_parts(text, left, right, blocked, starts, isolated))
        previous = max(previous, cut)
    inside = {span for group in groups for span in group}
    groups += [[span] for span in sorted(isolated) if span not in inside]
    return sorted(groups)


def _numbered_line_starts(text: str, noise: Sequence[Noise]) -> dict[int, int]:
    """Lines of pleading paper whose number is written before their text: line start -> the
    number's rank among all line numbers."""
    out: dict[int, int] = {}
    for rank, n in enumerate(n for n in noise if n.kind == "line_number"):
        line_end = text.find("\n", n.end)
        if text[n.end : len(text) if line_end == -1 else line_end].strip():
            out[text.rfind("\n", 0, n.start) + 1] = rank
    return out


def _double_spaced(masked: str, before: int, after: int, numbered: dict[int, int]) -> bool:
    """Whether a blank line only spaces two consecutive numbered lines of pleading paper apart
    (a text layer read in reading order or OCR gives one between every two lines); a paragraph
    break there shows as a numbered line without text."""
    rank = numbered.get(masked.rfind("\n", 0, after) + 1)
    return rank is not None and numbered.get(masked.rfind("\n", 0, before) + 1) == rank - 1


def _parts(
    text: str,
    start: int,
    end: int,
    blocked: list[tuple[int, int]],
    starts: list[int],
    isolated: set[tuple[int, int]],
) -> list[tuple[int, int]]:
    """text[start:end] without the blocked spans in it (each part trimmed), isolated spans kept."""
    parts: list[tuple[int, int]] = []
    position = start
    index = max(0, bisect.bisect_right(starts, start) - 1)
    while index < len(blocked) and blocked[index][0] < end:
        block_start, block_end = blocked[index]
        if block_end > position:
            parts += _trimmed(text, position, block_start)
            if (block_start, block_end) in isolated:
                parts.append((block_start, block_end))
            position = max(position, block_end)
        index += 1
    parts += _trimmed(text, position, end)
    return parts


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    segment = text[start:end] if end > start else ""
    stripped = segment.strip()
    if not stripped:
        return []
    left = start + len(segment) - len(segment.lstrip())
    return [(left, left + len(stripped))]


def split_sentences(text: str, noise: Sequence[Noise] | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, in order, without surrounding whitespace.

    Legal-aware: no break after case-name, reporter, rule and court abbreviations ("v.",
    "U.S.", "No.", "Inc.", "Fed. R. Civ. P.", "Id."), initials ("J.") or list numbers. A blank
    line -- a paragraph break or the gap between pages -- ends a sentence unless the sentence
    visibly runs on (see `_continues`).

    Layout noise (`noise`; by default what `line_noise` and the CM/ECF stamps find in `text`
    alone; pass `layout_noise(pages)` to add running headers and Bates lines) never lies inside
    a sentence: a skipped span (page or line number, running head) is in no sentence, an
    isolated one (stamp, Bates line) is a sentence of its own, and a sentence they interrupt
    -- one running across a page break -- is returned as its parts on either side of them.
    Every non-space character of `text` outside skipped noise is in exactly one span.
    """
    return [span for group in sentence_parts(text, noise) for span in group]


class _Tokens:
    """Token positions of a text, to count the tokens of any span in O(log n)."""

    def __init__(self, text: str):
        self.spans = [match.span() for match in _TOKEN.finditer(text)]
        self.starts = [start for start, _ in self.spans]

    def count(self, start: int, end: int) -> int:
        return bisect.bisect_left(self.starts, end) - bisect.bisect_left(self.starts, start)


def _units(
    groups: list[list[tuple[int, int]]], tokens: _Tokens, blocked: list[tuple[int, int]], max_tokens: int
) -> list[tuple[int, int]]:
    """(start, end) of each sentence with whatever noise lies inside it; one over `max_tokens`
    is cut at token bounds, and no piece starts or ends on a noise token."""
    block_starts = [start for start, _ in blocked]

    def is_noise(position: int) -> bool:
        index = bisect.bisect_right(block_starts, position) - 1
        return index >= 0 and position < blocked[index][1]

    units: list[tuple[int, int]] = []
    for group in groups:
        start, end = group[0][0], group[-1][1]
        if tokens.count(start, end) <= max_tokens:
            units.append((start, end))
            continue
        first, stop = bisect.bisect_left(tokens.starts, start), bisect.bisect_left(tokens.starts, end)
        for piece in range(first, stop, max_tokens):
            indices = [
                i for i in range(piece, min(piece + max_tokens, stop)) if not is_noise(tokens.starts[i])
            ]
            if indices:
                units.append((tokens.spans[indices[0]][0], tokens.spans[indices[-1]][1]))
    return units


def chunk_pages(pages: Sequence[Page], *, max_tokens: int = 400, overlap: int = 40) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `max_tokens`; a lone longer sentence is split.

    Consecutive chunks share the previous chunk's last whole sentences, as near to `overlap`
    tokens as whole sentences allow (so fewer than `2 * overlap`), so that a statement cut by a
    chunk boundary is whole in one of them. Offsets are
    into `document_text(pages)` and `chunk.text == text[chunk.char_start:chunk.char_end]`.

    Layout noise (`layout_noise(pages)`) is never in a sentence, so a chunk starts and ends on
    prose; noise between two of its sentences (a footer and header where a sentence or the chunk
    runs across a page break) stays in its text, which is one contiguous span of the document,
    and counts towards `token_count`, which is always the token count of `chunk.text`. Skipped
    noise that falls between two chunks is in neither: `coverage_gaps` does not count it.
    """
    if max_tokens < 1 or not 0 <= overlap < max_tokens:
        raise ValueError(f"need max_tokens >= 1 and 0 <= overlap < max_tokens, got {max_tokens}, {overlap}")
    text = document_text(pages)
    noise = layout_noise(pages)
    tokens = _Tokens(text)
    units = _units(sentence_parts(text, noise), tokens, [(n.start, n.end) for n in noise], max_tokens)
    page_starts = [start for start, _ in page_spans(pages)]

    def page_at(offset: int) -> Page:
        return pages[bisect.bisect_right(page_starts, offset) - 1]

    def span_tokens(first: int, last: int) -> int:  # units[first:last]
        return tokens.count(units[first][0], units[last - 1][1]) if last > first else 0

    chunks: list[Chunk] = []
    first = 0  # index of the first unit of the chunk being built
    fresh = 0  # index of the first unit not yet in any chunk
    while fresh < len(units):
        # Drop overlap sentences from the front until at least one new sentence fits.
        while first < fresh and span_tokens(first, fresh + 1) > max_tokens:
            first += 1
        last = fresh + 1
        while last < len(units) and span_tokens(first, last + 1) <= max_tokens:
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
                token_count=span_tokens(first, last),
            )
        )
        fresh = last
        first = _overlap_start(span_tokens, first, last, overlap)
    return chunks


def _overlap_start(span_tokens: Callable[[int, int], int], first: int, last: int, overlap: int) -> int:
    """Where the next chunk starts: the trailing run of units[first + 1:last] whose token total
    is nearest to `overlap` (the fewer units on a tie), so that a 30-token closing sentence is
    repeated for an overlap of 20 but a 60-token one is not."""
    best, best_distance = last, overlap
    start, tokens = last, 0
    while start - 1 > first and tokens < overlap:
        start -= 1
        tokens = span_tokens(start, last)
        if abs(tokens - overlap) < best_distance:
            best, best_distance = start, abs(tokens - overlap)
    return best


def coverage_gaps(
    chunks: Sequence[Chunk], text: str, noise: Sequence[Noise] | None = None
) -> list[tuple[int, int]]:
    """Spans of non-whitespace `text` that no chunk covers (each trimmed of whitespace).

    Skipped layout noise is not a gap: `noise` (e.g. `layout_noise(pages)`) or, by default,
    `text_noise(text)`, which finds from the text alone a superset of what `chunk_pages` skips.
    """
    skipped = sorted(
        (n.start, n.end) for n in (text_noise(text) if noise is None else noise) if n.kind in SKIPPED
    )
    gaps: list[tuple[int, int]] = []
    covered_to = 0
    for chunk in sorted(chunks, key=lambda chunk: chunk.char_start):
        gaps.extend(_without(text, covered_to, chunk.char_start, skipped))
        covered_to = max(covered_to, chunk.char_end)
    gaps.extend(_without(text, covered_to, len(text), skipped))
    return gaps


def _without(text: str, start: int, end: int, skipped: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The visible parts of text[start:end] outside the skipped spans."""
    if end <= start or not text[start:end].strip():
        return []
    out: list[tuple[int, int]] = []
    position = start
    first = max(0, bisect.bisect_left(skipped, (start, start)) - 1)
    for block_start, block_end in skipped[first:]:
        if block_start >= end:
            break
        if block_end <= position:
            continue
        out += _trimmed(text, position, min(block_start, end))
        position = max(position, block_end)
    out += _trimmed(text, position, end)
    return out

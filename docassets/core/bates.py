"""Find the numbers stamped on a page by a court or a document production.

Two kinds of stamp matter for tracing a finding back to its source:

* a **Bates number**: a producing party's prefix and a zero-padded page number
  ("WOMBAT 000454", "ABC-0001234", "DEF_00012"), usually alone in the footer;
* a **CM/ECF header**: the line the federal courts' filing system prints on every page
  ("Case: 21-1298 Document: 42 Page: 1 Date Filed: 08/31/2022").

Everything here works on plain text, so it serves text layers and OCR output alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

# A prefix is one or more upper-case words joined by "-" or "_"; each word starts and ends with
# a letter so that "ABC0001234" splits as "ABC" + "0001234" and not "ABC000" + "1234".
_PREFIX = r"[A-Z](?:[A-Z0-9]*[A-Z])?(?:[-_][A-Z](?:[A-Z0-9]*[A-Z])?)*"
_BATES = re.compile(
    rf"(?<![\w-])(?P<prefix>{_PREFIX})(?P<sep>[ _-]?)(?P<number>\d{{4,10}})"
    # not the first part of a longer number: a phone number, zip+4, date, decimal or docket
    r"(?![\d]|[-/.,:]\d)"
)
_BATES_EXACT = re.compile(rf"(?P<prefix>{_PREFIX})(?P<sep>[ _-]?)(?P<number>\d+)")
# What every `_BATES` match holds: a prefix's last letter, perhaps a separator, four digits.
# Searching for it is several times cheaper than `_BATES`, which is tried at every position.
_BATES_CORE = re.compile(r"[A-Z][ _-]?\d{4}")

# Upper-case words that precede numbers which are not Bates numbers.
_NOT_PREFIXES = frozenset(
    {
        "NO",
        "NOS",
        "NUMBER",
        "CASE",
        "DOC",
        "DOCUMENT",
        "DOCKET",
        "PAGE",
        "PG",
        "APPEAL",
        "FILED",
        "DATED",
        "TEL",
        "PHONE",
        "TELEPHONE",
        "FAX",
        "CELL",
        "ZIP",
        "SUITE",
        "STE",
        "BOX",
        "ROOM",
        "FLOOR",
        "ID",
        "EIN",
        "SSN",
        "ACCOUNT",
        "ACCT",
        "INVOICE",
        "YEAR",
    }
)
# "No. ED108783", "# AB000123": a number the text itself calls a case or item number.
_NUMBER_LABEL = re.compile(r"(?:\b(?:No|Nos|Number)\.?|#)\s*$", re.IGNORECASE)
# Two-letter state codes: "MA 02139" is an address, not a production.
_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
# Bates stamps sit in the footer (sometimes the header); looking only there keeps docket
# numbers and exhibit labels in the body from being mistaken for one.
_FOOTER_LINES = 5
_HEADER_LINES = 3

# One CM/ECF header line. Courts vary the order and punctuation, but every variant names the
# case or appeal number, a document or page number, and the filing date.
_STAMP = re.compile(
    r"\b(?:(?:USCA\d*|Appellate)\s+)?(?:Case|CASE|Appeal|APPEAL)\s*[:#]?\s*[\w.:-]*\d[\w.:-]*"
    r"(?=.*\b(?:Document|Doc|DOCUMENT|DOC|Page|Pg|PAGE)\b\s*[:#]?\s*\d)"
    r"(?=.*\bFiled\b:?\s*\d{1,2}/\d{1,2}/\d{2,4}|.*\bFILED\b:?\s*\d{1,2}/\d{1,2}/\d{2,4})"
    r".*\S"
)
# The part of every `_STAMP` match's lookahead that a quick search can look for.
_FILING_DATE = re.compile(r"(?:Filed|FILED):?\s*\d{1,2}/\d{1,2}/\d{2,4}")
# The words a `_STAMP` match starts with. A search for them skips ahead to their first letters,
# where `_STAMP`, which has no such prefix, would be tried at every position of the text.
_STAMP_START = re.compile(r"USCA|Appellate|Case|CASE|Appeal|APPEAL")


class _Bates(NamedTuple):
    prefix: str
    sep: str
    number: int
    width: int


def _is_bates(match: re.Match[str]) -> bool:
    prefix, number = match["prefix"], match["number"]
    zero_padded = number.startswith("0") or len(number) >= 6
    looks_like_address = prefix in _STATES and len(number) == 5
    labelled_as_number = _NUMBER_LABEL.search(match.string, 0, match.start()) is not None
    return zero_padded and prefix not in _NOT_PREFIXES and not looks_like_address and not labelled_as_number


def _may_hold_stamp(text: str) -> bool:
    # Every stamp has a filing date; searching for it (from its capital F) is far cheaper than
    # `_STAMP`, which matters when every page of a long text-layer document is checked.
    return _FILING_DATE.search(text) is not None


def _stamps(text: str) -> Iterator[re.Match[str]]:
    """The matches of `_STAMP.finditer(text)`, found faster.

    `_STAMP` is tried only where one of its first words starts: it cannot match anywhere else.
    (`_STAMP_START` skips words that overlap an earlier one, but these start inside a word,
    where the word boundary that `_STAMP` starts with is missing.)
    """
    if not _may_hold_stamp(text):
        return
    end = 0
    for word in _STAMP_START.finditer(text):
        if word.start() >= end and (match := _STAMP.match(text, word.start())):
            end = match.end()
            yield match


def stamp_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every CM/ECF header in `text`, from its first keyword to the line's end."""
    return [match.span() for match in _stamps(text)]


def find_stamp(text: str) -> str | None:
    """The first CM/ECF header of a page, exactly as written, or None."""
    match = next(_stamps(text), None)
    return match.group() if match else None


def bates_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every Bates number anywhere in `text` (a brief cites them in its body too),
    with the same checks as `find_bates`."""
    return [match.span() for match in _BATES.finditer(text) if _is_bates(match)]


def find_bates(text: str) -> str | None:
    """The Bates number of a page, as written, looked for in its footer first, then its header."""
    lines = text.splitlines()
    footer = _stampless_lines(reversed(lines), _FOOTER_LINES)
    header = _stampless_lines(lines, _HEADER_LINES)
    for line in footer + header:
        if not _BATES_CORE.search(line):
            continue
        # the right-most candidate: footers read "CONFIDENTIAL ... WOMBAT 000454"
        for match in reversed(list(_BATES.finditer(line))):
            if _is_bates(match):
                return match.group()
    return None


def _stampless_lines(lines: Iterable[str], count: int) -> list[str]:
    """The first `count` non-blank lines that are not a CM/ECF stamp (only those are searched)."""
    found: list[str] = []
    for line in lines:
        if line.strip() and not (_may_hold_stamp(line) and _STAMP.search(line)):
            found.append(line)
            if len(found) == count:
                break
    return found


def _parse(bates: str) -> _Bates | None:
    match = _BATES_EXACT.fullmatch(bates.strip())
    if not match:
        return None
    return _Bates(match["prefix"], match["sep"], int(match["number"]), len(match["number"]))


def bates_range_from_filename(name: str) -> tuple[str, str] | None:
    """The first and last Bates number a production file's name announces, or None.

    "WOMBAT 000454-000784.pdf" -> ("WOMBAT 000454", "WOMBAT 000784"); the second number may
    repeat the prefix ("ABC-0001234 - ABC-0001300") or shorten the padding ("DEF_00012-20").
    """
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name.rsplit("/", 1)[-1])
    match = re.search(
        rf"(?<![\w-])(?P<prefix>{_PREFIX})(?P<sep>[ _-]?)(?P<first>\d{{3,10}})"
        rf"\s*(?:-|–|_|\bto\b|\bthrough\b|\bthru\b)\s*(?:(?P=prefix)(?P=sep))?(?P<last>\d{{1,10}})\b",
        stem,
    )
    if not match:
        return None
    first, last = match["first"], match["last"]
    if int(last) < int(first):
        return None
    start = f"{match['prefix']}{match['sep']}{first}"
    end = f"{match['prefix']}{match['sep']}{last.zfill(len(first))}"
    return start, end


def bates_gaps(numbers: Sequence[str | None]) -> list[tuple[str, str]]:
    """Where a production's page numbers stop being consecutive.

    `numbers` are the pages' Bates numbers in page order; pages without one are skipped, so a
    page whose stamp could not be read shows up as a gap around it (it cannot be confirmed).
    Returns (last number seen, next number seen) for every break: a skipped number, a repeat
    or a step backwards. A new prefix starts a new series and is not a gap.
    """
    gaps: list[tuple[str, str]] = []
    previous: tuple[str, _Bates] | None = None
    for raw in numbers:
        if raw is None or (parsed := _parse(raw)) is None:
            continue
        if previous is not None:
            last_raw, last = previous
            if parsed.prefix == last.prefix and parsed.number != last.number + 1:
                gaps.append((last_raw, raw))
        previous = (raw, parsed)
    return gaps

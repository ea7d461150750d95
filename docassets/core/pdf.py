"""Open and validate a PDF, then read each page from its text layer or, where that fails, by OCR.

Per page the decision is:

1. The text layer, minus any CM/ECF header stamp and Bates number, has at least
   `min_text_chars` visible characters and at most `max_garbage_ratio` non-word tokens:
   method "text".
2. It has fewer characters (a scan, or a scan with only a court's header on it): the page is
   rendered and OCRed, method "ocr" -- unless the page holds no image or drawing, in which case
   there is nothing OCR could add and the short text layer is kept ("text"), or "empty".
   A scan (at least half the page covered by images) whose layer has fewer than
   `scan_text_chars` characters (a production's "CONFIDENTIAL" legend) is OCRed too, and the
   OCR text is kept if it has more word-like tokens than the layer.
3. It has enough characters but is garbage (a broken font encoding, a bad earlier OCR layer):
   the page is OCRed too and the text with more word-like tokens is kept; ties keep the text
   layer, whose characters are exact.
3a. It has enough word-shaped characters, but the page is a scan and its layer is an old, poor
   OCR ("tbe Distriet Conrt", "c0urt", stray "~"), which counting non-word tokens cannot see: a
   scan's layer whose reading score (`docassets.core.text_quality.reading_score`: the share of
   its checked words that are English words) is below `reocr_below` is OCRed again, and the
   fresh OCR is kept only if it scores at least `reocr_margin` higher. Both scores are recorded
   on the page (`Page.layer_score`, `Page.ocr_score`), the choice in `Page.method`. A scan whose
   layer reads well keeps it unread by OCR, with its score recorded.
4. An OCR page read with a mean confidence below `orientation_below` is checked for lying on
   its side or upside down (a landscape map in a portrait opinion) and, if it does, read again
   upright; the reading with the higher confidence is kept.
5. Neither gives a readable word: method "empty", text "" (a stamp or Bates number found on
   the page is still recorded in `Page.stamp` / `Page.bates`).

A stamp found in the text layer is exact, so it is recorded in `Page.stamp` and kept in the
page text; when OCR did not read it (ca4-filing-17-scan.pdf prints it in pale red) it is put on
the first line of the OCR text, so the text is always what OCR read plus the stamp. A Bates
number from the text layer is likewise added as the last line when OCR missed it.

Page text is normalised: control characters removed (PostgreSQL rejects NUL), lines stripped,
runs of blank lines reduced to one, no blank line at either end. A blank line therefore marks
a paragraph, and `PAGE_SEPARATOR` between pages reads like one.

OCR runs `workers` Tesseract processes at once. This process renders each page that needs OCR
into an image file (MuPDF is used from this thread only; rendering is a small part of OCR's cost)
and hands the file to a pool of `workers` threads, each of which runs `tesseract` on it and
deletes it. No interpreter is started for OCR, so a run pays no start-up and import cost per worker.
At most `2 * workers` pages are in flight or waiting to be yielded in order, and pages are
yielded as soon as they and every page before them are done; at most that many page images
exist, on disk, at any time. After each scanned page MuPDF's image cache is emptied (see
`_forget_images`), so memory does not grow with the size of the document: on a 330-page, 590 MB
production of 330 dpi colour scans the whole process tree peaks well under 1 GB
(`benchmarks/text_extraction.py`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, NamedTuple

import pymupdf

from docassets.core.bates import find_bates, find_stamp, stamp_spans
from docassets.core.models import Page
from docassets.core.ocr import (
    DEFAULT_ORIENTATION_BELOW,
    OcrResult,
    TesseractTimedOut,
    ocr_image_file,
    write_page_image,
)
from docassets.core.text_quality import reading_score
from docassets.settings import MAX_PAGE_MEGAPIXELS, OCR_TIMEOUT_SECONDS

logger = logging.getLogger(__name__)

_SNIFF_BYTES = 1024  # readers accept "%PDF-" and "%%EOF" anywhere in the first / last 1 KiB
# Ligatures are expanded ("ﬁ" -> "fi") so that words are searchable; the rest is PyMuPDF's default.
_TEXT_FLAGS = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES
_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")  # "1 0 obj": what a real PDF's first kilobyte holds
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BLANK_RUN = re.compile(r"\n\n\n+")  # not "\n{3,}": the regex engine searches a literal prefix faster

# Word-likeness of a whitespace-separated token, after stripping the punctuation around it:
# Latin letters and digits, joined by the connectors found inside legal words ("Ass'n",
# "1:21-cv-01061", "12(b)(6)", "“[i]f", "153–54", "P-H’s", "clerk@tn.gov"), and perhaps ending
# in a line-break hyphen ("breach-", "presump\xad").
_SURROUNDING_PUNCTUATION = "\"'“”‘’()[]{}<>.,;:!?*/"
_LETTERS = "0-9A-Za-zÀ-ÖØ-öø-ÿ"
_WORD_BODY = re.compile(rf"[{_LETTERS}]+(?:[-–—'’./:,()\[\]&§$%@_\xad]+[{_LETTERS}]+)*[-–—\xad%)\]]?")
_LETTER_RUN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+")
_VOWEL = re.compile(r"[AEIOUYaeiouyÀ-ÖØ-öø-ÿ]")
_SHORT_RUN = 4
_SCAN_COVERAGE = 0.5  # a page at least half covered by images is taken for a scan
# A whole whitespace-separated token that `_is_word` certainly accepts: one run of Latin letters
# that holds a vowel, is all capitals or is short, or a plain number; perhaps in quotes or
# brackets and followed by punctuation. (The most common case first, as it is tried first.)
# It is matched with the whitespace before it, so that a search tries only where tokens start,
# and without backtracking (consonants up to the first vowel; possessive runs), which could
# never make a match succeed: both faster than a lookbehind and plain runs.
_PLAIN_TOKEN = re.compile(
    r"\s[\"'“‘(\[]?"
    r"(?:[B-DF-HJ-NP-TV-XZb-df-hj-np-tv-xz]*+[AEIOUYaeiouy][A-Za-z]*+|[A-Z]++|[A-Za-z]{1,4}"
    r"|[0-9]++(?:[.,][0-9]++)*+)"
    r"[.,;:!?\"'”’)\]]{0,2}(?!\S)"
)
# Punctuation that `_is_word` strips around a word and accepts inside one (both in
# `_SURROUNDING_PUNCTUATION` and among `_WORD_BODY`'s connectors).
_INNER_PUNCTUATION = "'./:,()[]"
# For `_bounds`, each byte of UTF-8 text as "a" (ASCII letter or digit), "d" (inner
# punctuation), "p" (other ASCII), " " (ASCII whitespace, as `str.split` sees it) or "x" (part
# of a non-ASCII character);
_BYTE_CLASSES = bytes(
    ord("x")
    if byte >= 0x80
    else ord("a")
    if chr(byte).isalnum()
    else ord("d")
    if chr(byte) in _INNER_PUNCTUATION
    else ord(" ")
    if chr(byte).isspace()
    else ord("p")
    for byte in range(256)
)
# and as "c" (ASCII consonant), "v" (other ASCII letter) or " ": a letter run without a vowel,
# longer than `_SHORT_RUN`, shows as `_CONSONANT_RUN` after a " " or at the start.
_LETTER_CLASSES = bytes(
    ord("c")
    if chr(byte) in "BCDFGHJKLMNPQRSTVWXZbcdfghjklmnpqrstvwxz"
    else ord("v")
    if chr(byte).isascii() and chr(byte).isalpha()
    else ord(" ")
    for byte in range(256)
)
_CONSONANT_RUN = b"c" * (_SHORT_RUN + 1)
_VOWELLESS_RUN = re.compile(  # a whole letter run, as `_LETTER_RUN` finds it, without a vowel
    rf"(?<![A-Za-zÀ-ÖØ-öø-ÿ])[B-DF-HJ-NP-TV-XZb-df-hj-np-tv-xz]{{{_SHORT_RUN + 1},}}"
    r"(?![A-Za-zÀ-ÖØ-öø-ÿ])"
)


class DocumentUnreadable(ValueError):
    """A document that cannot be read; the message names the document, the cause and the fix.

    It is deterministic: reading the same file again fails the same way, so it is never retried.
    """


class PageTooLarge(DocumentUnreadable):
    """A page that would need more pixels to render than `ExtractionSettings.max_page_megapixels`."""


class OcrTimedOut(DocumentUnreadable):
    """Tesseract did not read a page within `ExtractionSettings.ocr_timeout_seconds`."""


@dataclass(frozen=True)
class PdfInfo:
    """What a valid PDF is, before anything is extracted from it."""

    size: int  # bytes
    sha256: str  # hex
    page_count: int
    encrypted: bool  # True also when it opens with the empty user password


@dataclass(frozen=True)
class ExtractionSettings:
    """How pages are read; see the module docstring for how the thresholds are used."""

    dpi: int = 300  # Tesseract's accuracy drops below ~300 dpi on 10-12 pt court typefaces
    language: str = "eng"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    # The samples' header-only layers hold 59 and 73 characters, all of it the stamp; a real
    # page of text, even a short order, has several hundred. 25 keeps a lone page number or
    # "Page 2 of 9" from counting as text while a one-line "EXHIBIT A" still is OCRed.
    min_text_chars: int = 25
    # Per page, the samples' text layers have at most 1.4% non-word tokens and their OCR at
    # most 7% (a poorly scanned disclosure form, a rotated map); symbol soup from a broken
    # font encoding is 90-100%. A third is far from both.
    max_garbage_ratio: float = 0.33
    # A scan (a page at least half covered by images) whose text layer holds fewer characters
    # than this, besides stamps and Bates numbers, is OCRed as well: productions stamp a
    # "CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER" legend (36 characters) on every scanned
    # page, and a body of text has far more (the shortest sample text page has ~600).
    scan_text_chars: int = 200
    # A scan's text layer that reads worse than this is compared with a fresh OCR. Text layers
    # of typeset pages score 0.949-1.0 on the samples (the lowest: an opinion full of
    # "subbasin"), Tesseract's reading of a clean scan 0.97-1.0; an old OCR with one word in
    # three misread scores 0.64-0.71. Poor scans read
    # poorly by any OCR (the scanned disclosure form: 0.77-0.86), so the fresh reading replaces
    # the layer only if it scores `reocr_margin` higher: a different engine's reading of the
    # same image differs by a point or two.
    reocr_below: float = 0.93
    reocr_margin: float = 0.03
    # OCR pages read with a lower mean confidence are checked for lying on their side or upside
    # down and read again upright (see `docassets.core.ocr`); None turns the check off.
    orientation_below: float | None = DEFAULT_ORIENTATION_BELOW
    # A page is refused, before it is rendered, when its image at `dpi` would exceed this many
    # megapixels; a Tesseract process that runs longer than the timeout on one page is stopped and
    # the page refused (the defaults' reasons are in docassets.settings).
    max_page_megapixels: float = MAX_PAGE_MEGAPIXELS
    ocr_timeout_seconds: float | None = OCR_TIMEOUT_SECONDS


# Why a page is OCRed: too little text (or a scan's legend), a garbage layer, or a scan's layer
# that reads poorly (rule 3a): the last is decided by reading score, the others by word count.
OcrReason = Literal["short", "garbage", "poor reading"]


class _Bounds(NamedTuple):
    """What a few byte counts prove about a text (see `_bounds`)."""

    tokens: int  # it has at least this many whitespace-separated tokens,
    not_words: int  # at most this many of which are garbage or layout,
    visible_chars: int  # and at least this many visible characters


@dataclass(frozen=True)
class _Layer:
    """A page's text layer and what it says about the page.

    Counting the body's words and visible characters exactly would add ~10% to reading a text
    page, so only cheap bounds of them are measured up front (see `_bounds`). These settle
    nearly every text page; the exact counts are worked out, once, where a decision needs them.
    """

    number: int
    text: str  # normalised
    stamp: str | None
    bates: str | None
    body: str  # the text without stamp and Bates number
    bounds: _Bounds  # of the body

    @cached_property
    def visible_chars(self) -> int:  # of the body
        return _visible_chars(self.body)

    @cached_property
    def reading_score(self) -> float | None:  # of the body
        return reading_score(self.body)

    @property
    def judged_score(self) -> float | None:
        """The reading score if a decision worked it out (a scan's layer), else None: scoring
        every text page would cost more than reading it."""
        return self.__dict__.get("reading_score")  # where cached_property keeps it

    @cached_property
    def _counts(self) -> tuple[int, int]:
        return _token_counts(self.body)

    @property
    def words(self) -> int:  # word-like tokens of the body
        return self._counts[0]

    def has_words(self) -> bool:
        return self.bounds.tokens > self.bounds.not_words or self.words > 0

    def has_visible_chars(self, count: int) -> bool:
        """Whether the body has at least `count` visible characters."""
        return self.bounds.visible_chars >= count or self.visible_chars >= count

    def garbage_ratio_above(self, limit: float) -> bool:
        """Whether more than `limit` of the body's word and garbage tokens are garbage."""
        # At most not_words of at least `tokens` tokens are garbage or layout, so garbage /
        # (all tokens - layout) is at most not_words / tokens.
        if self.bounds.tokens and self.bounds.not_words / self.bounds.tokens <= limit:
            return False
        words, garbage = self._counts
        return garbage / (words + garbage) > limit if words + garbage else False


@dataclass
class _Slot:
    """A page waiting to be yielded in order: decided now, or waiting for OCR."""

    layer: _Layer
    page: Page | None = None
    future: Future[OcrResult] | None = None
    reason: OcrReason | None = None

    def ocr(self) -> Future[OcrResult]:
        """The OCR of a page its text layer did not decide."""
        assert self.future is not None, "a slot holds its page or the page's OCR"
        return self.future


def garbage_ratio(text: str) -> float:
    """The share of tokens in `text` that are not word-like (0.0 for text without tokens).

    Single punctuation marks and runs of one character ("_____", ". . .", ")") are layout,
    not words and not garbage, so they are not counted.
    """
    words, garbage = _token_counts(text)
    return garbage / (words + garbage) if words + garbage else 0.0


def _token_counts(text: str) -> tuple[int, int]:
    """(word-like tokens, garbage tokens) in `text`; layout tokens count as neither.

    Most tokens of real text are plain words or numbers, which one regular expression removes
    in C; only what remains (citations, symbols, soup) is judged token by token. Both paths
    agree with `_is_word`; the fast one only saves time (see benchmarks/text_extraction.py).
    """
    rest, plain = _PLAIN_TOKEN.subn(" ", "\n" + text)  # "\n": the first token's whitespace
    words = garbage = 0
    for token in rest.split():
        if len(set(token)) == 1 and not token[0].isalnum():
            continue
        if _is_word(token):
            words += 1
        else:
            garbage += 1
    return plain + words, garbage


def _is_word(token: str) -> bool:
    core = token.strip(_SURROUNDING_PUNCTUATION).lstrip("§$#¶")
    if not core or not _WORD_BODY.fullmatch(core):
        return False
    # Long vowel-less letter runs are what broken font encodings produce; all-capital runs are
    # abbreviations ("PRWBX", "NTSB") and short runs are too ("LLC’s", "Mr", "T.C.M.").
    return not any(
        len(run) > _SHORT_RUN and not run.isupper() and not _VOWEL.search(run)
        for run in _LETTER_RUN.findall(core)
    )


def _bounds(text: str) -> _Bounds:
    """Bounds of what `_token_counts(text)` and `_visible_chars(text)` count, found more cheaply.

    With its UTF-8 bytes classed by `_BYTE_CLASSES`, a token of "a" and "d" with an "a" among
    them is a word for `_is_word`, which strips "d" around a word and accepts it inside one --
    unless a letter run of it lacks a vowel, which `_VOWELLESS_RUN` rules out. Every other
    token holds a run of "p" (no run crosses whitespace) or an "x" character, or is all "d"
    and starts after ASCII whitespace, at the start, or after an "x" character that is
    whitespace and so in no token: these bound the tokens that are not words. And an "a",
    "d" or "p" after ASCII whitespace or at the start begins a token.
    """
    data = text.encode()
    shape = data.translate(_BYTE_CLASSES)
    x_bytes = shape.count(b"x")
    visible_chars = len(shape) - shape.count(b" ") - x_bytes  # the ASCII ones
    while b"pp" in shape:  # a run of "p" ("____", "--") becomes one
        shape = shape.replace(b"pp", b"p")
    d_starts = shape.count(b" d") + shape.startswith(b"d")
    tokens = shape.count(b" a") + shape.count(b" p") + shape.startswith((b"a", b"p")) + d_starts
    x_chars = x_bytes - (len(data) - len(text))  # a non-ASCII character is 2-4 "x" bytes
    not_words = shape.count(b"p") + x_chars + d_starts
    letters = data.translate(_LETTER_CLASSES)
    if (b" " + _CONSONANT_RUN in letters or letters.startswith(_CONSONANT_RUN)) and not all(
        run.isupper() for run in _VOWELLESS_RUN.findall(text)
    ):
        not_words = tokens  # no bound: some tokens may be rejected for want of a vowel
    return _Bounds(tokens=tokens, not_words=not_words, visible_chars=visible_chars)


def _normalise(text: str) -> str:
    text = "\n".join(map(str.strip, _CONTROL.sub("", text).splitlines()))
    return _BLANK_RUN.sub("\n\n", text).strip("\n")


def _without_furniture(text: str, bates: str | None) -> str:
    """The page text without its CM/ECF stamps and its Bates number."""
    for start, end in reversed(stamp_spans(text)):
        text = text[:start] + text[end:]
    if bates:
        cut = text.rfind(bates)
        text = text[:cut] + text[cut + len(bates) :]
    return text


def _visible_chars(text: str) -> int:
    return len("".join(text.split()))  # str.split() splits on exactly what str.isspace() sees


def _open_checked(path: Path, name: str, *, every_page: bool) -> tuple[pymupdf.Document, bool]:
    """Open a PDF, or raise `DocumentUnreadable` saying why it cannot be read; with `every_page`,
    also load each page (what a truncated or damaged file fails at).

    Returns the open document (authenticated when it has an empty user password) and whether
    it is encrypted.
    """
    size = path.stat().st_size
    if size == 0:
        raise DocumentUnreadable(f"{name}: the file is empty (0 bytes); upload the complete PDF again")
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
        file.seek(max(size - _SNIFF_BYTES, 0))
        tail = file.read()
    if b"%PDF-" not in head:
        raise DocumentUnreadable(
            f"{name}: not a PDF (no %PDF header; the file starts with {head[:8]!r}); "
            "convert it to PDF or upload the right file"
        )
    try:
        doc = pymupdf.open(path, filetype="pdf")  # type: ignore[no-untyped-call]  # pymupdf: no annotations
    except RuntimeError as error:  # pymupdf.FileDataError and MuPDF's own errors
        if b"%%EOF" not in tail and _PDF_OBJECT.search(head):  # it began as a PDF and was cut short
            raise DocumentUnreadable(
                f"{name}: truncated PDF (it ends before %%EOF and cannot be repaired);"
                " upload the complete file again"
            ) from None
        # MuPDF's message names the file by its path, a temporary copy that means nothing to a user.
        cause = str(error).replace(str(path), name)
        raise DocumentUnreadable(
            f"{name}: corrupt PDF that PyMuPDF cannot open ({cause}); upload an intact copy"
        ) from None
    try:
        # MuPDF opens a file with an empty user password by itself; needs_pass is then 0 and
        # only the metadata still says that the file is encrypted.
        encrypted = bool(doc.needs_pass) or bool((doc.metadata or {}).get("encryption"))
        if doc.needs_pass and not doc.authenticate(""):  # type: ignore[no-untyped-call]  # pymupdf
            raise DocumentUnreadable(
                f"{name}: encrypted with a user password; supply the password or remove it "
                "(for example `qpdf --decrypt --password=... in.pdf out.pdf`) and upload it again"
            )
        if doc.is_repaired and b"%%EOF" not in tail:
            # MuPDF rebuilds a truncated file from whatever objects survive, which can yield
            # pages with their content missing; a file that needed rebuilding *and* lacks its
            # end marker was cut short.
            raise DocumentUnreadable(
                f"{name}: truncated PDF (no %%EOF at the end, cross-reference table lost); "
                "upload the complete file again"
            )
        if doc.page_count == 0:
            raise DocumentUnreadable(f"{name}: corrupt PDF with no pages; upload an intact copy")
        for index in range(doc.page_count if every_page else 0):
            _load_page(doc, index, name)
    except DocumentUnreadable:
        doc.close()  # type: ignore[no-untyped-call]  # pymupdf: no annotations
        raise
    return doc, encrypted


def _load_page(doc: pymupdf.Document, index: int, name: str) -> pymupdf.Page:
    try:
        page: pymupdf.Page = doc.load_page(index)  # type: ignore[no-untyped-call]  # pymupdf: no annotations
    except RuntimeError as error:
        raise DocumentUnreadable(
            f"{name}: page {index + 1} cannot be loaded ({error}); upload an intact copy"
        ) from error
    return page


def inspect_pdf(path: str | Path, *, name: str) -> PdfInfo:
    """Validate a PDF and measure it; raises `DocumentUnreadable` for a file that cannot be read.

    `name` is how the document is called in error messages (its file name or id).
    """
    path = Path(path)
    doc, encrypted = _open_checked(path, name, every_page=True)
    with doc:
        page_count = doc.page_count
    with path.open("rb") as file:
        sha256 = hashlib.file_digest(file, "sha256").hexdigest()  # streams in blocks
    return PdfInfo(size=path.stat().st_size, sha256=sha256, page_count=page_count, encrypted=encrypted)


def extract_pages(
    path: str | Path,
    *,
    name: str,
    settings: ExtractionSettings = ExtractionSettings(),
    on_progress: Callable[[int, int], None] | None = None,
    first_page: int = 1,
) -> Iterator[Page]:
    """Stream the pages of a PDF in order, each read from its text layer or by OCR.

    `first_page` (1-based) resumes a document whose earlier pages were already read; progress
    then counts those pages as done.

    The file is opened and checked before this returns, so an empty, non-PDF, corrupt,
    truncated or password-protected file raises `DocumentUnreadable` here rather than at the
    first page; a page that cannot be loaded raises it when reached. `on_progress(done, total)`
    is called each time a page is finished (OCR pages may finish out of order; `done` counts them).
    """
    path = Path(path)
    # Pages are loaded (and a damaged one reported) as they are reached: loading each twice
    # would cost ~2% of reading a text layer. `inspect_pdf` checks every page up front.
    doc, _ = _open_checked(path, name, every_page=False)
    return _extract(doc, name, settings, on_progress, first_index=max(first_page, 1) - 1)


def _extract(
    doc: pymupdf.Document,
    name: str,
    settings: ExtractionSettings,
    on_progress: Callable[[int, int], None] | None,
    first_index: int,
) -> Iterator[Page]:
    total = doc.page_count
    window = 2 * max(settings.workers, 1)
    pending: deque[_Slot] = deque()
    running: set[Future[OcrResult]] = set()
    done = min(first_index, total)

    def finished() -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total)

    def collect(block_until_head_done: bool) -> None:
        """Count OCR pages that have finished; optionally wait for the oldest pending one."""
        head = pending[0].future if pending else None
        while True:
            for future in [future for future in running if future.done()]:
                running.discard(future)
                finished()
            if not block_until_head_done or head is None or head.done():
                return
            wait(running, return_when=FIRST_COMPLETED)

    def ready_pages() -> Iterator[Page]:
        while pending and (pending[0].page is not None or pending[0].ocr().done()):
            slot = pending.popleft()
            yield (
                slot.page
                if slot.page is not None
                else _page_from_ocr(slot.layer, slot.ocr().result(), settings, slot.reason or "short")
            )

    with (
        tempfile.TemporaryDirectory(prefix="docassets-pages-") as images,
        ThreadPoolExecutor(max_workers=max(settings.workers, 1), thread_name_prefix="ocr") as pool,
    ):
        try:
            for index in range(first_index, total):
                page = _load_page(doc, index, name)
                layer = _read_layer(page)
                if reason := _needs_ocr(page, layer, settings):
                    _refuse_oversized(page, name, settings)
                    image = Path(images) / f"page-{index + 1}.bmp"
                    write_page_image(page, image, dpi=settings.dpi)
                    _forget_images()
                    future = pool.submit(_ocr, image, layer.number, name, settings)
                    running.add(future)
                    pending.append(_Slot(layer, future=future, reason=reason))
                else:
                    pending.append(_Slot(layer, page=_page_from_layer(layer)))
                    finished()
                collect(block_until_head_done=len(pending) >= window)
                yield from ready_pages()
            while pending:
                collect(block_until_head_done=True)
                yield from ready_pages()
        finally:
            doc.close()  # type: ignore[no-untyped-call]  # pymupdf: no annotations
            for slot in pending:  # the consumer stopped early: drop the pages not yet started
                if slot.future is not None:
                    slot.future.cancel()


def _refuse_oversized(page: pymupdf.Page, name: str, settings: ExtractionSettings) -> None:
    """Raise `PageTooLarge` for a page whose image at `settings.dpi` would be over the limit: MuPDF
    would allocate it whole (a 7,000-point page is 850 megapixels) or give up with an error."""
    width, height = page.rect.width, page.rect.height
    megapixels = width * height * (settings.dpi / 72) ** 2 / 1e6
    if megapixels > settings.max_page_megapixels:
        raise PageTooLarge(
            f"{name}: page {page.number + 1} is {width:,.0f} x {height:,.0f} points "
            f"({width / 72:,.1f} x {height / 72:,.1f} in),"
            f" {megapixels:,.0f} megapixels at {settings.dpi} dpi,"
            f" over the {settings.max_page_megapixels:,.0f} megapixel page limit;"
            " split or scale the page down, or raise "
            "DOCASSETS_MAX_PAGE_MEGAPIXELS"
        )


def _read_layer(page: pymupdf.Page) -> _Layer:
    # What `page.get_text("text", flags=_TEXT_FLAGS)` returns, without that wrapper's overhead
    # (it works out the crop box, needed only by other formats): ~2% of reading a text page.
    text = _normalise(page.get_textpage(flags=_TEXT_FLAGS).extractText())
    stamp = find_stamp(text)
    bates = find_bates(text)
    body = _without_furniture(text, bates)
    return _Layer(
        number=page.number + 1, text=text, stamp=stamp, bates=bates, body=body, bounds=_bounds(body)
    )


def _needs_ocr(page: pymupdf.Page, layer: _Layer, settings: ExtractionSettings) -> OcrReason | None:
    """Why the page must be OCRed, or None when its text layer is kept unread by OCR."""
    too_short = not layer.has_visible_chars(settings.min_text_chars)
    garbage = layer.garbage_ratio_above(settings.max_garbage_ratio)
    if not too_short and not garbage:
        # Good text -- unless it is a scan (listing a page's images costs ~2% of reading its
        # text; measuring what they cover, only pages that have some) whose layer holds only a
        # line or two (a production's "CONFIDENTIAL" legend, an exhibit label), or reads poorly.
        if not _has_images(page) or _image_coverage(page) < _SCAN_COVERAGE:
            return None
        if not layer.has_visible_chars(settings.scan_text_chars):
            return "short"
        score = layer.reading_score
        return "poor reading" if score is not None and score < settings.reocr_below else None
    # Too little text, or garbage: only what is drawn on the page could tell us more.
    # A garbage layer's own glyphs are drawn too (that is why it looked fine to its author).
    # Drawings are looked for only here: on text pages that would cost more than reading the text.
    if not too_short:
        return "garbage"
    return "short" if _has_images(page) or _has_drawings(page) else None


def _has_images(page: pymupdf.Page) -> bool:
    return bool(page.get_images())  # type: ignore[no-untyped-call]  # pymupdf: no annotations


def _has_drawings(page: pymupdf.Page) -> bool:
    return bool(page.get_cdrawings())  # type: ignore[no-untyped-call]  # pymupdf: no annotations


def _image_coverage(page: pymupdf.Page) -> float:
    """The share of the page's area that its images cover (1.0 for a full-page scan)."""
    area: float = abs(page.rect)
    if not area:
        return 0.0
    covered: float = sum(
        abs(pymupdf.Rect(info["bbox"]) & page.rect)  # type: ignore[no-untyped-call]  # pymupdf: no annotations
        for info in page.get_image_info()
    )
    return min(covered / area, 1.0)


def _page_from_layer(layer: _Layer, ocr_score: float | None = None) -> Page:
    if not layer.has_words():
        return Page(
            number=layer.number,
            text="",
            method="empty",
            bates=layer.bates,
            stamp=layer.stamp,
            ocr_score=ocr_score,
        )
    return Page(
        number=layer.number,
        text=layer.text,
        method="text",
        bates=layer.bates,
        stamp=layer.stamp,
        layer_score=layer.judged_score if ocr_score is None else layer.reading_score,
        ocr_score=ocr_score,
    )


def _page_from_ocr(layer: _Layer, result: OcrResult, settings: ExtractionSettings, reason: OcrReason) -> Page:
    ocr_text = _normalise(result.text)
    stamp = layer.stamp or find_stamp(ocr_text)
    bates = layer.bates or find_bates(ocr_text)
    ocr_body = _without_furniture(ocr_text, bates)
    ocr_words, ocr_garbage = _token_counts(ocr_body)
    ocr_readable = ocr_words > 0 and ocr_garbage / (ocr_words + ocr_garbage) <= settings.max_garbage_ratio
    ocr_score = reading_score(ocr_body)
    if reason == "poor reading":
        layer_score = layer.reading_score or 0.0  # it was judged poor, so it has a score
        better = ocr_readable and ocr_score is not None and ocr_score >= layer_score + settings.reocr_margin
    else:
        better = ocr_readable and ocr_words > layer.words
    if not better:
        logger.debug("page %d: OCR read no better than the text layer; keeping the text layer", layer.number)
        return _page_from_layer(layer, ocr_score)
    if reason == "poor reading":
        logger.info(
            "page %d: the text layer reads poorly (score %.3f); replaced by OCR (score %.3f)",
            layer.number,
            layer.reading_score,
            ocr_score,
        )
    text = ocr_text
    if layer.stamp and layer.stamp not in text:
        text = f"{layer.stamp}\n{text}"
    if layer.bates and layer.bates not in text:
        text = f"{text}\n{layer.bates}"
    return Page(
        number=layer.number,
        text=text,
        method="ocr",
        ocr_confidence=result.confidence,
        bates=bates,
        stamp=stamp,
        layer_score=layer.reading_score if layer.has_words() else None,
        ocr_score=ocr_score,
    )


def _forget_images() -> None:
    """Empty MuPDF's cache of decoded images and image streams, after a page that was a scan.

    MuPDF keeps what it loads in a process-wide store of up to 256 MB. Even reading a scan's
    text layer loads its image stream (all of it, when the image is stored uncompressed: 26 MB
    for a 330 dpi colour page), and rendering it adds the decoded image. A scan's image is never
    used again, so without this the process would hold up to 256 MB of dead images. Only scans
    trigger it: emptying the store after text pages would make MuPDF re-parse their fonts, which
    triples the cost of reading a text layer.
    """
    pymupdf.TOOLS.store_shrink(100)  # type: ignore[no-untyped-call]  # pymupdf: no annotations


def _ocr(image: Path, number: int, name: str, settings: ExtractionSettings) -> OcrResult:
    """Read a rendered page image in an OCR thread, then delete it."""
    try:
        result = ocr_image_file(
            image,
            language=settings.language,
            orientation_below=settings.orientation_below,
            timeout=settings.ocr_timeout_seconds,
        )
    except TesseractTimedOut:
        raise OcrTimedOut(
            f"{name}: page {number}: Tesseract did not finish reading it"
            f" within {settings.ocr_timeout_seconds:g} s; "
            "check the page, or raise DOCASSETS_OCR_TIMEOUT_SECONDS"
        ) from None
    finally:
        image.unlink(missing_ok=True)
    if result.rotation:
        logger.info("page %d: read after turning it %d degrees clockwise", number, result.rotation)
    return result

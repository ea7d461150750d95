"""Open and validate a PDF, then read each page from its text layer or, where that fails, by OCR.

Per page the decision is:

1. The text layer, minus any CM/ECF header stamp and Bates number, has at least
   `min_text_chars` visible characters and at most `max_garbage_ratio` non-word tokens:
   method "text".
2. It has fewer characters (a scan, or a scan with only a court's header on it): the page is
   rendered and OCRed, method "ocr" -- unless the page holds no image or drawing, in which case
   there is nothing OCR could add and the short text layer is kept ("text"), or "empty".
3. It has enough characters but is garbage (a broken font encoding, a bad earlier OCR layer):
   the page is OCRed too and the text with more word-like tokens is kept; ties keep the text
   layer, whose characters are exact.
4. Neither gives a readable word: method "empty", text "" (a stamp or Bates number found on
   the page is still recorded in `Page.stamp` / `Page.bates`).

A stamp found in the text layer is exact, so it is recorded in `Page.stamp` and kept in the
page text; when OCR did not read it (ca4-filing-17-scan.pdf prints it in pale red) it is put on
the first line of the OCR text, so the text is always what OCR read plus the stamp. A Bates
number from the text layer is likewise added as the last line when OCR missed it.

Page text is normalised: control characters removed (PostgreSQL rejects NUL), lines stripped,
runs of blank lines reduced to one, no blank line at either end. A blank line therefore marks
a paragraph, and `PAGE_SEPARATOR` between pages reads like one.

OCR runs in a pool of `workers` processes, each of which opens the PDF once and renders its own
pages, so page images never cross a process boundary or accumulate in the parent; at most
`2 * workers` pages are in flight or waiting to be yielded in order.
"""
from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from docassets.core.bates import find_bates, find_stamp, stamp_spans
from docassets.core.models import Page
from docassets.core.ocr import OcrResult, ocr_image, render_page_png

logger = logging.getLogger(__name__)

_SNIFF_BYTES = 1024  # readers accept "%PDF-" and "%%EOF" anywhere in the first / last 1 KiB
# Ligatures are expanded ("ﬁ" -> "fi") so that words are searchable; the rest is PyMuPDF's default.
_TEXT_FLAGS = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BLANK_RUN = re.compile(r"\n{3,}")

# Word-likeness of a whitespace-separated token, after stripping the punctuation around it:
# Latin letters and digits, joined by the connectors found inside legal words ("Ass'n",
# "1:21-cv-01061", "12(b)(6)", "“[i]f", "153–54", "P-H’s", "clerk@tn.gov"), and perhaps ending
# in a line-break hyphen ("breach-", "presump\xad").
_SURROUNDING_PUNCTUATION = "\"'“”‘’()[]{}<>.,;:!?*/"
_LETTERS = "0-9A-Za-zÀ-ÖØ-öø-ÿ"
_WORD_BODY = re.compile(
    rf"[{_LETTERS}]+(?:[-–—'’./:,()\[\]&§$%@_\xad]+[{_LETTERS}]+)*[-–—\xad%)\]]?"
)
_LETTER_RUN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+")
_VOWEL = re.compile(r"[AEIOUYaeiouyÀ-ÖØ-öø-ÿ]")
_SHORT_RUN = 4


class DocumentUnreadable(ValueError):
    """A document that cannot be read; the message names the document, the cause and the fix."""


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


@dataclass(frozen=True)
class _Layer:
    """A page's text layer and what it says about the page."""

    number: int
    text: str  # normalised
    stamp: str | None
    bates: str | None
    body: str  # the text without stamp and Bates number
    has_graphics: bool  # an image or vector drawing OCR could read


@dataclass
class _Slot:
    """A page waiting to be yielded in order: decided now, or waiting for OCR."""

    layer: _Layer
    page: Page | None = None
    future: Future[OcrResult] | None = None


def garbage_ratio(text: str) -> float:
    """The share of tokens in `text` that are not word-like (0.0 for text without tokens).

    Single punctuation marks and runs of one character ("_____", ". . .", ")") are layout,
    not words and not garbage, so they are not counted.
    """
    words = garbage = 0
    for token in text.split():
        if len(set(token)) == 1 and not token[0].isalnum():
            continue
        if _is_word(token):
            words += 1
        else:
            garbage += 1
    return garbage / (words + garbage) if words + garbage else 0.0


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


def _word_count(text: str) -> int:
    return sum(1 for token in text.split() if _is_word(token))


def _normalise(text: str) -> str:
    lines = (line.strip() for line in _CONTROL.sub("", text).splitlines())
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


def _without_furniture(text: str, bates: str | None) -> str:
    """The page text without its CM/ECF stamps and its Bates number."""
    for start, end in reversed(stamp_spans(text)):
        text = text[:start] + text[end:]
    if bates:
        cut = text.rfind(bates)
        text = text[:cut] + text[cut + len(bates):]
    return text


def _visible_chars(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _open_checked(path: Path, name: str) -> tuple[pymupdf.Document, bool]:
    """Open a PDF, or raise `DocumentUnreadable` saying why it cannot be read.

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
        doc = pymupdf.open(path, filetype="pdf")
    except RuntimeError as error:  # pymupdf.FileDataError and MuPDF's own errors
        raise DocumentUnreadable(
            f"{name}: corrupt PDF that PyMuPDF cannot open ({error}); upload an intact copy"
        ) from error
    try:
        # MuPDF opens a file with an empty user password by itself; needs_pass is then 0 and
        # only the metadata still says that the file is encrypted.
        encrypted = bool(doc.needs_pass) or bool((doc.metadata or {}).get("encryption"))
        if doc.needs_pass and not doc.authenticate(""):
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
        for index in range(doc.page_count):
            try:
                doc.load_page(index)
            except RuntimeError as error:
                raise DocumentUnreadable(
                    f"{name}: page {index + 1} cannot be loaded ({error}); upload an intact copy"
                ) from error
    except DocumentUnreadable:
        doc.close()
        raise
    return doc, encrypted


def inspect_pdf(path: str | Path, *, name: str) -> PdfInfo:
    """Validate a PDF and measure it; raises `DocumentUnreadable` for a file that cannot be read.

    `name` is how the document is called in error messages (its file name or id).
    """
    path = Path(path)
    doc, encrypted = _open_checked(path, name)
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
) -> Iterator[Page]:
    """Stream the pages of a PDF in order, each read from its text layer or by OCR.

    The file is validated before this returns, so a bad file raises `DocumentUnreadable` here
    rather than at the first page. `on_progress(done, total)` is called each time a page is
    finished (OCR pages may finish out of order; `done` counts them).

    With `settings.workers > 1` OCR worker processes are *spawned*, so a script calling this
    needs the usual `if __name__ == "__main__":` guard; `workers=1` OCRs in this process.
    """
    path = Path(path)
    doc, _ = _open_checked(path, name)
    return _extract(doc, path, settings, on_progress)


def _extract(
    doc: pymupdf.Document,
    path: Path,
    settings: ExtractionSettings,
    on_progress: Callable[[int, int], None] | None,
) -> Iterator[Page]:
    total = doc.page_count
    window = 2 * max(settings.workers, 1)
    pending: deque[_Slot] = deque()
    running: set[Future[OcrResult]] = set()
    pool: ProcessPoolExecutor | None = None
    done = 0

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
        while pending and (pending[0].page is not None or pending[0].future.done()):
            slot = pending.popleft()
            yield slot.page if slot.page is not None else _page_from_ocr(
                slot.layer, slot.future.result(), settings
            )

    try:
        for index in range(total):
            page = doc.load_page(index)
            layer = _read_layer(page)
            if not _needs_ocr(layer, settings):
                pending.append(_Slot(layer, page=_page_from_layer(layer)))
                finished()
            elif settings.workers <= 1:
                result = ocr_image(render_page_png(page, settings.dpi), language=settings.language)
                pending.append(_Slot(layer, page=_page_from_ocr(layer, result, settings)))
                finished()
            else:
                if pool is None:
                    pool = _start_pool(path, settings.workers)
                future = pool.submit(_ocr_in_worker, index, settings.dpi, settings.language)
                running.add(future)
                pending.append(_Slot(layer, future=future))
            collect(block_until_head_done=len(pending) >= window)
            yield from ready_pages()
        while pending:
            collect(block_until_head_done=True)
            yield from ready_pages()
    finally:
        doc.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _read_layer(page: pymupdf.Page) -> _Layer:
    text = _normalise(page.get_text("text", flags=_TEXT_FLAGS))
    stamp = find_stamp(text)
    bates = find_bates(text)
    return _Layer(
        number=page.number + 1,
        text=text,
        stamp=stamp,
        bates=bates,
        body=_without_furniture(text, bates),
        has_graphics=bool(page.get_images()) or bool(page.get_cdrawings()),
    )


def _is_good_text(text: str, settings: ExtractionSettings) -> bool:
    return (
        _visible_chars(text) >= settings.min_text_chars
        and garbage_ratio(text) <= settings.max_garbage_ratio
    )


def _needs_ocr(layer: _Layer, settings: ExtractionSettings) -> bool:
    if _is_good_text(layer.body, settings):
        return False
    # Too little text, or garbage: only what is drawn on the page could tell us more.
    # A garbage layer's own glyphs are drawn too (that is why it looked fine to its author).
    too_short = _visible_chars(layer.body) < settings.min_text_chars
    return layer.has_graphics or not too_short


def _page_from_layer(layer: _Layer) -> Page:
    if _word_count(layer.body) == 0:
        return Page(number=layer.number, text="", method="empty", bates=layer.bates, stamp=layer.stamp)
    return Page(number=layer.number, text=layer.text, method="text", bates=layer.bates, stamp=layer.stamp)


def _page_from_ocr(layer: _Layer, result: OcrResult, settings: ExtractionSettings) -> Page:
    ocr_text = _normalise(result.text)
    stamp = layer.stamp or find_stamp(ocr_text)
    bates = layer.bates or find_bates(ocr_text)
    ocr_body = _without_furniture(ocr_text, bates)
    ocr_readable = _word_count(ocr_body) > 0 and garbage_ratio(ocr_body) <= settings.max_garbage_ratio
    if not ocr_readable or _word_count(ocr_body) <= _word_count(layer.body):
        logger.debug("page %d: OCR read less than the text layer; keeping the text layer", layer.number)
        return _page_from_layer(layer)
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
    )


def _start_pool(path: Path, workers: int) -> ProcessPoolExecutor:
    # "spawn": a forked child would inherit the parent's MuPDF state and any threads mid-lock.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_open_in_worker,
        initargs=(str(path),),
    )


# The document each OCR worker process opened in `_open_in_worker`; set once per process so
# that a worker does not reopen (and re-parse) the PDF for every page it renders.
_worker_doc: pymupdf.Document | None = None


def _open_in_worker(path: str) -> None:
    global _worker_doc
    # The workers already use every core; Tesseract's own OpenMP threads would oversubscribe.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    _worker_doc = pymupdf.open(path, filetype="pdf")
    if _worker_doc.needs_pass:
        _worker_doc.authenticate("")


def _ocr_in_worker(index: int, dpi: int, language: str) -> OcrResult:
    assert _worker_doc is not None, "worker started without _open_in_worker"
    return ocr_image(render_page_png(_worker_doc.load_page(index), dpi), language=language)

"""Planted duplicates built from the sample PDFs, for the duplicate test and its benchmark.

Each *source* (a sample, or a run of pages of a long one) is stamped as a production would
stamp it and becomes the original; its variants are real PDFs made from it and read back
through `extract_pages`, so OCR is Tesseract's and Bates numbers are found as in a run:

* `restamped`: the same pages stamped with another prefix, other numbers and a legend (exact);
* `reocr`: every page rendered to a greyscale image, the text layer gone, read by OCR (exact);
* `page_added`: a page of another source appended (near); `page_removed`: the last page dropped (near);
* `edited`: the original's text with about 3% of its words replaced and some numbers changed (near).

Distinct sources are the negatives: their documents must never share a group. Parts of one long
opinion are hard negatives (one case, one judge's vocabulary, the same running heads).
"""

from __future__ import annotations

import random
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pymupdf

from docassets.core.models import Page
from docassets.core.pdf import ExtractionSettings, extract_pages

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
EXPECTED_KIND = {
    "restamped": "exact",
    "reocr": "exact",
    "page_added": "near",
    "page_removed": "near",
    "edited": "near",
}


@dataclass(frozen=True)
class Source:
    name: str
    file: str
    first_page: int  # 1-based
    last_page: int
    split: str  # "tuning" or "heldout"


@dataclass(frozen=True)
class PlantedDocument:
    document_id: str  # "<source>/<variant>"
    source: str
    variant: str  # "original" or one of EXPECTED_KIND's keys
    pages: tuple[Page, ...]


def _pages_of(source: Source) -> pymupdf.Document:
    doc = pymupdf.open()
    with pymupdf.open(SAMPLES / source.file) as original:
        doc.insert_pdf(original, from_page=source.first_page - 1, to_page=source.last_page - 1)
    return doc


def _stamp(doc: pymupdf.Document, prefix: str, start: int, legend: str | None = None) -> bytes:
    for number, page in enumerate(doc.pages(), start=start):
        footer = page.rect.height - 22
        if legend:
            page.insert_text((36, footer), legend, fontsize=8)
        page.insert_text((page.rect.width - 140, footer), f"{prefix}{number:06d}", fontsize=10)
    return doc.tobytes()


def _rescanned(pdf: bytes, dpi: int = 200) -> bytes:
    """An image-only copy: what printing and scanning the pages again gives."""
    out = pymupdf.open()
    with pymupdf.open(stream=pdf) as doc:
        for page in doc:
            image = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            out.new_page(width=page.rect.width, height=page.rect.height).insert_image(page.rect, pixmap=image)
    return out.tobytes()


def _edited(pages: tuple[Page, ...], seed: int) -> tuple[Page, ...]:
    """About one word in 30 replaced by another word of the page, one number in three changed."""
    rng = random.Random(seed)
    edited = []
    for page in pages:
        words = re.findall(r"[A-Za-z]{4,}", page.text)

        def swap_word(match: re.Match[str], words: list[str] = words) -> str:
            return rng.choice(words) if rng.random() < 1 / 30 else match.group()

        def change_number(match: re.Match[str]) -> str:
            return str(int(match.group()) + rng.randint(1, 9)) if rng.random() < 1 / 3 else match.group()

        text = re.sub(r"\d{2,4}", change_number, re.sub(r"[A-Za-z]{4,}", swap_word, page.text))
        edited.append(replace(page, text=text, bates=None))
    return tuple(edited)


def _read(pdf: bytes, name: str, workers: int) -> tuple[Page, ...]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return tuple(extract_pages(file.name, name=name, settings=ExtractionSettings(workers=workers)))


def planted_documents(sources: list[Source], *, workers: int = 2) -> list[PlantedDocument]:
    """The originals and variants of `sources`; `page_added` takes its page from the next source."""
    documents = []
    for index, source in enumerate(sources):
        neighbour = sources[(index + 1) % len(sources)]
        original = _stamp(_pages_of(source), "WOMBAT ", 1 + 1000 * index)
        added = _pages_of(source)
        with _pages_of(neighbour) as other:
            added.insert_pdf(other, from_page=0, to_page=0)
        pdfs = {
            "original": original,
            "restamped": _stamp(_pages_of(source), "PLTF-", 501 + 1000 * index, "CONFIDENTIAL"),
            "reocr": _rescanned(original),
            "page_added": _stamp(added, "WOMBAT ", 1 + 1000 * index),
        }
        if source.last_page - source.first_page >= 2:  # a page removed from two leaves too little to compare
            removed = _pages_of(source)
            removed.delete_page(-1)
            pdfs["page_removed"] = _stamp(removed, "WOMBAT ", 1 + 1000 * index)
        read = {variant: _read(pdf, f"{source.name}-{variant}.pdf", workers) for variant, pdf in pdfs.items()}
        read["edited"] = _edited(read["original"], seed=index)
        documents += [
            PlantedDocument(f"{source.name}/{variant}", source.name, variant, pages)
            for variant, pages in read.items()
        ]
    return documents


# Up to four pages a source keeps the benchmark's OCR to a few minutes on two cores.
SOURCES = [
    Source("scotus-a", "scotus-tarrant-opinion.pdf", 3, 6, "tuning"),
    Source("scotus-b", "scotus-tarrant-opinion.pdf", 7, 10, "tuning"),
    Source("scotus-c", "scotus-tarrant-opinion.pdf", 11, 14, "tuning"),
    Source("mo-opinion", "mo-court-of-appeals-opinion.pdf", 1, 4, "tuning"),
    Source("tn-appeals", "tn-appeals-board-diaz-opinion.pdf", 1, 3, "tuning"),
    Source("dcolo-complaint", "dcolo-complaint-first-page.pdf", 1, 1, "tuning"),
    Source("docket-notice", "notice-of-docket-activity.pdf", 1, 4, "tuning"),
    Source("tn-order-scan", "tn-workers-comp-order-scan.pdf", 1, 1, "tuning"),
    Source("tax-a", "tax-court-memo-bordelon.pdf", 3, 6, "heldout"),
    Source("tax-b", "tax-court-memo-bordelon.pdf", 7, 10, "heldout"),
    Source("tax-c", "tax-court-memo-bordelon.pdf", 11, 14, "heldout"),
    Source("ca5-filing", "ca5-filing-00516242060.pdf", 1, 4, "heldout"),
    Source("ca10-filing", "ca10-filing-010110462922.pdf", 1, 1, "heldout"),
    Source("disclosure-lucero", "judicial-disclosure-lucero.pdf", 1, 4, "heldout"),
    Source("disclosure-scan", "judicial-disclosure-2014-scan.pdf", 1, 4, "heldout"),
    Source("ca4-scan", "ca4-filing-17-scan.pdf", 1, 1, "heldout"),
]

"""Discovery productions shaped like real ones, made from the public filings in `samples/`.

* `scanned_production`: every page a greyscale JPEG scan with scanner grain and no text layer;
  the Bates number exists only in the pixels, and chosen pages have it smudged or cut off, as a
  real production's stamps sometimes are.
* `text_production`: pages with a text layer and a Bates footer, some pages without one.

Benchmarks use the same functions (`benchmarks/text_extraction.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pymupdf

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
# Text-layer filings whose pages are "scanned": rendered, stamped and re-embedded as images.
SOURCE_PAGES = [("scotus-tarrant-opinion.pdf", n) for n in range(2, 28)] + [
    ("tax-court-memo-bordelon.pdf", n) for n in range(1, 31)
]
STAMP_POINTS = 11
LEGEND = "CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER"


def bates_number(prefix: str, first: int, index: int) -> str:
    return f"{prefix} {first + index:06d}"


def _source_pages() -> Iterator[tuple[pymupdf.Document, int]]:
    opened = {}
    while True:
        for name, number in SOURCE_PAGES:
            if name not in opened:
                opened[name] = pymupdf.open(SAMPLES / name)
            yield opened[name], number


def _stamped_page(source: pymupdf.Document, number: int, bates: str, damage: str | None) -> pymupdf.Document:
    """One page: the source page with a production legend and Bates stamp drawn on it."""
    page_doc = pymupdf.open()
    page = page_doc.new_page(width=612, height=792)
    page.show_pdf_page(page.rect, source, number)
    footer = page.rect.height - 18
    page.insert_text((36, footer), LEGEND, fontsize=8)
    width = pymupdf.get_text_length(bates, fontsize=STAMP_POINTS)
    x = page.rect.width - 36 - width
    if damage == "cut":  # the scanner cut the stamp off below its top edge
        page.insert_text((x, page.rect.height + 6), bates, fontsize=STAMP_POINTS)
    else:
        page.insert_text((x, footer), bates, fontsize=STAMP_POINTS)
    if damage == "smudge":  # an ink smear over the stamp
        smear = pymupdf.Rect(x - 6, footer - STAMP_POINTS - 2, x + width + 6, footer + 5)
        page.draw_rect(smear, color=None, fill=(0.15, 0.15, 0.15), fill_opacity=0.92)
    return page_doc


def scanned_production(
    path: Path,
    pages: int,
    *,
    prefix: str = "WOMBAT",
    first: int = 454,
    damaged: Mapping[int, str] | None = None,
    dpi: int = 300,
    seed: int = 7,
) -> list[str | None]:
    """Write a scanned production of `pages` pages; return each page's readable Bates number
    (None where `damaged` maps the 1-based page to "smudge" or "cut")."""
    damaged = damaged or {}
    rng = np.random.default_rng(seed)
    out = pymupdf.open()
    expected: list[str | None] = []
    for index, (source, number) in zip(range(pages), _source_pages(), strict=False):
        bates = bates_number(prefix, first, index)
        damage = damaged.get(index + 1)
        with _stamped_page(source, number, bates, damage) as stamped:
            pixmap = stamped[0].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
        grain = rng.normal(0, 10, pixmap.height * pixmap.width)
        pixels = np.frombuffer(pixmap.samples, dtype=np.uint8).astype(np.int16) + grain.astype(np.int16)
        noisy = pymupdf.Pixmap(
            pymupdf.csGRAY,
            pixmap.width,
            pixmap.height,
            np.clip(pixels, 0, 255).astype(np.uint8).tobytes(),
            False,
        )
        page = out.new_page(width=612, height=792)
        page.insert_image(page.rect, stream=noisy.tobytes("jpeg", jpg_quality=80))
        expected.append(None if damage else bates)
    out.save(path, garbage=1, deflate=True)
    out.close()
    return expected


def text_production(
    path: Path, pages: int, *, prefix: str = "WOMBAT", first: int = 1, unstamped: frozenset[int] = frozenset()
) -> list[str | None]:
    """Write a production with a text layer and a Bates footer on every page but `unstamped` (1-based);
    return each page's Bates number."""
    out = pymupdf.open()
    expected: list[str | None] = []
    for index, (source, number) in zip(range(pages), _source_pages(), strict=False):
        page = out.new_page(width=612, height=792)
        page.show_pdf_page(page.rect, source, number)
        if index + 1 in unstamped:
            expected.append(None)
            continue
        bates = bates_number(prefix, first, index)
        page.insert_text((page.rect.width - 130, page.rect.height - 18), bates, fontsize=10)
        expected.append(bates)
    out.save(path, garbage=1, deflate=True)
    out.close()
    return expected

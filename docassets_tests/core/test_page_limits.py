"""Resource limits and plain causes when reading PDFs: oversized pages are refused before they are
rendered, a Tesseract process that runs too long is stopped, a cut-off file is called truncated;
all as `DocumentUnreadable`, which a run does not retry."""

import resource
import tempfile
from pathlib import Path

import pymupdf
import pytest

from docassets.core.pdf import (
    DocumentUnreadable,
    ExtractionSettings,
    OcrTimedOut,
    PageTooLarge,
    extract_pages,
)

from ..conftest import sample

SIDE = 14_400  # points: 200 inches, the largest page PDF allows


def _with_giant_scan(target: Path) -> Path:
    """A real first page, then a 14,400-point page holding only an image (a 'scan': OCR would render it)."""
    with pymupdf.open(sample("ca10-filing-010110462922.pdf")) as original, pymupdf.open() as pdf:
        pdf.insert_pdf(original, from_page=0, to_page=0)
        giant = pdf.new_page(width=SIDE, height=SIDE)
        grain = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 64, 64), False)
        grain.clear_with(200)
        giant.insert_image(giant.rect, pixmap=grain)
        pdf.save(target)
    return target


def test_a_giant_page_is_refused_before_it_is_rendered(tmp_path):
    path = _with_giant_scan(tmp_path / "blueprint.pdf")
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pages = extract_pages(path, name="blueprint.pdf", settings=ExtractionSettings(workers=1))
    assert next(pages).number == 1  # the good page before it is read
    with pytest.raises(PageTooLarge) as refused:
        next(pages)
    message = str(refused.value)
    assert message.startswith("blueprint.pdf: page 2 is 14,400 x 14,400 points")
    assert "3,600 megapixels" in message and "DOCASSETS_MAX_PAGE_MEGAPIXELS" in message
    assert isinstance(refused.value, DocumentUnreadable)
    # Rendered, the page would be 3.6 GB of grey pixels (or MuPDF's "Overly large image").
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 200_000  # KiB


def test_the_page_limit_is_configurable():
    below_a_letter_page = ExtractionSettings(
        workers=1, max_page_megapixels=8
    )  # a letter page at 300 dpi is 8.4
    with pytest.raises(PageTooLarge) as refused:
        next(
            extract_pages(
                sample("tn-workers-comp-order-scan.pdf"), name="order-scan.pdf", settings=below_a_letter_page
            )
        )
    assert str(refused.value).startswith(
        "order-scan.pdf: page 1 is 618 x 796 points (8.6 x 11.1 in), 9 megapixels"
    )


def test_a_giant_page_with_a_text_layer_needs_no_rendering(tmp_path):
    path = tmp_path / "banner.pdf"
    with pymupdf.open() as pdf:
        pdf.new_page(width=SIDE, height=SIDE).insert_text(
            (72, 144), "IN THE UNITED STATES DISTRICT COURT " * 3
        )
        pdf.save(path)
    [page] = extract_pages(path, name="banner.pdf", settings=ExtractionSettings(workers=1))
    assert page.method == "text" and "DISTRICT COURT" in page.text


def test_tesseract_is_stopped_at_the_timeout_and_leaves_no_page_images(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    hurried = ExtractionSettings(workers=1, ocr_timeout_seconds=0.05)
    with pytest.raises(OcrTimedOut) as stopped:
        list(extract_pages(sample("tn-workers-comp-order-scan.pdf"), name="order-scan.pdf", settings=hurried))
    assert str(stopped.value).startswith(
        "order-scan.pdf: page 1: Tesseract did not finish reading it within 0.05 s"
    )
    assert isinstance(stopped.value, DocumentUnreadable)
    assert list(tmp_path.iterdir()) == []  # the rendered page image is gone


@pytest.mark.parametrize("kept_bytes", [100, 3000, 17_000])  # cannot open; repaired, no pages
def test_a_truncated_file_is_called_truncated_without_internal_paths(tmp_path, kept_bytes):
    cut = tmp_path / "exhibit.pdf"
    cut.write_bytes(sample("ca10-filing-010110462922.pdf").read_bytes()[:kept_bytes])
    with pytest.raises(DocumentUnreadable) as unreadable:
        list(extract_pages(cut, name="exhibit.pdf"))
    message = str(unreadable.value)
    assert message.startswith("exhibit.pdf: truncated PDF")
    assert str(tmp_path) not in message and "/tmp" not in message

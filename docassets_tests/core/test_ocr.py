"""Rendering a page and reading it with the real Tesseract."""

import io
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from docassets.core.ocr import (
    TesseractFailed,
    TesseractMissing,
    ocr_image,
    render_page_png,
    tesseract_version,
)

SAMPLES = Path(__file__).parents[2] / "samples"


@pytest.fixture(scope="module")
def typed_order_png() -> bytes:
    """A small page with two known lines of 14 pt text, rendered as a scanner would."""
    doc = pymupdf.open()
    page = doc.new_page(width=420, height=140)
    page.insert_text((30, 50), "IN THE SUPREME COURT OF TENNESSEE", fontsize=14)
    page.insert_text((30, 90), "Order granting summary judgment", fontsize=14)
    return render_page_png(page, 300)


def test_the_installed_tesseract_is_version_5():
    assert tesseract_version().split(".")[0] == "5"


def test_a_missing_tesseract_says_how_to_install_it(monkeypatch, tmp_path, typed_order_png):
    # A machine without Tesseract: nothing called `tesseract` on PATH.
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TesseractMissing, match="apt-get install tesseract-ocr"):
        tesseract_version()
    with pytest.raises(TesseractMissing, match="install Tesseract"):
        ocr_image(typed_order_png)


def test_a_page_renders_as_a_grayscale_png_at_the_requested_dpi():
    with pymupdf.open(SAMPLES / "tn-workers-comp-order-scan.pdf") as doc:
        page = doc[0]
        png = render_page_png(page, 150)
        width, height = page.rect.width, page.rect.height
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.mode == "L"
        # MuPDF rounds a fractional pixel edge outwards
        assert abs(image.width - width / 72 * 150) <= 1
        assert abs(image.height - height / 72 * 150) <= 1


def test_ocr_reads_the_words_line_by_line_with_a_confidence(typed_order_png):
    result = ocr_image(typed_order_png)
    lines = [line for line in result.text.splitlines() if line]
    assert lines == ["IN THE SUPREME COURT OF TENNESSEE", "Order granting summary judgment"]
    assert result.confidence is not None and result.confidence > 85


def test_a_blank_page_has_no_text_and_no_confidence():
    doc = pymupdf.open()
    blank = render_page_png(doc.new_page(), 150)
    assert ocr_image(blank).text == ""
    assert ocr_image(blank).confidence is None


def test_an_unknown_language_is_reported_by_tesseract(typed_order_png):
    with pytest.raises(TesseractFailed, match="'xyz'"):
        ocr_image(typed_order_png, language="xyz")


@pytest.mark.slow
def test_an_upside_down_scan_is_turned_upright_and_read():
    with pymupdf.open(SAMPLES / "tn-workers-comp-order-scan.pdf") as doc:
        png = render_page_png(doc[0], 300)
    with Image.open(io.BytesIO(png)) as image:
        buffer = io.BytesIO()
        image.rotate(180).save(buffer, format="PNG", dpi=(300, 300))
    upside_down = buffer.getvalue()

    as_scanned = ocr_image(upside_down, orientation_below=None)
    assert "TENNESSEE BUREAU OF WORKERS" not in as_scanned.text
    assert as_scanned.confidence is not None and as_scanned.confidence < 45 and as_scanned.rotation == 0

    turned = ocr_image(upside_down)
    assert turned.rotation == 180
    assert "TENNESSEE BUREAU OF WORKERS" in turned.text and "summary judgment" in turned.text
    assert turned.confidence is not None and turned.confidence > 85

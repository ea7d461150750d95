"""Tesseract OCR of one rendered page, with Tesseract's own word confidences."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pymupdf
import pytesseract
from PIL import Image

_INSTALL_HINT = (
    "the `tesseract` program was not found; install Tesseract OCR 5 with its English data "
    "(Debian/Ubuntu: `apt-get install tesseract-ocr tesseract-ocr-eng`; macOS: `brew install "
    "tesseract`) or put it on PATH"
)


class TesseractMissing(RuntimeError):
    """The Tesseract program is not installed or not on PATH."""


@dataclass(frozen=True)
class OcrResult:
    """What Tesseract read on one page."""

    text: str  # one line per recognised line; a blank line between Tesseract's paragraphs
    confidence: float | None  # mean word confidence 0-100; None when no words were read


def tesseract_version() -> str:
    """The installed Tesseract version, e.g. "5.3.0"; raises `TesseractMissing` without one."""
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError as error:
        raise TesseractMissing(_INSTALL_HINT) from error


def render_page_png(doc_page: pymupdf.Page, dpi: int) -> bytes:
    """The page as a grayscale PNG at `dpi`: Tesseract binarises anyway, and gray is 3x smaller."""
    pixmap = doc_page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    return pixmap.tobytes("png")


def ocr_image(png: bytes, *, language: str = "eng") -> OcrResult:
    """Read the text of a page image with Tesseract, keeping its line and paragraph breaks.

    One `image_to_data` call gives both the words (with their block, paragraph and line
    numbers, from which the text is rebuilt) and their confidences, so Tesseract runs once.
    """
    try:
        with Image.open(io.BytesIO(png)) as image:
            data = pytesseract.image_to_data(
                image, lang=language, output_type=pytesseract.Output.DICT
            )
    except pytesseract.TesseractNotFoundError as error:
        raise TesseractMissing(_INSTALL_HINT) from error

    paragraphs: dict[tuple[int, int, int], dict[int, list[str]]] = {}
    confidences: list[float] = []
    for word, confidence, page, block, paragraph, line in zip(
        data["text"], data["conf"], data["page_num"], data["block_num"],
        data["par_num"], data["line_num"],
    ):
        if not word.strip():
            continue  # layout rows (blocks, lines) carry no word and a confidence of -1
        paragraphs.setdefault((page, block, paragraph), {}).setdefault(line, []).append(word)
        confidences.append(float(confidence))

    text = "\n\n".join(
        "\n".join(" ".join(words) for words in lines.values()) for lines in paragraphs.values()
    )
    confidence = round(sum(confidences) / len(confidences), 2) if confidences else None
    return OcrResult(text=text, confidence=confidence)

"""Tesseract OCR of one rendered page, with Tesseract's own word confidences and orientation.

Tesseract runs as one `tesseract` process per page, reading an uncompressed image file and
writing TSV (words with their layout numbers and confidences) to its stdout, so one run gives
both the text and the confidence. Compared with handing a PIL image to pytesseract, this skips
a PNG decode and re-encode and a temporary output file per page (about a tenth of Tesseract's
own time on a 300 dpi page), it does not import pytesseract (and with it pandas: 0.3 s in every
OCR worker), and it lets each call limit Tesseract's OpenMP threads: parallelism comes from
running several pages at once (see `docassets.core.pdf`), and OpenMP threads on top of that only
contend for the same cores.

A page that reads with a low mean confidence may be lying on its side (a landscape map or
table scanned into a portrait page). Such a page is put through Tesseract's orientation and
script detection (`--psm 0`), and if that finds it rotated, it is turned upright and read again;
the reading with the higher confidence is kept.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pymupdf
from PIL import Image

TESSERACT = "tesseract"  # the program, looked up on PATH (as `docassets doctor` does)
_INSTALL_HINT = (
    "the `tesseract` program was not found; install Tesseract OCR 5 with its English data "
    "(Debian/Ubuntu: `apt-get install tesseract-ocr tesseract-ocr-eng`; macOS: `brew install "
    "tesseract`) or put it on PATH"
)
# Below this mean word confidence a page is checked for being rotated. On the samples, upright
# court text reads at 80-96 and the poorly scanned disclosure form at 50-84; pages lying on
# their side or upside down read at 30-37 (the Supreme Court opinion's maps, the scanned order
# turned by 180 or 270 degrees) and at 57-95 once turned upright. A check costs one OSD run
# (about as long as reading the page) and, if a rotation is found, a second reading.
DEFAULT_ORIENTATION_BELOW = 45.0
# Tesseract's orientation confidence is a log-odds-like score: about 1-2 on a page of few
# words, 4-30 on a page of text. Below this the detected rotation is not trusted.
_MIN_ORIENTATION_CONFIDENCE = 1.0
_ROTATE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_ORIENTATION_CONFIDENCE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)


class TesseractMissing(RuntimeError):
    """The Tesseract program is not installed or not on PATH."""


class TesseractFailed(RuntimeError):
    """Tesseract ran but could not read the image (an unknown language, an unreadable file)."""


class TesseractTimedOut(TesseractFailed):
    """Tesseract was stopped after running longer than the caller's timeout."""


@dataclass(frozen=True)
class OcrResult:
    """What Tesseract read on one page."""

    text: str  # one line per recognised line; a blank line between Tesseract's paragraphs
    confidence: float | None  # mean word confidence 0-100; None when no words were read
    rotation: int = 0  # degrees the image was turned clockwise before this reading (0, 90, 180, 270)


def tesseract_version() -> str:
    """The installed Tesseract version, e.g. "5.3.0"; raises `TesseractMissing` without one."""
    first_line = _run(["--version"]).stdout.split("\n", 1)[0]  # "tesseract 5.3.0"
    return first_line.split()[-1]


def render_page(doc_page: pymupdf.Page, dpi: int) -> pymupdf.Pixmap:
    """The page as a grayscale pixmap at `dpi`: Tesseract binarises anyway, and gray is 3x smaller."""
    return doc_page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)


def render_page_png(doc_page: pymupdf.Page, dpi: int) -> bytes:
    """The page as a grayscale PNG at `dpi` (compact, for storing or showing a page image)."""
    png: bytes = render_page(doc_page, dpi).tobytes("png")  # type: ignore[no-untyped-call]  # pymupdf: no annotations
    return png


def write_page_image(doc_page: pymupdf.Page, path: Path, *, dpi: int = 300) -> None:
    """Render a page at `dpi` into an uncompressed grayscale BMP file for Tesseract to read.

    A BMP is written without compressing, many times faster than a PNG, and Tesseract reads both
    equally fast.
    """
    render_page(doc_page, dpi).pil_save(path, format="BMP", dpi=(dpi, dpi))  # type: ignore[no-untyped-call]  # pymupdf


def ocr_image(
    image: bytes,
    *,
    language: str = "eng",
    orientation_below: float | None = DEFAULT_ORIENTATION_BELOW,
) -> OcrResult:
    """Read the text of a page image (PNG, BMP, TIFF, JPEG, ...); see `ocr_image_file`."""
    with tempfile.TemporaryDirectory(prefix="docassets-ocr-") as folder:
        path = Path(folder) / "page"
        path.write_bytes(image)
        return ocr_image_file(path, language=language, orientation_below=orientation_below)


def ocr_image_file(
    path: Path,
    *,
    language: str = "eng",
    orientation_below: float | None = DEFAULT_ORIENTATION_BELOW,
    timeout: float | None = None,
) -> OcrResult:
    """Read the text of a page image file, keeping its line and paragraph breaks.

    When the mean confidence is below `orientation_below` (None: never), the page's orientation
    is detected and, if it is rotated, the upright image is read as well; the reading with the
    higher confidence is returned, with the rotation that produced it. Each Tesseract process
    is stopped after `timeout` seconds (None: never), raising `TesseractTimedOut`.
    """
    result = _read(path, language, timeout)
    # No words at all is a blank page, not a turned one: a page on its side reads as soup.
    if orientation_below is None or result.confidence is None or result.confidence >= orientation_below:
        return result
    rotation = _detect_rotation(path, timeout)
    if not rotation:
        return result
    upright_path = path.with_name(f"{path.name}-upright.bmp")
    with Image.open(path) as original:
        # Tesseract's "Rotate: 90" means: turn the image 90 degrees clockwise to read it.
        original.rotate(-rotation, expand=True).save(
            upright_path, format="BMP", dpi=original.info.get("dpi", (300, 300))
        )
    try:
        turned = _read(upright_path, language, timeout)
    finally:
        upright_path.unlink(missing_ok=True)
    if (turned.confidence or 0.0) > result.confidence:
        return OcrResult(text=turned.text, confidence=turned.confidence, rotation=rotation)
    return result


def _run(args: list[str], timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    # One thread: pages are read in parallel by separate processes instead (see the docstring).
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        return subprocess.run(
            [TESSERACT, *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            check=False,
            timeout=timeout,  # on expiry subprocess kills tesseract and waits for it
        )
    except FileNotFoundError as error:
        raise TesseractMissing(_INSTALL_HINT) from error
    except subprocess.TimeoutExpired:
        raise TesseractTimedOut(f"tesseract {' '.join(args[1:])} ran longer than {timeout:g} s") from None


def _read(path: Path, language: str, timeout: float | None = None) -> OcrResult:
    process = _run([str(path), "stdout", "-l", language, "tsv"], timeout)
    if process.returncode != 0:
        raise TesseractFailed(
            f"tesseract exited with status {process.returncode} reading a page with language "
            f"{language!r}: {process.stderr.strip()[-500:]}"
        )
    return _parse_tsv(process.stdout)


def _parse_tsv(tsv: str) -> OcrResult:
    """Rebuild the text from Tesseract's TSV: words joined by line, lines by paragraph."""
    paragraphs: dict[tuple[str, str, str], dict[str, list[str]]] = {}
    confidences: list[float] = []
    for row in tsv.splitlines()[1:]:  # the first row is the header
        fields = row.split("\t")
        if len(fields) < 12 or fields[0] != "5":  # level 5: a word; the others are layout rows
            continue
        word = fields[11]
        if not word.strip():
            continue
        page, block, paragraph, line = fields[1:5]
        paragraphs.setdefault((page, block, paragraph), {}).setdefault(line, []).append(word)
        confidences.append(float(fields[10]))
    text = "\n\n".join(
        "\n".join(" ".join(words) for words in lines.values()) for lines in paragraphs.values()
    )
    confidence = round(sum(confidences) / len(confidences), 2) if confidences else None
    return OcrResult(text=text, confidence=confidence)


def _detect_rotation(path: Path, timeout: float | None = None) -> int:
    """Degrees clockwise that would make the page upright, per Tesseract's OSD; 0 when unsure.

    OSD needs `osd.traineddata` (Debian's `tesseract-ocr` package installs it) and enough
    characters on the page; without either, the page is taken as it is.
    """
    process = _run([str(path), "stdout", "--psm", "0", "-l", "osd"], timeout)
    rotate = _ROTATE.search(process.stdout)
    confidence = _ORIENTATION_CONFIDENCE.search(process.stdout)
    if process.returncode != 0 or not rotate or not confidence:
        return 0
    if float(confidence.group(1)) < _MIN_ORIENTATION_CONFIDENCE:
        return 0
    return int(rotate.group(1)) % 360

"""Scanned pages carrying an old OCR text layer, made from the public filings in `samples/`.

A real page is rendered into a greyscale image and embedded as a scan; over it goes an
invisible text layer (render mode 3, as OCR software writes one), line by line: the page's own
words, garbled as old OCR engines garble them ("rn" read as "m", "h" as "b", "l" as "1",
stray "~" and "|"), or another OCR reading of the same image.
"""

from __future__ import annotations

import random
from pathlib import Path

import pymupdf

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
# Glyph confusions of old OCR engines, each (printed, read as).
CONFUSIONS = [
    ("rn", "m"),
    ("m", "rn"),
    ("h", "b"),
    ("e", "c"),
    ("c", "e"),
    ("l", "1"),
    ("o", "0"),
    ("i", "l"),
    ("u", "n"),
    ("t", "f"),
    ("a", "o"),
    ("n", "ri"),
]
STRAY = ["~", "|", "«", "^", "¦", "»"]


def garbled_lines(text: str, rate: float, seed: int = 11) -> list[str]:
    """`text`'s lines with about `rate` of their words misread, and a stray mark now and then."""
    rng = random.Random(seed)
    lines = []
    for line in text.splitlines():
        words = []
        for word in line.split():
            if rng.random() < rate:
                options = [(printed, read) for printed, read in CONFUSIONS if printed in word]
                if options:
                    printed, read = rng.choice(options)
                    at = rng.choice([i for i in range(len(word)) if word.startswith(printed, i)])
                    word = word[:at] + read + word[at + len(printed) :]
                else:
                    word += rng.choice(STRAY)
            if rng.random() < rate / 6:
                words.append(rng.choice(STRAY))
            words.append(word)
        lines.append(" ".join(words))
    return lines


def page_text(sample: str, index: int) -> str:
    with pymupdf.open(SAMPLES / sample) as doc:
        return doc[index].get_text()


def scan_with_layer(sample: str, index: int, layer: list[str], path: Path, dpi: int = 150) -> Path:
    """Page `index` of `sample` as a one-page scan at `dpi` whose invisible text layer is `layer`."""
    with pymupdf.open(SAMPLES / sample) as doc:
        page = doc[index]
        image = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY).tobytes("png")
        rect = page.rect
    out = pymupdf.open()
    scan = out.new_page(width=rect.width, height=rect.height)
    scan.insert_image(rect, stream=image)
    step = (rect.height - 72) / max(len(layer), 1)
    for row, line in enumerate(layer):
        scan.insert_text((36, 40 + step * row), line, fontsize=min(9, step * 0.9), render_mode=3)
    out.save(path)
    return path

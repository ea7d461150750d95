"""Validating PDFs and reading their pages from the text layer or by OCR, on the real samples."""

import hashlib
import itertools
import os
import random
from pathlib import Path

import pymupdf
import pytest

from docassets.core.models import Page
from docassets.core.ocr import ocr_image
from docassets.core.pdf import (
    DocumentUnreadable,
    ExtractionSettings,
    _bounds,
    _Layer,
    _token_counts,
    _visible_chars,
    extract_pages,
    garbage_ratio,
    inspect_pdf,
)
from docassets_tests.old_ocr import garbled_lines, page_text, scan_with_layer

SAMPLES = Path(__file__).parents[2] / "samples"
IN_PROCESS = ExtractionSettings(workers=1)
CAFC_STAMP = "Case: 21-1298 Document: 42 Page: 1 Date Filed: 08/31/2022"
# Scans and header-only layers, with a text page between them, as one 4-page file:
# OCR is the slow part, so each scanned sample is OCRed once per pool size.
MIXED = [
    "tn-workers-comp-order-scan.pdf",
    "dcolo-complaint-first-page.pdf",
    "cafc-header-only-text-layer.pdf",
    "ca4-filing-17-scan.pdf",
]


def _combine(samples: list[str], path: Path) -> Path:
    out = pymupdf.open()
    for sample in samples:
        with pymupdf.open(SAMPLES / sample) as doc:
            out.insert_pdf(doc)
    out.save(path)
    return path


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory) -> Path:
    return _combine(MIXED, tmp_path_factory.mktemp("mixed") / "mixed.pdf")


@pytest.fixture(scope="module")
def mixed_in_process(mixed_pdf) -> tuple[list[Page], list[tuple[int, int]]]:
    progress: list[tuple[int, int]] = []
    pages = list(
        extract_pages(
            mixed_pdf,
            name="mixed.pdf",
            settings=IN_PROCESS,
            on_progress=lambda done, total: progress.append((done, total)),
        )
    )
    return pages, progress


# --- validation -------------------------------------------------------------------------------


def test_a_real_pdf_is_measured():
    path = SAMPLES / "mo-court-of-appeals-opinion.pdf"
    info = inspect_pdf(path, name=path.name)
    assert info.page_count == 5
    assert info.size == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.encrypted is False


def _unreadable(path: Path) -> str:
    """The message of the DocumentUnreadable both entry points raise for `path`."""
    with pytest.raises(DocumentUnreadable) as inspected:
        inspect_pdf(path, name="brief.pdf")
    # raised by the call itself, before any page is asked for
    with pytest.raises(DocumentUnreadable) as extracted:
        extract_pages(path, name="brief.pdf")
    assert str(extracted.value) == str(inspected.value)
    message = str(inspected.value)
    assert message.startswith("brief.pdf: ")
    return message


def test_a_zero_byte_file_is_unreadable(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert "empty (0 bytes)" in _unreadable(path)


def test_random_bytes_are_not_a_pdf(tmp_path):
    path = tmp_path / "noise.pdf"
    path.write_bytes(random.Random(7).randbytes(4096))
    assert "not a PDF" in _unreadable(path)


def test_a_pdf_header_followed_by_garbage_is_corrupt(tmp_path):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(7).randbytes(4096))
    assert "corrupt" in _unreadable(path)


@pytest.mark.parametrize("sample", ["ca5-filing-00516242060.pdf", "tn-appeals-board-diaz-opinion.pdf"])
def test_a_truncated_copy_of_a_real_pdf_is_unreadable(tmp_path, sample):
    # Cut in half, ca5 still "opens" in MuPDF with 10 pages whose content is gone.
    data = (SAMPLES / sample).read_bytes()
    path = tmp_path / sample
    path.write_bytes(data[: len(data) // 2])
    message = _unreadable(path)
    assert "truncated" in message or "no pages" in message
    assert "upload" in message


def _encrypted_copy(tmp_path: Path, user_pw: str) -> Path:
    path = tmp_path / f"encrypted-{user_pw or 'empty'}.pdf"
    with pymupdf.open(SAMPLES / "tn-appeals-board-diaz-opinion.pdf") as doc:
        doc.save(
            path,
            encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]  # set at import time
            owner_pw="owner-secret",
            user_pw=user_pw,
        )
    return path


def test_a_pdf_with_a_user_password_is_unreadable(tmp_path):
    message = _unreadable(_encrypted_copy(tmp_path, "s3cret"))
    assert "encrypted with a user password" in message
    assert "remove it" in message


def test_a_pdf_with_an_empty_user_password_is_encrypted_but_readable(tmp_path):
    path = _encrypted_copy(tmp_path, "")
    info = inspect_pdf(path, name=path.name)
    assert info.encrypted is True
    assert info.page_count == 3
    pages = list(extract_pages(path, name=path.name, settings=IN_PROCESS))
    assert [page.method for page in pages] == ["text"] * 3
    assert "Ruben Diaz" in pages[0].text


# --- text layer -------------------------------------------------------------------------------


def test_opinion_pages_with_a_text_layer_are_read_from_it():
    path = SAMPLES / "scotus-tarrant-opinion.pdf"
    # the first 28 pages; 29-30 are map images and would be OCRed
    pages = list(itertools.islice(extract_pages(path, name=path.name, settings=IN_PROCESS), 28))
    assert [page.number for page in pages] == list(range(1, 29))
    assert {page.method for page in pages} == {"text"}
    assert {page.ocr_confidence for page in pages} == {None}
    assert "TARRANT REGIONAL WATER" in pages[1].text
    assert "Red River Compact" in pages[0].text
    assert all("\n\n\n" not in page.text and page.text == page.text.strip() for page in pages)


def test_a_text_page_keeps_its_cm_ecf_stamp_in_text_and_record():
    path = SAMPLES / "ca5-filing-00516242060.pdf"
    pages = list(extract_pages(path, name=path.name, settings=IN_PROCESS))
    assert len(pages) == 10 and {page.method for page in pages} == {"text"}
    for page in pages:
        assert page.stamp == (
            f"Case: 21-50498      Document: 00516242060     Page: {page.number}     Date Filed: 03/16/2022"
        )
        assert page.stamp in page.text


def test_a_blank_page_is_empty_even_with_a_stamp(tmp_path):
    doc = pymupdf.open()
    doc.new_page()
    doc.new_page().insert_text((72, 40), CAFC_STAMP, fontsize=9)
    path = tmp_path / "blank.pdf"
    doc.save(path)
    pages = list(extract_pages(path, name=path.name, settings=IN_PROCESS))
    assert [(page.method, page.text) for page in pages] == [("empty", ""), ("empty", "")]
    assert pages[1].stamp == CAFC_STAMP


# --- OCR --------------------------------------------------------------------------------------


def test_a_scanned_order_is_ocred_with_the_courts_name_and_a_confidence(mixed_in_process):
    order = mixed_in_process[0][0]
    assert order.method == "ocr"
    assert "TENNESSEE BUREAU OF WORKERS" in order.text
    assert "Charles R. Goodwin" in order.text
    assert "summary judgment" in order.text
    assert order.ocr_confidence is not None and 80 < order.ocr_confidence <= 100
    assert order.stamp is None and order.bates is None


def test_a_text_page_between_scans_stays_text(mixed_in_process):
    complaint = mixed_in_process[0][1]
    assert complaint.method == "text" and complaint.ocr_confidence is None
    assert "BERKSHIRE LIFE INSURANCE COMPANY OF AMERICA" in complaint.text
    assert complaint.stamp.startswith("Case 1:21-cv-01061-KLM")


def test_header_only_text_layers_are_ocred_and_keep_their_stamp(mixed_in_process):
    cafc, ca4 = mixed_in_process[0][2:]
    assert cafc.method == "ocr" and ca4.method == "ocr"
    assert cafc.stamp == CAFC_STAMP
    assert "UNITED" in cafc.text.splitlines()
    assert ca4.stamp == "Appeal: 17-2218      Doc: 17            Filed: 10/31/2017      Pg: 1 of 1"
    assert "APPEARANCE OF COUNSEL FORM" in ca4.text
    assert "Stephen M. Russell" in ca4.text
    # ca4's stamp is printed in pale red and OCR misses it; the text layer's copy leads the text
    assert ca4.text.splitlines()[0] == ca4.stamp
    assert cafc.ocr_confidence > 80 and ca4.ocr_confidence > 80


def test_page_numbers_run_in_order_and_progress_counts_every_page(mixed_in_process):
    pages, progress = mixed_in_process
    assert [page.number for page in pages] == [1, 2, 3, 4]
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.slow
def test_parallel_ocr_gives_the_same_pages_as_in_process_ocr(mixed_pdf, mixed_in_process):
    progress: list[tuple[int, int]] = []
    pages = list(
        extract_pages(
            mixed_pdf,
            name="mixed.pdf",
            settings=ExtractionSettings(workers=2),
            on_progress=lambda done, total: progress.append((done, total)),
        )
    )
    assert pages == mixed_in_process[0]
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.slow
def test_a_garbage_text_layer_is_replaced_by_ocr(tmp_path):
    """An invisible layer of symbol soup, as a broken font encoding or a bad old OCR leaves."""
    rng = random.Random(3)
    symbols = "!#$%&*+<=>@^{|}~¤¦¨¬±²³µ¶·¸¹º¼½¾×÷"
    with pymupdf.open(SAMPLES / "tn-workers-comp-order-scan.pdf") as doc:
        page = doc[0]
        for row in range(30):
            soup = " ".join("".join(rng.choices(symbols, k=rng.randint(2, 6))) for _ in range(10))
            page.insert_text((40, 60 + 22 * row), soup, fontsize=9, render_mode=3)
        layer = page.get_text()
        path = tmp_path / "garbage-layer.pdf"
        doc.save(path)
    assert garbage_ratio(layer) > 0.9

    (read,) = extract_pages(path, name=path.name, settings=IN_PROCESS)

    assert read.method == "ocr"
    assert "TENNESSEE BUREAU OF WORKERS" in read.text
    assert garbage_ratio(read.text) < 0.1


def test_a_scanned_page_with_a_bates_overlay_is_ocred_and_keeps_its_number(tmp_path):
    with pymupdf.open(SAMPLES / "cafc-header-only-text-layer.pdf") as doc:
        page = doc[0]
        page.insert_text((page.rect.width - 140, page.rect.height - 20), "WOMBAT 000454", fontsize=10)
        path = tmp_path / "WOMBAT 000454.pdf"
        doc.save(path)

    (read,) = extract_pages(path, name=path.name, settings=IN_PROCESS)

    assert read.method == "ocr"
    assert (read.bates, read.stamp) == ("WOMBAT 000454", CAFC_STAMP)
    assert "UNITED" in read.text and "WOMBAT 000454" in read.text


def test_a_scan_stamped_with_a_production_legend_is_still_ocred(tmp_path):
    """The legend is a text layer of 36 characters: enough for text, but not the page's text."""
    with pymupdf.open(SAMPLES / "ca4-filing-17-scan.pdf") as doc:
        page = doc[0]
        footer = page.rect.height - 14
        page.insert_text((36, footer), "CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER", fontsize=8)
        page.insert_text((page.rect.width - 120, footer), "WOMBAT 000454", fontsize=10)
        path = tmp_path / "WOMBAT 000454.pdf"
        doc.save(path)

    (read,) = extract_pages(path, name=path.name, settings=IN_PROCESS)

    assert read.method == "ocr"
    assert "APPEARANCE OF COUNSEL FORM" in read.text and "Stephen M. Russell" in read.text
    assert read.bates == "WOMBAT 000454"


@pytest.mark.parametrize(
    ("text", "garbage"),
    [
        ("The court held that 42 U.S.C. § 1983 applies; see Fed. R. Civ. P. 12(b)(6).", False),
        ("P-H’s LLC’s “[i]f 153–54 clerk@tn.gov 1:21-cv-01061-KLM $50,174 (PRWBX) ______ ) )", False),
        ("¤¦¨ ±²³µ ·¸¹º ¼½¾× ÷!#$ %&*+ Court", True),
        ("", False),
    ],
)
def test_garbage_ratio_tells_legal_text_from_symbol_soup(text, garbage):
    assert (garbage_ratio(text) > ExtractionSettings().max_garbage_ratio) is garbage


def test_default_workers_use_every_core():
    assert ExtractionSettings().workers == (os.cpu_count() or 1)


@pytest.mark.slow
def test_pages_lying_on_their_side_or_upside_down_are_read_upright(tmp_path):
    """A scan fed in the wrong way round and the Supreme Court opinion's landscape map."""
    out = pymupdf.open()
    with pymupdf.open(SAMPLES / "tn-workers-comp-order-scan.pdf") as order:
        out.insert_pdf(order)
    out[0].set_rotation(270)  # shown turned a quarter counter-clockwise, as a viewer would
    with pymupdf.open(SAMPLES / "scotus-tarrant-opinion.pdf") as opinion:
        out.insert_pdf(opinion, from_page=29, to_page=29)  # page 30: a map printed sideways
    path = tmp_path / "rotated.pdf"
    out.save(path)

    order_page, map_page = extract_pages(path, name=path.name, settings=ExtractionSettings(workers=2))

    assert order_page.method == "ocr"
    assert "TENNESSEE BUREAU OF WORKERS" in order_page.text and "Charles R. Goodwin" in order_page.text
    assert order_page.ocr_confidence is not None and order_page.ocr_confidence > 85
    assert map_page.method == "ocr"
    lines = map_page.text.splitlines()
    assert {"APPENDIX B", "OKLAHOMA", "ARKANSAS", "Tarrant Regional Water District"} <= set(lines)
    assert map_page.ocr_confidence is not None and map_page.ocr_confidence > 60


@pytest.mark.slow
def test_cheap_bounds_decide_every_page_as_exact_counts_would():
    """`_read_layer` decides text pages from byte-count bounds; they must never disagree with
    counting words, garbage and visible characters exactly (random legal-ish texts, soups,
    non-ASCII and odd whitespace, near every threshold)."""
    rng = random.Random(11)
    words = [
        "the",
        "Court",
        "held",
        "downstream",
        "NTSB",
        "PRWBX",
        "Bcdfg",
        "rhythm",
        "a",
        "12",
        "1,000",
        "Court.",
        "(b)",
        "U.S.",
        "12(b)(6)",
        "Ass'n",
        "[i]f",
        "3:21",
        "F.2d",
        "naïve",
        "Łukasz",
        "½",
    ]
    odd = [
        "-",
        ".",
        "()",
        "'",
        "/",
        "—",
        "“the",
        "Tarrant’s",
        "$15,000",
        "§5",
        "&",
        "a;b",
        "x+y",
        "###",
        "...",
        "中文",
        "a--",
        "\x1cx",
        "ǆǆǆǆǆ",
        "bcdfgé",
        "bcdfg1",
        "(bcdfg)",
        "___",
        "a_b",
        "x=y",
        "İstanbul",
        "xbcdfgx",
    ]
    spaces = [" ", " ", "\n", "\t", "\xa0", "\u2009", "\u3000", "\n\n", "\x1c", "\x85", "\u2028", "\r\n"]
    for _ in range(20_000):
        share = rng.choice([0.0, 0.05, 0.2, 0.3, 0.4, 0.6, 1.0])
        tokens = [
            rng.choice(odd) if rng.random() < share else rng.choice(words) for _ in range(rng.randint(0, 40))
        ]
        text = rng.choice(["", " ", "("]) + "".join(token + rng.choice(spaces) for token in tokens)
        word_count, garbage = _token_counts(text)
        visible = _visible_chars(text)
        ratio = garbage / (word_count + garbage) if word_count + garbage else 0.0

        def layer(
            text: str = text,
        ) -> _Layer:  # a fresh one each time: exact counts are cached once worked out
            return _Layer(number=1, text=text, stamp=None, bates=None, body=text, bounds=_bounds(text))

        assert layer().has_words() == (word_count > 0), repr(text)
        for limit in (0.0, 0.1, 0.33, 0.5, 1.0):
            assert layer().garbage_ratio_above(limit) == (ratio > limit), (repr(text), limit)
        for count in (1, 10, 25, 200):
            assert layer().has_visible_chars(count) == (visible >= count), (repr(text), count)


# --- scans under an old OCR text layer ---------------------------------------------------------


def test_a_scanned_opinion_under_a_poor_old_ocr_layer_is_read_again(tmp_path):
    """One word in three misread ("Ruben Dlaz", "Swltzer", "c0mpany"): word-shaped, so the
    garbage rule keeps such a layer; its reading score gives it away, and the fresh OCR is kept."""
    layer = garbled_lines(page_text("tn-appeals-board-diaz-opinion.pdf", 0), rate=0.3)
    path = scan_with_layer("tn-appeals-board-diaz-opinion.pdf", 0, layer, tmp_path / "diaz-scan.pdf")
    assert garbage_ratio("\n".join(layer)) < IN_PROCESS.max_garbage_ratio
    assert "Ruben Dlaz" in layer and "Kenneth M. Swltzer, Chief Judge" in layer

    (read,) = extract_pages(path, name=path.name, settings=IN_PROCESS)

    assert read.method == "ocr"
    assert read.layer_score is not None and read.layer_score < 0.8
    assert read.ocr_score is not None and read.ocr_score >= 0.95
    assert "Ruben Diaz" in read.text and "Kenneth M. Switzer, Chief Judge" in read.text
    assert "Create and Construct, LLC" in read.text


def test_a_scanned_disclosure_form_under_a_poor_old_ocr_layer_is_read_again(tmp_path):
    layer = garbled_lines(page_text("judicial-disclosure-lucero.pdf", 0), rate=0.3)
    path = scan_with_layer("judicial-disclosure-lucero.pdf", 0, layer, tmp_path / "lucero-scan.pdf")

    (read,) = extract_pages(path, name=path.name, settings=IN_PROCESS)

    assert read.method == "ocr"
    assert read.ocr_score is not None and read.layer_score is not None
    assert read.ocr_score - read.layer_score >= IN_PROCESS.reocr_margin
    assert "Carlos F Lucero" in read.text and "Financial Disclosure Report" in read.text


def test_a_scan_under_a_good_ocr_layer_keeps_it_and_its_score_without_ocr(tmp_path):
    words = page_text("judicial-disclosure-lucero.pdf", 0).splitlines()
    path = scan_with_layer("judicial-disclosure-lucero.pdf", 0, words, tmp_path / "lucero-scan.pdf")

    (read,) = extract_pages(path, name=path.name, settings=IN_PROCESS)

    assert (read.method, read.ocr_confidence, read.ocr_score) == ("text", None, None)
    assert read.layer_score is not None and read.layer_score >= IN_PROCESS.reocr_below
    assert read.text.splitlines()[:5] == [line.strip() for line in words if line.strip()][:5]


@pytest.mark.slow
def test_a_poor_scan_keeps_an_old_ocr_layer_that_fresh_ocr_reads_no_better(tmp_path):
    """A scanned disclosure form reads poorly by any OCR: its old layer (here Tesseract at
    110 dpi) is compared with the fresh reading, which is not better by the margin, so the layer
    stays, with both scores recorded."""
    with pymupdf.open(SAMPLES / "judicial-disclosure-2014-scan.pdf") as doc:
        old = ocr_image(doc[0].get_pixmap(dpi=110, colorspace=pymupdf.csGRAY).tobytes("png"))
        doc.select([0])
        scan = doc.tobytes()
    with pymupdf.open("pdf", scan) as doc:
        for row, line in enumerate(old.text.splitlines()):
            doc[0].insert_text((36, 40 + 12 * row), line, fontsize=8, render_mode=3)
        path = tmp_path / "disclosure-2014.pdf"
        doc.save(path)

    (read,) = extract_pages(path, name=path.name, settings=IN_PROCESS)

    assert read.method == "text"
    assert read.layer_score is not None and read.layer_score < IN_PROCESS.reocr_below
    assert read.ocr_score is not None and read.ocr_score < read.layer_score + IN_PROCESS.reocr_margin
    assert "FINANCIAL DISCLOSURE REPORT" in read.text

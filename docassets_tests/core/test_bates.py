"""Bates numbers and CM/ECF stamps, on plain strings, on the samples and on a generated production."""

from pathlib import Path

import pymupdf
import pytest

from docassets.core.bates import (
    bates_gaps,
    bates_range_from_filename,
    find_bates,
    find_stamp,
    stamp_spans,
)
from docassets.core.pdf import ExtractionSettings, extract_pages

SAMPLES = Path(__file__).parents[2] / "samples"


@pytest.mark.parametrize(
    ("footer", "expected"),
    [
        ("WOMBAT 000454", "WOMBAT 000454"),
        ("CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER      WOMBAT 000454", "WOMBAT 000454"),
        ("ABC-0001234", "ABC-0001234"),
        ("DEF_00012", "DEF_00012"),
        ("SMITH-ENRON 00004567", "SMITH-ENRON 00004567"),
        ("ABC0001234", "ABC0001234"),
        ("Page 3 of 9   XYZ 123456", "XYZ 123456"),
    ],
)
def test_a_production_footer_gives_its_bates_number(footer, expected):
    page = f"The witness testified as follows.\nQ. Where were you?\n{footer}\n"
    assert find_bates(page) == expected


@pytest.mark.parametrize(
    "footer",
    [
        "TELEPHONE 215-597-2995",
        "FAX 2155972995",
        "Cambridge, MA 02139",
        "New York, NY 10020",
        "Philadelphia, PA 19106-1790",
        "FILED 2019",
        "Date Filed: 08/31/2022",
        "No. ED108783",
        "Civil Action No. 1:21-cv-01061-KLM",
        "Case: 21-1298 Document: 42 Page: 1 Date Filed: 08/31/2022",
        "Page 12",
        "AMOUNT 1,234.56",
    ],
)
def test_phone_numbers_zip_codes_dates_and_dockets_are_not_bates_numbers(footer):
    assert find_bates(f"Body text of the page.\n{footer}") is None


def test_a_number_in_the_body_is_not_taken_for_the_pages_bates_number():
    body = "\n".join(["Heading", "Intro", "More", "See exhibit ABC 000123 attached.", *["line"] * 8])
    assert find_bates(body) is None
    assert find_bates(body + "\nWOMBAT 000777") == "WOMBAT 000777"


def test_no_sample_court_record_has_a_bates_number():
    for sample in sorted(SAMPLES.glob("*.pdf")):
        with pymupdf.open(sample) as doc:
            found = [find_bates(page.get_text()) for page in doc]
        assert found == [None] * len(found), sample.name


@pytest.mark.parametrize(
    ("sample", "stamp"),
    [
        ("cafc-header-only-text-layer.pdf", "Case: 21-1298 Document: 42 Page: 1 Date Filed: 08/31/2022"),
        (
            "ca4-filing-17-scan.pdf",
            "Appeal: 17-2218      Doc: 17            Filed: 10/31/2017      Pg: 1 of 1",
        ),
        (
            "ca5-filing-00516242060.pdf",
            "Case: 21-50498      Document: 00516242060     Page: 1     Date Filed: 03/16/2022",
        ),
        (
            "ca10-filing-010110462922.pdf",
            "Appellate Case: 21-800     Document: 010110462922     Date Filed: 01/11/2021     Page: 1",
        ),
        (
            "dcolo-complaint-first-page.pdf",
            "Case 1:21-cv-01061-KLM   Document 1   Filed 04/16/21   USDC Colorado   Page 1 of 16",
        ),
        (
            "notice-of-docket-activity.pdf",
            "Case: 21-2728     Document: 138-2     Page: 1      Date Filed: 08/17/2022",
        ),
    ],
)
def test_the_cm_ecf_header_of_each_filing_sample_is_found_exactly(sample, stamp):
    with pymupdf.open(SAMPLES / sample) as doc:
        assert find_stamp(doc[0].get_text()) == stamp


@pytest.mark.parametrize(
    "sample",
    ["scotus-tarrant-opinion.pdf", "tax-court-memo-bordelon.pdf", "mo-court-of-appeals-opinion.pdf"],
)
def test_opinions_without_a_cm_ecf_header_have_no_stamp(sample):
    with pymupdf.open(SAMPLES / sample) as doc:
        assert [find_stamp(page.get_text()) for page in doc] == [None] * doc.page_count


@pytest.mark.parametrize(
    "stamp",
    [
        "Case 1:20-cv-01234-ABC Document 12 Filed 01/02/20 Page 3 of 9",
        "USCA Case #19-5331      Document #1836095            Filed: 04/21/2020      Page 1 of 25",
        "USCA11 Case: 20-12345     Date Filed: 01/01/2021     Page: 1 of 5",
        "Case 19-12345-abc Doc 55 Filed 01/02/20 Entered 01/02/20 12:34:56 Desc Main Document Page 1 of 5",
    ],
)
def test_other_courts_header_styles_are_stamps(stamp):
    text = f"ORDER\nThe motion is granted.\n{stamp}\n"
    assert find_stamp(text) == stamp
    ((start, end),) = stamp_spans(text)
    assert text[start:end] == stamp


def test_a_sentence_about_a_case_and_a_filing_date_is_not_a_stamp():
    assert find_stamp("In this case 5 parties filed 01/02/2020 their briefs on page 3.") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("WOMBAT 000454-000784.pdf", ("WOMBAT 000454", "WOMBAT 000784")),
        ("ABC-0001234 - ABC-0001300.pdf", ("ABC-0001234", "ABC-0001300")),
        ("DEF_00012-20.PDF", ("DEF_00012", "DEF_00020")),
        ("vol1/WOMBAT000454-WOMBAT000784.pdf", ("WOMBAT000454", "WOMBAT000784")),
        ("WOMBAT 000454 to 000460.pdf", ("WOMBAT 000454", "WOMBAT 000460")),
    ],
)
def test_a_production_file_name_gives_its_bates_range(name, expected):
    assert bates_range_from_filename(name) == expected


@pytest.mark.parametrize("name", ["brief.pdf", "scan 2019-06-02.pdf", "WOMBAT 000784-000454.pdf"])
def test_names_without_a_forward_bates_range_give_none(name):
    assert bates_range_from_filename(name) is None


def test_gaps_name_the_numbers_either_side_of_each_break():
    numbers = [
        "WOMBAT 000454",
        "WOMBAT 000455",
        "WOMBAT 000457",  # 000456 missing
        "WOMBAT 000458",
        "WOMBAT 000458",  # repeated
        "ABC 000001",
        "ABC 000002",  # a new series is not a gap
    ]
    assert bates_gaps(numbers) == [
        ("WOMBAT 000455", "WOMBAT 000457"),
        ("WOMBAT 000458", "WOMBAT 000458"),
    ]


def test_a_page_whose_number_was_not_read_is_reported_as_a_gap():
    assert bates_gaps(["X 000001", None, "X 000003"]) == [("X 000001", "X 000003")]
    assert bates_gaps(["X 000001", "X 000002", "X 000003"]) == []


def test_a_stamped_production_reports_each_pages_number_and_the_skipped_one(tmp_path):
    """Stamp two real opinions as one production, skipping a number, and read it back."""
    numbers = [f"WOMBAT {n:06d}" for n in (454, 455, 456, 457, 459, 460, 461, 462)]
    production = pymupdf.open()
    for sample in ("tn-appeals-board-diaz-opinion.pdf", "mo-court-of-appeals-opinion.pdf"):
        with pymupdf.open(SAMPLES / sample) as doc:
            production.insert_pdf(doc)
    for page, number in zip(production.pages(), numbers, strict=True):
        page.insert_text((page.rect.width - 150, page.rect.height - 20), number, fontsize=10)
    path = tmp_path / "WOMBAT 000454-000462.pdf"
    production.save(path)

    pages = list(extract_pages(path, name=path.name, settings=ExtractionSettings(workers=1)))

    assert [page.bates for page in pages] == numbers
    assert all(page.method == "text" for page in pages)
    assert "Ruben Diaz" in pages[0].text and "Jagels" in pages[3].text
    assert bates_gaps([page.bates for page in pages]) == [("WOMBAT 000457", "WOMBAT 000459")]
    assert bates_range_from_filename(path.name) == (numbers[0], numbers[-1])

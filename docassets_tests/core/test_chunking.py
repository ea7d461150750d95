"""Sentence splitting and chunking, on legal prose and on real text-layer opinions."""
import re
from pathlib import Path

import pytest

from docassets.core.chunking import (
    chunk_pages,
    coverage_gaps,
    document_text,
    page_spans,
    split_sentences,
)
from docassets.core.models import PAGE_SEPARATOR, Page
from docassets.core.pdf import ExtractionSettings, extract_pages

SAMPLES = Path(__file__).parents[2] / "samples"
TOKEN = re.compile(r"\w+|[^\w\s]")  # the documented token measure


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.fixture(scope="module")
def opinion_pages() -> list[Page]:
    """A 10-page Fifth Circuit opinion with CM/ECF stamps, as Bates-stamped pages."""
    path = SAMPLES / "ca5-filing-00516242060.pdf"
    pages = extract_pages(path, name=path.name, settings=ExtractionSettings(workers=1))
    return [
        Page(page.number, page.text, page.method, bates=f"WOMBAT {453 + page.number:06d}", stamp=page.stamp)
        for page in pages
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "See Tarrant Reg'l Water Dist. v. Herrmann, 569 U.S. 614, 620 (2013). The Court agreed.",
            ["See Tarrant Reg'l Water Dist. v. Herrmann, 569 U.S. 614, 620 (2013).", "The Court agreed."],
        ),
        (
            "Acme Inc. and Beta Corp. appealed in No. 21-1298. See 42 U.S.C. § 1983. Id. at 5. It failed.",
            ["Acme Inc. and Beta Corp. appealed in No. 21-1298.", "See 42 U.S.C. § 1983.", "Id. at 5.",
             "It failed."],
        ),
        (
            "Dismissal under Fed. R. Civ. P. 12(b)(6) was proper. Judge J. Smith, joined by Carlos F. "
            "Lucero, dissented. Was it error? Yes!",
            ["Dismissal under Fed. R. Civ. P. 12(b)(6) was proper.",
             "Judge J. Smith, joined by Carlos F. Lucero, dissented.", "Was it error?", "Yes!"],
        ),
        (
            "The court cited Tex. Ins. Code Ann. § 541.061 and e.g. St. Paul. He said “no.” Then left.",
            ["The court cited Tex. Ins. Code Ann. § 541.061 and e.g. St. Paul.", "He said “no.”",
             "Then left."],
        ),
        (
            "Compare Nos. 19031-13 and 11905-14 with Art. III, pp. 4-5. The answer was no. So be it.",
            ["Compare Nos. 19031-13 and 11905-14 with Art. III, pp. 4-5.", "The answer was no.", "So be it."],
        ),
        (
            "II. Analysis\nWe review de novo. The motion\nwas denied.",
            ["II. Analysis\nWe review de novo.", "The motion\nwas denied."],
        ),
    ],
)
def test_sentences_do_not_break_after_legal_abbreviations(text, expected):
    assert sentences(text) == expected


def test_a_caption_split_by_blank_lines_stays_one_sentence_and_a_heading_does_not():
    text = (
        "ACME LIFE INSURANCE COMPANY,\n\nPlaintiff,\n\nv.\n\nANNA SCHUBERT,\n\nDefendant."
        "\n\nCOMPLAINT\n\nIt begins."
    )
    assert sentences(text) == [
        "ACME LIFE INSURANCE COMPANY,\n\nPlaintiff,\n\nv.\n\nANNA SCHUBERT,\n\nDefendant.",
        "COMPLAINT",
        "It begins.",
    ]


def test_a_cm_ecf_stamp_is_a_sentence_of_its_own():
    stamp = "Case: 21-50498      Document: 00516242060     Page: 1     Date Filed: 03/16/2022"
    text = f"the employee filed\n{stamp}\n\nNo. 21-50498\n2\na petition. Then more."
    assert sentences(text)[:2] == ["the employee filed", stamp]


def test_sentences_stay_within_their_page_unless_they_run_across_it():
    pages = [
        Page(1, "The court held that the", "text"),
        Page(2, "motion was denied. A second point follows.", "text"),
        Page(3, "A new page starts here.", "text"),
    ]
    text = document_text(pages)
    assert sentences(text) == [
        f"The court held that the{PAGE_SEPARATOR}motion was denied.",
        "A second point follows.",
        "A new page starts here.",
    ]


def test_page_spans_locate_each_page_in_the_document_text():
    pages = [Page(1, "First page.", "text"), Page(2, "", "empty"), Page(3, "Third.", "ocr")]
    text = document_text(pages)
    assert text == "First page.\n\n\n\nThird."
    assert [text[start:end] for start, end in page_spans(pages)] == ["First page.", "", "Third."]


def test_every_sentence_of_a_real_opinion_is_covered_exactly_once(opinion_pages):
    text = document_text(opinion_pages)
    spans = split_sentences(text)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
    uncovered = list(text)
    for start, end in spans:
        uncovered[start:end] = " " * (end - start)
    assert "".join(uncovered).strip() == ""
    assert "St. Pierre argues that" in " ".join(text[s:e] for s, e in spans)


def test_chunks_of_a_real_opinion_reproduce_the_text_within_the_token_budget(opinion_pages):
    text = document_text(opinion_pages)
    chunks = chunk_pages(opinion_pages, max_tokens=120, overlap=20)

    assert len(chunks) > 20
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    assert coverage_gaps(chunks, text) == []
    sentence_starts = {start for start, _ in split_sentences(text)}
    spans = page_spans(opinion_pages)
    for chunk in chunks:
        assert chunk.text == text[chunk.char_start:chunk.char_end]
        assert chunk.token_count == len(TOKEN.findall(chunk.text)) <= 120
        assert chunk.char_start in sentence_starts
        start_span = spans[chunk.page_start - 1]
        end_span = spans[chunk.page_end - 1]
        assert start_span[0] <= chunk.char_start < start_span[1]
        assert end_span[0] < chunk.char_end <= end_span[1]
        assert chunk.bates_start == f"WOMBAT {453 + chunk.page_start:06d}"
        assert chunk.bates_end == f"WOMBAT {453 + chunk.page_end:06d}"
    assert chunks[-1].page_end == 10


def test_consecutive_chunks_share_about_the_overlap_in_whole_sentences(opinion_pages):
    text = document_text(opinion_pages)
    chunks = chunk_pages(opinion_pages, max_tokens=120, overlap=20)
    overlapping = 0
    for previous, chunk in zip(chunks, chunks[1:]):
        assert previous.char_start < chunk.char_start  # always progresses
        if chunk.char_start < previous.char_end:
            overlapping += 1
            shared = text[chunk.char_start:previous.char_end]
            assert 0 < len(TOKEN.findall(shared)) < 40
            assert previous.text.endswith(shared)
    assert overlapping > len(chunks) // 2

    without_overlap = chunk_pages(opinion_pages, max_tokens=120, overlap=0)
    assert all(a.char_end <= b.char_start for a, b in zip(without_overlap, without_overlap[1:]))


def test_a_sentence_longer_than_the_budget_is_split_at_token_boundaries():
    words = " ".join(f"Word{n}" for n in range(250))
    pages = [Page(1, f"Short one. {words} end.", "text")]
    chunks = chunk_pages(pages, max_tokens=100, overlap=0)
    text = document_text(pages)
    assert [chunk.token_count for chunk in chunks] == [3, 100, 100, 52]
    assert chunks[1].text.startswith("Word0 ") and chunks[2].text.startswith("Word100 ")
    assert all(chunk.text == text[chunk.char_start:chunk.char_end] for chunk in chunks)
    assert coverage_gaps(chunks, text) == []


def test_a_missing_chunk_shows_up_as_a_coverage_gap(opinion_pages):
    text = document_text(opinion_pages)
    chunks = chunk_pages(opinion_pages, max_tokens=120, overlap=0)
    dropped = chunks[5]
    assert coverage_gaps(chunks[:5] + chunks[6:], text) == [(dropped.char_start, dropped.char_end)]


def test_no_pages_and_empty_pages_give_no_chunks():
    assert chunk_pages([]) == []
    assert chunk_pages([Page(1, "", "empty"), Page(2, "", "empty")]) == []


@pytest.mark.parametrize(("max_tokens", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_an_impossible_budget_is_refused(max_tokens, overlap):
    with pytest.raises(ValueError, match="overlap"):
        chunk_pages([Page(1, "Text.", "text")], max_tokens=max_tokens, overlap=overlap)

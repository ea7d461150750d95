"""Sentence splitting and chunking, on legal prose and on real text-layer opinions."""

import re
from itertools import pairwise
from pathlib import Path

import pymupdf
import pytest

from docassets.core.chunking import (
    ISOLATED,
    SKIPPED,
    chunk_pages,
    coverage_gaps,
    document_text,
    layout_noise,
    line_noise,
    mask_noise,
    page_noise,
    page_spans,
    sentence_parts,
    split_sentences,
)
from docassets.core.entities import EntityExtractor, load_pipeline
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
            [
                "Acme Inc. and Beta Corp. appealed in No. 21-1298.",
                "See 42 U.S.C. § 1983.",
                "Id. at 5.",
                "It failed.",
            ],
        ),
        (
            "Dismissal under Fed. R. Civ. P. 12(b)(6) was proper. Judge J. Smith, joined by Carlos F. "
            "Lucero, dissented. Was it error? Yes!",
            [
                "Dismissal under Fed. R. Civ. P. 12(b)(6) was proper.",
                "Judge J. Smith, joined by Carlos F. Lucero, dissented.",
                "Was it error?",
                "Yes!",
            ],
        ),
        (
            "The court cited Tex. Ins. Code Ann. § 541.061 and e.g. St. Paul. He said “no.” Then left.",
            [
                "The court cited Tex. Ins. Code Ann. § 541.061 and e.g. St. Paul.",
                "He said “no.”",
                "Then left.",
            ],
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
    noise = layout_noise(opinion_pages)
    spans = split_sentences(text, noise)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))
    uncovered = list(text)
    for start, end in spans + [(n.start, n.end) for n in noise if n.kind in SKIPPED]:
        uncovered[start:end] = " " * (end - start)
    assert "".join(uncovered).strip() == ""
    assert "St. Pierre argues that" in " ".join(text[s:e] for s, e in spans)


def test_running_headers_page_numbers_and_stamps_of_a_real_opinion_stay_out_of_sentences(opinion_pages):
    text = document_text(opinion_pages)
    noise = layout_noise(opinion_pages)
    found = {(n.kind, text[n.start : n.end]) for n in noise}
    # pages 2-10 are headed "No. 21-50498" and their number; page 1's "No. 21-50498" is the caption's docket
    assert sum(1 for n in noise if n.kind == "running_header") == 9
    assert ("running_header", "No. 21-50498") in found
    assert {text[n.start : n.end] for n in noise if n.kind == "page_number"} == {str(k) for k in range(2, 11)}
    assert sum(1 for n in noise if n.kind == "stamp") == 10
    page_one = page_spans(opinion_pages)[0]
    assert not any(page_one[0] <= n.start < page_one[1] for n in noise if n.kind == "running_header")

    spans = split_sentences(text, noise)
    sentences_ = [text[s:e] for s, e in spans]
    assert "No. 21-50498" in sentences_[1]  # the caption keeps its docket
    for start, end in spans:
        inside = [n for n in noise if start < n.end and n.start < end]
        # noise is never part of a sentence; an isolated stamp is a whole sentence
        assert all(n.kind in ISOLATED and (n.start, n.end) == (start, end) for n in inside), text[start:end]
    assert not any(re.search(r"No\. 21-50498\n\d+\n", sentence) for sentence in sentences_)

    # a sentence running from page 4 onto page 5 is still one unit: never cut across chunks
    chunks = chunk_pages(opinion_pages, max_tokens=120, overlap=0)
    holding = [c for c in chunks if "sent St. Pierre a letter informing her" in c.text]
    assert len(holding) == 1 and "that her claim for supplemental dependent coverage" in holding[0].text
    assert holding[0].page_start == 4 and holding[0].page_end == 5


PLEADING_BODY = [
    [
        "Plaintiff Jane Roe alleges that on March 3, 2021 the defendant",
        "Acme Widgets, Inc. breached the written contract it signed with",
        "her in Oakland, California. She seeks $25,000 in damages and",
        "costs. The contract required delivery of four hundred widgets",
        "by April 1, 2021, and the defendant delivered none of them",
    ],
    [
        "before the contract ended. Plaintiff gave written notice of the",
        "breach on May 5, 2021. The defendant did not answer the notice.",
        "Plaintiff therefore asks the Court for judgment against the",
        "defendant in the amount stated above.",
    ],
    [
        "Plaintiff demands a jury trial on every claim so triable.",
        "Dated: June 1, 2021. Respectfully submitted by counsel for",
        "plaintiff Jane Roe.",
    ],
]
PLEADING_FOOTER = "COMPLAINT FOR BREACH OF CONTRACT"


def pleading_pdf(path: Path) -> Path:
    """A three-page complaint on pleading paper: a margin of line numbers 1..28 on every page,
    a running footer and a "- n -" page number, as word processors print them."""
    doc = pymupdf.open()
    for number, body in enumerate(PLEADING_BODY, start=1):
        page = doc.new_page(width=612, height=792)
        for line in range(28):
            page.insert_text((40, 72 + line * 24), str(line + 1), fontsize=10)
        for line, words in enumerate(body):
            page.insert_text((90, 72 + line * 24), words, fontsize=11)
        page.insert_text((230, 752), PLEADING_FOOTER, fontsize=9)
        page.insert_text((296, 770), f"- {number} -", fontsize=9)
    doc.save(path)
    return path


def expected_pleading_sentences() -> list[str]:
    prose = " ".join(" ".join(body) for body in PLEADING_BODY)
    return re.split(r"(?<=\.) (?=[A-Z])", prose)


def test_pleading_paper_line_numbers_footers_and_page_numbers_stay_out_of_sentences(tmp_path):
    path = pleading_pdf(tmp_path / "complaint.pdf")
    pages = list(extract_pages(path, name=path.name, settings=ExtractionSettings(workers=1)))
    text = document_text(pages)
    noise = layout_noise(pages)
    kinds = {n.kind for n in noise}
    assert kinds == {"line_number", "running_header", "page_number"}
    assert sum(1 for n in noise if n.kind == "line_number") == 3 * 28
    assert [text[n.start : n.end] for n in noise if n.kind == "running_header"] == [PLEADING_FOOTER] * 3

    found = [" ".join(" ".join(text[s:e] for s, e in parts).split()) for parts in sentence_parts(text, noise)]
    assert found == expected_pleading_sentences()
    # the sentence running from page 1 onto page 2 comes in two parts, around footer, page number and margin
    parts = next(p for p in sentence_parts(text, noise) if "none of them" in text[p[0][0] : p[0][1]])
    assert [text[s:e].split()[-1] for s, e in parts] == ["them", "ended."]

    chunks = chunk_pages(pages, max_tokens=100, overlap=10)
    assert coverage_gaps(chunks, text) == []
    for chunk in chunks:
        assert chunk.text == text[chunk.char_start : chunk.char_end]
        assert chunk.token_count == len(TOKEN.findall(chunk.text)) <= 100
        assert not re.match(r"\d|-", chunk.text) and not re.search(r"\n\d+$", chunk.text)
    # the sentence running from page 1 onto page 2 is whole in one chunk, noise and all
    assert any("delivered none of them" in c.text and "before the contract ended." in c.text for c in chunks)


def test_line_numbers_written_at_the_start_of_each_line_are_cut_out_of_sentences(tmp_path):
    """OCR and sorted text layers put each line number before its line's text."""
    path = pleading_pdf(tmp_path / "complaint.pdf")
    with pymupdf.open(path) as doc:
        text = doc[0].get_text(sort=True)
    assert re.search(r"^1 +Plaintiff Jane Roe", text, re.M)
    noise = line_noise(text)
    assert sum(1 for n in noise if n.kind == "line_number") == 28
    found = [" ".join(" ".join(text[s:e] for s, e in parts).split()) for parts in sentence_parts(text)]
    assert len(sentence_parts(text)[0]) == 3  # one part per line of the sentence
    assert (
        found[0] == "Plaintiff Jane Roe alleges that on March 3, 2021 the defendant Acme Widgets, Inc. "
        "breached the written contract it signed with her in Oakland, California."
    )
    assert not any(re.search(r"(?:^|\s)\d{1,2}(?:\s|$)", s.replace("March 3, 2021", "")) for s in found)
    assert all(not re.match(r"\d", text[s:e]) for s, e in split_sentences(text))
    assert (
        found[2]
        == "The contract required delivery of four hundred widgets by April 1, 2021, and the defendant "
        "delivered none of them"
    )  # page 1 ends here: the sort=True text of one page


def test_page_number_lines_and_star_paging_are_noise_but_numbered_paragraphs_are_not():
    text = (
        "- 3 -\n[*3] The court held that\nPage 3 of 9\nthe motion fails.\n3 of 9\n"
        "1. The first claim is dismissed.\n2 The tax year 2008 is open.\nII. Analysis"
    )
    assert [(n.kind, text[n.start : n.end]) for n in line_noise(text)] == [
        ("page_number", "- 3 -"),
        ("star_page", "[*3]"),
        ("page_number", "Page 3 of 9"),
        ("page_number", "3 of 9"),
    ]
    assert sentences(text) == [
        "The court held that",
        "the motion fails.",
        "1. The first claim is dismissed.",
        "2 The tax year 2008 is open.",
        "II. Analysis",
    ]


def test_chunks_of_a_real_opinion_reproduce_the_text_within_the_token_budget(opinion_pages):
    text = document_text(opinion_pages)
    chunks = chunk_pages(opinion_pages, max_tokens=120, overlap=20)

    assert len(chunks) > 20
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    assert coverage_gaps(chunks, text) == []
    sentence_starts = {start for start, _ in split_sentences(text, layout_noise(opinion_pages))}
    spans = page_spans(opinion_pages)
    for chunk in chunks:
        assert chunk.text == text[chunk.char_start : chunk.char_end]
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
    for previous, chunk in pairwise(chunks):
        assert previous.char_start < chunk.char_start  # always progresses
        if chunk.char_start < previous.char_end:
            overlapping += 1
            shared = text[chunk.char_start : previous.char_end]
            assert 0 < len(TOKEN.findall(shared)) < 40
            assert previous.text.endswith(shared)
    assert overlapping > len(chunks) // 2

    without_overlap = chunk_pages(opinion_pages, max_tokens=120, overlap=0)
    assert all(a.char_end <= b.char_start for a, b in pairwise(without_overlap))


def test_a_sentence_longer_than_the_budget_is_split_at_token_boundaries():
    words = " ".join(f"Word{n}" for n in range(250))
    pages = [Page(1, f"Short one. {words} end.", "text")]
    chunks = chunk_pages(pages, max_tokens=100, overlap=0)
    text = document_text(pages)
    assert [chunk.token_count for chunk in chunks] == [3, 100, 100, 52]
    assert chunks[1].text.startswith("Word0 ") and chunks[2].text.startswith("Word100 ")
    assert all(chunk.text == text[chunk.char_start : chunk.char_end] for chunk in chunks)
    assert coverage_gaps(chunks, text) == []


def test_a_missing_chunk_shows_up_as_a_coverage_gap(opinion_pages):
    text = document_text(opinion_pages)
    chunks = chunk_pages(opinion_pages, max_tokens=120, overlap=0)
    for dropped in (chunks[5], next(c for c in chunks if c.page_start < c.page_end)):
        gaps = coverage_gaps([c for c in chunks if c is not dropped], text)
        assert gaps[0][0] == dropped.char_start and gaps[-1][1] == dropped.char_end
        # a chunk running across a page break leaves gaps around its skipped header and page number
        assert len(gaps) == (1 if dropped.page_start == dropped.page_end else 2)


def test_no_pages_and_empty_pages_give_no_chunks():
    assert chunk_pages([]) == []
    assert chunk_pages([Page(1, "", "empty"), Page(2, "", "empty")]) == []


@pytest.mark.parametrize(("max_tokens", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_an_impossible_budget_is_refused(max_tokens, overlap):
    with pytest.raises(ValueError, match="overlap"):
        chunk_pages([Page(1, "Text.", "text")], max_tokens=max_tokens, overlap=overlap)


def test_a_productions_legend_beside_its_bates_numbers_is_no_text_even_where_the_stamp_is_unreadable():
    legend = "CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER"
    parties = ["Tarrant", "Oklahoma", "Texas", "Arkansas", "Louisiana", "Kiamichi"]
    bodies = {n: f"{party} wrote to the River Master about the basin." for n, party in enumerate(parties, 1)}
    pages = [  # page 4's stamp was unreadable
        Page(
            n,
            f"{bodies[n]}\n\n{legend} WOMBAT {453 + n:06d}",
            "ocr",
            bates=None if n == 4 else f"WOMBAT {453 + n:06d}",
        )
        for n in range(1, 7)
    ]
    for page, noise in zip(pages, page_noise(pages), strict=True):
        masked = mask_noise(page.text, noise)
        assert "CONFIDENTIAL" not in masked and "PROTECTIVE" not in masked, (page.number, masked)
        assert bodies[page.number] in masked
        if page.bates:  # the number itself stays: it is a mention
            assert page.bates in masked
    mentions = EntityExtractor(load_pipeline()).extract_pages(pages)
    assert not [m for m in mentions if "CONFIDENTIAL" in m.text.upper()], "a legend names no organisation"
    assert sorted(m.text for m in mentions if m.label == "BATES") == sorted(p.bates for p in pages if p.bates)

"""The reading score that tells an old, poor OCR layer from typeset text or a fresh OCR."""

import pymupdf
import pytest

from docassets.core.pdf import ExtractionSettings
from docassets.core.text_quality import reading_score
from docassets_tests.old_ocr import SAMPLES, garbled_lines

TEXT_LAYER_SAMPLES = [
    "scotus-tarrant-opinion.pdf",
    "tax-court-memo-bordelon.pdf",
    "mo-court-of-appeals-opinion.pdf",
    "tn-appeals-board-diaz-opinion.pdf",
    "ca5-filing-00516242060.pdf",
    "judicial-disclosure-lucero.pdf",
    "notice-of-docket-activity.pdf",
]


@pytest.mark.parametrize("sample", TEXT_LAYER_SAMPLES)
def test_typeset_pages_read_well_and_the_same_pages_misread_do_not(sample):
    with pymupdf.open(SAMPLES / sample) as doc:
        pages = [page.get_text() for page in doc]
    scores = [score for text in pages if (score := reading_score(text)) is not None]
    misread = [reading_score("\n".join(garbled_lines(text, rate=0.3))) for text in pages]
    assert scores and min(scores) >= ExtractionSettings().reocr_below
    assert max(score for score in misread if score is not None) < 0.8


def test_names_and_acronyms_the_dictionary_lacks_do_not_count_against_a_page():
    caption = (
        "Ruben Diaz v. Create and Construct, LLC; Tarrant Regional Water District v. Herrmann; "
        "Bordelon v. Commissioner; NTSB and FERC; Kenneth M. Switzer, Chief Judge of the court, "
        "affirmed the order and remanded the case to the trial court for further proceedings"
    )
    assert reading_score(caption) == 1.0


def test_misread_glyphs_and_stray_marks_count_against_it_but_citations_do_not():
    sentence = "the court held that 42 U.S.C. § 1983 and Fed. R. Civ. P. 12(b)(6) apply on 2d review "
    assert reading_score(sentence * 3) == 1.0
    assert reading_score(sentence.replace("court", "c0urt").replace("held", "he~ld") * 3) == pytest.approx(
        9 / 11, abs=0.001
    )


def test_a_word_broken_over_two_lines_is_read_whole():
    assert reading_score("the presump-\ntion of the Com\xad\nmerce Clause holds in this case " * 3) == 1.0


def test_too_few_words_give_no_score():
    assert reading_score("FILED Sep 13, 2019 01:20 PM(CT)") is None

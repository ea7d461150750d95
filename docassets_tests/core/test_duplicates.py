"""Duplicate groups: planted copies of real filings are found with the right kind, distinct filings
never grouped."""

import numpy as np
import pytest

from docassets.core.duplicates import (
    content_words,
    duplicate_links,
    find_duplicates,
    fingerprint_pages,
    fingerprints,
    same_content,
)
from docassets.core.models import Page
from docassets.core.pdf import ExtractionSettings, extract_pages
from docassets_tests.conftest import sample
from docassets_tests.planted_duplicates import EXPECTED_KIND, Source, planted_documents

SOURCES = [
    Source("mo-opinion", "mo-court-of-appeals-opinion.pdf", 1, 3, "tuning"),
    Source("tn-order-scan", "tn-workers-comp-order-scan.pdf", 1, 1, "tuning"),
]
# Distinct documents: other filings, and other pages of the same opinion (its words, its running heads).
NEGATIVES = [
    ("mo-opinion-end", "mo-court-of-appeals-opinion.pdf", [3, 4]),
    ("ca10-filing", "ca10-filing-010110462922.pdf", [0]),
    ("dcolo-complaint", "dcolo-complaint-first-page.pdf", [0]),
    ("tn-appeals", "tn-appeals-board-diaz-opinion.pdf", [0, 1, 2]),
]


ONE_WORKER = ExtractionSettings(workers=1)


@pytest.fixture(scope="module")
def planted():
    documents = {d.document_id: (d.source, d.variant, d.pages) for d in planted_documents(SOURCES)}
    for name, file, pages in NEGATIVES:
        read = [
            p for p in extract_pages(sample(file), name=file, settings=ONE_WORKER) if p.number - 1 in pages
        ]
        documents[f"{name}/original"] = (name, "original", tuple(read))
    return documents


def test_planted_copies_are_grouped_with_their_original_and_distinct_documents_are_not(planted):
    links = duplicate_links(
        find_duplicates([(document_id, pages) for document_id, (_, _, pages) in planted.items()])
    )
    pivot = {(link.document_id, link.kind): link.pivot_document_id for link in links}

    def grouped(a: str, b: str) -> str | None:
        exact_a, exact_b = pivot.get((a, "exact"), a), pivot.get((b, "exact"), b)
        if exact_a == exact_b:
            return "exact"
        return "near" if pivot.get((a, "near"), exact_a) == pivot.get((b, "near"), exact_b) else None

    found = {
        document_id: grouped(document_id, f"{source}/original")
        for document_id, (source, variant, _) in planted.items()
        if variant != "original"
    }
    assert found == {document_id: EXPECTED_KIND[planted[document_id][1]] for document_id in found}
    assert len(found) == 9  # mo-opinion: all five variants; the one-page scan: no page to remove
    source_of = {document_id: source for document_id, (source, _, _) in planted.items()}
    assert all(source_of[link.document_id] == source_of[link.pivot_document_id] for link in links)
    assert all(0.5 <= link.similarity <= 1.0 for link in links)


def test_content_leaves_out_bates_numbers_legends_and_court_stamps():
    stamped = Page(
        1,
        "Case: 21-1298 Document: 42 Page: 1 Date Filed: 08/31/2022\nThe Court affirms the "
        "judg-\nment below.\nCONFIDENTIAL WOMBAT 000454",
        "text",
    )
    again = Page(1, "the  court AFFIRMS the judgment below.\nPLTF-0000017", "ocr")
    assert (
        content_words([stamped])
        == content_words([again])
        == ["the", "court", "affirms", "the", "judgment", "below"]
    )


WORDS = (
    "the district court granted summary judgment for the defendant on all claims and awarded "
    "costs of 7500 dollars on march 2019 which the plaintiff appealed to this court"
).split() * 3


def test_ocr_misreadings_are_the_same_content_but_a_changed_amount_or_sentence_is_not():
    misread = list(WORDS)
    misread[0] = "tlie"
    misread[4:5] = ["sum", "mary"]  # a word split by the scan
    misread.insert(8, "ee")  # a smudge read as letters
    assert same_content(WORDS, misread)
    amount = ["5000" if w == "7500" else w for w in WORDS]
    assert not same_content(WORDS, amount)
    assert not same_content(WORDS, WORDS[:14] + WORDS[20:])
    assert not same_content(WORDS, ["dismissed" if w == "granted" else w for w in WORDS])


def test_fingerprints_on_two_processes_equal_those_on_one():
    pages = list(
        extract_pages(sample("tn-appeals-board-diaz-opinion.pdf"), name="tn.pdf", settings=ONE_WORKER)
    )
    documents = [(f"d{n}", pages[n:]) for n in range(len(pages))]
    one = list(fingerprints(documents, workers=1))
    two = list(fingerprints(documents, workers=2))
    assert (
        [f.content_key for f in one]
        == [f.content_key for f in two]
        == [fingerprint_pages(d, p).content_key for d, p in documents]
    )
    assert all(
        np.array_equal(a.minhash.hashvalues, b.minhash.hashvalues) for a, b in zip(one, two, strict=True)
    )

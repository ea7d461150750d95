"""The public facade gives what the pipeline gives."""

import subprocess
import sys

from docassets import api

from .conftest import sample


def test_extract_pages_reads_text_layers_and_scans():
    pages = api.extract_pages(sample("tn-workers-comp-order-scan.pdf"))
    assert [(p.number, p.method) for p in pages] == [(1, "ocr")]
    assert "Compensation" in pages[0].text and (pages[0].ocr_confidence or 0) > 80


def test_extract_entities_keeps_exact_offsets():
    text = "Vanessa St. Pierre sued Standard Insurance Company under 42 U.S.C. § 1983 in No. 21-50498."
    mentions = api.extract_entities(text)
    assert all(text[m.start : m.end] == m.text for m in mentions)
    found = {(m.label, m.text) for m in mentions}
    assert ("CASE_NUMBER", "21-50498") in found and ("STATUTE", "42 U.S.C. § 1983") in found
    assert ("PERSON", "Vanessa St. Pierre") in found


def test_resolve_names_clusters_variants_and_keeps_different_people_apart():
    ids = api.resolve_names(
        [
            ("Paul, Michael", "PERSON"),
            ("MICHAEL PAUL", "PERSON"),
            ("Michelle Paul", "PERSON"),
            ("Wombat Corp", "ORG"),
            ("WOMBAT CORPORATION", "ORG"),
        ]
    )
    assert ids[0] == ids[1] != ids[2]
    assert ids[3] == ids[4] != ids[0]


def test_importing_the_facade_does_not_load_the_heavy_libraries():
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, docassets.api; print(sorted(m for m in ('spacy', 'dagster', 'pymupdf') "
            "if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip() == "[]"

"""A definition in one document joins its defined term to the party across the project, and the
entity keeps the definition as its evidence."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pymupdf

from docassets.local_run import LocalPipeline

ANNUAL_REPORT = (
    'Acme Holdings, Inc., a Delaware corporation (the "Company"), files this annual report with the '
    "Securities and Exchange Commission. The Company manufactures industrial valves in Denver, Colorado. "
    "During fiscal 2024 the Company paid dividends of $1,200,000 to its shareholders."
)
COMPLAINT = (
    "Plaintiff Jane Roe brings this action against Acme Holdings, Inc. in the United States District "
    "Court for the District of Colorado. Acme Holdings, Inc. failed to pay the wages it owed to Jane Roe."
)


def _pdf(path: Path, text: str) -> Path:
    with pymupdf.open() as document:
        page = document.new_page()
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), text, fontsize=11)
        document.save(path)
    return path


def test_a_defined_term_in_one_document_joins_the_party_named_in_another(embedded_settings, tmp_path):
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        report = pipeline.add_document(_pdf(tmp_path / "acme-10-k.pdf", ANNUAL_REPORT), project="acme")
        complaint = pipeline.add_document(_pdf(tmp_path / "roe-complaint.pdf", COMPLAINT), project="acme")
        assert not pipeline.run_documents([report, complaint])
        assert pipeline.update_project_assets("acme")

    terms = pipeline.tables.read_frame("defined_terms", {"document_id": report})
    assert ("Company", "Acme Holdings, Inc.") in set(zip(terms.term, terms.referent, strict=True))
    mentions = pipeline.tables.read_frame("entity_mentions", {"document_id": report})
    uses = mentions[mentions.text == "Company"]
    assert len(uses) == 2  # "The Company manufactures", "the Company paid": mentions with exact offsets

    links = pipeline.tables.read_frame("entity_links", {"project": "acme"})
    entity_of = dict(zip(links.mention_id, links.entity_id, strict=True))
    acme = {entity_of[m] for m in uses.mention_id}
    assert len(acme) == 1
    entities = pipeline.tables.read_frame("resolved_entities", {"project": "acme"}).set_index("entity_id")
    entity = entities.loc[acme.pop()]
    assert entity.document_count == 2 and entity.label == "ORG"
    definitions = (
        entity.definitions if isinstance(entity.definitions, list) else json.loads(entity.definitions)
    )
    assert [(d["document_id"], d["alias"]) for d in definitions] == [(report, "Company")]
    assert definitions[0]["evidence"].startswith("Acme Holdings, Inc., a Delaware corporation (the")

"""Entity mentions with exact document offsets, and the evidenced relationships between them."""

import bisect

import dagster as dg
import pandas as pd

from docassets.core.chunking import document_text
from docassets.core.entities import EntityExtractor, load_pipeline
from docassets.core.models import Chunk, EntityKey, Mention
from docassets.core.relationships import find_relationships
from docassets.defs import groups
from docassets.defs.checks import documents_check
from docassets.defs.columns import table_metadata
from docassets.defs.failures import StageFailures
from docassets.defs.partitions import document_backfill, documents
from docassets.defs.resources import DatabaseResource
from docassets.defs.shown import markdown_table
from docassets.defs.versions import MENTIONS_VERSION, RELATIONSHIPS_VERSION
from docassets.distributed import stage_tags
from docassets.frames import (
    chunks_from_frame,
    defined_terms_frame,
    mentions_frame,
    mentions_from_frame,
    pages_from_frame,
    relationship_keys,
    relationships_frame,
)
from docassets.storage import tables as table_defs


def chunk_of(mentions: list[Mention], chunks: list[Chunk]) -> list[int | None]:
    """The first chunk whose span contains each mention (chunks overlap; the first one cites it)."""
    starts = [chunk.char_start for chunk in chunks]
    located = []
    for mention in mentions:
        index = bisect.bisect_right(starts, mention.start) - 1
        while index > 0 and chunks[index - 1].char_end >= mention.end:
            index -= 1  # an earlier, overlapping chunk also holds it
        located.append(chunks[index].index if index >= 0 and chunks[index].char_end >= mention.end else None)
    return located


@dg.asset(
    op_tags=stage_tags("entity_mentions"),
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name=groups.ENTITIES,
    kinds={"spacy"},
    io_manager_key="table_io_manager",
    metadata=table_metadata(table_defs.entity_mentions),
    code_version=MENTIONS_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            "offsets_reproduce_text",
            asset="entity_mentions",
            blocking=True,
            description="The document text at every mention's offsets equals its text.",
        ),
        dg.AssetCheckSpec(
            "mentions_in_chunks",
            asset="entity_mentions",
            description="Every mention lies inside a chunk, so it can be cited.",
        ),
    ],
)
def entity_mentions(
    context: dg.AssetExecutionContext,
    ocr_text: dict[str, pd.DataFrame],
    chunks: dict[str, pd.DataFrame],
    database: DatabaseResource,
):
    """People, organisations, places, dates, money, courts, case numbers, citations, statutes and Bates
    numbers; with them, in the same transaction, the document's defined terms (table `defined_terms`)."""
    extractor = EntityExtractor(load_pipeline())
    failures = StageFailures(context, database.tables(), "entity_mentions")
    frames, wrong_offsets, outside = {}, {}, {}
    for document_id, page_frame in ocr_text.items():
        with failures.document(document_id):
            pages = pages_from_frame(page_frame)
            extraction = extractor.extract_document(pages)
            mentions = extraction.mentions
            frame = mentions_frame(
                document_id, mentions, chunk_of(mentions, chunks_from_frame(chunks[document_id]))
            )
            terms = defined_terms_frame(document_id, extraction.defined_terms)
            frames[document_id] = {"entity_mentions": frame, "defined_terms": terms}
            context.add_asset_metadata(
                {
                    "mentions": len(frame),
                    "by_label": dg.MetadataValue.json(
                        {str(label): int(n) for label, n in frame.label.value_counts().items()}
                    ),
                    "preview": markdown_table(
                        frame.head(10)[["label", "text", "normalized", "page_number", "bates", "role"]]
                    ),
                    "defined_terms": markdown_table(
                        terms[["term", "referent", "label", "page_number", "uses"]]
                    )
                    if len(terms)
                    else dg.MetadataValue.md("No defined terms."),
                    "dagster/row_count": len(frame),
                    "defined_terms_rows": len(terms),
                },
                partition_key=document_id,
            )
            text = document_text(pages)
            if wrong := [m.text for m in mentions if text[m.start : m.end] != m.text]:
                wrong_offsets[document_id] = f"{len(wrong)} mentions, e.g. " + ", ".join(wrong[:3])
            if unplaced := int(frame.chunk_index.isna().sum()):
                outside[document_id] = f"{unplaced} mentions outside every chunk"
    failures.raise_if_any()
    yield dg.Output(frames)
    yield failures.blocking_check("offsets_reproduce_text", wrong_offsets, checked=frames)
    yield documents_check("mentions_in_chunks", outside, checked=frames, severity=dg.AssetCheckSeverity.WARN)
    failures.raise_if_any()


@dg.asset(
    op_tags=stage_tags("relationships"),
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name=groups.ENTITIES,
    kinds={"python"},
    io_manager_key="table_io_manager",
    metadata=table_metadata(table_defs.relationships),
    code_version=RELATIONSHIPS_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            "endpoints_are_mentions",
            asset="relationships",
            blocking=True,
            description="Every edge joins the document or entities mentioned in it.",
        )
    ],
)
def relationships(
    context: dg.AssetExecutionContext,
    ocr_text: dict[str, pd.DataFrame],
    chunks: dict[str, pd.DataFrame],
    entity_mentions: dict[str, pd.DataFrame],
    database: DatabaseResource,
):
    """Typed edges with evidence: mentions, party roles, counsel, courts, citations, co-occurrence."""
    failures = StageFailures(context, database.tables(), "relationships")
    frames, unknown_endpoints = {}, {}
    for document_id, page_frame in ocr_text.items():
        with failures.document(document_id):
            mentions = mentions_from_frame(entity_mentions[document_id])
            found = find_relationships(
                document_id,
                document_text(pages_from_frame(page_frame)),
                chunks_from_frame(chunks[document_id]),
                mentions,
            )
            frame = frames[document_id] = relationships_frame(document_id, found)
            context.add_asset_metadata(
                {
                    "relationships": len(frame),
                    "by_type": dg.MetadataValue.json(
                        {str(t): int(n) for t, n in frame.type.value_counts().items()}
                    ),
                    "preview": markdown_table(
                        frame[frame.type != "MENTIONS"].head(10)[
                            ["type", "source_name", "target_name", "confidence"]
                        ]
                    ),
                    "dagster/row_count": len(frame),
                },
                partition_key=document_id,
            )
            known = {EntityKey(m.label, m.normalized) for m in mentions} | {
                EntityKey("DOCUMENT", document_id)
            }
            if unknown := relationship_keys(frame) - known:
                unknown_endpoints[document_id] = ", ".join(map(str, list(unknown)[:5]))
    failures.raise_if_any()
    yield dg.Output(frames)
    yield failures.blocking_check("endpoints_are_mentions", unknown_endpoints, checked=frames)
    failures.raise_if_any()

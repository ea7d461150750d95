"""Entity mentions with exact document offsets, and the evidenced relationships between them."""

import bisect

import dagster as dg
import pandas as pd

from docassets.core.chunking import document_text
from docassets.core.entities import EntityExtractor, load_pipeline
from docassets.core.models import Chunk, EntityKey, Mention
from docassets.core.relationships import find_relationships
from docassets.defs.partitions import documents
from docassets.frames import (
    chunks_from_frame,
    mentions_frame,
    mentions_from_frame,
    pages_from_frame,
    relationship_keys,
    relationships_frame,
)


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
    partitions_def=documents,
    group_name="entities",
    kinds={"spacy", "sql"},
    io_manager_key="table_io_manager",
    check_specs=[
        dg.AssetCheckSpec("offsets_reproduce_text", asset="entity_mentions", blocking=True,
                          description="The document text at every mention's offsets equals its text."),
        dg.AssetCheckSpec("mentions_in_chunks", asset="entity_mentions",
                          description="Every mention lies inside a chunk, so it can be cited."),
    ],
)
def entity_mentions(context: dg.AssetExecutionContext, ocr_text: pd.DataFrame, chunks: pd.DataFrame):
    """People, organisations, places, dates, money, courts, case numbers, citations, statutes and Bates numbers."""
    pages = pages_from_frame(ocr_text)
    mentions = EntityExtractor(load_pipeline()).extract_pages(pages)
    frame = mentions_frame(context.partition_key, mentions, chunk_of(mentions, chunks_from_frame(chunks)))
    counts = frame.label.value_counts()
    yield dg.Output(frame, metadata={
        "mentions": len(frame),
        "by_label": dg.MetadataValue.json({label: int(n) for label, n in counts.items()}),
        "preview": dg.MetadataValue.md(
            frame.head(10)[["label", "text", "normalized", "page_number", "role"]].to_markdown(index=False)
        ),
    })
    text = document_text(pages)
    wrong = [m.text for m in mentions if text[m.start:m.end] != m.text]
    yield dg.AssetCheckResult(check_name="offsets_reproduce_text", passed=not wrong,
                              metadata={"mismatched": len(wrong), "examples": ", ".join(wrong[:5]) or "none"})
    outside = int(frame.chunk_index.isna().sum())
    yield dg.AssetCheckResult(check_name="mentions_in_chunks", passed=outside == 0,
                              severity=dg.AssetCheckSeverity.WARN, metadata={"outside_chunks": outside})


@dg.asset(
    partitions_def=documents,
    group_name="entities",
    kinds={"python", "sql"},
    io_manager_key="table_io_manager",
    check_specs=[dg.AssetCheckSpec("endpoints_are_mentions", asset="relationships", blocking=True,
                                   description="Every edge joins the document or entities mentioned in it.")],
)
def relationships(
    context: dg.AssetExecutionContext, ocr_text: pd.DataFrame, chunks: pd.DataFrame, entity_mentions: pd.DataFrame
):
    """Typed edges with evidence: mentions, party roles, counsel, courts, citations, co-occurrence."""
    document_id = context.partition_key
    mentions = mentions_from_frame(entity_mentions)
    found = find_relationships(
        document_id, document_text(pages_from_frame(ocr_text)), chunks_from_frame(chunks), mentions
    )
    frame = relationships_frame(document_id, found)
    yield dg.Output(frame, metadata={
        "relationships": len(frame),
        "by_type": dg.MetadataValue.json({t: int(n) for t, n in frame.type.value_counts().items()}),
        "preview": dg.MetadataValue.md(
            frame[frame.type != "MENTIONS"].head(10)[["type", "source_name", "target_name", "confidence"]]
            .to_markdown(index=False)
        ),
    })
    known = {EntityKey(m.label, m.normalized) for m in mentions} | {EntityKey("DOCUMENT", document_id)}
    unknown = relationship_keys(frame) - known
    yield dg.AssetCheckResult(check_name="endpoints_are_mentions", passed=not unknown,
                              metadata={"unknown_endpoints": ", ".join(map(str, list(unknown)[:5])) or "none"})

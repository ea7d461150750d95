"""The full-text search index of one document: its pages and its chunks, each with page and Bates spans."""

import dagster as dg
import pandas as pd

from docassets.defs.checks import documents_check
from docassets.defs.partitions import document_backfill, documents
from docassets.frames import search_index_frame


@dg.asset(
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name="search",
    kinds={"sql"},
    io_manager_key="table_io_manager",
    check_specs=[dg.AssetCheckSpec("every_page_and_chunk_indexed", asset="search_index",
                                   description="One index row per page and per chunk, each with its text.")],
)
def search_index(
    context: dg.AssetExecutionContext,
    source_documents: dict[str, pd.DataFrame],
    ocr_text: dict[str, pd.DataFrame],
    chunks: dict[str, pd.DataFrame],
):
    """Page-level and chunk-level rows for full-text search (PostgreSQL tsvector + GIN, or SQLite FTS5).

    The database indexes the text as the rows are written (see `storage/tables.py`), so replacing a
    document's rows replaces its index entries in the same transaction.
    """
    frames, missing = {}, {}
    for document_id, source_frame in source_documents.items():
        pages, document_chunks = ocr_text[document_id], chunks[document_id]
        frame = frames[document_id] = search_index_frame(
            document_id, source_frame.iloc[0].project, pages, document_chunks
        )
        counts = frame.level.value_counts()
        context.add_asset_metadata({
            "pages": int(counts.get("page", 0)),
            "chunks": int(counts.get("chunk", 0)),
            "characters": int(frame[frame.level == "page"].text.str.len().sum()),
        }, partition_key=document_id)
        if (int(counts.get("page", 0)), int(counts.get("chunk", 0))) != (len(pages), len(document_chunks)):
            missing[document_id] = f"{counts.to_dict()} rows for {len(pages)} pages and {len(document_chunks)} chunks"
    yield dg.Output(frames)
    yield documents_check("every_page_and_chunk_indexed", missing, checked=len(frames))

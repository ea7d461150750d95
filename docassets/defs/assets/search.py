"""The full-text search index of one document: its pages and its chunks, each with page and Bates spans."""

import dagster as dg
import pandas as pd

from docassets.defs import groups
from docassets.defs.columns import table_metadata
from docassets.defs.failures import StageFailures
from docassets.defs.partitions import document_backfill, documents
from docassets.defs.resources import DatabaseResource
from docassets.defs.versions import SEARCH_INDEX_VERSION
from docassets.distributed import stage_tags
from docassets.frames import search_index_rows
from docassets.storage import tables as t


@dg.asset(
    op_tags=stage_tags("search_index"),
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name=groups.TEXT,
    io_manager_key="table_io_manager",
    code_version=SEARCH_INDEX_VERSION,
    metadata=table_metadata(t.search_index),
    check_specs=[
        dg.AssetCheckSpec(
            "every_page_and_chunk_indexed",
            asset="search_index",
            blocking=True,
            description="One index row per page and per chunk, each with its text.",
        )
    ],
)
def search_index(
    context: dg.AssetExecutionContext,
    source_documents: dict[str, pd.DataFrame],
    ocr_text: dict[str, pd.DataFrame],
    chunks: dict[str, pd.DataFrame],
    database: DatabaseResource,
):
    """Page-level and chunk-level rows for full-text search (PostgreSQL tsvector + GIN, or SQLite FTS5).

    The database indexes the text as the rows are written (see `storage/tables.py`), so replacing a
    document's rows replaces its index entries in the same transaction.
    """
    failures = StageFailures(context, database.tables(), "search_index")
    rows, missing = {}, {}
    for document_id, source_frame in source_documents.items():
        with failures.document(document_id):
            pages, document_chunks = ocr_text[document_id], chunks[document_id]
            indexed = rows[document_id] = search_index_rows(
                document_id, source_frame.iloc[0].project, pages, document_chunks
            )
            page_rows = [row for row in indexed if row["level"] == "page"]
            chunk_rows = len(indexed) - len(page_rows)
            context.add_asset_metadata(
                {
                    "pages": len(page_rows),
                    "chunks": chunk_rows,
                    "characters": sum(len(row["text"]) for row in page_rows),
                    "dagster/row_count": len(indexed),
                },
                partition_key=document_id,
            )
            if (len(page_rows), chunk_rows) != (len(pages), len(document_chunks)):
                missing[document_id] = (
                    f"{len(page_rows)} page rows and {chunk_rows} chunk rows for "
                    f"{len(pages)} pages and {len(document_chunks)} chunks"
                )
    failures.raise_if_any()
    yield dg.Output(rows)
    yield failures.blocking_check("every_page_and_chunk_indexed", missing, checked=rows)
    failures.raise_if_any()

"""The finalisation of one document: what each stage produced, and that it completed."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from docassets.defs import groups
from docassets.defs.checks import documents_check
from docassets.defs.columns import table_metadata
from docassets.defs.failures import StageFailures
from docassets.defs.partitions import document_backfill, documents
from docassets.defs.resources import DatabaseResource
from docassets.distributed import stage_tags
from docassets.storage import tables as t


@dg.asset(
    op_tags=stage_tags("document_summary"),
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name=groups.ENTITIES,
    io_manager_key="table_io_manager",
    metadata=table_metadata(t.document_summary),
    deps=["search_index"],  # completed means searchable too
    check_specs=[
        dg.AssetCheckSpec(
            "stages_agree",
            asset="document_summary",
            description="Every page was read, and a document with text has chunks.",
        )
    ],
)
def document_summary(
    context: dg.AssetExecutionContext,
    database: DatabaseResource,
    source_documents: dict[str, pd.DataFrame],
    ocr_text: dict[str, pd.DataFrame],
    chunks: dict[str, pd.DataFrame],
    entity_mentions: dict[str, pd.DataFrame],
    relationships: dict[str, pd.DataFrame],
):
    """Counts per stage and status `completed`; clears any failure recorded by an earlier attempt."""
    tables = database.tables()
    failures = StageFailures(context, tables, "document_summary")
    frames, disagreements = {}, {}
    for document_id, source_frame in source_documents.items():
        with failures.document(document_id):
            source, pages = source_frame.iloc[0], ocr_text[document_id]
            methods = pages.method.value_counts()
            row = {
                "document_id": document_id,
                "project": source.project,
                "file_name": source.file_name,
                "pages": len(pages),
                "ocr_pages": int(methods.get("ocr", 0)),
                "unreadable_pages": int(methods.get("empty", 0)),
                "chunks": len(chunks[document_id]),
                "mentions": len(entity_mentions[document_id]),
                "relationships": len(relationships[document_id]),
                "status": "completed",
                "completed_at": datetime.now(UTC),
            }
            frames[document_id] = pd.DataFrame([row])
            context.add_asset_metadata(
                {**{k: v for k, v in row.items() if isinstance(v, (int, str))}, "dagster/row_count": 1},
                partition_key=document_id,
            )
            has_text = bool(pages.text.str.strip().str.len().sum())
            if row["pages"] != int(source.page_count) or (row["chunks"] == 0 and has_text):
                disagreements[document_id] = (
                    f"{row['pages']} of {int(source.page_count)} pages read, {row['chunks']} chunks"
                )
    failures.raise_if_any()
    tables.replace_rows("document_failures", [], where={"document_id": list(frames)})
    yield dg.Output(frames)
    yield documents_check("stages_agree", disagreements, checked=frames)

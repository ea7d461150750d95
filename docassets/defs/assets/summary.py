"""The finalisation of one document: what each stage produced, and that it completed."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from docassets.defs.partitions import documents
from docassets.defs.resources import DatabaseResource


@dg.asset(
    partitions_def=documents,
    group_name="documents",
    kinds={"sql"},
    io_manager_key="table_io_manager",
    check_specs=[dg.AssetCheckSpec("stages_agree", asset="document_summary",
                                   description="Every page was read, and a document with text has chunks.")],
)
def document_summary(
    context: dg.AssetExecutionContext,
    database: DatabaseResource,
    source_documents: pd.DataFrame,
    ocr_text: pd.DataFrame,
    chunks: pd.DataFrame,
    entity_mentions: pd.DataFrame,
    relationships: pd.DataFrame,
):
    """Counts per stage and status `completed`; clears any failure recorded by an earlier attempt."""
    source = source_documents.iloc[0]
    methods = ocr_text.method.value_counts()
    row = {
        "document_id": context.partition_key,
        "project": source.project,
        "file_name": source.file_name,
        "pages": len(ocr_text),
        "ocr_pages": int(methods.get("ocr", 0)),
        "unreadable_pages": int(methods.get("empty", 0)),
        "chunks": len(chunks),
        "mentions": len(entity_mentions),
        "relationships": len(relationships),
        "status": "completed",
        "completed_at": datetime.now(UTC),
    }
    database.tables().replace_rows("document_failures", [], where={"document_id": context.partition_key})
    yield dg.Output(pd.DataFrame([row]), metadata={k: v for k, v in row.items() if isinstance(v, (int, str))})
    has_text = bool(ocr_text.text.str.strip().str.len().sum())
    yield dg.AssetCheckResult(
        check_name="stages_agree",
        passed=row["pages"] == int(source.page_count) and (row["chunks"] > 0 or not has_text),
        metadata={"pages_in_pdf": int(source.page_count), "pages_read": row["pages"], "chunks": row["chunks"]},
    )

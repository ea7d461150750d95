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
)
def document_summary(
    context: dg.AssetExecutionContext,
    database: DatabaseResource,
    source_documents: pd.DataFrame,
    ocr_text: pd.DataFrame,
    chunks: pd.DataFrame,
    entity_mentions: pd.DataFrame,
    relationships: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
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
    return dg.Output(pd.DataFrame([row]), metadata={k: v for k, v in row.items() if isinstance(v, (int, str))})

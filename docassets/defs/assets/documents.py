"""The validated original of each document."""

import dagster as dg
import pandas as pd

from docassets.core.pdf import DocumentUnreadable, inspect_pdf
from docassets.defs import groups
from docassets.defs.columns import table_metadata
from docassets.defs.failures import StageFailures
from docassets.defs.partitions import document_backfill, documents
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.defs.shown import blob_link
from docassets.distributed import stage_tags
from docassets.storage import tables as t
from docassets.storage.blobs import local_copy
from docassets.storage.registry import DocumentRecord, lookup


@dg.asset(
    op_tags=stage_tags("source_documents"),
    partitions_def=documents,
    backfill_policy=document_backfill,
    group_name=groups.INGEST,
    kinds={"pdf"},
    io_manager_key="table_io_manager",
    metadata=table_metadata(t.source_documents),
    check_specs=[
        dg.AssetCheckSpec(
            "matches_upload",
            asset="source_documents",
            blocking=True,
            description="The stored file is the one uploaded: same size and sha256.",
        )
    ],
)
def source_documents(
    context: dg.AssetExecutionContext,
    blob_store: BlobStoreResource,
    database: DatabaseResource,
    pipeline: PipelineSettings,
):
    """The uploaded PDF, validated: size, sha256, page count, encryption, project and file name.

    Every document of the run is validated before any fails it, so that one run names every
    unreadable document and the next run holds only readable ones.
    """
    tables, store = database.tables(), blob_store.store()
    failures = StageFailures(context, tables, "source_documents")
    frames, mismatches = {}, {}
    for document_id in context.partition_keys:
        with failures.document(document_id):
            record = lookup(tables, document_id)
            frames[document_id] = frame = _validated(blob_store, record, pipeline.max_document_mb)
            row = frame.iloc[0]
            context.add_asset_metadata(
                {
                    "file_name": record.file_name,
                    "project": record.project,
                    "pages": int(row.page_count),
                    "size_mb": round(int(row.size_bytes) / 2**20, 2),
                    "sha256": row.sha256,
                    "encrypted": bool(row.encrypted),
                    "pdf": blob_link(store, record.blob_key),
                    "dagster/row_count": len(frame),
                },
                partition_key=document_id,
            )
            differing = [
                name
                for name, expected, actual in [
                    ("size", record.size_bytes, int(row.size_bytes)),
                    ("sha256", record.sha256 or row.sha256, row.sha256),
                ]
                if expected != actual
            ]
            if differing:
                mismatches[document_id] = " and ".join(differing) + " differ from the upload"
    failures.raise_if_any()
    # A document being (re)processed is no longer complete: the project assets, which read only
    # completed documents, leave it out until its new rows are all written.
    tables.replace_rows("document_summary", [], where={"document_id": list(frames)})
    yield dg.Output(frames)
    yield failures.blocking_check("matches_upload", mismatches, checked=frames)
    failures.raise_if_any()


def _validated(blob_store: BlobStoreResource, record: DocumentRecord, max_mb: int) -> pd.DataFrame:
    if record.size_bytes > max_mb * 2**20:
        raise DocumentUnreadable(
            f"{record.file_name}: {record.size_bytes / 2**20:.0f} MB is over the "
            f"{max_mb} MB limit; raise DOCASSETS_MAX_DOCUMENT_MB or split the file"
        )
    with local_copy(blob_store.store(), record.blob_key) as path:
        info = inspect_pdf(path, name=record.file_name)
    return pd.DataFrame(
        [
            {
                "document_id": record.document_id,
                "project": record.project,
                "file_name": record.file_name,
                "blob_key": record.blob_key,
                "size_bytes": info.size,
                "sha256": info.sha256,
                "page_count": info.page_count,
                "encrypted": info.encrypted,
            }
        ]
    )

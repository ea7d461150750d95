"""The validated original of each document."""

import dagster as dg
import pandas as pd

from docassets.core.pdf import DocumentUnreadable, inspect_pdf
from docassets.defs.failures import failures_recorded
from docassets.defs.partitions import documents
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.storage.blobs import local_copy
from docassets.storage.registry import lookup


@dg.asset(
    partitions_def=documents,
    group_name="documents",
    kinds={"pdf", "sql"},
    io_manager_key="table_io_manager",
    check_specs=[dg.AssetCheckSpec("matches_upload", asset="source_documents", blocking=True,
                                   description="The stored file is the one uploaded: same size and sha256.")],
)
def source_documents(
    context: dg.AssetExecutionContext,
    blob_store: BlobStoreResource,
    database: DatabaseResource,
    pipeline: PipelineSettings,
):
    """The uploaded PDF, validated: size, sha256, page count, encryption, project and file name."""
    tables = database.tables()
    record = lookup(tables, context.partition_key)
    with failures_recorded(tables, record.document_id, record.file_name, "source_documents"):
        if record.size_bytes > pipeline.max_document_mb * 2**20:
            raise DocumentUnreadable(
                f"{record.file_name}: {record.size_bytes / 2**20:.0f} MB is over the "
                f"{pipeline.max_document_mb} MB limit; raise DOCASSETS_MAX_DOCUMENT_MB or split the file"
            )
        with local_copy(blob_store.store(), record.blob_key) as path:
            info = inspect_pdf(path, name=record.file_name)
    frame = pd.DataFrame([{
        "document_id": record.document_id, "project": record.project, "file_name": record.file_name,
        "blob_key": record.blob_key, "size_bytes": info.size, "sha256": info.sha256,
        "page_count": info.page_count, "encrypted": info.encrypted,
    }])
    yield dg.Output(frame, metadata={
        "file_name": record.file_name,
        "project": record.project,
        "pages": info.page_count,
        "size_mb": round(info.size / 2**20, 2),
        "sha256": info.sha256,
        "encrypted": info.encrypted,
    })
    mismatches = [
        name for name, expected, actual in [
            ("size", record.size_bytes, info.size),
            ("sha256", record.sha256 or info.sha256, info.sha256),
        ] if expected != actual
    ]
    yield dg.AssetCheckResult(
        check_name="matches_upload", passed=not mismatches,
        metadata={"mismatched": ", ".join(mismatches) or "none"},
    )

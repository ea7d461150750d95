"""Failed documents are recorded with their cause, so `docassets status` and the UI can say why."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import dagster as dg

from docassets.core.pdf import DocumentUnreadable
from docassets.storage.tables import TableStore, as_utc


def record_failure(tables: TableStore, document_id: str, stage: str, error: str) -> None:
    tables.replace_rows(
        "document_failures",
        [{"document_id": document_id, "stage": stage, "error": error, "failed_at": datetime.now(UTC)}],
        where={"document_id": document_id},
    )


def record_failure_unless_recorded(
    tables: TableStore, document_id: str, stage: str, error: str, since: datetime
) -> None:
    """Record a run's failure, keeping the more precise cause a stage already recorded during that run."""
    existing = tables.read_frame("document_failures", {"document_id": document_id})
    if existing.empty or as_utc(existing.failed_at.iloc[0]) < since:
        record_failure(tables, document_id, stage, error)


@contextmanager
def failures_recorded(tables: TableStore, document_id: str, file_name: str, stage: str) -> Iterator[None]:
    """Record any error of a stage against its document. A document that cannot be read fails for
    good (no retry); anything else (a network or database hiccup) is re-raised for the retry policy."""
    try:
        yield
    except DocumentUnreadable as error:
        cause = str(error)
        described = cause if cause.startswith(file_name) else f"{file_name}: {cause}"
        record_failure(tables, document_id, stage, described)
        raise dg.Failure(
            description=f"document {document_id} ({described})",
            metadata={"document_id": document_id, "file_name": file_name, "stage": stage},
            allow_retries=False,
        ) from error
    except Exception as error:
        record_failure(tables, document_id, stage, f"{file_name}: {type(error).__name__}: {error}")
        raise

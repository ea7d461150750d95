"""Failed documents are recorded with their cause, so `docassets status` and the UI can say why.

A run covers one document or several. A document that cannot be read fails the run at once (no
retry), naming the document; the run-failure sensor then queues the run's other documents again
in a run without it (see `sensors.record_failed_documents`).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def blamed_documents(step_failures: Iterable[dg.DagsterEvent]) -> set[str]:
    """The documents that step failures name as their cause (see `failures_recorded`)."""
    blamed = set()
    for event in step_failures:
        failure = event.step_failure_data.user_failure_data if event.step_failure_data else None
        for name in ("document_id", "document_ids"):
            if failure is not None and name in (failure.metadata or {}):
                blamed |= {part.strip() for part in str(failure.metadata[name].value).split(",")}
    return blamed


def settle_failed_run(
    tables: TableStore, document_ids: list[str], blamed: set[str], stage: str, error: str, since: datetime
) -> list[str]:
    """After a run of `document_ids` failed: record why, and return the documents owed another run.

    When the run failed because of some of its documents (`blamed`: unreadable files, whose
    failures their stage recorded), the others deserve a new run without them; each such round
    removes at least one document, so this ends. Otherwise the run failed as a whole (an outage
    that outlasted the retries) and every document records the run's error, unless a stage
    recorded a more precise one during the run.
    """
    if not blamed:
        for document_id in document_ids:
            record_failure_unless_recorded(tables, document_id, stage, error, since)
        return []
    return [document_id for document_id in document_ids if document_id not in blamed]


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


def raise_unreadable(failures: list[dg.Failure]) -> None:
    """Fail the step for every document of the run found unreadable, all named in one error."""
    if not failures:
        return
    if len(failures) == 1:
        raise failures[0]
    raise dg.Failure(
        description=f"{len(failures)} documents cannot be read: " + "; ".join(f.description for f in failures),
        metadata={"document_ids": ", ".join(str(f.metadata["document_id"].value) for f in failures)},
        allow_retries=False,
    )

"""Where each document of a batch, project or the whole registry is: its last stage, failure, ETA."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from docassets.frames import records
from docassets.storage import tables as t
from docassets.storage.tables import TableStore, as_utc

# Stages in pipeline order, each with the table whose rows show it done (ocr_text lives in the blob
# store; chunks imply it).
STAGES = (
    ("source_documents", t.source_documents),
    ("chunks", t.chunks),
    ("entity_mentions", t.entity_mentions),
    ("relationships", t.relationships),
    ("document_summary", t.document_summary),
)


@dataclass(frozen=True)
class PageCount:
    """How far a long stage has got with a document, and how fast it goes in this attempt."""

    stage: str
    done: int
    total: int
    pages_per_second: float | None

    @property
    def remaining(self) -> timedelta | None:
        if not self.pages_per_second:
            return None
        return timedelta(seconds=(self.total - self.done) / self.pages_per_second)

    def __str__(self) -> str:
        what = "OCR" if self.stage == "ocr_text" else self.stage
        left = f", about {minutes(self.remaining)} left" if self.remaining and self.done < self.total else ""
        return f"{what} {self.done}/{self.total} pages{left}"


@dataclass(frozen=True)
class DocumentProgress:
    document_id: str
    file_name: str
    project: str
    state: str  # "completed" | "failed" | "retrying" | "running" | "queued"
    last_stage: str | None
    failed_stage: str | None
    error: str | None
    registered_at: datetime
    completed_at: datetime | None
    pages: PageCount | None = None  # while a long stage reads the document's pages


@dataclass(frozen=True)
class Progress:
    documents: list[DocumentProgress]

    def count(self, state: str) -> int:
        return sum(d.state == state for d in self.documents)

    @property
    def eta(self) -> timedelta | None:
        """The longer of: what the documents being read still need at the pages per second measured
        in their runs, and the documents not yet started at the rate completed ones have been
        going. None while neither can be measured."""
        pending = [d for d in self.documents if d.state in ("queued", "running", "retrying")]
        page_estimates = [d.pages.remaining for d in pending if d.pages and d.pages.remaining]
        not_started = [d for d in pending if not d.pages]
        done = [d.completed_at for d in self.documents if d.completed_at]
        estimates = list(page_estimates)
        if done and not_started:
            started = min(d.registered_at for d in self.documents)
            elapsed = (max(done) - started).total_seconds()
            estimates.append(timedelta(seconds=elapsed / len(done) * len(not_started)))
        return max(estimates) if estimates else None


def minutes(span: timedelta) -> str:
    count = span.total_seconds() / 60
    return f"{count:.0f} min" if count >= 1 else "under a minute"


def read_progress(
    tables: TableStore,
    *,
    project: str | None = None,
    batch_id: str | None = None,
    document_id: str | None = None,
    document_ids: Sequence[str] | None = None,
) -> Progress:
    d = t.documents
    query = sa.select(
        d.c.document_id, d.c.file_name, d.c.project, d.c.registered_at, d.c.run_owed_at, d.c.run_requested_at
    )
    for column, value in ((d.c.project, project), (d.c.document_id, document_id)):
        if value is not None:
            query = query.where(column == value)
    if batch_id is not None:  # its files, duplicates of earlier documents included
        in_batch = sa.select(t.batch_files.c.document_id).where(t.batch_files.c.batch_id == batch_id)
        query = query.where(sa.or_(d.c.batch_id == batch_id, d.c.document_id.in_(in_batch)))
    if document_ids is not None:
        query = query.where(d.c.document_id.in_(document_ids))
    registered = tables.frame(query.order_by(d.c.registered_at))
    ids = list(registered.document_id)
    if not ids:
        return Progress([])
    done_by_stage = {
        name: set(
            tables.frame(
                sa.select(table.c.document_id).where(table.c.document_id.in_(ids)).distinct()
            ).document_id
        )
        for name, table in STAGES
    }
    summaries = tables.frame(
        sa.select(t.document_summary.c.document_id, t.document_summary.c.completed_at).where(
            t.document_summary.c.document_id.in_(ids)
        )
    )
    completed_at = {row.document_id: as_utc(row.completed_at) for row in records(summaries)}
    failures = {
        row.document_id: row
        for row in records(
            tables.frame(sa.select(t.document_failures).where(t.document_failures.c.document_id.in_(ids)))
        )
    }
    page_counts = {
        row.document_id: PageCount(row.stage, row.pages_done, row.pages_total, row.pages_per_second)
        for row in records(
            tables.frame(sa.select(t.document_progress).where(t.document_progress.c.document_id.in_(ids)))
        )
    }
    documents = []
    for row in records(registered):
        stages = [name for name, _ in STAGES if row.document_id in done_by_stage[name]]
        failure = failures.get(row.document_id)
        pages = page_counts.get(row.document_id)
        finished = completed_at.get(row.document_id)
        failed = as_utc(failure.failed_at) if failure is not None else None
        # Only an outcome of the run owed last counts: after `--force` or `reprocess` the old
        # completion or failure is history until the new run ends.
        owed = as_utc(row.run_owed_at)
        finished, failed = (
            None if moment is None or (owed and moment < owed) else moment for moment in (finished, failed)
        )
        if finished and not (failed and failed > finished):
            state, pages = "completed", None
        elif failed:
            assert failure is not None  # `failed` is its time
            state = "retrying" if failure.retrying else "failed"
        elif row.document_id in completed_at or failure is not None:  # rerun owed: earlier rows are stale
            state, stages, pages = ("running" if row.run_requested_at is not None else "queued"), [], None
        else:
            state = "running" if stages or pages else "queued"
        documents.append(
            DocumentProgress(
                row.document_id,
                row.file_name,
                row.project,
                state,
                stages[-1] if stages else None,
                failure.stage if failure is not None and state in ("failed", "retrying") else None,
                failure.error if failure is not None and state in ("failed", "retrying") else None,
                as_utc(row.registered_at),
                finished if state == "completed" else None,
                pages,
            )
        )
    return Progress(documents)

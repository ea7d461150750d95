"""Failed documents are recorded with their cause, so `docassets status` and the UI can say why.

A run covers one document or several. A document whose stage fails for a reason a retry cannot
cure fails the run once (no retry), naming the document; the run-failure sensor then queues the
run's other documents again in a run without it (see `sensors.record_failed_documents`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

import dagster as dg

from docassets.core.pdf import DocumentUnreadable
from docassets.defs.checks import documents_check
from docassets.storage.errors import is_transient
from docassets.storage.registry import lookup
from docassets.storage.tables import TableStore, as_utc

# What Dagster says when a run's process died (see dagster._utils.get_run_crash_explanation) or
# could not be monitored, and what Celery says when a worker's process running a step died
# ("[ocr_text]: billiard.exceptions.WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL)").
_INFRASTRUCTURE = re.compile(
    r"terminated by signal|exited with code|out of memory|heartbeat|exited prematurely", re.IGNORECASE
)
_CELERY_STEP = re.compile(r"^\[(?P<step>[\w.]+)\]: (?P<cause>.*)$")


def record_failure(
    tables: TableStore, document_id: str, stage: str, error: str, *, retrying: bool = False
) -> None:
    tables.replace_rows(
        "document_failures",
        [
            {
                "document_id": document_id,
                "stage": stage,
                "error": error,
                "failed_at": datetime.now(UTC),
                "retrying": retrying,
            }
        ],
        where={"document_id": document_id},
    )


def record_failure_unless_recorded(
    tables: TableStore, document_id: str, stage: str, error: str, since: datetime, *, retrying: bool = False
) -> None:
    """Record a run's failure, keeping the more precise cause a stage already recorded during that run
    (whose step is no longer being retried: the run is over, though a new run may follow)."""
    existing = tables.read_frame("document_failures", {"document_id": document_id})
    if existing.empty or as_utc(existing.failed_at.iloc[0]) < since:
        record_failure(tables, document_id, stage, error, retrying=retrying)
    else:
        row = existing.iloc[0]
        record_failure(tables, document_id, row.stage, row.error, retrying=retrying)


def run_failure_cause(instance: dg.DagsterInstance, run_id: str) -> tuple[str, str] | None:
    """(step, cause) of a run that died outside our code: the step it was in, and what Dagster saw
    ("Run execution process ... was terminated by signal 9 (SIGKILL) ... out of memory", an exit
    code, a lost heartbeat, a Celery worker lost mid-step), rather than "marked as failed from
    outside the execution context"."""
    records = instance.all_logs(run_id)
    causes = [
        line.strip()
        for r in records
        if r.dagster_event_type in (dg.DagsterEventType.ENGINE_EVENT, dg.DagsterEventType.RUN_FAILURE)
        and r.dagster_event is not None
        for line in _event_text(r.dagster_event, r.message).splitlines()
        if _INFRASTRUCTURE.search(line)
    ]
    if not causes:
        return None
    if named := _CELERY_STEP.match(causes[-1]):
        return named["step"], named["cause"]
    started = [
        r.step_key for r in records if r.dagster_event_type == dg.DagsterEventType.STEP_START and r.step_key
    ]
    return (started[-1] if started else "run"), causes[-1]


def _event_text(event: dg.DagsterEvent, message: str | None) -> str:
    """An event's message, and for a run failure the error that failed it (a Celery executor puts
    its workers' errors there)."""
    failure = event.job_failure_data if event.event_type == dg.DagsterEventType.RUN_FAILURE else None
    error = failure.error if failure is not None else None
    return "\n".join(part for part in (message, error.message if error else None) if part)


def blamed_documents(step_failures: Iterable[dg.DagsterEvent]) -> set[str]:
    """The documents that step failures name as their cause (see `StageFailures.raise_if_any`)."""
    blamed = set()
    for event in step_failures:
        failure = event.step_failure_data.user_failure_data if event.step_failure_data else None
        if failure is not None and "document_ids" in (failure.metadata or {}):
            blamed |= {part.strip() for part in str(failure.metadata["document_ids"].value).split(",")}
    return blamed


def settle_failed_run(
    tables: TableStore,
    document_ids: list[str],
    blamed: set[str],
    stage: str,
    error: str,
    since: datetime,
    *,
    retrying: bool = False,
) -> list[str]:
    """After a run of `document_ids` failed: record why, and return the documents owed another run.

    When the run failed because of some of its documents (`blamed`: unreadable files, whose
    failures their stage recorded), the others deserve a new run without them; each such round
    removes at least one document, so this ends. Otherwise the run failed as a whole (an outage
    that outlasted the retries) and every document records the run's error, unless a stage
    recorded a more precise one during the run; with `retrying`, Dagster runs it again.
    """
    if not blamed:
        for document_id in document_ids:
            record_failure_unless_recorded(tables, document_id, stage, error, since, retrying=retrying)
        return []
    return [document_id for document_id in document_ids if document_id not in blamed]


class StageFailures:
    """The errors of one stage's documents in a run.

    Each error is recorded against its document at once, with the stage and the cause, and logged,
    so `docassets status` and the UI say why while the run goes on. A transient error (network,
    database, S3; see `storage.errors`) is re-raised for the job's retry policy. Any other error
    cannot be cured by a retry: the stage goes on with the run's other documents, and
    `raise_if_any` then fails the step once, naming every failed document, with retries
    forbidden; the run-failure sensor queues the other documents again in a run without them.
    """

    def __init__(self, context: dg.AssetExecutionContext, tables: TableStore, stage: str):
        self.context, self.tables, self.stage = context, tables, stage
        self.failed: dict[str, str] = {}

    @contextmanager
    def document(self, document_id: str) -> Iterator[None]:
        """Run one document's part of the stage; its error is recorded (and kept, or re-raised)."""
        try:
            yield
        except Exception as error:
            cause = (
                str(error) if isinstance(error, DocumentUnreadable) else f"{type(error).__name__}: {error}"
            )
            described = self._named(document_id, cause)
            if is_transient(error):
                attempt = self.context.retry_number + 1
                record_failure(
                    self.tables, document_id, self.stage, f"{described} (attempt {attempt})", retrying=True
                )
                self.context.log.error(
                    f"{self.stage} of {described}; attempt {attempt} failed, to be retried"
                )
                raise
            record_failure(self.tables, document_id, self.stage, described)
            self.context.log.error(f"{self.stage} failed for document {document_id}: {described}")
            self.failed[document_id] = described

    def blocking_check(
        self, check_name: str, failing: Mapping[str, str], *, checked: Collection[str]
    ) -> dg.AssetCheckResult:
        """The verdict of a check that later stages rely on. A document failing it fails the stage with
        the check's reason (raised by `raise_if_any`), instead of blocking every document of the run."""
        for document_id, why in failing.items():
            described = self._named(document_id, f"check {check_name} failed: {why}")
            record_failure(self.tables, document_id, self.stage, described)
            self.context.log.error(f"{self.stage} failed for document {document_id}: {described}")
            self.failed[document_id] = described
        return documents_check(check_name, failing, checked=checked)

    def raise_if_any(self) -> None:
        """Fail the step, without retries, naming every document of the run that failed in it."""
        if not self.failed:
            return
        raise dg.Failure(
            description=f"{self.stage}: {len(self.failed)} of the run's documents failed: "
            + "; ".join(f"{document_id} ({cause})" for document_id, cause in self.failed.items()),
            metadata={"document_ids": ", ".join(self.failed), "stage": self.stage},
            allow_retries=False,
        )

    def _named(self, document_id: str, cause: str) -> str:
        """The cause, starting with the document's file name (what a person recognises)."""
        try:
            file_name = lookup(self.tables, document_id).file_name
        except Exception:  # the registry itself is unreachable: the id still names the document
            file_name = document_id
        return cause if cause.startswith(file_name) else f"{file_name}: {cause}"

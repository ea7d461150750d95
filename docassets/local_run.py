"""Run the whole pipeline on local files through Dagster: the code path of `docassets process`,
`api.process` and `make demo`. Each document is uploaded to the blob store and registered as a
partition; the same job the sensor launches materializes them, several documents per run as the
sensor's runs do; then the project's partition of the project assets updates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from docassets.defs.batching import consecutive, cut, partition_tags
from docassets.defs.definitions import build_definitions
from docassets.defs.failures import blamed_documents, settle_failed_run
from docassets.defs.partitions import DOCUMENTS, PROJECTS
from docassets.frames import records
from docassets.preflight import blob_store_for, dagster_instance, verify_storage
from docassets.progress import read_progress
from docassets.projects import validated_project
from docassets.settings import Settings
from docassets.storage import tables as t
from docassets.storage.registry import (
    file_sha256,
    find_duplicate,
    record_for,
    register,
    request_reruns,
    upload_document,
    upload_key,
)
from docassets.storage.tables import TableStore
from docassets.submission import pdf_files

# Runs started from Python print nothing: the caller reports each document's outcome and cause (a
# failed stage would print its traceback), and the full event log is in the instance (UI).
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class DocumentResult:
    document_id: str
    file_name: str
    status: str  # "completed" | "failed" | "duplicate" (the project's existing document, not run again)
    error: str | None = None
    pages: int = 0
    ocr_pages: int = 0
    chunks: int = 0
    mentions: int = 0
    entities: int = 0
    relationships: int = 0


@dataclass(frozen=True)
class ProcessResult:
    project: str
    documents: list[DocumentResult]
    entities: int
    graph_location: str
    skipped: list[Path]  # files in the folders given that are not PDFs

    @property
    def failed(self) -> list[DocumentResult]:
        return [d for d in self.documents if d.status == "failed"]


class LocalPipeline:
    """The pipeline over one configuration and Dagster instance, driven from Python."""

    def __init__(self, settings: Settings, instance: dg.DagsterInstance):
        verify_storage(settings)
        self.settings = settings
        self.instance = instance
        self.store = blob_store_for(settings)
        self.tables = TableStore(settings.database_url)
        self.definitions = build_definitions(settings)
        self.job = self.definitions.resolve_job_def("process_document")
        self.project_job = self.definitions.resolve_job_def("update_project")

    def add_document(self, path: Path, *, project: str) -> str:
        """Upload a file and register it as a partition, as the upload sensor would."""
        document_id = upload_document(self.store, path, project=project)
        key = upload_key(document_id)
        register(self.tables, record_for(self.store.location, key, self.store.head(key)), run_requested=True)
        self._add_partitions(document_id, project)
        return document_id

    def _add_partitions(self, document_id: str, project: str) -> None:
        self.instance.add_dynamic_partitions(DOCUMENTS, [document_id])
        self._add_project(project)

    def _add_project(self, project: str) -> None:
        if not self.instance.has_dynamic_partition(PROJECTS, project):
            self.instance.add_dynamic_partitions(PROJECTS, [project])

    def add_unless_duplicate(self, path: Path, *, project: str, force: bool) -> tuple[str, str]:
        """As `submit` does: a file whose content the project already has is that document again,
        left as it is ("duplicate") or, with `force`, run again ("reprocessing"); else "new"."""
        duplicate = find_duplicate(self.tables, project, file_sha256(path))
        if duplicate is None:
            return self.add_document(path, project=project), "new"
        if not force:
            return duplicate, "duplicate"
        request_reruns(self.tables, [duplicate], run_requested=True)
        self._add_partitions(duplicate, project)  # another instance may not know them
        return duplicate, "reprocessing"

    def run_document(self, document_id: str) -> bool:
        """Materialize every per-document stage of one document; False when the run failed (the cause is
        recorded)."""
        return document_id not in self.run_documents([document_id])

    def run_documents(self, document_ids: Sequence[str]) -> set[str]:
        """Materialize every per-document stage of these documents, several per run as the sensor
        would (see `defs/batching.py`); returns the documents that failed (their causes are recorded).

        A run that failed because of some of its documents is repeated for the others.
        """
        order = {key: index for index, key in enumerate(self.instance.get_dynamic_partitions(DOCUMENTS))}

        def runs_of(ids: Sequence[str]) -> list[list[str]]:
            return [
                part
                for stretch in consecutive(ids, order.__getitem__)
                for part in cut(stretch, self.settings.documents_per_run)
            ]

        queue = runs_of(document_ids)
        failed: set[str] = set()
        while queue:
            run_ids = queue.pop(0)
            started = datetime.now(UTC)
            result = self.job.execute_in_process(
                instance=self.instance, tags=partition_tags(run_ids), raise_on_error=False, run_config=QUIET
            )
            if result.success:
                continue
            step_failures = [event for event in result.all_events if event.is_step_failure]
            first = step_failures[0] if step_failures else None
            cause = (
                first.step_failure_data.error.message.strip()
                if first and first.step_failure_data.error
                else "the run failed"
            )
            again = settle_failed_run(
                self.tables,
                run_ids,
                blamed_documents(step_failures),
                first.step_key if first and first.step_key else "run",
                cause,
                since=started,
            )
            failed |= set(run_ids) - set(again)
            queue += runs_of(again)
        return failed

    def update_project_assets(self, project: str) -> bool:
        """Recompute the project's resolved entities, duplicate groups and graph over its completed
        documents (the run the `project_automation` sensor requests)."""
        self._add_project(project)  # (its documents may have been added through another instance)
        return self.project_job.execute_in_process(
            instance=self.instance, partition_key=project, raise_on_error=False, run_config=QUIET
        ).success


def process_files(
    paths: Sequence[str | Path],
    *,
    project: str,
    settings: Settings,
    instance: dg.DagsterInstance | None = None,
    force: bool = False,
) -> ProcessResult:
    """Process files (folders: their PDFs, recursively); a file the project already has is reported
    as a duplicate and not processed again unless `force`, which replaces its rows."""
    validated_project(project)
    files, skipped = pdf_files([Path(path) for path in paths])
    pipeline = LocalPipeline(settings, instance or dagster_instance(settings))
    added = [(path, *pipeline.add_unless_duplicate(path, project=project, force=force)) for path in files]
    pipeline.run_documents(
        list(dict.fromkeys(document_id for _, document_id, outcome in added if outcome != "duplicate"))
    )
    pipeline.update_project_assets(project)
    graph_location = f"{pipeline.store.location.rstrip('/')}/entity_graph/{project}/"
    return _results(pipeline.tables, project, added, skipped, graph_location)


def _results(
    tables: TableStore,
    project: str,
    added: list[tuple[Path, str, str]],
    skipped: list[Path],
    graph_location: str,
) -> ProcessResult:
    document_ids = list(dict.fromkeys(document_id for _, document_id, _ in added))
    progress = {d.document_id: d for d in read_progress(tables, document_ids=document_ids).documents}
    summaries = tables.frame(
        sa.select(t.document_summary).where(t.document_summary.c.document_id.in_(document_ids))
    )
    summary_of = {row.document_id: row for row in records(summaries)}
    links = t.entity_links
    per_document = tables.frame(
        sa.select(links.c.document_id, sa.func.count(sa.distinct(links.c.entity_id)).label("entities"))
        .where(links.c.document_id.in_(document_ids))
        .group_by(links.c.document_id)
    )
    entities_per_document = dict(zip(per_document.document_id, per_document.entities, strict=True))
    results = []
    for path, document_id, outcome in added:
        state = progress[document_id]
        status = (
            "duplicate" if outcome == "duplicate" else "completed" if state.state == "completed" else "failed"
        )
        summary = summary_of.get(document_id) if status != "failed" else None
        error = None if status != "failed" else state.error or "the run failed; see the Dagster UI"
        counts = (
            (
                summary.pages,
                summary.ocr_pages,
                summary.chunks,
                summary.mentions,
                entities_per_document.get(document_id, 0),
                summary.relationships,
            )
            if summary is not None
            else ()
        )
        results.append(DocumentResult(document_id, path.name, status, error, *counts))
    entities = tables.scalar(
        sa.select(sa.func.count())
        .select_from(t.resolved_entities)
        .where(t.resolved_entities.c.project == project)
    )
    return ProcessResult(project, results, entities, graph_location, skipped)

"""`docassets submit`: a batch of files uploaded, de-duplicated and owed runs with a priority.

Files go straight into the registry (no wait for the sensor's listing); the upload sensor then
requests the runs owed, high priority first. A file whose content (sha256) the project already
has is reported as a duplicate and not processed again, unless `force`, which reprocesses the
existing document so its rows are replaced rather than doubled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from docassets.preflight import blob_store_for
from docassets.projects import validated_project
from docassets.settings import Settings
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


@dataclass(frozen=True)
class SubmittedFile:
    path: Path
    document_id: str
    outcome: str  # "queued" | "duplicate" (not processed again) | "reprocessing" (--force)


@dataclass(frozen=True)
class Batch:
    batch_id: str
    project: str
    priority: str
    files: list[SubmittedFile]


def pdf_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The files to process among `paths` (files as given, folders searched recursively for *.pdf),
    and the files found in those folders that are not PDFs, skipped."""
    chosen: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.is_dir():
            chosen.append(path)
            continue
        for found in sorted(p for p in path.rglob("*") if p.is_file()):
            (chosen if found.suffix.lower() == ".pdf" else skipped).append(found)
    return chosen, skipped


def submit_files(
    settings: Settings,
    paths: Sequence[Path],
    *,
    project: str,
    priority: str = "normal",
    force: bool = False,
    on_bytes: Callable[[int], None] | None = None,
) -> Batch:
    validated_project(project)
    store = blob_store_for(settings)
    tables = TableStore(settings.database_url)
    tables.ensure_schema()
    batch_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    submitted = []
    for path in paths:
        sha256 = file_sha256(path)
        duplicate = find_duplicate(tables, project, sha256)
        if duplicate and not force:
            submitted.append(SubmittedFile(path, duplicate, "duplicate"))
        elif duplicate:
            request_reruns(tables, [duplicate], batch_id=batch_id, priority=priority)
            submitted.append(SubmittedFile(path, duplicate, "reprocessing"))
        else:
            document_id = upload_document(
                store,
                path,
                project=project,
                batch_id=batch_id,
                priority=priority,
                sha256=sha256,
                on_bytes=on_bytes,
            )
            key = upload_key(document_id)
            register(tables, record_for(store.location, key, store.head(key)))
            submitted.append(SubmittedFile(path, document_id, "queued"))
        if on_bytes and submitted[-1].outcome != "queued":
            on_bytes(path.stat().st_size)
    tables.replace_tables(
        {
            "batches": [
                {
                    "batch_id": batch_id,
                    "project": project,
                    "priority": priority,
                    "submitted_at": datetime.now(UTC),
                    "files": len(submitted),
                    "duplicates": sum(f.outcome == "duplicate" for f in submitted),
                }
            ],
            # One row per document: the same file twice in a batch is one document.
            "batch_files": list(
                {
                    f.document_id: {
                        "batch_id": batch_id,
                        "document_id": f.document_id,
                        "file_name": f.path.name,
                        "outcome": f.outcome,
                    }
                    for f in submitted
                }.values()
            ),
        },
        where={"batch_id": batch_id},
    )
    return Batch(batch_id, project, priority, submitted)

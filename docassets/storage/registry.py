"""The document registry: which blob (key and version) each `documents` partition is.

A document's id is also its partition key, so it is made for people to read and type in the
Dagster UI: `<project>~<file stem>-<8 hex>`, e.g. `acme~Lease_2019-3f9a1c07` (see `document_key`).
Uploads made by docassets live at `documents/<id>.pdf` and carry their project, file name,
sha256, batch and priority as object metadata. Any other PDF dropped under `inbox/` gets a
deterministic suffix (from a UUID5 of bucket, key and ETag), so listing twice never registers a
file twice, and an overwritten object (new ETag) is a new version to process. Documents
registered before readable ids (plain UUIDs) keep their ids and keep working.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import sqlalchemy as sa

from docassets.projects import validated_project
from docassets.storage.blobs import BlobHead, BlobInfo, BlobStore
from docassets.storage.tables import TableStore, documents, quarantine, source_documents

UPLOAD_PREFIX = "documents/"
INBOX_PREFIX = "inbox/"
DEFAULT_PROJECT = "default"
PRIORITIES = ("high", "normal", "low")
_NAMESPACE = uuid.UUID("6f1c1d3e-8a52-4c8e-9a57-2f0b7f0f4a11")
# Characters a document id may hold: safe in Dagster partition keys (never ',', '[', ']' or '...',
# which the UI's partition selections use), in blob keys, file names and URLs.
PROJECT_SEPARATOR = "~"
STEM_CHARS = 32  # of the file name kept in the id: the UI shows about 50 characters of a key
SUFFIX_CHARS = 8  # hex digits that tell apart files of one project with the same name
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")  # '.' too: no '...' and no dots to confuse with extensions
_DOCUMENT_KEY = re.compile(
    rf"[A-Za-z0-9][A-Za-z0-9._-]*{PROJECT_SEPARATOR}[A-Za-z0-9_-]+-[0-9a-f]{{{SUFFIX_CHARS}}}"
)


@dataclass(frozen=True)
class DocumentRecord:
    document_id: str
    blob_key: str
    etag: str
    project: str
    file_name: str
    size_bytes: int
    sha256: str | None
    batch_id: str | None
    priority: str
    run_owed_at: datetime | None = None  # set by the registry: identifies the run owed

    @property
    def owed_at(self) -> datetime:
        """`run_owed_at` of a record read from the registry, where it is always set."""
        assert self.run_owed_at is not None, f"{self.document_id}: no run owed (not read from the registry)"
        return self.run_owed_at


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def document_key(project: str, file_name: str, unique: str) -> str:
    """The id (and partition key) of a document: its project, its file name's stem with unsafe
    characters as '_' and cut to `STEM_CHARS`, and the first hex digits of `unique`."""
    stem = _UNSAFE.sub("_", PurePosixPath(file_name).stem).strip("_-")[:STEM_CHARS].rstrip("_-")
    return f"{project}{PROJECT_SEPARATOR}{stem or 'document'}-{unique[:SUFFIX_CHARS]}"


def upload_document(
    blobs: BlobStore,
    path: Path,
    *,
    project: str,
    batch_id: str | None = None,
    priority: str = "normal",
    sha256: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> str:
    """Store a local PDF as `documents/<id>.pdf` with its facts as object metadata; return the id."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")
    validated_project(project)
    document_id = document_key(project, path.name, uuid.uuid4().hex)
    metadata = {
        "project": project,
        "file-name": path.name,
        "sha256": sha256 or file_sha256(path),
        "priority": priority,
        **({"batch": batch_id} if batch_id else {}),
    }
    blobs.put_file(upload_key(document_id), path, metadata=metadata, on_bytes=on_bytes)
    return document_id


def upload_key(document_id: str) -> str:
    return f"{UPLOAD_PREFIX}{document_id}.pdf"


def is_candidate(key: str) -> bool:
    return key.startswith((UPLOAD_PREFIX, INBOX_PREFIX)) and key.lower().endswith(".pdf")


def record_for(location: str, key: str, head: BlobHead) -> DocumentRecord:
    """What a stored object is, from its key and version and (for uploads) its metadata."""
    path = PurePosixPath(key)
    metadata = head.metadata
    inbox_folder = (
        path.parent.relative_to(INBOX_PREFIX.rstrip("/")).as_posix() if key.startswith(INBOX_PREFIX) else ""
    )
    project = metadata.get("project") or (inbox_folder if inbox_folder not in ("", ".") else DEFAULT_PROJECT)
    file_name = metadata.get("file-name") or path.name
    if key.startswith(UPLOAD_PREFIX) and (_DOCUMENT_KEY.fullmatch(path.stem) or _is_uuid(path.stem)):
        document_id = path.stem  # named by `upload_document` (a UUID before readable ids)
    else:
        unique = uuid.uuid5(_NAMESPACE, f"{location}\0{key}\0{head.etag}").hex
        document_id = document_key(project, file_name, unique)
    priority = metadata.get("priority", "normal")
    return DocumentRecord(
        document_id=document_id,
        blob_key=key,
        etag=head.etag,
        project=project,
        file_name=file_name,
        size_bytes=head.size,
        sha256=metadata.get("sha256"),
        batch_id=metadata.get("batch"),
        priority=priority if priority in PRIORITIES else "normal",
    )


def register(tables: TableStore, record: DocumentRecord, *, run_requested: bool = False) -> bool:
    """Record a blob version; False when that exact version is already registered."""
    return bool(register_many(tables, [record], run_requested=run_requested))


def register_many(
    tables: TableStore, records: list[DocumentRecord], *, run_requested: bool = False
) -> list[DocumentRecord]:
    """Register new blob versions in one transaction, each owed a run unless `run_requested`
    (the caller runs it itself); returns those that were new."""
    if not records:
        return []
    now = datetime.now(UTC)
    requested_at = now if run_requested else None
    ids = [record.document_id for record in records]
    with tables.engine.begin() as connection:
        known = dict(
            connection.execute(
                sa.select(documents.c.document_id, documents.c.etag).where(documents.c.document_id.in_(ids))
            ).all()
        )
        fresh = [r for r in records if r.document_id not in known]
        changed = [r for r in records if r.document_id in known and known[r.document_id] != r.etag]
        if fresh:
            connection.execute(
                documents.insert(),
                [
                    {**r.__dict__, "registered_at": now, "run_owed_at": now, "run_requested_at": requested_at}
                    for r in fresh
                ],
            )
        for record in changed:  # the same upload overwritten in place: a new version of the same document
            connection.execute(
                documents.update()
                .where(documents.c.document_id == record.document_id)
                .values(
                    **{
                        **record.__dict__,
                        "registered_at": now,
                        "run_owed_at": now,
                        "run_requested_at": requested_at,
                    }
                )
            )
    return fresh + changed


def quarantine_many(tables: TableStore, items: list[tuple[BlobInfo, str]]) -> None:
    """Remember objects that will not be processed, with the reason, so each is reported once."""
    if items:
        now = datetime.now(UTC)
        with tables.engine.begin() as connection:
            connection.execute(
                quarantine.insert(),
                [
                    {
                        "blob_key": info.key,
                        "etag": info.etag,
                        "size_bytes": info.size,
                        "reason": reason,
                        "detected_at": now,
                    }
                    for info, reason in items
                ],
            )


def known_versions(tables: TableStore, keys: list[str]) -> set[tuple[str, str]]:
    """(blob_key, etag) pairs among `keys` already registered or quarantined."""
    if not keys:
        return set()
    with tables.connect() as connection:
        return {
            (row.blob_key, row.etag)
            for table in (documents, quarantine)
            for row in connection.execute(
                sa.select(table.c.blob_key, table.c.etag).where(table.c.blob_key.in_(keys))
            )
        }


_PRIORITY_ORDER = sa.case({"high": 0, "normal": 1}, value=documents.c.priority, else_=2)


def pending_runs(tables: TableStore, limit: int) -> list[DocumentRecord]:
    """The registered documents still owed a run, high priority first."""
    with tables.connect() as connection:
        rows = connection.execute(
            sa.select(documents)
            .where(documents.c.run_requested_at.is_(None))
            .order_by(_PRIORITY_ORDER, documents.c.registered_at, documents.c.document_id)
            .limit(limit)
        ).all()
    return [_record(row) for row in rows]


def mark_runs_requested(tables: TableStore, owed: list[tuple[str, str]]) -> None:
    """Record that runs were requested for (document_id, run_owed_at ISO) pairs; a document owed a
    newer run since (a rerun) stays owed."""
    now = datetime.now(UTC)
    with tables.engine.begin() as connection:
        for document_id, owed_at in owed:
            connection.execute(
                documents.update()
                .where(
                    documents.c.document_id == document_id,
                    documents.c.run_owed_at == datetime.fromisoformat(owed_at),
                )
                .values(run_requested_at=now)
            )


def request_reruns(
    tables: TableStore,
    document_ids: list[str],
    *,
    batch_id: str | None = None,
    priority: str | None = None,
    run_requested: bool = False,
) -> None:
    """Owe these documents a new run (their rows are replaced when it completes); with
    `run_requested` the caller runs it itself, so the sensor does not."""
    now = datetime.now(UTC)
    values = {
        "run_requested_at": now if run_requested else None,
        "run_owed_at": now,
        **({"batch_id": batch_id} if batch_id else {}),
        **({"priority": priority} if priority else {}),
    }
    with tables.engine.begin() as connection:
        connection.execute(
            documents.update().where(documents.c.document_id.in_(document_ids)).values(**values)
        )


def find_duplicate(tables: TableStore, project: str, sha256: str) -> str | None:
    """A document of the project with the same content, registered or already processed."""
    with tables.connect() as connection:
        for table in (documents, source_documents):
            found = connection.execute(
                sa.select(table.c.document_id)
                .where(table.c.project == project, table.c.sha256 == sha256)
                .limit(1)
            ).scalar()
            if found:
                return found
    return None


def lookup(tables: TableStore, document_id: str) -> DocumentRecord:
    with tables.connect() as connection:
        row = connection.execute(sa.select(documents).where(documents.c.document_id == document_id)).first()
    if row is None:
        raise LookupError(f"document {document_id} is not registered; upload it with `docassets upload`")
    return _record(row)


def _record(row: sa.Row) -> DocumentRecord:
    fields = DocumentRecord.__dataclass_fields__
    return DocumentRecord(**{name: value for name, value in row._mapping.items() if name in fields})


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False

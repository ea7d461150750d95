"""The document registry: which blob (key and version) each `documents` partition is.

Uploads made by docassets live at `documents/<uuid>.pdf` and carry their project, file name,
sha256, batch and priority as object metadata. Any other PDF dropped under `inbox/` gets a
deterministic id (UUID5 of bucket, key and ETag), so listing twice never registers a file twice,
and an overwritten object (new ETag) is a new version to process.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import sqlalchemy as sa

from docassets.storage.blobs import BlobHead, BlobStore
from docassets.storage.tables import TableStore, documents

UPLOAD_PREFIX = "documents/"
INBOX_PREFIX = "inbox/"
DEFAULT_PROJECT = "default"
PRIORITIES = ("high", "normal", "low")
_NAMESPACE = uuid.UUID("6f1c1d3e-8a52-4c8e-9a57-2f0b7f0f4a11")


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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_document(
    blobs: BlobStore, path: Path, *, project: str, batch_id: str | None = None, priority: str = "normal"
) -> str:
    """Store a local PDF as `documents/<uuid>.pdf` with its facts as object metadata."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")
    document_id = str(uuid.uuid4())
    metadata = {
        "project": project,
        "file-name": path.name,
        "sha256": file_sha256(path),
        "priority": priority,
        **({"batch": batch_id} if batch_id else {}),
    }
    blobs.put_file(upload_key(document_id), path, metadata=metadata)
    return document_id


def upload_key(document_id: str) -> str:
    return f"{UPLOAD_PREFIX}{document_id}.pdf"


def is_candidate(key: str) -> bool:
    return key.startswith((UPLOAD_PREFIX, INBOX_PREFIX)) and key.lower().endswith(".pdf")


def record_for(location: str, key: str, head: BlobHead) -> DocumentRecord:
    """What a stored object is, from its key and version and (for uploads) its metadata."""
    path = PurePosixPath(key)
    metadata = head.metadata
    if key.startswith(UPLOAD_PREFIX) and _is_uuid(path.stem):
        document_id = path.stem
    else:
        document_id = str(uuid.uuid5(_NAMESPACE, f"{location}\0{key}\0{head.etag}"))
    inbox_folder = path.parent.relative_to(INBOX_PREFIX.rstrip("/")).as_posix() if key.startswith(INBOX_PREFIX) else ""
    priority = metadata.get("priority", "normal")
    return DocumentRecord(
        document_id=document_id,
        blob_key=key,
        etag=head.etag,
        project=metadata.get("project") or (inbox_folder if inbox_folder not in ("", ".") else DEFAULT_PROJECT),
        file_name=metadata.get("file-name") or path.name,
        size_bytes=head.size,
        sha256=metadata.get("sha256"),
        batch_id=metadata.get("batch"),
        priority=priority if priority in PRIORITIES else "normal",
    )


def register(tables: TableStore, record: DocumentRecord) -> bool:
    """Record a blob version; False when that exact version is already registered."""
    with tables.engine.begin() as connection:
        known = connection.execute(
            sa.select(documents.c.document_id, documents.c.etag).where(
                documents.c.document_id == record.document_id
            )
        ).first()
        if known is not None and known.etag == record.etag:
            return False
        values = {**record.__dict__, "registered_at": datetime.now(UTC)}
        if known is None:
            connection.execute(documents.insert().values(**values))
        else:  # the same upload overwritten in place: a new version of the same document
            connection.execute(
                documents.update().where(documents.c.document_id == record.document_id).values(**values)
            )
    return True


def known_versions(tables: TableStore, keys: list[str]) -> set[tuple[str, str]]:
    """(blob_key, etag) pairs already registered among `keys`."""
    if not keys:
        return set()
    query = sa.select(documents.c.blob_key, documents.c.etag).where(documents.c.blob_key.in_(keys))
    with tables.connect() as connection:
        return {(row.blob_key, row.etag) for row in connection.execute(query)}


def lookup(tables: TableStore, document_id: str) -> DocumentRecord:
    with tables.connect() as connection:
        row = connection.execute(sa.select(documents).where(documents.c.document_id == document_id)).first()
    if row is None:
        raise LookupError(f"document {document_id} is not registered; upload it with `docassets upload`")
    fields = DocumentRecord.__dataclass_fields__
    return DocumentRecord(**{name: value for name, value in row._mapping.items() if name in fields})


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False

"""The blob stores (a folder, S3 over HTTP) and the tables (SQLite, PostgreSQL) behave alike."""

import pytest
import sqlalchemy as sa

from docassets.preflight import s3_client_for
from docassets.settings import Settings
from docassets.storage.blobs import BlobStoreError, LocalBlobStore, S3BlobStore
from docassets.storage.tables import DatabaseUnavailable, TableStore

from .conftest import new_bucket, sample


def _s3_client():
    """Configured as the code location configures it, from the environment (`aws_environment`)."""
    return s3_client_for(Settings.from_env())


@pytest.fixture(params=["local", "s3"])
def blob_store(request, tmp_path):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    request.getfixturevalue("aws_environment")
    bucket = new_bucket(request.getfixturevalue("s3_endpoint"))
    return S3BlobStore(bucket, prefix="firm/matters", client=_s3_client())


@pytest.fixture(params=["sqlite", "postgresql"])
def table_store(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'test.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    store = TableStore(url)
    store.ensure_schema()
    yield store
    with store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM chunks"))
    store.engine.dispose()


def test_a_pdf_round_trips_with_its_metadata(blob_store, tmp_path):
    original = sample("dcolo-complaint-first-page.pdf")
    blob_store.put_file(
        "documents/a.pdf", original, metadata={"project": "wombat", "file-name": original.name}
    )
    copy = tmp_path / "copy.pdf"
    blob_store.download("documents/a.pdf", copy)
    assert copy.read_bytes() == original.read_bytes()
    head = blob_store.head("documents/a.pdf")
    assert head.size == original.stat().st_size
    assert head.metadata == {"project": "wombat", "file-name": original.name}
    assert blob_store.head("documents/missing.pdf") is None


def test_listing_pages_resume_after_the_last_key(blob_store):
    for index in range(5):
        blob_store.put_bytes(f"inbox/{index}.pdf", b"%PDF-1.4")
    blob_store.put_bytes("elsewhere/x.pdf", b"%PDF-1.4")
    first = blob_store.list("inbox/", limit=3)
    rest = blob_store.list("inbox/", start_after=first[-1].key, limit=3)
    assert [b.key for b in first + rest] == [f"inbox/{i}.pdf" for i in range(5)]


def test_an_overwritten_blob_has_a_new_etag(blob_store):
    blob_store.put_bytes("inbox/a.pdf", b"%PDF-1.4 first")
    first = blob_store.head("inbox/a.pdf").etag
    blob_store.put_bytes("inbox/a.pdf", b"%PDF-1.4 second version")
    assert blob_store.head("inbox/a.pdf").etag != first


def test_a_missing_bucket_is_reported_with_the_setting(aws_environment):
    with pytest.raises(BlobStoreError, match="DOCASSETS_S3_BUCKET=no-such-bucket-here"):
        S3BlobStore("no-such-bucket-here", client=_s3_client()).check()


def _chunk(document_id: str, index: int, text: str) -> dict:
    return {
        "document_id": document_id,
        "chunk_index": index,
        "text": text,
        "char_start": 0,
        "char_end": len(text),
        "page_start": 1,
        "page_end": 1,
        "token_count": 1,
    }


def test_replacing_a_documents_rows_leaves_other_documents_alone(table_store):
    table_store.replace_rows(
        "chunks", [_chunk("a", 0, "first"), _chunk("a", 1, "second")], {"document_id": "a"}
    )
    table_store.replace_rows("chunks", [_chunk("b", 0, "other")], {"document_id": "b"})
    table_store.replace_rows("chunks", [_chunk("a", 0, "again")], {"document_id": "a"})
    assert table_store.read_frame("chunks", {"document_id": "a"}).text.tolist() == ["again"]
    assert table_store.read_frame("chunks", {"document_id": "b"}).text.tolist() == ["other"]


def test_a_failed_replacement_keeps_the_old_rows(table_store):
    table_store.replace_rows("chunks", [_chunk("a", 0, "kept")], {"document_id": "a"})
    duplicate_keys = [_chunk("a", 0, "x"), _chunk("a", 0, "y")]
    with pytest.raises(sa.exc.IntegrityError):
        table_store.replace_rows("chunks", duplicate_keys, {"document_id": "a"})
    assert table_store.read_frame("chunks", {"document_id": "a"}).text.tolist() == ["kept"]


def test_values_are_bound_not_spliced(table_store):
    hostile = "x'); DROP TABLE chunks; --"
    table_store.replace_rows("chunks", [_chunk(hostile, 0, hostile)], {"document_id": hostile})
    assert table_store.read_frame("chunks", {"document_id": hostile}).text.tolist() == [hostile]


def test_an_unreachable_database_names_the_setting():
    with pytest.raises(
        DatabaseUnavailable, match="DOCASSETS_DATABASE_URL=postgresql\\+psycopg://u:\\*\\*\\*@127.0.0.1:1/x"
    ):
        TableStore("postgresql+psycopg://u:secret@127.0.0.1:1/x").ensure_schema()

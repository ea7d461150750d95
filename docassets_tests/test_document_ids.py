"""Document ids are partition keys a person can read and type: project, file name, a short suffix."""

from __future__ import annotations

import re
import shutil
import uuid

import dagster as dg
import pytest

from docassets.storage.blobs import LocalBlobStore
from docassets.storage.registry import STEM_CHARS, record_for, upload_document, upload_key

from .conftest import sample

PDF = "dcolo-complaint-first-page.pdf"
# What Dagster's UI uses to write partition selections (lists, ranges), besides what it refuses.
UI_SEPARATORS = (",", "[", "]", "...")


@pytest.fixture
def store(tmp_path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _accepted_by_dagster(*keys: str) -> list[str]:
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("documents", list(keys))
        return list(instance.get_dynamic_partitions("documents"))


def test_an_upload_is_named_after_its_project_and_file(store, tmp_path):
    awkward = tmp_path / "Lease (2019), FINAL...v2 [signed].pdf"
    shutil.copy(sample(PDF), awkward)
    document_id = upload_document(store, awkward, project="smith-v-jones")

    assert re.fullmatch(r"smith-v-jones~Lease_2019_FINAL_v2_signed-[0-9a-f]{8}", document_id)
    assert not any(separator in document_id for separator in UI_SEPARATORS)
    assert _accepted_by_dagster(document_id) == [document_id]
    # what the sensor reads back from the stored object is the same document
    key = upload_key(document_id)
    assert record_for(store.location, key, store.head(key)).document_id == document_id


def test_the_same_file_name_twice_is_two_documents(store):
    first = upload_document(store, sample(PDF), project="acme")
    second = upload_document(store, sample(PDF), project="acme")
    assert first != second
    assert first.rsplit("-", 1)[0] == second.rsplit("-", 1)[0] == "acme~dcolo-complaint-first-page"


def test_an_inbox_drop_keeps_its_id_until_overwritten(store):
    key = "inbox/acme/Deposition of J. Smith - Vol 2.pdf"
    store.put_file(key, sample(PDF))
    listed = record_for(store.location, key, store.head(key))
    assert listed.document_id.startswith("acme~Deposition_of_J_Smith_-_Vol_2-")
    assert record_for(store.location, key, store.head(key)).document_id == listed.document_id

    store.put_file(key, sample("cafc-header-only-text-layer.pdf"))  # a new version: a new document
    assert record_for(store.location, key, store.head(key)).document_id != listed.document_id


def test_a_long_file_name_is_cut_to_stay_readable(store, tmp_path):
    long_name = tmp_path / ("Exhibit 14 " + "very " * 30 + "long title.pdf")
    shutil.copy(sample(PDF), long_name)
    document_id = upload_document(store, long_name, project="acme")
    stem = document_id.split("~", 1)[1].rsplit("-", 1)[0]
    assert stem.startswith("Exhibit_14_very_") and len(stem) <= STEM_CHARS


def test_a_document_uploaded_before_readable_ids_keeps_its_uuid(store):
    document_id = str(uuid.uuid4())
    key = upload_key(document_id)
    store.put_file(key, sample(PDF), metadata={"project": "acme", "file-name": PDF})
    assert record_for(store.location, key, store.head(key)).document_id == document_id

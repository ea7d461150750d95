"""Dagster resources over docassets' storage and tuning."""

from functools import cache
from pathlib import Path

import dagster as dg

from docassets.core.duplicates import DuplicateSettings
from docassets.core.resolution import ResolutionSettings
from docassets.settings import DOCUMENTS_PER_RUN, validated_database_url
from docassets.storage.blobs import BlobStore, open_blob_store
from docassets.storage.tables import TableStore


class BlobStoreResource(dg.ConfigurableResource):
    """Documents and large results: an S3 bucket (any S3-compatible endpoint) or a local folder."""

    bucket: str | None = None
    prefix: str = ""
    region: str | None = None
    local_root: str = ".docassets/blobs"

    def store(self) -> BlobStore:
        return _blob_store(self.bucket, self.prefix, self.region, self.local_root)


class DatabaseResource(dg.ConfigurableResource):
    """The tables: PostgreSQL in production, SQLite for the embedded default."""

    url: str

    def tables(self) -> TableStore:
        return _table_store(validated_database_url(self.url))


class PipelineSettings(dg.ConfigurableResource):
    """Tuning that a run may override from the launchpad."""

    ocr_workers: int = 2
    # At most this many documents share a run of the per-document stages (see batching.py).
    documents_per_run: int = DOCUMENTS_PER_RUN
    max_document_mb: int = 2048
    chunk_max_tokens: int = 400
    chunk_overlap: int = 40
    # Resolution thresholds (rapidfuzz ratio, 0-100); the reasons for the defaults are in ResolutionSettings.
    name_similarity: float = ResolutionSettings.name_similarity
    org_similarity: float = ResolutionSettings.org_similarity
    # Near-duplicate documents: Jaccard of word shingles (see DuplicateSettings).
    near_duplicate_similarity: float = DuplicateSettings.near_threshold

    def resolution(self) -> ResolutionSettings:
        return ResolutionSettings(name_similarity=self.name_similarity, org_similarity=self.org_similarity)

    def duplicates(self) -> DuplicateSettings:
        return DuplicateSettings(near_threshold=self.near_duplicate_similarity)


@cache
def _blob_store(bucket: str | None, prefix: str, region: str | None, local_root: str) -> BlobStore:
    return open_blob_store(bucket, prefix, region, Path(local_root))


@cache
def _table_store(url: str) -> TableStore:
    store = TableStore(url)
    store.create_schema()
    return store

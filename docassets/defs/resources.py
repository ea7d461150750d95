"""Dagster resources over docassets' storage and tuning."""

from functools import cache
from pathlib import Path

import dagster as dg

from docassets.core.duplicates import DuplicateSettings
from docassets.core.resolution import ResolutionSettings
from docassets.settings import (
    DOCUMENTS_PER_RUN,
    LARGE_DOCUMENT_MB,
    MAX_PAGE_MEGAPIXELS,
    OCR_TIMEOUT_SECONDS,
    validated_database_url,
)
from docassets.storage.blobs import S3_MAX_ATTEMPTS, BlobStore, open_blob_store, s3_client
from docassets.storage.tables import TableStore, open_tables


class BlobStoreResource(dg.ConfigurableResource):
    """Documents and large results: an S3 bucket (any S3-compatible endpoint) or a local folder."""

    bucket: str | None = None
    prefix: str = ""
    local_root: str = ".docassets/blobs"
    # The S3 client (unused for a local folder); credentials stay with boto3's own lookup.
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    max_attempts: int = S3_MAX_ATTEMPTS

    def store(self) -> BlobStore:
        client = (self.endpoint_url, self.region, self.profile, self.max_attempts)
        return _blob_store(self.bucket, self.prefix, self.local_root, *client)


class DatabaseResource(dg.ConfigurableResource):
    """The tables: PostgreSQL in production, SQLite for the embedded default."""

    url: str

    def tables(self) -> TableStore:
        return _table_store(validated_database_url(self.url))


class PipelineSettings(dg.ConfigurableResource):
    """Tuning that a run may override from the launchpad."""

    ocr_workers: int = 2
    # Pages read are checkpointed to the blob store in batches of this many, so a retry resumes
    # after the last whole batch (at most this many pages are read twice).
    checkpoint_pages: int = 50
    # At most this many documents share a run of the per-document stages (see batching.py).
    documents_per_run: int = DOCUMENTS_PER_RUN
    max_document_mb: int = 2048
    # Files at least this large run alone in the "large" lane, which dagster.yaml limits (batching.py).
    large_document_mb: int = LARGE_DOCUMENT_MB
    max_page_megapixels: int = MAX_PAGE_MEGAPIXELS  # pages needing more to render are refused
    ocr_timeout_seconds: int = OCR_TIMEOUT_SECONDS  # per Tesseract process
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
def _blob_store(
    bucket: str | None,
    prefix: str,
    local_root: str,
    endpoint_url: str | None,
    region: str | None,
    profile: str | None,
    max_attempts: int,
) -> BlobStore:
    return open_blob_store(
        bucket,
        prefix,
        Path(local_root),
        lambda: s3_client(
            endpoint_url=endpoint_url, region=region, profile=profile, max_attempts=max_attempts
        ),
    )


@cache
def _table_store(url: str) -> TableStore:
    return open_tables(url)

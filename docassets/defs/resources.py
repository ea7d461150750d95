"""Dagster resources over docassets' storage and tuning."""

from functools import cache
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource

from docassets.core.resolution import ResolutionSettings
from docassets.settings import DOCUMENTS_PER_RUN, Settings, validated_database_url
from docassets.storage.blobs import S3_MAX_ATTEMPTS, BlobStore, open_blob_store
from docassets.storage.tables import TableStore


class BlobStoreResource(dg.ConfigurableResource):
    """Documents and large results: an S3 bucket (any S3-compatible endpoint) or a local folder."""

    bucket: str | None = None
    prefix: str = ""
    local_root: str = ".docassets/blobs"
    s3: S3Resource  # the S3 client's endpoint, region, profile and retries (unused for a local folder)

    def store(self) -> BlobStore:
        return _blob_store(self.bucket, self.prefix, self.local_root, self.s3)


def s3_resource(settings: Settings) -> S3Resource:
    """The S3 client's configuration from the settings; credentials stay with boto3's own lookup."""
    return S3Resource(
        region_name=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url,
        profile_name=settings.aws_profile,
        max_attempts=S3_MAX_ATTEMPTS,
    )


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

    def resolution(self) -> ResolutionSettings:
        return ResolutionSettings(name_similarity=self.name_similarity, org_similarity=self.org_similarity)


@cache
def _blob_store(bucket: str | None, prefix: str, local_root: str, s3: S3Resource) -> BlobStore:
    return open_blob_store(bucket, prefix, Path(local_root), s3.get_client)


@cache
def _table_store(url: str) -> TableStore:
    store = TableStore(url)
    store.ensure_schema()
    return store

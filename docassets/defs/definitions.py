"""The Definitions for one configuration: assets, checks, the document job, sensors, resources."""

from __future__ import annotations

import dagster as dg

from docassets.defs.assets.documents import source_documents
from docassets.defs.assets.duplicates import document_duplicates
from docassets.defs.assets.entities import entity_mentions, relationships
from docassets.defs.assets.project import entity_graph, resolved_entities
from docassets.defs.assets.search import search_index
from docassets.defs.assets.summary import document_summary
from docassets.defs.assets.text import chunks, ocr_text
from docassets.defs.io_managers import BlobIOManager, TableIOManager
from docassets.defs.jobs import document_executor, process_document
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.defs.sensors import project_automation, record_failed_documents, upload_sensor
from docassets.settings import Settings

ASSETS = [
    source_documents,
    ocr_text,
    chunks,
    entity_mentions,
    relationships,
    document_summary,
    search_index,
    resolved_entities,
    document_duplicates,
    entity_graph,
]


def build_resources(settings: Settings) -> dict[str, object]:
    """The resource set for one configuration; a database URL from the environment stays an EnvVar,
    so the UI shows the variable's name, never its value (it may hold a password)."""
    blob_store = BlobStoreResource(
        bucket=settings.s3_bucket,
        prefix=settings.s3_prefix,
        local_root=str(settings.blob_root),
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        profile=settings.aws_profile,
    )
    database = DatabaseResource(
        url=dg.EnvVar("DOCASSETS_DATABASE_URL") if settings.database_url_from_env else settings.database_url
    )
    return {
        "blob_store": blob_store,
        "database": database,
        "pipeline": PipelineSettings(
            ocr_workers=settings.ocr_workers,
            documents_per_run=settings.documents_per_run,
            max_document_mb=settings.max_document_mb,
            large_document_mb=settings.large_document_mb,
            max_page_megapixels=settings.max_page_megapixels,
            ocr_timeout_seconds=settings.ocr_timeout_seconds,
            chunk_max_tokens=settings.chunk_max_tokens,
            chunk_overlap=settings.chunk_overlap,
        ),
        "table_io_manager": TableIOManager(database=database),
        "blob_io_manager": BlobIOManager(blob_store=blob_store),
    }


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=ASSETS,
        jobs=[process_document],
        sensors=[upload_sensor, project_automation, record_failed_documents],
        resources=build_resources(settings),
        executor=document_executor(settings),
    )

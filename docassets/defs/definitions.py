"""The Definitions for one configuration: assets, checks, the document job, sensors, resources."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from docassets.defs.assets.documents import source_documents
from docassets.defs.assets.duplicates import document_duplicates
from docassets.defs.assets.entities import entity_mentions, relationships
from docassets.defs.assets.project import entity_graph, resolved_entities
from docassets.defs.assets.search import search_index
from docassets.defs.assets.summary import document_summary
from docassets.defs.assets.text import chunks, ocr_text
from docassets.defs.io_managers import BlobIOManager, TableIOManager
from docassets.defs.jobs import document_executor, process_document, update_project
from docassets.defs.project_sensor import project_automation
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.defs.sensors import record_failed_documents, upload_sensor
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


def storage_kinds(settings: Settings) -> dict[str, str]:
    """The kind shown for each IO manager's storage, as configured: no "s3" on a local folder."""
    database = sa.make_url(settings.database_url).get_backend_name()
    return {
        "table_io_manager": "postgres" if database == "postgresql" else database,
        "blob_io_manager": "s3" if settings.s3_bucket else "folder",
    }


def _with_storage_kind(asset: dg.AssetsDefinition, kinds: dict[str, str]) -> dg.AssetsDefinition:
    kind = kinds[asset.get_io_manager_key_for_asset_key(asset.key)]
    return asset.map_asset_specs(lambda spec: spec.merge_attributes(kinds={kind}))


def build_definitions(settings: Settings) -> dg.Definitions:
    kinds = storage_kinds(settings)
    return dg.Definitions(
        assets=[_with_storage_kind(asset, kinds) for asset in ASSETS],
        jobs=[process_document, update_project],
        sensors=[upload_sensor, project_automation, record_failed_documents],
        resources=build_resources(settings),
        executor=document_executor(settings),
    )

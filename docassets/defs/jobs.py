"""What a run is: one document, or a range of them (see `batching.py`), through every per-document
stage, and where its steps execute.

The in-process executor by default, on purpose: the default multiprocess executor spends seconds
per step starting interpreters, which would dominate a small document's run. With a Celery broker
configured, each stage runs on a worker consuming its queue (`docassets/distributed.py`).
"""

import dagster as dg

from docassets.defs import groups
from docassets.defs.partitions import documents, projects
from docassets.distributed import executor_config
from docassets.settings import Settings

DOCUMENT_STAGES = dg.AssetSelection.assets(
    "source_documents",
    "ocr_text",
    "chunks",
    "entity_mentions",
    "relationships",
    "document_summary",
    "search_index",
)

process_document = dg.define_asset_job(
    "process_document",
    selection=DOCUMENT_STAGES,
    partitions_def=documents,
    # Transient S3 or database errors are retried with backoff; unreadable documents fail at once
    # (their Failure forbids retries).
    op_retry_policy=dg.RetryPolicy(
        max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
    description="Read, chunk and extract entities and relationships of documents: one run per "
    "document or a few documents, started by upload_sensor or from the launchpad.",
)

# A named job, so project runs are not listed as Dagster's `__ephemeral_asset_job__`; the
# project_automation sensor and `docassets process` launch it.
PROJECT_STAGES = dg.AssetSelection.groups(groups.PROJECT)

update_project = dg.define_asset_job(
    "update_project",
    selection=PROJECT_STAGES,
    partitions_def=projects,
    executor_def=dg.in_process_executor,
    description="Resolve one project's entities, group its duplicates and draw its graph, over its "
    "completed documents.",
)


def document_executor(settings: Settings) -> dg.ExecutorDefinition:
    """The executor of the Definitions' jobs (`execute_in_process`, which `docassets process` and
    the tests use, always runs in-process)."""
    if settings.celery_broker_url is None:
        return dg.in_process_executor
    from dagster_celery import celery_executor

    return celery_executor.configured(
        executor_config(settings.celery_broker_url, settings.celery_backend_url)
    )

"""What a run is: one document, or a range of them (see `batching.py`), through every per-document
stage, in one process.

The in-process executor on purpose: the default multiprocess executor spends seconds per step
starting interpreters, which would dominate a small document's run.
"""

import dagster as dg

from docassets.defs import groups
from docassets.defs.partitions import documents

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
    executor_def=dg.in_process_executor,
    # Transient S3 or database errors are retried with backoff; unreadable documents fail at once
    # (their Failure forbids retries).
    op_retry_policy=dg.RetryPolicy(
        max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
    description="Read, chunk and extract entities and relationships of documents: one run per "
    "document or a few documents, started by upload_sensor or from the launchpad.",
)

# What `docassets process` (and `make demo`) runs after the documents: a named job, so its runs are
# not listed as Dagster's `__ephemeral_asset_job__`. (Declarative automation always launches its
# runs in Dagster's implicit asset job; see `project_automation`.)
update_projects = dg.define_asset_job(
    "update_projects",
    selection=dg.AssetSelection.groups(groups.PROJECT),
    description="Across each project's completed documents: resolve entities, group duplicates and "
    "draw the entity graph.",
)

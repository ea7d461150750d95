"""Uploads become partitions and runs; failed runs are recorded against their document."""

import json
import os
from dataclasses import replace
from datetime import UTC, datetime

import dagster as dg

from docassets.defs.batching import plan_runs, run_documents
from docassets.defs.failures import blamed_documents, run_failure_cause, settle_failed_run
from docassets.defs.jobs import process_document
from docassets.defs.partitions import DOCUMENTS, documents, project_partition_requests
from docassets.defs.resources import BlobStoreResource, DatabaseResource, PipelineSettings
from docassets.projects import InvalidProjectName, validated_project
from docassets.storage.blobs import BlobHead, BlobInfo
from docassets.storage.registry import (
    INBOX_PREFIX,
    UPLOAD_PREFIX,
    is_candidate,
    known_versions,
    mark_runs_requested,
    pending_runs,
    quarantine_many,
    record_for,
    register_many,
    request_reruns,
)

WATCHED_PREFIXES = (UPLOAD_PREFIX, INBOX_PREFIX)
LISTING_PAGE = 1000  # objects listed per prefix per call: bounded work per request
LISTING_PAGES_PER_TICK = 5  # then the listing resumes from the cursor on the next tick
RUNS_PER_TICK = 500  # run requests per tick; the rest stay owed in the registry


def list_new_versions(context, store, tables, cursor: dict[str, str], max_bytes: int):
    """One bounded step of the listing: register new PDF versions, quarantine what cannot be processed."""
    registered, quarantined = [], []
    for prefix in WATCHED_PREFIXES:
        for _ in range(LISTING_PAGES_PER_TICK):
            listed = store.list(prefix, start_after=cursor.get(prefix, ""), limit=LISTING_PAGE)
            # A short page means this pass reached the end: start over next time, so keys that sort
            # earlier than the cursor (random UUIDs) are found on the next pass.
            cursor[prefix] = listed[-1].key if len(listed) == LISTING_PAGE else ""
            known = known_versions(tables, [info.key for info in listed])
            for info in listed:
                if (info.key, info.etag) in known:
                    continue
                if reason := _refusal(info, max_bytes):
                    quarantined.append((info, reason))
                elif record := _record(store, info):
                    try:  # an inbox/<project>/ folder (or an upload's metadata) names the project
                        registered.append(replace(record, project=validated_project(record.project)))
                    except InvalidProjectName as error:
                        quarantined.append((info, str(error)))
            if not cursor[prefix]:
                break
    for info, reason in quarantined:
        context.log.warning(f"quarantined {info.key}: {reason}")
    quarantine_many(tables, quarantined)
    return register_many(tables, registered)


def _refusal(info: BlobInfo, max_bytes: int) -> str | None:
    if not is_candidate(info.key):
        return "not a PDF (only *.pdf files are processed)"
    if info.size > max_bytes:
        return (
            f"{info.size / 2**20:.0f} MB is over the {max_bytes / 2**20:.0f} MB limit"
            " (DOCASSETS_MAX_DOCUMENT_MB)"
        )
    if info.size == 0:
        return "empty file (0 bytes)"
    return None


def _record(store, info: BlobInfo):
    # Only uploads carry metadata worth a HEAD request; inbox drops are described by their key.
    head = store.head(info.key) if info.key.startswith(UPLOAD_PREFIX) else BlobHead(info.size, info.etag)
    return record_for(store.location, info.key, head) if head is not None else None


@dg.sensor(
    job=process_document,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 15 s: finds new PDFs (uploaded with `docassets submit`, or dropped under inbox/"
    "<project>/), adds each as a document named after its project and file, and starts its run. "
    "Its cursor is bookkeeping (where the listing got to, which runs were just requested): leave it.",
)
def upload_sensor(
    context: dg.SensorEvaluationContext,
    blob_store: BlobStoreResource,
    database: DatabaseResource,
    pipeline: PipelineSettings,
):
    """Register each new PDF version under documents/ or inbox/ once, and request the runs owed.

    The registry, not the cursor, decides what is new and what is owed a run: a listed version
    already registered is skipped, and a document stays owed until Dagster has stored a run
    request for it, so a `submit --force`, a crashed tick or a restarted daemon never loses or
    doubles a document.
    """
    store, tables = blob_store.store(), database.tables()
    cursor = json.loads(context.cursor) if context.cursor else {}
    # Dagster stored the previous tick's run requests together with the cursor that lists them,
    # so only now are they known to be requested; a tick that failed is simply repeated, and the
    # run keys make a repeated request harmless.
    mark_runs_requested(tables, cursor.pop("requested", []))
    new = list_new_versions(context, store, tables, cursor, pipeline.max_document_mb * 2**20)
    owed = pending_runs(tables, RUNS_PER_TICK)
    added, runs = plan_runs(
        owed,
        context.instance.get_dynamic_partitions(DOCUMENTS) if owed else [],
        max_per_run=pipeline.documents_per_run,
        spread=os.cpu_count() or 1,
        large_bytes=pipeline.large_document_mb * 2**20,
    )
    if new or owed:
        context.log.info(
            f"registered {len(new)} new documents; requesting {len(runs)} runs for {len(owed)} documents"
        )
    cursor["requested"] = [(record.document_id, record.owed_at.isoformat()) for record in owed]
    return dg.SensorResult(
        run_requests=[run.run_request() for run in runs],
        # (a new project's partition too, so the UI lists the project from its first document on)
        dynamic_partitions_requests=([documents.build_add_request(added)] if added else [])
        + project_partition_requests(context.instance, {record.project for record in owed}),
        cursor=json.dumps(cursor),
    )


# Every job: a backfill launched from the UI runs the per-document assets outside `process_document`.
@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a document's run fails, records why against the document (see `docassets status`) "
    "and queues again the other documents of that run.",
)
def record_failed_documents(context: dg.RunFailureSensorContext, database: DatabaseResource):
    """A run that failed leaves its cause against its documents, or, when it failed because of some
    of them, against those, and queues the others again."""
    run = context.dagster_run
    document_ids = run_documents(run.tags, context.instance)
    if not document_ids:
        return
    stats, tables = context.instance.get_run_stats(run.run_id), database.tables()
    step_failures = context.get_step_failure_events()
    stage, error = context.failure_event.step_key or "run", context.failure_event.message or "the run failed"
    killed = None if step_failures else run_failure_cause(context.instance, run.run_id)
    if killed:
        stage, error = killed
    requeued = settle_failed_run(
        tables,
        document_ids,
        blamed_documents(step_failures),
        stage,
        error,
        since=datetime.fromtimestamp(stats.start_time or stats.enqueued_time or 0, UTC),
        retrying=not step_failures and _retried(context.instance, run),
    )
    if requeued:
        request_reruns(tables, requeued)
        context.log.info(
            f"run {run.run_id} failed on some of its documents; {len(requeued)} others queued again"
        )


def _retried(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """Whether Dagster's run retries (dagster.yaml) will run this failed run again: only a run that
    died outside its steps (a killed process, a lost worker) is, once."""
    if not instance.run_retries_enabled:
        return False
    allowed = int(run.tags.get("dagster/max_retries", instance.run_retries_max_retries))
    return int(run.tags.get("dagster/retry_number", "0")) < allowed

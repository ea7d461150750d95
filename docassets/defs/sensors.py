"""Uploads become partitions and runs; failed runs are recorded against their document."""

import json
from datetime import UTC, datetime

import dagster as dg

from docassets.defs.failures import record_failure_unless_recorded
from docassets.defs.jobs import PRIORITY_TAG, process_document
from docassets.defs.partitions import documents
from docassets.defs.resources import BlobStoreResource, DatabaseResource
from docassets.storage.registry import INBOX_PREFIX, UPLOAD_PREFIX, is_candidate, known_versions, record_for, register

WATCHED_PREFIXES = (UPLOAD_PREFIX, INBOX_PREFIX)
LISTING_PAGE = 1000  # objects listed per prefix per tick: bounded work, resumed on the next tick


@dg.sensor(job=process_document, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def upload_sensor(context: dg.SensorEvaluationContext, blob_store: BlobStoreResource, database: DatabaseResource):
    """Register each new PDF version under documents/ or inbox/ once, and request its run.

    The cursor holds, per prefix, the last key listed; a short page means the pass reached the end
    and the next tick starts over, so keys that sort earlier (random UUIDs) are found on the next pass.
    The registry, not the cursor, decides what is new: a listed version already registered is skipped.
    """
    store, tables = blob_store.store(), database.tables()
    cursor = json.loads(context.cursor) if context.cursor else {}
    run_requests, new_ids = [], []
    for prefix in WATCHED_PREFIXES:
        listed = store.list(prefix, start_after=cursor.get(prefix, ""), limit=LISTING_PAGE)
        cursor[prefix] = listed[-1].key if len(listed) == LISTING_PAGE else ""
        known = known_versions(tables, [info.key for info in listed])
        for info in listed:
            if (info.key, info.etag) in known:
                continue
            if not is_candidate(info.key):
                context.log.warning(f"{info.key}: not a PDF; ignored (only *.pdf files are processed)")
                continue
            head = store.head(info.key)
            if head is None:  # deleted between listing and now
                continue
            record = record_for(store.location, info.key, head)
            if register(tables, record):
                new_ids.append(record.document_id)
                run_requests.append(dg.RunRequest(
                    partition_key=record.document_id,
                    run_key=f"{record.document_id}:{record.etag}",
                    tags={"dagster/priority": PRIORITY_TAG[record.priority], "docassets/project": record.project,
                          **({"docassets/batch": record.batch_id} if record.batch_id else {})},
                ))
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[documents.build_add_request(new_ids)] if new_ids else [],
        cursor=json.dumps(cursor),
    )


@dg.run_failure_sensor(monitored_jobs=[process_document], default_status=dg.DefaultSensorStatus.RUNNING)
def record_failed_documents(context: dg.RunFailureSensorContext, database: DatabaseResource):
    """A run that failed for any reason leaves its cause against the document."""
    document_id = context.dagster_run.tags.get("dagster/partition")
    if not document_id:
        return
    stats = context.instance.get_run_stats(context.dagster_run.run_id)
    started = datetime.fromtimestamp(stats.start_time or stats.enqueued_time or 0, UTC)
    record_failure_unless_recorded(
        database.tables(), document_id, context.failure_event.step_key or "run",
        context.failure_event.message or "the run failed", since=started,
    )

"""The `project_automation` sensor: when documents complete, bring their projects up to date.

A document completes when its `document_summary` is materialized (written last). The sensor reads
those materializations from the event log after its cursor, finds each document's project in the
tables, and requests one `update_project` run per project touched: the project's partition of
`resolved_entities`, `document_duplicates` and `entity_graph`. The other projects are not
recomputed. A project whose update is still running is owed another one (kept in the cursor) and
gets it once that run ends, so two updates of a project never overlap and none is lost.
"""

import json

import dagster as dg
import sqlalchemy as sa

from docassets.defs.jobs import update_project
from docassets.defs.partitions import project_partition_requests
from docassets.defs.resources import DatabaseResource
from docassets.storage import tables as t

COMPLETIONS_PER_TICK = 1000  # document completions read per tick; the rest on the next ones
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def completed_projects(
    instance: dg.DagsterInstance, tables: t.TableStore, after: int | None
) -> tuple[set[str], int | None]:
    """The projects of the documents completed after event-log position `after`, and the position
    of the last completion read."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("document_summary"), after_storage_id=after),
        limit=COMPLETIONS_PER_TICK,
        ascending=True,
    ).records
    document_ids = sorted({r.partition_key for r in records if r.partition_key})
    sources = t.source_documents
    projects = {
        row.project
        for row in tables.stream(
            sa.select(sources.c.project).where(sources.c.document_id.in_(document_ids)).distinct()
        )
    }
    return projects, records[-1].storage_id if records else after


def updating(instance: dg.DagsterInstance) -> set[str]:
    """The projects whose `update_project` run has not ended."""
    runs = instance.get_runs(dg.RunsFilter(job_name=update_project.name, statuses=UNFINISHED))
    return {run.tags["dagster/partition"] for run in runs if "dagster/partition" in run.tags}


@dg.sensor(
    name="project_automation",
    job=update_project,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,  # on from the start: no toggle to forget in the UI
    description="When documents complete, updates their projects' entities, duplicates and graph "
    "(one run per project touched; the other projects are left alone).",
)
def project_automation(context: dg.SensorEvaluationContext, database: DatabaseResource):
    state = json.loads(context.cursor) if context.cursor else {}
    touched, after = completed_projects(context.instance, database.tables(), state.get("after"))
    owed = set(state.get("owed", [])) | touched
    busy = updating(context.instance) & owed
    ready = sorted(owed - busy)
    if ready or busy:
        context.log.info(
            f"updating {', '.join(ready) or 'no project'}; still running: {', '.join(sorted(busy)) or 'none'}"
        )
    return dg.SensorResult(
        # the run key names the completions the run covers: a repeated tick requests nothing twice
        run_requests=[
            dg.RunRequest(partition_key=project, run_key=f"{project}@{after}") for project in ready
        ],
        dynamic_partitions_requests=project_partition_requests(context.instance, set(ready)),
        cursor=json.dumps({"after": after, "owed": sorted(busy)}),
    )

"""Project assets grow with the project, not with the firm: 200 projects of 5,000 mentions each
(synthetic, shaped like real ones: `resolution_scale.generate`), in the tables a real run writes.

    .venv/bin/python benchmarks/project_scale.py                          # 200 projects x 5,000 mentions
    .venv/bin/python benchmarks/project_scale.py --projects 20 --mentions 2000   # a quick look

Timed, each through Dagster (the `update_project` job on a real instance, embedded storage):
  firm     every project's partition of `resolved_entities` and `entity_graph` once: what the
           unpartitioned assets cost on *every* document completion before issue 15;
  alone    one project's partition again, nothing changed: resolving that project alone;
  update   one document (50 mentions) added to that project and completed, then the
           `project_automation` sensor's tick and the one run it requests.
The ratio update / alone is what a completion costs relative to its own project; firm / update is
what partitioning saves. `document_duplicates` is left out: it reads page-text Parquet files,
which synthetic documents have not (it is partitioned the same way and reads only its project's).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime

import dagster as dg
import sqlalchemy as sa
from resolution_scale import generate

from docassets.defs.definitions import build_definitions, build_resources
from docassets.defs.project_sensor import project_automation
from docassets.settings import Settings
from docassets.storage import tables as t
from docassets.storage.tables import TableStore

MEASURED = [dg.AssetKey("resolved_entities"), dg.AssetKey("entity_graph")]
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def seed(tables: TableStore, project: str, n_mentions: int, seed_value: int, tag: str = "") -> list[str]:
    """The rows a completed run writes for a project's documents: source, mentions, a MENTIONS
    relationship from each document to each entity it names, a CO_OCCURS between neighbours, and
    the summary that marks it completed. Returns the document ids."""
    mentions, _ = generate(n_mentions, seed=seed_value)
    rows: dict[str, list[dict]] = {
        "source_documents": [],
        "entity_mentions": [],
        "relationships": [],
        "document_summary": [],
    }
    by_document: dict[str, list] = {}
    for m in mentions:
        by_document.setdefault(f"{project}-{m.document_id}{tag}", []).append(m)
    for document_id, found in by_document.items():
        rows["source_documents"].append(
            {
                "document_id": document_id,
                "project": project,
                "file_name": f"{document_id}.pdf",
                "blob_key": f"documents/{document_id}.pdf",
                "size_bytes": 1,
                "sha256": "0" * 64,
                "page_count": 1,
                "encrypted": False,
            }
        )
        rows["entity_mentions"] += [
            {
                "mention_id": f"{document_id}:{k}",
                "document_id": document_id,
                "start": k,
                "end": k + 1,
                "text": m.text,
                "label": m.label,
                "normalized": m.normalized,
                "method": "synthetic",
                "confidence": 1.0,
            }
            for k, m in enumerate(found)
        ]
        named = list(dict.fromkeys((m.label, m.normalized) for m in found))
        edges = [("MENTIONS", ("DOCUMENT", document_id), key) for key in named]
        parties = [key for key in named if key[0] in ("PERSON", "ORG")]
        edges += [("CO_OCCURS", a, b) for a, b in zip(parties, parties[1:], strict=False)]
        rows["relationships"] += [
            {
                "document_id": document_id,
                "relationship_index": k,
                "type": kind,
                "source_label": source[0],
                "source_name": source[1],
                "target_label": target[0],
                "target_name": target[1],
                "sentence": "",
                "confidence": 1.0,
                "count": 1,
            }
            for k, (kind, source, target) in enumerate(edges)
        ]
        rows["document_summary"].append(
            {
                "document_id": document_id,
                "project": project,
                "file_name": f"{document_id}.pdf",
                "pages": 1,
                "ocr_pages": 0,
                "unreadable_pages": 0,
                "chunks": 1,
                "mentions": len(found),
                "relationships": len(edges),
                "status": "completed",
                "completed_at": datetime.now(UTC),
            }
        )
    tables.replace_tables(rows, {"document_id": list(by_document)})
    return list(by_document)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--mentions", type=int, default=5000, help="per project")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as home,
        dg.instance_for_test(temp_dir=home) as instance,
    ):
        settings = Settings.from_env({"DOCASSETS_HOME": home})
        definitions = build_definitions(settings)
        job = definitions.resolve_job_def("update_project")
        tables = TableStore(settings.database_url)
        tables.ensure_schema()
        names = [f"matter-{k:03d}" for k in range(args.projects)]
        started = time.perf_counter()
        for k, project in enumerate(names):
            seed(tables, project, args.mentions, seed_value=k)
        instance.add_dynamic_partitions("projects", names)
        seconds = time.perf_counter() - started
        print(f"seeded {args.projects} projects x {args.mentions:,} mentions in {seconds:.0f} s", flush=True)

        def run(project: str) -> tuple[float, float]:
            """Wall and CPU seconds of one run of the project's partition (in this process)."""
            wall, cpu = time.perf_counter(), time.process_time()
            result = job.execute_in_process(
                instance=instance, partition_key=project, asset_selection=MEASURED, run_config=QUIET
            )
            assert result.success
            return time.perf_counter() - wall, time.process_time() - cpu

        database = build_resources(settings)["database"]

        def tick(cursor: str | None) -> dg.SensorResult:
            context = dg.build_sensor_context(
                instance=instance, cursor=cursor, resources={"database": database}
            )
            result = project_automation(context)
            assert isinstance(result, dg.SensorResult), result
            return result

        cursor = tick(None).cursor  # (the seeded documents completed without runs: nothing to request)
        target = names[len(names) // 2]
        first = run(target)
        alone = min((run(target) for _ in range(3)), key=lambda t: t[1])
        print(f"one project alone: first {first[0]:.2f} s wall / {first[1]:.2f} s CPU, again {_t(alone)}")
        updates = []
        for attempt in range(3):
            added = seed(tables, target, 50, seed_value=10_000 + attempt, tag=f"-new{attempt}")
            # the completion, as the document's run reports it: a materialization of its summary
            instance.add_dynamic_partitions("documents", added)
            instance.report_runless_asset_event(
                dg.AssetMaterialization("document_summary", partition=added[0])
            )
            wall, cpu = time.perf_counter(), time.process_time()
            result = tick(cursor)
            assert [r.partition_key for r in result.run_requests or []] == [target], result.run_requests
            cursor = result.cursor
            run(target)
            updates.append((time.perf_counter() - wall, time.process_time() - cpu))
        update = min(updates, key=lambda t: t[1])
        print(f"one document added to it, sensor tick + run: {_t(update)}")
        print(
            f"ratio update / project alone: {update[0] / alone[0]:.2f} wall, {update[1] / alone[1]:.2f} CPU"
        )

        firm_wall = firm_cpu = 0.0
        for k, project in enumerate(names, start=1):
            wall, cpu = run(project)
            firm_wall, firm_cpu = firm_wall + wall, firm_cpu + cpu
            if k % 20 == 0 or k == len(names):
                print(
                    f"  firm-wide so far: {k} projects, {firm_wall:.0f} s wall / {firm_cpu:.0f} s CPU",
                    flush=True,
                )
        mentions = tables.scalar(sa.select(sa.func.count()).select_from(t.entity_mentions))
        print(f"{mentions:,} mentions in the firm, about {args.mentions:,} in each of {len(names)} projects")
        print(f"firm-wide, every project's entities and graph: {firm_wall:.1f} s wall / {firm_cpu:.1f} s CPU")
        print(f"ratio firm-wide / update: {firm_wall / update[0]:.0f} wall, {firm_cpu / update[1]:.0f} CPU")


def _t(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f} s wall / {times[1]:.2f} s CPU"


if __name__ == "__main__":
    main()

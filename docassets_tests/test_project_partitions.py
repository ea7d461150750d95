"""Project assets are partitioned by project: a document that completes updates its own project's
entities, duplicates and graph, and the other projects are left alone; each project's
materialization carries its own picture."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pymupdf

from docassets.defs.definitions import build_resources
from docassets.defs.project_sensor import project_automation
from docassets.local_run import LocalPipeline

from .sensor_ticks import Tick, tick

PROJECT_ASSETS = ("resolved_entities", "document_duplicates", "entity_graph")
COMPLAINT = (
    "UNITED STATES DISTRICT COURT FOR THE DISTRICT OF COLORADO. Plaintiff {plaintiff} brings this "
    "action against {defendant}. {defendant} failed to pay the wages it owed to {plaintiff}. "
    "Attorney Michael J. Paul of Wombat & Paul LLP represents {plaintiff}."
)


def _pdf(path: Path, plaintiff: str, defendant: str) -> Path:
    with pymupdf.open() as document:
        page = document.new_page()
        text = COMPLAINT.format(plaintiff=plaintiff, defendant=defendant)
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), text, fontsize=11)
        document.save(path)
    return path


def _tick(pipeline: LocalPipeline, cursor: str | None) -> Tick:
    database = build_resources(pipeline.settings)["database"]
    return tick(project_automation, pipeline.instance, cursor, {"database": database})


def _latest(instance: dg.DagsterInstance, project: str) -> dict[str, Latest]:
    latest = {}
    for name in PROJECT_ASSETS:
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(name), asset_partitions=[project]), limit=1
        ).records
        assert record.asset_materialization is not None
        latest[name] = Latest(record.storage_id, record.asset_materialization.metadata)
    return latest


@dataclass(frozen=True)
class Latest:
    """A project asset's latest materialization: where it is in the event log, and its metadata."""

    storage_id: int
    metadata: Mapping[str, Any]


def test_a_completed_document_updates_only_its_own_project_and_each_project_has_its_picture(
    embedded_settings, tmp_path
):
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        alpha = pipeline.add_document(
            _pdf(tmp_path / "alpha.pdf", "Jane Roe", "Acme Holdings, Inc."), project="alpha"
        )
        beta = pipeline.add_document(
            _pdf(tmp_path / "beta.pdf", "John Doe", "Globex Corporation"), project="beta"
        )
        assert not pipeline.run_documents([alpha, beta])
        assert set(instance.get_dynamic_partitions("projects")) == {"alpha", "beta"}

        first = _tick(pipeline, None)
        assert sorted(str(request.partition_key) for request in first.run_requests) == ["alpha", "beta"]
        for request in first.run_requests:
            assert request.partition_key is not None
            assert pipeline.update_project_assets(request.partition_key)
        beta_before = _latest(instance, "beta")
        alpha_before = _latest(instance, "alpha")
        assert not _tick(pipeline, first.cursor).run_requests  # nothing completed since

        later = pipeline.add_document(
            _pdf(tmp_path / "alpha-2.pdf", "Jane Roe", "Initech LLC"), project="alpha"
        )
        assert not pipeline.run_documents([later])
        second = _tick(pipeline, first.cursor)
        assert [request.partition_key for request in second.run_requests] == ["alpha"]
        assert pipeline.update_project_assets("alpha")

        alpha_after, beta_after = _latest(instance, "alpha"), _latest(instance, "beta")
        assert {name: r.storage_id for name, r in beta_after.items()} == {
            name: r.storage_id for name, r in beta_before.items()
        }, "beta's last materializations are unchanged"
        assert all(alpha_after[name].storage_id > alpha_before[name].storage_id for name in PROJECT_ASSETS)
        links = pipeline.tables.read_frame("entity_links", {"project": "alpha"})
        assert set(links.document_id) == {alpha, later}
        assert set(pipeline.tables.read_frame("entity_links", {"project": "beta"}).document_id) == {beta}
        # each project's materialization is its own, with its own counts
        resolved = alpha_after["resolved_entities"].metadata
        assert resolved["project"].value == "alpha" and resolved["documents"].value == 2
        assert beta_after["resolved_entities"].metadata["documents"].value == 1

        # each project has its own picture, with its name, its people and the legends
        for project, plaintiff, stranger in (
            ("alpha", "Jane Roe", "John Doe"),
            ("beta", "John Doe", "Jane Roe"),
        ):
            svg = pipeline.store.get_bytes(f"entity_graph/{project}/entity_graph.svg").decode()
            text = " ".join(re.findall(r">([^<>]+)</text>", svg))
            assert project in text and plaintiff in text and stranger not in text
            assert "entity type" in text and "relationship type" in text and "person" in text
            metadata = _latest(instance, project)["entity_graph"].metadata
            assert metadata["project"].value == project
            assert Path(str(metadata["picture_file"].value)).read_text() == svg  # the file a browser opens
            embedded = re.fullmatch(
                r"!\[.*\]\(data:image/svg\+xml;base64,(.+)\)", str(metadata["picture"].value)
            )
            assert embedded and base64.b64decode(embedded.group(1)).decode() == svg

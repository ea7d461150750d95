"""The project assets read a consistent state: a document whose run is in flight is left out, not
read half-written, and every edge of the graph has resolved endpoints."""

from __future__ import annotations

import io

import dagster as dg
import networkx as nx

from docassets.core.graph import document_node
from docassets.defs.assets.documents import source_documents
from docassets.defs.assets.entities import entity_mentions
from docassets.defs.assets.text import chunks, ocr_text
from docassets.defs.definitions import build_resources
from docassets.local_run import QUIET, LocalPipeline

from .conftest import sample


def test_project_assets_leave_out_a_document_whose_run_is_in_flight(embedded_settings):
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        steady = pipeline.add_document(sample("dcolo-complaint-first-page.pdf"), project="matter")
        moving = pipeline.add_document(sample("tn-appeals-board-diaz-opinion.pdf"), project="matter")
        assert not pipeline.run_documents([steady, moving])
        assert pipeline.update_project_assets("matter")

        # The second document's run stops half-way: its mentions are rewritten, its relationships
        # and summary are not (what the project assets would meet while its run is in flight).
        half_way = dg.materialize(
            [source_documents, ocr_text, chunks, entity_mentions],
            partition_key=moving,
            instance=instance,
            resources=build_resources(embedded_settings),
            run_config=QUIET,
        )
        assert half_way.success
        project = dg.materialize(
            [
                pipeline.definitions.get_assets_def("resolved_entities"),
                pipeline.definitions.get_assets_def("entity_graph"),
            ],
            partition_key="matter",
            instance=instance,
            resources=build_resources(embedded_settings),
            run_config=QUIET,
        )

        assert project.success
        assert all(check.passed for check in project.get_asset_check_evaluations())
        links = pipeline.tables.read_frame("entity_links", {"project": "matter"})
        assert set(links.document_id) == {steady}
        graph = nx.read_graphml(
            io.BytesIO(pipeline.store.get_bytes("entity_graph/matter/entity_graph.graphml"))
        )
        assert document_node(steady) in graph and document_node(moving) not in graph

        assert not pipeline.run_documents([moving])  # the run completes: the document is back
        assert pipeline.update_project_assets("matter")
        links = pipeline.tables.read_frame("entity_links", {"project": "matter"})
        assert set(links.document_id) == {steady, moving}

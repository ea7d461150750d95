"""The whole pipeline through Dagster, in the embedded and the production configuration."""

from __future__ import annotations

import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import networkx as nx
import pymupdf
import pytest

from docassets.defs.assets.duplicates import document_duplicates
from docassets.defs.batching import run_documents
from docassets.defs.definitions import build_resources
from docassets.defs.project_sensor import project_automation
from docassets.defs.sensors import upload_sensor
from docassets.local_run import LocalPipeline, process_files
from docassets.storage.registry import upload_document

from .conftest import sample
from .old_ocr import garbled_lines, page_text, scan_with_layer
from .sensor_ticks import Tick, tick


@pytest.fixture
def pipeline(settings):
    with dg.instance_for_test() as instance:
        yield LocalPipeline(settings, instance)


def pages_of(source: Path, pages: list[int], target: Path) -> Path:
    """A real filing split in two, so two documents of a matter share their parties."""
    document = pymupdf.open(source)
    document.select(pages)
    document.save(target)
    return target


def rows(pipeline: LocalPipeline, table: str, document_id: str):
    order = {"chunks": "chunk_index", "entity_mentions": "mention_id", "relationships": "relationship_index"}
    return pipeline.tables.read_frame(table, {"document_id": document_id}, order_by=order[table])


def test_a_scanned_order_is_read_chunked_and_its_entities_found(pipeline):
    document = pipeline.add_document(sample("tn-workers-comp-order-scan.pdf"), project="scan")
    job = pipeline.definitions.resolve_job_def("process_document")
    result = job.execute_in_process(instance=pipeline.instance, partition_key=document)
    checks = {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}
    assert checks == {
        "matches_upload": True,
        "every_page_accounted": True,
        "pages_readable": True,
        "bates_consecutive": True,
        "chunks_cover_text": True,
        "offsets_reproduce_text": True,
        "mentions_in_chunks": True,
        "endpoints_are_mentions": True,
        "stages_agree": True,
        "every_page_and_chunk_indexed": True,
    }
    summary = pipeline.tables.read_frame("document_summary", {"document_id": document}).iloc[0]
    assert (summary.pages, summary.ocr_pages, summary.status) == (1, 1, "completed")
    assert summary.chunks >= 1 and summary.mentions >= 3
    mentions = rows(pipeline, "entity_mentions", document)
    text = " ".join(rows(pipeline, "chunks", document).text)
    assert "Workers" in text and "Compensation" in text
    assert {"DATE", "PERSON"} <= set(mentions.label)


def test_a_scan_under_a_poor_old_ocr_layer_yields_the_entities_of_a_fresh_ocr(pipeline, tmp_path):
    layer = garbled_lines(page_text("tn-appeals-board-diaz-opinion.pdf", 0), rate=0.3)
    scan = scan_with_layer("tn-appeals-board-diaz-opinion.pdf", 0, layer, tmp_path / "diaz-old-ocr.pdf")
    document = pipeline.add_document(scan, project="old-ocr")
    assert pipeline.run_document(document)

    materialization = (
        pipeline.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("ocr_text"), asset_partitions=[document]), limit=1
        )
        .records[0]
        .asset_materialization
    )
    assert materialization.metadata["text_layers_replaced_by_ocr"].value == 1
    preview = materialization.metadata["preview"].value
    assert "layer_score" in preview and "ocr_score" in preview
    mentions = rows(pipeline, "entity_mentions", document)
    found = set(zip(mentions.text, mentions.label, strict=True))
    assert {("Create and Construct, LLC", "ORG"), ("Kenneth M. Switzer", "PERSON")} <= found
    assert not {text for text, _ in found} & {"Ruben Dlaz", "Swltzer", "Create and Construet"}


def test_rematerializing_a_document_replaces_its_rows(pipeline):
    document = pipeline.add_document(sample("dcolo-complaint-first-page.pdf"), project="rerun")
    assert pipeline.run_document(document)
    assert pipeline.update_project_assets("rerun")
    first = {
        table: rows(pipeline, table, document) for table in ("chunks", "entity_mentions", "relationships")
    }
    links_first = pipeline.tables.read_frame("entity_links", {"document_id": document}, order_by="mention_id")
    assert len(first["entity_mentions"]) > 5 and len(first["relationships"]) > 5

    assert pipeline.run_document(document)
    assert pipeline.update_project_assets("rerun")
    for table, before in first.items():
        assert rows(pipeline, table, document).equals(before), table
    links_again = pipeline.tables.read_frame("entity_links", {"document_id": document}, order_by="mention_id")
    assert links_again.equals(links_first)  # same mentions, same entity ids


def test_two_documents_of_a_matter_share_entity_ids(pipeline, tmp_path):
    filing = sample("ca5-filing-00516242060.pdf")
    first = pipeline.add_document(pages_of(filing, [0, 1], tmp_path / "part-1.pdf"), project="st-pierre")
    second = pipeline.add_document(pages_of(filing, [2, 3], tmp_path / "part-2.pdf"), project="st-pierre")
    assert pipeline.run_document(first) and pipeline.run_document(second)
    assert pipeline.update_project_assets("st-pierre")
    links = pipeline.tables.read_frame("entity_links", {"project": "st-pierre"})
    entities = pipeline.tables.read_frame("resolved_entities", {"project": "st-pierre"})
    shared = entities[entities.document_count == 2]
    assert len(shared) >= 1
    for entity_id in shared.entity_id:
        assert set(links[links.entity_id == entity_id].document_id) == {first, second}
    mentions = pipeline.tables.read_frame("entity_mentions", {"document_id": first}).mention_id
    assert set(mentions) <= set(links.mention_id)


def test_a_definition_yields_defined_terms_and_uses_linked_to_the_party_it_defines(pipeline):
    document = pipeline.add_document(sample("tn-appeals-board-diaz-opinion.pdf"), project="definitions")
    assert pipeline.run_document(document)
    assert pipeline.update_project_assets("definitions")
    terms = pipeline.tables.read_frame("defined_terms", {"document_id": document}, order_by="term_index")
    employer = terms[terms.term == "Employer"].iloc[0]
    assert employer.referent == "Create and Construct, LLC" and employer.label == "ORG"
    assert employer.page_number == 2 and employer.uses >= 5
    mentions = rows(pipeline, "entity_mentions", document)
    uses = mentions[(mentions.text == "Employer") & mentions.method.str.startswith("rule:defined_")]
    assert len(uses) == employer.uses and set(uses.normalized) == {employer.normalized}
    assert set(uses.label) == {"ORG"}
    links = (
        pipeline.tables.read_frame("entity_links", {"document_id": document})
        .set_index("mention_id")
        .entity_id
    )
    referent = mentions[(mentions.start == employer.referent_start) & (mentions.end == employer.referent_end)]
    assert len(referent) == 1, "the definition's referent is itself a mention"
    assert set(links[uses.mention_id]) == {links[referent.mention_id.iloc[0]]}, "one entity: the firm"


def test_the_graph_is_exported_as_graphml(pipeline):
    document = pipeline.add_document(sample("dcolo-complaint-first-page.pdf"), project="graph")
    assert pipeline.run_document(document)
    assert pipeline.update_project_assets("graph")
    graph = nx.read_graphml(io.BytesIO(pipeline.store.get_bytes("entity_graph/graph/entity_graph.graphml")))
    assert f"document:{document}" in graph
    entities = pipeline.tables.read_frame("resolved_entities", {"project": "graph"})
    assert set(entities.entity_id) <= set(graph.nodes)
    assert pipeline.store.get_bytes("entity_graph/graph/nodes.csv").startswith(b":ID")


def test_a_restamped_copy_is_grouped_with_its_original_in_the_table_and_the_graph(pipeline, tmp_path):
    def stamped(prefix: str, target: Path) -> Path:
        document = pymupdf.open(sample("mo-court-of-appeals-opinion.pdf"))
        document.select([0, 1])
        for number, page in enumerate(document.pages(), start=1):
            page.insert_text(
                (page.rect.width - 140, page.rect.height - 22), f"{prefix}{number:06d}", fontsize=10
            )
        document.save(target)
        return target

    original = pipeline.add_document(stamped("WOMBAT ", tmp_path / "original.pdf"), project="copies")
    copy = pipeline.add_document(stamped("PLTF-", tmp_path / "produced-again.pdf"), project="copies")
    other = pipeline.add_document(sample("dcolo-complaint-first-page.pdf"), project="copies")
    assert all(pipeline.run_document(d) for d in (original, copy, other))
    result = dg.materialize(
        [document_duplicates],
        partition_key="copies",
        resources=build_resources(pipeline.settings),
        instance=pipeline.instance,
    )
    assert [c.passed for c in result.get_asset_check_evaluations()] == [True]
    assert pipeline.update_project_assets("copies")
    found = pipeline.tables.read_frame("document_duplicates", {"project": "copies"})
    assert len(found) == 1
    member = found.iloc[0]
    # the two have the same words, so the pivot is the first by document id
    assert (member.kind, member.similarity) == ("exact", 1.0)
    assert {member.document_id, member.pivot_document_id} == {original, copy}
    graph = nx.read_graphml(io.BytesIO(pipeline.store.get_bytes("entity_graph/copies/entity_graph.graphml")))
    edge = graph.get_edge_data(f"document:{member.document_id}", f"document:{member.pivot_document_id}")
    assert [data["type"] for data in edge.values()] == ["DUPLICATE_OF"]


def test_bad_files_fail_alone_with_their_cause(pipeline, tmp_path):
    empty = tmp_path / "empty-production.pdf"
    empty.write_bytes(b"")
    letter = tmp_path / "cover-letter.pdf"
    letter.write_text("Dear counsel, please find enclosed ...")
    good = pipeline.add_document(sample("ca10-filing-010110462922.pdf"), project="mixed")
    bad = {path.name: pipeline.add_document(path, project="mixed") for path in (empty, letter)}
    assert pipeline.run_document(good)
    for name, document in bad.items():
        assert not pipeline.run_document(document)
        failure = pipeline.tables.read_frame("document_failures", {"document_id": document}).iloc[0]
        assert failure.stage == "source_documents"
        assert failure.error.startswith(name)
    assert pipeline.tables.read_frame("document_summary", {"document_id": good}).status.tolist() == [
        "completed"
    ]


def test_documents_share_runs_and_an_unreadable_one_fails_alone(pipeline, tmp_path):
    truncated = tmp_path / "truncated-production.pdf"
    truncated.write_bytes(sample("ca10-filing-010110462922.pdf").read_bytes()[:4000])
    paths = [
        sample("dcolo-complaint-first-page.pdf"),
        truncated,
        sample("ca10-filing-010110462922.pdf"),
        pages_of(sample("ca5-filing-00516242060.pdf"), [0, 1], tmp_path / "ca5-extract.pdf"),
    ]
    ids = [pipeline.add_document(path, project="shared") for path in paths]

    failed = pipeline.run_documents(ids)

    bad = ids[1]
    assert failed == {bad}
    failure = pipeline.tables.read_frame("document_failures", {"document_id": bad}).iloc[0]
    assert (failure.stage, failure.error.split(":")[0]) == ("source_documents", "truncated-production.pdf")
    good = [ids[0], *ids[2:]]
    summaries = pipeline.tables.read_frame("document_summary", {"document_id": good})
    assert sorted(summaries.document_id) == sorted(good) and set(summaries.status) == {"completed"}
    # one run for all four, failed by the truncated file; then runs without it, the last two together
    runs = pipeline.instance.get_runs(dg.RunsFilter(job_name="process_document"))
    covered = sorted(len(run_documents(run.tags, pipeline.instance)) for run in runs)
    assert covered == [1, 2, 4]
    # each document's materialization carries its own figures, though it shared a run
    for document_id, path in zip(good, [paths[0], *paths[2:]], strict=True):
        materialization = (
            pipeline.instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("ocr_text"), asset_partitions=[document_id]),
                limit=1,
            )
            .records[0]
            .asset_materialization
        )
        with pymupdf.open(path) as pdf:
            assert materialization.metadata["pages"].value == pdf.page_count


def sensor_tick(pipeline: LocalPipeline, cursor: str | None) -> Tick:
    return tick(upload_sensor, pipeline.instance, cursor, pipeline.definitions.resources)


def test_the_sensor_registers_each_upload_once_and_requests_its_run(pipeline):
    store = pipeline.store
    uploaded = upload_document(
        store, sample("ca10-filing-010110462922.pdf"), project="wombat", priority="high"
    )
    store.put_file("inbox/acme/exhibit-4.pdf", sample("dcolo-complaint-first-page.pdf"))
    store.put_bytes("inbox/acme/notes.txt", b"not a pdf")
    store.put_bytes("inbox/acme/placeholder.pdf", b"")

    first = sensor_tick(pipeline, None)
    requested = {request.partition_key: request for request in first.run_requests}
    assert len(requested) == 2 and uploaded in requested
    assert requested[uploaded].tags["dagster/priority"] == "10"
    assert list(requested)[0] == uploaded  # high priority first
    added = {r.partitions_def_name: set(r.partition_keys) for r in first.dynamic_partitions_requests}
    assert added == {"documents": set(requested), "projects": {"wombat", "acme"}}  # new projects too
    inbox_id = next(key for key in requested if key != uploaded)
    record = pipeline.tables.read_frame("documents", {"document_id": inbox_id}).iloc[0]
    assert (record.project, record.file_name) == ("acme", "exhibit-4.pdf")
    quarantined = pipeline.tables.read_frame("quarantine").set_index("blob_key").reason.to_dict()
    assert quarantined["inbox/acme/notes.txt"].startswith("not a PDF")
    assert quarantined["inbox/acme/placeholder.pdf"].startswith("empty file")

    crashed = sensor_tick(pipeline, None)  # as if the first tick's result had never been stored
    assert [(r.partition_key, r.run_key) for r in crashed.run_requests] == [
        (r.partition_key, r.run_key) for r in first.run_requests
    ]  # the same requests: nothing lost or doubled
    second = sensor_tick(pipeline, first.cursor)
    assert second.run_requests == []
    store.put_file(
        "inbox/acme/exhibit-4.pdf", sample("ca10-filing-010110462922.pdf")
    )  # overwritten: new version
    third = sensor_tick(pipeline, second.cursor)
    assert len(third.run_requests) == 1 and third.run_requests[0].partition_key not in requested


@pytest.mark.slow
def test_ten_thousand_uploads_are_each_registered_once(production_settings, capsys):
    """Random UUID keys over S3's HTTP API: lexical order is not arrival order, listing spans ticks."""
    count = 10_000
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(production_settings, instance)
        keys = [f"inbox/bulk/{uuid.uuid4()}.pdf" for _ in range(count)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda key: pipeline.store.put_bytes(key, b"%PDF-1.4 stub"), keys))
        cursor, runs, durations = None, [], []
        for _ in range(count // 500 + 5):
            started = time.perf_counter()
            result = sensor_tick(pipeline, cursor)
            durations.append(time.perf_counter() - started)
            cursor = result.cursor
            for request in result.dynamic_partitions_requests:  # as the daemon applies them
                instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
            runs += [
                [request.partition_key] if request.partition_key else run_documents(request.tags, instance)
                for request in result.run_requests
            ]
        registered = pipeline.tables.read_frame("documents", {"project": "bulk"})
    requested = [document for run in runs for document in run]
    assert sorted(registered.blob_key) == sorted(keys)
    assert len(requested) == len(set(requested)) == count  # each once, nothing twice
    assert set(requested) == set(registered.document_id)
    assert max(map(len, runs)) == production_settings.documents_per_run  # several documents per run
    with capsys.disabled():
        print(
            f"\n10,000 uploads: {len(durations)} ticks, longest {max(durations):.2f} s, "
            f"mean {sum(durations) / len(durations):.2f} s; {len(runs)} runs"
        )


def test_process_runs_local_files_end_to_end(embedded_settings):
    with dg.instance_for_test() as instance:
        result = process_files(
            [sample("dcolo-complaint-first-page.pdf"), sample("cafc-header-only-text-layer.pdf")],
            project="demo",
            settings=embedded_settings,
            instance=instance,
        )
    assert [d.status for d in result.documents] == ["completed", "completed"]
    header_only = result.documents[1]
    assert header_only.ocr_pages == 1 and header_only.mentions > 0
    assert result.entities > 0


def test_a_failed_document_does_not_hold_back_the_project_assets(embedded_settings, tmp_path):
    unreadable = tmp_path / "unreadable.pdf"
    unreadable.write_bytes(b"%PDF-1.4 this is not really a PDF")
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        database = build_resources(embedded_settings)["database"]
        before = tick(project_automation, instance, None, {"database": database})
        good = pipeline.add_document(sample("ca10-filing-010110462922.pdf"), project="automation")
        bad = pipeline.add_document(unreadable, project="automation")
        assert pipeline.run_document(good) and not pipeline.run_document(bad)
        evaluation = tick(project_automation, instance, before.cursor, {"database": database})
        assert [request.partition_key for request in evaluation.run_requests] == ["automation"]
        assert pipeline.update_project_assets("automation")  # the run requested
    assert set(pipeline.tables.read_frame("entity_links", {"project": "automation"}).document_id) == {good}

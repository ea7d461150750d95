"""What happens when a stage meets something it did not expect: missing values in a stored frame,
an error that a retry cannot cure, a transient fault in the middle of a long OCR."""

from __future__ import annotations

import io
import threading

import dagster as dg
import pandas as pd
import pymupdf
import pytest

from docassets.defs.definitions import ASSETS, build_resources
from docassets.defs.jobs import process_document
from docassets.defs.resources import BlobStoreResource, PipelineSettings
from docassets.local_run import QUIET, LocalPipeline
from docassets.progress import read_progress
from docassets.storage.registry import upload_key

from .conftest import sample
from .productions import scanned_production, text_production


@pytest.fixture
def pipeline(settings):
    with dg.instance_for_test() as instance:
        yield LocalPipeline(settings, instance)


def _pages(pipeline: LocalPipeline, document_id: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(pipeline.store.get_bytes(f"ocr_text/{document_id}.parquet")))


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def test_pages_with_missing_bates_numbers_and_confidences_go_through_every_stage(pipeline, tmp_path):
    """Pages 2 and 4 carry no Bates number, the text pages no OCR confidence and the last page is
    a scan: the optional columns come back from Parquet with NaN, and every stage copes."""
    stamped, production = tmp_path / "stamped.pdf", tmp_path / "WOMBAT 000001-000006.pdf"
    expected = text_production(stamped, 5, unstamped=frozenset({2, 4})) + [None]
    with pymupdf.open(stamped) as document, pymupdf.open(sample("tn-workers-comp-order-scan.pdf")) as scan:
        document.insert_pdf(scan)
        document.save(production)
    document_id = pipeline.add_document(production, project="gaps")
    result = pipeline.job.execute_in_process(
        instance=pipeline.instance, partition_key=document_id, run_config=QUIET
    )

    assert result.success
    checks = _checks(result)
    assert all(check.passed for name, check in checks.items() if name != "bates_consecutive")
    gaps = checks["bates_consecutive"].metadata["failures"].value
    assert isinstance(gaps, str), gaps
    assert "WOMBAT 000001 -> WOMBAT 000003" in gaps and "WOMBAT 000003 -> WOMBAT 000005" in gaps
    pages = _pages(pipeline, document_id)
    assert [b if isinstance(b, str) else None for b in pages.bates] == expected
    assert list(pages.method) == ["text"] * 5 + ["ocr"]
    chunks = pipeline.tables.read_frame("chunks", {"document_id": document_id})
    assert set(chunks.bates_start.dropna()) <= {b for b in expected if b}
    mentions = pipeline.tables.read_frame("entity_mentions", {"document_id": document_id})
    assert {"WOMBAT 000001", "WOMBAT 000005"} <= set(mentions[mentions.label == "BATES"].text)
    assert mentions.role.isna().any() and mentions.bates.isna().any()
    summary = pipeline.tables.read_frame("document_summary", {"document_id": document_id}).iloc[0]
    assert (summary.status, summary.pages, summary.ocr_pages) == ("completed", 6, 1)


def _job(settings, **resources) -> dg.JobDefinition:
    return dg.Definitions(
        assets=ASSETS, jobs=[process_document], resources={**build_resources(settings), **resources}
    ).resolve_job_def("process_document")


def _step_events(result: dg.ExecuteInProcessResult, step: str, event_type: dg.DagsterEventType) -> list:
    return [e for e in result.all_events if e.step_key == step and e.event_type == event_type]


def test_an_error_a_retry_cannot_cure_fails_once_and_is_recorded_with_its_cause(embedded_settings):
    pipeline_settings = PipelineSettings(chunk_max_tokens=0)  # a setting our chunker rejects
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        document_id = pipeline.add_document(sample("ca10-filing-010110462922.pdf"), project="bad-setting")
        job = _job(embedded_settings, pipeline=pipeline_settings)
        result = job.execute_in_process(
            instance=instance, partition_key=document_id, raise_on_error=False, run_config=QUIET
        )

    assert not result.success
    assert len(_step_events(result, "chunks", dg.DagsterEventType.STEP_FAILURE)) == 1
    assert _step_events(result, "chunks", dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    progress = read_progress(pipeline.tables, document_id=document_id).documents[0]
    assert (progress.state, progress.failed_stage) == ("failed", "chunks")
    assert (progress.error or "").startswith("ca10-filing-010110462922.pdf: ValueError: need max_tokens >= 1")


def test_one_document_that_cannot_be_rendered_fails_alone_and_the_others_complete(
    embedded_settings, tmp_path
):
    """A 14,400-point page (over the page limit; MuPDF would refuse to render it) in a run with two good
    filings."""
    huge = tmp_path / "oversized-map.pdf"
    with pymupdf.open() as document:
        page = document.new_page(width=14400, height=14400)
        pixmap = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 50, 50), False)
        pixmap.clear_with(200)
        page.insert_image(page.rect, pixmap=pixmap)
        document.save(huge)
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        good = [
            pipeline.add_document(sample(name), project="fate")
            for name in ("ca10-filing-010110462922.pdf", "dcolo-complaint-first-page.pdf")
        ]
        bad = pipeline.add_document(huge, project="fate")
        failed = pipeline.run_documents([good[0], bad, good[1]])
        first_run = instance.get_runs()[-1]  # newest first
        retries = instance.all_logs(first_run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)

    assert failed == {bad}
    states = {d.document_id: d for d in read_progress(pipeline.tables, project="fate").documents}
    assert [states[g].state for g in good] == ["completed", "completed"]
    assert (states[bad].state, states[bad].failed_stage) == ("failed", "ocr_text")
    assert (states[bad].error or "").startswith("oversized-map.pdf: page 1 is 14,400 x 14,400 points")
    assert retries == []  # not retried: the same page would fail the same way


def _error_chain(error) -> str:
    """The class names and messages of a Dagster error and the errors behind it."""
    parts = []
    while error is not None:
        parts.append(f"{error.cls_name}: {error.message}")
        error = error.cause or error.context
    return " <- ".join(parts)


class _FailOnce:
    """A real blob store that loses its connection once, when the checkpoint of `pages` is saved."""

    failed = threading.Event()

    def __init__(self, store, pages: str):
        self._store, self._pages = store, pages

    def __getattr__(self, name):
        return getattr(self._store, name)

    def put_bytes(self, key, data, metadata=None):
        if "/_partial/" in key and key.endswith(f"/{self._pages}.parquet") and not self.failed.is_set():
            self.failed.set()
            raise ConnectionError(f"connection reset while storing {key}")
        return self._store.put_bytes(key, data, metadata)


class _FlakyBlobStore(BlobStoreResource):
    def store(self):
        return _FailOnce(super().store(), "000005-000008")


def test_a_retried_ocr_step_resumes_after_the_pages_already_saved(embedded_settings, tmp_path):
    production = tmp_path / "WOMBAT 000454-000463.pdf"
    expected = scanned_production(production, 10)
    base = build_resources(embedded_settings)["blob_store"]
    assert isinstance(base, BlobStoreResource)
    flaky = _FlakyBlobStore(**base.model_dump())
    _FailOnce.failed.clear()
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        document_id = pipeline.add_document(production, project="resume")
        job = _job(
            embedded_settings, blob_store=flaky, pipeline=PipelineSettings(checkpoint_pages=4, ocr_workers=2)
        )
        result = job.execute_in_process(instance=instance, partition_key=document_id, run_config=QUIET)
        event = instance.get_latest_materialization_event(dg.AssetKey("ocr_text"))
    assert event is not None and event.asset_materialization is not None
    materialization = event.asset_materialization

    assert _FailOnce.failed.is_set() and result.success
    retries = _step_events(result, "ocr_text", dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert len(retries) == 1 and "ConnectionError" in _error_chain(retries[0].event_specific_data.error)
    # The retry read pages 5-10 only: 1-4 were checkpointed before the fault.
    assert (
        materialization.metadata["pages_resumed"].value,
        materialization.metadata["pages_read"].value,
    ) == (4, 6)
    pages = _pages(pipeline, document_id)
    assert list(pages.page_number) == list(range(1, 11))
    assert list(pages.bates) == expected
    assert pipeline.store.list("ocr_text/_partial/") == []  # checkpoints are removed once stored


def test_a_document_failing_a_blocking_check_fails_alone(embedded_settings):
    """The stored file of one document is not the one uploaded (`matches_upload`, a blocking check):
    that document fails with the check's reason, its neighbour in the run completes."""
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        good = pipeline.add_document(sample("ca10-filing-010110462922.pdf"), project="swapped")
        swapped = pipeline.add_document(sample("dcolo-complaint-first-page.pdf"), project="swapped")
        pipeline.store.put_file(upload_key(swapped), sample("tn-workers-comp-order-scan.pdf"))
        failed = pipeline.run_documents([good, swapped])

    assert failed == {swapped}
    states = {d.document_id: d for d in read_progress(pipeline.tables, project="swapped").documents}
    assert states[good].state == "completed"
    assert (states[swapped].state, states[swapped].failed_stage) == ("failed", "source_documents")
    assert states[swapped].error == (
        "dcolo-complaint-first-page.pdf: check matches_upload failed: size and sha256 differ from the upload"
    )

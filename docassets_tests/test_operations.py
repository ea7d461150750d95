"""Operations as a user meets them: submit refuses work that cannot run, a live daemon turns a batch
into processed documents, duplicates are caught, --force replaces rows, status tells the truth."""

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import dagster as dg
import pymupdf
import pytest
import requests

from docassets.defs.definitions import ASSETS
from docassets.defs.jobs import DOCUMENT_STAGES
from docassets.local_run import LocalPipeline
from docassets.progress import read_progress
from docassets.settings import Settings
from docassets.storage.tables import TableStore
from docassets.submission import submit_files

from .conftest import _free_port, sample
from .daemon import BIN, ROOT, daemon_log, start_daemon


def test_submit_skips_a_duplicate_and_force_requeues_the_same_document(settings):
    first = submit_files(settings, [sample("ca10-filing-010110462922.pdf")], project="dupes", priority="low")
    assert [f.outcome for f in first.files] == ["queued"]
    original = first.files[0].document_id
    again = submit_files(settings, [sample("ca10-filing-010110462922.pdf")], project="dupes")
    assert [(f.outcome, f.document_id) for f in again.files] == [("duplicate", original)]
    elsewhere = submit_files(settings, [sample("ca10-filing-010110462922.pdf")], project="other-matter")
    assert elsewhere.files[0].outcome == "queued"  # the same file in another matter is its own document

    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(settings, instance)
        from docassets.storage.registry import mark_runs_requested, pending_runs

        owed = {record.document_id: record for record in pending_runs(pipeline.tables, 100)}
        assert original in owed and owed[original].priority == "low"
        mark_runs_requested(pipeline.tables, [(r.document_id, r.owed_at.isoformat()) for r in owed.values()])
        assert pending_runs(pipeline.tables, 100) == []
        forced = submit_files(
            settings, [sample("ca10-filing-010110462922.pdf")], project="dupes", force=True, priority="high"
        )
        assert [(f.outcome, f.document_id) for f in forced.files] == [("reprocessing", original)]
        owed_again = pending_runs(pipeline.tables, 100)
        assert [(r.document_id, r.priority) for r in owed_again] == [(original, "high")]


def test_status_follows_a_batch_through_completion_and_failure(embedded_settings, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    batch = submit_files(
        embedded_settings, [sample("ca10-filing-010110462922.pdf"), broken], project="status"
    )
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        queued = read_progress(pipeline.tables, batch_id=batch.batch_id)
        assert [d.state for d in queued.documents] == ["queued", "queued"]
        for item in batch.files:
            instance.add_dynamic_partitions("documents", [item.document_id])
            pipeline.run_document(item.document_id)
        progress = read_progress(pipeline.tables, batch_id=batch.batch_id)
    states = {d.file_name: d for d in progress.documents}
    assert states["ca10-filing-010110462922.pdf"].state == "completed"
    assert states["ca10-filing-010110462922.pdf"].last_stage == "document_summary"
    assert states["broken.pdf"].state == "failed"
    assert states["broken.pdf"].failed_stage == "source_documents"
    assert (states["broken.pdf"].error or "").startswith("broken.pdf:")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCASSETS_")}
    env.update(
        DOCASSETS_HOME=str(tmp_path / "home"),
        DAGSTER_HOME=str(tmp_path / "dagster"),
        DOCASSETS_OCR_WORKERS="1",
        PATH=f"{BIN}:{env['PATH']}",
    )
    return env


def wait_until_healthy(env: dict[str, str], daemon: subprocess.Popen, timeout: float = 300) -> None:
    """Until `docassets doctor` passes; otherwise fail with what it said and what the daemon printed."""
    doctor = _wait_for(lambda: (r := _docassets(env, "doctor")).returncode == 0 and r, timeout=timeout)
    if doctor:
        return
    said = _docassets(env, "doctor").stdout
    exited = "" if daemon.poll() is None else f"the daemon exited with {daemon.returncode}\n"
    printed = daemon_log(env).read_text(errors="replace")[-4000:]
    raise AssertionError(f"doctor never passed in {timeout} s:\n{said}{exited}daemon log:\n{printed}")


def _docassets(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "docassets"), *arguments], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _wait_for(condition, timeout: float, every: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return condition()


@pytest.mark.slow
def test_a_submitted_batch_is_processed_by_the_daemon(tmp_path):
    env = _env(tmp_path)
    subprocess.run([str(ROOT / "scripts" / "dagster-home.sh")], env=env, check=True)
    encrypted = tmp_path / "sealed-exhibit.pdf"
    with pymupdf.open(sample("ca10-filing-010110462922.pdf")) as original:
        original.save(
            encrypted,
            encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]  # set at import time
            user_pw="sealed",
            owner_pw="court",
        )
    # The encrypted file first: it shares a run with the complaint, fails it, and the complaint is
    # queued again in a run of its own.
    documents = [encrypted, sample("dcolo-complaint-first-page.pdf"), sample("ca10-filing-010110462922.pdf")]

    refused = _docassets(env, "submit", "--project", "live", *map(str, documents))
    assert refused.returncode != 0
    assert "no dagster-daemon heartbeat" in refused.stderr and "start it with" in refused.stderr

    daemon = start_daemon(env)
    try:
        wait_until_healthy(env, daemon)
        submitted = _docassets(env, "submit", "--project", "live", "--priority", "high", *map(str, documents))
        assert submitted.returncode == 0, submitted.stderr
        batch = submitted.stdout.split("docassets status --batch ")[1].split()[0]

        finished = _wait_for(
            lambda: (
                "2/3 completed, 1 failed" in (s := _docassets(env, "status", "--batch", batch)).stdout and s
            ),
            timeout=400,
        )
        assert finished, _docassets(env, "status", "--batch", batch).stdout
        assert finished.stdout.count("[#####] completed") == 2
        assert "failed in source_documents: sealed-exhibit.pdf: " in finished.stdout
        assert "password" in finished.stdout

        duplicate = _docassets(env, "submit", "--project", "live", str(documents[1]))
        assert "duplicate" in duplicate.stdout and "1 duplicates skipped" in duplicate.stdout

        exported = _wait_for(
            lambda: (
                _docassets(env, "export", "--project", "live", "--out", str(tmp_path / "export")).returncode
                == 0
            ),
            timeout=240,
            every=10,
        )
        assert exported, "the project assets were never brought up to date by automation"
        assert (tmp_path / "export" / "entity_graph.graphml").stat().st_size > 0
        assert (tmp_path / "export" / "resolved_entities.csv").read_text().count("\n") > 5

        # A backfill of the completed documents, as the UI's "Materialize" over partitions launches it.
        tables = TableStore(Settings.from_env(env).database_url)
        completed = tables.read_frame("document_summary", {"project": "live"})
        before = dict(zip(completed.document_id, completed.completed_at, strict=True))
        webserver = Webserver(env)
        try:
            backfill_id = _launch_backfill(webserver, sorted(before))
            done = _wait_for(
                lambda: _backfill_status(webserver, backfill_id) == "COMPLETED_SUCCESS", timeout=300, every=5
            )
            launched = _backfill_runs(env, backfill_id)
            assert done, f"{_backfill_status(webserver, backfill_id)}; runs: {launched}"
        finally:
            webserver.stop()
        again = tables.read_frame("document_summary", {"project": "live"})
        assert all(row.completed_at > before[row.document_id] for row in again.itertuples())
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        assert len(runs) == 1  # both documents in one run, as the sensor would batch them
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(timeout=60)
        shutil.rmtree(tmp_path / "dagster", ignore_errors=True)


class Webserver:
    """`dagster-webserver` over the test's Dagster home: the UI's own GraphQL API."""

    def __init__(self, env: dict[str, str]):
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.process = subprocess.Popen(
            [
                str(BIN / "dagster-webserver"),
                "-w",
                str(ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def query(self, text: str, **variables) -> dict:
        response = requests.post(self.url, json={"query": text, "variables": variables}, timeout=60)
        response.raise_for_status()
        return response.json()["data"]

    def stop(self) -> None:
        os.killpg(self.process.pid, 15)
        self.process.wait(timeout=60)


LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
BACKFILL_STATUS = """
query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"""


def _launch_backfill(webserver: Webserver, document_ids: list[str]) -> str:
    """What the UI does for "Materialize" over selected partitions of the per-document assets."""
    params = {
        "assetSelection": [{"path": key.path} for key in DOCUMENT_STAGES.resolve(ASSETS)],
        "partitionNames": document_ids,
        "fromFailure": False,
    }
    launched = _wait_for(lambda: _try_query(webserver, LAUNCH_BACKFILL, params=params), timeout=120)
    assert launched["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess", launched
    return launched["launchPartitionBackfill"]["backfillId"]


def _try_query(webserver: Webserver, text: str, **variables) -> dict | None:
    """None until the webserver answers (it is still loading the code location)."""
    try:
        return webserver.query(text, **variables)
    except requests.RequestException:
        return None


def _backfill_runs(env: dict[str, str], backfill_id: str) -> list[tuple[str, str]]:
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
    return [(run.run_id[:8], run.status.value) for run in runs]


def _backfill_status(webserver: Webserver, backfill_id: str) -> str:
    return webserver.query(BACKFILL_STATUS, id=backfill_id)["partitionBackfillOrError"]["status"]


@pytest.mark.parametrize("selection", [["--document", "missing"], []])
def test_reprocess_needs_a_selection_that_exists(tmp_path, selection):
    result = _docassets(_env(tmp_path), "reprocess", *selection)
    if selection:
        assert result.returncode == 0 and "0 documents queued" in result.stdout
    else:
        assert result.returncode != 0 and "--project or --document" in result.stderr


def test_a_blob_store_outage_is_retried_and_an_unreadable_file_is_not(
    production_settings, s3_server, tmp_path
):
    """The S3 endpoint goes away as a run starts and comes back: the run still completes.
    An encrypted file fails once, without retries, with its cause."""
    encrypted = tmp_path / "sealed.pdf"
    with pymupdf.open(sample("ca10-filing-010110462922.pdf")) as original:
        original.save(
            encrypted,
            encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]  # set at import time
            user_pw="sealed",
            owner_pw="court",
        )
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(production_settings, instance)
        good = pipeline.add_document(sample("ca10-filing-010110462922.pdf"), project="outage")
        sealed = pipeline.add_document(encrypted, project="outage")
        job = pipeline.definitions.resolve_job_def("process_document")

        s3_server.stop()
        comeback = threading.Timer(8, s3_server.start)
        comeback.start()
        started = time.monotonic()
        recovered = job.execute_in_process(instance=instance, partition_key=good, raise_on_error=False)
        waited = time.monotonic() - started
        comeback.join()
        refused = job.execute_in_process(instance=instance, partition_key=sealed, raise_on_error=False)

    assert recovered.success and waited >= 8  # it rode out the outage rather than running after it
    assert pipeline.tables.read_frame("document_summary", {"document_id": good}).status.tolist() == [
        "completed"
    ]
    assert not refused.success
    assert not [e for e in refused.all_events if e.event_type_value == "STEP_RESTARTED"]
    failure = pipeline.tables.read_frame("document_failures", {"document_id": sealed}).iloc[0]
    assert failure.error.startswith("sealed.pdf:") and "password" in failure.error

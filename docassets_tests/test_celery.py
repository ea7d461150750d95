"""Steps on real Celery workers (subprocesses, Redis as broker and results backend), routed by
stage to the `ocr`, `nlp` and `dagster` queues, on a real Dagster instance, with the production
storage (PostgreSQL and S3 over HTTP): documents processed end to end, a queue nobody consumes
named by `doctor` and `status`, a worker killed mid-step."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psutil
import pytest
import redis

from docassets.defs.batching import partition_tags
from docassets.defs.resources import DatabaseResource
from docassets.defs.sensors import record_failed_documents
from docassets.distributed import (
    QUEUES,
    STAGE_ROUTES,
    WORKER_APP,
    queue_states,
    steps_in_queues,
    worker_command,
)
from docassets.local_run import LocalPipeline
from docassets.progress import read_progress
from docassets.settings import Settings

from .conftest import sample

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
REDIS = "redis://127.0.0.1:6379"
LOCK = "docassets-test-lock"


@pytest.fixture
def celery_settings(production_settings, tmp_path, monkeypatch) -> Iterator[Settings]:
    """The production storage plus a Celery broker: a Redis database of the test's own, so tests
    running at once never share a queue."""
    database = _claim_redis_database()
    monkeypatch.setenv("DOCASSETS_CELERY_BROKER_URL", f"{REDIS}/{database}")
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    try:
        yield Settings.from_env()
    finally:
        redis.Redis.from_url(f"{REDIS}/{database}").flushdb()


def _claim_redis_database() -> int:
    for database in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS}/{database}")
        if client.dbsize() == 0 and client.set(LOCK, "1", nx=True):
            return database
    raise RuntimeError("no empty Redis database left for the test")


class Worker:
    """A Celery worker process, stopped (with its pool) however the test ends."""

    def __init__(self, command: list[str], log: Path):
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def pool(self) -> list[psutil.Process]:
        """The pool processes that execute the steps."""
        return [
            p
            for p in psutil.Process(self.process.pid).children(recursive=True)
            if "celery" in " ".join(p.cmdline())
        ]

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


def _consumed(settings: Settings, worker_name: str, timeout: float = 60) -> dict[str, bool]:
    """Wait until the worker answers; then which queues it consumes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = queue_states(settings, timeout=1.0)
        mine = {s.name: any(c.startswith(f"{worker_name}@") for c in s.consumers) for s in states}
        if any(mine.values()):
            return mine
    raise AssertionError(f"worker {worker_name} never answered")


def _start_run(instance: dg.DagsterInstance, document_ids: list[str]) -> tuple[threading.Thread, dict]:
    """A run of the per-document job with the Celery executor, its orchestration in a thread here
    (as the run's process would do it), its steps on the workers."""
    from docassets.definitions import document_job

    outcome: dict = {}

    def run() -> None:
        result = dg.execute_job(
            dg.reconstructable(document_job),
            instance=instance,
            tags=partition_tags(document_ids),
            raise_on_error=False,
        )
        outcome["run_id"], outcome["success"] = result.run_id, result.success

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _docassets(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "docassets"), *arguments], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _worker_hosts(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Each step of the run and the Celery worker that executed it (dagster-celery's engine event)."""
    hosts = {}
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        metadata = record.dagster_event.engine_event_data.metadata if record.dagster_event else {}
        if "Celery worker" in metadata and record.step_key:
            hosts[record.step_key] = str(metadata["Celery worker"].value)
    return hosts


def test_documents_go_through_celery_workers_consuming_every_queue(celery_settings, tmp_path):
    name = f"all-{uuid.uuid4().hex[:6]}"
    worker = Worker(worker_command(QUEUES, concurrency=2, name=name), tmp_path / "worker.log")
    try:
        # Celery's inspect active_queues, answered by the running worker: every queue is consumed.
        assert _consumed(celery_settings, name) == {"ocr": True, "nlp": True, "dagster": True}
        with dg.DagsterInstance.get() as instance:
            pipeline = LocalPipeline(celery_settings, instance)
            files = [sample("ca10-filing-010110462922.pdf"), sample("dcolo-complaint-first-page.pdf")]
            ids = [pipeline.add_document(path, project="celery") for path in files]
            thread, outcome = _start_run(instance, ids)
            thread.join(timeout=150)
            assert outcome.get("success"), worker.log.read_text()[-3000:]
            hosts = _worker_hosts(instance, outcome["run_id"])
    finally:
        worker.stop()

    assert set(hosts) == set(STAGE_ROUTES)  # every per-document stage, each routed to a queue
    assert {host.split("@")[0] for host in hosts.values()} == {name}
    tables = pipeline.tables
    for document_id in ids:
        summary = tables.read_frame("document_summary", {"document_id": document_id})
        assert summary.status.tolist() == ["completed"]
        assert len(tables.read_frame("chunks", {"document_id": document_id})) >= 1
        assert len(tables.read_frame("entity_mentions", {"document_id": document_id})) >= 5
    states = read_progress(tables, project="celery").documents
    assert [d.state for d in states] == ["completed", "completed"]


def test_a_queue_without_a_worker_is_named_by_doctor_and_status(celery_settings, tmp_path):
    """dagster-celery's own `worker start -q ocr -q nlp -q dagster` starts a worker that consumes
    `dagster` only (Celery 5 keeps the last -Q): the OCR step waits, and both commands say where."""
    trap = f"trap-{uuid.uuid4().hex[:6]}"
    repeated = [str(BIN / "dagster-celery"), "worker", "start", "-A", WORKER_APP, "-n", trap]
    repeated += ["-q", "ocr", "-q", "nlp", "-q", "dagster"]
    workers = [Worker(repeated, tmp_path / "trap.log")]
    try:
        assert _consumed(celery_settings, trap) == {"ocr": False, "nlp": False, "dagster": True}
        with dg.DagsterInstance.get() as instance:
            pipeline = LocalPipeline(celery_settings, instance)
            document_id = pipeline.add_document(sample("ca10-filing-010110462922.pdf"), project="stuck")
            thread, outcome = _start_run(instance, [document_id])
            deadline = time.monotonic() + 90
            while not any(s.step == "ocr_text" for s in steps_in_queues(instance)):
                assert time.monotonic() < deadline, workers[0].log.read_text()[-3000:]
                time.sleep(1)

            doctor = _docassets("doctor")
            status = _docassets("status", "--project", "stuck")

            # A worker started with one comma-separated list takes the waiting steps.
            rescue = f"rescue-{uuid.uuid4().hex[:6]}"
            workers.append(Worker(worker_command(("ocr", "nlp"), name=rescue), tmp_path / "rescue.log"))
            thread.join(timeout=150)
            assert outcome.get("success"), workers[1].log.read_text()[-3000:]
            hosts = _worker_hosts(instance, outcome["run_id"])
    finally:
        for worker in workers:
            worker.stop()

    assert doctor.returncode == 1
    queues = next(line for line in doctor.stdout.splitlines() if line.startswith("FAIL  queues"))
    assert "no Celery worker consumes queue ocr, nlp (1 steps waiting there)" in queues
    assert "docassets worker --queues ocr,nlp" in queues
    assert "running" in status.stdout
    assert "waiting for a worker on queue ocr: no Celery worker consumes it" in status.stdout
    assert f"run {outcome['run_id']}: step ocr_text is waiting in queue ocr" in status.stdout
    assert hosts["source_documents"].startswith(f"{trap}@") and hosts["ocr_text"].startswith(f"{rescue}@")


def test_a_worker_killed_mid_step_fails_the_run_with_the_cause(celery_settings, tmp_path):
    """The pool process running the OCR step is killed by signal 9, as the out-of-memory killer
    would: the run fails within seconds instead of waiting forever, and the document says why."""
    name = f"doomed-{uuid.uuid4().hex[:6]}"
    worker = Worker(worker_command(QUEUES, concurrency=1, name=name), tmp_path / "worker.log")
    try:
        assert all(_consumed(celery_settings, name).values())
        with dg.DagsterInstance.get() as instance:
            pipeline = LocalPipeline(celery_settings, instance)
            document_id = pipeline.add_document(sample("tn-workers-comp-order-scan.pdf"), project="killed")
            thread, outcome = _start_run(instance, [document_id])
            deadline = time.monotonic() + 90
            while "ocr_text" not in _worker_hosts(instance, outcome.get("run_id") or _only_run(instance)):
                assert time.monotonic() < deadline, worker.log.read_text()[-3000:]
                time.sleep(0.5)
            killed_at = time.monotonic()
            for process in worker.pool():
                process.send_signal(signal.SIGKILL)
            thread.join(timeout=60)
            ended_after = time.monotonic() - killed_at
            run = instance.get_run_by_id(outcome["run_id"])
            assert run is not None
            failure = next(
                r.dagster_event
                for r in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
                if r.dagster_event
            )
            context = dg.build_run_status_sensor_context(
                sensor_name="record_failed_documents",
                dagster_instance=instance,
                dagster_run=run,
                dagster_event=failure,
                resources={"database": DatabaseResource(url=celery_settings.database_url)},
            ).for_run_failure()
            record_failed_documents(context)
    finally:
        worker.stop()

    assert run.status == dg.DagsterRunStatus.FAILURE and not outcome["success"]
    assert ended_after < 60
    document = read_progress(pipeline.tables, document_id=document_id).documents[0]
    assert document.state == "failed" and document.failed_stage == "ocr_text"
    assert "signal 9 (SIGKILL)" in (document.error or "")


def _only_run(instance: dg.DagsterInstance) -> str:
    runs = instance.get_runs()
    return runs[0].run_id if runs else ""

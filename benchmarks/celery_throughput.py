"""Throughput on Celery workers: the same batch with 1 and with 2 local workers.

Each worker is one `docassets worker --queues ocr,nlp,dagster --concurrency 1` process (a machine
with one slot), DOCASSETS_OCR_WORKERS=1 (one Tesseract process a step), so N workers stand for N
one-core machines. The batch: real samples, text-layer filings and opinions and two scans (OCR),
one run per document (as the sensor spreads a small batch), all runs started at once, each in a
process of its own that orchestrates it (as the daemon's run launcher starts them; their start-up,
about 5 s of CPU each, is in the wall time), its steps on the workers. Storage as in
production: tables in a fresh PostgreSQL database, blobs in a local folder the workers share; the
Dagster instance in SQLite files the processes share (one machine); Redis (a database of its own)
as broker and results backend.

Reported per configuration: wall time from the first run's start to the last run's end,
documents and pages per hour, and from Dagster's step statistics each stage's busy time summed
over steps (the stage with the largest share limits the batch), plus the load average, because on a
shared machine other processes take cores the workers would use.

    nice -n 10 .venv/bin/python benchmarks/celery_throughput.py            # the 7 documents once
    nice -n 10 .venv/bin/python benchmarks/celery_throughput.py --copies 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pymupdf
import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
BIN = ROOT / ".venv" / "bin"
BATCH = [
    "ca5-filing-00516242060.pdf",
    "mo-court-of-appeals-opinion.pdf",
    "notice-of-docket-activity.pdf",
    "tn-appeals-board-diaz-opinion.pdf",
    "judicial-disclosure-lucero.pdf",
    "judicial-disclosure-2014-scan.pdf",  # 6 scanned pages
    "tn-workers-comp-order-scan.pdf",  # 1 scanned page
]
POSTGRES = os.environ.get("DOCASSETS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_DATABASE = 13


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--copies", type=int, default=1, help="how many times the 7 documents are in the batch"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--documents", type=int, default=len(BATCH), help="only the first N of the 7")
    args = parser.parse_args()
    files = [SAMPLES / name for name in BATCH[: args.documents]] * args.copies
    pages = sum(pymupdf.open(path).page_count for path in files)
    print(f"batch: {len(files)} documents, {pages} pages; {os.cpu_count()} cores")
    results = {}
    for count in args.workers:
        results[count] = measure(files, count)
        wall, stages, load = results[count]
        print(
            f"\n{count} worker(s): {wall:.1f} s, {len(files) * 3600 / wall:.0f} documents/h, "
            f"{pages * 3600 / wall:.0f} pages/h; load average before/after {load[0]:.1f}/{load[1]:.1f}"
        )
        total = sum(stages.values())
        for stage, seconds in sorted(stages.items(), key=lambda item: -item[1]):
            print(f"    {stage:<18} {seconds:7.1f} s busy  {100 * seconds / total:5.1f}%")
    if 1 in results and 2 in results:
        print(f"\n2 workers / 1 worker, pages per hour: {results[1][0] / results[2][0]:.2f}x (goal 1.8x)")


def measure(files: list[Path], workers: int) -> tuple[float, dict[str, float], tuple[float, float]]:
    """One batch through `workers` fresh workers; (wall seconds, busy seconds per stage, load)."""
    import dagster as dg

    scratch = Path(tempfile.mkdtemp(prefix="celery-bench-"))
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    databases = [f"docassets_celerybench_{uuid.uuid4().hex[:8]}"]
    with admin.connect() as connection:
        for name in databases:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES)
    environment = {
        "DOCASSETS_HOME": str(scratch / "home"),
        "DOCASSETS_DATABASE_URL": url.set(database=databases[0]).render_as_string(hide_password=False),
        "DOCASSETS_CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_DATABASE}",
        "DOCASSETS_OCR_WORKERS": "1",
        "DAGSTER_HOME": str(scratch / "dagster"),
    }
    os.environ.update(environment)
    subprocess.run([str(ROOT / "scripts" / "dagster-home.sh")], check=True, env={**os.environ, **environment})
    redis.Redis.from_url(environment["DOCASSETS_CELERY_BROKER_URL"]).flushdb()

    from docassets.distributed import QUEUES, queue_states, worker_command
    from docassets.local_run import LocalPipeline
    from docassets.settings import Settings

    settings = Settings.from_env()
    processes = [
        subprocess.Popen(
            worker_command(QUEUES, concurrency=1, name=f"bench{index}"),
            cwd=ROOT,
            env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for index in range(workers)
    ]
    try:
        while sum(len(state.consumers) for state in queue_states(settings)) < (workers * len(QUEUES)):
            time.sleep(1)
        with dg.DagsterInstance.get() as instance:
            pipeline = LocalPipeline(settings, instance)
            ids = [pipeline.add_document(path, project="bench") for path in files]
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            run_ids = run_all(ids)
            wall = time.monotonic() - started
            load_after = os.getloadavg()[0]
            stages: dict[str, float] = defaultdict(float)
            for run_id in run_ids:
                for step in instance.get_run_step_stats(run_id):
                    if step.end_time and step.start_time:
                        stages[step.step_key] += step.end_time - step.start_time
            runs = [instance.get_run_by_id(run_id) for run_id in run_ids]
            failed = [run for run in runs if run is None or run.status != dg.DagsterRunStatus.SUCCESS]
            if failed:
                raise SystemExit(
                    f"{len(failed)} of {len(runs)} runs failed: {failure_text(instance, failed[0])}"
                )
        return wall, dict(stages), (load_before, load_after)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        redis.Redis.from_url(environment["DOCASSETS_CELERY_BROKER_URL"]).flushdb()
        with admin.connect() as connection:
            for name in databases:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(scratch, ignore_errors=True)


def failure_text(instance, run) -> str:
    """What failed a run: its failed steps' and the run's own errors."""
    if run is None:
        return "the run was never stored"
    texts = []
    for record in instance.all_logs(run.run_id):
        event = record.dagster_event
        if event is not None and event.is_failure:
            error = event.step_failure_data.error if event.is_step_failure else event.job_failure_data.error
            texts.append(f"{record.step_key or 'run'}: {error.message.strip() if error else record.message}")
    return "; ".join(texts)


# A run's process, as the daemon's run launcher starts one: it orchestrates the run, its steps go
# to the workers. (Threads of one process deadlock in logging under SQLAlchemy's pool.)
RUN = """
import sys
import dagster as dg
from docassets.defs.batching import partition_tags
from docassets.definitions import document_job
with dg.DagsterInstance.get() as instance:
    job, tags = dg.reconstructable(document_job), partition_tags([sys.argv[1]])
    result = dg.execute_job(job, instance=instance, tags=tags, raise_on_error=False)
print(result.run_id)
"""


def run_all(document_ids: list[str]) -> list[str]:
    """One run per document, all started at once, each in a process of its own."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RUN, document_id],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for document_id in document_ids
    ]
    return [process.communicate()[0].strip().splitlines()[-1] for process in processes]


if __name__ == "__main__":
    main()

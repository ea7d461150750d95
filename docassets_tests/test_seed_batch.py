"""The batch the old system lost, scaled down, through the real daemon in the production
configuration: S3 over HTTP (moto's server), PostgreSQL tables, the Dagster instance in PostgreSQL.

Small filings, a text production and a scanned production whose Bates numbers exist only in the
pixels, a few of them smudged or cut off. Everything must complete, the filings must not wait for
the production's OCR, and the unreadable stamps must show up as gaps, not as a crash.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime

import boto3
import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from docassets.storage.tables import TableStore

from .conftest import _fresh_database, new_bucket, sample
from .daemon import BIN, ROOT, start_daemon
from .productions import scanned_production, text_production
from .test_operations import _docassets, _env, _wait_for, wait_until_healthy

SCANNED_PAGES = 44
DAMAGED = {7: "smudge", 23: "cut", 38: "smudge"}
FILINGS = [
    "dcolo-complaint-first-page.pdf",
    "ca10-filing-010110462922.pdf",
    "tn-appeals-board-diaz-opinion.pdf",
    "judicial-disclosure-lucero.pdf",
]


@pytest.fixture
def production_env(tmp_path, postgres_admin, own_postgres_url, s3_endpoint, aws_environment, monkeypatch):
    """The environment a deployment sets: bucket, endpoint, credentials, both databases (the test
    process too opens the Dagster instance, whose dagster.yaml reads the instance's URL)."""
    dagster_database = _fresh_database(postgres_admin)
    dagster_url = sa.make_url(next(dagster_database)).set(drivername="postgresql+psycopg2")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCASSETS_", "AWS_"))}
    env.update(
        DOCASSETS_HOME=str(tmp_path / "home"),
        DAGSTER_HOME=str(tmp_path / "dagster"),
        DOCASSETS_S3_BUCKET=new_bucket(s3_endpoint),
        DOCASSETS_S3_PREFIX="matters",
        DOCASSETS_DATABASE_URL=own_postgres_url,
        DOCASSETS_DAGSTER_PG_URL=dagster_url.render_as_string(hide_password=False),
        AWS_ENDPOINT_URL=s3_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        DOCASSETS_OCR_WORKERS="1",
        PATH=f"{BIN}:{os.environ['PATH']}",
    )
    monkeypatch.setenv("DOCASSETS_DAGSTER_PG_URL", env["DOCASSETS_DAGSTER_PG_URL"])
    yield env
    next(dagster_database, None)  # drop it


def _status(env: dict[str, str], batch: str) -> str:
    return _docassets(env, "status", "--batch", batch).stdout


def _blob(env: dict[str, str], key: str) -> bytes:
    s3 = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return s3.get_object(Bucket=env["DOCASSETS_S3_BUCKET"], Key=f"matters/{key}")["Body"].read()


def test_the_seed_batch_completes_with_its_scanned_production(production_env, tmp_path):
    env = production_env
    batch_files = [sample(name) for name in FILINGS]
    text = tmp_path / "WOMBAT 000001-000024.pdf"
    text_production(text, 24)
    scanned = tmp_path / f"WOMBAT 000454-{454 + SCANNED_PAGES - 1:06d}.pdf"
    expected_bates = scanned_production(scanned, SCANNED_PAGES, damaged=DAMAGED)
    batch_files += [text, scanned]

    subprocess.run([str(ROOT / "scripts" / "dagster-home.sh")], env=env, check=True)
    daemon = start_daemon(env)
    try:
        wait_until_healthy(env, daemon)
        submitted = _docassets(env, "submit", "--project", "wombat", *map(str, batch_files))
        assert submitted.returncode == 0, submitted.stderr
        batch = submitted.stdout.split("docassets status --batch ")[1].split()[0]

        # While the production is read, status reports its pages and a time left measured in its run.
        page_progress = _wait_for(
            lambda: re.search(r"OCR (\d+)/44 pages, about .+ left", s := _status(env, batch)) and s,
            timeout=600,
        )
        assert page_progress, _status(env, batch)
        done = _wait_for(lambda: "6/6 completed" in (s := _status(env, batch)) and s, timeout=900, every=5)
        assert done, _status(env, batch)

        tables = TableStore(env["DOCASSETS_DATABASE_URL"])
        summaries = tables.read_frame("document_summary", {"project": "wombat"}).set_index("file_name")
        sources = tables.read_frame("source_documents", {"project": "wombat"}).set_index("file_name")
        assert (summaries.pages == sources.page_count.loc[summaries.index]).all()  # every page accounted for
        production = summaries.loc[scanned.name]
        assert production.ocr_pages == SCANNED_PAGES

        pages = pd.read_parquet(io.BytesIO(_blob(env, f"ocr_text/{production.document_id}.parquet")))
        read = [b if isinstance(b, str) else None for b in pages.sort_values("page_number").bates]
        readable = [(number, b) for number, b in enumerate(expected_bates, 1) if b]
        assert [(number, read[number - 1]) for number, _ in readable] == readable
        assert all(read[number - 1] is None for number in DAMAGED)

        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            production_run = instance.get_runs(dg.RunsFilter(tags={"docassets/lane": "large"}))[0]
            evaluations: list[dg.AssetCheckEvaluation] = []
            for entry in instance.all_logs(
                production_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            ):
                assert entry.dagster_event is not None
                evaluation = entry.dagster_event.event_specific_data
                assert isinstance(evaluation, dg.AssetCheckEvaluation), evaluation
                evaluations.append(evaluation)
            resolutions = instance.fetch_materializations(dg.AssetKey("resolved_entities"), limit=100).records
        gaps = next(e for e in evaluations if e.check_name == "bates_consecutive")
        assert not gaps.passed
        failures = gaps.metadata["failures"].value
        assert isinstance(failures, str), failures
        for page in DAMAGED:  # each unreadable stamp shows up as the gap around it
            assert f"{expected_bates[page - 2]} -> {expected_bates[page]}" in failures
        assert all(e.passed for e in evaluations if e.check_name != "bates_consecutive")

        # The filings did not wait for the production, and reached the project's entities before it ended.
        finished = (
            production.completed_at.replace(tzinfo=UTC)
            if production.completed_at.tzinfo is None
            else production.completed_at
        )
        filings = summaries.loc[FILINGS]
        assert (filings.completed_at < production.completed_at).all()
        assert any(datetime.fromtimestamp(r.timestamp, UTC) < finished for r in resolutions), (
            "the project's entities waited for the production"
        )
        linked = tables.read_frame("entity_links", {"project": "wombat"})
        assert set(filings.document_id) <= set(linked.document_id)
        assert tables.read_frame("document_failures", {}).empty
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(timeout=60)
        shutil.rmtree(tmp_path / "dagster", ignore_errors=True)


def test_a_run_killed_mid_ocr_is_retried_once_and_its_real_cause_shown(tmp_path):
    """SIGKILL (what the kernel's OOM killer sends) to the run process while it reads a scan."""
    env = _env(tmp_path)
    scanned = tmp_path / "WOMBAT 000900-000911.pdf"
    scanned_production(scanned, 12, first=900)
    subprocess.run([str(ROOT / "scripts" / "dagster-home.sh")], env=env, check=True)
    daemon = start_daemon(env)
    try:
        wait_until_healthy(env, daemon)
        submitted = _docassets(env, "submit", "--project", "killed", str(scanned))
        assert submitted.returncode == 0, submitted.stderr
        batch = submitted.stdout.split("docassets status --batch ")[1].split()[0]
        assert _wait_for(lambda: "OCR " in _status(env, batch), timeout=300, every=2), _status(env, batch)

        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            run = instance.get_runs()[0]
            captured = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.LOGS_CAPTURED)
        found = re.search(r"pid: (\d+)", captured[0].message)
        assert found is not None, captured[0].message
        pid = int(found.group(1))
        os.kill(pid, 9)

        retrying = _wait_for(lambda: "retrying" in (s := _status(env, batch)) and s, timeout=240, every=2)
        assert retrying and "terminated by signal 9" in retrying, _status(env, batch)
        assert _wait_for(lambda: "1/1 completed" in _status(env, batch), timeout=600, every=5), _status(
            env, batch
        )
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            runs = instance.get_runs(dg.RunsFilter(job_name="process_document"))
        assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
        assert runs[0].tags["dagster/parent_run_id"] == run.run_id
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(timeout=60)
        shutil.rmtree(tmp_path / "dagster", ignore_errors=True)

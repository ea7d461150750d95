"""Reliability as a user and an operator meet it: `process` never doubles a document, a project name
cannot reach another project, files are private, a failed run leaves nothing behind, and operational
errors are one clear line (issue 16)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import dagster as dg
import pymupdf
import pytest

from docassets import api
from docassets.defs.sensors import upload_sensor
from docassets.local_run import LocalPipeline, process_files
from docassets.preflight import check_dagster_daemon, run_checks
from docassets.progress import read_progress
from docassets.projects import InvalidProjectName
from docassets.settings import ConfigurationError, Settings, masked_url
from docassets.storage.blobs import LocalBlobStore
from docassets.storage.tables import TableStore
from docassets.submission import submit_files

from .conftest import sample
from .daemon import start_daemon

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCASSETS_", "DAGSTER_HOME"))}
    env.update(
        DOCASSETS_HOME=str(tmp_path / "home"),
        DAGSTER_HOME=str(tmp_path / "dagster"),
        DOCASSETS_OCR_WORKERS="1",
        PATH=f"{BIN}:{env['PATH']}",
        **extra,
    )
    return env


def _docassets(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "docassets"), *arguments], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def _counts(tables: TableStore, project: str) -> dict[str, int]:
    documents = tables.read_frame("source_documents", {"project": project})
    ids = list(documents.document_id)
    return {
        "documents": len(documents),
        "mentions": len(tables.read_frame("entity_mentions", {"document_id": ids})),
        "relationships": len(tables.read_frame("relationships", {"document_id": ids})),
        "max_document_count": int(
            tables.read_frame("resolved_entities", {"project": project}).document_count.max()
        ),
    }


def test_processing_a_folder_three_times_keeps_one_document_per_file(embedded_settings, tmp_path):
    folder = tmp_path / "production"
    (folder / "exhibits").mkdir(parents=True)
    shutil.copy(sample("dcolo-complaint-first-page.pdf"), folder / "complaint.pdf")
    shutil.copy(sample("ca10-filing-010110462922.pdf"), folder / "exhibits" / "order.PDF")
    (folder / "exhibits" / "index.txt").write_text("not a PDF")
    with dg.instance_for_test() as instance:
        first = process_files([folder], project="thrice", settings=embedded_settings, instance=instance)
        assert [(d.file_name, d.status) for d in first.documents] == [
            ("complaint.pdf", "completed"),
            ("order.PDF", "completed"),
        ]
        assert [p.name for p in first.skipped] == ["index.txt"]
        tables = TableStore(embedded_settings.database_url)
        once = _counts(tables, "thrice")
        assert once["documents"] == 2 and once["max_document_count"] <= 2

        for _ in range(2):
            again = process_files([folder], project="thrice", settings=embedded_settings, instance=instance)
            assert [d.status for d in again.documents] == ["duplicate", "duplicate"]
            assert [d.document_id for d in again.documents] == [d.document_id for d in first.documents]
            assert _counts(tables, "thrice") == once

        completed_before = tables.read_frame("document_summary", {"project": "thrice"}).completed_at.max()
        forced = process_files(
            [folder], project="thrice", settings=embedded_settings, instance=instance, force=True
        )
        assert [(d.document_id, d.status) for d in forced.documents] == [
            (d.document_id, "completed") for d in first.documents
        ]
        assert _counts(tables, "thrice") == once  # rows replaced, not added
        summaries = tables.read_frame("document_summary", {"project": "thrice"})
        assert (summaries.completed_at > completed_before).all()


def test_process_json_prints_one_object_per_file(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(sample("dcolo-complaint-first-page.pdf"), folder / "complaint.pdf")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    env = _env(tmp_path)
    first = _docassets(env, "process", "--project", "json", "--json", str(folder))
    assert first.returncode == 1
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    assert [(line["file"], line["status"]) for line in lines] == [
        ("broken.pdf", "failed"),
        ("complaint.pdf", "completed"),
    ]
    assert lines[0]["error"].startswith("broken.pdf: ") and lines[1]["error"] is None
    assert "skipped (not a PDF): " in first.stderr and "notes.docx" in first.stderr
    assert "Traceback" not in first.stderr

    again = _docassets(env, "process", "--project", "json", "--json", str(folder / "complaint.pdf"))
    assert again.returncode == 0, again.stderr
    assert [json.loads(line)["status"] for line in again.stdout.splitlines()] == ["duplicate"]


HOSTILE_PROJECTS = ["../../../escape", "x'; DROP TABLE documents; --", "a/b", "..", "matter one", ""]


@pytest.mark.parametrize("project", HOSTILE_PROJECTS)
def test_a_hostile_project_name_is_refused_with_the_rule(embedded_settings, project):
    with pytest.raises(InvalidProjectName, match="is not allowed: use 1-64 letters"):
        api.process([sample("dcolo-complaint-first-page.pdf")], project=project, settings=embedded_settings)
    with pytest.raises(InvalidProjectName):
        submit_files(embedded_settings, [sample("dcolo-complaint-first-page.pdf")], project=project)
    assert not (embedded_settings.blob_root / "documents").exists()  # nothing stored under any name


def test_the_cli_refuses_a_hostile_project_and_other_projects_still_build(tmp_path):
    env = _env(tmp_path)
    for command in (["process"], ["submit"]):
        refused = _docassets(
            env, *command, "--project", "../../../escape", str(sample("dcolo-complaint-first-page.pdf"))
        )
        assert refused.returncode == 2 and "Invalid value for '--project'" in refused.stderr
        assert (
            "project name '../../../escape' is not allowed" in refused.stderr
            and "Traceback" not in refused.stderr
        )
    status = _docassets(env, "status", "--project", "x'; DROP TABLE documents; --")
    assert status.returncode == 2 and "is not allowed" in status.stderr
    processed = _docassets(
        env, "process", "--project", "wombat", str(sample("dcolo-complaint-first-page.pdf"))
    )
    assert processed.returncode == 0, processed.stderr
    assert not (tmp_path / "escape").exists() and not (tmp_path.parent / "escape").exists()


def test_an_inbox_folder_that_is_no_project_name_is_quarantined(embedded_settings):
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        pipeline.store.put_file(
            "inbox/x'; DROP TABLE documents; --/exhibit.pdf", sample("dcolo-complaint-first-page.pdf")
        )
        pipeline.store.put_file("inbox/acme/exhibit.pdf", sample("dcolo-complaint-first-page.pdf"))
        with dg.build_sensor_context(instance=instance, resources=pipeline.definitions.resources) as context:
            result = upload_sensor(context)
        assert isinstance(result, dg.SensorResult) and result.run_requests is not None, result
        assert len(result.run_requests) == 1
        registered = pipeline.tables.read_frame("documents")
        assert list(registered.project) == ["acme"]
        quarantined = pipeline.tables.read_frame("quarantine").set_index("blob_key").reason.to_dict()
        assert "is not allowed" in quarantined["inbox/x'; DROP TABLE documents; --/exhibit.pdf"]


def test_status_shows_a_forced_reprocess_and_finds_a_batch_of_duplicates(embedded_settings):
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        batch = submit_files(embedded_settings, [sample("dcolo-complaint-first-page.pdf")], project="again")
        document_id = batch.files[0].document_id
        instance.add_dynamic_partitions("documents", [document_id])
        assert pipeline.run_document(document_id)
        assert [d.state for d in read_progress(pipeline.tables, batch_id=batch.batch_id).documents] == [
            "completed"
        ]

        duplicates = submit_files(
            embedded_settings, [sample("dcolo-complaint-first-page.pdf")], project="again"
        )
        found = read_progress(pipeline.tables, batch_id=duplicates.batch_id).documents
        assert [(d.document_id, d.state) for d in found] == [(document_id, "completed")]

        forced = submit_files(
            embedded_settings, [sample("dcolo-complaint-first-page.pdf")], project="again", force=True
        )
        [reprocessing] = read_progress(pipeline.tables, batch_id=forced.batch_id).documents
        assert (reprocessing.state, reprocessing.last_stage, reprocessing.completed_at) == (
            "queued",
            None,
            None,
        )
        assert pipeline.run_document(document_id)
        assert [d.state for d in read_progress(pipeline.tables, batch_id=forced.batch_id).documents] == [
            "completed"
        ]


def test_status_with_the_database_down_is_one_line(tmp_path):
    down = _docassets(
        _env(tmp_path, DOCASSETS_DATABASE_URL="postgresql://docs:s3cr@t@127.0.0.1:1/docs"), "status"
    )
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert down.stderr.count("\n") == 1 and "raw '@'" in down.stderr and "s3cr" not in down.stderr
    down = _docassets(
        _env(tmp_path, DOCASSETS_DATABASE_URL="postgresql://docs:pw@127.0.0.1:1/docs"), "status"
    )
    assert down.returncode == 1 and "Traceback" not in down.stderr and down.stderr.count("\n") == 1
    assert down.stderr.startswith(
        "Error: DOCASSETS_DATABASE_URL=postgresql+psycopg://docs:***@127.0.0.1:1/docs"
    )


def test_doctor_reports_an_instance_database_that_refuses_in_one_line(tmp_path):
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    # A role the server does not know: it refuses the connection as it refuses a wrong password.
    (dagster_home / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_url: postgresql+psycopg2://nobody:s3cret@127.0.0.1:5432/nowhere\n"
    )
    doctor = _docassets(_env(tmp_path), "doctor")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stdout + doctor.stderr
    failing = [line for line in doctor.stdout.splitlines() if line.startswith("FAIL")]
    assert [line.split(":")[0] for line in failing] == [
        "FAIL  dagster instance",
        "FAIL  dagster daemon",
        "FAIL  sensors",
    ]
    assert 'role "nobody" does not exist' in failing[0]
    assert "s3cret" not in doctor.stdout + doctor.stderr and doctor.stderr == ""
    tesseract = next(line for line in doctor.stdout.splitlines() if line.startswith("ok    tesseract"))
    assert tesseract.endswith("languages: eng, osd")


def test_a_password_with_a_raw_at_sign_is_fully_masked():
    raw = "postgresql+psycopg://docs:p@ss@word@db.internal:5432/docs"
    assert masked_url(raw) == "postgresql+psycopg://docs:***@db.internal:5432/docs"
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"DOCASSETS_DATABASE_URL": raw})
    assert "ss@word" not in str(refused.value) and "%40" in str(refused.value)


def test_local_blobs_and_the_sqlite_file_are_private(embedded_settings):
    store = LocalBlobStore(embedded_settings.blob_root)
    store.put_file("documents/a.pdf", sample("dcolo-complaint-first-page.pdf"), metadata={"project": "p"})
    store.put_bytes("entity_graph/p/nodes.csv", b"id\n")
    tables = TableStore(embedded_settings.database_url)
    tables.ensure_schema()
    created = [
        embedded_settings.blob_root / "documents" / "a.pdf",
        embedded_settings.blob_root / "documents" / ".a.pdf.meta.json",
        embedded_settings.blob_root / "entity_graph" / "p" / "nodes.csv",
        embedded_settings.home / "docassets.db",
    ]
    assert {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in created} == {
        path.name: "0o600" for path in created
    }
    assert stat.S_IMODE((embedded_settings.blob_root / "documents").stat().st_mode) == 0o700


def test_a_failed_run_leaves_no_temporary_files(embedded_settings, tmp_path, monkeypatch):
    giant = tmp_path / "in" / "blueprint.pdf"
    giant.parent.mkdir()
    with pymupdf.open() as pdf:
        page = pdf.new_page(width=14_400, height=14_400)
        page.insert_image(page.rect, pixmap=pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 8, 8), False))
        pdf.save(giant)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with dg.instance_for_test() as instance:
        pipeline = LocalPipeline(embedded_settings, instance)
        # A good scanned document shares the run and is read first: its pages file was written.
        ids = [
            pipeline.add_document(sample("tn-workers-comp-order-scan.pdf"), project="tmp"),
            pipeline.add_document(giant, project="tmp"),
        ]
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        failed = pipeline.run_documents(ids)
    assert ids[1] in failed
    progress = {d.document_id: d for d in read_progress(pipeline.tables, project="tmp").documents}
    assert progress[ids[1]].failed_stage == "ocr_text" and "page 1 is 14,400 x 14,400 points" in (
        progress[ids[1]].error or ""
    )
    assert [path.name for path in scratch.rglob("*")] == []


def test_a_stopped_daemon_is_noticed_within_a_minute(tmp_path, monkeypatch):
    env = _env(tmp_path)
    subprocess.run([str(ROOT / "scripts" / "dagster-home.sh")], env=env, check=True)
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    settings = Settings.from_env(env)
    daemon = start_daemon(env)
    try:
        deadline = time.monotonic() + 180
        while not run_checks(settings, [check_dagster_daemon])[0].ok and time.monotonic() < deadline:
            time.sleep(2)
        assert run_checks(settings, [check_dagster_daemon])[0].ok, "the daemon never beat"
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    stopped = time.monotonic()
    while run_checks(settings, [check_dagster_daemon])[0].ok and time.monotonic() - stopped < 120:
        time.sleep(1)
    noticed = time.monotonic() - stopped
    assert noticed < 60, f"the stopped daemon was noticed only after {noticed:.0f} s"

    submit_files(settings, [sample("dcolo-complaint-first-page.pdf")], project="orphan")  # owed a run
    doctor = _docassets(env, "doctor")
    assert doctor.returncode == 1 and "FAIL  dagster daemon: no dagster-daemon heartbeat for" in doctor.stdout
    assert "the daemon has stopped: start it with `make dev`" in doctor.stdout
    refused = _docassets(env, "submit", "--project", "orphan", str(sample("ca10-filing-010110462922.pdf")))
    assert refused.returncode == 1 and "not submitting, the runs could not start" in refused.stderr
    assert "the daemon has stopped" in refused.stderr
    status = _docassets(env, "status", "--project", "orphan")
    assert "0/1 completed, 0 failed, 0 running, 1 queued" in status.stdout
    assert (
        "runs are waiting for a dagster daemon: dagster daemon: no dagster-daemon heartbeat for"
        in status.stdout
    )


def test_the_reliability_tables_bad_files_go_as_they_should_in_one_process_call():
    """The fast part of `make reliability`: empty, non-PDF, truncated, corrupt, encrypted, giant-page,
    OCR-timeout, scripted, hostile-named, good and duplicate files together in one `process` call."""
    fast = subprocess.run(
        [str(BIN / "python"), str(ROOT / "benchmarks" / "reliability.py"), "--fast"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    rows = [
        line for line in fast.stdout.splitlines() if line.startswith("| ") and not line.startswith("| case")
    ]
    assert fast.returncode == 0, fast.stdout + fast.stderr[-3000:]
    assert len(rows) == 11 and all(" | yes | " in row for row in rows), fast.stdout

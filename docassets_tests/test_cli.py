"""The `docassets` command as a user runs it: a real process, real files, real exit codes."""

import os
import subprocess
from pathlib import Path

from .conftest import sample

DOCASSETS = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "docassets"


def run(*arguments: str, home: Path, **environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DOCASSETS_", "DAGSTER_HOME"))
    }
    env.update({"DOCASSETS_HOME": str(home), **environment})
    return subprocess.run([str(DOCASSETS), *arguments], env=env, capture_output=True, text=True, timeout=600)


def test_doctor_checks_everything_and_says_the_daemon_is_missing(tmp_path):
    checked = run("doctor", home=tmp_path)
    assert checked.returncode == 1, checked.stdout
    lines = checked.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok    configuration",
        "ok    database",
        "ok    blob store",
        "ok    dagster storage",
        "ok    dagster instance",
        "FAIL  dagster daemon",
        "ok    sensors",
        "ok    queues",
        "ok    tesseract",
        "ok    spacy model",
    ]
    assert "no dagster-daemon heartbeat: start it with `make dev`" in checked.stdout


def test_doctor_names_the_driver_a_dagster_postgresql_url_needs(tmp_path):
    """The README's trap: the Dagster instance's URL written postgresql:// instead of
    postgresql+psycopg2://. doctor names the fix, masks the password, and checks nothing that
    would open the instance with the wrong driver."""
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_url:\n      env: DOCASSETS_DAGSTER_PG_URL\n"
    )
    url = "postgresql://postgres:hunter2@127.0.0.1:5432/dagster"
    checked = run("doctor", home=tmp_path, DAGSTER_HOME=str(home), DOCASSETS_DAGSTER_PG_URL=url)
    assert checked.returncode == 1
    storage = next(line for line in checked.stdout.splitlines() if line.startswith("FAIL  dagster storage"))
    assert (
        "DOCASSETS_DAGSTER_PG_URL (dagster.yaml storage.postgres.postgres_url) starts with postgresql://"
        in storage
    )
    assert storage.endswith("write it as postgresql+psycopg2://postgres:***@127.0.0.1:5432/dagster")
    assert "FAIL  dagster instance: not checked: fix the dagster storage URL first" in checked.stdout
    assert "hunter2" not in checked.stdout

    fixed = run(
        "doctor",
        home=tmp_path,
        DAGSTER_HOME=str(home),
        DOCASSETS_DAGSTER_PG_URL=url.replace("postgresql", "postgresql+psycopg2"),
    )
    assert "ok    dagster storage: PostgreSQL via psycopg2" in fixed.stdout


def test_doctor_fails_and_names_an_unreachable_database(tmp_path):
    checked = run("doctor", home=tmp_path, DOCASSETS_DATABASE_URL="postgresql://postgres:pw@127.0.0.1:1/docs")
    assert checked.returncode == 1
    failing = [line for line in checked.stdout.splitlines() if line.startswith("FAIL")]
    assert failing[0].startswith("FAIL  database") and "DOCASSETS_DATABASE_URL" in failing[0]
    assert "pw@" not in checked.stdout


def test_process_prints_a_summary_and_fails_on_a_bad_file(tmp_path):
    truncated = tmp_path / "truncated-exhibit.pdf"
    truncated.write_bytes(sample("ca10-filing-010110462922.pdf").read_bytes()[:3000])
    processed = run(
        "process",
        "--project",
        "cli",
        str(sample("ca10-filing-010110462922.pdf")),
        str(truncated),
        home=tmp_path,
        DAGSTER_HOME=str(tmp_path / "dagster"),
    )
    assert processed.returncode == 1
    table = {line.split()[0]: line.split() for line in processed.stdout.splitlines()[1:3]}
    assert table["ca10-filing-010110462922.pdf"][1] == "completed"
    assert table["truncated-exhibit.pdf"][1] == "failed"
    assert "truncated-exhibit.pdf:" in processed.stderr and "1 of 2 documents failed" in processed.stderr

    status = run("status", "--project", "cli", home=tmp_path)
    assert "1/2 completed, 1 failed" in status.stdout

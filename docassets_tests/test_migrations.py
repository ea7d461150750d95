"""Schema migrations on SQLite and the real PostgreSQL: an existing database keeps every row through
`docassets migrate`, start-up refuses a database behind the code and names the command, and the
revisions build exactly the tables `tables.py` declares."""

import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from docassets.storage import migrations
from docassets.storage.tables import TableStore, as_utc, declared_by_ddl, metadata

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'docassets.db'}"
    return request.getfixturevalue("own_postgres_url")


def _at_baseline(url: str, *, revision_recorded: bool) -> sa.MetaData:
    """A database with revision 0001's schema, as `create_all` made it before there were migrations
    (no revision recorded) or as `docassets migrate` left it; returns its tables as they are."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        command.upgrade(migrations.alembic_config(connection), migrations.BASELINE)
        if not revision_recorded:
            connection.execute(sa.text("DROP TABLE alembic_version"))
    baseline = sa.MetaData()
    baseline.reflect(engine)
    engine.dispose()
    return baseline


def _value(column: sa.Column, index: int):
    kind = column.type.python_type
    if kind is bool:
        return index % 2 == 0
    if kind is int:
        return 2**40 + index if isinstance(column.type, sa.BigInteger) else index
    if kind is float:
        return index + 0.25
    if kind is datetime:
        return datetime(2024, 5, 1, 12, index, 30, tzinfo=UTC)
    if kind is dict:
        return {"aliases": [f"Name {index}", "NAME, THE"], "count": index}
    text = f"{index}-{column.table.name}.{column.name} ü'\"; --"
    length = getattr(column.type, "length", None)
    return text[:length] if length else text


def _comparable(value):
    return as_utc(value) if isinstance(value, datetime) else value


def _fill(url: str, baseline: sa.MetaData) -> dict[str, list[tuple]]:
    """Three rows in every table (every column set), returned as they should read back."""
    expected = {}
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in baseline.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [{column.name: _value(column, index) for column in table.columns} for index in range(3)]
            connection.execute(table.insert(), rows)
            expected[table.name] = sorted(
                tuple(_comparable(row[c.name]) for c in table.columns) for row in rows
            )
    engine.dispose()
    return expected


def _read(url: str, baseline: sa.MetaData) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = {
            table.name: sorted(tuple(map(_comparable, row)) for row in connection.execute(sa.select(table)))
            for table in baseline.sorted_tables
            if table.name != "alembic_version"
        }
    engine.dispose()
    return found


@pytest.mark.parametrize("revision_recorded", [True, False], ids=["revision-0001", "before-migrations"])
def test_an_upgrade_keeps_every_row_of_the_previous_schema(database_url, revision_recorded):
    baseline = _at_baseline(database_url, revision_recorded=revision_recorded)
    assert set(baseline.tables) - {"alembic_version"} <= set(metadata.tables)  # revision 0001: tables of then
    expected = _fill(database_url, baseline)

    store = TableStore(database_url)
    before, now = store.migrate()
    store.ensure_schema()  # start-up now accepts it
    store.engine.dispose()

    assert (before, now) == (migrations.BASELINE, migrations.head_revision())
    assert _read(database_url, baseline) == expected


def test_the_revisions_build_the_tables_the_code_declares(database_url):
    """Fails when a table or column is added to tables.py without a revision:
    write one with `docassets migrate --new "what changed"`."""
    store = TableStore(database_url)
    store.ensure_schema()  # an empty database gets the schema at start-up
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, parents: not declared_by_ddl(name),
            },
        )
        differences = compare_metadata(context, metadata)
        assert migrations.current_revision(connection) == migrations.head_revision()
    store.engine.dispose()
    assert differences == []


def _docassets(url: str, tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCASSETS_")}
    env.update(DOCASSETS_HOME=str(tmp_path / "home"), DOCASSETS_DATABASE_URL=url)
    return subprocess.run(arguments, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_a_database_behind_the_code_stops_the_code_location_until_docassets_migrate(database_url, tmp_path):
    _at_baseline(database_url, revision_recorded=False)

    refused = _docassets(database_url, tmp_path, sys.executable, "-c", "import docassets.definitions")
    assert refused.returncode != 0
    assert "from before schema migrations: run `docassets migrate`" in refused.stderr

    migrated = _docassets(database_url, tmp_path, str(BIN / "docassets"), "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"schema revision {migrations.BASELINE} -> {migrations.head_revision()}" in migrated.stdout

    loaded = _docassets(database_url, tmp_path, sys.executable, "-c", "import docassets.definitions")
    assert loaded.returncode == 0, loaded.stderr


def test_a_database_migrated_by_newer_code_is_refused(database_url):
    store = TableStore(database_url)
    store.ensure_schema()
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(migrations.SchemaNotCurrent, match="revision ffff, which this code does not know"):
        store.ensure_schema()
    store.engine.dispose()


def test_a_new_table_gets_its_revision_from_one_command(tmp_path, monkeypatch):
    """`docassets migrate --new` on a copy of the revisions, after a table is declared."""
    shutil.copytree(migrations.FOLDER, tmp_path / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrations, "FOLDER", tmp_path / "migrations")
    added = sa.Table(
        "privilege_log",
        metadata,
        sa.Column("document_id", sa.String(36), primary_key=True),
        sa.Column("entry", sa.Integer, primary_key=True),
    )
    following = f"{int(migrations.head_revision()) + 1:04d}"
    try:
        written = migrations.new_revision("add privilege log")
        url = f"sqlite:///{tmp_path / 'docassets.db'}"
        _at_baseline(url, revision_recorded=True)
        store = TableStore(url)
        assert store.migrate() == (migrations.BASELINE, following)
        assert "privilege_log" in sa.inspect(store.engine).get_table_names()
        store.engine.dispose()
    finally:
        metadata.remove(added)
    assert written.name.startswith(f"{following}_add_privilege_log")
    assert 'op.create_table(\n        "privilege_log"' in written.read_text()  # formatted by ruff


def test_widening_document_ids_keeps_sqlite_full_text_search(tmp_path):
    """Revision 0004 rebuilds SQLite's search_index (SQLite cannot retype a column in place): its
    full-text index still finds the rows written before, and follows rows written after."""
    url = f"sqlite:///{tmp_path / 'docassets.db'}"
    matches = sa.text("SELECT count(*) FROM search_index_fts WHERE search_index_fts MATCH 'wombat'")
    insert = sa.text(
        "INSERT INTO search_index (document_id, level, number, project, page_start, page_end, text)"
        " VALUES (:document, 'page', 1, 'p', 1, 1, :text)"
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        command.upgrade(migrations.alembic_config(connection), "0003")
        connection.execute(insert, {"document": str(uuid.uuid4()), "text": "a wombat before"})
    engine.dispose()

    store = TableStore(url)
    assert store.migrate()[1] == migrations.head_revision()
    with store.engine.begin() as connection:
        assert connection.execute(matches).scalar() == 1
        connection.execute(
            insert, {"document": "p~" + "long-file-name-" * 7 + "0123abcd", "text": "a wombat after"}
        )
        assert connection.execute(matches).scalar() == 2
    store.engine.dispose()


ENSURE_AT = """
import sys, time
from docassets.storage.tables import TableStore
store = TableStore(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # all of them at the same moment
store.ensure_schema()
"""


def test_processes_starting_together_on_a_new_sqlite_database_create_its_schema_once(tmp_path):
    """`dagster dev`'s code server and `docassets process` (or two workers) open a new embedded
    database at the same moment: every one of them starts, none sees a half-made schema."""
    for attempt in range(4):
        url = f"sqlite:///{tmp_path / f'new-{attempt}.db'}"
        start = str(time.time() + 8)  # after every interpreter has imported docassets
        starting = [
            subprocess.Popen(
                [sys.executable, "-c", ENSURE_AT, url, start], stderr=subprocess.PIPE, text=True, cwd=ROOT
            )
            for _ in range(4)
        ]
        failures = [p.communicate(timeout=120)[1] for p in starting if p.wait(timeout=120) != 0]
        assert not failures, failures[0]
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            assert migrations.current_revision(connection) == migrations.head_revision()
        engine.dispose()

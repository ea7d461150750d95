"""The tables' schema revisions (Alembic, in `versions/`) and how a database is brought to them.

`docassets migrate` upgrades a database to the code's revision. At start-up `ensure_schema` creates
the schema in an empty database (the embedded default, `make demo`, the tests, a new deployment)
and refuses any other database that is not at the code's revision, naming the command that fixes
it. A database made before migrations existed (tables created by `create_all`, no revision
recorded) holds revision 0001's schema: `docassets migrate` records that and upgrades from there.
A new revision after a change to `tables.py`: `docassets migrate --new "what changed"`.
"""

from __future__ import annotations

import fcntl
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from docassets.storage.tables import DatabaseUnavailable, metadata

FOLDER = Path(__file__).resolve().parent
BASELINE = "0001"  # the schema `create_all` made before there were migrations
MIGRATE = "run `docassets migrate` (with the same DOCASSETS_DATABASE_URL)"
_LOCK_ID = 0x646F6361  # PostgreSQL advisory lock: one process creates or upgrades the schema at a time


class SchemaNotCurrent(DatabaseUnavailable):
    """The database's schema is not the revision this code needs; the message names the fix."""


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(FOLDER)).get_current_head()
    assert head is not None, "docassets/storage/migrations/versions holds no revision"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _has_docassets_tables(connection: Connection) -> bool:
    return bool(set(sa.inspect(connection).get_table_names()) & set(metadata.tables))


@contextmanager
def _schema_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction in which this process alone creates or upgrades the schema: PostgreSQL's
    advisory lock, or a lock file beside a SQLite database, held until the transaction has
    committed (SQLite commits DDL statement by statement: without it a second process starting
    at the same moment sees the tables before their revision is recorded)."""
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        with open(f"{database}.lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file closes
            with engine.begin() as connection:
                yield connection
        return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        yield connection


def ensure_schema(engine: Engine, shown_url: str) -> None:
    """Create the schema in an empty database; otherwise require the code's revision."""
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:  # every start-up but the first: no lock taken
            return
    with _schema_transaction(engine) as connection:
        current = current_revision(connection)
        if current == head:
            return
        if current is None and not _has_docassets_tables(connection):
            command.upgrade(alembic_config(connection), "head")
            return
    known = {script.revision for script in ScriptDirectory(str(FOLDER)).walk_revisions()}
    if current is None:
        state = "holds docassets' tables from before schema migrations"
    elif current in known:
        state = f"has schema revision {current}, this code needs {head}"
    else:
        raise SchemaNotCurrent(
            f"DOCASSETS_DATABASE_URL={shown_url}: the database has schema revision {current}, which this "
            f"code does not know (a newer docassets migrated it; this code needs {head}): upgrade docassets"
        )
    raise SchemaNotCurrent(f"DOCASSETS_DATABASE_URL={shown_url} {state}: {MIGRATE}")


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrade the database to the code's revision; returns (revision before, revision now)."""
    with _schema_transaction(engine) as connection:
        before = current_revision(connection)
        config = alembic_config(connection)
        if before is None and _has_docassets_tables(connection):
            command.stamp(config, BASELINE)
            before = BASELINE
        command.upgrade(config, "head")
        return before, current_revision(connection) or ""


def new_revision(message: str) -> Path:
    """Write the revision that takes the schema from the current head to `tables.py`'s tables,
    worked out by Alembic's autogenerate against a scratch SQLite database at the head."""
    scripts = ScriptDirectory(str(FOLDER))
    number = f"{len(list(scripts.walk_revisions())) + 1:04d}"
    with tempfile.TemporaryDirectory(prefix="docassets-revision-") as folder:
        engine = sa.create_engine(f"sqlite:///{folder}/head.db")
        try:
            with engine.begin() as connection:
                config = alembic_config(connection)
                _format_with_ruff(config)
                command.upgrade(config, "head")
                script = command.revision(config, message=message, autogenerate=True, rev_id=number)
        finally:
            engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def _format_with_ruff(config: Config) -> None:
    """Have Alembic run `make lint`'s formatter over a revision it writes, when ruff is installed."""
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        for option, value in {
            "hooks": "ruff",
            "ruff.type": "exec",
            "ruff.executable": str(ruff),
            "ruff.options": "format REVISION_SCRIPT_FILENAME",
        }.items():
            config.set_section_option("post_write_hooks", option, value)

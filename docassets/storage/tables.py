"""docassets' tables: one schema for PostgreSQL and SQLite, written and read with bound parameters.

A stage's rows for one document are replaced in a single transaction (delete, then insert), so a
retry or a re-materialization never leaves duplicates or a half-written document behind.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, overload

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from docassets.settings import masked_url

metadata = sa.MetaData()
# A document id: `<project>~<file stem>-<suffix>` (storage/registry.py), or a UUID from before those.
DOCUMENT_ID = sa.String(128)

documents = sa.Table(
    "documents",  # the registry: every upload the sensor or the CLI has seen, one row per version
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("blob_key", sa.Text, nullable=False),
    sa.Column("etag", sa.Text, nullable=False),
    sa.Column("project", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("batch_id", sa.Text),
    sa.Column("priority", sa.Text, nullable=False, server_default="normal"),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("run_owed_at", sa.DateTime(timezone=True)),  # when a run last became owed (upload, rerun)
    sa.Column("run_requested_at", sa.DateTime(timezone=True), index=True),  # null: that run is owed
    sa.UniqueConstraint("blob_key", "etag", name="documents_blob_version"),
)

batches = sa.Table(
    "batches",  # one `docassets submit`
    metadata,
    sa.Column("batch_id", sa.Text, primary_key=True),
    sa.Column("project", sa.Text, nullable=False),
    sa.Column("priority", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("files", sa.Integer, nullable=False),
    sa.Column("duplicates", sa.Integer, nullable=False),
)

batch_files = sa.Table(
    "batch_files",  # each file of a batch and the document it went to, duplicates included
    metadata,
    sa.Column("batch_id", sa.Text, primary_key=True),
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),  # queued | duplicate | reprocessing
)

quarantine = sa.Table(
    "quarantine",  # objects under the watched prefixes that will not be processed, and why
    metadata,
    sa.Column("blob_key", sa.Text, primary_key=True),
    sa.Column("etag", sa.Text, primary_key=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
)

source_documents = sa.Table(
    "source_documents",
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("project", sa.Text, nullable=False, index=True),  # a project's update reads its documents
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("blob_key", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("page_count", sa.Integer, nullable=False),
    sa.Column("encrypted", sa.Boolean, nullable=False),
)

chunks = sa.Table(
    "chunks",
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("chunk_index", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("char_start", sa.Integer, nullable=False),
    sa.Column("char_end", sa.Integer, nullable=False),
    sa.Column("page_start", sa.Integer, nullable=False),
    sa.Column("page_end", sa.Integer, nullable=False),
    sa.Column("bates_start", sa.Text),
    sa.Column("bates_end", sa.Text),
    sa.Column("token_count", sa.Integer, nullable=False),
)

entity_mentions = sa.Table(
    "entity_mentions",
    metadata,
    sa.Column("mention_id", sa.Text, primary_key=True),
    sa.Column("document_id", DOCUMENT_ID, nullable=False, index=True),
    sa.Column("chunk_index", sa.Integer),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("normalized", sa.Text, nullable=False),
    sa.Column("page_number", sa.Integer),
    sa.Column("bates", sa.Text),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("role", sa.Text),
)

defined_terms = sa.Table(
    # a document's definitions ("the Company" -> Acme Holdings, Inc.); written with its mentions
    "defined_terms",
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("term_index", sa.Integer, primary_key=True),
    sa.Column("term", sa.Text, nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("page_number", sa.Integer),
    sa.Column("referent", sa.Text),
    sa.Column("referent_start", sa.Integer),
    sa.Column("referent_end", sa.Integer),
    sa.Column("label", sa.Text),
    sa.Column("normalized", sa.Text),
    sa.Column("descriptive", sa.Boolean, nullable=False),
    sa.Column("uses", sa.Integer, nullable=False),
)

relationships = sa.Table(
    "relationships",
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("relationship_index", sa.Integer, primary_key=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("source_label", sa.Text, nullable=False),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("target_label", sa.Text, nullable=False),
    sa.Column("target_name", sa.Text, nullable=False),
    sa.Column("chunk_index", sa.Integer),
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)

document_summary = sa.Table(
    "document_summary",
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("project", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("pages", sa.Integer, nullable=False),
    sa.Column("ocr_pages", sa.Integer, nullable=False),
    sa.Column("unreadable_pages", sa.Integer, nullable=False),
    sa.Column("chunks", sa.Integer, nullable=False),
    sa.Column("mentions", sa.Integer, nullable=False),
    sa.Column("relationships", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
)

resolved_entities = sa.Table(
    "resolved_entities",
    metadata,
    sa.Column("entity_id", sa.String(36), primary_key=True),
    sa.Column("project", sa.Text, nullable=False, index=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("canonical_name", sa.Text, nullable=False),
    sa.Column("aliases", sa.JSON, nullable=False),
    sa.Column("mention_count", sa.Integer, nullable=False),
    sa.Column("document_count", sa.Integer, nullable=False),
    # the documents' definitions that joined an alias to it: document_id, alias, evidence, page_number
    sa.Column("definitions", sa.JSON, nullable=False, server_default="[]"),
)

entity_links = sa.Table(
    "entity_links",  # every mention's canonical entity; written with resolved_entities
    metadata,
    sa.Column("mention_id", sa.Text, primary_key=True),
    sa.Column("document_id", DOCUMENT_ID, nullable=False, index=True),
    sa.Column("project", sa.Text, nullable=False, index=True),  # replaced a project at a time
    sa.Column("entity_id", sa.String(36), nullable=False, index=True),
)

search_index = sa.Table(
    "search_index",  # full text of every page and every chunk, for `docassets search` (see SEARCH_DDL)
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("level", sa.Text, primary_key=True),  # "page" | "chunk"
    sa.Column("number", sa.Integer, primary_key=True),  # the page number, or the chunk index
    sa.Column("project", sa.Text, nullable=False, index=True),
    sa.Column("page_start", sa.Integer, nullable=False),
    sa.Column("page_end", sa.Integer, nullable=False),
    sa.Column("bates_start", sa.Text),
    sa.Column("bates_end", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
)

# The full-text index beside `search_index`, kept in step by the database itself, so replacing a
# document's rows replaces its index entries in the same transaction. PostgreSQL: a generated
# tsvector with a GIN index; SQLite: an FTS5 table over the rows, maintained by triggers. Both
# tokenize without stemming or stop words, so a query means the same on both (core/search_query.py).
SEARCH_DDL = {
    "postgresql": [
        "ALTER TABLE search_index ADD COLUMN text_vector tsvector"
        " GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED",
        "CREATE INDEX search_index_text_vector ON search_index USING GIN (text_vector)",
    ],
    "sqlite": [
        "CREATE VIRTUAL TABLE search_index_fts USING fts5(text, content='search_index',"
        " content_rowid='rowid',"
        " tokenize='unicode61 remove_diacritics 0')",
        "CREATE TRIGGER search_index_fts_insert AFTER INSERT ON search_index BEGIN"
        " INSERT INTO search_index_fts(rowid, text) VALUES (new.rowid, new.text); END",
        "CREATE TRIGGER search_index_fts_delete AFTER DELETE ON search_index BEGIN"
        " INSERT INTO search_index_fts(search_index_fts, rowid, text)"
        " VALUES ('delete', old.rowid, old.text); END",
        "CREATE TRIGGER search_index_fts_update AFTER UPDATE ON search_index BEGIN"
        " INSERT INTO search_index_fts(search_index_fts, rowid, text) VALUES ('delete', old.rowid, old.text);"
        " INSERT INTO search_index_fts(rowid, text) VALUES (new.rowid, new.text); END",
    ],
}
# What SEARCH_DDL makes, which the table declarations do not describe (migrations leave it alone).
SEARCH_DDL_OBJECTS = ("search_index_fts", "text_vector", "search_index_text_vector")


def declared_by_ddl(name: str | None) -> bool:
    """A table, column or index that SEARCH_DDL makes (FTS5 keeps shadow tables `search_index_fts_*`)."""
    return name is not None and name.startswith(SEARCH_DDL_OBJECTS)


for _dialect, _statements in SEARCH_DDL.items():
    for _statement in _statements:
        sa.event.listen(search_index, "after_create", sa.DDL(_statement).execute_if(dialect=_dialect))
sa.event.listen(
    search_index, "before_drop", sa.DDL("DROP TABLE IF EXISTS search_index_fts").execute_if(dialect="sqlite")
)


document_duplicates = sa.Table(
    # a document's exact-group pivot and its near-group pivot (a pivot has no row of its kind)
    "document_duplicates",
    metadata,
    sa.Column("project", sa.Text, nullable=False, index=True),
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),  # "exact" | "near"
    sa.Column("pivot_document_id", DOCUMENT_ID, nullable=False, index=True),
    sa.Column("similarity", sa.REAL, nullable=False),  # Jaccard of word shingles with the pivot
)

document_failures = sa.Table(
    "document_failures",  # why a document's run failed, for `docassets status` and the UI
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    # the stage's error was transient and the step is being retried: the document is not lost yet
    sa.Column("retrying", sa.Boolean, nullable=False, server_default=sa.false()),
)


document_progress = sa.Table(
    "document_progress",  # how far a long stage has got with a document, for `docassets status`
    metadata,
    sa.Column("document_id", DOCUMENT_ID, primary_key=True),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("pages_done", sa.Integer, nullable=False),
    sa.Column("pages_total", sa.Integer, nullable=False),
    sa.Column("pages_per_second", sa.Float),  # measured in the running attempt; null before a page is read
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or used; the message names the setting and the fix."""


class TableStore:
    """Typed access to docassets' tables over one SQLAlchemy engine."""

    def __init__(self, url: str, *, shown_url: str | None = None):
        self.shown_url = shown_url or masked_url(url)
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": 60}  # concurrent runs wait for the write lock
            if parsed.database and parsed.database != ":memory:":
                _create_private_file(Path(parsed.database))
        self.engine: Engine = sa.create_engine(url, **kwargs)

    def table(self, name: str) -> sa.Table:
        try:
            return metadata.tables[name]
        except KeyError:
            raise KeyError(f"docassets has no table named {name!r}") from None

    def ensure_schema(self) -> None:
        """Create the schema in an empty database, else require the code's revision (see
        `docassets.storage.migrations`); fail with the setting's name when the database is unreachable."""
        from docassets.storage.migrations import ensure_schema  # it imports this module's metadata

        with self._unavailable_named():
            ensure_schema(self.engine, self.shown_url)

    def migrate(self) -> tuple[str | None, str]:
        """Upgrade the schema to the code's revision: `docassets migrate`."""
        from docassets.storage.migrations import migrate

        with self._unavailable_named():
            return migrate(self.engine)

    @contextmanager
    def _unavailable_named(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            raise DatabaseUnavailable(
                f"DOCASSETS_DATABASE_URL={self.shown_url}: cannot use the database "
                f"({type(cause).__name__}: {str(cause).strip().splitlines()[0]})"
            ) from None

    def replace_rows(
        self, name: str, rows: Iterable[Mapping[str, Any]], where: Mapping[str, Any] | None = None
    ) -> int:
        """Delete the rows matching `where` (all rows when None; see `_conditions`) and insert `rows`,
        atomically."""
        return self.replace_tables({name: rows}, where)[name]

    def replace_tables(
        self, rows_by_table: Mapping[str, Iterable[Mapping[str, Any]]], where: Mapping[str, Any] | None = None
    ) -> dict[str, int]:
        """`replace_rows` for several tables in one transaction: all are replaced or none."""
        written = {}
        with self.engine.begin() as connection:
            for name, rows in rows_by_table.items():
                table = self.table(name)
                records = [_clean(row, table) for row in rows]
                connection.execute(table.delete().where(*_conditions(table, where)))
                if records:
                    _insert(connection, table, records)
                written[name] = len(records)
        return written

    def read_frame(
        self, name: str, where: Mapping[str, Any] | None = None, order_by: str | None = None
    ) -> pd.DataFrame:
        table = self.table(name)
        query = sa.select(table).where(*_conditions(table, where))
        if order_by:
            query = query.order_by(table.c[order_by])
        return self.frame(query)

    def frame(self, query: sa.Select) -> pd.DataFrame:
        with self.engine.connect() as connection:
            result = connection.execute(query)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def stream(self, query: sa.Select, batch_size: int = 10_000) -> Iterator[sa.Row]:
        """Rows of a query without holding the whole result in memory."""
        with self.engine.connect() as connection:
            result = connection.execution_options(stream_results=True, yield_per=batch_size).execute(query)
            yield from result

    def scalar(self, query: sa.Select) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def connect(self) -> Connection:
        return self.engine.connect()


def _create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600): it holds a matter's text. SQLite
    gives its journal and WAL files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def open_tables(url: str) -> TableStore:
    """A store whose tables exist (created when missing)."""
    store = TableStore(url)
    store.ensure_schema()
    return store


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime: SQLite hands them back without their zone."""
    if moment is None:
        return None
    moment = moment.to_pydatetime() if isinstance(moment, pd.Timestamp) else moment
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _conditions(table: sa.Table, where: Mapping[str, Any] | None) -> list:
    """`column == value` per item; a list, tuple or set of values means `column IN (...)`."""
    return [
        table.c[column].in_(value)
        if isinstance(value, (list, tuple, set, frozenset))
        else table.c[column] == value
        for column, value in (where or {}).items()
    ]


def _insert(connection: Connection, table: sa.Table, records: list[dict[str, Any]]) -> None:
    """Insert cleaned records. On SQLite, when they all have the same columns and none of those
    needs SQLAlchemy's conversion, they go to the driver's executemany as plain tuples: SQLAlchemy's
    handling of each row's parameters costs about a tenth of what FTS5 does to index the row
    (benchmarks/search_speed.py). PostgreSQL keeps SQLAlchemy's multi-row INSERTs."""
    first = records[0].keys()
    direct = _direct_insert(table, connection.dialect, tuple(first))
    if direct is None or any(record.keys() != first for record in records):
        connection.execute(table.insert(), records)
        return
    statement, positions = direct
    values = itemgetter(*positions)
    rows = [values(r) for r in records] if len(positions) > 1 else [(values(r),) for r in records]
    connection.exec_driver_sql(statement, rows)


@lru_cache(maxsize=256)
def _direct_insert(
    table: sa.Table, dialect: sa.Dialect, keys: tuple[str, ...]
) -> tuple[str, tuple[str, ...]] | None:
    """SQLite's INSERT of these columns with "?" parameters, and their order; None on another
    database, or when a column's values need converting first."""
    if dialect.name != "sqlite":
        return None
    if any(table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys):
        return None
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    return str(compiled), tuple(compiled.positiontup or ())


_PLAIN = frozenset({str, int, bool, bytes, type(None)})  # stored as they are


def _clean(row: Mapping[str, Any], table: sa.Table) -> dict[str, Any]:
    """Keep the table's columns; pandas' NaN/NaT/numpy scalars become plain Python values."""
    clean = {}
    for name in table.columns.keys():
        if name in row:
            value = row[name]
            clean[name] = value if type(value) in _PLAIN else _plain(value)
    return clean


def _plain(value: Any) -> Any:
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value

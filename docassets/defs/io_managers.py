"""IO managers: tables in the database, Parquet and graph files in the blob store. No pickle anywhere.

A run of the per-document stages covers one document or a range of them (see `batching.py`), so a
document-partitioned asset hands over, and receives, a mapping of document id to that document's
data. Writing replaces the rows of every document of the run in one transaction; reading selects
them with bound `document_id`s. A project asset (partitioned by project, one project a run) hands
over that project's data, which replaces the project's rows.
"""

import io
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import dagster as dg
import pandas as pd

from docassets.core.graph import PICTURE_FILE, ProjectGraph, graph_exports
from docassets.defs.partitions import DOCUMENTS, PARTITION_COLUMN
from docassets.defs.resources import BlobStoreResource, DatabaseResource
from docassets.defs.shown import blob_link
from docassets.storage.checkpoints import clear_checkpoints

_Output = TypeVar("_Output")
_Records = list[dict[str, Any]]  # row records, as `search_index` returns them
_DocumentTables = pd.DataFrame | _Records | Mapping[str, pd.DataFrame | _Records]


def document_file_key(asset: str, document_id: str) -> str:
    """Where a per-document asset stored in the blob store keeps a document's Parquet file."""
    return f"{asset}/{document_id}.parquet"


def _partitioned_by(context: dg.OutputContext | dg.InputContext) -> str | None:
    """The name of the asset's (dynamic) partitions definition: `documents`, `projects` or None."""
    return getattr(context.asset_partitions_def, "name", None) if context.has_asset_partitions else None


def _per_document(context: dg.OutputContext | dg.InputContext) -> bool:
    return _partitioned_by(context) == DOCUMENTS


def _by_document(context: dg.OutputContext, obj: Mapping[str, _Output]) -> Mapping[str, _Output]:
    """The output of a partitioned asset: exactly one entry per document of the run."""
    expected = set(context.asset_partition_keys)
    if set(obj) != expected:
        raise dg.DagsterInvariantViolationError(
            f"{context.asset_key.to_user_string()} returned documents {sorted(obj)}"
            f" for a run of {sorted(expected)}"
        )
    return obj


class TableIOManager(dg.ConfigurableIOManager):
    """Per document: a DataFrame, a list of row records, or a mapping of table name to either (all
    written in one transaction). Per project or per asset: a DataFrame, or a mapping of table name
    to DataFrame. An input reads the table named after the asset."""

    database: dg.ResourceDependency[DatabaseResource]

    def handle_output(
        self, context: dg.OutputContext, obj: pd.DataFrame | Mapping[str, _DocumentTables]
    ) -> None:
        name = context.asset_key.path[-1]
        rows: dict[str, _Records]
        where: dict[str, list[str]] | None
        if _per_document(context):
            assert not isinstance(obj, pd.DataFrame), "a partitioned asset returns one output per document"
            # per document: a DataFrame, row records (see `search_index`), or a mapping of table name
            # to either
            rows = defaultdict(list)
            for value in _by_document(context, obj).values():
                for table, part in value.items() if isinstance(value, Mapping) else [(name, value)]:
                    rows[table] += _records(part)
            where = {"document_id": list(context.asset_partition_keys)}
        else:  # the rows of the project (partitioned by project) or of the whole table
            frames = {name: obj} if isinstance(obj, pd.DataFrame) else dict(obj)
            rows = {table: _records(frame) for table, frame in frames.items()}
            partitioned_by = _partitioned_by(context)
            where = (
                {PARTITION_COLUMN[partitioned_by]: [context.asset_partition_key]}
                if partitioned_by is not None
                else None
            )
        written = self.database.tables().replace_tables(rows, where)
        context.add_output_metadata(_written_metadata(name, written, per_run=context.has_asset_partitions))

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | dict[str, pd.DataFrame]:
        tables = self.database.tables()
        name = context.asset_key.path[-1]
        if not context.has_asset_partitions:
            return tables.read_frame(name)
        keys = list(context.asset_partition_keys)
        frame = tables.read_frame(name, {"document_id": keys})
        return {key: part.reset_index(drop=True) for key, part in _split(frame, keys)}


def _records(part: _DocumentTables) -> _Records:
    """One table's rows."""
    if isinstance(part, Mapping):
        raise TypeError("a mapping of table name to rows is a document's output, not one table's rows")
    if isinstance(part, pd.DataFrame):
        return cast(_Records, part.to_dict(orient="records"))  # our columns are named by str
    return part


def _written_metadata(name: str, written: Mapping[str, int], *, per_run: bool) -> dict[str, int]:
    """Rows written. A run of several documents writes once for all of them, and Dagster shows this
    metadata on each document's materialization, so there the counts are labelled as the run's
    totals (each document's own `dagster/row_count` is set by its asset); a whole-table asset's
    table is its row count."""
    if per_run:
        return {f"run_total_rows_{table}": count for table, count in written.items()}
    return {
        ("dagster/row_count" if table == name else f"rows_{table}"): count for table, count in written.items()
    }


def _split(frame: pd.DataFrame, keys: list[str]):
    groups = dict(iter(frame.groupby("document_id", sort=False)))
    for key in keys:
        yield key, groups.get(key, frame.iloc[0:0])


class BlobIOManager(dg.ConfigurableIOManager):
    """Per document: a Parquet file (from a DataFrame, or a local Parquet file written page by page).
    Per project: its graph as GraphML plus Neo4j-importable CSV files, and its picture (SVG)."""

    blob_store: dg.ResourceDependency[BlobStoreResource]

    def _base(self, context: dg.OutputContext | dg.InputContext) -> str:
        return "/".join(context.asset_key.path)

    def handle_output(
        self, context: dg.OutputContext, obj: Mapping[str, pd.DataFrame | Path] | ProjectGraph
    ) -> None:
        store = self.blob_store.store()
        if isinstance(obj, ProjectGraph):
            folder = f"{self._base(context)}/{context.asset_partition_key}"
            links = {}
            for file_name, data in {**graph_exports(obj.graph), PICTURE_FILE: obj.picture}.items():
                store.put_bytes(f"{folder}/{file_name}", data)
                links[file_name] = blob_link(store, f"{folder}/{file_name}")
            context.add_output_metadata({"picture_file": links.pop(PICTURE_FILE), **links})
            return
        by_document = _by_document(context, obj)
        try:
            for document_id, value in by_document.items():
                key = document_file_key(self._base(context), document_id)
                if isinstance(value, Path):
                    store.put_file(key, value)  # streamed; multipart on S3
                    # the batches checkpointed while it was written are not needed once it is stored
                    clear_checkpoints(store, self._base(context), document_id)
                else:
                    buffer = io.BytesIO()
                    value.to_parquet(buffer, index=False)
                    store.put_bytes(key, buffer.getvalue())
        finally:  # the asset's temporary files, handed over to be stored, stored or not
            for value in by_document.values():
                if isinstance(value, Path):
                    value.unlink(missing_ok=True)

    def load_input(self, context: dg.InputContext) -> dict[str, pd.DataFrame]:
        store = self.blob_store.store()
        return {
            key: pd.read_parquet(io.BytesIO(store.get_bytes(document_file_key(self._base(context), key))))
            for key in context.asset_partition_keys
        }

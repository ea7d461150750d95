"""IO managers: tables in the database, Parquet and graph files in the blob store. No pickle anywhere.

A partitioned asset's rows are those of its document: writing replaces them in one transaction,
reading selects them with a bound `document_id`.
"""

import io
from collections.abc import Mapping

import dagster as dg
import networkx as nx
import pandas as pd

from docassets.core.graph import graph_exports
from docassets.defs.resources import BlobStoreResource, DatabaseResource


class TableIOManager(dg.ConfigurableIOManager):
    """A DataFrame per asset, or a mapping of table name to DataFrame written together."""

    database: dg.ResourceDependency[DatabaseResource]

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | Mapping[str, pd.DataFrame]) -> None:
        frames = {context.asset_key.path[-1]: obj} if isinstance(obj, pd.DataFrame) else dict(obj)
        where = {"document_id": context.partition_key} if context.has_partition_key else None
        written = self.database.tables().replace_tables(
            {name: frame.to_dict(orient="records") for name, frame in frames.items()}, where
        )
        context.add_output_metadata({f"rows_{name}": count for name, count in written.items()})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        name = context.asset_key.path[-1]
        where = {"document_id": context.asset_partition_key} if context.has_asset_partitions else None
        return self.database.tables().read_frame(name, where)


class BlobIOManager(dg.ConfigurableIOManager):
    """DataFrames as Parquet; graphs (one per project) as GraphML plus Neo4j-importable CSV files."""

    blob_store: dg.ResourceDependency[BlobStoreResource]

    def _base(self, context: dg.OutputContext | dg.InputContext) -> str:
        return "/".join(context.asset_key.path)

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | Mapping[str, nx.MultiDiGraph]) -> None:
        store = self.blob_store.store()
        if isinstance(obj, pd.DataFrame):
            key = f"{self._base(context)}/{context.partition_key}.parquet"
            buffer = io.BytesIO()
            obj.to_parquet(buffer, index=False)
            store.put_bytes(key, buffer.getvalue())
            context.add_output_metadata({"location": f"{store.location.rstrip('/')}/{key}"})
            return
        for project, graph in obj.items():
            for file_name, data in graph_exports(graph).items():
                store.put_bytes(f"{self._base(context)}/{project}/{file_name}", data)
        context.add_output_metadata({"location": f"{store.location.rstrip('/')}/{self._base(context)}/"})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        key = f"{self._base(context)}/{context.asset_partition_key}.parquet"
        return pd.read_parquet(io.BytesIO(self.blob_store.store().get_bytes(key)))

"""What the Dagster UI is given to show: columns, table names, groups, kinds and blank values."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from docassets.defs.definitions import build_definitions
from docassets.defs.groups import GROUPS
from docassets.defs.shown import markdown_table
from docassets.settings import Settings
from docassets.storage import tables as t


def _asset_nodes(settings: Settings):
    graph = build_definitions(settings).get_repository_def().asset_graph
    return {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}


def test_every_table_asset_shows_its_described_columns_and_table(embedded_settings):
    nodes = _asset_nodes(embedded_settings)
    assert "dagster/column_schema" not in nodes.pop("entity_graph").metadata  # a graph, not a table
    pages = nodes.pop("ocr_text").metadata["dagster/column_schema"]  # one Parquet file per document
    assert {"page_number", "method", "ocr_confidence", "bates"} <= {c.name for c in pages.columns}
    assert all(column.description for column in pages.columns)
    for name, node in nodes.items():
        schema, table = node.metadata["dagster/column_schema"], t.metadata.tables[name]
        assert node.metadata["dagster/table_name"] == name
        assert [c.name for c in schema.columns] == [c.name for c in table.columns]
        assert all(column.description for column in schema.columns), name
        required = {c.name for c in table.columns if not c.nullable}
        assert {c.name for c in schema.columns if not c.constraints.nullable} == required


def test_groups_follow_the_pipeline(embedded_settings):
    nodes = _asset_nodes(embedded_settings)
    assert sorted({node.group_name for node in nodes.values()}) == list(GROUPS)  # the UI sorts by name
    first, *_, last = GROUPS
    assert nodes["source_documents"].group_name == first
    assert {nodes[n].group_name for n in ("resolved_entities", "entity_graph", "document_duplicates")} == {
        last
    }


def test_kinds_follow_the_configured_storage(embedded_settings, tmp_path):
    embedded = _asset_nodes(embedded_settings)
    assert {"sqlite"} <= embedded["chunks"].kinds and "postgres" not in embedded["chunks"].kinds
    assert "folder" in embedded["entity_graph"].kinds and "s3" not in embedded["entity_graph"].kinds

    production = _asset_nodes(
        Settings.from_env(
            {
                "DOCASSETS_HOME": str(tmp_path / "home"),
                "DOCASSETS_S3_BUCKET": "matters",
                "DOCASSETS_DATABASE_URL": "postgresql+psycopg://docassets@db.example/docassets",
            }
        )
    )
    assert "postgres" in production["chunks"].kinds and "sqlite" not in production["chunks"].kinds
    assert {"s3"} <= production["ocr_text"].kinds and "folder" not in production["ocr_text"].kinds


def test_previews_show_missing_values_as_blank_cells():
    pages = pd.DataFrame(
        {"page_number": [1, 2], "ocr_confidence": [float("nan"), 91.5], "bates": [None, "ACME 0002"]}
    ).astype({"bates": "string"})
    shown = markdown_table(pages)
    assert isinstance(shown, dg.MarkdownMetadataValue) and shown.md_str is not None
    assert (
        "nan" not in shown.md_str.lower()
        and "none" not in shown.md_str.lower()
        and "<NA>" not in shown.md_str
    )
    assert "91.5" in shown.md_str and "ACME 0002" in shown.md_str

"""Write one project's graph files and tables to a folder, for Neo4j, spreadsheets or review."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from docassets.preflight import blob_store_for
from docassets.settings import Settings
from docassets.storage import tables as t

PER_DOCUMENT_TABLES = (
    "source_documents",
    "document_summary",
    "chunks",
    "entity_mentions",
    "defined_terms",
    "relationships",
)
PER_PROJECT_TABLES = ("resolved_entities", "entity_links", "document_duplicates")


def export_project(settings: Settings, project: str, folder: Path) -> list[Path]:
    store = blob_store_for(settings)
    tables = t.TableStore(settings.database_url)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    graph_prefix = f"entity_graph/{project}/"
    for info in store.list(graph_prefix):
        path = folder / info.key[len(graph_prefix) :]
        store.download(info.key, path)
        written.append(path)
    if not written:
        raise LookupError(f"project {project!r} has no entity graph yet; materialize entity_graph first")
    in_project = sa.select(t.source_documents.c.document_id).where(t.source_documents.c.project == project)
    for name in PER_DOCUMENT_TABLES + PER_PROJECT_TABLES:
        table = tables.table(name)
        condition = (
            table.c.project == project if name in PER_PROJECT_TABLES else table.c.document_id.in_(in_project)
        )
        path = folder / f"{name}.csv"
        tables.frame(sa.select(table).where(condition)).to_csv(path, index=False)
        written.append(path)
    return written

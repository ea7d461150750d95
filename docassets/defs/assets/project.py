"""Across the documents of a project: canonical entities and the entity graph.

These assets read the per-document tables with SQL, one project at a time, never by loading every
partition through an IO manager. They update by declarative automation after documents complete.
"""

import base64
import json
from collections import Counter, defaultdict

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from docassets.core.graph import GraphEdge, build_graph, document_node, draw_top_entities, duplicate_edge
from docassets.core.models import Entity
from docassets.core.resolution import MentionRecord, resolve_mentions
from docassets.defs.assets.entities import entity_mentions, relationships
from docassets.defs.resources import DatabaseResource, PipelineSettings
from docassets.storage import tables as t

# Eager (after upstream updates, waiting while upstream runs are in flight, which coalesces a burst),
# except that a document whose run failed, and so has no rows, must not hold the whole project back.
PROJECT_AUTOMATION = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())


def _project_mentions(tables: t.TableStore) -> dict[str, list[MentionRecord]]:
    query = (
        sa.select(t.source_documents.c.project, t.entity_mentions.c.mention_id, t.entity_mentions.c.document_id,
                  t.entity_mentions.c.label, t.entity_mentions.c.text, t.entity_mentions.c.normalized)
        .join(t.source_documents, t.source_documents.c.document_id == t.entity_mentions.c.document_id)
        .order_by(t.source_documents.c.project, t.entity_mentions.c.mention_id)
    )
    by_project: dict[str, list[MentionRecord]] = defaultdict(list)
    for row in tables.stream(query):
        by_project[row.project].append(MentionRecord(row.mention_id, row.document_id, row.label, row.text, row.normalized))
    return by_project


def _previous_links(tables: t.TableStore) -> dict[str, str]:
    query = sa.select(t.entity_links.c.mention_id, t.entity_links.c.entity_id)
    return {row.mention_id: row.entity_id for row in tables.stream(query)}


@dg.asset(
    group_name="project",
    kinds={"rapidfuzz", "sql"},
    io_manager_key="table_io_manager",
    deps=[entity_mentions],
    automation_condition=PROJECT_AUTOMATION,
    check_specs=[
        dg.AssetCheckSpec("every_mention_linked_once", asset="resolved_entities", blocking=True,
                          description="Each mention of every document links to exactly one canonical entity."),
        dg.AssetCheckSpec("every_entity_mentioned", asset="resolved_entities", blocking=True,
                          description="No canonical entity exists without a mention."),
    ],
)
def resolved_entities(context: dg.AssetExecutionContext, database: DatabaseResource, pipeline: PipelineSettings):
    """Canonical entities per project, stable ids across recomputation, and each mention's link to one of them."""
    tables = database.tables()
    previous = _previous_links(tables)
    entity_rows, link_rows, merged, split = [], [], [], []
    for project, records in _project_mentions(tables).items():
        resolution = resolve_mentions(records, project=project, previous=previous, settings=pipeline.resolution())
        entity_rows += [
            {"project": project, "entity_id": e.entity_id, "label": e.label, "canonical_name": e.canonical_name,
             "aliases": list(e.aliases), "mention_count": e.mention_count, "document_count": e.document_count}
            for e in resolution.entities
        ]
        documents_of = {r.mention_id: r.document_id for r in records}
        link_rows += [
            {"project": project, "mention_id": mention, "document_id": documents_of[mention], "entity_id": entity}
            for mention, entity in resolution.links.items()
        ]
        merged += resolution.merged
        split += resolution.split
    entities = pd.DataFrame(entity_rows, columns=[c.name for c in t.resolved_entities.columns])
    links = pd.DataFrame(link_rows, columns=[c.name for c in t.entity_links.columns])
    top = entities.sort_values("document_count", ascending=False).head(10)
    yield dg.Output({"resolved_entities": entities, "entity_links": links}, metadata={
        "entities": len(entities),
        "mentions_linked": len(links),
        "projects": int(entities.project.nunique()),
        "merges": len(merged),
        "splits": len(split),
        "merged_and_split": dg.MetadataValue.md(_id_changes(merged, split, entities)),
        "by_label": dg.MetadataValue.json({k: int(v) for k, v in entities.label.value_counts().items()}),
        "most_documents": dg.MetadataValue.md(
            top[["label", "canonical_name", "document_count", "mention_count"]].to_markdown(index=False)
        ),
    })
    mentions_total = tables.scalar(sa.select(sa.func.count()).select_from(t.entity_mentions))
    unlinked = tables.scalar(
        sa.select(sa.func.count()).select_from(t.entity_mentions.outerjoin(
            t.entity_links, t.entity_links.c.mention_id == t.entity_mentions.c.mention_id))
        .where(t.entity_links.c.entity_id.is_(None))
    )
    yield dg.AssetCheckResult(
        check_name="every_mention_linked_once", passed=unlinked == 0 and len(links) == mentions_total,
        metadata={"mentions": mentions_total, "links": len(links), "unlinked": unlinked},
    )
    mentioned = set(links.entity_id)
    orphans = [e for e in entities.entity_id if e not in mentioned]
    yield dg.AssetCheckResult(check_name="every_entity_mentioned", passed=not orphans,
                              metadata={"entities_without_mentions": len(orphans)})


def _id_changes(merged: list[tuple[str, ...]], split: list[str], entities: pd.DataFrame) -> str:
    """Which earlier entities merged or split this time, by name, so a reviewer can check them."""
    if not merged and not split:
        return "No entity merged or split since the last run."
    name_of = dict(zip(entities.entity_id, entities.canonical_name, strict=True))
    lines = ["| change | entity ids | now named |", "|---|---|---|"]
    lines += [f"| merged | {', '.join(ids)} | {name_of.get(ids[0], '?')} |" for ids in merged]
    lines += [f"| split | {entity_id} | {name_of.get(entity_id, '?')} (the largest part) |" for entity_id in split]
    return "\n".join(lines)


def _entity_of_key(tables: t.TableStore) -> dict[tuple[str, str, str], str]:
    """(document_id, label, normalized) -> entity_id; resolution keeps these one-to-one."""
    m, links = t.entity_mentions, t.entity_links
    query = (
        sa.select(m.c.document_id, m.c.label, m.c.normalized, links.c.entity_id)
        .join(links, links.c.mention_id == m.c.mention_id)
        .distinct()
    )
    return {(row.document_id, row.label, row.normalized): row.entity_id for row in tables.stream(query)}


def _node(document_id: str, label: str, name: str, entity_of_key: dict) -> str | None:
    if label == "DOCUMENT":
        return document_node(name)
    return entity_of_key.get((document_id, label, name))


@dg.asset(
    group_name="project",
    kinds={"networkx", "s3"},
    io_manager_key="blob_io_manager",
    deps=[relationships, resolved_entities, "document_duplicates"],
    automation_condition=PROJECT_AUTOMATION,
    check_specs=[dg.AssetCheckSpec("every_edge_resolved", asset="entity_graph",
                                   description="Every relationship's endpoints became graph nodes.")],
)
def entity_graph(context: dg.AssetExecutionContext, database: DatabaseResource):
    """One networkx MultiDiGraph per project of documents, canonical entities and their relationships,
    with DUPLICATE_OF / NEAR_DUPLICATE_OF edges from a document to its duplicate group's pivot."""
    tables = database.tables()
    entity_of_key = _entity_of_key(tables)
    project_of: dict[str, str] = {}
    documents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in tables.stream(sa.select(t.source_documents.c.document_id, t.source_documents.c.file_name,
                                       t.source_documents.c.project)):
        project_of[row.document_id] = row.project
        documents[row.project].append((row.document_id, row.file_name))
    entities: dict[str, list[Entity]] = defaultdict(list)
    for row in tables.stream(sa.select(t.resolved_entities)):
        aliases = row.aliases if isinstance(row.aliases, list) else json.loads(row.aliases)
        entities[row.project].append(Entity(row.entity_id, row.label, row.canonical_name, tuple(aliases),
                                            row.mention_count, row.document_count))
    edges: dict[str, list[GraphEdge]] = defaultdict(list)
    unresolved = 0
    for row in tables.stream(sa.select(t.relationships)):
        source = _node(row.document_id, row.source_label, row.source_name, entity_of_key)
        target = _node(row.document_id, row.target_label, row.target_name, entity_of_key)
        if source is None or target is None or row.document_id not in project_of:
            unresolved += 1
            continue
        edges[project_of[row.document_id]].append(GraphEdge(
            source, target, row.type, row.document_id, row.chunk_index, row.sentence, row.confidence, row.count))
    for row in tables.stream(sa.select(t.document_duplicates)):
        edges[row.project].append(duplicate_edge(row.document_id, row.pivot_document_id, row.kind, row.similarity))
    graphs = {project: build_graph(documents[project], entities[project], edges[project]) for project in documents}
    edge_types = Counter(data["type"] for g in graphs.values() for *_, data in g.edges(keys=True, data=True))
    metadata = {
        "projects": len(graphs),
        "nodes": sum(g.number_of_nodes() for g in graphs.values()),
        "edges": sum(g.number_of_edges() for g in graphs.values()),
        "edges_by_type": dg.MetadataValue.json(dict(edge_types)),
    }
    if graphs:
        largest = max(graphs, key=lambda p: graphs[p].number_of_nodes())
        picture = base64.b64encode(draw_top_entities(graphs[largest])).decode()
        metadata["most_connected"] = dg.MetadataValue.md(
            f"Project `{largest}`, most connected entities:\n\n![graph](data:image/png;base64,{picture})")
    yield dg.Output(graphs, metadata=metadata)
    yield dg.AssetCheckResult(check_name="every_edge_resolved", passed=unresolved == 0,
                              metadata={"unresolved_edges": unresolved})

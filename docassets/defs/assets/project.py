"""Across the documents of a project: canonical entities and the entity graph.

Both are partitioned by project (`projects`): a run recomputes one project, from the per-document
tables read with SQL, never by loading every document partition through an IO manager. The
`project_automation` sensor requests the project of each document that completes, so the cost of
an update grows with the project, not with the firm.

They read only *completed* documents: a run deletes its documents' `document_summary` rows before
it rewrites anything and writes them last, so a document whose run is in flight is left out
rather than read half-written. `entity_graph` reads only the documents completed before
`resolved_entities` started, so every edge it reads has resolved endpoints.
"""

import base64
import json
from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from docassets.core.graph import (
    NON_NODE_LABELS,
    SHOWN_LABELS,
    GraphEdge,
    ProjectGraph,
    build_graph,
    display_name,
    document_node,
    duplicate_edge,
)
from docassets.core.graph_picture import draw_project_graph
from docassets.core.models import AliasEvidence, Entity
from docassets.core.resolution import MentionRecord, resolve_mentions
from docassets.defs import groups
from docassets.defs.assets.entities import entity_mentions, relationships
from docassets.defs.columns import table_metadata
from docassets.defs.partitions import projects
from docassets.defs.resources import DatabaseResource, PipelineSettings
from docassets.defs.versions import GRAPH_VERSION, RESOLUTION_VERSION
from docassets.storage import tables as t

# A project partition reads the documents of its project, whichever document partitions they are;
# neither a document whose run failed (it has no rows) nor one whose run is still going (a 300-page
# OCR) holds the project back: both are left out (see above).
EVERY_DOCUMENT = dg.AllPartitionMapping()
# Output metadata of resolved_entities: documents completed up to this moment were resolved.
RESOLVED_AS_OF = "documents_completed_before"


def completed_documents(as_of: datetime | None = None) -> sa.Select:
    """The ids of documents whose every stage is written (completed by `as_of`, when given)."""
    summary = t.document_summary
    query = sa.select(summary.c.document_id)
    return query.where(summary.c.completed_at <= as_of) if as_of is not None else query


def in_project(project: str) -> sa.Select:
    """The ids of the project's documents."""
    sources = t.source_documents
    return sa.select(sources.c.document_id).where(sources.c.project == project)


def _project_mentions(tables: t.TableStore, project: str, as_of: datetime) -> list[MentionRecord]:
    mentions = t.entity_mentions
    query = (
        sa.select(
            mentions.c.mention_id,
            mentions.c.document_id,
            mentions.c.label,
            mentions.c.text,
            mentions.c.normalized,
        )
        .where(
            mentions.c.document_id.in_(completed_documents(as_of)),
            mentions.c.document_id.in_(in_project(project)),
        )
        .order_by(mentions.c.mention_id)
    )
    return [
        MentionRecord(row.mention_id, row.document_id, row.label, row.text, row.normalized)
        for row in tables.stream(query)
    ]


def _project_definitions(tables: t.TableStore, project: str, as_of: datetime) -> list[AliasEvidence]:
    """Each completed document's defined terms that name an entity, with the words that define it
    (from the referent to the term, as the chunk holding both writes them) as the evidence."""
    terms, chunks = t.defined_terms, t.chunks
    query = (
        sa.select(
            terms.c.document_id,
            terms.c.term,
            terms.c.referent,
            terms.c.label,
            terms.c.page_number,
            terms.c.referent_start,
            terms.c["end"],
            chunks.c.text,
            chunks.c.char_start,
        )
        .join(
            chunks,
            sa.and_(
                chunks.c.document_id == terms.c.document_id,
                chunks.c.char_start <= terms.c.referent_start,
                chunks.c.char_end >= terms.c["end"],
            ),
        )
        .where(
            terms.c.referent.is_not(None),
            terms.c.document_id.in_(completed_documents(as_of)),
            terms.c.document_id.in_(in_project(project)),
        )
        .order_by(terms.c.document_id, terms.c.term_index, chunks.c.chunk_index)
    )
    found: list[AliasEvidence] = []
    seen: set[tuple[str, str]] = set()
    for row in tables.stream(query):
        if (row.document_id, row.term) in seen:  # overlapping chunks: the first one that holds it
            continue
        seen.add((row.document_id, row.term))
        evidence = row.text[row.referent_start - row.char_start : row.end - row.char_start]
        found.append(
            AliasEvidence(row.document_id, row.term, row.referent, row.label, evidence, row.page_number)
        )
    return found


def _previous_links(tables: t.TableStore, project: str) -> dict[str, str]:
    links = t.entity_links
    query = sa.select(links.c.mention_id, links.c.entity_id).where(links.c.project == project)
    return {row.mention_id: row.entity_id for row in tables.stream(query)}


@dg.asset(
    partitions_def=projects,
    group_name=groups.PROJECT,
    kinds={"rapidfuzz"},
    code_version=RESOLUTION_VERSION,
    io_manager_key="table_io_manager",
    metadata=table_metadata(t.resolved_entities),
    deps=[dg.AssetDep(entity_mentions, partition_mapping=EVERY_DOCUMENT)],
    check_specs=[
        dg.AssetCheckSpec(
            "every_mention_linked_once",
            asset="resolved_entities",
            blocking=True,
            description="Each mention of every document links to exactly one canonical entity.",
        ),
        dg.AssetCheckSpec(
            "every_entity_mentioned",
            asset="resolved_entities",
            blocking=True,
            description="No canonical entity exists without a mention.",
        ),
    ],
)
def resolved_entities(
    context: dg.AssetExecutionContext, database: DatabaseResource, pipeline: PipelineSettings
):
    """The project's canonical entities, stable ids across recomputation, and each mention's link
    to one of them."""
    tables, project = database.tables(), context.partition_key
    as_of = datetime.now(UTC)
    records = _project_mentions(tables, project, as_of)
    resolution = resolve_mentions(
        records,
        project=project,
        previous=_previous_links(tables, project),
        settings=pipeline.resolution(),
        aliases=_project_definitions(tables, project, as_of),
    )
    entity_rows = [
        {
            "project": project,
            "entity_id": e.entity_id,
            "label": e.label,
            "canonical_name": e.canonical_name,
            "aliases": list(e.aliases),
            "mention_count": e.mention_count,
            "document_count": e.document_count,
            "definitions": [
                {
                    "document_id": d.document_id,
                    "alias": d.alias,
                    "evidence": d.evidence,
                    "page_number": d.page_number,
                }
                for d in e.definitions
            ],
        }
        for e in resolution.entities
    ]
    documents_of = {r.mention_id: r.document_id for r in records}
    link_rows = [
        {"project": project, "mention_id": mention, "document_id": documents_of[mention], "entity_id": entity}
        for mention, entity in resolution.links.items()
    ]
    entities = pd.DataFrame(entity_rows, columns=[c.name for c in t.resolved_entities.columns])
    links = pd.DataFrame(link_rows, columns=[c.name for c in t.entity_links.columns])
    top = (
        entities[entities.label.isin(SHOWN_LABELS)]
        .sort_values(["document_count", "mention_count"], ascending=False)
        .head(10)
    )
    top = top.assign(
        canonical_name=[
            display_name(label, name) for label, name in zip(top.label, top.canonical_name, strict=True)
        ]
    )
    yield dg.Output(
        {"resolved_entities": entities, "entity_links": links},
        metadata={
            RESOLVED_AS_OF: dg.MetadataValue.timestamp(as_of),
            "project": project,
            "documents": len(set(documents_of.values())),
            "entities": len(entities),
            "mentions_linked": len(links),
            "merges": len(resolution.merged),
            "splits": len(resolution.split),
            "merged_and_split": dg.MetadataValue.md(
                _id_changes(resolution.merged, resolution.split, entities)
            ),
            "by_label": dg.MetadataValue.json(
                {str(k): int(v) for k, v in entities.label.value_counts().items()}
            ),
            "most_documents": dg.MetadataValue.md(
                top[["label", "canonical_name", "document_count", "mention_count"]].to_markdown(index=False)
            ),
        },
    )
    mentions = t.entity_mentions
    resolved = sa.and_(
        mentions.c.document_id.in_(completed_documents(as_of)),
        mentions.c.document_id.in_(in_project(project)),
    )
    mentions_total = tables.scalar(sa.select(sa.func.count()).select_from(mentions).where(resolved))
    unlinked = tables.scalar(
        sa.select(sa.func.count())
        .select_from(mentions.outerjoin(t.entity_links, t.entity_links.c.mention_id == mentions.c.mention_id))
        .where(resolved, t.entity_links.c.entity_id.is_(None))
    )
    # (A document reprocessed since `as_of` is no longer completed, so its new mentions are not counted.)
    yield dg.AssetCheckResult(
        check_name="every_mention_linked_once",
        passed=unlinked == 0 and links.mention_id.is_unique,
        metadata={"mentions": mentions_total, "links": len(links), "unlinked": unlinked},
    )
    mentioned = set(links.entity_id)
    orphans = [e for e in entities.entity_id if e not in mentioned]
    yield dg.AssetCheckResult(
        check_name="every_entity_mentioned",
        passed=not orphans,
        metadata={"entities_without_mentions": len(orphans)},
    )


def _resolved_as_of(context: dg.AssetExecutionContext) -> datetime | None:
    """When the project's latest `resolved_entities` started reading documents (None before its first run)."""
    latest = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey("resolved_entities"), asset_partitions=[context.partition_key]
        ),
        limit=1,
    ).records
    materialization = latest[0].asset_materialization if latest else None
    value = materialization.metadata.get(RESOLVED_AS_OF) if materialization else None
    return datetime.fromtimestamp(value.value, UTC) if value is not None else None


def _id_changes(merged: list[tuple[str, ...]], split: list[str], entities: pd.DataFrame) -> str:
    """Which earlier entities merged or split this time, by name, so a reviewer can check them."""
    if not merged and not split:
        return "No entity merged or split since the last run."
    name_of = dict(zip(entities.entity_id, entities.canonical_name, strict=True))
    lines = ["| change | entity ids | now named |", "|---|---|---|"]
    lines += [f"| merged | {', '.join(ids)} | {name_of.get(ids[0], '?')} |" for ids in merged]
    lines += [
        f"| split | {entity_id} | {name_of.get(entity_id, '?')} (the largest part) |" for entity_id in split
    ]
    return "\n".join(lines)


def _entity_of_key(tables: t.TableStore, project: str) -> dict[tuple[str, str, str], str]:
    """(document_id, label, normalized) -> entity_id; resolution keeps these one-to-one."""
    m, links = t.entity_mentions, t.entity_links
    query = (
        sa.select(m.c.document_id, m.c.label, m.c.normalized, links.c.entity_id)
        .join(links, links.c.mention_id == m.c.mention_id)
        .where(links.c.project == project)
        .distinct()
    )
    return {(row.document_id, row.label, row.normalized): row.entity_id for row in tables.stream(query)}


def _node(document_id: str, label: str, name: str, entity_of_key: dict) -> str | None:
    if label == "DOCUMENT":
        return document_node(name)
    return entity_of_key.get((document_id, label, name))


@dg.asset(
    partitions_def=projects,
    group_name=groups.PROJECT,
    kinds={"networkx"},
    code_version=GRAPH_VERSION,
    io_manager_key="blob_io_manager",
    deps=[
        dg.AssetDep(relationships, partition_mapping=EVERY_DOCUMENT),
        resolved_entities,
        "document_duplicates",
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "every_edge_resolved",
            asset="entity_graph",
            blocking=True,
            description="Every relationship's endpoints became graph nodes.",
        )
    ],
)
def entity_graph(context: dg.AssetExecutionContext, database: DatabaseResource):
    """The project's networkx MultiDiGraph of documents, canonical entities and their relationships,
    with DUPLICATE_OF / NEAR_DUPLICATE_OF edges from a document to its duplicate group's pivot, and
    its picture.

    Only documents that `resolved_entities` resolved are drawn, so every endpoint has its entity.
    """
    tables, project = database.tables(), context.partition_key
    as_of = _resolved_as_of(context)
    entity_of_key = _entity_of_key(tables, project)
    sources = t.source_documents
    drawn = sa.and_(sources.c.document_id.in_(completed_documents(as_of)), sources.c.project == project)
    documents = [
        (row.document_id, row.file_name)
        for row in tables.stream(sa.select(sources.c.document_id, sources.c.file_name).where(drawn))
    ]
    drawn_ids = {document_id for document_id, _ in documents}
    entities = []
    for row in tables.stream(sa.select(t.resolved_entities).where(t.resolved_entities.c.project == project)):
        aliases = row.aliases if isinstance(row.aliases, list) else json.loads(row.aliases)
        entities.append(
            Entity(
                row.entity_id,
                row.label,
                row.canonical_name,
                tuple(aliases),
                row.mention_count,
                row.document_count,
            )
        )
    edges: list[GraphEdge] = []
    unresolved = 0
    for row in tables.stream(
        sa.select(t.relationships).where(t.relationships.c.document_id.in_(in_project(project)))
    ):
        if row.document_id not in drawn_ids:
            continue
        if row.source_label in NON_NODE_LABELS or row.target_label in NON_NODE_LABELS:
            continue  # from rules older than this code version: Bates numbers and provisions are no nodes
        source = _node(row.document_id, row.source_label, row.source_name, entity_of_key)
        target = _node(row.document_id, row.target_label, row.target_name, entity_of_key)
        if source is None or target is None:
            unresolved += 1
            continue
        edges.append(
            GraphEdge(
                source,
                target,
                row.type,
                row.document_id,
                row.chunk_index,
                row.sentence,
                row.confidence,
                row._mapping["count"],  # `row.count` is also the name of Row's tuple method
            )
        )
    duplicates = t.document_duplicates
    for row in tables.stream(sa.select(duplicates).where(duplicates.c.project == project)):
        edges.append(duplicate_edge(row.document_id, row.pivot_document_id, row.kind, row.similarity))
    graph = build_graph(documents, entities, edges)
    picture = draw_project_graph(graph, project)
    edge_types = Counter(key for *_, key in graph.edges(keys=True))
    yield dg.Output(
        ProjectGraph(graph, picture),
        metadata={
            "project": project,
            "documents": len(documents),
            "nodes": graph.number_of_nodes(),
            "edges": graph.number_of_edges(),
            "edges_by_type": dg.MetadataValue.json(dict(sorted(edge_types.items()))),
            "picture": dg.MetadataValue.md(
                f"![{project}: entity graph](data:image/svg+xml;base64,{base64.b64encode(picture).decode()})"
            ),
        },
    )
    yield dg.AssetCheckResult(
        check_name="every_edge_resolved", passed=unresolved == 0, metadata={"unresolved_edges": unresolved}
    )

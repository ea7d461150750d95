"""The project's entity graph: documents and canonical entities as nodes, relationships as edges.

Node ids: a document is "document:<document_id>", an entity is its `entity_id`. A court's node
shows its courts-db name (the id is its `court_id` attribute); Bates numbers and provisions are no
nodes (`NON_NODE_LABELS`: provenance, and references that need their document). Edges are keyed
by their type; the same (source, target, type) stated by several documents is one edge whose
`count` adds up, whose `documents` lists them, and whose evidence is the most confident one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from docassets.core.legal_rules import court_name
from docassets.core.models import Entity, EntityKey, Relationship

DOCUMENT_PREFIX = "document:"
NODE_HEADER = [":ID", "name", "label", ":LABEL"]
EDGE_HEADER = [
    ":START_ID",
    ":END_ID",
    ":TYPE",
    "document_id",
    "documents",
    "document_count:int",
    "chunk_index:int",
    "sentence",
    "confidence:float",
    "count:int",
]


@dataclass(frozen=True)
class ProjectGraph:
    """A project's graph and its picture (an SVG, see `graph_picture.py`), stored side by side."""

    graph: nx.MultiDiGraph
    picture: bytes


PICTURE_FILE = "entity_graph.svg"


@dataclass(frozen=True)
class GraphEdge:
    """One relationship of one document between two graph nodes."""

    source_id: str
    target_id: str
    type: str
    document_id: str
    chunk_index: int | None
    sentence: str
    confidence: float
    count: int


# Labels that are no node of the graph: a Bates number is provenance (it locates a page, and is on
# pages, chunks and mentions); a provision ("Section 13") means something only inside its document.
NON_NODE_LABELS = frozenset({"BATES", "PROVISION"})


# What a reader looks for first among a project's entities: parties, firms, agencies and courts
# (dates, places, amounts and citations are many and say little about who is involved).
SHOWN_LABELS = ("PERSON", "ORG", "COURT")


def display_name(label: str, name: str) -> str:
    """The name a reader knows an entity by: a court's name rather than its courts-db id."""
    return (court_name(name) or name) if label == "COURT" else name


def document_node(document_id: str) -> str:
    return f"{DOCUMENT_PREFIX}{document_id}"


def graph_edge(
    document_id: str, relationship: Relationship, entity_ids: Mapping[tuple[str, str, str], str]
) -> GraphEdge:
    """A document's relationship as a graph edge; `entity_ids` maps (document_id, label,
    normalized) to the resolved entity id. Raises KeyError naming an unresolved key."""

    def node(key: EntityKey) -> str:
        if key.label == "DOCUMENT":
            return document_node(key.normalized)
        try:
            return entity_ids[(document_id, key.label, key.normalized)]
        except KeyError:
            raise KeyError(
                f"{document_id}: {relationship.type} edge refers to {key}, which resolution did not link; "
                "re-run resolved_entities for this project"
            ) from None

    return GraphEdge(
        node(relationship.source),
        node(relationship.target),
        relationship.type,
        document_id,
        relationship.chunk_index,
        relationship.sentence,
        relationship.confidence,
        relationship.count,
    )


DUPLICATE_EDGE_TYPES = {"exact": "DUPLICATE_OF", "near": "NEAR_DUPLICATE_OF"}


def duplicate_edge(document_id: str, pivot_document_id: str, kind: str, similarity: float) -> GraphEdge:
    """A document's link to its duplicate group's pivot (see `docassets.core.duplicates`), with
    the similarity as the edge's confidence."""
    return GraphEdge(
        document_node(document_id),
        document_node(pivot_document_id),
        DUPLICATE_EDGE_TYPES[kind],
        document_id,
        None,
        f"{kind} duplicate, similarity {similarity:.2f}",
        similarity,
        1,
    )


def build_graph(
    documents: Iterable[tuple[str, str]], entities: Iterable[Entity], edges: Iterable[GraphEdge]
) -> nx.MultiDiGraph:
    """Documents (document_id, file_name), entities and edges as one MultiDiGraph.
    Raises ValueError naming the edge when one of its endpoints is neither."""
    graph = nx.MultiDiGraph()
    for document_id, file_name in documents:
        graph.add_node(
            document_node(document_id),
            kind="document",
            label="DOCUMENT",
            name=file_name,
            document_id=document_id,
        )
    for e in entities:
        if e.label in NON_NODE_LABELS:
            continue
        graph.add_node(
            e.entity_id,
            kind="entity",
            label=e.label,
            name=display_name(e.label, e.canonical_name),
            aliases="; ".join(e.aliases),
            mention_count=e.mention_count,
            document_count=e.document_count,
            **({"court_id": e.canonical_name} if e.label == "COURT" and court_name(e.canonical_name) else {}),
        )
    for edge in edges:
        for end in (edge.source_id, edge.target_id):
            if end not in graph:
                raise ValueError(
                    f"{edge.type} edge {edge.source_id} -> {edge.target_id} of document "
                    f"{edge.document_id}: node {end!r} is neither a document nor a resolved entity"
                )
        if graph.has_edge(edge.source_id, edge.target_id, key=edge.type):
            data = graph.edges[edge.source_id, edge.target_id, edge.type]
            documents_seen = data["documents"].split("; ")
            if edge.document_id not in documents_seen:
                documents_seen.append(edge.document_id)
            data["documents"] = "; ".join(sorted(documents_seen))
            data["document_count"] = len(documents_seen)
            data["count"] += edge.count
            if edge.confidence > data["confidence"]:
                data.update(_evidence(edge))
        else:
            graph.add_edge(
                edge.source_id,
                edge.target_id,
                key=edge.type,
                type=edge.type,
                documents=edge.document_id,
                document_count=1,
                count=edge.count,
                **_evidence(edge),
            )
    return graph


def _evidence(edge: GraphEdge) -> dict[str, str | float | int]:
    found: dict[str, str | float | int] = {
        "document_id": edge.document_id,
        "sentence": edge.sentence,
        "confidence": float(edge.confidence),
    }
    if edge.chunk_index is not None:  # GraphML has no null: an absent attribute is the null
        found["chunk_index"] = int(edge.chunk_index)
    return found


def dangling_edges(graph: nx.MultiDiGraph) -> list[tuple[str, str, str]]:
    """(source, target, key) of edges with an endpoint that is not a document or entity node:
    networkx creates bare nodes for such endpoints, so they show as nodes without a `kind`."""
    bare = {n for n, kind in graph.nodes(data="kind") if kind not in ("document", "entity")}
    return sorted((u, v, str(k)) for u, v, k in graph.edges(keys=True) if u in bare or v in bare)


def graph_exports(graph: nx.MultiDiGraph) -> dict[str, bytes]:
    """GraphML and Neo4j admin-import CSV files of the graph."""
    graphml = io.BytesIO()
    nx.write_graphml(graph, graphml, named_key_ids=True)

    nodes = io.StringIO()
    writer = csv.writer(nodes, lineterminator="\n")
    writer.writerow(NODE_HEADER)
    for node, data in sorted(graph.nodes(data=True), key=lambda nd: str(nd[0])):
        label = data.get("label", "")
        neo_labels = (
            "Document" if data.get("kind") == "document" else f"Entity;{label}" if label else "Entity"
        )
        writer.writerow([node, data.get("name", ""), label, neo_labels])

    edges = io.StringIO()
    writer = csv.writer(edges, lineterminator="\n")
    writer.writerow(EDGE_HEADER)
    for u, v, key, data in sorted(
        graph.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))
    ):
        chunk_index = data.get("chunk_index")
        writer.writerow(
            [
                u,
                v,
                data.get("type", key),
                data.get("document_id", ""),
                data.get("documents", ""),
                data.get("document_count", 1),
                "" if chunk_index is None else chunk_index,
                data.get("sentence", ""),
                data.get("confidence", ""),
                data.get("count", 1),
            ]
        )
    return {
        "entity_graph.graphml": graphml.getvalue(),
        "nodes.csv": nodes.getvalue().encode("utf-8"),
        "edges.csv": edges.getvalue().encode("utf-8"),
    }

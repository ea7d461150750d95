"""What a reader sees first: the top of `most_documents` and of the graph picture, for a batch of PDFs.

    .venv/bin/python benchmarks/graph_top.py                 # the PDFs of samples/
    .venv/bin/python benchmarks/graph_top.py DIR [DIR ...]   # or of other folders, as one project

Runs the pipeline's core stages in process (pages, chunks, mentions, relationships, resolution,
graph: the same functions the assets call) and prints the graph's size, how many of its nodes are
Bates numbers or short citations ("Id."), the ten people, organisations and courts in most
documents (as the `resolved_entities` metadata shows them) and the 25 most connected (as
`entity_graph`'s picture).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from docassets.core.chunking import chunk_pages, document_text
from docassets.core.entities import default_extractor
from docassets.core.graph import build_graph, graph_edge
from docassets.core.pdf import extract_pages
from docassets.core.relationships import find_relationships
from docassets.core.resolution import MentionRecord, resolve_mentions

ROOT = Path(__file__).resolve().parents[1]
SHOWN = (
    "PERSON",
    "ORG",
    "COURT",
)  # docassets.core.graph.SHOWN_LABELS (spelled out: it runs on older code too)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[ROOT / "samples"])
    args = parser.parse_args()
    logging.getLogger("eyecite").setLevel(logging.ERROR)
    extractor = default_extractor()
    records, found, documents = [], {}, []
    for path in sorted(p for folder in args.folders for p in folder.glob("*.pdf")):
        document_id = path.stem
        pages = list(extract_pages(path, name=path.name))
        mentions = extractor.extract_pages(pages)
        chunks = chunk_pages(pages)
        found[document_id] = find_relationships(document_id, document_text(pages), chunks, mentions)
        records += [
            MentionRecord(f"{document_id}:{i}", document_id, m.label, m.text, m.normalized)
            for i, m in enumerate(mentions)
        ]
        documents.append((document_id, path.name))
    resolution = resolve_mentions(records, project="batch")
    ids = {(r.document_id, r.label, r.normalized): resolution.links[r.mention_id] for r in records}
    edges = []
    for document_id, relationships in found.items():
        for r in relationships:
            try:
                edges.append(graph_edge(document_id, r, ids))
            except KeyError:
                continue
    graph = _graph(documents, resolution.entities, edges)
    labels = [data.get("label") for _, data in graph.nodes(data=True)]
    short = sum(1 for _, data in graph.nodes(data=True) if str(data.get("name", "")).startswith("Id."))
    print(
        f"{len(documents)} documents, {len(records)} mentions, {len(resolution.entities)} entities; graph: "
        f"{graph.number_of_nodes()} nodes ({labels.count('BATES')} Bates numbers, {short} 'Id.'), "
        f"{graph.number_of_edges()} edges"
    )
    shown = [e for e in resolution.entities if e.label in SHOWN]
    print("\nmost documents (resolved_entities metadata):")
    for e in sorted(shown, key=lambda e: (-e.document_count, -e.mention_count))[:10]:
        name = graph.nodes[e.entity_id]["name"] if e.entity_id in graph else e.canonical_name
        print(f"  {e.label:<11} {name!r:<50} documents {e.document_count}, mentions {e.mention_count}")
    entities = [
        n for n, data in graph.nodes(data=True) if data.get("kind") == "entity" and data["label"] in SHOWN
    ]
    top = sorted(entities, key=lambda n: (-graph.degree(n), str(graph.nodes[n].get("name"))))[:25]
    print("\nmost connected (entity_graph picture):")
    print("  " + "; ".join(f"{graph.nodes[n]['label']} {graph.nodes[n]['name']}" for n in top))


def _graph(documents, entities, edges):
    """The graph of the entities and edges that survive (older rules made edges to Bates numbers)."""
    graph = build_graph(documents, entities, [])
    return build_graph(
        documents, entities, [e for e in edges if e.source_id in graph and e.target_id in graph]
    )


if __name__ == "__main__":
    main()

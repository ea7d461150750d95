"""The entity graph: built from resolved entities and edges, exported for GraphML tools and Neo4j."""

import csv
import io

import networkx as nx
import pytest

from docassets.core.graph import (
    GraphEdge,
    build_graph,
    dangling_edges,
    document_node,
    graph_edge,
    graph_exports,
)
from docassets.core.models import EntityKey, Relationship
from docassets.core.resolution import MentionRecord, resolve_mentions

BRIEF, ORDER = "3f2c9a1e-5d0b-4c57-9a55-2d7d0c6f1b11", "9b7e4d20-1c3a-4f7e-8e0d-5a6b7c8d9e0f"


@pytest.fixture(scope="module")
def resolved():
    rows = [
        (BRIEF, "PERSON", "VANESSA ST. PIERRE", "Vanessa St. Pierre"),
        (BRIEF, "ORG", "STANDARD INSURANCE COMPANY", "STANDARD INSURANCE COMPANY"),
        (BRIEF, "CASE_NUMBER", "No. 21-50498", "21-50498"),
        (BRIEF, "COURT", "Fifth Circuit", "ca5"),
        (BRIEF, "PERSON", "Michael J. Paul", "Michael J. Paul"),
        (ORDER, "PERSON", "Vanessa St. Pierre", "Vanessa St. Pierre"),
        (ORDER, "ORG", "Standard Insurance Co.", "Standard Insurance Co."),
        (ORDER, "CASE_NUMBER", "21-50498", "21-50498"),
    ]
    records = [MentionRecord(f"m{k}", d, label, text, norm) for k, (d, label, text, norm) in enumerate(rows)]
    result = resolve_mentions(records, project="wombat")
    ids = {(r.document_id, r.label, r.normalized): result.links[r.mention_id] for r in records}
    return result, ids


def relationships():
    case = EntityKey("CASE_NUMBER", "21-50498")
    st_pierre = EntityKey("PERSON", "Vanessa St. Pierre")
    return {
        BRIEF: [
            Relationship(
                "PLAINTIFF_IN", st_pierre, case, 0, "VANESSA ST. PIERRE, Plaintiff-Appellant, v. ...", 1.0
            ),
            Relationship(
                "DEFENDANT_IN",
                EntityKey("ORG", "STANDARD INSURANCE COMPANY"),
                case,
                0,
                "... v. STANDARD INSURANCE COMPANY, Defendant-Appellee.",
                1.0,
            ),
            Relationship(
                "REPRESENTS",
                EntityKey("PERSON", "Michael J. Paul"),
                st_pierre,
                3,
                "Michael J. Paul\nWOMBAT & PAUL LLP\nAttorneys for Plaintiff-Appellant",
                0.9,
                2,
            ),
            Relationship(
                "FILED_IN", EntityKey("DOCUMENT", BRIEF), EntityKey("COURT", "ca5"), 0, "FIFTH CIRCUIT", 0.9
            ),
            Relationship(
                "MENTIONS", EntityKey("DOCUMENT", BRIEF), st_pierre, None, "VANESSA ST. PIERRE, ...", 1.0, 3
            ),
        ],
        ORDER: [
            Relationship("PLAINTIFF_IN", st_pierre, case, 1, "Vanessa St. Pierre, Plaintiff", 0.8),
            Relationship(
                "MENTIONS", EntityKey("DOCUMENT", ORDER), st_pierre, 0, "Vanessa St. Pierre, Plaintiff", 1.0
            ),
        ],
    }


@pytest.fixture(scope="module")
def graph(resolved):
    result, ids = resolved
    edges = [graph_edge(d, r, ids) for d, rs in relationships().items() for r in rs]
    return build_graph([(BRIEF, "st-pierre-opening-brief.pdf"), (ORDER, "order.pdf")], result.entities, edges)


def test_documents_and_entities_become_nodes_and_same_edges_add_up(graph, resolved):
    result, ids = resolved
    st_pierre = ids[(BRIEF, "PERSON", "Vanessa St. Pierre")]
    case = ids[(BRIEF, "CASE_NUMBER", "21-50498")]
    assert graph.nodes[document_node(BRIEF)] == {
        "kind": "document",
        "label": "DOCUMENT",
        "name": "st-pierre-opening-brief.pdf",
        "document_id": BRIEF,
    }
    assert graph.nodes[st_pierre]["name"] == "Vanessa St. Pierre"
    assert graph.nodes[st_pierre]["kind"] == "entity"
    plaintiff = graph.edges[st_pierre, case, "PLAINTIFF_IN"]
    assert plaintiff["count"] == 2 and plaintiff["document_count"] == 2
    assert plaintiff["documents"] == "; ".join(sorted([BRIEF, ORDER]))
    assert plaintiff["confidence"] == 1.0 and plaintiff["document_id"] == BRIEF  # the most confident evidence
    insurer = ids[(ORDER, "ORG", "Standard Insurance Co.")]
    assert graph.has_edge(insurer, case, "DEFENDANT_IN")
    assert graph.number_of_nodes() == 2 + len(result.entities)
    assert dangling_edges(graph) == []


def test_an_edge_to_an_unknown_node_is_refused_by_name(resolved):
    result, _ = resolved
    stray = GraphEdge("no-such-entity", document_node(BRIEF), "MENTIONS", BRIEF, 0, "x", 1.0, 1)
    with pytest.raises(ValueError, match="MENTIONS edge no-such-entity -> document:3f2c"):
        build_graph([(BRIEF, "a.pdf")], result.entities, [stray])


def test_unresolved_key_is_named(resolved):
    _, ids = resolved
    rel = Relationship("MENTIONS", EntityKey("DOCUMENT", BRIEF), EntityKey("PERSON", "Nobody"), 0, "", 1.0)
    with pytest.raises(KeyError, match="PERSON:Nobody"):
        graph_edge(BRIEF, rel, ids)


def test_dangling_edges_found_on_a_loaded_graph():
    loaded = nx.MultiDiGraph()
    loaded.add_node("document:d1", kind="document")
    loaded.add_edge("document:d1", "e-gone", key="MENTIONS")
    assert dangling_edges(loaded) == [("document:d1", "e-gone", "MENTIONS")]


def test_graphml_round_trips_with_its_attributes(graph):
    files = graph_exports(graph)
    loaded = nx.read_graphml(io.BytesIO(files["entity_graph.graphml"]), force_multigraph=True)
    assert isinstance(loaded, nx.MultiDiGraph)
    assert set(loaded.nodes) == set(graph.nodes)
    assert loaded.number_of_edges() == graph.number_of_edges()
    for u, v, key, data in graph.edges(keys=True, data=True):
        assert loaded.edges[u, v, key] == data
    for node, data in graph.nodes(data=True):
        assert loaded.nodes[node] == data
    mentions = [
        data
        for u, v, key, data in loaded.edges(keys=True, data=True)
        if u == document_node(BRIEF) and key == "MENTIONS"
    ]
    assert len(mentions) == 1 and "chunk_index" not in mentions[0]  # no chunk: absent, not "None"


def test_csv_files_have_neo4j_import_headers_and_every_row(graph):
    files = graph_exports(graph)
    nodes = list(csv.reader(io.StringIO(files["nodes.csv"].decode())))
    edges = list(csv.reader(io.StringIO(files["edges.csv"].decode())))
    assert nodes[0] == [":ID", "name", "label", ":LABEL"]
    assert edges[0][:3] == [":START_ID", ":END_ID", ":TYPE"]
    assert len(nodes) - 1 == graph.number_of_nodes()
    assert len(edges) - 1 == graph.number_of_edges()
    rows = {r[0]: r for r in nodes[1:]}
    assert rows[document_node(ORDER)][1:] == ["order.pdf", "DOCUMENT", "Document"]
    assert any(r[1:] == ["Vanessa St. Pierre", "PERSON", "Entity;PERSON"] for r in nodes[1:])
    header = edges[0]
    represents = next(dict(zip(header, r, strict=True)) for r in edges[1:] if r[2] == "REPRESENTS")
    assert represents["count:int"] == "2"
    assert represents["sentence"] == "Michael J. Paul\nWOMBAT & PAUL LLP\nAttorneys for Plaintiff-Appellant"
    node_ids = set(rows)
    assert all(r[0] in node_ids and r[1] in node_ids for r in edges[1:])


def test_courts_show_their_names_and_bates_numbers_and_provisions_are_no_nodes():
    records = [
        MentionRecord("m1", BRIEF, "COURT", "Tenth Circuit", "ca10"),
        MentionRecord("m2", BRIEF, "BATES", "WOMBAT 000454", "WOMBAT 000454"),
        MentionRecord("m3", BRIEF, "PERSON", "Vanessa St. Pierre", "Vanessa St. Pierre"),
        MentionRecord("m4", BRIEF, "PROVISION", "Section 13", "Section 13"),
        MentionRecord("m5", "another-document", "PROVISION", "Section 13", "Section 13"),
    ]
    result = resolve_mentions(records, project="wombat")
    graph = build_graph([(BRIEF, "brief.pdf")], result.entities, [])
    court = graph.nodes[result.links["m1"]]
    assert (court["name"], court["court_id"]) == ("Court of Appeals for the Tenth Circuit", "ca10")
    assert result.links["m2"] not in graph, "a Bates number is provenance, not a node"
    assert result.links["m4"] not in graph, "a provision means something only in its document"
    assert result.links["m4"] != result.links["m5"], "Section 13 of two documents may be of two laws"
    assert {data["label"] for _, data in graph.nodes(data=True)} == {"DOCUMENT", "COURT", "PERSON"}

"""The picture of a project's graph: readable at the size of a screen, with legends and the project's name."""

import re

import networkx as nx

from docassets.core.graph_picture import NODES, picture, pictured_subgraph

ROLES = ["REPRESENTS", "MEMBER_OF", "PLAINTIFF_IN", "CO_OCCURS"]


def crowded_graph(entities: int = 40) -> nx.MultiDiGraph:
    """Many entities with long names, densely connected: where names would collide."""
    graph = nx.MultiDiGraph()
    labels = ["PERSON", "ORG", "COURT", "CASE_NUMBER", "DATE"]
    for k in range(entities):
        graph.add_node(
            f"e{k}",
            kind="entity",
            label=labels[k % len(labels)],
            name=f"Entity number {k} of Wombat Holdings International",
            document_count=1,
        )
    graph.add_node("document:d1", kind="document", label="DOCUMENT", name="brief.pdf")
    for k in range(entities):
        graph.add_edge("document:d1", f"e{k}", key="MENTIONS", type="MENTIONS")
        for step in (1, 2, 5):
            role = ROLES[(k + step) % len(ROLES)]
            graph.add_edge(f"e{k}", f"e{(k + step) % entities}", key=role, type=role)
    return graph


def test_only_the_most_connected_people_organisations_courts_and_cases_are_drawn():
    graph = crowded_graph()
    graph.add_edge("e0", "e3", key="REPRESENTS", type="REPRESENTS")  # e0 and e3 gain a neighbour
    shown = pictured_subgraph(graph, n=10)
    assert shown.number_of_nodes() == 10
    assert {graph.nodes[n]["label"] for n in shown} <= {"PERSON", "ORG", "COURT", "CASE_NUMBER"}
    assert "document:d1" not in shown and not any(k == "MENTIONS" for *_, k in shown.edges(keys=True))


def test_names_never_overlap_each_other_or_a_node():
    drawn = picture(crowded_graph(), "wombat-v-acme")
    names, nodes = list(drawn.labels.values()), drawn.nodes
    assert len(nodes) == NODES
    assert len(names) >= NODES * 3 // 4, "most nodes keep their name"
    for i, name in enumerate(names):
        assert not any(name.overlaps(other) for other in names[i + 1 :])
    for node, name in drawn.labels.items():
        assert not any(name.overlaps(box) for other, box in nodes.items() if other != node)


def test_the_svg_names_the_project_and_has_legends_for_entity_and_relationship_types():
    svg = picture(crowded_graph(), "wombat-v-acme").svg("wombat-v-acme").decode()
    text = " ".join(re.findall(r">([^<>]+)</text>", svg))  # the SVG keeps its text as text
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "wombat-v-acme" in text
    assert "entity type" in text and "relationship type" in text
    assert {"person", "organisation", "court", "case"} <= set(text.split())
    assert re.search(r"REPRESENTS \(\d+\)", text) and re.search(r"CO_OCCURS \(\d+\)", text)


def test_an_empty_project_is_drawn_with_its_name_and_says_so():
    svg = picture(nx.MultiDiGraph(), "new-matter").svg("new-matter").decode()
    assert "new-matter" in svg and "no people, organisations, courts or cases yet" in svg

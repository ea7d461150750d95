"""A picture of one project's entity graph that a person can read at the size of a screen.

Only the most connected people, organisations, courts and cases are drawn, with the relationships
between them; a label that would overlap another label or a node is moved around its node, and
left out (the node stays) when no place is free. Legends name the entity types (node colours) and
the relationship types (edge colours); the title is the project's name. The picture is an SVG with
its text kept as text, so a browser shows it sharp at any size and the names can be searched.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

PICTURED_LABELS = ("PERSON", "ORG", "COURT", "CASE_NUMBER")
LABEL_NAMES = {"PERSON": "person", "ORG": "organisation", "COURT": "court", "CASE_NUMBER": "case"}
LABEL_COLOURS = {"PERSON": "#4e79a7", "ORG": "#f28e2b", "COURT": "#59a14f", "CASE_NUMBER": "#e15759"}
# Relationship types in the order of the legend; a type not named here is grey.
EDGE_COLOURS = {
    "REPRESENTS": "#d62728",
    "MEMBER_OF": "#9467bd",
    "PRESIDES_OVER": "#2ca02c",
    "PLAINTIFF_IN": "#1f77b4",
    "DEFENDANT_IN": "#ff7f0e",
    "PETITIONER_IN": "#17becf",
    "RESPONDENT_IN": "#bcbd22",
    "APPELLANT_IN": "#8c564b",
    "APPELLEE_IN": "#e377c2",
    "CO_OCCURS": "#c7c7c7",
}
OTHER_EDGE_COLOUR = "#7f7f7f"
NODES = 20  # the most connected entities drawn
WIDTH, HEIGHT, DPI = 11.0, 7.5, 100  # inches: about the width of the UI's metadata dialog
FONT_SIZE = 9
NAME_LIMIT = 30


@dataclass(frozen=True)
class Box:
    """A rectangle in display units (points from the lower left)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


def pictured_subgraph(graph: nx.MultiDiGraph, n: int = NODES) -> nx.MultiDiGraph:
    """The `n` entities of `PICTURED_LABELS` with most relationships to other such entities (then
    most documents), and the relationships between them."""
    entities = {
        node
        for node, data in graph.nodes(data=True)
        if data.get("kind") == "entity" and data.get("label") in PICTURED_LABELS
    }
    between = graph.subgraph(entities)
    documents = dict(graph.nodes(data="document_count", default=0))

    def rank(node: str) -> tuple[int, int, str]:
        return (-between.degree(node), -(documents[node] or 0), str(graph.nodes[node].get("name", node)))

    return nx.MultiDiGraph(between.subgraph(sorted(entities, key=rank)[:n]))


@dataclass
class Picture:
    """The drawn figure, the boxes of the names placed and of the nodes (display units)."""

    figure: Figure
    labels: dict[str, Box]
    nodes: dict[str, Box]

    def svg(self, project: str) -> bytes:
        from matplotlib import rc_context

        out = io.BytesIO()
        with rc_context({"svg.fonttype": "none", "svg.hashsalt": project}):  # text stays text; stable ids
            self.figure.savefig(  # opaque: the UI's dialog shows through a transparent picture
                out,
                format="svg",
                facecolor="white",
                metadata={"Title": f"{project}: entity graph", "Date": None},
            )
        return out.getvalue()


def draw_project_graph(graph: nx.MultiDiGraph, project: str, n: int = NODES) -> bytes:
    """The SVG picture of a project's graph (see the module's description)."""
    return picture(graph, project, n).svg(project)


def picture(graph: nx.MultiDiGraph, project: str, n: int = NODES) -> Picture:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.lines import Line2D

    shown = pictured_subgraph(graph, n)
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    canvas = FigureCanvasAgg(figure)  # measures the names' extents
    labels: dict[str, Box] = {}
    node_boxes: dict[str, Box] = {}
    ax = figure.add_axes((0.01, 0.02, 0.72, 0.86))
    ax.set_axis_off()
    documents = sum(1 for _, kind in graph.nodes(data="kind") if kind == "document")
    entities = sum(1 for _, kind in graph.nodes(data="kind") if kind == "entity")
    figure.suptitle(project, x=0.01, y=0.985, ha="left", fontsize=16, fontweight="bold")
    figure.text(
        0.01,
        0.925,
        f"{documents} documents, {entities} entities, {graph.number_of_edges()} relationships; "
        f"drawn: the {shown.number_of_nodes()} most connected people, organisations, courts and cases",
        fontsize=10,
        color="#444444",
    )
    if shown.number_of_nodes():
        simple = nx.Graph(shown)
        position = (
            nx.kamada_kawai_layout(simple) if simple.number_of_nodes() > 2 else nx.circular_layout(simple)
        )
        degree = dict(simple.degree())
        types = Counter(key for *_, key in shown.edges(keys=True))
        for u, v, key in shown.edges(keys=True):
            (x0, y0), (x1, y1) = position[u], position[v]
            ax.plot(
                [x0, x1],
                [y0, y1],
                color=EDGE_COLOURS.get(key, OTHER_EDGE_COLOUR),
                linewidth=0.8 if key == "CO_OCCURS" else 1.6,
                zorder=1,
            )
        xs, ys = zip(*(position[node] for node in shown), strict=True)
        radius = {node: 5.0 + min(degree[node], 10) for node in shown}  # points
        ax.scatter(
            xs,
            ys,
            s=[math.pi * radius[node] ** 2 for node in shown],
            c=[LABEL_COLOURS[shown.nodes[node]["label"]] for node in shown],
            edgecolors="white",
            linewidths=1.0,
            zorder=2,
        )
        # fixed limits, so that display positions measured now stay where they are drawn
        for set_limits, values in ((ax.set_xlim, xs), (ax.set_ylim, ys)):
            low, high = min(values), max(values)
            pad = 0.12 * (high - low or 1.0)
            set_limits(low - pad, high + pad)
        by_importance = sorted(shown, key=lambda node: -degree[node])
        node_boxes = {node: _node_box(ax, position[node], radius[node]) for node in by_importance}
        names = {node: _short(shown.nodes[node]) for node in shown}
        labels = place_labels(ax, canvas.get_renderer(), position, radius, node_boxes, names)  # type: ignore[no-untyped-call]
        node_legend = ax.legend(
            handles=[
                Line2D([], [], marker="o", linestyle="", markersize=9, color=LABEL_COLOURS[label], label=name)
                for label, name in LABEL_NAMES.items()
                if any(shown.nodes[node]["label"] == label for node in shown)
            ],
            title="entity type",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=FONT_SIZE,
        )
        ax.add_artist(node_legend)
        ordered = [key for key in EDGE_COLOURS if key in types] + sorted(set(types) - set(EDGE_COLOURS))
        ax.legend(
            handles=[
                Line2D(
                    [],
                    [],
                    color=EDGE_COLOURS.get(key, OTHER_EDGE_COLOUR),
                    linewidth=2,
                    label=f"{key} ({types[key]})",
                )
                for key in ordered
            ],
            title="relationship type",
            loc="upper left",
            bbox_to_anchor=(1.01, 0.62),
            frameon=False,
            fontsize=FONT_SIZE,
        )
    else:
        ax.text(
            0.5, 0.5, "no people, organisations, courts or cases yet", ha="center", va="center", fontsize=13
        )
    return Picture(figure, labels, node_boxes)


def _node_box(ax: Axes, point: Sequence[float], radius: float) -> Box:
    x, y = ax.transData.transform(point)
    r = radius * DPI / 72  # points to display units
    return Box(x - r, y - r, x + r, y + r)


def place_labels(
    ax: Axes,
    renderer: RendererBase,
    position: Mapping[str, Sequence[float]],
    radius: Mapping[str, float],
    node_boxes: dict[str, Box],
    names: Mapping[str, str],
) -> dict[str, Box]:
    """Put each node's name beside it, in the order of `node_boxes` (most connected first), where
    it overlaps no name placed before and no node; a name with no free place is left out. Returns
    the boxes of the names placed."""
    inside = ax.get_window_extent(renderer)
    placed: dict[str, Box] = {}
    for node in node_boxes:
        x, y = position[node]
        for dx, dy, ha, va in _CANDIDATES:
            far = abs(dx) > 1 or abs(dy) > 1  # beyond the first ring: a line leads to the node
            gap = radius[node] + 2
            offset = (dx + math.copysign(gap, dx) * (dx != 0), dy + math.copysign(gap, dy) * (dy != 0))
            text = ax.annotate(
                names[node],
                (x, y),
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=FONT_SIZE,
                zorder=3,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
                arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.6, "linestyle": ":"}
                if far
                else None,
            )
            extent = text.get_window_extent(renderer)
            box = Box(extent.x0, extent.y0, extent.x1, extent.y1)
            others = [*placed.values(), *(b for n, b in node_boxes.items() if n != node)]
            if not any(box.overlaps(other) for other in others) and _within(box, inside):
                placed[node] = box
                break
            text.remove()
    return placed


# Offsets (points, beyond the node's edge) around a node, nearest first: right, left, above,
# below, the diagonals, then further out.
_CANDIDATES = [
    (dx * scale, dy * scale, ha, va)
    for scale in (1, 4, 8)
    for dx, dy, ha, va in (
        (1, 0, "left", "center"),
        (-1, 0, "right", "center"),
        (0, 1, "center", "bottom"),
        (0, -1, "center", "top"),
        (1, 1, "left", "bottom"),
        (-1, 1, "right", "bottom"),
        (1, -1, "left", "top"),
        (-1, -1, "right", "top"),
    )
]


def _within(box: Box, frame: Bbox) -> bool:
    return bool(box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1)


def _short(data: Mapping[str, object]) -> str:
    name = str(data.get("name", ""))
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"

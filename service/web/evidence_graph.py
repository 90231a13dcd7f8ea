"""The evidence paths of one recusal explanation drawn as a small layered graph: the cadre on
the left, the target unit on the right, the persons, units and regions of each path in
between by their position on it. Pure: an explanation's dict (`Explanation.to_dict()`) →
nodes and edges with coordinates → an inline SVG string, every text escaped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from conflicts.explanation import KIN_TEXT
from conflicts.policy import Kin
from pool.formats import SOURCE_TYPES

BOX_W, BOX_H = 150, 46  # a node's box
COL_W, ROW_H = 340, 96  # distance between layers, between nodes of a layer
MARGIN = 24
LANE_H, LABEL_H = 40, 15  # below the nodes: a lane per long step; a line of its label
NAME_CHARS = 10  # longer names are cut (the full name is the node's tooltip)
MAX_PATHS = 12  # a drawing stays readable; the text explanation lists every path

_SOURCE = {c.code: c.zh for c in SOURCE_TYPES}
# relations whose edge ends at a unit, or at a region (everything else: a person)
_TO_UNIT = {"employment", "parent_unit", "subordinate_unit", "home_unit", "same_system",
            "supervised_by", "supervises", "target_region", "business_interest", "recusal"}
_TO_REGION = {"native_region", "grew_up_region", "work_region", "within_region"}


@dataclass(frozen=True)
class Node:
    key: str  # "" for a relative whose name is withheld
    name: str
    kind: str  # cadre, target, person, unit, region, withheld
    layer: int
    x: int
    y: int


@dataclass(frozen=True)
class GraphEdge:
    """One step between two nodes (steps between the same two nodes are merged): its
    labels (relation and dates: 丈夫(2018-01-06—)) and the sources of its records
    (档案 · 档案〔2021〕493号). A step over more than one layer curves through a lane below
    the nodes (`lane` is its y), so it never crosses a box."""

    source: str  # node ids (a key, or "kin:<category>" for a withheld relative)
    target: str
    labels: tuple[str, ...]
    notes: tuple[str, ...]
    x1: int
    y1: int
    x2: int
    y2: int
    lane: int | None = None

    def label_at(self) -> tuple[int, int]:
        """Where the labels go: the middle of the line, or the bottom of the curve."""
        if self.lane is None:
            return (self.x1 + self.x2) // 2, (self.y1 + self.y2) // 2
        return (self.x1 + self.x2) // 2, (self.y1 + self.y2) // 8 + 3 * self.lane // 4

    def path(self) -> str:
        if self.lane is None:
            return f"M{self.x1},{self.y1} L{self.x2},{self.y2}"
        return (f"M{self.x1},{self.y1} C{self.x1},{self.lane} {self.x2},{self.lane} "
                f"{self.x2},{self.y2}")


@dataclass(frozen=True)
class Graph:
    nodes: dict[str, Node]
    edges: list[GraphEdge]
    width: int
    height: int
    paths_left_out: int  # evidence paths beyond MAX_PATHS, not drawn


def _when(edge: dict[str, Any]) -> str:
    start, end = edge.get("start"), edge.get("end")
    return "" if start is None and end is None else f"({start or ''}—{end or ''})"


def _note(edge: dict[str, Any]) -> str:
    if edge.get("source_type") is None and edge.get("source_ref") is None:
        return ""
    parts = [_SOURCE.get(edge.get("source_type") or "", edge.get("source_type")),
             edge.get("source_ref")]
    return " · ".join(str(p) for p in parts if p)


def _paths(explanation: dict[str, Any]) -> list[list[tuple[str, str, str, dict[str, Any]]]]:
    """Each evidence path as its steps (source id, target id, kind of target, edge)."""
    cadre, target = explanation["cadre_key"], explanation["target_key"]
    out = []
    for reason in explanation["reasons"]:
        for ev in reason["evidence"]:
            if ev["edges"]:
                out.append([(e["source_key"], e["target_key"], _kind_of(e["relation"]), e)
                            for e in ev["edges"]])
            elif ev.get("kin"):  # need to know: the kinship category, no relative
                zh, en = KIN_TEXT[Kin(ev["kin"])]
                hidden = f"kin:{ev['kin']}"
                out.append([(cadre, hidden, "withheld", {
                    "label_zh": f"亲属：{zh}", "target_name": f"{zh} {en}"}),
                    (hidden, target, "target", {"label_zh": "与被巡察单位有关"})])
    return out


def _kind_of(relation: str) -> str:
    """What an edge of this relation ends at: a unit, a region or (kinship) a person."""
    return "unit" if relation in _TO_UNIT else "region" if relation in _TO_REGION else "person"


def layout(explanation: dict[str, Any]) -> Graph:
    """Nodes in layers by their furthest position on any path (the cadre first, the
    target last), in order of first appearance within a layer; edges deduplicated."""
    cadre, target = explanation["cadre_key"], explanation["target_key"]
    paths = _paths(explanation)
    left_out = max(0, len(paths) - MAX_PATHS)
    paths = paths[:MAX_PATHS]
    names = {cadre: explanation["cadre_name"], target: explanation["target_name"]}
    kinds = {cadre: "cadre", target: "target"}
    layer: dict[str, int] = {cadre: 0}
    for steps in paths:
        for position, (source, dest, kind, edge) in enumerate(steps, start=1):
            names.setdefault(source, edge.get("source_name", source))
            names.setdefault(dest, edge.get("target_name", dest))
            kinds.setdefault(dest, kind)
            if dest not in (cadre, target):
                layer[dest] = max(layer.get(dest, 0), position)
    last = max([*layer.values(), 0]) + 1
    layer[target] = last
    columns: dict[int, list[str]] = {}
    for node_id, at in layer.items():  # dicts keep first-appearance order
        columns.setdefault(at, []).append(node_id)
    rows = max(len(ids) for ids in columns.values())
    height = 2 * MARGIN + (rows - 1) * ROW_H + BOX_H
    nodes = {}
    for at, ids in columns.items():
        top = MARGIN + (rows - len(ids)) * ROW_H // 2
        for i, node_id in enumerate(ids):
            nodes[node_id] = Node("" if kinds[node_id] == "withheld" else node_id,
                                  names[node_id], kinds[node_id], at,
                                  MARGIN + at * COL_W, top + i * ROW_H)
    steps_between: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for steps in paths:
        for source, dest, _kind, edge in steps:
            labels, notes = steps_between.setdefault((source, dest), ([], []))
            for found, text in ((labels, f"{edge.get('label_zh', '')}{_when(edge)}"),
                                (notes, _note(edge))):
                if text and text not in found:
                    found.append(text)
    edges, bottom = [], height - MARGIN
    for (source, dest), (labels, notes) in steps_between.items():
        a, b = nodes[source], nodes[dest]
        if b.layer == a.layer + 1:  # the next layer: a straight line, box side to side
            edges.append(GraphEdge(source, dest, tuple(labels), tuple(notes), a.x + BOX_W,
                                   a.y + BOX_H // 2, b.x, b.y + BOX_H // 2))
            continue
        bottom += LANE_H + LABEL_H * (len(labels) + len(notes) - 1)
        edges.append(GraphEdge(source, dest, tuple(labels), tuple(notes), a.x + BOX_W // 2,
                               a.y + BOX_H, b.x + BOX_W // 2, b.y + BOX_H, lane=bottom))
    width = 2 * MARGIN + last * COL_W + BOX_W
    height = bottom + MARGIN + (24 if left_out else 0)
    return Graph(nodes, edges, width, height, left_out)


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1] + "…"


def to_svg(graph: Graph, id_prefix: str, title: str) -> Markup:
    """The graph as an inline `<svg>` (styled by classes of web.css and presentation
    attributes, never a style attribute); `id_prefix` keeps its marker id unique on a
    page of several graphs."""
    marker = f"{id_prefix}-arrow"
    out = [f'<svg class="evidence-graph" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'width="{graph.width}" height="{graph.height}" '
           f'viewBox="0 0 {graph.width} {graph.height}" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>",
           f'<defs><marker id="{escape(marker)}" viewBox="0 0 10 10" refX="10" refY="5" '
           'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" class="evidence-graph__arrow"/></marker></defs>']
    for e in graph.edges:
        mx, my = e.label_at()
        lines = [("label", t) for t in e.labels] + [("note", t) for t in e.notes]
        top = my - 6 - LABEL_H * (len(e.labels) - 1)  # labels above the line, notes below
        out.append(f'<g class="evidence-graph__edge" data-source="{escape(e.source)}" '
                   f'data-target="{escape(e.target)}"><path d="{e.path()}" fill="none" '
                   f'marker-end="url(#{escape(marker)})"/>')
        for i, (kind, text) in enumerate(lines):
            y = top + i * LABEL_H + (6 if kind == "note" else 0)
            out.append(f'<text x="{mx}" y="{y}" text-anchor="middle" '
                       f'class="evidence-graph__{kind}">{escape(text)}</text>')
        out.append("</g>")
    for n in graph.nodes.values():
        cx = n.x + BOX_W // 2
        out.append(f'<g class="evidence-graph__node evidence-graph__node--{n.kind}" '
                   f'data-key="{escape(n.key)}"><title>{escape(n.name)} {escape(n.key)}'
                   f'</title><rect x="{n.x}" y="{n.y}" width="{BOX_W}" height="{BOX_H}" '
                   f'rx="6"/><text x="{cx}" y="{n.y + 20}" text-anchor="middle" '
                   f'class="evidence-graph__name">{escape(_short(n.name))}</text>')
        second = n.key if n.key else "姓名不显示 name withheld"
        out.append(f'<text x="{cx}" y="{n.y + 37}" text-anchor="middle" '
                   f'class="evidence-graph__key">{escape(second)}</text></g>')
    if graph.paths_left_out:
        out.append(f'<text x="{MARGIN}" y="{graph.height - 8}" class="evidence-graph__note">'
                   f"另有 {graph.paths_left_out} 条证据路径未画出，见文字说明 / "
                   f"{graph.paths_left_out} more paths are in the text below</text>")
    out.append("</svg>")
    return Markup("".join(out))


def evidence_svg(explanation: dict[str, Any], id_prefix: str) -> Markup | None:
    """The drawing of an explanation's evidence, or None when there is none to draw."""
    if not any(ev["edges"] or ev.get("kin") for r in explanation["reasons"]
               for ev in r["evidence"]):
        return None
    title = (f"证据路径 evidence paths：{explanation['cadre_name']} "
             f"{explanation['cadre_key']} → {explanation['target_name']} "
             f"{explanation['target_key']}")
    return to_svg(layout(explanation), id_prefix, title)

"""Draw a failing expression from both engines: the learner's `draw_dot`, done.

`mgdesk.check` hands over each engine's graph as plain data (nodes with label, op, data and
grad; edges from input to result; the ids whose numbers disagree with the other engine).
Here each becomes a `Graph` of the ops view, as `trace_graph` makes for a mgdesk `Value`
(every value a record, every operation a small circle in front of its result), and is drawn
with the same DOT and renderer, the disagreeing nodes outlined in MARK's colour.

    theirs, ours = pair_graphs(failure["graph"])
    svg = GraphRenderer().render_graph(theirs.graph, styles=theirs.styles).svg
"""

from dataclasses import dataclass, field

from mgdesk.viz.graph import Graph, GraphNode
from mgdesk.viz.svg import NodeStyle

__all__ = ["MARK", "MARK_COLOUR", "DrawnSide", "pair_graphs", "side_graph"]

MARK_COLOUR = "#d500f9"  # the colour the window's gradient check marks disagreement with
MARK = NodeStyle(stroke=MARK_COLOUR, penwidth=5.0)


@dataclass(frozen=True)
class DrawnSide:
    """One engine's drawing: the Graph, the styles that mark its differences, or why not."""

    graph: Graph | None
    styles: dict = field(default_factory=dict)  # svg id -> NodeStyle
    error: str = ""  # why there is no drawing ("" when there is one)
    differs: tuple = ()  # the GraphNodes (values) whose numbers disagree


def side_graph(side):
    """The ops-view Graph of one side of a failure's "graph" data."""
    if "error" in side:
        return DrawnSide(None, error=side["error"])
    made = {}
    for a, b in side["edges"]:
        made.setdefault(b, []).append(a)
    last = side["nodes"][-1]["id"] if side["nodes"] else None
    nodes, edges = [], []
    for i, node in enumerate(side["nodes"]):
        vid, inputs = node["id"], made.get(node["id"], [])
        role = "loss" if vid == last else "intermediate" if inputs else "input"
        if role == "input" and not node["label"]:
            role = "constant"
        data, grad = float(node["data"]), float(node["grad"])
        nodes.append(GraphNode(vid, "value", node["label"], node["op"], role, i, data, grad))
        if inputs:
            oid = f"{vid}_op"
            nodes.append(GraphNode(oid, "op", node["op"], node["op"], "op", i, data, grad))
            edges.extend((a, oid) for a in inputs)
            edges.append((oid, vid))
    differs = set(side.get("differs", ()))
    graph = Graph(tuple(nodes), tuple(edges), "ops")
    styles = {n.id: MARK for n in nodes if n.kind == "value" and n.id in differs}
    marked = tuple(n for n in nodes if n.id in styles)
    return DrawnSide(graph, styles, "", marked)


def pair_graphs(failure_graph):
    """(theirs, ours): a DrawnSide for each engine of a failing check's "graph"."""
    return side_graph(failure_graph["theirs"]), side_graph(failure_graph["ours"])

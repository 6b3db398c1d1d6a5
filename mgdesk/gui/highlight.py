"""How the graph marks things: the backward stepper's progress and gradient-check failures.

Plain functions from a traced `Graph` to `{svg id: NodeStyle}`, which the SVG template
patches in without a new layout (see mgdesk.viz.svg).
"""

from mgdesk.teach.explain import fmt
from mgdesk.viz import NodeStyle
from mgdesk.viz.trace import HUB_OP

__all__ = ["CURRENT", "DISAGREES", "RECEIVING", "WAITING", "mark_styles", "node_tooltip"]

CURRENT = NodeStyle(stroke="#e65100", penwidth=6.0)  # the node whose _backward just ran
RECEIVING = NodeStyle(stroke="#ff9800", penwidth=3.5)  # its inputs: their grads just grew
WAITING = NodeStyle(opacity=0.3)  # their turn is still to come
DISAGREES = NodeStyle(stroke="#d500f9", penwidth=7.0)  # engine grad != finite differences


def stepper_styles(stepper, graph, topo):
    """Styles for the stepper's position: `topo[i]` is the Value drawn as node `n<i>`.

    An op node looks like the value it makes (its turn is that value's `_backward`).
    """
    current = stepper.current
    receiving = set(stepper.touched(stepper.position)) if current is not None else set()
    receiving.discard(current)
    styles = {}
    for node in graph.nodes:
        value = topo[node.index]
        state = stepper.state_of(value)
        if state == "current":
            styles[node.id] = CURRENT
        elif node.kind == "value" and value in receiving:
            styles[node.id] = RECEIVING
        elif state == "waiting":
            styles[node.id] = WAITING
    return styles


def mark_styles(graph, labels, styles=None):
    """`styles` plus a mark on the parameters named in `labels` (in the neuron view: on
    the neurons that own them); a marked node is never dimmed."""
    styles = dict(styles or {})
    if not labels:
        return styles
    params = set(labels)
    neurons = {label.rsplit(".", 1)[0] for label in labels}
    for node in graph.nodes:
        if node.label in params or (node.kind == "neuron" and node.label in neurons):
            styles[node.id] = DISAGREES
    return styles


def node_tooltip(node):
    """Hover text of a drawn node (a GraphNode): what it is, its data and its grad."""
    if node.kind == "op":
        if node.op == HUB_OP:
            return f"{node.label}: every output of one layer feeds every neuron of the next"
        return f"{node.op} makes n{node.index}\ndata {fmt(node.data)}\ngrad {fmt(node.grad)}"
    name = node.label or node.id
    head = f"{name} ({node.op})" if node.op else name
    lines = [head, f"data {fmt(node.data)}", f"grad {fmt(node.grad)}"]
    if node.kind == "neuron":
        lo, hi = node.weight_grads
        lines[1] = f"out {fmt(node.data)}"
        lines.append(f"weight grads {fmt(lo)} … {fmt(hi)}")
    return "\n".join(lines)

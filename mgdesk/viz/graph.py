"""Trace a Value graph into plain nodes and edges, the things the picture draws.

Two views of one sample's loss:

- ops: every `Value` is a node `n<i>` (its place in `root.topological_order()`, inputs
  first), and every value made by an operation has a small op node `n<i>_op` in front of it,
  as in micrograd's `draw_dot`. Edges run input value -> op node -> result value; an input
  used twice (`a + a`) has two edges.
- neurons: one node per neuron (`Σ w·x + b → act`), plus the inputs, the target and the loss.
  A neuron's id is the id its output value has in the ops view. Two wide layers (more than
  DENSE_EDGES weights between them, e.g. 64 x 64) are joined through one small "64x64" hub
  node, so a 256-wide network stays quick to lay out and small to draw.

The ids are stable for a given architecture, so a layout can be reused and patched, and the
GUI can hit-test a node by its SVG element id.
"""

from dataclasses import dataclass

from mgdesk.viz.roles import value_role

__all__ = ["HUB_OP", "Graph", "GraphNode", "ops_node_count", "trace_graph", "trace_neurons"]

DENSE_EDGES = 1024  # neuron view: more edges than this between two layers go through a hub
HUB_OP = "all to all"  # the op of the hub node between two wide layers


@dataclass(frozen=True)
class GraphNode:
    """One box in the picture: what it is and the numbers it shows."""

    id: str  # SVG element id: "n7" (value 7 in topological order), "n7_op" (the op making it)
    kind: str  # "value", "op" or "neuron"
    label: str  # engine name ("x1", "L1.N3.w2", "loss"), "" if unnamed; the op for op nodes
    op: str  # the operation that made the value ("" for a leaf); a neuron's activation
    role: str  # a value's role (viz.roles.ROLES: "input", "parameter", ...), "op" or "neuron"
    index: int  # topological index of the value (of the output value for an op or a neuron)
    data: float
    grad: float
    weight_grads: tuple = ()  # neuron view: (smallest, largest) grad of the neuron's weights
    group: str = ""  # network view: the neuron ("L1.N2"), input, "y" or "loss" it belongs to


@dataclass(frozen=True)
class Graph:
    nodes: tuple  # GraphNode, in drawing order
    edges: tuple  # (from id, to id); repeated when a value is used twice by one op
    view: str  # "ops", "neurons" or "network"
    weights: tuple = ()  # network view: the weight each edge stands for, or None
    positions: tuple = ()  # network view: each node's pinned centre (x, y) in points
    stacked: bool = False  # network view: records in three rows instead of one

    def shape(self):
        """Everything that decides the layout (not the numbers): a cache key."""
        return (
            self.view,
            tuple((n.id, n.kind, n.label, n.role) for n in self.nodes),
            self.edges,
            self.positions,
            self.stacked,
        )


def ops_node_count(root):
    """How many nodes the ops view of `root` has (values plus op nodes), without drawing it."""
    topo = root.topological_order()
    return len(topo) + sum(1 for v in topo if v._prev)


def trace_graph(root):
    """The ops view of every value `root` depends on (call `root.backward()` first)."""
    topo = root.topological_order()
    index = {id(v): i for i, v in enumerate(topo)}
    nodes, edges = [], []
    for i, v in enumerate(topo):
        vid = f"n{i}"
        nodes.append(
            GraphNode(vid, "value", v.label, v._op, value_role(v, root), i, v.data, v.grad)
        )
        if v._prev:
            oid = f"{vid}_op"
            nodes.append(GraphNode(oid, "op", v._op, v._op, "op", i, v.data, v.grad))
            edges.extend((f"n{index[id(c)]}", oid) for c in v._prev)
            edges.append((oid, vid))
    return Graph(tuple(nodes), tuple(edges), "ops")


def _neuron_output(neuron, users):
    """Follow a neuron's sum from its bias, `b + w1*x1 + w2*x2 ...`, to its activation."""
    node = neuron.b
    steps = ["+"] * len(neuron.w) + ([neuron.activation] if neuron.activation != "linear" else [])
    for op in steps:
        node = next((u for u in users.get(id(node), ()) if u._op == op), None)
        if node is None:
            raise ValueError(f"neuron {neuron.name} is not part of this graph")
    return node


def _neuron_node(neuron, out, index):
    i = index[id(out)]
    grads = [w.grad for w in neuron.w]
    return GraphNode(
        f"n{i}",
        "neuron",
        neuron.name,
        neuron.activation,
        "neuron",
        i,
        out.data,
        out.grad,
        (min(grads), max(grads)),
    )


def _connect(previous, current, edges):
    """Edges from every node of one layer to every node of the next; returns any hub node."""
    if len(previous) * len(current) <= DENSE_EDGES:
        edges.extend((p.id, c.id) for c in current for p in previous)
        return []
    first = current[0]
    size = f"{len(previous)}x{len(current)}"
    hub = GraphNode(f"{first.id}_all", "op", size, HUB_OP, "op", first.index, 0.0, 0.0)
    edges.extend([(p.id, hub.id) for p in previous] + [(hub.id, c.id) for c in current])
    return [hub]


def trace_neurons(root, model):
    """The neuron view: inputs, one node per neuron of `model`, the target and the loss."""
    topo = root.topological_order()
    index = {id(v): i for i, v in enumerate(topo)}
    users = {}
    for v in topo:
        for c in v._prev:
            users.setdefault(id(c), []).append(v)

    def value_node(v, role):
        return GraphNode(
            f"n{index[id(v)]}", "value", v.label, v._op, role, index[id(v)], v.data, v.grad
        )

    leaves = [v for v in topo if not v._prev and v.label]
    inputs = [value_node(v, "input") for v in leaves if value_role(v) == "input"]
    targets = [value_node(v, "target") for v in leaves if value_role(v) == "target"]
    nodes, edges, previous = list(inputs), [], inputs
    for layer in model.layers:
        current = [_neuron_node(n, _neuron_output(n, users), index) for n in layer.neurons]
        nodes.extend(_connect(previous, current, edges))
        nodes.extend(current)
        previous = current
    loss = value_node(root, "loss")
    nodes.extend(targets + [loss])
    edges.extend((p.id, loss.id) for p in previous + targets)
    return Graph(tuple(nodes), tuple(edges), "neurons")

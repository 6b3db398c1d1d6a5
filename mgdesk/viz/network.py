"""The network view: one box per neuron, any of which opens in place into its operations.

    groups = network_groups(root, model)          # what there is to show, once per sample
    graph = trace_network(groups, opened={"L1.N2", "loss"})

Every box of the picture belongs to a *group*: an input (`x1`, `x2`), a neuron (`L1.N2`),
the target `y`, or the `loss` (the operations after the network's score). A closed group is
one record (its output's data and grad); an open one shows its operations as in micrograd's
`draw_dot`: for a neuron, each weight, each `w·x` product, the bias, the sum `Σ` (the chain of
`+` nodes the engine builds, drawn as one record: every partial sum has the sum's grad) and
the activation, each with data and grad, and small op circles between them.

Node ids are the ops view's: `n<i>` is value `i` of `root.topological_order()`, `n<i>_op` the
op making it. A closed group's box has the id of its output value, so the edges to its
neighbours keep their ids when it opens or closes, and so do the other groups' boxes.

The layout is our own, not dot's: columns (inputs, each layer, the loss), one cell per group,
stacked in its column. Opening a group grows only its own cell: the cells below it in its
column move down and the columns to its right move right, nothing else moves (dot would
re-rank and re-order everything). `pos` pins each node; the layout program only draws
(`neato -n2`), which takes ~30 ms for the 1,100 edges of 2-32-32-1 instead of a full layout.
"""

import re
import time
from dataclasses import dataclass, field

from mgdesk.viz.dot import FONT_SIZE
from mgdesk.viz.graph import DENSE_EDGES, HUB_OP, Graph, GraphNode
from mgdesk.viz.network_sizes import (
    AREA,
    CHAR_WIDTH,
    COL_GAP,
    HEADER,
    HEAT_GAP,
    LOSS_GAP,
    OPEN_PAD,
    READABLE_PX,
    ROW_GAP,
    SUB_GAP,
    cell_size,
    choose_open,
    columns_of,
    fit_text_px,
    layout_size,
    loss_levels,
    neuron_labels,
    neuron_parts,
    record_size,
    value_label,
)
from mgdesk.viz.roles import value_role
from mgdesk.viz.trace import TraceCancelled

__all__ = [
    "AREA",
    "CHAR_WIDTH",
    "Group",
    "Groups",
    "READABLE_PX",
    "choose_open",
    "fit_text_px",
    "layout_size",
    "network_graph",
    "network_groups",
    "parse_open",
    "trace_network",
]


@dataclass
class Group:
    """What one box of the closed view stands for."""

    name: str  # "x1", "L1.N2", "y", "loss"
    kind: str  # "input", "neuron", "target" or "loss"
    column: int
    output: object  # the Value the box shows (a neuron's activation, the loss)
    members: list = field(default_factory=list)  # its Values, in topological order
    neuron: object = None  # the engine's Neuron for a neuron group
    chain: list = field(default_factory=list)  # neuron: its `+` nodes, bias side first
    products: list = field(default_factory=list)  # neuron: (w·x Value, w, x), per input


@dataclass
class Groups:
    """A sample's loss graph split into groups; `trace_network` draws any opening of it."""

    root: object
    topo: list
    index: dict  # id(Value) -> topological index
    groups: list  # Group, by column then row
    owner: dict  # id(Value) -> Group
    layers: int  # hidden layers + the output layer

    def names(self):
        return [g.name for g in self.groups]

    def __getitem__(self, name):
        return next(g for g in self.groups if g.name == name)


def _users(topo, check):
    """id(value) -> the values made from it by a `+` or an activation (what a neuron's chain
    goes through; the products, half of all values, are found from their sums)."""
    users = {}
    for k, v in enumerate(topo):
        if v._op != "*" and v._prev:
            for c in v._prev:
                users.setdefault(id(c), []).append(v)
        if k % 20000 == 0:
            check()
    return users


def _neuron_group(neuron, users, column):
    """Follow `b + w1*x1 + w2*x2 ...` from the bias to the activation."""
    node, chain, products = neuron.b, [], []
    for w in neuron.w:
        node = next((u for u in users.get(id(node), ()) if u._op == "+"), None)
        if node is None:
            raise ValueError(f"neuron {neuron.name} is not part of this graph")
        chain.append(node)
        product = next(p for p in node._prev if p._op == "*" and w in p._prev)
        x = next(c for c in product._prev if c is not w) if product._prev.count(w) == 1 else w
        products.append((product, w, x))
    out = node
    if neuron.activation != "linear":
        out = next(u for u in users.get(id(node), ()) if u._op == neuron.activation)
    members = [neuron.b, *neuron.w, *(p for p, _, _ in products), *chain]
    members += [out] if out is not node else []
    group = Group(neuron.name, "neuron", column, out, members, neuron, chain, products)
    return group


def network_groups(root, model, cancelled=None, topo=None):
    """Split the loss graph of one sample (after `root.backward()`) into groups.

    About 1.5 s at 256,256: `cancelled()`, when given, is asked every few ms and raises
    TraceCancelled when it is true (the window is closing); meanwhile other threads (the
    GUI's) get the GIL at each of those points. `topo`: root.topological_order() if known.
    """

    def check():
        time.sleep(0)  # let the GUI thread run
        if cancelled is not None and cancelled():
            raise TraceCancelled("network view cancelled")

    topo = root.topological_order() if topo is None else topo
    index = {id(v): i for i, v in enumerate(topo)}
    users = _users(topo, check)
    groups = [
        Group(v.label, "input", 0, v, [v])
        for v in topo
        if not v._prev and v.label and value_role(v) == "input"
    ]
    for column, layer in enumerate(model.layers, start=1):
        for n in layer.neurons:
            groups.append(_neuron_group(n, users, column))
            check()
    last = len(model.layers)
    groups.extend(
        Group(v.label, "target", last, v, [v])
        for v in topo
        if not v._prev and value_role(v) == "target"
    )
    owner = {id(v): g for g in groups for v in g.members}
    loss = Group("loss", "loss", last + 1, root)
    loss.members = [v for v in topo if id(v) not in owner]
    groups.append(loss)
    owner.update((id(v), loss) for v in loss.members)
    for g in groups:
        g.members.sort(key=lambda v: index[id(v)])
    return Groups(root, topo, index, groups, owner, last)


def parse_open(text, groups):
    """The groups named by `L1.N2,L2,loss` (a layer opens all its neurons; `all` opens all).

    Raises ValueError with a one-line message for an unknown name.
    """
    names = groups.names()
    opened = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part.lower() == "all":
            opened.update(g.name for g in groups.groups if g.kind in ("neuron", "loss"))
        elif part in names and groups[part].kind in ("neuron", "loss"):
            opened.add(part)
        elif re.fullmatch(r"L[0-9]{1,5}", part) and 1 <= int(part[1:]) <= groups.layers:
            opened.update(g.name for g in groups.groups if g.name.startswith(part + "."))
        else:
            raise ValueError(
                f"no neuron or layer {part!r}: use names like L1.N2, whole layers like L1 "
                f"(L1 to L{groups.layers}), loss, or all"
            )
    return frozenset(opened)


# ---- tracing: nodes, edges, weights and pinned positions ----


class _Builder:
    def __init__(self, groups, opened, stacked):
        self.g = groups
        self.opened = opened
        self.stacked = stacked
        self.nodes, self.edges, self.weights, self.pos = [], [], [], []

    def vid(self, v):
        """The id of the box that shows Value `v` now (its group's box when closed)."""
        group = self.g.owner[id(v)]
        if group.name in self.opened or group.kind in ("input", "target"):
            return f"n{self.g.index[id(v)]}"
        return f"n{self.g.index[id(group.output)]}"

    def value(self, v, x, y, group, label=None):
        i = self.g.index[id(v)]
        role = value_role(v, self.g.root)
        label = v.label if label is None else label
        node = GraphNode(f"n{i}", "value", label, v._op, role, i, v.data, v.grad, group=group)
        self.nodes.append(node)
        self.pos.append((x, y))

    def edge(self, a, b, weight=None):
        self.edges.append((a, b))
        self.weights.append(weight)


def _header_text(groups, column):
    first = next(g for g in groups.groups if g.column == column)
    if first.kind == "input":
        return "inputs"
    if first.kind == "loss":
        return "loss"
    act = first.neuron.activation
    n = sum(1 for g in groups.groups if g.column == column and g.kind == "neuron")
    last = column == groups.layers
    return f"{'output' if last else f'layer {column}'}: {n} {act}"


# The height, in points, of the graph area at the default size with text at READABLE_PX.
FIRST_SCREEN = AREA[1] * FONT_SIZE / READABLE_PX


def trace_network(groups, opened=frozenset(), stacked=False):
    """The Graph (view "network") of `groups` with the groups named in `opened` open.

    Nodes carry their group's name (`GraphNode.group`), so a click can open or close it;
    `Graph.weights` holds the weight each edge stands for (None for the others), and
    `Graph.positions` the pinned centre of each node, in points (y grows downwards).
    """
    opened = frozenset(opened)
    b = _Builder(groups, opened, stacked)
    columns = columns_of(groups)
    closed = [
        sum(cell_size(g, (), stacked)[1] for g in col) + ROW_GAP * (len(col) - 1) for col in columns
    ]
    top = max(closed)
    x = 0.0
    for c, column in enumerate(columns):
        width = max(cell_size(g, opened, stacked)[0] for g in column)
        hid = f"h{c}"
        b.nodes.append(
            GraphNode(
                hid,
                "header",
                _header_text(groups, c),
                "",
                "header",
                -1,
                0.0,
                0.0,
                group=f"L{c}" if 0 < c <= groups.layers else "",
            )
        )
        b.pos.append((x + width / 2, HEADER / 2))
        # a short column (inputs, output, loss) beside tall ones sits in the middle of the
        # first screenful (what shows at fit), not of a picture that scrolls far below it
        y = HEADER + max(0.0, min(top - closed[c], FIRST_SCREEN - closed[c]) / 2)
        hub = _hub(b, groups, c, x, top) if 1 < c <= groups.layers else None
        for group in column:
            w, h = cell_size(group, opened, stacked)
            if group.name in opened and group.kind == "neuron":
                _open_neuron(b, group, x, y)
            elif group.name in opened and group.kind == "loss":
                _open_loss(b, group, x, y, h)
            else:
                v = group.output
                i = groups.index[id(v)]
                if group.kind == "neuron":
                    _closed_neuron(b, group, x, y, w, h, hub)
                else:
                    b.value(v, x + w / 2, y + h / 2, group.name, label=group.name)
                    if group.kind == "loss":
                        for c2 in _external_inputs(groups, group):
                            b.edge(b.vid(c2), f"n{i}")
            y += h + ROW_GAP
        x += width + COL_GAP
    return Graph(
        tuple(b.nodes),
        tuple(b.edges),
        "network",
        weights=tuple(b.weights),
        positions=tuple(b.pos),
        stacked=stacked,
    )


def _closed_neuron(b, group, x, y, w, h, hub):
    """A closed neuron: its heatmap square (`heat<i>`, painted by the window), its record."""
    v = group.output
    i = b.g.index[id(v)]
    grads = [wt.grad for wt in group.neuron.w]
    act = group.neuron.activation
    b.nodes.append(GraphNode(f"heat{i}", "heat", "", act, "heat", i, 0.0, 0.0, group=group.name))
    b.pos.append((x + h / 2, y + h / 2))
    b.nodes.append(
        GraphNode(
            f"n{i}", "neuron", group.name, act, "neuron", i, v.data, v.grad,
            (min(grads), max(grads)), group=group.name,
        )
    )  # fmt: skip
    b.pos.append((x + (w + h + HEAT_GAP) / 2, y + h / 2))
    _closed_inputs(b, group, hub)


def _external_inputs(groups, group):
    inside = {id(v) for v in group.members}
    seen = {}
    for v in group.members:
        for c in v._prev:
            if id(c) not in inside:
                seen.setdefault(id(c), c)
    return sorted(seen.values(), key=lambda v: groups.index[id(v)])


def _closed_inputs(b, group, hub):
    """Edges into a closed neuron, one per weight, or one from the hub of a wide layer."""
    if hub is not None:
        b.edge(hub, b.vid(group.output))
        return
    for _, w, x in group.products:
        b.edge(b.vid(x), b.vid(group.output), w.data)


def _hub(b, groups, column, x, top):
    """Between two wide layers (more than DENSE_EDGES weights), one "64x64" node stands for
    all their edges: a 256-wide network stays quick to draw. Returns its id, or None."""
    prev = [g for g in groups.groups if g.column == column - 1 and g.kind != "target"]
    this = [g for g in groups.groups if g.column == column and g.kind == "neuron"]
    if not this or len(prev) * len(this) <= DENSE_EDGES:
        return None
    hid = f"hub{column}"
    label = f"{len(prev)}x{len(this)}"
    b.nodes.append(GraphNode(hid, "op", label, HUB_OP, "op", -1, 0.0, 0.0))
    b.pos.append((x - COL_GAP / 2, HEADER + top / 2))
    for g in prev:
        b.edge(b.vid(g.output), hid)
    return hid


def _open_neuron(b, group, x0, y0):
    widths, line, height = neuron_parts(group, b.stacked)
    products, total_label, out_label = neuron_labels(group)
    xs, x = [], x0
    for w in widths:
        xs.append(x + w / 2)
        x += w + SUB_GAP
    name, k = group.name, len(group.products)
    top = y0 + OPEN_PAD + line / 2 - ROW_GAP / 2
    total = group.chain[-1]
    tid = b.vid(total)
    for j, (product, w, x_in) in enumerate(group.products):
        b.value(w, xs[0], top + j * line, name)
        b.value(product, xs[1], top + j * line, name, label=products[j])
        pid = b.vid(product)
        b.edge(b.vid(x_in), pid, w.data)  # wide layers too: k edges, not k x k
        b.edge(b.vid(w), pid)
        b.edge(pid, tid)
    bias = group.neuron.b
    b.value(bias, xs[0], top + k * line, name)
    b.edge(b.vid(bias), tid)
    middle = y0 + height / 2
    b.value(total, xs[2], middle, name, label=total_label)
    if out_label:
        b.value(group.output, xs[3], middle, name, label=out_label)
        b.edge(tid, b.vid(group.output))


def _open_loss(b, group, x0, y0, height):
    x = x0
    for level in loss_levels(group):
        width = max(record_size(value_label(v), b.stacked)[0] for v in level)
        hs = [record_size(value_label(v), b.stacked)[1] for v in level]
        y = y0 + (height - sum(hs) - LOSS_GAP * (len(hs) - 1)) / 2
        for v, h in zip(level, hs, strict=True):
            b.value(v, x + width / 2, y + h / 2, group.name, label=value_label(v))
            for c in v._prev:
                b.edge(b.vid(c), b.vid(v))
            y += h + LOSS_GAP
        x += width + SUB_GAP


def network_graph(root, model, opened=None, area=AREA, groups=None):
    """(Graph, groups opened, groups) of the loss `root` under `model`: the default opening
    (`choose_open`) when `opened` is None, else those of `opened` that are in this network.
    `groups`: the network_groups of `root` when already made."""
    groups = groups or network_groups(root, model)
    default, stacked, _ = choose_open(groups, area)
    if opened is None:
        opened = default
    opened = frozenset(opened) & {g.name for g in groups.groups if g.kind in ("neuron", "loss")}
    return trace_network(groups, opened, stacked), opened, groups

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
from dataclasses import dataclass, field

from mgdesk.viz.dot import COMPACT_WIDTH, FONT_SIZE
from mgdesk.viz.graph import DENSE_EDGES, HUB_OP, Graph, GraphNode
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
    "network_graph",
    "network_groups",
    "parse_open",
    "trace_network",
]

AREA = (1040, 430)  # the graph area of the window at its default size (1400 x 900), px
READABLE_PX = 9.0  # the smallest text height, on screen at fit, that reads comfortably
CHAR_WIDTH = 0.6 * FONT_SIZE  # Courier's advance, in points
FIELD_PAD = 7.2  # graphviz adds this to each record field's text width
ROW = 18.0  # one text line of a record, points
ROW_GAP = 2.0  # between the boxes of a column
COL_GAP = 48.0  # between columns: room for the edges to be told apart
LOSS_GAP = 8.0  # between the records of one step of the loss
OPEN_PAD = 6.0  # above and below an open neuron, so that it reads as one group
HEAT_GAP = 3.0  # between a closed neuron's heatmap square and its record
SUB_GAP = 10.0  # between the parts of an open group
HEADER = 22.0  # the layer titles above the columns


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
    users = {}
    for k, v in enumerate(topo):
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


def network_groups(root, model, cancelled=None):
    """Split the loss graph of one sample (after `root.backward()`) into groups.

    About 1.5 s at 256,256: `cancelled()`, when given, is asked every few ms and raises
    TraceCancelled when it is true (the window is closing)."""

    def check():
        if cancelled is not None and cancelled():
            raise TraceCancelled("network view cancelled")

    topo = root.topological_order()
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


# ---- sizes: everything the layout needs to know about a box, in points ----


def record_size(label, stacked):
    """(width, height) of a value record: `label | data ... | grad ...` in one row, or
    stacked in three (two without a label)."""
    number = len("data ") + COMPACT_WIDTH
    if stacked:
        chars = max(len(label), number)
        rows = 3 if label else 2
        return chars * CHAR_WIDTH + FIELD_PAD, rows * ROW
    width = 2 * (number * CHAR_WIDTH + FIELD_PAD)
    if label:
        width += len(label) * CHAR_WIDTH + FIELD_PAD
    return width, ROW


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


def _closed_size(group, stacked):
    """A closed neuron is its heatmap square (as tall as its record) and its record."""
    width, height = record_size(group.name if group.kind != "loss" else "loss", stacked)
    return (width + height + HEAT_GAP if group.kind == "neuron" else width), height


OPS = {"*": "×", "+": "+", "-": "−", "**": "**", "neg": "−"}  # an unnamed value's label


def _labels(group):
    """The records of an open neuron: each is named by what it is (no op circles: the
    label says the operation, so 2-2-1 opens whole at a readable size)."""
    act, name = group.neuron.activation, group.name
    products = [f"w{j + 1}·x{j + 1}" for j in range(len(group.products))]
    if group.output is group.chain[-1]:
        return products, f"{name} = Σ w·x + b", ""
    return products, "Σ w·x + b", f"{name} = {act}(Σ)"


def _neuron_parts(group, stacked):
    """Widths of an open neuron's sub-columns (weights and bias, products, sum,
    activation), the height of one of its rows, and its height.

    Row j holds weight j and its product w·x; the last row the bias; the sum and the
    activation sit in the middle: k + 1 rows for k inputs."""
    products, total, out = _labels(group)
    labels = [w.label for _, w, _ in group.products] + [group.neuron.b.label]
    widths = [
        max(record_size(t, stacked)[0] for t in labels),
        max(record_size(t, stacked)[0] for t in products),
        record_size(total, stacked)[0],
    ]
    if out:
        widths.append(record_size(out, stacked)[0])
    line = record_size("w", stacked)[1] + ROW_GAP
    return widths, line, (len(group.products) + 1) * line - ROW_GAP + 2 * OPEN_PAD


def _loss_levels(group):
    """The loss's values by depth (inputs first): each level is a sub-column."""
    depth, levels = {}, []
    for v in group.members:
        inside = [depth[id(c)] for c in v._prev if id(c) in depth]
        d = 1 + max(inside) if inside else 0
        depth[id(v)] = d
        while len(levels) <= d:
            levels.append([])
        levels[d].append(v)
    return levels


def _value_label(v):
    return v.label or (OPS.get(v._op, v._op) if v._prev else "constant")


def _loss_size(group, stacked):
    levels = _loss_levels(group)
    width = sum(
        max(record_size(_value_label(v), stacked)[0] for v in level) + SUB_GAP for level in levels
    )
    height = max(
        sum(record_size(_value_label(v), stacked)[1] + LOSS_GAP for v in level) - LOSS_GAP
        for level in levels
    )
    return width, height


def cell_size(group, opened, stacked):
    """(width, height) of a group's cell in the layout."""
    if group.name not in opened or group.kind in ("input", "target"):
        return _closed_size(group, stacked)
    if group.kind == "loss":
        return _loss_size(group, stacked)
    widths, _, height = _neuron_parts(group, stacked)
    return sum(widths) + SUB_GAP * (len(widths) - 1), height


def _columns(groups):
    columns = {}
    for g in groups.groups:
        columns.setdefault(g.column, []).append(g)
    return [columns[c] for c in sorted(columns)]


def layout_size(groups, opened, stacked):
    """(width, height) in points of the whole picture, without drawing it."""
    widths, heights = [], []
    for column in _columns(groups):
        sizes = [cell_size(g, opened, stacked) for g in column]
        widths.append(max(w for w, _ in sizes))
        heights.append(sum(h for _, h in sizes) + ROW_GAP * (len(sizes) - 1))
    closed = [
        sum(cell_size(g, (), stacked)[1] for g in col) + ROW_GAP * (len(col) - 1)
        for col in _columns(groups)
    ]
    top = max(closed)
    height = max((top - c) / 2 + h for c, h in zip(closed, heights))
    return sum(widths) + COL_GAP * (len(widths) - 1), height + HEADER


def fit_text_px(size, area=AREA):
    """Height in px of the record text when a picture of `size` points is fit into `area`."""
    scale = min(area[0] / size[0], area[1] / size[1])
    return FONT_SIZE * scale


def choose_open(groups, area=AREA, readable=READABLE_PX):
    """(opened, stacked, text px): the default opening of a network, the most that reads.

    The first of these whose every record still reads at fit (text of at least `readable`
    px in `area`): everything open (2-1-1, 2-2-1), the loss and the output neuron (2-4-1,
    2-2-2-1), the loss (2-8-8-1), nothing. Of the two record shapes (one row, or stacked
    in three) the one with the larger text wins.
    """
    last = f"L{groups.layers}."
    choices = [
        frozenset(g.name for g in groups.groups if g.kind in ("neuron", "loss")),
        frozenset(g.name for g in groups.groups if g.name == "loss" or g.name.startswith(last)),
        frozenset({"loss"}),
        frozenset(),
    ]
    for opened in choices:
        best = max(
            (
                (opened, st, fit_text_px(layout_size(groups, opened, st), area))
                for st in (True, False)
            ),
            key=lambda choice: choice[2],
        )
        if best[2] >= readable:
            return best
    return best


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


def trace_network(groups, opened=frozenset(), stacked=False):
    """The Graph (view "network") of `groups` with the groups named in `opened` open.

    Nodes carry their group's name (`GraphNode.group`), so a click can open or close it;
    `Graph.weights` holds the weight each edge stands for (None for the others), and
    `Graph.positions` the pinned centre of each node, in points (y grows downwards).
    """
    opened = frozenset(opened)
    b = _Builder(groups, opened, stacked)
    columns = _columns(groups)
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
        y = HEADER + (top - closed[c]) / 2
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
    widths, line, height = _neuron_parts(group, b.stacked)
    products, total_label, out_label = _labels(group)
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
    for level in _loss_levels(group):
        width = max(record_size(_value_label(v), b.stacked)[0] for v in level)
        hs = [record_size(_value_label(v), b.stacked)[1] for v in level]
        y = y0 + (height - sum(hs) - LOSS_GAP * (len(hs) - 1)) / 2
        for v, h in zip(level, hs, strict=True):
            b.value(v, x + width / 2, y + h / 2, group.name, label=_value_label(v))
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

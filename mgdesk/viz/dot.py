"""What a node shows and how it looks, and the DOT source of a traced graph.

Every number takes at most `NUMBER_WIDTH` characters, and the DOT pads it to that width, so
a box laid out for one set of numbers fits any later set: after a training step the numbers
are patched into the SVG, and only a new architecture needs a new layout.

Colours: a value's fill shows its gradient (red: raising it raises the loss, blue: lowers
it; the stronger, the larger |grad| on a log scale from 1e-4 to 1), its border shows its
role (input, target, parameter, constant, intermediate, loss).

The neuron view is read at fit in a low, wide window, so its boxes are two rows high
(`L1.N7 | out | w.grad min` over `Σ→relu | grad | w.grad max`) and its text is bold.
"""

import math

import graphviz

from mgdesk.viz.program import RenderCancelled

__all__ = [
    "FONT",
    "FONT_SIZE",
    "FONT_WEIGHT",
    "LEGEND",
    "NUMBER_WIDTH",
    "PAD",
    "ROLE_STYLE",
    "escape_record",
    "format_compact",
    "format_number",
    "grad_colour",
    "legend_text",
    "node_fields",
    "to_dot",
]

FONT = "Courier"  # monospace with built-in metrics in graphviz-pure; Qt maps it to a mono font
FONT_SIZE = 14  # points, the record text
NUMBER_WIDTH = 9  # "+123.4567", "-1.23e-05", "+1.2e+100"
PAD = "\u00a0"  # pads numbers in the DOT (an escaped space), so boxes fit the widest one

# Border colour and width by role (viz.roles.ROLES, and "neuron", "op", "header" boxes);
# fills show the gradient.
ROLE_STYLE = {
    "input": ("#1a9850", 2.0),
    "target": ("#1a9850", 2.0),
    "parameter": ("#8c510a", 2.0),
    "constant": ("#999999", 1.0),
    "intermediate": ("#444444", 1.0),
    "loss": ("#000000", 3.0),
    "neuron": ("#444444", 1.0),
    "op": ("#666666", 1.0),
    "header": ("#f4f4f4", 1.0),
    "heat": ("#b0b0b0", 1.0),
}
HEADER_FILL = "#f4f4f4"
# Network view: an edge between neurons is its weight: orange for +, purple for -, wider
# for larger |w| (full width from |w| = WEIGHT_FULL on). Not red/blue: those are gradients.
WEIGHT_POSITIVE = "#e08214"
WEIGHT_NEGATIVE = "#8073ac"
WEIGHT_FULL = 2.0
EDGE_COLOUR = "#a0a0a0"  # the edges that are not a weight
CANCEL_EVERY = 2000  # nodes of the network view's DOT between looks at `cancelled()`
OP_FILL = "#e8e8e8"
_OP_SHAPE = {"shape": "circle", "fontsize": "12", "margin": "0.02"}  # "tanh" stays small
# (graph, node, edge) attributes of each view. The neuron view packs a 16-wide layer into a
# low, wide window: two-row boxes, thin field margins, little room between boxes, and light
# thin edges drawn under the boxes (two 16-wide layers are joined by 256 of them).
_VIEW_ATTRS = {
    "ops": ({"nodesep": "0.15", "ranksep": "0.35"}, {}, {"color": "#555555", "arrowsize": "0.6"}),
    "neurons": (
        {"nodesep": "0.06", "ranksep": "0.5", "ordering": "out", "outputorder": "edgesfirst"},
        {"height": "0.2", "margin": "0.05,0.01"},
        {"color": "#a0a0a0", "penwidth": "0.6", "arrowsize": "0.4"},
    ),
}
FONT_WEIGHT = {
    "ops": "normal",
    "neurons": "bold",
    "network": "normal",
}  # the neuron view is read at fit: ~9 px
_POSITIVE = (202, 0, 32)  # red
_NEGATIVE = (5, 113, 176)  # blue
_NOT_FINITE = "#ffd700"


def _not_finite(x):
    """ "nan", "+inf" or "-inf" for a number that is not finite, else None."""
    if math.isnan(x):
        return "nan"
    return ("+inf" if x > 0 else "-inf") if math.isinf(x) else None


def format_number(x):
    """`x` in at most NUMBER_WIDTH characters, sign always shown, small values not hidden."""
    if not math.isfinite(x):
        return _not_finite(x)
    if x == 0:
        return "+0.0000"
    text = f"{x:+.4f}"
    if 1e-3 <= abs(x) and len(text) <= NUMBER_WIDTH:
        return text
    text = f"{x:+.2e}"
    return text if len(text) <= NUMBER_WIDTH else f"{x:+.1e}"  # three-digit exponents


COMPACT_WIDTH = 7  # network view: "+0.1234" would not leave room for 32-wide layers at fit


def format_compact(x):
    """`x` in at most COMPACT_WIDTH characters: 3 decimals, or 2 significant digits."""
    if not math.isfinite(x):
        return _not_finite(x)
    if x == 0:
        return "0"
    a = abs(x)
    if 1e-3 <= a < 99.9995:
        return f"{x:+.3f}"
    if 99.9995 <= a < 9999.95:
        return f"{x:+.1f}"
    mantissa, exponent = f"{x:+.1e}".split("e")
    text = f"{mantissa}e{int(exponent)}"
    return (
        text if len(text) <= COMPACT_WIDTH else f"{x:+.0e}".replace("e-0", "e-").replace("e+0", "e")
    )


def _number(x):
    return format_number(x).rjust(NUMBER_WIDTH, PAD)


def node_fields(node, view=None):
    """(fixed texts, texts that change with the numbers) of a node's record.

    In the network view every box, a closed neuron too, shows `label | data | grad` (an
    unnamed value leaves out its empty label), so it stays narrow."""
    if node.kind in ("op", "header", "heat"):
        return (node.label,), ()
    if view == "network":
        data, grad = (format_compact(v).rjust(COMPACT_WIDTH, PAD) for v in (node.data, node.grad))
        return ((node.label,) if node.label else ()), (f"data {data}", f"grad {grad}")
    data, grad = _number(node.data), _number(node.grad)
    if node.kind == "neuron":
        lo, hi = (_number(g) for g in node.weight_grads)
        numbers = (f"out  {data}", f"grad {grad}", f"w.grad min {lo}", f"w.grad max {hi}")
        return (node.label, f"Σ→{node.op}"), numbers
    return (node.label,), (f"data {data}", f"grad {grad}")


def grad_colour(g):
    """Fill colour for a gradient: white at 0, red for +, blue for -, log-scaled strength."""
    if not math.isfinite(g):
        return _NOT_FINITE
    if g == 0:
        return "#ffffff"
    strength = 0.12 + 0.6 * min(1.0, max(0.0, (math.log10(abs(g)) + 4) / 4))
    base = _POSITIVE if g > 0 else _NEGATIVE
    r, gr, b = (round(255 + (c - 255) * strength) for c in base)
    return f"#{r:02x}{gr:02x}{b:02x}"


def fill_colour(node):
    if node.kind in ("header", "heat"):
        return HEADER_FILL
    return OP_FILL if node.kind == "op" else grad_colour(node.grad)


def weight_style(w):
    """(colour, pen width) of an edge that stands for weight `w`."""
    if not math.isfinite(w):
        return _NOT_FINITE, 1.5
    colour = WEIGHT_POSITIVE if w >= 0 else WEIGHT_NEGATIVE
    return colour, 0.3 + 2.7 * min(1.0, abs(w) / WEIGHT_FULL)


_RECORD_SPECIAL = str.maketrans(
    {chr(c): "\\ " for c in [*range(32), 127]}  # control characters are not valid in SVG
    | {c: "\\" + c for c in "\\{}|<> "}
    | {PAD: "\\ "}
)


def escape_record(text):
    """Escape a record field so that any text (braces, bars, quotes...) stays one field.

    Spaces are escaped too, so leading, trailing and repeated ones are kept; the `"` is
    left to the graphviz package, which escapes it when it quotes the label.
    """
    return text.translate(_RECORD_SPECIAL) or "\\ "


def _record_label(node, two_rows=False):
    """Fields side by side (rankdir LR turns the outer braces sideways). In two rows, the
    fields pair up into columns (`out` over `grad`), and an odd first one (a value's label)
    spans both rows."""
    fixed, numbers = node_fields(node)
    fields = [escape_record(t) for t in fixed + numbers]
    if not two_rows:
        return "{ " + " | ".join(fields) + " }"
    odd = len(fields) % 2
    columns = fields[:odd] + [f"{{{a}|{b}}}" for a, b in zip(fields[odd::2], fields[odd + 1 :: 2])]
    return "{" + "|".join(columns) + "}"


def to_dot(graph, styled=True, cancelled=None):
    """DOT source: records left to right, op nodes as small circles, node ids kept in the SVG.

    `styled=False` leaves out the colours (the SVG template writes them), which makes the
    source quicker to build: only the layout is wanted from it. `cancelled()`, looked at
    every few thousand nodes of the network view (seconds at 128,128 opened), True stops
    it with RenderCancelled.
    """
    if graph.view == "network":
        return _network_dot(graph, styled, cancelled or (lambda: False))
    graph_attrs, node_attrs, edge_attrs = _VIEW_ATTRS[graph.view]
    two_rows = graph.view == "neurons"
    dot = graphviz.Digraph(
        "mgdesk",
        graph_attr={"rankdir": "LR"} | graph_attrs,
        node_attr={
            "id": "\\N",  # the SVG element id is the node name
            "shape": "record",
            "fontname": FONT,
            "fontsize": "14",
            "style": "filled",
            "fillcolor": "white",
            "width": "0.4",
            "height": "0.4",
        }
        | node_attrs,
        edge_attr=edge_attrs,
    )
    for node in graph.nodes:
        attrs = _style(node) if styled else {}
        if node.kind == "op":
            label = node.label.replace("\\", "\\\\") or "?"
            dot.node(node.id, graphviz.nohtml(label), **_OP_SHAPE, **attrs)
        else:
            dot.node(node.id, graphviz.nohtml(_record_label(node, two_rows)), **attrs)
    dot.edges(graph.edges)
    return dot.source


def _style(node):
    colour, width = ROLE_STYLE[node.role]
    attrs = {"fillcolor": fill_colour(node), "color": colour}
    if width != 1.0:
        attrs["penwidth"] = f"{width:g}"
    return attrs


def _network_label(node, stacked):
    fixed, numbers = node_fields(node, "network")
    fields = "|".join(escape_record(t) for t in fixed + numbers)
    return "{" + fields + "}" if stacked else fields  # neato: plain bars lie side by side


def graph_heat_side(graph, node):
    """The side, in points, of a heatmap square: as tall as its neuron's record."""
    return 54.0 if graph.stacked else 18.0


def _network_dot(graph, styled, cancelled):
    """The network view's DOT: every node pinned at its `pos` (points, drawn by `neato -n2`)."""
    dot = graphviz.Digraph(
        "mgdesk",
        graph_attr={"layout": "neato", "splines": "line", "outputorder": "edgesfirst"},
        node_attr={
            "id": "\\N",
            "shape": "record",
            "fontname": FONT,
            "fontsize": str(FONT_SIZE),
            "style": "filled",
            "fillcolor": "white",
            "height": "0.25",
            "width": "0.3",
            "margin": "0.05,0.01",
        },
        edge_attr={"color": EDGE_COLOUR, "arrowsize": "0.5", "penwidth": "0.8"},
    )
    for k, (node, (x, y)) in enumerate(zip(graph.nodes, graph.positions, strict=True)):
        if k % CANCEL_EVERY == 0 and cancelled():
            raise RenderCancelled("a newer graph was requested")
        attrs = _style(node) if styled else {}
        attrs["pos"] = f"{x:.2f},{-y:.2f}!"
        if node.kind == "op":
            label = node.label.replace("\\", "\\\\") or "?"
            dot.node(node.id, graphviz.nohtml(label), **_OP_SHAPE, **attrs)
        elif node.kind == "header":
            label = escape_record(node.label)
            dot.node(node.id, graphviz.nohtml(label), shape="box", penwidth="0", **attrs)
        elif node.kind == "heat":  # a square the window paints the neuron's heatmap into
            side = f"{graph_heat_side(graph, node) / 72:.3f}"
            attrs |= {"shape": "box", "fixedsize": "true", "width": side, "height": side}
            dot.node(node.id, graphviz.nohtml(" "), **attrs)
        else:
            dot.node(node.id, graphviz.nohtml(_network_label(node, graph.stacked)), **attrs)
    for k, ((a, b), w) in enumerate(zip(graph.edges, graph.weights, strict=True)):
        attrs = {"id": f"e{k}"}
        if w is not None:
            attrs["arrowhead"] = "none"
            if styled:
                colour, width = weight_style(w)
                attrs |= {"color": colour, "penwidth": f"{width:.2f}"}
        dot.edge(a, b, **attrs)
    return dot.source


# ---- what the colours and markers mean ----

LEGEND = (
    ("node fill", "#ca0020", "red: raising this value raises the loss (grad > 0)"),
    ("node fill", "#0571b0", "blue: raising it lowers the loss (grad < 0); paler = smaller |grad|"),
    ("node fill", "#ffffff", "white: grad 0, nothing flows back through it"),
    ("node border", "#1a9850", "green border: an input (x1, x2) or the label y"),
    ("node border", "#8c510a", "brown border: a parameter (weight w or bias b), trained"),
    ("node border", "#000000", "thick black border: the loss"),
    ("edge", "#e08214", "orange edge: a positive weight; wider = larger |w|"),
    ("edge", "#8073ac", "purple edge: a negative weight"),
    ("edge", "#a0a0a0", "grey edge: a value used by an operation"),
    ("point", "filled", "filled dot: a training point, coloured by its class"),
    ("point", "ring", "ring in its class's colour: a test point (not trained on)"),
    ("point", "big ring", "large black ring: the traced point, whose graph is drawn"),
)


def legend_text():
    """The legend as lines of text (the command line prints it)."""
    return "\n".join(text for _, _, text in LEGEND)

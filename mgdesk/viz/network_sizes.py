"""The sizes of the network view's boxes and cells, in points, without drawing anything.

The layout of viz.network is computed from these (every record's width from its text in
Courier, whose advance graphviz-pure knows), so the picture's size, and so the size of its
text once fitted into the window, is known before any layout program runs: `choose_open`
opens as much of a network as still reads at 9 px.
"""

from mgdesk.viz.dot import COMPACT_WIDTH, FONT_SIZE

__all__ = [
    "AREA",
    "CHAR_WIDTH",
    "READABLE_PX",
    "cell_size",
    "choose_open",
    "fit_text_px",
    "layout_size",
    "record_size",
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


def _closed_size(group, stacked):
    """A closed neuron is its heatmap square (as tall as its record) and its record."""
    width, height = record_size(group.name if group.kind != "loss" else "loss", stacked)
    return (width + height + HEAT_GAP if group.kind == "neuron" else width), height


OPS = {"*": "×", "+": "+", "-": "−", "**": "**", "neg": "−"}  # an unnamed value's label


def neuron_labels(group):
    """The records of an open neuron: each is named by what it is (no op circles: the
    label says the operation, so 2-2-1 opens whole at a readable size)."""
    act, name = group.neuron.activation, group.name
    products = [f"w{j + 1}·x{j + 1}" for j in range(len(group.products))]
    if group.output is group.chain[-1]:
        return products, f"{name} = Σ w·x + b", ""
    return products, "Σ w·x + b", f"{name} = {act}(Σ)"


def neuron_parts(group, stacked):
    """Widths of an open neuron's sub-columns (weights and bias, products, sum,
    activation), the height of one of its rows, and its height.

    Row j holds weight j and its product w·x; the last row the bias; the sum and the
    activation sit in the middle: k + 1 rows for k inputs."""
    products, total, out = neuron_labels(group)
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


def loss_levels(group):
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


def value_label(v):
    return v.label or (OPS.get(v._op, v._op) if v._prev else "constant")


def _loss_size(group, stacked):
    levels = loss_levels(group)
    width = sum(
        max(record_size(value_label(v), stacked)[0] for v in level) + SUB_GAP for level in levels
    )
    height = max(
        sum(record_size(value_label(v), stacked)[1] + LOSS_GAP for v in level) - LOSS_GAP
        for level in levels
    )
    return width, height


def cell_size(group, opened, stacked):
    """(width, height) of a group's cell in the layout."""
    if group.name not in opened or group.kind in ("input", "target"):
        return _closed_size(group, stacked)
    if group.kind == "loss":
        return _loss_size(group, stacked)
    widths, _, height = neuron_parts(group, stacked)
    return sum(widths) + SUB_GAP * (len(widths) - 1), height


def columns_of(groups):
    columns = {}
    for g in groups.groups:
        columns.setdefault(g.column, []).append(g)
    return [columns[c] for c in sorted(columns)]


def layout_size(groups, opened, stacked):
    """(width, height) in points of the whole picture, without drawing it."""
    widths, heights = [], []
    for column in columns_of(groups):
        sizes = [cell_size(g, opened, stacked) for g in column]
        widths.append(max(w for w, _ in sizes))
        heights.append(sum(h for _, h in sizes) + ROW_GAP * (len(sizes) - 1))
    closed = [
        sum(cell_size(g, (), stacked)[1] for g in col) + ROW_GAP * (len(col) - 1)
        for col in columns_of(groups)
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

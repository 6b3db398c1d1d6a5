"""The network view: closed neurons, any of them opened in place, readable at fit."""

import pytest

from mgdesk.engine import MLP
from mgdesk.teach.stepper import NetworkStepper
from mgdesk.train import LOSSES, TrainConfig, make_dataset, sample_loss
from mgdesk.train.trainer import scores
from mgdesk.viz import GraphRenderer
from mgdesk.viz.dot import LEGEND, format_compact, to_dot, weight_style
from mgdesk.viz.network import (
    READABLE_PX,
    choose_open,
    fit_text_px,
    layout_size,
    network_groups,
    parse_open,
    trace_network,
)
from mgdesk.viz.trace import quiet_caption, worst_sample


def groups_of(hidden, activation="tanh", x=(0.5, -0.3), y=1.0, loss="hinge", seed=0):
    model = MLP(2, [*hidden, 1], activation, seed=seed)
    root = sample_loss(model, x, y, loss)
    root.backward()
    return network_groups(root, model), model, root


def test_closed_view_has_one_box_per_neuron_and_weight_edges():
    groups, model, root = groups_of([8, 8])
    graph = trace_network(groups)
    neurons = [n for n in graph.nodes if n.kind == "neuron"]
    assert [n.label for n in neurons] == [n.name for layer in model.layers for n in layer.neurons]
    records = [n for n in graph.nodes if n.kind != "heat"]  # (a heatmap square per neuron)
    assert len(records) < 40  # a few dozen records
    assert sum(n.kind == "heat" for n in graph.nodes) == len(neurons)
    weighted = [w for w in graph.weights if w is not None]
    assert len(weighted) == 2 * 8 + 8 * 8 + 8  # one edge per weight
    score = next(n for n in neurons if n.label == "L3.N1")
    out = model.layers[-1].neurons[0]
    assert score.id == f"n{groups.index[id(groups['L3.N1'].output)]}" and out.w


def test_opening_a_neuron_adds_exactly_its_records_and_moves_nothing_above_or_left():
    groups, model, root = groups_of([8, 8])
    closed = trace_network(groups)
    opened = trace_network(groups, parse_open("L1.N2", groups))
    new = {n.id for n in opened.nodes} - {n.id for n in closed.nodes}
    records = [n for n in opened.nodes if n.id in new and n.kind == "value"]
    labels = sorted(n.label for n in records)
    # weights, bias, products and sum, each record named by what it is
    assert labels == sorted(["L1.N2.b", "L1.N2.w1", "L1.N2.w2", "w1·x1", "w2·x2", "Σ w·x + b"])
    neuron = model.layers[0].neurons[1]
    by_label = {n.label: n for n in opened.nodes}
    assert by_label["L1.N2.w2"].data == neuron.w[1].data
    assert by_label["L1.N2.w2"].grad == neuron.w[1].grad != 0
    out = next(n for n in opened.nodes if n.label == "L1.N2 = tanh(Σ)")
    assert out.kind == "value" and out.id == next(n.id for n in closed.nodes if n.label == "L1.N2")
    # still: L1.N1 (above) and the inputs (left) keep their place; the rest only shifts
    before = dict(zip((n.id for n in closed.nodes), closed.positions))
    after = dict(zip((n.id for n in opened.nodes), opened.positions))
    for label in ("x1", "x2", "L1.N1"):
        nid = next(n.id for n in closed.nodes if n.label == label)
        assert before[nid] == after[nid]
    for nid in before.keys() & after.keys():
        assert after[nid][0] >= before[nid][0] and after[nid][1] >= before[nid][1]


def test_open_all_covers_every_value_and_layers_open_whole():
    groups, model, root = groups_of([3, 3])
    assert parse_open("L2", groups) == {"L2.N1", "L2.N2", "L2.N3"}
    graph = trace_network(groups, parse_open("all", groups))
    shown = {n.id for n in graph.nodes if n.kind == "value"}
    sums = {id(v) for g in groups.groups if g.kind == "neuron" for v in g.chain[:-1]}
    expected = {f"n{i}" for i, v in enumerate(groups.topo) if id(v) not in sums}
    assert shown == expected  # every Value but the partial sums (drawn as one Σ)
    with pytest.raises(ValueError, match="L1 to L3"):
        parse_open("L9", groups)


@pytest.mark.parametrize(
    ("hidden", "opened"),
    [
        ([2], "all"),  # 2-2-1: every operation reads at the default window size
        ([4], "L2,loss"),  # 2-4-1: the output neuron and the loss
        ([2, 2], "L3,loss"),
        ([8, 8], "loss"),
        ([16, 16], ""),
    ],
)
def test_the_default_opening_is_the_most_that_reads(hidden, opened):
    groups, _, _ = groups_of(hidden)
    assert choose_open(groups)[0] == parse_open(opened, groups)


@pytest.mark.parametrize("hidden", [[4], [8, 8], [16, 16], [32, 32]])
def test_the_default_view_reads_at_fit(hidden):
    groups, _, _ = groups_of(hidden)
    opened, stacked, px = choose_open(groups)
    assert px >= READABLE_PX
    assert px == pytest.approx(fit_text_px(layout_size(groups, opened, stacked)))


def test_a_rendered_network_view_patches_numbers_and_weights(svg_reader):
    groups, model, root = groups_of([4, 4])
    renderer = GraphRenderer()
    graph = trace_network(groups, parse_open("L2.N1", groups))
    first = renderer.render_graph(graph)
    for p in model.parameters():
        p.data = -p.data
    root = sample_loss(model, (0.5, -0.3), 1.0)
    root.backward()
    groups = network_groups(root, model)
    again = renderer.render_graph(trace_network(groups, parse_open("L2.N1", groups)))
    assert again.cached and not first.cached
    nodes, _ = svg_reader(again.svg)
    w = model.layers[1].neurons[0].w[0]
    texts = next(t for t, _ in nodes.values() if t[0] == "L2.N1.w1")
    assert texts[1] == f"data {format_compact(w.data)}"
    text = again.svg.decode()
    colour, width = weight_style(model.layers[0].neurons[0].w[0].data)
    assert f'stroke="{colour}" stroke-width="{width:.2f}"' in text
    assert "pos=" in to_dot(trace_network(groups))


def test_format_compact_fits_seven_characters():
    for x in (0.0, 1e-3, -0.12345, 99.9996, -12345.6, 1e-12, 5e-324, -1e300, 3e10):
        assert len(format_compact(x)) <= 7
    assert format_compact(-0.12345) == "-0.123" and format_compact(0.0) == "0"


def test_worst_sample_has_the_largest_loss():
    config = TrainConfig(layers=(4,), activation="tanh")
    data = make_dataset(config)
    model = MLP(2, [4, 1], "tanh", seed=3)
    index = worst_sample(model, data.x_train, data.y_train, "hinge")
    losses = [
        LOSSES["hinge"].point(s, y)[0] for s, y in zip(scores(model, data.x_train), data.y_train)
    ]
    assert losses[index] == max(losses) and losses.count(max(losses)) >= 1


def test_quiet_caption_says_why_every_gradient_is_zero():
    _, _, root = groups_of([2], x=(0.0, 0.0), y=1.0)
    assert quiet_caption("hinge", root) == ""
    model = MLP(2, [1], "linear", seed=0)
    for p in model.parameters():
        p.data = 0.0
    model.layers[-1].neurons[0].b.data = 5.0  # score 5, label +1: margin, loss 0
    root = sample_loss(model, (0.1, 0.2), 1.0, "hinge")
    root.backward()
    assert root.data == 0
    assert "hinge loss 0, so every gradient is 0" in quiet_caption("hinge", root)


def test_legend_explains_node_edge_and_point_colours():
    kinds = {kind for kind, _, _ in LEGEND}
    assert {"node fill", "node border", "edge", "point"} <= kinds


@pytest.mark.parametrize("opened", ["", "L1.N2,loss", "all"])
def test_network_stepper_gives_the_engine_gradients_at_any_opening(opened):
    groups, model, root = groups_of([3, 3], activation="relu", seed=2)
    want = [p.grad for p in model.parameters()]
    stepper = NetworkStepper(groups, parse_open(opened, groups), model.parameters())
    assert all(p.grad == 0 for p in model.parameters())
    captions = []
    while stepper.step():
        captions.append(stepper.caption())
    assert [p.grad for p in model.parameters()] == want
    stepper.jump_to(2)
    stepper.jump_to(len(stepper))
    assert [p.grad for p in model.parameters()] == want
    if not opened:  # closed neurons: one step each, with the chain rule and the +=
        assert len(stepper) == len(groups.groups)
        text = "\n".join(captions)
        assert "L3.N1.w1.grad = " in text and "; was " in text
    else:
        assert len(stepper) > len(groups.groups)

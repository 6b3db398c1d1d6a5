"""Tracing: the drawn nodes and edges are exactly the Value graph's, ids are stable."""

from mgdesk.engine import Value
from mgdesk.viz import trace_graph, trace_neurons
from mgdesk.viz.graph import ops_node_count


def test_ops_view_has_every_value_op_and_edge(trace_sample):
    root, _ = trace_sample((4, 4, 1))
    topo = root.topological_order()
    graph = trace_graph(root)
    interior = [v for v in topo if v._prev]
    values = [n for n in graph.nodes if n.kind == "value"]
    ops = [n for n in graph.nodes if n.kind == "op"]
    assert len(values) == len(topo) and len(ops) == len(interior)
    assert len(graph.nodes) == ops_node_count(root) == 178
    assert len(graph.edges) == sum(len(v._prev) for v in topo) + len(interior)
    for node, value in zip(values, topo, strict=True):
        assert node.id == f"n{node.index}" and topo[node.index] is value
        assert (node.data, node.grad, node.label, node.op) == (
            value.data,
            value.grad,
            value.label,
            value._op,
        )


def test_roles_and_names_come_from_the_engine(trace_sample):
    root, _ = trace_sample((2, 1))
    roles = {n.label: n.role for n in trace_graph(root).nodes if n.kind == "value" and n.label}
    assert roles["x1"] == roles["x2"] == "input"
    assert roles["y"] == "target"
    assert roles["L1.N2.w1"] == roles["L2.N1.b"] == "parameter"
    assert roles["loss"] == "loss" and roles["score"] == "intermediate"
    consts = [n for n in trace_graph(root).nodes if n.kind == "value" and not n.label]
    assert {n.role for n in consts if not n.op} == {"constant"}


def test_a_value_used_twice_has_two_edges():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    graph = trace_graph(b)
    assert graph.edges == (("n0", "n1_op"), ("n0", "n1_op"), ("n1_op", "n1"))
    assert graph.nodes[0].grad == 2.0


def test_the_shape_ignores_numbers_but_not_the_architecture(trace_sample):
    a, _ = trace_sample((4, 4, 1), x=(0.5, -0.3))
    b, _ = trace_sample((4, 4, 1), x=(-2.0, 1.0), seed=5)
    c, _ = trace_sample((4, 3, 1))
    d, _ = trace_sample((4, 4, 1), activation="relu")
    assert trace_graph(a).shape() == trace_graph(b).shape()
    assert trace_graph(a).shape() != trace_graph(c).shape()
    assert trace_graph(a).shape() != trace_graph(d).shape()


def test_neuron_view_one_node_per_neuron(trace_sample):
    root, model = trace_sample((4, 4, 1))
    graph = trace_neurons(root, model)
    ops = {n.id: n for n in trace_graph(root).nodes}
    neurons = [n for n in graph.nodes if n.kind == "neuron"]
    expected = [f"L1.N{j}" for j in (1, 2, 3, 4)] + [f"L2.N{j}" for j in (1, 2, 3, 4)]
    assert [n.label for n in neurons] == expected + ["L3.N1"]
    assert {n.label for n in graph.nodes if n.kind == "value"} == {"x1", "x2", "y", "loss"}
    # 2 inputs -> 4 -> 4 -> 1 -> loss, plus y -> loss
    assert len(graph.edges) == 2 * 4 + 4 * 4 + 4 * 1 + 1 + 1
    # a neuron shows its output value: same id, data and grad as in the ops view
    hidden = model.layers[0]([0.5, -0.3])
    for node, out in zip(neurons[:4], hidden, strict=True):
        assert node.data == out.data and ops[node.id].grad == node.grad
        assert node.op == "tanh" and ops[node.id].op == "tanh"
    first = model.layers[0].neurons[0]
    assert neurons[0].weight_grads == (min(w.grad for w in first.w), max(w.grad for w in first.w))
    assert neurons[-1].op == "linear"


def test_wide_layers_meet_in_one_hub(trace_sample):
    root, model = trace_sample((40, 40, 1), activation="relu")
    graph = trace_neurons(root, model)
    hubs = [n for n in graph.nodes if n.kind == "op"]
    assert [h.label for h in hubs] == ["40x40"]  # 1,600 weights > DENSE_EDGES; 2x40 is drawn
    assert len(graph.nodes) == 2 + 81 + 1 + 2
    assert len(graph.edges) == 2 * 40 + 40 + 40 + 40 + 1 + 1
    hub = hubs[0].id
    assert sum(1 for a, b in graph.edges if b == hub) == sum(1 for a, b in graph.edges if a == hub)

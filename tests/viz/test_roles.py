"""One role vocabulary: the graph's boxes, their borders and the inspector name roles alike."""

from mgdesk.engine import Value
from mgdesk.teach.explain import node_role
from mgdesk.viz.dot import ROLE_STYLE
from mgdesk.viz.graph import trace_graph
from mgdesk.viz.pair import side_graph
from mgdesk.viz.roles import ROLES, is_parameter_label, value_role


def test_the_graph_and_the_inspector_give_a_value_the_same_role(trace_sample):
    root, _ = trace_sample()
    topo = root.topological_order()
    boxes = [n for n in trace_graph(root).nodes if n.kind == "value"]
    assert len(boxes) == len(topo)
    for box, value in zip(boxes, topo, strict=True):
        assert box.role == value_role(value, root) in ROLES
        inspected = node_role(value, root)
        assert inspected == ("input" if box.role == "target" else box.role)
    assert {box.role for box in boxes} == set(ROLES)  # every role occurs in a sample's loss


def test_every_role_has_a_border_and_words():
    assert set(ROLES) <= set(ROLE_STYLE)
    assert all(ROLES[role] for role in ROLES)


def test_parameters_by_name_or_by_list():
    w = Value(0.5, label="L1.N3.w2")
    assert is_parameter_label("L2.N1.b") and not is_parameter_label("L1.N3.w2x")
    assert value_role(w) == "parameter"
    assert value_role(w, params=[]) == "input"
    assert value_role(Value(1.0, label="w1"), params=[]) == "input"
    assert value_role(Value(1.0), params=[]) == "constant"


def test_a_failing_checks_drawing_uses_the_same_roles():
    side = {
        "nodes": [
            {"id": "a", "label": "a", "op": "", "data": 1.0, "grad": 2.0},
            {"id": "c", "label": "", "op": "", "data": 2.0, "grad": 1.0},
            {"id": "m", "label": "", "op": "*", "data": 2.0, "grad": 1.0},
            {"id": "o", "label": "", "op": "tanh", "data": 0.9, "grad": 1.0},
        ],
        "edges": [("a", "m"), ("c", "m"), ("m", "o")],
    }
    roles = {n.id: n.role for n in side_graph(side).graph.nodes if n.kind == "value"}
    assert roles == {"a": "input", "c": "constant", "m": "intermediate", "o": "loss"}
    assert set(roles.values()) <= set(ROLES)

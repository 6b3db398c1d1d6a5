"""A failing check carries its smallest failing expression, read from both engines."""

import importlib.util

from learner_notes import engine_source, mutant

from mgdesk.check import run_checks
from mgdesk.check.expressions import _smallest_failing, _text
from mgdesk.check.graphs import snapshot
from mgdesk.check.ops import OP
from mgdesk.engine import Value
from mgdesk.viz.pair import MARK, pair_graphs

ADD_ASSIGNS = ("grad += 1.0 * out.grad", "grad = 1.0 * out.grad")


def write(tmp_path, source):
    path = tmp_path / "engine.py"
    path.write_text(source, encoding="utf-8")
    return path


def load(path):
    spec = importlib.util.spec_from_file_location("mutant_engine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Value


def by_label(side):
    return {n["label"]: n for n in side["nodes"] if n["label"]}


def test_a_plus_a_is_drawn_from_both_engines_with_the_input_marked(tmp_path):
    path = write(tmp_path, mutant(engine_source(), *ADD_ASSIGNS, count=2))
    (result,) = run_checks(path, names=["a + a accumulates"], graphs=True)
    graph = result["graph"]
    assert (graph["expression"], graph["at"]) == ("a + a", "a = 3")
    theirs, ours = by_label(graph["theirs"]), by_label(graph["ours"])
    assert (theirs["a"]["grad"], ours["a"]["grad"]) == (1.0, 2.0)
    assert theirs["out"]["op"] == ours["out"]["op"] == "+"
    assert graph["theirs"]["differs"] == [theirs["a"]["id"]]
    assert graph["ours"]["differs"] == [ours["a"]["id"]]
    # without graphs=True (the command line) the result keeps its three keys
    (plain,) = run_checks(path, names=["a + a accumulates"])
    assert set(plain) == {"name", "status", "hint"}


def test_a_wrong_tanh_derivative_is_drawn_at_the_failing_inputs(tmp_path):
    path = write(tmp_path, mutant(engine_source(), "(1 - t**2)", "(1 - t)"))
    (result,) = run_checks(path, names=["tanh"], graphs=True)
    graph = result["graph"]
    assert graph["expression"] == "a.tanh()" and graph["at"] in result["hint"]
    theirs, ours = by_label(graph["theirs"]), by_label(graph["ours"])
    assert theirs["a"]["data"] == ours["a"]["data"] and theirs["a"]["grad"] != ours["a"]["grad"]
    assert theirs["out"]["data"] == ours["out"]["data"]  # forward is right: out is not marked
    assert graph["theirs"]["differs"] == [theirs["a"]["id"]]


def test_a_failing_random_expression_is_shrunk_to_a_sub_expression_that_still_fails(tmp_path):
    V = load(write(tmp_path, mutant(engine_source(), *ADD_ASSIGNS, count=2)))
    a_plus_a = (OP["a + b"], ("leaf", 0), ("leaf", 0))
    passes_alone = (OP["a * b"], ("leaf", 1), ("leaf", 2))
    tree = (OP["a * b"], (OP["a + b"], a_plus_a, passes_alone), ("leaf", 1))
    smallest, hint = _smallest_failing(V, tree, [0.7, -1.2, 0.4])
    assert _text(smallest) == "(a + a)"
    assert "(a + a)" in hint and "a.grad" in hint


def test_passing_checks_and_mgdesks_engine_carry_no_graph(tmp_path):
    path = write(tmp_path, "from mgdesk.engine import Value\n")
    results = run_checks(path, names=["a + b", "a + a accumulates", "tanh"], graphs=True)
    assert [r["status"] for r in results] == ["pass"] * 3
    assert all("graph" not in r for r in results)


def test_a_value_without_prev_cannot_be_drawn_and_says_why():
    class Bare:
        data, grad = 1.0, 0.0

    side = snapshot(Bare(), {})
    assert side == {
        "error": "cannot read the graph: it has no `_prev` (the values it was made from)"
    }
    assert pair_graphs({"theirs": side, "ours": side})[0].error == side["error"]


def test_the_drawing_marks_exactly_the_differing_values():
    a = Value(2.0)
    out = a * a
    out.backward()
    side = snapshot(out, {id(a): "a", id(out): "out"})
    side["differs"] = [n["id"] for n in side["nodes"] if n["label"] == "a"]
    drawn, _ = pair_graphs({"theirs": side, "ours": side})
    assert [n.label for n in drawn.differs] == ["a"] and set(drawn.styles.values()) == {MARK}
    kinds = sorted(n.kind for n in drawn.graph.nodes)
    assert kinds == ["op", "value", "value"]  # a, out, and the * that makes out
    assert sum(1 for e in drawn.graph.edges if e[0] == "n0") == 2  # a is used twice

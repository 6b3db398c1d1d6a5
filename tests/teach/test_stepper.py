"""The backward stepper: exact against backward(), exact undo, captions a learner can follow."""

import random
import time

import pytest

from mgdesk.engine import MLP, Value
from mgdesk.teach.stepper import BackwardStepper


def hinge_graph(nouts, activation, seed=0):
    """One sample's hinge loss `(1 + -y*score).relu()` through MLP(2, nouts)."""
    model = MLP(2, nouts, activation=activation, seed=seed)
    x = [Value(0.5, label="x1"), Value(-1.2, label="x2")]
    score = model(x)
    loss = (1 + -Value(1.0, label="y") * score).relu()
    loss.label = "loss"
    return loss, model


def seed_neuron():
    """The learner's neuron: o = tanh(x1*w1 + x2*w2 + b), with their labels."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1w1", "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1x2w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def twice():
    """c = (a + a) * 0.5: a is used twice, so its grad arrives in two parts."""
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    c = b * 0.5
    c.label = "c"
    return c


GRAPHS = {
    "seed neuron": seed_neuron,
    "a + a": twice,
    "2-4-1 tanh": lambda: hinge_graph([4, 1], "tanh")[0],
    "2-4-4-1 relu": lambda: hinge_graph([4, 4, 1], "relu")[0],
    "2-4-4-1 tanh": lambda: hinge_graph([4, 4, 1], "tanh", seed=3)[0],
}


def step_named(stepper, name):
    """The step number of the entry called `name`."""
    return next(k for k, entry_name, _ in stepper.entries() if entry_name == name)


def grads(root):
    return [node.grad for node in root.topological_order()]


@pytest.mark.parametrize("build", GRAPHS.values(), ids=GRAPHS.keys())
def test_stepping_every_node_gives_exactly_the_grads_of_backward(build):
    reference = build()
    reference.backward()
    root = build()
    stepper = BackwardStepper(root)
    steps = 0
    while stepper.step():
        steps += 1
    assert steps == len(stepper) == len(root.topological_order())
    assert grads(root) == grads(reference)
    assert any(g != 0 for g in grads(root))


@pytest.mark.parametrize("build", GRAPHS.values(), ids=GRAPHS.keys())
def test_back_restores_every_earlier_state_exactly_down_to_all_zero(build):
    root = build()
    stepper = BackwardStepper(root)
    states = [grads(root)]
    assert set(states[0]) == {0.0}
    while stepper.step():
        states.append(grads(root))
    while stepper.back():
        states.pop()
        assert grads(root) == states[-1]
    assert stepper.position == 0 and set(grads(root)) == {0.0}


def test_jump_to_equals_stepping_there_from_the_start():
    root, _ = hinge_graph([4, 4, 1], "tanh")
    stepper = BackwardStepper(root)
    expected = [grads(root)]
    while stepper.step():
        expected.append(grads(root))
    rng = random.Random(1)
    for target in [0, len(stepper), 3] + [rng.randrange(len(stepper) + 1) for _ in range(30)]:
        stepper.jump_to(target)
        assert stepper.position == target
        assert grads(root) == expected[target]
    stepper.run_to_end()
    assert grads(root) == expected[-1]


def test_moving_past_either_end_is_refused_clearly():
    stepper = BackwardStepper(twice())
    assert stepper.back() is False
    stepper.run_to_end()
    assert stepper.step() is False and stepper.position == len(stepper) == 4
    with pytest.raises(ValueError, match="between 0 and 4"):
        stepper.jump_to(5)
    with pytest.raises(ValueError, match="between 0 and 4"):
        stepper.jump_to(-1)


def test_the_stepper_zeroes_the_grads_and_restore_gives_them_back():
    root, model = hinge_graph([4, 1], "tanh")
    root.backward()
    before = grads(root)
    assert any(before)
    stepper = BackwardStepper(root)
    assert set(grads(root)) == {0.0}
    stepper.jump_to(7)
    stepper.restore()
    assert grads(root) == before and stepper.position == 0


def test_the_order_is_root_first_and_every_node_waits_for_all_its_users():
    root, _ = hinge_graph([4, 4, 1], "relu")
    stepper = BackwardStepper(root)
    assert stepper.order[0] is root
    assert len(set(stepper.order)) == len(stepper.order)
    step_of = {node: k for k, node in enumerate(stepper.order)}
    for node in stepper.order:
        for child in node._prev:
            assert step_of[child] > step_of[node]


def test_states_done_current_waiting():
    root, _ = hinge_graph([4, 1], "tanh")
    stepper = BackwardStepper(root)
    assert {stepper.state_of(n) for n in stepper.order} == {"waiting"}
    assert stepper.current is None
    stepper.jump_to(5)
    states = [stepper.state_of(n) for n in stepper.order]
    assert states == ["done"] * 4 + ["current"] + ["waiting"] * (len(stepper) - 5)
    assert stepper.current is stepper.order[4]
    stepper.run_to_end()
    assert stepper.state_of(stepper.order[-1]) == "current"


def test_entries_list_the_backward_order_with_readable_names():
    stepper = BackwardStepper(hinge_graph([4, 1], "tanh")[0])
    entries = stepper.entries()
    assert entries[0] == (1, "loss", "relu")
    assert [e[0] for e in entries] == list(range(1, len(stepper) + 1))
    names = [name for _, name, _ in entries]
    assert len(set(names)) == len(names)
    assert "L1.N1.w1" in names and "x1" in names and "y" in names
    plus = next(name for _, name, op in entries if op == "+")  # unnamed: "n<id> (+)"
    assert plus.startswith("n") and plus.endswith(" (+)")
    assert "n1 (constant −1)" in names  # the -1 of -y


def test_unnamed_nodes_are_numbered_by_their_place_in_the_topological_order():
    root, _ = hinge_graph([4, 1], "tanh")
    stepper = BackwardStepper(root)
    for i, node in enumerate(root.topological_order()):
        assert stepper.name(node) == (node.label or f"n{i}")


def test_captions_give_the_chain_rule_in_numbers_for_the_seed_neuron():
    stepper = BackwardStepper(seed_neuron())
    assert "All grads are 0" in stepper.caption()
    stepper.step()
    assert stepper.caption() == (
        "Step 1 of 10, o: o.grad = 1 (do/do); passed on to its input:\n"
        "  n.grad += (1 − o.data²) × o.grad = 0.5 × 1 = 0.5"
    )
    stepper.jump_to(step_named(stepper, "x2w2"))
    assert stepper.caption() == (
        "Step 5 of 10, x2w2: grad 0.5 is complete (its only use is done); passed on to its 2 "
        "inputs:\n"
        "  x2.grad += w2.data × x2w2.grad = 1 × 0.5 = 0.5\n"
        "  w2.grad += x2.data × x2w2.grad = 0 × 0.5 = 0"
    )


def test_a_node_used_twice_shows_the_accumulation():
    stepper = BackwardStepper(twice())
    stepper.jump_to(step_named(stepper, "b"))
    caption = stepper.caption()
    assert caption.splitlines()[1:] == [
        "  a.grad += 1 × b.grad = 1 × 0.5 = 0.5",
        "  a.grad += 1 × b.grad = 1 × 0.5 = 0.5; a.grad was 0.5, += 0.5, now 1",
    ]
    stepper.step()
    assert "grad 1 is complete (all 2 uses are done); a leaf" in stepper.caption()
    stepper.back()
    assert stepper.caption() == caption  # the caption comes back with the step


def test_an_input_shared_by_several_neurons_accumulates_across_steps():
    root, _ = hinge_graph([4, 1], "tanh")
    stepper = BackwardStepper(root)
    seen = []
    while stepper.step():
        seen += [line for line in stepper.caption().splitlines() if line.startswith("  x1.grad")]
    assert len(seen) == 4  # one edge per first-layer neuron
    assert "was" not in seen[0] and all("; x1.grad was " in line for line in seen[1:])
    x1 = next(n for n in stepper.order if n.label == "x1")
    assert seen[-1].endswith(f"now {x1.grad:.4g}".replace("-", "−"))


def test_describe_uses_the_graph_names_and_roles():
    root, model = hinge_graph([4, 1], "tanh")
    stepper = BackwardStepper(root, params=model.parameters())
    stepper.run_to_end()
    info = stepper.describe(root)
    assert (info["name"], info["op"], info["role"], info["grad"]) == ("loss", "relu", "loss", 1.0)
    w = model.layers[0].neurons[0].w[0]
    assert stepper.describe(w)["role"] == "parameter" and stepper.describe(w)["grad"] == w.grad
    assert stepper.touched(1)[0] is root


def test_step_and_back_take_microseconds_on_a_2_4_4_1_graph():
    stepper = BackwardStepper(hinge_graph([4, 4, 1], "tanh")[0])
    n = len(stepper)
    start = time.perf_counter()
    for _ in range(20):
        stepper.run_to_end()
        stepper.jump_to(0)
    per_move = (time.perf_counter() - start) / (40 * n)
    assert per_move < 20e-6, f"{per_move * 1e6:.1f} µs per step"


def test_a_2_16_16_1_graph_steps_through_quickly():
    root, _ = hinge_graph([16, 16, 1], "relu")  # ~1,000 Values, ~1,600 drawn nodes
    start = time.perf_counter()
    stepper = BackwardStepper(root)
    stepper.run_to_end()
    stepper.jump_to(0)
    assert time.perf_counter() - start < 0.2


def test_a_single_value_is_one_step():
    a = Value(2.0, label="a")
    stepper = BackwardStepper(a)
    assert stepper.step() and a.grad == 1.0
    assert stepper.caption() == "Step 1 of 1, a: a.grad = 1 (da/da); a leaf, nothing to pass on."
    assert stepper.back() and a.grad == 0.0

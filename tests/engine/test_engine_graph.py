"""The graph as a whole: order, depth, calling backward twice, and no reference cycles."""

import gc
import random

import pytest
from learner_notes import learner_module

from mgdesk.engine import MLP, Value


@pytest.fixture
def learner():
    """The learner's own code, loaded from their notes (the test skips without them)."""
    return learner_module()


def test_topological_order_puts_inputs_first_like_micrograd():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d.tanh()
    order = e.topological_order()
    assert order == [a, b, c, d, e]  # micrograd's recursive build_topo order
    assert len(order) == len(set(order))
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[child] < position[node] for child in node._prev)


def test_a_chain_of_100000_operations_differentiates():
    x = Value(0.5, label="x")
    out = x
    for i in range(100_000):
        out = out + 1.0 if i % 2 else out * 1.0
    out.backward()  # no RecursionError
    assert x.grad == 1.0
    assert len(out.topological_order()) == 200_001  # 100,000 ops + 100,000 constants + x
    del out  # freeing the deep chain does not overflow the C stack either


def test_backward_twice_accumulates_into_leaves_only():
    a, b = Value(2.0), Value(-3.0)
    c = a * b  # interior
    d = c + a  # interior
    out = d.tanh()
    out.backward()
    first = {name: v.grad for name, v in dict(a=a, b=b, c=c, d=d, out=out).items()}
    out.backward()
    assert a.grad == pytest.approx(2 * first["a"], rel=1e-15)
    assert b.grad == pytest.approx(2 * first["b"], rel=1e-15)
    # interior nodes are recomputed from zero: not double counted
    assert c.grad == first["c"]
    assert d.grad == first["d"]
    assert out.grad == 1.0


def test_backward_twice_on_a_model_equals_twice_the_gradient():
    model = MLP(2, [4, 1], activation="tanh", seed=3)
    loss = (model([0.3, -0.7]) - 1.0) ** 2
    loss.backward()
    once = [p.grad for p in model.parameters()]
    loss.backward()
    assert [p.grad for p in model.parameters()] == pytest.approx([2 * g for g in once])
    model.zero_grad()
    loss.backward()
    assert [p.grad for p in model.parameters()] == pytest.approx(once)


def garbage_after_training_step(value_type, model, points):
    """Build and back-propagate a loss graph with the cyclic GC off, drop it, then count the
    `value_type` objects that only the cyclic collector could free."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        loss = sum(((model(x) - y) ** 2 for x, y in points), value_type(0.0))
        loss.backward()
        del loss
        gc.set_debug(gc.DEBUG_SAVEALL)  # keep what collect() finds, so we can look at it
        gc.collect()
        return sum(isinstance(obj, value_type) for obj in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


POINTS = [([0.5, -1.0], 1.0), ([-0.3, 0.8], -1.0), ([1.2, 0.1], 1.0)]


def test_an_mlp_graph_leaves_no_reference_cycles():
    model = MLP(2, [8, 8, 1], activation="tanh", seed=0)
    assert garbage_after_training_step(Value, model, POINTS) == 0


def test_the_cycle_check_catches_a_closure_engine(learner):
    """Against micrograd's closures (the learner's engine) the same check finds the graph."""
    state = random.getstate()
    random.seed(0)
    try:
        model = learner.MLP(2, [8, 8, 1])
    finally:
        random.setstate(state)
    assert garbage_after_training_step(learner.Value, model, POINTS) > 100

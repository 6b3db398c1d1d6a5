"""mgdesk.engine behaves like micrograd: the seed's numbers and the learner's own code."""

import math
import random

import pytest
from learner_notes import learner_module

from mgdesk.engine import Value, gradcheck

B_SEED = 6.8813735870195432  # the seed's bias: makes o = tanh(0.8813...) = 1/sqrt(2)


@pytest.fixture
def learner():
    """The learner's own code, loaded from their notes (the test skips without them)."""
    return learner_module()


def seed_neuron(tanh):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(B_SEED, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = tanh(n)
    o.backward()
    return o, x1, x2, w1, w2


@pytest.mark.parametrize(
    "tanh",
    [
        lambda n: n.tanh(),
        # the lecture's second form, through exp, - and /
        lambda n: ((2 * n).exp() - 1) / ((2 * n).exp() + 1),
    ],
    ids=["tanh", "via-exp"],
)
def test_seed_neuron_numbers(tanh):
    o, x1, x2, w1, w2 = seed_neuron(tanh)
    assert abs(o.data - 1 / math.sqrt(2)) < 1e-12
    assert abs(x1.grad - -1.5) < 1e-12
    assert abs(w1.grad - 1.0) < 1e-12
    assert abs(x2.grad - 0.5) < 1e-12
    assert abs(w2.grad - 0.0) < 1e-12


def test_gradients_accumulate_over_reused_inputs():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert b.data == 6.0
    assert a.grad == 2.0


def test_prev_keeps_operand_order_and_duplicates():
    x, y = Value(2.0), Value(5.0)
    assert (x * x)._prev == (x, x)
    assert (y + x)._prev == (y, x)
    assert x.tanh()._prev == (x,)
    assert x._prev == ()


def test_op_tags_and_repr():
    a = Value(0.5)
    ops = {
        "+": a + a,
        "*": a * a,
        "tanh": a.tanh(),
        "exp": a.exp(),
        "log": a.log(),
        "relu": a.relu(),
        "sigmoid": a.sigmoid(),
        "**2": a**2,
        "**-1": a**-1,
    }
    for op, v in ops.items():
        assert v._op == op
    assert a._op == ""
    assert (a**2)._arg == 2
    o, *_ = seed_neuron(lambda n: n.tanh())
    assert repr(o) == "Value(data=0.7071, grad=1.0)"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (lambda a: a + 2, 5.0),
        (lambda a: 2 + a, 5.0),
        (lambda a: a - 2, 1.0),
        (lambda a: 2 - a, -1.0),
        (lambda a: a * 2, 6.0),
        (lambda a: 2 * a, 6.0),
        (lambda a: a / 2, 1.5),
        (lambda a: 3 / a, 1.0),
        (lambda a: -a, -3.0),
        (lambda a: a - a, 0.0),
    ],
)
def test_python_numbers_on_either_side(expr, expected):
    out = expr(Value(3.0))
    assert isinstance(out, Value)
    assert out.data == expected
    assert isinstance(out.data, float)


def test_constants_become_unlabelled_leaves():
    a = Value(1.5, label="a")
    out = a * 4
    const = out._prev[1]
    assert const.data == 4.0 and const._op == "" and const.label == ""


@pytest.mark.parametrize(
    "children", [lambda a, b: {a}, lambda a, b: [a, b], lambda a, b: (c for c in (a, b))]
)
def test_children_may_be_any_iterable(children):
    a, b = Value(1.0), Value(2.0)
    expected = (a,) if isinstance(children(a, b), set) else (a, b)
    out = Value(3.0, children(a, b), "+" if len(expected) == 2 else "relu")
    assert out._prev == expected


def test_the_package_docstring_example_runs_and_shows_a_gradient():
    import doctest

    import mgdesk.engine

    result = doctest.testmod(mgdesk.engine)
    assert result.attempted >= 5 and result.failed == 0
    assert "grad" in mgdesk.engine.__doc__ and "\n-1.3364\n" in mgdesk.engine.__doc__


def test_only_numbers_are_exponents():
    with pytest.raises(TypeError):
        Value(2.0) ** Value(3.0)


@pytest.fixture
def learner_on_mgdesk(monkeypatch, learner):
    """The learner's Neuron/Layer/MLP module, with `Value` rebound to mgdesk's, and the
    global random state (their code draws from it) put back afterwards."""
    monkeypatch.setattr(learner, "Value", Value)
    state = random.getstate()
    random.seed(1234)
    yield learner
    random.setstate(state)


def learner_parameters(model):
    return [p for layer in model.layers for n in layer.neurons for p in n.w + [n.b]]


def test_learner_mlp_runs_on_mgdesk_value(learner_on_mgdesk):
    x = [2.0, 3.0, -1.0]
    n = learner_on_mgdesk.MLP(3, [4, 4, 1])
    out = n(x)
    assert isinstance(out, Value) and out._op == "tanh"
    params = learner_parameters(n)
    assert len(params) == 4 * 4 + 4 * 5 + 1 * 5
    assert all(isinstance(p, Value) for p in params)

    result = gradcheck(lambda: n(x), params)
    assert result.max_rel_error < 1e-6


def test_learner_training_loop_lowers_the_loss(learner_on_mgdesk):
    """The lecture's tiny regression: four samples, squared error, plain SGD."""
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    n = learner_on_mgdesk.MLP(3, [4, 4, 1])
    params = learner_parameters(n)
    losses = []
    for _ in range(30):
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data += -0.05 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.1 * losses[0]


def test_learner_trace_and_draw_dot_read_mgdesk_values(learner):
    o, *_ = seed_neuron(lambda n: n.tanh())
    nodes, edges = learner.trace(o)
    assert len(nodes) == 10  # 5 leaves, 2 products, 2 sums, tanh
    assert len(edges) == 9
    pytest.importorskip("graphviz", reason="the learner's draw_dot needs the graphviz package")
    source = learner.draw_dot(o).source
    assert "x1 | data 2.0000 | grad -1.5000" in source
    assert "| data 0.7071 | grad 1.0000" in source


def test_learner_own_engine_agrees_on_the_seed_neuron(learner):
    """Their closure engine and mgdesk agree: the fixture really is a micrograd."""
    x1, x2 = learner.Value(2.0), learner.Value(0.0)
    w1, w2, b = learner.Value(-3.0), learner.Value(1.0), learner.Value(B_SEED)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    mine = seed_neuron(lambda n: n.tanh())
    for theirs, ours in zip((o, x1, x2, w1, w2), mine):
        assert abs(theirs.data - ours.data) < 1e-12
        assert abs(theirs.grad - ours.grad) < 1e-12

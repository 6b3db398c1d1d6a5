"""Local-derivative formulas, node roles, update text and the sample gradient check."""

import math

import numpy as np
import pytest

from mgdesk.engine import MLP, Value
from mgdesk.teach.explain import describe, fmt, local_derivative, node_role, update_text
from mgdesk.train.optim import Adam
from mgdesk.viz.gradcheck import check_sample_gradients

UNARY = ("tanh", "relu", "exp", "log", "sigmoid", "leaky_relu", "gelu", "sin")


def sample_loss(nouts, activation, seed=0):
    """(hinge loss of one sample through MLP(2, nouts), the model)."""
    model = MLP(2, nouts, activation=activation, seed=seed)
    loss = (1 + -Value(-1.0, label="y") * model([Value(0.7, label="x1"), Value(0.2)])).relu()
    return loss, model


def every_op(x):
    """One node per operation the engine has, on the leaf `x` (and a second leaf)."""
    y = Value(-1.3, label="y")
    return [x + y, x * y, x**2, x**-1, x**0.5, x**3] + [getattr(x, op)() for op in UNARY]


@pytest.mark.parametrize("data", [0.7, -0.4, 2.5, 1e-3])
def test_each_local_derivative_is_the_factor_the_engine_applies(data):
    for node in every_op(Value(data, label="x")):
        for i, child in enumerate(node._prev):
            for leaf in node._prev:
                leaf.grad = 0.0
            node.grad = 1.0
            node._backward()
            _, value = local_derivative(node, i)
            assert value == child.grad or math.isnan(value) and math.isnan(child.grad), node._op


def test_formulas_read_like_the_issue():
    n = Value(0.8813735870195432, label="n")
    text, value = local_derivative(n.tanh(), 0)
    assert text == "d tanh(n)/dn = 1 − tanh²(n) = 1 − 0.7071² = 0.5" and value == pytest.approx(0.5)
    a, b = Value(-1.2, label="a"), Value(0.31, label="b")
    assert local_derivative(a * b, 0) == ("d(a·b)/da = b = 0.31", 0.31)
    assert local_derivative(a * b, 1)[0] == "d(a·b)/db = a = −1.2"
    assert local_derivative(a + b, 1) == ("d(a + b)/db = 1", 1.0)
    assert local_derivative(a.relu(), 0) == (
        "d relu(a)/da = (1 if a > 0 else 0) = 0  (a = −1.2)",
        0,
    )
    assert local_derivative(a**2, 0)[0] == "d a^2/da = 2·a = 2·(−1.2) = −2.4"
    assert local_derivative(a**-1, 0)[0].startswith("d a^(−1)/da = −1·a^(−2) = −1·(−1.2)^(−2)")
    assert local_derivative(b.log(), 0)[0] == "d log(b)/db = 1/b = 1/0.31 = 3.226"
    assert local_derivative(Value(0.0).exp(), 0)[0] == "d exp(a)/da = exp(a) = 1"
    assert (
        local_derivative(Value(0.0).sigmoid(), 0)[0]
        == "d σ(a)/da = σ·(1 − σ) = 0.5·(1 − 0.5) = 0.25"
    )


def test_the_new_activations_explain_their_local_derivative():
    a = Value(-1.2, label="a")
    assert local_derivative(a.leaky_relu(), 0) == (
        "d leaky_relu(a)/da = (1 if a > 0 else 0.01) = 0.01  (a = −1.2)",
        0.01,
    )
    assert local_derivative(a.sin(), 0)[0] == "d sin(a)/da = cos(a) = cos(−1.2) = 0.3624"
    text, value = local_derivative(Value(0.0, label="a").gelu(), 0)
    assert text.startswith("d gelu(a)/da = Φ(a) + a·φ(a) = 0.5  (a = 0;") and value == 0.5


def test_a_saturated_tanh_shows_enough_digits_to_make_sense():
    text, value = local_derivative(Value(6.0, label="n").tanh(), 0)
    assert text == "d tanh(n)/dn = 1 − tanh²(n) = 1 − 0.99998771² = 2.458e−05"


def test_an_unknown_operation_is_named():
    odd = Value(1.0, (Value(2.0),), "sqrt")
    with pytest.raises(ValueError, match="'sqrt'"):
        local_derivative(odd, 0)


def test_numbers_are_short_with_a_real_minus():
    assert [fmt(x) for x in (0.0, -0.0, -1.2, 0.372, 1e-7, -123456.0)] == [
        "0",
        "0",
        "−1.2",
        "0.372",
        "1e−07",
        "−1.235e+05",
    ]


def test_roles_of_the_nodes_of_a_sample_loss():
    loss, model = sample_loss([4, 1], "tanh")
    roles = {}
    for node in loss.topological_order():
        roles.setdefault(node_role(node, loss, model.parameters()), set()).add(node.label)
    assert roles["loss"] == {""}
    assert roles["parameter"] == {p.label for p in model.parameters()}
    assert roles["input"] == {"x1", "y"}
    assert "" in roles["constant"] and "" in roles["intermediate"]
    w = model.parameters()[0]
    assert node_role(w) == "parameter"  # known by its name without a list
    assert node_role(w, params=[]) == "input"  # the list decides when given


def test_describe_has_what_the_inspector_shows():
    a = Value(3.0, label="a")
    b = a * a
    b.label, b.grad = "b", 0.5
    info = describe(b, root=b)
    assert info == {
        "name": "b",
        "op": "*",
        "data": 9.0,
        "grad": 0.5,
        "role": "loss",
        "derivatives": [("a", "d(a·a)/da = a = 3", 3.0), ("a", "d(a·a)/da = a = 3", 3.0)],
    }
    assert describe(Value(2.0) + Value(1.0))["derivatives"][1][:2] == ("b", "d(a + b)/db = 1")


def test_update_text():
    assert update_text(0.05, 0.31, "w2") == "w2.data += −lr × grad = −0.05 × 0.31 = −0.0155"
    assert update_text(0.1, -2.0).endswith("= −0.1 × −2 = 0.2")


def test_adams_update_text_is_its_first_step_from_the_grad():
    """Adam's first step from grad g: m̂ = g, v̂ = g², so −lr × g/(|g| + ε), as Adam steps."""
    text = update_text(0.05, 0.31, "w2", optimizer="adam")
    assert text == "w2.data += −lr × m̂/(√v̂ + ε) = −0.05 × 0.31/(|0.31| + 1e−8) = −0.05"
    p, g = np.array([1.0]), np.array([0.31])
    Adam(p, g).step(0.05)
    assert p[0] - 1.0 == pytest.approx(-0.05 * 0.31 / (0.31 + 1e-8), rel=1e-12)


@pytest.mark.parametrize(("nouts", "activation"), [([4, 1], "tanh"), ([4, 4, 1], "relu")])
def test_the_engine_agrees_with_finite_differences(nouts, activation):
    loss, model = sample_loss(nouts, activation)
    params = model.parameters()
    check = check_sample_gradients(loss, params, use_torch=False)
    assert not check.torch_used and check.disagreeing == ()
    assert check.max_rel_error < 1e-5
    assert sorted(r.label for r in check.rows) == sorted(p.label for p in params)
    errors = [r.rel_error for r in check.rows]
    assert errors == sorted(errors, reverse=True) and errors[0] == check.max_rel_error
    loss.backward()
    assert all(r.engine == params[r.index].grad and r.torch is None for r in check.rows)


def test_the_check_leaves_the_traced_graph_alone():
    loss, model = sample_loss([4, 1], "tanh")
    before = [(n.data, n.grad) for n in loss.topological_order()]
    check_sample_gradients(loss, model.parameters(), use_torch=False)
    assert [(n.data, n.grad) for n in loss.topological_order()] == before


def test_the_learners_overwrite_bug_is_caught(monkeypatch):
    loss, model = sample_loss([4, 1], "tanh")
    x1 = next(n for n in loss.topological_order() if n.label == "x1")  # used by 4 neurons
    right = Value._backward

    def overwriting(node):  # `a.grad = ...` instead of `a.grad += ...` in a product
        if node._op == "*":
            a, b = node._prev
            a.grad, b.grad = b.data * node.grad, a.data * node.grad
        else:
            right(node)

    monkeypatch.setattr(Value, "_backward", overwriting)
    check = check_sample_gradients(loss, model.parameters() + [x1], use_torch=False)
    assert check.disagreeing == ("x1",)  # each weight is used once: still right
    assert check.rows[0].label == "x1" and check.max_rel_error > 1e-2


def test_tiny_gradients_are_not_flagged_for_finite_difference_noise():
    w, x = Value(5.0, label="w"), Value(2.0, label="x")
    loss = (w * x).tanh()  # saturated: d/dw ~ 1.6e-8, below what differences resolve
    check = check_sample_gradients(loss, [w, x], use_torch=False)
    assert check.max_rel_error <= 1e-5 and check.disagreeing == () and check.noise > 0
    strict = check_sample_gradients(loss, [w, x], use_torch=False, noise=0.0)
    assert "x" in strict.disagreeing  # without the allowance, rounding reads as a wrong grad


def test_pytorch_agrees_with_the_engine():
    pytest.importorskip("torch", reason="PyTorch is not installed: its cross-check is optional")
    loss, model = sample_loss([4, 4, 1], "tanh", seed=2)
    check = check_sample_gradients(loss, model.parameters())
    assert check.torch_used and check.disagreeing == ()
    for row in check.rows:
        assert row.torch == pytest.approx(row.engine, rel=1e-12, abs=1e-15)


def test_pytorch_rebuilds_every_operation():
    pytest.importorskip("torch", reason="PyTorch is not installed: its cross-check is optional")
    x = Value(0.6, label="x")
    total = sum(every_op(x), Value(0.0))
    check = check_sample_gradients(total, [x])
    assert check.torch_used and check.disagreeing == ()
    (row,) = check.rows
    assert row.torch == pytest.approx(row.engine, rel=1e-12)

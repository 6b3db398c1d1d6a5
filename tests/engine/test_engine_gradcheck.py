"""gradcheck: agrees on a correct graph, catches a wrong gradient, leaves the data alone."""

import math

import pytest

from mgdesk.engine import MLP, Value, gradcheck, relative_error


def mlp_loss(model):
    def f():
        out = model([0.7, -1.3])
        return (out[0] - 1.0) ** 2 + (1 + out[1]).relu()

    return f


def test_gradcheck_agrees_on_an_mlp():
    model = MLP(2, [5, 4, 2], activation="tanh", seed=3)
    params = model.parameters()
    before = [p.data for p in params]
    result = gradcheck(mlp_loss(model), params)
    assert result.max_rel_error < 1e-6
    assert [row[0] for row in result.rows] == [p.label for p in params]
    assert [p.data for p in params] == before  # every nudge was undone
    assert [row[1] for row in result.rows] == [p.grad for p in params]


def test_gradcheck_catches_a_wrong_gradient():
    x = Value(2.0, label="x")
    # a node whose tag says exp but whose data is sin: backward uses exp's rule, wrongly
    result = gradcheck(lambda: Value(math.sin(x.data), (x,), "exp"), [x])
    (label, analytic, numeric, error), *_ = result.rows
    assert label == "x"
    assert analytic == math.sin(2.0)
    assert abs(numeric - math.cos(2.0)) < 1e-8
    assert result.max_rel_error > 1


def test_worst_lists_the_largest_errors_first():
    model = MLP(2, [3, 2], activation="tanh", seed=1)
    result = gradcheck(mlp_loss(model), model.parameters())
    worst = result.worst(3)
    assert len(worst) == 3
    errors = [row[3] for row in worst]
    assert errors == sorted(errors, reverse=True)
    assert errors[0] == result.max_rel_error


def test_relative_error_scales_and_has_a_floor():
    assert relative_error(1.0, 1.1) == pytest.approx(relative_error(1e6, 1.1e6))
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1e-12, 0.0) == 1e-12 / 1e-8  # absolute error near zero

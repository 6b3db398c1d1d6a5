"""gradcheck: agrees on a correct graph, catches a wrong gradient, leaves the data alone."""

import math

import pytest

from mgdesk.engine import MLP, Value, gradcheck, relative_error, relu_sides
from mgdesk.engine.gradcheck import GRAD_FLOOR


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
    assert relative_error(1e-12, 0.0) == 1e-12 / GRAD_FLOOR  # absolute error near zero
    assert relative_error(1.0, 1.5, noise=0.5) == 0.0  # a rounding allowance is not counted
    assert relative_error(1.0, 2.0, noise=0.5) == 0.25


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_number_that_is_not_finite_never_agrees(bad):
    assert relative_error(bad, 1.0) == math.inf and relative_error(0.0, bad) == math.inf
    assert relative_error(bad, bad) == math.inf
    assert relative_error(1.0, 1.0, noise=bad) == math.inf  # no allowance can be unbounded


def kinked():
    """relu(w * 0 + b) * 3 with b = 0: the ReLU input sits exactly at its kink."""
    w, b = Value(0.5, label="w"), Value(0.0, label="b")
    return (lambda: (w * 0.0 + b).relu() * 3), [w, b]


def test_a_nudge_across_a_relu_kink_is_skipped_not_failed():
    f, (w, b) = kinked()
    result = gradcheck(f, [w, b])
    (_, a_w, n_w, _), (_, a_b, n_b, _) = result.rows
    assert a_b == 0.0 and n_b == pytest.approx(1.5)  # half of the right slope 3: no derivative
    assert result.skipped == (1,)  # b's nudge moved the input across 0; w's did not move it
    assert a_w == n_w == 0.0 and result.max_rel_error == 0.0
    assert [row[0] for row in result.worst()] == ["w"]


def test_relu_sides_lists_each_relu_input_in_graph_order():
    x = Value(-1.0)
    out = x.relu() + (x * -2).relu() + x.relu()  # the first relu node is used once
    assert relu_sides(out) == (False, True, False)


def test_gradcheck_can_check_a_subset_with_a_float_evaluation():
    model = MLP(2, [3, 2], activation="tanh", seed=2)
    params = model.parameters()
    f, calls = mlp_loss(model), []

    def evaluate():
        calls.append(1)
        return f().data, ()

    result = gradcheck(f, params, check=params[:2], evaluate=evaluate)
    assert [row[0] for row in result.rows] == [p.label for p in params[:2]]
    assert len(calls) == 1 + 2 * 2  # the base point, then up and down per parameter
    assert result.max_rel_error < 1e-6
    assert all(p.grad != 0.0 for p in params[-2:])  # every analytic gradient is left in p.grad

"""Losses: the Value form and the float batch form agree, in value and gradient."""

import math

import numpy as np
import pytest

from mgdesk.engine import Value
from mgdesk.train import LOSSES as ALL_LOSSES
from mgdesk.train import accuracy
from mgdesk.train.losses import l2_penalty

# The one-score losses (labels -1/+1); ce takes K scores: tests/train/test_classes.py
LOSSES = {name: loss for name, loss in ALL_LOSSES.items() if not loss.multi}

CASES = [(s, y) for s in (-3.0, -0.7, 0.0, 0.4, 0.999, 2.5) for y in (-1.0, 1.0)]
LARGE = [(s, y) for s in (40.0, -800.0, 800.0, 1e300, -1e300) for y in (-1.0, 1.0)]


def softplus(z):
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


EXPECTED = {
    "hinge": lambda s, y: max(0.0, 1 - y * s),
    "mse": lambda s, y: (s - y) ** 2,
    "bce": lambda s, y: softplus(-y * s),  # = -log(sigmoid(y*s))
}


@pytest.mark.parametrize(
    "name, s, y",
    [(n, s, y) for n in sorted(LOSSES) for s, y in CASES] + [("bce", *c) for c in LARGE],
)
def test_value_and_point_forms_agree(name, s, y):
    loss = LOSSES[name]
    score = Value(s)
    out = loss.value(score, y)
    out.backward()
    value, grad = loss.point(s, y)
    assert out.data == pytest.approx(EXPECTED[name](s, y), abs=1e-12)
    assert value == pytest.approx(out.data, abs=1e-12)
    assert grad == pytest.approx(score.grad, abs=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("s, y", CASES)
def test_point_gradient_matches_finite_differences(name, s, y):
    if name == "hinge" and abs(1 - y * s) < 1e-3:
        pytest.skip("the hinge has a kink at margin 1")
    point = LOSSES[name].point
    eps = 1e-6
    numeric = (point(s + eps, y)[0] - point(s - eps, y)[0]) / (2 * eps)
    assert point(s, y)[1] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_hinge_is_micrograds_max_margin_loss():
    assert LOSSES["hinge"].point(0.5, 1.0) == (0.5, -1.0)
    assert LOSSES["hinge"].point(1.5, 1.0) == (0.0, 0.0)  # beyond the margin: no push
    assert LOSSES["hinge"].point(1.0, 1.0) == (0.0, 0.0)  # relu(0) passes no gradient


@pytest.mark.parametrize("logit", [40.0, 100.0, 700.0, 1e5, 1e300])
def test_bce_is_stable_for_large_logits(logit):
    bce = LOSSES["bce"].point
    right, d_right = bce(logit, 1.0)
    wrong, d_wrong = bce(logit, -1.0)
    assert 0.0 <= right < 1e-17 and -1e-17 < d_right <= 0.0
    assert wrong == pytest.approx(logit) and d_wrong == pytest.approx(1.0)
    for y in (1.0, -1.0):  # the Value form is as stable, for either sign
        score = Value(-y * logit)
        out = LOSSES["bce"].value(score, 1.0)
        out.backward()
        assert out.data == pytest.approx(logit if y > 0 else 0.0, abs=1e-17)
        assert score.grad == (-1.0 if y > 0 else pytest.approx(0.0, abs=1e-17))


def test_bce_value_graph_has_the_same_ops_for_any_logit():
    def ops(logit):
        return [n._op for n in LOSSES["bce"].value(Value(logit), 1.0).topological_order()]

    assert ops(-800.0) == ops(0.0) == ops(3.0) == ops(1e300)


def test_batch_form_is_the_mean_and_matches_the_value_graph():
    ys = [1.0, -1.0, 1.0, -1.0, 1.0]
    scores = [0.3, 0.2, -1.4, -2.0, 0.95]
    for loss in LOSSES.values():
        total, (d,) = loss.loss_grad(ys)([scores])
        assert total == pytest.approx(sum(loss.point(s, y)[0] for s, y in zip(scores, ys)) / 5)
        values = [Value(s) for s in scores]
        graph = loss.mean(values, ys)
        graph.backward()
        assert graph.data == pytest.approx(total, abs=1e-15)
        assert d == pytest.approx([v.grad for v in values], abs=1e-15)


def test_accuracy_is_sign_agreement():
    assert accuracy([0.5, -0.2, 0.1, 0.0], [1.0, -1.0, -1.0, -1.0]) == 0.75
    assert accuracy([0.0], [1.0]) == 0.0  # a score of exactly 0 counts as class -1
    assert accuracy([], []) is None


def test_l2_penalty_and_its_gradient():
    params = [Value(0.5), Value(-2.0)]
    assert l2_penalty(1e-2, params) == pytest.approx(1e-2 * 4.25)
    reg = 1e-2 * sum(p * p for p in params)  # micrograd's reg_loss
    reg.backward()
    assert [p.grad for p in params] == pytest.approx([2e-2 * 0.5, 2e-2 * -2.0])


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_array_form_matches_the_point_form_elementwise(name):
    loss = LOSSES[name]
    cases = CASES + LARGE + [(s, y) for s in (-1e308, 1e-300, -0.0) for y in (-1.0, 1.0)]
    s = np.array([c[0] for c in cases])
    y = np.array([c[1] for c in cases])
    with np.errstate(over="ignore"):  # (1e308 - 1)**2 is inf, as for floats
        values, grads = loss.batch(s, y)
    for (si, yi), value, grad in zip(cases, values.tolist(), grads.tolist()):
        expected_value, expected_grad = loss.point(si, yi)
        assert value == pytest.approx(expected_value, rel=1e-15, abs=1e-300), (si, yi)
        assert grad == pytest.approx(expected_grad, rel=1e-15, abs=1e-300), (si, yi)


def test_array_form_keeps_a_nan_score_visible():
    for loss in LOSSES.values():
        values, _ = loss.batch(np.array([math.nan]), np.array([1.0]))
        assert math.isnan(values[0]), loss.name


def test_accuracy_takes_arrays_and_refuses_unequal_lengths():
    assert accuracy(np.array([0.5, -0.2]), np.array([1.0, 1.0])) == 0.5
    with pytest.raises(ValueError):
        accuracy([0.5, 0.1], [1.0])

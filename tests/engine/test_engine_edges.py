"""Zeros, infinities and NaN give what PyTorch gives (issue 9 item 24), on both engines.

Each case is checked against written-down IEEE 754 / PyTorch results without torch, and,
where torch is installed, against torch itself over a grid of edge inputs.
"""

import math

import numpy as np
import pytest

from mgdesk.engine import MLP, FastMLP, Value

INF, NAN = math.inf, math.nan
EDGES = [0.0, -0.0, NAN, INF, -INF, 2.0, -3.0, 1e-310]


def same(a, b):
    """Equal as IEEE numbers, NaN equal to NaN, and a zero's or infinity's sign counts."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def value_and_grad(f, x):
    v = Value(x)
    out = f(v)
    out.backward()
    return out.data, v.grad


@pytest.mark.parametrize("x", [0.0, -0.0, 2.0, -3.0, NAN, INF])
def test_the_derivative_of_x_to_the_zero_is_zero_everywhere(x):
    data, grad = value_and_grad(lambda v: v**0, x)
    assert data == 1.0 and same(grad, 0.0)


@pytest.mark.parametrize(
    ("f", "expected_data", "expected_grad"),
    [
        (lambda v: 1 / v, -INF, -INF),  # d(1/x)/dx = -1/x**2 = -inf at either zero
        (lambda v: v**-1, -INF, -INF),
        (lambda v: v**-2, INF, INF),  # d/dx = -2 x**-3 = -2 * -inf
        (lambda v: v**-3, -INF, -INF),  # d/dx = -3 x**-4 = -3 * inf
        (lambda v: v**-0.5, INF, NAN),  # sqrt of a negative zero's reciprocal: as torch
        (lambda v: v.log(), -INF, -INF),  # d(log x)/dx = 1/x = -inf at -0.0
    ],
)
def test_a_negative_zero_keeps_its_sign(f, expected_data, expected_grad):
    data, grad = value_and_grad(f, -0.0)
    assert same(data, expected_data)
    if not math.isnan(expected_grad):
        assert same(grad, expected_grad)


def test_a_positive_zero_still_gives_plus_infinity():
    assert value_and_grad(lambda v: 1 / v, 0.0) == (INF, -INF)
    assert value_and_grad(lambda v: v.log(), 0.0) == (-INF, INF)


def test_relu_keeps_nan_visible():
    data, grad = value_and_grad(lambda v: v.relu(), NAN)
    assert math.isnan(data) and grad == 1.0  # PyTorch passes the gradient through NaN
    assert value_and_grad(lambda v: v.relu(), -0.0) == (0.0, 0.0)


@pytest.mark.parametrize(
    "expr",
    [
        lambda: Value(1) + "2",
        lambda: "2" + Value(1),
        lambda: Value(1) * "2",
        lambda: "2" * Value(1),
        lambda: Value(1) - "2",
        lambda: "2" - Value(1),
        lambda: Value(1) / "2",
        lambda: "2" / Value(1),
        lambda: Value(1) + None,
        lambda: Value(1) + [1.0],
        lambda: Value("2"),
        lambda: Value(1 + 2j),
    ],
)
def test_only_real_numbers_mix_with_values(expr):
    with pytest.raises(TypeError):
        expr()


def test_numbers_of_other_real_types_are_fine():
    assert (Value(1) + True).data == 2.0
    assert (Value(1) + np.float64(0.5)).data == 1.5
    assert (Value(1) * np.int64(3)).data == 3.0


def test_the_fast_path_refuses_text_inputs_too():
    fast = FastMLP(MLP(2, [2, 1], seed=0))
    with pytest.raises(TypeError):
        fast.forward([("1", "2")])


def test_the_fast_path_and_the_value_graph_agree_on_nan_and_inf():
    model = MLP(2, [3, 1], activation="relu", seed=4)
    for x in [(NAN, 1.0), (INF, 0.5), (-INF, 0.5), (0.0, -0.0)]:
        out = model([Value(v) for v in x])
        model.zero_grad()
        out.backward()
        expected = [p.grad for p in model.parameters()]
        fast = FastMLP(model)
        with np.errstate(invalid="ignore"):  # inf - inf in a sum: NaN, as in the graph
            (score,) = fast.forward([x])[0]
            fast.backward([[1.0]])
        assert same(score, out.data), x
        for ours, theirs in zip(fast.grad.tolist(), expected):
            assert same(ours + 0.0, theirs + 0.0), x  # (the sign of a zero sum may differ)


# ---- against PyTorch itself ----

OPS = {
    "x**0": lambda x: x**0,
    "x**1": lambda x: x**1,
    "x**2": lambda x: x**2,
    "x**3": lambda x: x**3,
    "x**-1": lambda x: x**-1,
    "x**-2": lambda x: x**-2,
    "x**0.5": lambda x: x**0.5,
    "x**-0.5": lambda x: x**-0.5,
    "1/x": lambda x: 1 / x,
    "x/0": lambda x: x / 0.0,
    "relu": lambda x: x.relu(),
    "tanh": lambda x: x.tanh(),
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sigmoid": lambda x: x.sigmoid(),
    "x*x": lambda x: x * x,
    "x+x": lambda x: x + x,
    "-x": lambda x: -x,
    "2-x": lambda x: 2 - x,
}


# PyTorch computes x**0.5 as sqrt and x**-0.5 as rsqrt, which differ from IEEE 754 pow (what
# C and Python give, and the engine follows) at a negative zero and at -inf.
POW_NOT_SQRT = {(n, x) for n in ("x**0.5", "x**-0.5") for x in (-0.0, -INF)}


def close(a, b):
    """Both NaN, the same infinity, or equal to rounding (a zero's sign aside; tanh's
    1 - t**2 loses a few digits near saturation, as torch's formula does differently)."""
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return same(a, b)
    return abs(a - b) <= 1e-13 * max(abs(a), abs(b))


@pytest.mark.parametrize("name", sorted(OPS))
def test_edge_inputs_give_what_torch_gives(name):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    f = OPS[name]
    for x in EDGES:
        if (name, x) in POW_NOT_SQRT:
            continue
        data, grad = value_and_grad(f, x)
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        out = f(t)
        out.backward()
        assert close(data, out.item()), (name, x, data, out.item())
        assert close(grad, t.grad.item()), (name, x, grad, t.grad.item())

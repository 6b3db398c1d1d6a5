"""Every op's gradient against central finite differences, and no op ever raises."""

import math
import sys

import pytest
from engine_expressions import ValueOps, evaluate, programs
from hypothesis import given, settings
from hypothesis import strategies as st

from mgdesk.engine import Value, gradcheck

EPS = sys.float_info.epsilon
FD = settings(max_examples=150, deadline=None)


def finite_difference(f, x):
    """Central difference of the float function f at x, and a bound on its rounding error."""
    h = 1e-6 * max(abs(x), 1e-280)
    up, down = f(x + h), f(x - h)
    return (up - down) / (2 * h), 8 * EPS * max(abs(up), abs(down)) / h


def assert_gradient(build, xs):
    """`build(*nodes)` makes a Value from Values; check d/dx_k for every k against FD."""
    leaves = [Value(x) for x in xs]
    build(*leaves).backward()
    for k, x in enumerate(xs):

        def f(t, k=k):
            args = list(xs)
            args[k] = t
            return build(*map(Value, args)).data

        numeric, rounding = finite_difference(f, x)
        analytic = leaves[k].grad
        # relative error, rounding in the difference, and subnormal numbers' absolute grain
        tolerance = 1e-6 * max(abs(analytic), abs(numeric)) + rounding + 1e-300
        assert abs(analytic - numeric) <= tolerance, (k, xs, analytic, numeric)


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def not_tiny(x):  # clear of 0 and subnormals, so that x +- h keeps the sign of x
    return abs(x) > 1e-250


NEAR_ZERO = floats(-1e-3, 1e-3)  # values near 0 on both sides

UNARY = {
    "relu": (lambda v: v.relu(), (NEAR_ZERO | floats(-1e3, 1e3)).filter(not_tiny)),
    "tanh": (lambda v: v.tanh(), NEAR_ZERO | floats(-1e3, 1e3)),
    "exp": (lambda v: v.exp(), floats(-700, 700)),
    "log": (lambda v: v.log(), floats(1e-200, 1e300)),
    "sigmoid": (lambda v: v.sigmoid(), floats(-700, 700)),
    "leaky_relu": (lambda v: v.leaky_relu(), (NEAR_ZERO | floats(-1e3, 1e3)).filter(not_tiny)),
    "gelu": (lambda v: v.gelu(), NEAR_ZERO | floats(-30, 30)),
    "sin": (lambda v: v.sin(), NEAR_ZERO | floats(-100, 100)),
    "neg": (lambda v: -v, floats(-1e300, 1e300)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FD
@given(data=st.data())
def test_unary_op_matches_finite_differences(name, data):
    op, xs = UNARY[name]
    assert_gradient(op, [data.draw(xs)])


def test_relu_at_zero_has_zero_gradient():
    x = Value(0.0)
    out = x.relu()
    out.backward()
    assert out.data == 0.0 and x.grad == 0.0  # as micrograd: (out.data > 0) * out.grad


# Each op with two Values, with a number on the right, and with a number on the left.
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}
NUMBERS = floats(-1e6, 1e6)
DIVISORS = NUMBERS.filter(lambda x: abs(x) > 1e-3)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("side", ["both", "number-right", "number-left", "same-value"])
@FD
@given(a=NUMBERS, b=DIVISORS)
def test_binary_op_matches_finite_differences(name, side, a, b):
    f = BINARY[name]
    if side == "both":
        assert_gradient(f, [a, b])
    elif side == "number-right":
        assert_gradient(lambda x: f(x, b), [a])
    elif side == "number-left":
        assert_gradient(lambda x: f(a, x), [b])
    else:
        assert_gradient(lambda x: f(x, x), [b])


@FD
@given(x=floats(-50, 50).filter(lambda x: abs(x) > 1e-2), n=st.integers(-6, 8))
def test_integer_power_matches_finite_differences(x, n):
    assert_gradient(lambda v: v**n, [x])


@FD
@given(x=floats(1e-2, 1e3), n=floats(-3, 3))
def test_float_power_matches_finite_differences(x, n):
    assert_gradient(lambda v: v**n, [x])


@settings(max_examples=100, deadline=None)
@given(program=programs())
def test_random_expression_graphs_match_finite_differences(program):
    inputs, _ = program
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    result = gradcheck(lambda: evaluate(program, leaves, ValueOps), leaves, eps=1e-6)
    for label, analytic, numeric, _ in result.rows:
        assert abs(analytic - numeric) <= 1e-5 * max(1.0, abs(analytic)), (label, program)


# ---- numeric safety: overflow becomes inf or nan, never an exception ----


def test_saturating_functions_give_exact_limits():
    assert Value(1000).tanh().data == 1.0
    assert Value(-1000).tanh().data == -1.0
    assert Value(-1000).exp().data == 0.0
    assert Value(1000).sigmoid().data == 1.0
    assert Value(-1000).sigmoid().data == 0.0


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: Value(1000).exp(), math.inf),
        (lambda: Value(1e200) ** 2, math.inf),
        (lambda: Value(-1e200) ** 3, -math.inf),
        (lambda: Value(10.0) ** 1000, math.inf),
        (lambda: Value(0.0) ** -1, math.inf),
        (lambda: Value(1.0) / Value(0.0), math.inf),
        (lambda: 1.0 / Value(0.0), math.inf),
        (lambda: Value(1e308) * 10, math.inf),
        (lambda: Value(1e308) + 1e308, math.inf),
        (lambda: Value(0.0).log(), -math.inf),
    ],
)
def test_overflow_gives_inf_and_backward_does_not_raise(make, expected):
    out = make()
    assert out.data == expected
    out.backward()  # the gradients may be inf or nan; no OverflowError
    assert all(isinstance(node.grad, float) for node in out.topological_order())


@pytest.mark.parametrize(
    ("make", "expected", "op"),
    [
        (lambda: Value(10**400), math.inf, ""),
        (lambda: Value(-(10**400)), -math.inf, ""),
        (lambda: Value(2) * 10**400, math.inf, "*"),
        (lambda: 10**400 - Value(2), math.inf, "+"),
        (lambda: Value(1.0) / 10**400, 0.0, "*"),
        (lambda: Value(1.0) ** (10**400), 1.0, "**inf"),
        (lambda: Value(2.0) ** (10**400), math.inf, "**inf"),
        (lambda: Value(2.0) ** -(10**400), 0.0, "**-inf"),
    ],
)
def test_python_ints_too_big_for_a_float_act_as_inf(make, expected, op):
    out = make()
    assert out.data == expected and out._op == op
    out.backward()


@pytest.mark.parametrize("divisor", [0, 0.0, 1e-320])
def test_division_by_a_plain_zero_gives_inf(divisor):
    out = Value(1.0) / divisor
    assert out.data == math.inf
    out.backward()


def test_impossible_results_are_nan():
    assert math.isnan(Value(-1.0).log().data)
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)  # not complex


ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
HUGE_INTS = st.integers(-(10**400), 10**400)  # most of them too big for a float
ANY_NUMBER = ANY_FLOAT | HUGE_INTS
EXPONENTS = st.integers(-(10**6), 10**6) | st.floats(-1e3, 1e3, allow_nan=False) | HUGE_INTS


@settings(max_examples=300, deadline=None)
@given(x=ANY_NUMBER, y=ANY_NUMBER, n=EXPONENTS, g=ANY_FLOAT)
def test_no_op_or_backward_ever_raises(x, y, n, g):
    a, b = Value(x), Value(y)
    outs = [a + b, a * b, a - b, a / b, y / a, a / y, a**n, -a]
    outs += [a.tanh(), a.exp(), a.log(), a.relu(), a.sigmoid()]
    for out in outs:
        assert isinstance(out.data, float)
        out.grad = g
        out._backward()  # one node's chain rule with any incoming gradient
        out.backward()

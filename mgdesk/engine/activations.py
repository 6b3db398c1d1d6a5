"""The activations a neuron can apply, in one table that every other part reads.

`Value._backward` spells out each op's chain rule for the learner; everything else that
needs an activation (the neurons, the NumPy fast path, the float forward pass of the dead
ReLU count, the explanations, the exported PyTorch script, the settings' choices) looks it
up here instead of writing its own if/elif:

    ACTIVATION["tanh"].slope(1.0, 0.7616)  # d out / d x at x = 1: 1 - 0.7616**2 = 0.42
    ACTIVATION["relu"].function(-2.0)  # 0.0, as Value.relu gives it

A new activation is one row here plus its op in `Value` (the method and its branch in
`_backward`); tests/engine/test_activations.py checks every row against the Value graph.
This file stays stdlib only: the NumPy forms take the `numpy` module as their first argument.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from mgdesk.engine.value import Value, gelu_slope, safe_cos, safe_sin

__all__ = ["ACTIVATION", "ACTIVATIONS", "Activation"]


@dataclass(frozen=True)
class Activation:
    """One activation: what it computes, its local derivative, and how people write it."""

    name: str  # "tanh": the name in settings, files and the op tag of its Value
    value: Callable  # Value -> Value: the op on the graph (identity for linear)
    function: Callable  # float -> float: the same number as `value` gives, on a plain float
    slope: Callable  # (x, out) -> d out / d x, as `_backward` computes it (from out if it can)
    numpy: Callable  # (np, Z) -> A: `function` on an array, in place on Z where it can be
    # (np, Z, A, dA) -> dZ: the slope times dA; Z (the inputs) is None unless `uses_input`
    numpy_backward: Callable
    # The local derivative for explanations, with the live numbers: {x} the input's name,
    # {a} its value, {out} the output's, {slope} the derivative's (all formatted).
    explained: str
    # the factor as `_backward` writes it, with {out} the output's name and {x} the input's
    code: str
    torch: str | None  # the torch.nn module of an exported script (None: nothing to add)
    # The slope needs the input, not only the output (gelu, sin): the fast path keeps Z for
    # backward, so `numpy` must leave Z as it is.
    uses_input: bool = False


def _relu(x):
    return 0.0 if x <= 0 else x  # NaN stays NaN, as in Value.relu


def _identity(x):
    return x


def _leaky_relu(x):
    return x if x > 0 else 0.01 * x  # NaN stays NaN, as in Value.leaky_relu


def _sigmoid(x):
    return Value(x).sigmoid().data


def _gelu(x):
    return Value(x).gelu().data


def _numpy_sigmoid(np, Z):
    # Value.sigmoid's two forms at once: exp(-|z|) never overflows.
    e = np.exp(-np.abs(Z))
    return np.divide(np.where(Z >= 0, 1.0, e), 1.0 + e, out=Z)


# NumPy has no erf: math.erfc element by element, exact as the Value engine's (about 0.1 us
# a number, so a 256-neuron layer on 1,000 points adds some 25 ms to a step).
def _numpy_cdf(np, Z):
    """Phi(Z), the normal CDF, as Value.gelu computes it: 0.5 * erfc(-Z / sqrt 2)."""
    erfc = np.frompyfunc(math.erfc, 1, 1)
    return 0.5 * erfc(-Z / math.sqrt(2.0)).astype(np.float64)


def _numpy_gelu(np, Z):
    return Z * _numpy_cdf(np, Z)


def _numpy_gelu_slope(np, Z):
    return _numpy_cdf(np, Z) + Z * np.exp(-0.5 * Z * Z) / math.sqrt(2.0 * math.pi)


ACTIVATION = {
    act.name: act
    for act in (
        Activation(
            "tanh",
            value=Value.tanh,
            function=math.tanh,
            slope=lambda x, out: 1 - out**2,
            numpy=lambda np, Z: np.tanh(Z, out=Z),
            numpy_backward=lambda np, Z, A, dA: (1 - A * A) * dA,
            explained="d tanh({x})/d{x} = 1 − tanh²({x}) = 1 − {out}² = {slope}",
            code="(1 − {out}.data²)",
            torch="torch.nn.Tanh()",
        ),
        Activation(
            "relu",
            value=Value.relu,
            function=_relu,
            slope=lambda x, out: 0.0 if out <= 0 else 1.0,
            numpy=lambda np, Z: np.maximum(Z, 0.0, out=Z),  # NaN stays NaN
            numpy_backward=lambda np, Z, A, dA: np.where(A <= 0, 0.0, dA),  # NaN passes dA on
            explained="d relu({x})/d{x} = (1 if {x} > 0 else 0) = {slope}  ({x} = {a})",
            code="(1 if {out}.data > 0 else 0)",
            torch="torch.nn.ReLU()",
        ),
        Activation(
            "linear",
            value=_identity,
            function=_identity,
            slope=lambda x, out: 1.0,
            numpy=lambda np, Z: Z,
            numpy_backward=lambda np, Z, A, dA: dA,
            explained="d{x}/d{x} = 1",
            code="1",
            torch=None,
        ),
        Activation(
            "sigmoid",
            value=Value.sigmoid,
            function=_sigmoid,
            slope=lambda x, out: out * (1 - out),
            numpy=_numpy_sigmoid,
            numpy_backward=lambda np, Z, A, dA: A * (1 - A) * dA,
            explained="d σ({x})/d{x} = σ·(1 − σ) = {out}·(1 − {out}) = {slope}",
            code="{out}.data·(1 − {out}.data)",
            torch="torch.nn.Sigmoid()",
        ),
        Activation(
            "leaky_relu",
            value=Value.leaky_relu,
            function=_leaky_relu,
            slope=lambda x, out: 1.0 if out > 0 else 0.01,
            numpy=lambda np, Z: np.where(Z > 0, Z, 0.01 * Z),
            numpy_backward=lambda np, Z, A, dA: np.where(A > 0, dA, 0.01 * dA),
            explained="d leaky_relu({x})/d{x} = (1 if {x} > 0 else 0.01) = {slope}  ({x} = {a})",
            code="(1 if {out}.data > 0 else 0.01)",
            torch="torch.nn.LeakyReLU(0.01)",
        ),
        Activation(
            "gelu",
            value=Value.gelu,
            function=_gelu,
            slope=lambda x, out: gelu_slope(x),
            numpy=_numpy_gelu,
            numpy_backward=lambda np, Z, A, dA: _numpy_gelu_slope(np, Z) * dA,
            explained="d gelu({x})/d{x} = Φ({x}) + {x}·φ({x}) = {slope}  ({x} = {a}; Φ, φ: the "
            "normal distribution's CDF and density; gelu(x) = x·Φ(x), the exact erf form)",
            code="(Φ({x}.data) + {x}.data·φ({x}.data))",
            torch="torch.nn.GELU()",  # approximate="none": the erf form, as ours
            uses_input=True,
        ),
        Activation(
            "sin",
            value=Value.sin,
            function=safe_sin,
            slope=lambda x, out: safe_cos(x),
            numpy=lambda np, Z: np.sin(Z),
            numpy_backward=lambda np, Z, A, dA: np.cos(Z) * dA,
            explained="d sin({x})/d{x} = cos({x}) = cos({a}) = {slope}",
            code="cos({x}.data)",
            torch="Sine()",  # torch.nn has no sine module: the script defines one
            uses_input=True,
        ),
    )
}
ACTIVATIONS = tuple(ACTIVATION)  # the names, in the order the settings offer them

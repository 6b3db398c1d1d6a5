"""The activations a neuron can apply, in one table that every other part reads.

`Value._backward` spells out each op's chain rule for the learner; everything else that
needs an activation (the neurons, the NumPy fast path, the float forward pass of the dead
ReLU count, the explanations, the exported PyTorch script, the settings' choices) looks it
up here instead of writing its own if/elif:

    ACTIVATION["tanh"].slope(0.7616)   # d out / d x from the output: 1 - 0.7616**2 = 0.42
    ACTIVATION["relu"].function(-2.0)  # 0.0, as Value.relu gives it

A new activation is one row here plus its op in `Value` (the method and its branch in
`_backward`); tests/engine/test_activations.py checks every row against the Value graph.
This file stays stdlib only: the NumPy forms take the `numpy` module as their first argument.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from mgdesk.engine.value import Value

__all__ = ["ACTIVATION", "ACTIVATIONS", "Activation"]


@dataclass(frozen=True)
class Activation:
    """One activation: what it computes, its local derivative, and how people write it."""

    name: str  # "tanh": the name in settings, files and the op tag of its Value
    value: Callable  # Value -> Value: the op on the graph (identity for linear)
    function: Callable  # float -> float: the same number as `value` gives, on a plain float
    slope: Callable  # d out / d x written with the output, as `_backward` computes it
    numpy: Callable  # (np, Z) -> A: `function` on an array, in place on Z where it can be
    numpy_backward: Callable  # (np, A, dA) -> dZ: the slope at the outputs A times dA
    # The local derivative for explanations, with the live numbers: {x} the input's name,
    # {a} its value, {out} the output's, {slope} the derivative's (all formatted).
    explained: str
    code: str  # the factor as `_backward` writes it, with `out` the output: "(1 − out.data²)"
    torch: str | None  # the torch.nn module of an exported script (None: nothing to add)


def _relu(x):
    return 0.0 if x <= 0 else x  # NaN stays NaN, as in Value.relu


def _identity(x):
    return x


ACTIVATION = {
    act.name: act
    for act in (
        Activation(
            "tanh",
            value=Value.tanh,
            function=math.tanh,
            slope=lambda out: 1 - out**2,
            numpy=lambda np, Z: np.tanh(Z, out=Z),
            numpy_backward=lambda np, A, dA: (1 - A * A) * dA,
            explained="d tanh({x})/d{x} = 1 − tanh²({x}) = 1 − {out}² = {slope}",
            code="(1 − {out}.data²)",
            torch="torch.nn.Tanh()",
        ),
        Activation(
            "relu",
            value=Value.relu,
            function=_relu,
            slope=lambda out: 0.0 if out <= 0 else 1.0,
            numpy=lambda np, Z: np.maximum(Z, 0.0, out=Z),  # NaN stays NaN
            numpy_backward=lambda np, A, dA: np.where(A <= 0, 0.0, dA),  # NaN passes dA on
            explained="d relu({x})/d{x} = (1 if {x} > 0 else 0) = {slope}  ({x} = {a})",
            code="(1 if {out}.data > 0 else 0)",
            torch="torch.nn.ReLU()",
        ),
        Activation(
            "linear",
            value=_identity,
            function=_identity,
            slope=lambda out: 1.0,
            numpy=lambda np, Z: Z,
            numpy_backward=lambda np, A, dA: dA,
            explained="d{x}/d{x} = 1",
            code="1",
            torch=None,
        ),
    )
}
ACTIVATIONS = tuple(ACTIVATION)  # the names, in the order the settings offer them

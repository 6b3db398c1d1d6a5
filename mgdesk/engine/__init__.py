"""A micrograd-style scalar autograd engine (stdlib only).

>>> from mgdesk.engine import Value, MLP
>>> model = MLP(2, [16, 16, 1], activation="relu", seed=0)
>>> loss = (model([0.5, -1.0]) - 1.0) ** 2
>>> loss.backward()
>>> round(model.layers[-1].neurons[0].b.grad, 4)  # d loss / d output bias = 2 * (out - 1)
-1.3364
"""

from mgdesk.engine.fast import FastMLP
from mgdesk.engine.gradcheck import GradCheckResult, gradcheck, relative_error, relu_sides
from mgdesk.engine.nn import ACTIVATIONS, MLP, Layer, Module, Neuron
from mgdesk.engine.value import Value

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "FastMLP",
    "GradCheckResult",
    "Layer",
    "Module",
    "Neuron",
    "Value",
    "gradcheck",
    "relative_error",
    "relu_sides",
]

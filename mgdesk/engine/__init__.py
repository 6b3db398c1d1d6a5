"""A micrograd-style scalar autograd engine (stdlib only).

from mgdesk.engine import Value, MLP
model = MLP(2, [16, 16, 1], activation="relu", seed=0)
loss = (model([0.5, -1.0]) - 1.0) ** 2
loss.backward()
print(model.layers[0].neurons[0].w[0].grad)
"""

from mgdesk.engine.fast import FastMLP
from mgdesk.engine.gradcheck import GradCheckResult, gradcheck, relative_error
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
]

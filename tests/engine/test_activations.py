"""The activation table agrees with the Value graph, on floats and on arrays."""

import math

import numpy as np
import pytest

from mgdesk.engine import ACTIVATIONS, MLP, FastMLP, Neuron, Value
from mgdesk.engine.activations import ACTIVATION

POINTS = (-3.0, -0.5, -0.0, 0.0, 0.25, 2.0, 30.0, math.inf, -math.inf, math.nan)


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_each_row_computes_what_the_value_graph_computes(name):
    act = ACTIVATION[name]
    for x in POINTS:
        leaf = Value(x)
        out = act.value(leaf)
        out.backward()
        assert same(out.data, act.function(x)), (name, x)
        # the slope, from the output, is the factor _backward applied to the input
        assert same(leaf.grad, act.slope(out.data)), (name, x)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_each_numpy_form_is_the_float_form_element_by_element(name):
    act = ACTIVATION[name]
    Z = np.array(POINTS)
    A = act.numpy(np, Z.copy())
    dZ = act.numpy_backward(np, A, np.ones_like(A))
    for x, a, dz in zip(POINTS, A.tolist(), dZ.tolist(), strict=True):
        assert same(a, act.function(x)), (name, x)
        assert same(dz, act.slope(act.function(x))), (name, x)


def test_the_neurons_the_fast_path_and_the_settings_read_the_table():
    assert ACTIVATIONS == tuple(ACTIVATION)
    x = [Value(0.3), Value(-0.8)]
    for name in ACTIVATIONS:
        neuron = Neuron(2, name)
        act = sum((w * xi for w, xi in zip(neuron.w, x, strict=True)), neuron.b)
        assert neuron(x).data == ACTIVATION[name].function(act.data)
        assert neuron(x)._op == ("+" if name == "linear" else name)
    model = MLP(2, [3, 3, 1], activation=["tanh", "relu", "linear"], seed=4)
    fast = FastMLP(model)
    for xy in ([0.3, -0.8], [2.0, 1.0]):
        assert fast.predict(np.array([xy]))[0, 0] == pytest.approx(model(xy).data, abs=1e-12)


def test_the_explanation_templates_name_only_what_they_are_given():
    for act in ACTIVATION.values():
        text = act.explained.format(x="n", a="0.5", out="0.46", slope="0.79")
        assert "{" not in text and text.startswith("d")
        assert "{" not in act.code.format(out="o")

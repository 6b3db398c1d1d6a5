"""The activation table agrees with the Value graph, on floats and on arrays."""

import math

import numpy as np
import pytest

from mgdesk.engine import ACTIVATIONS, MLP, FastMLP, Neuron, Value
from mgdesk.engine.activations import ACTIVATION

POINTS = (-3.0, -0.5, -0.0, 0.0, 0.25, 2.0, 30.0, math.inf, -math.inf, math.nan)


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def close(a, b):
    """NumPy's exp and tanh may differ from math's in the last bit: equal to rounding."""
    return same(a, b) or math.isclose(a, b, rel_tol=4e-16, abs_tol=1e-300)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_each_row_computes_what_the_value_graph_computes(name):
    act = ACTIVATION[name]
    for x in POINTS:
        leaf = Value(x)
        out = act.value(leaf)
        out.backward()
        assert same(out.data, act.function(x)), (name, x)
        # the slope, from the output, is the factor _backward applied to the input
        assert same(leaf.grad, act.slope(x, out.data)), (name, x)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_each_numpy_form_is_the_float_form_element_by_element(name):
    act = ACTIVATION[name]
    Z = np.array(POINTS)
    with np.errstate(all="ignore"):  # inf and NaN among the points
        A = act.numpy(np, Z.copy())
        dZ = act.numpy_backward(np, Z if act.uses_input else None, A, np.ones_like(A))
    for x, a, dz in zip(POINTS, A.tolist(), dZ.tolist(), strict=True):
        assert close(a, act.function(x)), (name, x)
        assert close(dz, act.slope(x, act.function(x))), (name, x)


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
        assert "{" not in act.code.format(out="o", x="n")


TORCH_POINTS = (-30.0, -3.0, -1.1, -0.5, -1e-3, 0.25, 0.7, 2.0, 5.5, 30.0)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "linear"])
def test_each_activation_and_its_slope_match_pytorch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    modules = {"sin": torch.sin}  # the exported script defines its own Sine module
    module = modules.get(name) or eval(ACTIVATION[name].torch, {"torch": torch})  # noqa: S307
    for x in TORCH_POINTS:
        leaf, t = Value(x), torch.tensor(x, dtype=torch.float64, requires_grad=True)
        out, out_t = ACTIVATION[name].value(leaf), module(t)
        out.backward()
        out_t.backward()
        # GELU: torch writes 1 + erf, we write erfc (exact in the far tail): equal to 1e-15 absolute
        assert out.data == pytest.approx(out_t.item(), rel=1e-14, abs=1e-15), (name, x)
        # 1 - tanh² of a saturated tanh cancels: the slopes agree to 1e-10 relative
        assert leaf.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-15), (name, x)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_fast_path_equals_the_value_graph_for_each_activation(name):
    """A 2-5-4-1 network with this activation: the batch forward and the gradients."""
    model = MLP(2, [5, 4, 1], activation=name, seed=3)
    X = [(0.3, -0.8), (2.0, 1.0), (-1.5, 0.4), (0.05, -0.02)]
    total = sum((model(x) ** 2 for x in X), Value(0.0))
    total.backward()
    expected = [p.grad for p in model.parameters()]
    fast = FastMLP(model)
    outputs = fast.forward(np.array(X))
    fast.backward(2 * outputs)
    for x, score in zip(X, outputs[:, 0].tolist(), strict=True):
        assert score == pytest.approx(model(x).data, rel=1e-12, abs=1e-12)
    assert fast.grad.tolist() == pytest.approx(expected, rel=1e-12, abs=1e-12)

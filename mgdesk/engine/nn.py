"""Neurons, layers and multi-layer perceptrons built from `Value`s, as in micrograd.

Every parameter carries a stable name the graph view shows: `L1.N3.w2` is the weight from
input 2 into neuron 3 of layer 1 (all counted from 1), `L1.N3.b` that neuron's bias.

micrograd's own signatures work too, so code written against micrograd's `nn` runs
unchanged: `Neuron(nin, nonlin=True)` (ReLU, or linear with nonlin=False), `Layer(nin,
nout, **kwargs)` (kwargs go to each Neuron) and `MLP(nin, nouts)` (ReLU hidden layers and a
linear output, as micrograd's demo). Weights are plain attributes: `n.w = [...]`, `n.b = ...`.
"""

import random

from mgdesk.engine.activations import ACTIVATION, ACTIVATIONS
from mgdesk.engine.value import Value

__all__ = ["ACTIVATIONS", "Layer", "MLP", "Module", "Neuron"]


class Module:
    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        return []


class Neuron(Module):
    """One neuron: activation(w . x + b). `activation` is "relu", "tanh" or "linear";
    micrograd's `nonlin=True/False` (also as the second argument) means relu / linear."""

    def __init__(self, nin, activation="relu", rng=None, name="N1", nonlin=None):
        if isinstance(activation, bool):  # micrograd's Neuron(nin, True)
            activation, nonlin = "relu", activation
        if nonlin is not None:
            activation = "relu" if nonlin else "linear"
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}")
        rng = rng or random.Random()
        self.w = [Value(rng.uniform(-1, 1), label=f"{name}.w{i + 1}") for i in range(nin)]
        self.b = Value(0.0, label=f"{name}.b")
        self.activation = activation
        self.name = name

    @property
    def nonlin(self):
        """micrograd's flag: True unless the neuron is linear."""
        return self.activation != "linear"

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return ACTIVATION[self.activation].value(act)  # act.tanh(), act.relu() or act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{self.activation}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons that each see all `nin` inputs; other keyword arguments (micrograd's
    `nonlin=...`) go to every Neuron."""

    def __init__(self, nin, nout, activation="relu", rng=None, name="L1", **kwargs):
        self.neurons = [
            Neuron(nin, activation, rng, name=f"{name}.N{i + 1}", **kwargs) for i in range(nout)
        ]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


def _per_layer(activation, n_layers):
    """One activation name per layer: a single name for the hidden layers with a linear
    output layer, or a list naming the hidden layers (output linear) or every layer."""
    if isinstance(activation, str):
        names = [activation] * (n_layers - 1) + ["linear"]
    else:
        names = list(activation)
        if len(names) == n_layers - 1:
            names.append("linear")
    if len(names) != n_layers:
        raise ValueError(
            f"give one activation for all layers, or one per hidden layer "
            f"({n_layers - 1}), or one per layer ({n_layers}); got {len(names)}"
        )
    for name in names:
        if name not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {name!r:.40}: use one of {', '.join(ACTIVATIONS)}"
            )
    return names


class MLP(Module):
    """MLP(2, [16, 16, 1]): two inputs, two hidden layers of 16, one output.

    `activation` is one name for every hidden layer ("relu", "tanh" or "linear"), or a list
    with one name per hidden layer or per layer. The output layer is linear unless the list
    names it. Weights start uniform in [-1, 1] and biases at 0, drawn from `rng` (or a
    `random.Random(seed)`), never from the global random module.
    """

    def __init__(self, nin, nouts, activation="relu", rng=None, seed=None):
        nouts = list(nouts)
        if nin < 1 or not nouts or any(n < 1 for n in nouts):
            raise ValueError("an MLP needs at least one input and one neuron in every layer")
        rng = rng or random.Random(seed)
        self.nin = nin
        self.nouts = nouts
        self.activations = _per_layer(activation, len(nouts))
        sizes = [nin] + nouts
        self.layers = [
            Layer(sizes[i], sizes[i + 1], self.activations[i], rng, name=f"L{i + 1}")
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = [n(x) for n in layer.neurons]  # a list even for a layer of one neuron
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

    # ---- plain-data round trip (JSON friendly, exact for floats) ----

    def to_dict(self):
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activations": list(self.activations),
            "weights": [
                [[w.data for w in n.w] + [n.b.data] for n in layer.neurons] for layer in self.layers
            ],
        }

    @classmethod
    def from_dict(cls, d):
        """Rebuild a model from `to_dict()` output, as mgdesk made it (the window passes
        models between threads this way): trusted, so not checked. A dict read from a file
        goes through `mgdesk.io.read_model`, which checks it first."""
        model = cls(d["nin"], d["nouts"], d["activations"])
        weights = (v for layer in d["weights"] for row in layer for v in row)
        for p, v in zip(model.parameters(), weights, strict=True):  # w1, w2, ..., b per row
            p.data = float(v)
        return model

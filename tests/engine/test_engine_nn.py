"""MLP: names, seeded initialisation, activations per layer, and the dict round trip."""

import json
import random

import pytest

from mgdesk.engine import MLP, Value


def test_every_parameter_has_a_stable_unique_name():
    model = MLP(2, [3, 2, 1], seed=0)
    labels = [p.label for p in model.parameters()]
    assert len(labels) == len(set(labels)) == 3 * 3 + 2 * 4 + 1 * 3
    neuron = model.layers[0].neurons[2]
    assert neuron.w[1].label == "L1.N3.w2"
    assert neuron.b.label == "L1.N3.b"
    assert model.layers[2].neurons[0].w[1].label == "L3.N1.w2"
    assert labels[:3] == ["L1.N1.w1", "L1.N1.w2", "L1.N1.b"]


def test_initialisation_is_seeded_and_leaves_the_global_random_alone():
    state = random.getstate()
    a = MLP(2, [4, 1], seed=7)
    b = MLP(2, [4, 1], rng=random.Random(7))
    c = MLP(2, [4, 1], seed=8)
    MLP(2, [4, 1])  # unseeded: its own Random, not the module's
    assert random.getstate() == state
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()
    weights = [w.data for layer in a.layers for n in layer.neurons for w in n.w]
    assert all(-1 <= w <= 1 for w in weights)
    assert all(n.b.data == 0.0 for layer in a.layers for n in layer.neurons)


def test_single_output_is_a_value_and_several_are_a_list():
    x = [0.5, -0.25]
    assert isinstance(MLP(2, [3, 1], seed=0)(x), Value)
    out = MLP(2, [3, 2], seed=0)(x)
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(MLP(2, [3, 1], seed=0)([Value(0.5), Value(-0.25)]), Value)


def test_a_hidden_layer_of_one_neuron_works():
    """micrograd's Layer returns a bare Value for one neuron; the next layer must still work."""
    model = MLP(2, [1, 3, 1], seed=0)
    assert isinstance(model([0.5, -0.25]), Value)
    assert len(MLP(2, [3, 1, 2], seed=0)([0.5, -0.25])) == 2


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def output_ops(model, x):
    """The op that made each layer's first neuron output, layer by layer."""
    ops = []
    for layer in model.layers:
        x = layer(x)
        x = x if isinstance(x, list) else [x]
        ops.append(x[0]._op)
    return ops


@pytest.mark.parametrize(
    ("activation", "names", "ops"),
    [
        ("relu", ["relu", "relu", "linear"], ["relu", "relu", "+"]),
        ("tanh", ["tanh", "tanh", "linear"], ["tanh", "tanh", "+"]),
        ("linear", ["linear", "linear", "linear"], ["+", "+", "+"]),
        (["tanh", "relu"], ["tanh", "relu", "linear"], ["tanh", "relu", "+"]),
        (("relu", "linear", "tanh"), ["relu", "linear", "tanh"], ["relu", "+", "tanh"]),
    ],
)
def test_activation_per_layer(activation, names, ops):
    model = MLP(2, [3, 3, 1], activation=activation, seed=1)
    assert model.activations == names
    assert output_ops(model, [0.4, -0.9]) == ops


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(nin=2, nouts=[3, 1], activation="swish"),
        dict(nin=2, nouts=[3, 1], activation=["tanh", "relu", "tanh"]),
        dict(nin=2, nouts=[3, 1], activation=[]),
        dict(nin=0, nouts=[3, 1]),
        dict(nin=2, nouts=[]),
        dict(nin=2, nouts=[3, 0, 1]),
    ],
)
def test_bad_architectures_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        MLP(**kwargs)


def test_to_dict_from_dict_round_trips_exactly_through_json():
    model = MLP(3, [5, 4, 2], activation=["tanh", "relu"], seed=11)
    for p in model.parameters():  # awkward floats: full precision must survive
        p.data = p.data / 3 + 1e-17
    d = json.loads(json.dumps(model.to_dict()))
    copy = MLP.from_dict(d)
    assert copy.to_dict() == model.to_dict()
    assert [p.data for p in copy.parameters()] == [p.data for p in model.parameters()]
    assert [p.label for p in copy.parameters()] == [p.label for p in model.parameters()]
    assert copy.activations == model.activations
    x = [0.1, -2.0, 0.7]
    assert [v.data for v in copy(x)] == [v.data for v in model(x)]


# ---- micrograd's own nn signatures (issue 15 item 7) ----


def test_micrograd_style_nn_code_runs_unchanged():
    # Written the way micrograd's nn is used: nonlin flags, kwargs through Layer, MLP(nin,
    # nouts), and weights set by assigning the attributes.
    from mgdesk.engine import Layer, Neuron

    n = Neuron(2, nonlin=False)
    n.w = [Value(2.0), Value(-3.0)]
    n.b = Value(0.5)
    out = n([Value(1.0), Value(1.0)])
    assert out.data == -0.5 and not n.nonlin and len(n.parameters()) == 3
    out.backward()
    assert [w.grad for w in n.w] == [1.0, 1.0] and n.b.grad == 1.0

    relu = Neuron(2, nonlin=True)
    relu.w, relu.b = [Value(2.0), Value(-3.0)], Value(0.5)
    assert relu([1.0, 1.0]).data == 0.0 and relu.nonlin
    assert Neuron(3, False).activation == "linear" and Neuron(3).nonlin

    layer = Layer(2, 3, nonlin=False)
    assert [nr.activation for nr in layer.neurons] == ["linear"] * 3
    assert len(layer([1.0, 2.0])) == 3 and len(layer.parameters()) == 9

    model = MLP(2, [16, 16, 1])  # micrograd's demo network
    assert model.activations == ["relu", "relu", "linear"]
    assert len(model.parameters()) == 337
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [-1.0, -2.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for k in range(20):
        scores = [model(x) for x in xs]
        loss = sum((1 + -y * s).relu() for y, s in zip(ys, scores)) * (1.0 / len(ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 20) * 0.1 * p.grad
        losses.append(loss.data)
    assert losses[-1] < losses[0]


def test_the_named_signatures_still_work():
    model = MLP(2, [3, 1], activation="tanh", seed=2)
    assert model.activations == ["tanh", "linear"]
    assert MLP(2, [3, 1], activation="tanh", seed=2).to_dict() == model.to_dict()
    with pytest.raises(ValueError):
        MLP(2, [3, 1], activation="swish")

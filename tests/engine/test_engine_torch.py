"""Cross-checks against PyTorch in float64: random expression graphs and a full MLP step."""

import random

import pytest
from engine_expressions import ValueOps, evaluate, programs
from hypothesis import given, settings

from mgdesk.engine import MLP, FastMLP, Value

torch = pytest.importorskip(
    "torch",
    reason="PyTorch is not installed: the float64 cross-checks need `pip install torch==2.13.0` "
    "(CI installs it)",
)


def close(ours, theirs, rel=1e-10, abs_=1e-12):
    return abs(ours - theirs) <= rel * max(abs(ours), abs(theirs)) + abs_


def leaf(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def test_seed_neuron_matches_torch():
    """The learner's own PyTorch check (section 4 of their notes)."""
    numbers = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.881373587019543)
    t = {k: leaf(v) for k, v in numbers.items()}
    o_t = torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"])
    o_t.backward()
    v = {k: Value(x) for k, x in numbers.items()}
    o_v = (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh()
    o_v.backward()
    assert close(o_v.data, o_t.item())
    for k in numbers:
        assert close(v[k].grad, t[k].grad.item()), k


@settings(max_examples=150, deadline=None)
@given(program=programs(max_steps=16))
def test_random_expression_graphs_match_torch(program):
    inputs, _ = program
    values = [Value(x) for x in inputs]
    tensors = [leaf(x) for x in inputs]
    out_v = evaluate(program, values, ValueOps)
    out_t = evaluate(program, tensors, torch)
    out_v.backward()
    out_t.backward()
    assert close(out_v.data, out_t.item()), program
    for v, t in zip(values, tensors):
        assert close(v.grad, t.grad.item()), program


ALPHA, LR = 1e-4, 0.05


def moons_like(n, seed):
    rng = random.Random(seed)
    X = [(rng.uniform(-1.5, 2.5), rng.uniform(-1, 1.5)) for _ in range(n)]
    Y = [1.0 if y < 0.5 - 0.4 * x else -1.0 for x, y in X]
    return X, Y


def value_step(model, X, Y):
    """micrograd's demo step: hinge loss + L2 over the plain Value graph, then SGD."""
    scores = [model(x) for x in X]
    data_loss = sum((1 + -y * s).relu() for y, s in zip(Y, scores)) * (1.0 / len(X))
    loss = data_loss + ALPHA * sum(p * p for p in model.parameters())
    model.zero_grad()
    loss.backward()
    return loss.data


def fast_step(model, X, Y):
    n = len(Y)

    def hinge(outputs):
        margins = [1 - y * s for y, s in zip(Y, outputs[0])]
        return sum(m for m in margins if m > 0) / n, [
            [-y / n if m > 0 else 0.0 for y, m in zip(Y, margins)]
        ]

    model.zero_grad()
    loss, _ = FastMLP(model).loss_and_backward(X, hinge)
    for p in model.parameters():
        p.grad += 2 * ALPHA * p.data
    return loss + ALPHA * sum(p.data * p.data for p in model.parameters())


def torch_step(model, X, Y):
    """The same step in PyTorch from the model's weights: loss, grads, updated weights."""
    weights = []
    for layer in model.layers:
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
        weights += [W.requires_grad_(), b.requires_grad_()]
    a = torch.tensor(X, dtype=torch.float64)
    for i, act in enumerate(model.activations):
        a = a @ weights[2 * i].T + weights[2 * i + 1]
        a = {"relu": torch.relu, "tanh": torch.tanh, "linear": lambda z: z}[act](a)
    y = torch.tensor(Y, dtype=torch.float64)
    loss = torch.relu(1 - y * a[:, 0]).mean() + ALPHA * sum((w * w).sum() for w in weights)
    loss.backward()
    with torch.no_grad():
        for w in weights:
            w -= LR * w.grad
    return loss.item(), flat(w.grad for w in weights), flat(weights)


def flat(tensors):
    """W0, b0, W1, b1, ... as one list in the order of model.parameters()."""
    out = []
    tensors = list(tensors)
    for W, b in zip(tensors[::2], tensors[1::2]):
        for row, bias in zip(W.tolist(), b.tolist()):
            out += row + [bias]
    return out


@pytest.mark.parametrize("step", [value_step, fast_step], ids=["Value", "FastMLP"])
@pytest.mark.parametrize("activation", ["relu", "tanh", ["tanh", "relu"]], ids=str)
def test_full_mlp_training_step_matches_torch(step, activation):
    model = MLP(2, [8, 8, 1], activation=activation, seed=0)
    X, Y = moons_like(30, seed=1)
    expected_loss, expected_grads, expected_weights = torch_step(model, X, Y)
    loss = step(model, X, Y)
    assert close(loss, expected_loss)
    params = model.parameters()
    assert len(params) == len(expected_grads)
    for p, g in zip(params, expected_grads):
        assert close(p.grad, g), p.label
    for p in params:  # the SGD update
        p.data -= LR * p.grad
    for p, w in zip(params, expected_weights):
        assert close(p.data, w), p.label

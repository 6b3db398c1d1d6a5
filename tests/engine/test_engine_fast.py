"""FastMLP gives the plain Value graph's outputs, loss and gradients (to 1e-12)."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgdesk.engine import ACTIVATIONS as ENGINE_ACTIVATIONS
from mgdesk.engine import MLP, FastMLP


def plain_loss(model, X, T, loss):
    """The reference: one Value graph over the batch, mean over samples, sum over outputs."""
    total = 0.0
    for x, t in zip(X, T):
        out = model(x)
        outs = out if isinstance(out, list) else [out]
        for s, y in zip(outs, t):
            total = total + ((1 - y * s).relu() if loss == "hinge" else (s - y) ** 2)
    return total * (1.0 / len(X))


def fast_loss_grad(T, loss):
    """The same loss for FastMLP: outputs come as one list per output unit."""
    n = len(T)

    def loss_grad(outputs):
        value, grads = 0.0, []
        for k, scores in enumerate(outputs):
            ys = [t[k] for t in T]
            if loss == "hinge":
                margins = [1 - y * s for y, s in zip(ys, scores)]
                value += sum(m for m in margins if m > 0) / n
                grads.append([-y / n if m > 0 else 0.0 for y, m in zip(ys, margins)])
            else:
                value += sum((s - y) ** 2 for s, y in zip(scores, ys)) / n
                grads.append([2 * (s - y) / n for s, y in zip(scores, ys)])
        return value, grads

    return loss_grad


def batch(nin, nout, size, loss, seed):
    rng = random.Random(seed)
    X = [tuple(rng.uniform(-2, 2) for _ in range(nin)) for _ in range(size)]
    if loss == "hinge":
        T = [[rng.choice((-1.0, 1.0)) for _ in range(nout)] for _ in range(size)]
    else:
        T = [[rng.uniform(-1, 1) for _ in range(nout)] for _ in range(size)]
    return X, T


def assert_fast_equals_plain(nin, nouts, activation, size, loss, seed=0):
    model = MLP(nin, nouts, activation=activation, seed=seed)
    X, T = batch(nin, nouts[-1], size, loss, seed)
    model.zero_grad()
    reference = plain_loss(model, X, T, loss)
    reference.backward()
    expected = [p.grad for p in model.parameters()]
    plain_outputs = [model(x) for x in X]

    model.zero_grad()
    value, outputs = FastMLP(model).loss_and_backward(X, fast_loss_grad(T, loss))
    assert abs(value - reference.data) <= 1e-12 * max(1.0, abs(reference.data))
    for p, g in zip(model.parameters(), expected):
        assert abs(p.grad - g) <= 1e-12 * max(1.0, abs(g)), p.label
    # BLAS sums each neuron's terms in its own order (with fused multiply-adds), so the
    # outputs equal the Value graph's to rounding, not bit for bit
    for k, unit in enumerate(outputs):
        for out, score in zip(plain_outputs, unit):
            reference_score = (out[k] if isinstance(out, list) else out).data
            assert abs(score - reference_score) <= 1e-12 * max(1.0, abs(reference_score))


ARCHITECTURES = [(2, [1]), (2, [4, 1]), (2, [16, 16, 1]), (3, [5, 4, 2]), (1, [3, 3, 3])]
ACTIVATIONS = [*ENGINE_ACTIVATIONS, ["tanh", "relu"], ["relu", "linear"], ["gelu", "sin"]]


@pytest.mark.parametrize("loss", ["hinge", "mse"])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
@pytest.mark.parametrize(("nin", "nouts"), ARCHITECTURES, ids=str)
def test_fast_path_equals_value_graph(nin, nouts, activation, loss):
    if not isinstance(activation, str) and len(activation) != len(nouts) - 1:
        activation = [activation[i % 2] for i in range(len(nouts) - 1)]
    assert_fast_equals_plain(nin, nouts, activation, size=12, loss=loss)


@pytest.mark.parametrize("loss", ["hinge", "mse"])
def test_fast_path_with_a_batch_of_one(loss):
    assert_fast_equals_plain(2, [4, 4, 1], "tanh", size=1, loss=loss)
    assert_fast_equals_plain(3, [4, 2], "relu", size=1, loss=loss)


LAYERS = st.lists(st.integers(1, 6), min_size=0, max_size=3)


@settings(max_examples=40, deadline=None)
@given(
    nin=st.integers(1, 4),
    hidden=LAYERS,
    nout=st.integers(1, 3),
    acts=st.lists(st.sampled_from(ENGINE_ACTIVATIONS), min_size=4, max_size=4),
    size=st.integers(1, 9),
    loss=st.sampled_from(["hinge", "mse"]),
    seed=st.integers(0, 2**16),
)
def test_fast_path_equals_value_graph_for_any_mlp(nin, hidden, nout, acts, size, loss, seed):
    nouts = [*hidden, nout]
    assert_fast_equals_plain(nin, nouts, acts[: len(nouts)], size, loss, seed)


def test_several_sgd_steps_stay_together():
    X, T = batch(2, 1, 20, "hinge", seed=5)
    plain, fast_model = MLP(2, [6, 6, 1], seed=5), MLP(2, [6, 6, 1], seed=5)
    fast, loss_grad = FastMLP(fast_model), fast_loss_grad(T, "hinge")
    for _ in range(10):
        plain.zero_grad()
        plain_loss(plain, X, T, "hinge").backward()
        fast_model.zero_grad()
        fast.loss_and_backward(X, loss_grad)
        for model in (plain, fast_model):
            for p in model.parameters():
                p.data -= 0.1 * p.grad
    for p, q in zip(plain.parameters(), fast_model.parameters()):
        assert abs(p.data - q.data) <= 1e-12


def test_gradients_add_into_p_grad():
    model = MLP(2, [3, 1], activation="tanh", seed=2)
    X, T = batch(2, 1, 4, "mse", seed=2)
    fast = FastMLP(model)
    fast.loss_and_backward(X, fast_loss_grad(T, "mse"))
    once = [p.grad for p in model.parameters()]
    fast.loss_and_backward(X, fast_loss_grad(T, "mse"))
    assert [p.grad for p in model.parameters()] == pytest.approx([2 * g for g in once])


def test_forward_gives_one_row_per_sample_from_the_weights_read_in():
    model = MLP(2, [3, 2], seed=4)
    fast = FastMLP(model)
    outputs = fast.forward([(0.5, 0.5), (1.0, -1.0), (0.0, 2.0)])
    assert outputs.shape == (3, 2)
    model.layers[-1].neurons[0].b.data += 1.0
    assert fast.forward([(0.5, 0.5)])[0, 0] == outputs[0, 0]  # arrays hold the weights
    fast.read_values()
    assert fast.forward([(0.5, 0.5)])[0, 0] == pytest.approx(outputs[0, 0] + 1.0)


def test_theta_is_in_parameter_order_and_writes_back_into_the_values():
    model = MLP(3, [4, 2], activation="tanh", seed=1)
    fast = FastMLP(model)
    assert fast.theta.tolist() == [p.data for p in model.parameters()]
    W, b, _, _ = fast.layers[0]
    assert W[2].tolist() == [w.data for w in model.layers[0].neurons[2].w]
    assert b[2] == model.layers[0].neurons[2].b.data
    fast.theta *= 2.0
    fast.grad[:] = range(len(fast.grad))
    fast.write_values()
    assert [p.data for p in model.parameters()] == fast.theta.tolist()
    assert [p.grad for p in model.parameters()] == list(range(len(fast.grad)))


def test_backward_sets_grad_and_the_same_inputs_give_the_same_bits():
    X, T = batch(2, 1, 50, "mse", seed=3)
    runs = []
    for _ in range(2):
        fast = FastMLP(MLP(2, [32, 32, 1], activation="tanh", seed=3))
        targets = [[t[0]] for t in T]
        for _ in range(3):
            out = fast.forward(X)
            fast.backward(out - targets)
            once = fast.grad.copy()
            fast.forward(X)
            fast.backward(out - targets)
            assert fast.grad.tolist() == once.tolist()  # set, not added to
            fast.theta -= 0.01 * fast.grad
        runs.append(fast.theta.tolist())
    assert runs[0] == runs[1]


def test_backward_needs_a_forward_first():
    fast = FastMLP(MLP(2, [2, 1], seed=0))
    with pytest.raises(RuntimeError):
        fast.backward([[1.0]])

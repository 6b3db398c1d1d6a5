"""Checks with a network: an MLP built from the learner's Value, its gradients and
zero_grad(), and the speed of a training step against mgdesk's engine."""

import gc
import random
import time

from mgdesk.check.common import Failed, Missing, _backward, _num, _raised
from mgdesk.check.ops import OP, _works
from mgdesk.engine import Value as Ours

# ---- networks ----


def _parameters(model):
    if callable(getattr(model, "parameters", None)):
        return list(model.parameters())
    try:
        return [p for layer in model.layers for n in layer.neurons for p in [*n.w, n.b]]
    except (AttributeError, TypeError):
        raise Failed(
            "cannot find the MLP's parameters: give it a parameters() method (a list of "
            "every weight and bias), as micrograd's Module has"
        ) from None


def _build_mlp(module):
    if not hasattr(module, "MLP"):
        raise Missing(
            "no MLP class in this file (micrograd keeps Neuron / Layer / MLP in nn.py): "
            "network gradients are not checked"
        )
    state = random.getstate()
    random.seed(0)
    try:
        return module.MLP(2, [4, 4, 1])
    except Exception as exc:
        raise Failed(f"MLP(2, [4, 4, 1]) raises {_raised(exc)}") from None
    finally:
        random.setstate(state)


POINTS = ((0.5, -1.0, 1.3), (-0.7, 0.2, -0.4), (1.1, 0.9, 0.8))


def _mlp_loss(model, V):
    """sum of c * output over three points: uses only a * number and a + b."""
    total = None
    for x1, x2, c in POINTS:
        out = model([x1, x2])
        if isinstance(out, list | tuple):
            out = out[0]
        term = out * c
        total = term if total is None else total + term
    return total


def check_mlp(V, module):
    model = _build_mlp(module)
    params = _parameters(model)
    if not params:
        raise Failed("the MLP's parameters() is empty")
    try:
        for p in params:
            p.grad = 0.0
        loss = _mlp_loss(model, V)
        _backward(loss, "the network's loss")
    except Failed:
        raise
    except Exception as exc:
        raise Failed(f"the network's forward pass raises {_raised(exc)}") from None
    analytic = [float(p.grad) for p in params]
    numeric = [_nudged(model, V, p) for p in params]  # None: at a ReLU's kink
    errors = [
        0.0 if n is None else abs(n - g) / max(abs(n), abs(g), 1e-6)
        for n, g in zip(numeric, analytic, strict=True)
    ]
    i = max(range(len(params)), key=errors.__getitem__)
    if errors[i] > 1e-4:
        raise Failed(
            f"MLP(2, [4, 4, 1]): parameter {i + 1} of {len(params)} has grad "
            f"{_num(analytic[i])}, but nudging it gives {_num(numeric[i])}: a backward rule "
            "used inside the network is wrong (see the checks above)"
        )
    kinks = sum(n is None for n in numeric)
    skipped = f" ({kinks} at a ReLU's kink, where there is no derivative, skipped)" if kinks else ""
    return "pass", f"all {len(params) - kinks} parameters agree with finite differences{skipped}"


def _nudged(model, V, p, eps=1e-6):
    """d loss / d p by central differences, from forward passes; None when the slopes on
    the two sides differ: a ReLU input at its kink (a bias starts at 0, so a neuron whose
    inputs are all 0 sits exactly there), where there is no derivative to compare with."""
    saved = p.data
    here = float(_mlp_loss(model, V).data)
    p.data = saved + eps
    up = float(_mlp_loss(model, V).data)
    p.data = saved - eps
    down = float(_mlp_loss(model, V).data)
    p.data = saved
    right, left = (up - here) / eps, (here - down) / eps
    # Smooth, the two differ by about eps times the curvature; rounding adds ~1e-10.
    if abs(right - left) > 1e-4 * max(abs(right), abs(left)) + 1e-8:
        return None
    return (up - down) / (2 * eps)


def check_zero_grad(V, module):
    if not hasattr(module, "MLP"):
        raise Missing("no MLP class in this file, so no zero_grad() to check")
    model = _build_mlp(module)
    if not callable(getattr(model, "zero_grad", None)):
        raise Missing(
            "no zero_grad(): set p.grad = 0 for every parameter before each backward(), "
            "as PyTorch's optimizer.zero_grad() does"
        )
    params = _parameters(model)
    for p in params:
        p.grad = 1.5
    model.zero_grad()
    left = [p for p in params if p.grad != 0]
    if left:
        raise Failed(f"zero_grad() leaves {len(left)} of {len(params)} grads non-zero")
    return "pass", ""


# ---- speed ----


def demo_network(V, rng, activation):
    sizes = (2, 16, 16, 1)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers.append(
            [([V(rng.uniform(-1, 1)) for _ in range(n_in)], V(0.0)) for _ in range(n_out)]
        )
    params = [p for layer in layers for w, b in layer for p in [*w, b]]

    def forward(x):
        a = [V(v) for v in x]
        for index, layer in enumerate(layers):
            outs = []
            for w, b in layer:
                z = b
                for wi, ai in zip(w, a):
                    z = z + wi * ai
                outs.append(getattr(z, activation)() if index < len(layers) - 1 else z)
            a = outs
        return a[0]

    return forward, params


def demo_step(V, activation, points):
    """micrograd's demo step (2-16-16-1) with only a + b, a * number and the activation:
    hinge loss with relu, squared margin with tanh; the mean over the points."""
    forward, params = demo_network(V, random.Random(0), activation)

    def step():
        for p in params:
            p.grad = 0.0
        total = None
        for (x1, x2), y in points:
            margin = forward((x1, x2)) * (-y) + 1.0
            term = margin.relu() if activation == "relu" else margin * margin
            total = term if total is None else total + term
        loss = total * (1.0 / len(points))
        loss.backward()
        for p in params:
            p.data -= 0.05 * p.grad

    return step


def _seconds(step):
    step()  # warm-up
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def check_speed(V, module):
    """Information only: never fails."""
    from mgdesk.train import TrainConfig, make_dataset

    activation = "relu" if _works(V, OP["relu"]) else "tanh" if _works(V, OP["tanh"]) else None
    if activation is None or not _works(V, OP["a + b"]) or not _works(V, OP["a * b"]):
        raise Missing("needs a + b, a * b and relu() or tanh() to time a training step")
    data = make_dataset(TrainConfig(samples=100, test_split=0))
    points = list(zip(data.x_train, data.y_train))
    try:
        theirs = _seconds(demo_step(V, activation, points))
    except RecursionError:
        raise Failed("the demo step's graph is too deep for a recursive backward()") from None
    ours = _seconds(demo_step(Ours, activation, points))
    was = gc.isenabled()
    gc.disable()
    try:
        no_gc = _seconds(demo_step(V, activation, points))
    finally:
        if was:
            gc.enable()
    hint = (
        f"micrograd's demo step (100 moons points, MLP 2-16-16-1 with {activation}, "
        f"{'hinge' if activation == 'relu' else 'squared'} loss): yours {theirs * 1000:.0f} ms, "
        f"mgdesk's Value {ours * 1000:.0f} ms ({theirs / ours:.1f}x)"
    )
    if theirs > 2 * no_gc:
        hint += (
            f"; with Python's garbage collector off yours takes {no_gc * 1000:.0f} ms: each "
            "`_backward` closure refers back to its node, so every graph is a reference cycle "
            "only the cyclic collector frees"
        )
    return "pass", hint

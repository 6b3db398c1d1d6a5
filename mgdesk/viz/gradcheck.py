"""One gradient check: the engine's `backward()` against finite differences and PyTorch.

`mgdesk gradcheck` (a network's mean loss over some points) and the window's G panel (the
traced sample's loss) both call this module and only present the `GradCheckReport` it
returns. It owns every rule of the verdict, so the two can never disagree:

- a gradient agrees with its finite difference when their relative error, not counting the
  difference quotient's rounding noise, is within the tolerance (engine.relative_error);
- a finite difference whose nudge moved a ReLU input (a hidden ReLU, or the hinge's) across
  0 measures a mix of two slopes, not the gradient: that parameter is *skipped*, not failed;
- PyTorch (float64, when installed) replays the same expression and must match to rounding;
- a NaN anywhere is a failure.

No Qt here; PyTorch is imported only when a check asks for it.
"""

import math
import random
import sys
from dataclasses import dataclass
from operator import attrgetter, mul

from mgdesk.engine import FastMLP, Value, gradcheck
from mgdesk.engine.activations import ACTIVATION
from mgdesk.engine.gradcheck import relative_error, relu_sides
from mgdesk.train.losses import LOSSES

__all__ = [
    "EXACT_TOLERANCE",
    "GradCheckReport",
    "GradRow",
    "check_network",
    "check_sample_gradients",
    "float_loss",
    "nudge_choice",
    "replay",
    "rounding_noise",
    "torch_gradients",
    "value_scale",
]

EXACT_TOLERANCE = 1e-9  # the fast path and PyTorch compute the same gradient, up to rounding
# The window's G replays the sample's Value graph twice per parameter nudged (~300k values a
# second here): at most this many values in all, about 2 s. 16,16 (986 values) is checked
# whole; above it, a seeded choice (64,64: 26 of 4,417; 256,256: 1 of 66,817). PyTorch and
# backward() still cover every parameter.
SAMPLE_VALUE_BUDGET = 700_000
TICK_VALUES = 4096  # a replay calls its `tick` this often, so a check stops within ~20 ms


def rounding_noise(scale, eps):
    """How much a central difference can be off by rounding when the function is computed
    through numbers of size up to `scale`: about machine epsilon x scale / eps.

    The scale is the largest number on the way, not the loss: a bce loss of 2e-7 is
    log(1 + 2e-7), and the 1 + 2e-7 in it is rounded to about 1e-16, which a nudge of 1e-6
    turns into an error of 1e-10 in a gradient of 2e-7 (see value_scale)."""
    return 4 * sys.float_info.epsilon * abs(scale) / eps if math.isfinite(scale) else math.inf


def value_scale(root):
    """The largest |data| in `root`'s graph: how large the numbers rounded on the way are."""
    return max(abs(node.data) for node in root.topological_order())


# ---- the PyTorch bridge ----


def _apply(node, args):
    """Redo `node`'s op on `args`: Values or torch tensors (both have + * ** and .tanh() …)."""
    op = node._op
    if op == "+":
        return args[0] + args[1]
    if op == "*":
        return args[0] * args[1]
    if node._arg is not None:
        return args[0] ** node._arg
    if op in ("tanh", "relu", "exp", "log", "sigmoid", "sin"):
        return getattr(args[0], op)()
    if op in ("leaky_relu", "gelu"):  # methods of a Value; torch has them as functions
        if isinstance(args[0], Value):
            return getattr(args[0], op)()
        import torch.nn.functional as F  # only reached with torch installed

        return F.leaky_relu(args[0], 0.01) if op == "leaky_relu" else F.gelu(args[0])
    raise ValueError(f"cannot rebuild the operation {op!r}")


def replay(root, leaf, tick=None):
    """Rebuild the graph of `root` with `leaf(v)` standing in for every leaf v; new root.
    `tick()`, when given, is called every TICK_VALUES values (it may raise to stop)."""
    new = {}
    for i, node in enumerate(root.topological_order()):
        if tick is not None and not i % TICK_VALUES:
            tick()
        new[node] = _apply(node, [new[c] for c in node._prev]) if node._prev else leaf(node)
    return new[root]


def torch_gradients(root, params, tick=None):
    """d root / d p for each p, by PyTorch in float64 on the same expression; None when
    PyTorch is not installed. `tick`: as for replay."""
    try:
        import torch
    except ImportError:
        return None
    tensors = {p: torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params}

    def leaf(v):
        return tensors[v] if v in tensors else torch.tensor(v.data, dtype=torch.float64)

    out = replay(root, leaf, tick)
    if out.requires_grad:
        out.backward()
    return [0.0 if t.grad is None else t.grad.item() for t in tensors.values()]


# ---- the report ----


@dataclass(frozen=True)
class GradRow:
    index: int  # position in the parameters given
    label: str
    engine: float  # Value.backward()
    numeric: float | None  # central finite difference; None when this one was not nudged
    torch: float | None  # PyTorch float64; None when not compared
    rel_error: float  # the largest error that counts (see relative_error)
    disagrees: bool
    skipped: bool = False  # the nudge crossed a ReLU kink: the difference is not counted


@dataclass(frozen=True)
class GradCheckReport:
    rows: tuple  # GradRow, worst first
    eps: float
    tolerance: float
    loss: float  # the checked function's value
    noise: float  # finite differences within this (rounding) were not counted
    fd_error: float | None  # largest finite-difference error; None if every one was skipped
    torch_error: float | None  # largest engine-vs-PyTorch error; None if not compared
    fast_error: float | None = None  # fast path vs Value graph (network checks only)
    nudged: int = 0  # parameters checked by finite differences

    @property
    def torch_used(self):
        return self.torch_error is not None

    @property
    def disagreeing(self):
        return tuple(r.label for r in self.rows if r.disagrees)

    @property
    def skipped(self):
        return tuple(r.label for r in self.rows if r.skipped)

    @property
    def max_rel_error(self):
        return max((r.rel_error for r in self.rows), default=0.0)

    @property
    def ok(self):
        """Every comparison made agrees (and finite differences checked something)."""
        return (
            not self.disagreeing
            and self.fd_error is not None
            and self.fd_error <= self.tolerance
            and (self.fast_error is None or self.fast_error <= EXACT_TOLERANCE)
        )


def _report(params, engine, result, checked, torch_grads, limits, fast_error=None):
    """Judge one check. `engine`: backward()'s gradient of each of `params`; `result`: the
    engine.gradcheck of the parameters at positions `checked`; `torch_grads`: PyTorch's
    gradients of the same expression, or None; `limits`: (eps, tolerance, loss, noise)."""
    eps, tolerance, loss, noise = limits
    numeric = dict(zip(checked, (row[2] for row in result.rows), strict=True))
    skipped = {checked[i] for i in result.skipped}
    rows, fd_errors, torch_errors = [], [], []
    for i, (p, grad) in enumerate(zip(params, engine, strict=True)):
        torch_grad = None if torch_grads is None else torch_grads[i]
        fd = exact = None
        if i in numeric and i not in skipped:
            fd = relative_error(grad, numeric[i], noise)
            fd_errors.append(fd)
        if torch_grad is not None:
            exact = relative_error(grad, torch_grad)
            torch_errors.append(exact)
        bad = (fd is not None and not fd <= tolerance) or (
            exact is not None and not exact <= EXACT_TOLERANCE
        )
        worst = max((e for e in (fd, exact) if e is not None), default=0.0)
        row = GradRow(i, p.label, grad, numeric.get(i), torch_grad, worst, bad, i in skipped)
        rows.append(row)
    rows.sort(key=lambda r: (r.disagrees, r.rel_error), reverse=True)
    return GradCheckReport(
        rows=tuple(rows),
        eps=eps,
        tolerance=tolerance,
        loss=loss,
        noise=noise,
        fd_error=max(fd_errors) if fd_errors else None,
        torch_error=None if torch_grads is None else max(torch_errors, default=0.0),
        fast_error=fast_error,
        nudged=len(checked),
    )


def nudge_choice(n_params, n_values, budget=SAMPLE_VALUE_BUDGET, seed=0):
    """Positions of the parameters the window's check nudges, for a graph of `n_values`
    values: all of them when their replays fit in `budget` values, else a seeded choice of
    as many as fit (at least one), in order, the same every time."""
    fit = max(1, budget // max(1, 2 * n_values))
    if fit >= n_params:
        return list(range(n_params))
    return sorted(random.Random(seed).sample(range(n_params), fit))


def check_sample_gradients(
    root, params, eps=1e-6, use_torch=True, tolerance=1e-5, noise=None, checked=None,
    progress=None,
):  # fmt: skip
    """Check the engine's gradients of `root` (any Value graph, e.g. the traced sample's
    loss) with respect to each of `params`; the window's G.

    Works on a copy of the graph, so `root`'s graph (and a stepper on it) is left untouched.
    `noise`: the absolute rounding allowance of the finite differences (default: from the
    size of root's value, see rounding_noise). `checked`: the positions in `params` that
    finite differences nudge (default: all; see nudge_choice). `progress(done, total)`:
    called between replays of the graph and within them; it may raise to stop the check.
    """
    params = list(params)
    checked = range(len(params)) if checked is None else sorted(checked)
    copies = {p: Value(p.data, label=p.label) for p in params}
    done, total = [0], 2 * len(checked) + 2 + bool(use_torch)  # replays in all

    def tick():
        if progress is not None:
            progress(done[0], total)

    def leaf(v):
        return copies[v] if v in copies else Value(v.data, label=v.label)

    def build():
        out = replay(root, leaf, tick)
        done[0] += 1
        return out

    def evaluate():
        out = build()
        return out.data, relu_sides(out)

    copied = list(copies.values())
    nudged = [copied[i] for i in checked]
    result = gradcheck(build, copied, eps, check=nudged, evaluate=evaluate)
    engine = [c.grad for c in copied]
    torch_grads = torch_gradients(root, params, tick) if use_torch else None
    noise = rounding_noise(value_scale(root), eps) if noise is None else noise
    limits = (eps, tolerance, root.data, noise)
    return _report(params, engine, result, list(checked), torch_grads, limits)


def float_loss(model, X, Y, loss_name, l2):
    """The loss a network's Value graph computes, in floats: a fast `evaluate` for
    engine.gradcheck. Also gives which side of 0 each ReLU input is on (the hidden ReLUs and
    the hinge's), so that a nudge across a kink is seen."""
    loss = LOSSES[loss_name]
    data = attrgetter("data")

    def evaluate():
        layers = [
            ([(n.b.data, list(map(data, n.w))) for n in layer.neurons], act)
            for layer, act in zip(model.layers, model.activations, strict=True)
        ]
        penalty = sum(b * b + sum(map(mul, w, w)) for neurons, _ in layers for b, w in neurons)
        total, sides = 0.0, []
        for a, y in zip(X, Y, strict=True):
            for neurons, act in layers:
                z = [sum(map(mul, w, a), b) for b, w in neurons]
                if act in ("relu", "leaky_relu"):  # a kink at 0
                    sides += [v > 0 for v in z]
                a = list(map(ACTIVATION[act].function, z))
            if loss_name == "hinge":
                sides.append(1 - y * a[0] > 0)
            total += loss.point(a if loss.multi else a[0], y)[0]
        return total / len(X) + l2 * penalty, tuple(sides)

    return evaluate


def check_network(model, X, Y, loss_name, l2, eps, tolerance, checked=None, use_torch=True):
    """Check a network's gradients of its mean loss over points X, Y plus l2 * sum(p*p):
    `mgdesk gradcheck`. Finite differences nudge the parameters at positions `checked`
    (default: all); PyTorch and the fast batch path are compared on every parameter."""
    params = model.parameters()
    checked = range(len(params)) if checked is None else sorted(checked)
    loss = LOSSES[loss_name]

    def f():
        total = loss.mean([model(x) for x in X], Y)
        return total + l2 * sum(p * p for p in params) if l2 else total

    evaluate = float_loss(model, X, Y, loss_name, l2)
    result = gradcheck(f, params, eps, check=[params[i] for i in checked], evaluate=evaluate)
    engine = [p.grad for p in params]  # gradcheck leaves the Value graph's gradients there
    model.zero_grad()
    FastMLP(model).loss_and_backward(X, loss.loss_grad(Y))
    fast = [p.grad + 2 * l2 * p.data for p in params]
    for p, grad in zip(params, engine, strict=True):
        p.grad = grad
    fast_error = max(map(relative_error, fast, engine), default=0.0)
    torch_grads = torch_gradients(f(), params) if use_torch else None
    value = evaluate()[0]  # in floats, with log1p where a loss needs it: rounded at |value|
    limits = (eps, tolerance, value, rounding_noise(value, eps))
    return _report(params, engine, result, list(checked), torch_grads, limits, fast_error)

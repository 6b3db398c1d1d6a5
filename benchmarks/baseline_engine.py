"""The benchmark baseline: a small closure-per-op engine, written for mgdesk to measure against.

It is built the way a first micrograd usually is, because that is the cost mgdesk's engine
is compared with: every op gives its output node a `_backward` closure that pushes the
gradient to the inputs (the closure refers to the node that holds it, so every node sits in
a reference cycle that only Python's cyclic garbage collector frees), inputs are kept in a
set, and `backward()` orders the graph by recursion. mgdesk's own `Value` does none of this.

Run it to calibrate it against the learner's own engine (their notes, read from
../shared/LEARNER_NOTES.md beside the repository when it is there): both take the same
training step of a tanh MLP 2-16-16-1 (the step `mgdesk check-engine` times), and the
ratio of their times is printed.

    .venv/bin/python benchmarks/baseline_engine.py
"""

import math
import random


class Value:
    """A scalar node: `data`, `grad`, its inputs `_prev` (a set) and a `_backward` closure."""

    def __init__(self, data, children=(), op=""):
        self.data = data
        self.grad = 0.0
        self._prev = set(children)
        self._op = op
        self._backward = lambda: None  # a leaf passes nothing on

    @staticmethod
    def _wrap(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def push():  # d(a + b) = da + db
            self.grad += out.grad
            other.grad += out.grad

        out._backward = push
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def push():  # d(a * b) = b da + a db
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = push
        return out

    def __pow__(self, n):
        out = Value(self.data**n, (self,), "**")

        def push():
            self.grad += n * self.data ** (n - 1) * out.grad

        out._backward = push
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def push():
            self.grad += out.grad if out.data > 0 else 0.0

        out._backward = push
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def push():
            self.grad += (1.0 - out.data * out.data) * out.grad

        out._backward = push
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):  # inputs first, then the node: recursion, one level per node
            if node not in seen:
                seen.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + -Value._wrap(other)

    def __rsub__(self, other):
        return Value._wrap(other) + -self

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * Value._wrap(other) ** -1


class Module:
    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, nin, nonlin=True, rng=random, activation="relu"):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation if nonlin else None

    def __call__(self, x):
        z = self.b
        for w, xi in zip(self.w, x):
            z = z + w * xi
        return getattr(z, self.activation)() if self.activation else z

    def parameters(self):
        return [*self.w, self.b]


class Layer(Module):
    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP(Module):
    """MLP(2, [16, 16, 1]): hidden layers with `activation`, a linear output."""

    def __init__(self, nin, nouts, rng=random, activation="relu"):
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i < len(nouts) - 1, rng=rng, activation=activation)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


# ---- calibration against the learner's own engine ----


def learner_value():
    """The learner's `Value` from their notes beside the repository, or None."""
    import importlib.util
    import re
    import tempfile
    from pathlib import Path

    notes = Path(__file__).resolve().parent.parent.parent / "shared" / "LEARNER_NOTES.md"
    if not notes.is_file():
        return None
    blocks = re.findall(r"```python\n(.*?)```", notes.read_text(encoding="utf-8"), re.DOTALL)
    source = next((b for b in blocks if re.search(r"^class Value\b", b, re.MULTILINE)), None)
    if source is None:
        return None
    path = Path(tempfile.mkdtemp()) / "learner_engine.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("learner_engine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Value


def calibrate(repeats=7):
    """Time both engines' step in turns (the machine is shared: turns cancel drift)."""
    import gc
    import statistics
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # mgdesk without install
    from mgdesk.check.checks import demo_step  # the step check-engine times, with tanh

    theirs = learner_value()
    if theirs is None:
        print("the learner's notes are not beside the repository: nothing to calibrate against")
        return None
    rng = random.Random(1)
    points = [
        ((rng.uniform(-1, 2), rng.uniform(-1, 1)), rng.choice((-1.0, 1.0))) for _ in range(100)
    ]
    steps = {
        name: demo_step(cls, "tanh", points)
        for name, cls in (("baseline", Value), ("learner", theirs))
    }
    times = {name: [] for name in steps}
    for turn in range(repeats + 1):
        for name, step in steps.items():
            gc.collect()  # the other engine's garbage is not this one's cost
            start = time.perf_counter()
            step()
            if turn:  # the first turn is a warm-up
                times[name].append(time.perf_counter() - start)
    baseline, learner = (statistics.median(times[n]) for n in ("baseline", "learner"))
    print(
        f"tanh MLP 2-16-16-1, 100 points, one step: baseline {baseline * 1000:.0f} ms, "
        f"learner's engine {learner * 1000:.0f} ms, ratio {baseline / learner:.2f}"
    )
    return baseline / learner


if __name__ == "__main__":
    calibrate()

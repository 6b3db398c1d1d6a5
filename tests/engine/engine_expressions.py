"""Random expression graphs for property tests, runnable on Values, torch tensors or floats.

A program is a list of input numbers and a list of steps. Each step applies one operation to
earlier nodes (inputs or results of earlier steps); the output is the sum of every node that
no step used, so every op reaches the output. The same program evaluates with
`mgdesk.engine.Value`, with torch tensors, or with plain floats (`FLOATS`).

Steps are only kept when they stay in a well-behaved region (no division by ~0, log of ~0,
relu at its kink, huge numbers), so finite differences and other libraries agree closely.
"""

import math

from hypothesis import strategies as st

BINARY = ("+", "-", "*", "/")
# with a plain number on the left or right: c + x, x - c, c / x, ...
MIXED = ("c+", "+c", "c-", "-c", "c*", "*c", "c/", "/c")
UNARY = ("neg", "tanh", "exp", "log", "relu", "sigmoid", "**2", "**3", "**-1", "**0.5", "**1.5")


def _pow(x, n):
    return x**n


class _Floats:
    """The float semantics of each op, used to pick well-behaved steps."""

    tanh = staticmethod(math.tanh)
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)

    @staticmethod
    def relu(x):
        return x if x > 0 else 0.0

    @staticmethod
    def sigmoid(x):
        return 1 / (1 + math.exp(-x))


FLOATS = _Floats()


class ValueOps:
    """The op functions for mgdesk.engine.Value."""

    tanh = staticmethod(lambda v: v.tanh())
    exp = staticmethod(lambda v: v.exp())
    log = staticmethod(lambda v: v.log())
    relu = staticmethod(lambda v: v.relu())
    sigmoid = staticmethod(lambda v: v.sigmoid())


def apply(op, lib, a, b=None, c=None):
    """One step: `a`, `b` are nodes, `c` a plain number; `lib` supplies the functions."""
    table = {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: a / b,
        "c+": lambda: c + a,
        "+c": lambda: a + c,
        "c-": lambda: c - a,
        "-c": lambda: a - c,
        "c*": lambda: c * a,
        "*c": lambda: a * c,
        "c/": lambda: c / a,
        "/c": lambda: a / c,
        "neg": lambda: -a,
        "tanh": lambda: lib.tanh(a),
        "exp": lambda: lib.exp(a),
        "log": lambda: lib.log(a),
        "relu": lambda: lib.relu(a),
        "sigmoid": lambda: lib.sigmoid(a),
    }
    if op.startswith("**"):
        return _pow(a, float(op[2:]) if "." in op else int(op[2:]))
    return table[op]()


def _well_behaved(op, a, b, c, result):
    """Keep a step away from singularities and kinks, and its result moderate."""
    too_close = {
        "/": abs(b) < 0.25,  # division by nearly zero
        "c/": abs(a) < 0.25,
        "/c": abs(c) < 0.25,
        "**-1": abs(a) < 0.25,
        "log": a < 0.25,  # log and fractional powers near or below zero
        "**0.5": a < 0.25,
        "**1.5": a < 0.25,
        "relu": abs(a) < 0.05,  # finite differences must not straddle the kink
    }
    if too_close.get(op, False):
        return False
    return math.isfinite(result) and abs(result) < 1e3


@st.composite
def programs(draw, max_inputs=4, max_steps=12):
    """(inputs, steps): steps are (op, i, j, c) with i, j indices of earlier nodes."""
    number = st.floats(-3, 3, allow_nan=False).filter(lambda x: abs(x) > 1e-3)
    inputs = draw(st.lists(number, min_size=1, max_size=max_inputs))
    values = list(inputs)
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(BINARY + MIXED + UNARY))
        i = draw(st.integers(0, len(values) - 1))
        j = draw(st.integers(0, len(values) - 1))
        c = draw(number)
        a, b = values[i], values[j]
        try:
            result = apply(op, FLOATS, a, b, c)
        except (ArithmeticError, ValueError):
            continue
        if isinstance(result, complex) or not _well_behaved(op, a, b, c, result):
            continue
        steps.append((op, i, j, c))
        values.append(result)
    return inputs, steps


def evaluate(program, leaves, lib):
    """Run `program` on `leaves` (one node per input); returns the output node."""
    _, steps = program
    nodes = list(leaves)
    used = set()
    for op, i, j, c in steps:
        used.add(i)
        if op in BINARY:
            used.add(j)
        nodes.append(apply(op, lib, nodes[i], nodes[j], c))
    out = None
    for k, node in enumerate(nodes):
        if k not in used:
            out = node if out is None else out + node
    return out

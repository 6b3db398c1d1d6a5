"""Words and numbers for one node of a Value graph: its local derivatives, its role, its update.

Used by the node inspector and by the backward stepper's captions. Each rule mirrors one
branch of `Value._backward`, written the way the learner would say it:

    d tanh(n)/dn = 1 − tanh²(n) = 1 − 0.7616² = 0.42
"""

import math
import re
from dataclasses import dataclass

from mgdesk.engine import Value, gradcheck, relative_error
from mgdesk.engine.value import safe_pow

__all__ = [
    "GradRow",
    "SampleGradCheck",
    "check_sample_gradients",
    "describe",
    "fmt",
    "local_derivative",
    "local_rule",
    "node_role",
    "update_text",
]

PARAMETER_LABEL = re.compile(r"L\d+\.N\d+\.(w\d+|b)")  # the engine's MLP names, e.g. L1.N3.w2


def fmt(x, digits=4):
    """A number for people: four significant digits and a real minus sign (−1.2, 0.372)."""
    if x == 0:
        return "0"  # also -0.0
    return f"{x:.{digits}g}".replace("-", "−")


def _paren(text):
    """(−0.7) where a sign would be ambiguous: (−0.7)², 1/(−0.7)."""
    return f"({text})" if text.startswith("−") else text


def _fmt_near_one(t):
    """Enough digits that `1 − t²` still reads right when t is close to ±1: 0.9999877."""
    gap = 1 - abs(t)
    return _paren(fmt(t, 4 + min(8, max(0, int(-math.log10(gap)))) if 0 < gap < 1 else 4))


@dataclass(frozen=True)
class Rule:
    """How one input of a node gets its gradient: `input.grad += code × out.grad`."""

    math: str  # calculus with live numbers: "d tanh(n)/dn = 1 − tanh²(n) = 1 − 0.76² = 0.42"
    code: str  # the factor as the engine computes it: "(1 − out.data²)"
    value: float  # the local derivative d out / d input


def _names(node, name=None):
    """(node's name, its inputs' names) by `name(v)`, or labels with out, a, b for the unnamed
    (an input used twice keeps one name)."""
    if name is not None:
        return name(node), [name(c) for c in node._prev]
    letters = {}
    for child in node._prev:
        letters.setdefault(child, child.label or "ab"[len(letters)])
    return node.label or "out", [letters[c] for c in node._prev]


def local_rule(node, i, name=None):
    """The `Rule` for input `i` of `node`; `name(v)` gives a node's name (default: label)."""
    out, ins = _names(node, name)
    op, t = node._op, node.data
    a, x = node._prev[i], ins[i]
    if op == "+":
        return Rule(f"d({ins[0]} + {ins[1]})/d{x} = 1", "1", 1.0)
    if op == "*":
        other, o = node._prev[1 - i], ins[1 - i]
        return Rule(f"d({ins[0]}·{ins[1]})/d{x} = {o} = {fmt(other.data)}", f"{o}.data", other.data)
    if op == "tanh":
        v = 1 - t**2
        return Rule(
            f"d tanh({x})/d{x} = 1 − tanh²({x}) = 1 − {_fmt_near_one(t)}² = {fmt(v)}",
            f"(1 − {out}.data²)",
            v,
        )
    if op == "relu":
        v = 1.0 if t > 0 else 0.0
        return Rule(
            f"d relu({x})/d{x} = (1 if {x} > 0 else 0) = {fmt(v)}  ({x} = {fmt(a.data)})",
            f"(1 if {out}.data > 0 else 0)",
            v,
        )
    if op == "exp":
        return Rule(f"d exp({x})/d{x} = exp({x}) = {fmt(t)}", f"{out}.data", t)
    if op == "log":
        v = 1 / a.data if a.data != 0 else math.inf
        return Rule(
            f"d log({x})/d{x} = 1/{x} = 1/{_paren(fmt(a.data))} = {fmt(v)}", f"(1 / {x}.data)", v
        )
    if op == "sigmoid":
        v = t * (1 - t)
        return Rule(
            f"d σ({x})/d{x} = σ·(1 − σ) = {fmt(t)}·(1 − {_fmt_near_one(t)}) = {fmt(v)}",
            f"{out}.data·(1 − {out}.data)",
            v,
        )
    if node._arg is not None:  # x ** n
        n = node._arg
        v = n * safe_pow(a.data, n - 1)
        power = "" if n - 1 == 1 else f"^{_paren(fmt(n - 1))}"
        return Rule(
            f"d {x}^{_paren(fmt(n))}/d{x} = {fmt(n)}·{x}{power}"
            f" = {fmt(n)}·{_paren(fmt(a.data))}{power} = {fmt(v)}",
            f"{fmt(n)}·{x}.data{power}",
            v,
        )
    raise ValueError(f"no derivative rule for the operation {op!r}")


def local_derivative(node, input_index, name=None):
    """(formula text, value) of d node / d input, e.g. ("d(a·b)/da = b = 0.31", 0.31)."""
    rule = local_rule(node, input_index, name)
    return rule.math, rule.value


def node_role(node, root=None, params=None):
    """'loss' (the root), 'intermediate', 'parameter', 'input' (a named leaf) or 'constant'.

    Parameters are the leaves in `params`; without that list, leaves named like the MLP's
    parameters (`L1.N3.w2`, `L1.N3.b`).
    """
    if node is root:
        return "loss"
    if node._prev:
        return "intermediate"
    if params is not None:
        if any(node is p for p in params):
            return "parameter"
    elif PARAMETER_LABEL.fullmatch(node.label):
        return "parameter"
    return "input" if node.label else "constant"


def describe(node, name=None, root=None, params=None):
    """What the node inspector shows: name, op, data, grad, role and local derivatives.

    `derivatives` has one (input name, formula, value) per input edge, in operand order.
    """
    label, ins = _names(node, name)
    derivatives = [(ins[i], *local_derivative(node, i, name)) for i in range(len(ins))]
    return {
        "name": label,
        "op": node._op,
        "data": node.data,
        "grad": node.grad,
        "role": node_role(node, root, params),
        "derivatives": derivatives,
    }


def update_text(lr, grad, name="p"):
    """The last SGD update of a parameter: `p.data += −lr × grad = −0.05 × 0.31 = −0.0155`."""
    return f"{name}.data += −lr × grad = −{fmt(lr)} × {fmt(grad)} = {fmt(-lr * grad)}"


# ---- gradient check of one traced sample -------------------------------------------------


def _apply(node, args):
    """Redo `node`'s op on `args`: Values or torch tensors (both have + * ** and .tanh() …)."""
    op = node._op
    if op == "+":
        return args[0] + args[1]
    if op == "*":
        return args[0] * args[1]
    if node._arg is not None:
        return args[0] ** node._arg
    if op in ("tanh", "relu", "exp", "log", "sigmoid"):
        return getattr(args[0], op)()
    raise ValueError(f"cannot rebuild the operation {op!r}")


def _replay(root, leaf):
    """Rebuild the graph of `root` with `leaf(v)` standing in for every leaf v; new root."""
    new = {}
    for node in root.topological_order():
        new[node] = _apply(node, [new[c] for c in node._prev]) if node._prev else leaf(node)
    return new[root]


def _torch_grads(root, params):
    """d root / d p for each p, by PyTorch in float64 on the same expression; None if absent."""
    try:
        import torch
    except ImportError:
        return None
    tensors = {p: torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params}

    def leaf(v):
        return tensors[v] if v in tensors else torch.tensor(v.data, dtype=torch.float64)

    _replay(root, leaf).backward()
    return [0.0 if t.grad is None else t.grad.item() for t in tensors.values()]


@dataclass(frozen=True)
class GradRow:
    index: int  # position in the `params` list given
    label: str
    engine: float  # Value.backward()
    numeric: float  # central finite difference
    torch: float | None  # PyTorch float64, None when torch is not installed
    rel_error: float  # the larger relative error of engine vs numeric and engine vs torch
    disagrees: bool


@dataclass(frozen=True)
class SampleGradCheck:
    rows: tuple  # GradRow, worst first
    max_rel_error: float
    disagreeing: tuple  # labels of the rows that disagree
    torch_used: bool


def check_sample_gradients(root, params, eps=1e-6, use_torch=True, tol=1e-5, atol=1e-8):
    """Check the engine's gradients of `root` wrt `params` by finite differences and PyTorch.

    Works on a copy of the graph, so `root`'s graph (and a stepper on it) is left untouched.
    A row disagrees when its relative error is above `tol` *and* the values differ by more than
    `atol`: central differences carry ~1e-10 of rounding noise, which a gradient of exactly 0
    (a dead relu) would otherwise turn into a huge relative error.
    """
    params = list(params)
    copies = {p: Value(p.data, label=p.label) for p in params}

    def leaf(v):
        return copies[v] if v in copies else Value(v.data, label=v.label)

    result = gradcheck(lambda: _replay(root, leaf), list(copies.values()), eps)
    torch_grads = _torch_grads(root, params) if use_torch else None
    rows = []
    for i, (label, engine, numeric, _) in enumerate(result.rows):
        torch_grad = None if torch_grads is None else torch_grads[i]
        others = [numeric] if torch_grad is None else [numeric, torch_grad]
        errors = [relative_error(engine, o) for o in others]
        bad = any(e > tol and abs(engine - o) > atol for e, o in zip(errors, others))
        rows.append(GradRow(i, label, engine, numeric, torch_grad, max(errors), bad))
    rows.sort(key=lambda r: (r.disagrees, r.rel_error), reverse=True)
    return SampleGradCheck(
        rows=tuple(rows),
        max_rel_error=max((r.rel_error for r in rows), default=0.0),
        disagreeing=tuple(r.label for r in rows if r.disagrees),
        torch_used=torch_grads is not None,
    )

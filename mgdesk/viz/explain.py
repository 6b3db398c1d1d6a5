"""Words and numbers for one node of a Value graph: its local derivatives, its role, its update.

Used by the node inspector and by the backward stepper's captions. Each rule mirrors one
branch of `Value._backward`, written the way the learner would say it:

    d tanh(n)/dn = 1 − tanh²(n) = 1 − 0.7616² = 0.42
"""

import math
import re
from dataclasses import dataclass

from mgdesk.engine.value import safe_pow
from mgdesk.viz.gradcheck import GradCheckReport, GradRow, check_sample_gradients

__all__ = [
    "GradCheckReport",
    "GradRow",
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


# The gradient check of one traced sample (the window's G) is mgdesk.viz.gradcheck's, the same
# check as `mgdesk gradcheck`; re-exported here for the window.

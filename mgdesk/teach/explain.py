"""Words and numbers for one node of a Value graph: its local derivatives, its role, its update.

Used by the node inspector and by the backward stepper's captions. Each rule in RULES
mirrors one branch of `Value._backward`, written the way the learner would say it:

    d tanh(n)/dn = 1 − tanh²(n) = 1 − 0.7616² = 0.42
"""

import math
from dataclasses import dataclass

from mgdesk.engine.activations import ACTIVATION
from mgdesk.engine.value import safe_pow
from mgdesk.viz.roles import value_role

__all__ = [
    "Rule",
    "RULES",
    "describe",
    "fmt",
    "local_derivative",
    "local_rule",
    "node_role",
    "update_text",
]


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


def _sum_rule(node, i, x, ins, out):
    return Rule(f"d({ins[0]} + {ins[1]})/d{x} = 1", "1", 1.0)


def _product_rule(node, i, x, ins, out):
    other, o = node._prev[1 - i], ins[1 - i]
    return Rule(f"d({ins[0]}·{ins[1]})/d{x} = {o} = {fmt(other.data)}", f"{o}.data", other.data)


def _activation_rule(node, i, x, ins, out):
    act, t, a = ACTIVATION[node._op], node.data, node._prev[0].data
    v = act.slope(a, t)
    shown = dict(x=x, a=fmt(a), out=_fmt_near_one(t), slope=fmt(v))
    return Rule(act.explained.format(**shown), act.code.format(out=out, x=x), v)


def _exp_rule(node, i, x, ins, out):
    t = node.data
    return Rule(f"d exp({x})/d{x} = exp({x}) = {fmt(t)}", f"{out}.data", t)


def _log_rule(node, i, x, ins, out):
    a = node._prev[0]
    v = 1 / a.data if a.data != 0 else math.inf
    return Rule(
        f"d log({x})/d{x} = 1/{x} = 1/{_paren(fmt(a.data))} = {fmt(v)}", f"(1 / {x}.data)", v
    )


def _power_rule(node, i, x, ins, out):
    a, n = node._prev[0], node._arg
    v = n * safe_pow(a.data, n - 1)
    power = "" if n - 1 == 1 else f"^{_paren(fmt(n - 1))}"
    return Rule(
        f"d {x}^{_paren(fmt(n))}/d{x} = {fmt(n)}·{x}{power}"
        f" = {fmt(n)}·{_paren(fmt(a.data))}{power} = {fmt(v)}",
        f"{fmt(n)}·{x}.data{power}",
        v,
    )


# One rule per op of `Value`, as its branch of `_backward` computes it; the activations'
# rules come from their table (mgdesk.engine.activations). `x ** n` ops are tagged "**n".
RULES = {
    "+": _sum_rule,
    "*": _product_rule,
    "exp": _exp_rule,
    "log": _log_rule,
    "**": _power_rule,
    **{name: _activation_rule for name in ACTIVATION if name != "linear"},
}


def local_rule(node, i, name=None):
    """The `Rule` for input `i` of `node`; `name(v)` gives a node's name (default: label)."""
    out, ins = _names(node, name)
    op = "**" if node._arg is not None else node._op
    if op not in RULES:
        raise ValueError(f"no derivative rule for the operation {node._op!r}")
    return RULES[op](node, i, ins[i], ins, out)


def local_derivative(node, input_index, name=None):
    """(formula text, value) of d node / d input, e.g. ("d(a·b)/da = b = 0.31", 0.31)."""
    rule = local_rule(node, input_index, name)
    return rule.math, rule.value


def node_role(node, root=None, params=None):
    """'loss' (the root), 'intermediate', 'parameter', 'input' (a named leaf) or 'constant':
    `viz.roles.value_role`, with the target counted as an input (the role the node
    inspector shows it with)."""
    role = value_role(node, root, params)
    return "input" if role == "target" else role


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


def update_text(lr, grad, name="p", optimizer="sgd"):
    """The update of a parameter from `grad` alone: SGD's `p.data += −lr × grad = −0.05 ×
    0.31 = −0.0155`; Adam's first step (its moments are then grad and grad², so the step is
    lr with the sign of the grad, whatever its size): `p.data += −lr × m̂/(√v̂ + ε) = ...`."""
    if optimizer == "adam":
        step = -lr * grad / (abs(grad) + 1e-8)
        return (
            f"{name}.data += −lr × m̂/(√v̂ + ε) = −{fmt(lr)} × {fmt(grad)}/(|{fmt(grad)}| + 1e−8)"
            f" = {fmt(step)}"
        )
    return f"{name}.data += −lr × grad = −{fmt(lr)} × {fmt(grad)} = {fmt(-lr * grad)}"

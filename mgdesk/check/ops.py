"""The checks of each operation of a learner's Value, one per op: data and gradients
against mgdesk's `Value`, with the hint that names the backward rule."""

import random
import zlib
from dataclasses import dataclass

from mgdesk.check.common import Failed, Missing, _backward, _close, _data, _has, _num, _raised
from mgdesk.check.graphs import expression_pair
from mgdesk.engine import Value as Ours

# ---- the operations ----


@dataclass(frozen=True)
class Op:
    name: str  # as the learner would write it: "a * b", "2 - a", "tanh"
    build: object  # (a, b) -> value, for either engine
    needs: tuple  # methods the class must define
    domain: str = "any"  # "any", "positive" (log, x**0.5), or "divisor" (b away from 0)
    rule: str = ""  # the backward rule, in the learner's terms
    optional: bool = False  # micrograd has no log or sigmoid: absent is only noted


OPS = (
    Op("a + b", lambda a, b: a + b, ("__add__",), rule="each input gets += out.grad"),
    Op("a - b", lambda a, b: a - b, ("__sub__",), rule="a - b = a + (-b): b gets -out.grad"),
    Op(
        "a * b",
        lambda a, b: a * b,
        ("__mul__",),
        rule="a.grad += b.data * out.grad and b.grad += a.data * out.grad",
    ),
    Op(
        "a / b",
        lambda a, b: a / b,
        ("__truediv__",),
        "divisor",
        rule="a / b = a * b**-1: a gets out.grad / b, b gets -a / b**2 * out.grad",
    ),
    Op("-a", lambda a, b: -a, ("__neg__",), rule="-a = a * -1: a gets -out.grad"),
    Op("a ** 2", lambda a, b: a**2, ("__pow__",), rule="a.grad += n * a**(n - 1) * out.grad"),
    Op("a ** 3", lambda a, b: a**3, ("__pow__",), rule="a.grad += n * a**(n - 1) * out.grad"),
    Op("a ** -1", lambda a, b: a**-1, ("__pow__",), "divisor", "a.grad += n * a**(n - 1)"),
    Op("a ** 0.5", lambda a, b: a**0.5, ("__pow__",), "positive", "a.grad += n * a**(n - 1)"),
    Op("a + 2", lambda a, b: a + 2, ("__add__",), rule="as a + b, with 2 wrapped in a Value"),
    Op("a - 2", lambda a, b: a - 2, ("__sub__",), rule="as a - b, with 2 wrapped in a Value"),
    Op("a * 2", lambda a, b: a * 2, ("__mul__",), rule="as a * b, with 2 wrapped in a Value"),
    Op("a / 2", lambda a, b: a / 2, ("__truediv__",), rule="as a / b with b = 2"),
    Op("2 + a", lambda a, b: 2 + a, ("__radd__",), rule="return self + other"),
    Op("2 - a", lambda a, b: 2 - a, ("__rsub__",), rule="return other + (-self)"),
    Op("2 * a", lambda a, b: 2 * a, ("__rmul__",), rule="return self * other"),
    Op("2 / a", lambda a, b: 2 / a, ("__rtruediv__",), "divisor", "return other * self**-1"),
    Op(
        "tanh",
        lambda a, b: a.tanh(),
        ("tanh",),
        rule="its local derivative is 1 - t**2 with t = tanh(x), the output: "
        "self.grad += (1 - t**2) * out.grad",
    ),
    Op("exp", lambda a, b: a.exp(), ("exp",), rule="self.grad += out.data * out.grad"),
    Op("relu", lambda a, b: a.relu(), ("relu",), rule="self.grad += (out.data > 0) * out.grad"),
    Op(
        "log", lambda a, b: a.log(), ("log",), "positive", "self.grad += out.grad / self.data", True
    ),
    Op(
        "sigmoid",
        lambda a, b: a.sigmoid(),
        ("sigmoid",),
        rule="self.grad += s * (1 - s) * out.grad with s the output",
        optional=True,
    ),
)

OP = {op.name: op for op in OPS}

MISSING_HINTS = {
    "__add__": "no `__add__`: `a + b` needs it",
    "__sub__": "`a - b` fails: add `__sub__` (return self + (-other))",
    "__mul__": "no `__mul__`: `a * b` needs it",
    "__truediv__": "`a / b` fails: add `__truediv__` (return self * other**-1)",
    "__neg__": "`-a` fails: add `__neg__` (return self * -1)",
    "__pow__": "`a ** 2` fails: add `__pow__` for a number exponent n "
    "(out = a**n; backward: n * a**(n - 1) * out.grad)",
    "__radd__": "`2 + a` fails: add `__radd__` (return self + other); sum() of Values needs it",
    "__rsub__": "`2 - a` fails: add `__rsub__` (return other + (-self))",
    "__rmul__": "`2 * a` fails: add `__rmul__` (return self * other)",
    "__rtruediv__": "`2 / a` fails: add `__rtruediv__` (return other * self**-1)",
}


def _need(V, *names):
    for name in names:
        if not _has(V, name):
            raise Missing(MISSING_HINTS.get(name, f"no `{name}()` method"))


def _inputs(op, rng):
    """Two inputs at least 0.3 away from 0 (a divisor, a ReLU's kink), a positive for log."""
    sign = rng.choice((-1, 1))
    a = rng.uniform(0.2, 3.0) if op.domain == "positive" else sign * rng.uniform(0.3, 2.5)
    return a, rng.choice((-1, 1)) * rng.uniform(0.3, 2.5)


def _run_op(V, op, a, b, upstream=None):
    """(data, a.grad, b.grad) of op(a, b) * upstream in V's engine (without * if None)."""
    va, vb = V(a), V(b)
    out = op.build(va, vb)
    _data(out, op.name)
    root = out if upstream is None else out * V(upstream)
    _backward(root, op.name)
    return out.data, va.grad, vb.grad


def _op_check(op):
    def check(V, module):
        if op.optional and not _has(V, op.needs[0]):
            raise Missing(f"no `{op.name}()` method (optional: micrograd has none)")
        _need(V, *op.needs)
        rng = random.Random(zlib.crc32(op.name.encode()))
        chain_ok = op.name == "a * b" or _works(V, OP["a * b"])
        for trial in range(6):
            a, b = _inputs(op, rng)
            upstream = None if trial % 2 == 0 or not chain_ok else rng.uniform(1.5, 3.0)
            try:
                got = _run_op(V, op, a, b, upstream)
            except (Failed, RecursionError):
                raise
            except Exception as exc:
                raise Failed(f"`{op.name}` raises {_raised(exc)}") from None
            want = _run_op(Ours, op, a, b, upstream)
            at = f"a = {_num(a)}" + (f", b = {_num(b)}" if "b" in op.name else "")
            if not _close(got[0], want[0]):
                raise Failed(
                    f"`{op.name}` gives {_num(got[0])} at {at}, expected {_num(want[0])}: "
                    "its forward value is wrong",
                    _op_pair(V, op, a, b, None, at),
                )
            for name, g, w in (("a", got[1], want[1]), ("b", got[2], want[2])):
                if _close(g, w):
                    continue
                if upstream is not None and _root_passes(V, op, a, b):
                    raise Failed(
                        f"`{op.name}`'s backward ignores out.grad: under a `* {_num(upstream)}` "
                        f"it gives {name}.grad = {_num(g)}, expected {_num(w)}; multiply the "
                        "local derivative by out.grad (the chain rule)",
                        _op_pair(V, op, a, b, upstream, at),
                    )
                raise Failed(
                    f"`{op.name}`'s backward gives {name}.grad = {_num(g)} at {at}, expected "
                    f"{_num(w)}: {op.rule}",
                    _op_pair(V, op, a, b, None, at),  # op(a, b) alone fails too
                )
        return "pass", _op_note(V, op)

    check.__name__ = f"check {op.name}"
    return check


def _op_pair(V, op, a, b, upstream, at):
    """The failing op drawn from both engines (with its `* upstream` when one is needed)."""

    def build(E, va, vb):
        out = op.build(va, vb)
        return out if upstream is None else out * E(upstream)

    text = f"a.{op.name}()" if op.name.isalpha() else op.name
    text = text if upstream is None else f"({text}) * {_num(upstream)}"
    return expression_pair(text, at, build, (a, b), V, Ours)


def _root_passes(V, op, a, b):
    try:
        got, want = _run_op(V, op, a, b), _run_op(Ours, op, a, b)
    except Exception:
        return False
    return all(_close(g, w) for g, w in zip(got, want))


def _works(V, op):
    """Does op give the right data and gradients (a quick version of its check)?"""
    try:
        _need(V, *op.needs)
        return _root_passes(V, op, *_inputs(op, random.Random(1)))
    except Exception:
        return False


def _op_note(V, op):
    """A remark on a passing op: where micrograd's formulas stop working."""
    if op.name != "tanh":
        return ""
    try:
        out = V(400.0).tanh()
        ok = _close(out.data, 1.0)
    except OverflowError:
        return (
            "note: tanh(400) raises OverflowError: (exp(2x) - 1) / (exp(2x) + 1) overflows "
            "above x = 355; math.tanh(x) gives the same numbers without overflowing"
        )
    except Exception:
        return ""
    return "" if ok else f"note: tanh(400) gives {_num(out.data)}, expected 1.0"

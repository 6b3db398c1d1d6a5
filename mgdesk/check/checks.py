"""The checks `mgdesk check-engine` runs on a learner's `Value` class, against mgdesk's.

Each check is a function `check(V, module)` of the learner's class and module that returns
`(status, hint)`: status "pass", "fail" or "missing" (an operation their class does not
have, which is not a failure), the hint a sentence in plain words that names the likely bug
and the fix. An exception a check does not expect becomes "error" in `run_check`.

These run the learner's code, so they run only in the child process of `mgdesk.check.child`
(with a time limit per check, see `mgdesk.check.runner`), never in mgdesk's own process.
The reference for every number is `mgdesk.engine.Value`.
"""

import gc
import math
import random
import sys
import time
import traceback
import zlib
from collections import Counter
from dataclasses import dataclass

from mgdesk.check.graphs import expression_pair
from mgdesk.engine import Value as Ours

__all__ = ["CHECKS", "Check", "run_check", "set_learner_file"]

CHAIN_LENGTH = 10_000
_learner_file = None  # the file their code came from, to point at lines in it


def set_learner_file(filename):
    global _learner_file
    _learner_file = filename


class Missing(Exception):
    """An operation the learner's class does not have: reported as missing, not failed."""


class Failed(Exception):
    """A wrong result; the message is the hint. `graph`: the failing expression drawn from
    both engines (mgdesk.check.graphs.expression_pair), when the check knows one."""

    def __init__(self, hint, graph=None):
        super().__init__(hint)
        self.graph = graph


def _where(exc):
    """' (engine.py line 12, in tanh)': the last frame of the learner's file in exc."""
    last = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == _learner_file:
            last = (lineno, frame.f_code.co_name)
    if last is None:
        return ""
    name = _learner_file.replace("\\", "/").rsplit("/", 1)[-1]
    return f" ({name} line {last[0]}, in {last[1]})"


def _raised(exc):
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}{': ' + text[:120] if text else ''}{_where(exc)}"


def _has(V, name):
    return getattr(V, name, None) is not None and getattr(object, name, None) is None


def _close(x, y, rel=1e-9):
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= rel * max(abs(x), abs(y)) + 1e-12


def _num(x):
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return repr(x)[:40]


def _data(v, what):
    if not hasattr(v, "data"):
        raise Failed(f"`{what}` gives {type(v).__name__} {v!r:.40}, not a Value")
    return v.data


def _backward(root, what):
    try:
        root.backward()
    except RecursionError:
        raise
    except Exception as exc:
        raise Failed(f"backward() of `{what}` raises {_raised(exc)}") from None


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


# ---- expressions, accumulation, depth ----


def _random_expression(rng, ops, depth):
    """A tree of ops over the leaves a, b, c: ("leaf", i) or (op, left, right)."""
    if depth == 0 or rng.random() < 0.2:
        return ("leaf", rng.randrange(3))
    op = rng.choice(ops)
    return (op, _random_expression(rng, ops, depth - 1), _random_expression(rng, ops, depth - 1))


def _evaluate(tree, leaves):
    if tree[0] == "leaf":
        return leaves[tree[1]]
    op = tree[0]
    return op.build(_evaluate(tree[1], leaves), _evaluate(tree[2], leaves))


def _text(tree):
    if tree[0] == "leaf":
        return "abc"[tree[1]]
    op, left, right = tree[0], _text(tree[1]), _text(tree[2])
    if op.name in ("tanh", "exp", "relu", "log", "sigmoid"):
        return f"({left}).{op.name}()"
    return "(" + op.name.replace("a", "\0").replace("b", right).replace("\0", left) + ")"


def _expression_problem(V, tree, values):
    """None when V computes `tree` at `values` as mgdesk does, else the hint."""
    want_leaves = [Ours(x) for x in values]
    want = _evaluate(tree, want_leaves)
    want.backward()
    got_leaves = [V(x) for x in values]
    try:
        got = _evaluate(tree, got_leaves)
        _backward(got, _text(tree))
    except Failed as exc:
        return str(exc)
    except RecursionError:
        raise
    except Exception as exc:
        return f"`{_text(tree)}` raises {_raised(exc)}"
    at = _at(tree, values)
    if not _close(got.data, want.data):
        return f"`{_text(tree)}` at {at} gives {_num(got.data)}, expected {_num(want.data)}"
    for name, g, w in zip("abc", got_leaves, want_leaves):
        if not _close(g.grad, w.grad, 1e-8):
            return (
                f"`{_text(tree)}` at {at}: {name}.grad = {_num(g.grad)}, expected "
                f"{_num(w.grad)}; each op passes alone, so look at how gradients "
                "combine: every `_backward` must add into `.grad` with `+=`"
            )
    return None


def _leaf_indexes(tree):
    if tree[0] == "leaf":
        return {tree[1]}
    return _leaf_indexes(tree[1]) | _leaf_indexes(tree[2])


def _at(tree, values):
    """'a = 0.5, c = -1': the leaves `tree` uses."""
    return ", ".join(f"{'abc'[i]} = {_num(values[i])}" for i in sorted(_leaf_indexes(tree)))


def _smallest_failing(V, tree, values):
    """The smallest sub-expression of a failing `tree` that still fails: (tree, hint)."""
    problem = _expression_problem(V, tree, values)
    shrunk = True
    while shrunk:
        shrunk = False
        for sub in tree[1:]:
            found = None if sub[0] == "leaf" else _expression_problem(V, sub, values)
            if found is not None:
                tree, problem, shrunk = sub, found, True
                break
    return tree, problem


def check_random_expressions(V, module):
    usable = [op for op in OPS if op.domain == "any" and op.name not in ("exp",) and _works(V, op)]
    if not any(op.name in ("a + b", "a * b") for op in usable):
        raise Missing("needs a working `a + b` or `a * b` to build expressions")
    rng = random.Random(2024)
    for _ in range(40):
        tree = _random_expression(rng, usable, 4)
        if tree[0] == "leaf":
            continue
        values = [rng.uniform(-1.5, 1.5) for _ in range(3)]
        want = _evaluate(tree, [Ours(x) for x in values])
        if not math.isfinite(want.data) or abs(want.data) > 1e6:
            continue
        if _expression_problem(V, tree, values) is None:
            continue
        tree, problem = _smallest_failing(V, tree, values)
        pair = expression_pair(
            _text(tree),
            _at(tree, values),
            lambda E, *leaves, tree=tree: _evaluate(tree, leaves),
            values,
            V,
            Ours,
        )
        raise Failed(problem, pair)
    return "pass", ""


def _accumulation_check(text, method, build, expected, assigned, hint):
    """`text` at 3.0 must give the input's grad `expected`; `assigned` is what an `=`
    instead of `+=` in `method`'s backward gives, and `hint` says so."""

    def check(V, module):
        _need(V, method)
        a = V(3.0)
        _backward(build(a), text)
        if _close(a.grad, expected):
            return "pass", ""
        pair = expression_pair(text, "a = 3", lambda E, a: build(a), (3.0,), V, Ours)
        if _close(a.grad, assigned):
            raise Failed(hint, pair)
        raise Failed(f"`{text}` at 3 gives grad {_num(a.grad)}, expected {_num(expected)}", pair)

    return check


check_add_accumulates = _accumulation_check(
    "a + a",
    "__add__",
    lambda a: a + a,
    2.0,
    1.0,
    "`__add__`'s backward assigns `self.grad = out.grad`: `a + a` gives a.grad = 1.0, "
    "expected 2.0 — use `+=`, so a value used twice collects both contributions",
)
check_mul_accumulates = _accumulation_check(
    "x * x",
    "__mul__",
    lambda x: x * x,
    6.0,
    3.0,
    "`__mul__`'s backward assigns with `=`: `x * x` at x = 3 gives x.grad = 3.0, "
    "expected 6.0 (= 2x) — use `+=`",
)


def check_two_branches(V, module):
    """a feeds two branches that meet again: through two additions, then two products."""
    _need(V, "__add__", "__mul__")
    cases = (
        ("(a + 1) * (a + 2)", lambda E, a: (a + E(1.0)) * (a + E(2.0)), 6.0, (2.5, 3.5)),
        ("a * 2 + a * 3", lambda E, a: a * E(2.0) + a * E(3.0), 5.0, (2.0, 3.0)),
    )
    for text, build, expected, one_branch in cases:
        a = V(1.5)
        _backward(build(V, a), text)
        if _close(a.grad, expected):
            continue
        pair = expression_pair(text, "a = 1.5", build, (1.5,), V, Ours)
        if any(_close(a.grad, g) for g in one_branch):
            raise Failed(
                f"a value used in two branches keeps one path's gradient: `{text}` at a = 1.5 "
                f"gives a.grad = {_num(a.grad)}, expected {_num(expected)} "
                f"({' + '.join(map(_num, one_branch))}) — every `_backward` must add into "
                "`.grad` with `+=`, never assign",
                pair,
            )
        raise Failed(
            f"`{text}` at a = 1.5 gives a.grad = {_num(a.grad)}, expected {_num(expected)} "
            "(the sum over both branches)",
            pair,
        )
    return "pass", ""


def _chain(V, n):
    x = V(0.5)
    out = x
    for _ in range(n):
        out = out + V(0.001)
    return x, out


def _chain_ok(V, n):
    x, out = _chain(V, n)
    try:
        out.backward()
    except RecursionError:
        return False
    finally:
        out = None
    return True


def check_deep_chain(V, module):
    _need(V, "__add__")
    x, out = _chain(V, CHAIN_LENGTH)
    try:
        out.backward()
    except RecursionError as exc:
        frames = [
            f.name for f in traceback.extract_tb(exc.__traceback__) if f.filename == _learner_file
        ]
        del exc, x, out
        works, fails = 1, CHAIN_LENGTH  # the longest chain that works, the shortest that fails
        while fails - works > 1:
            mid = (works + fails) // 2
            works, fails = (mid, fails) if _chain_ok(V, mid) else (works, mid)
        function = Counter(frames).most_common(1)[0][0] if frames else "backward"
        what = "recursive topological sort" if "topo" in function else "recursion"
        raise Failed(
            f"{what} (`{function}` calls itself once per node): RecursionError at depth "
            f"{fails} (Python allows about {sys.getrecursionlimit()} nested calls) — use an "
            "explicit stack: a list of nodes to visit, appended to and popped in a loop"
        ) from None
    if not _close(out.data, 0.5 + 0.001 * CHAIN_LENGTH, 1e-6) or not _close(x.grad, 1.0):
        raise Failed(
            f"a chain of {CHAIN_LENGTH:,} additions gives data {_num(out.data)} and x.grad "
            f"{_num(x.grad)}, expected {_num(0.5 + 0.001 * CHAIN_LENGTH)} and 1.0"
        )
    return "pass", ""


def check_backward_twice(V, module):
    """Reported, not judged: three conventions exist, and PyTorch has its own."""
    _need(V, "__add__", "__mul__")

    def grads():
        a, b = V(2.0), V(-3.0)
        out = a * b + a  # out = ab + a: d/da = b + 1 = -2, d/db = a = 2
        return a, b, out

    a, b, out = grads()
    _backward(out, "a * b + a")
    first = (float(a.grad), float(b.grad))
    _backward(out, "a * b + a")
    second = (float(a.grad), float(b.grad))
    torch_way = (
        "PyTorch: a second backward() raises unless the first had retain_graph=True, and "
        "then adds into the leaves' .grad (hence optimizer.zero_grad() before each backward())"
    )
    if all(_close(s, 2 * f) for s, f in zip(second, first)):
        return "pass", (
            f"a second backward() adds the same gradients again (a.grad {_num(first[0])} -> "
            f"{_num(second[0])}), as PyTorch does with retain_graph=True: zero the grads "
            "between steps. " + torch_way
        )
    if all(_close(s, f) for s, f in zip(second, first)):
        return "pass", (
            "a second backward() gives the same gradients again (yours start from zero); "
            + torch_way
        )
    return "pass", (
        f"a second backward() on `a * b + a` gives a.grad {_num(second[0])} and b.grad "
        f"{_num(second[1])} after {_num(first[0])} and {_num(first[1])}: neither the same "
        "nor doubled (PyTorch: -4 and 4), because interior nodes keep their grad from the first "
        "call and pass it on again. micrograd does this too; it is harmless when every grad "
        "is set to 0 before each backward(). " + torch_way
    )


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
    center = float(_mlp_loss(model, V).data)
    slopes = [_nudged(model, V, p, center) for p in params]
    # A ReLU input exactly at 0 (a neuron whose inputs are all 0, with a bias of 0) has two
    # slopes: the left and right differences disagree there, and no gradient is wrong.
    smooth = [i for i, (left, right) in enumerate(slopes) if _sides_agree(left, right)]
    numeric = [(left + right) / 2 for left, right in slopes]
    errors = [
        abs(numeric[i] - analytic[i]) / max(abs(numeric[i]), abs(analytic[i]), 1e-6) for i in smooth
    ]
    if errors and max(errors) > 1e-4:
        i = smooth[max(range(len(errors)), key=errors.__getitem__)]
        raise Failed(
            f"MLP(2, [4, 4, 1]): parameter {i + 1} of {len(params)} has grad "
            f"{_num(analytic[i])}, but nudging it gives {_num(numeric[i])}: a backward rule "
            "used inside the network is wrong (see the checks above)"
        )
    kinks = len(params) - len(smooth)
    note = f" ({kinks} at a ReLU kink, where the two sides differ, not compared)" if kinks else ""
    return "pass", f"all {len(smooth)} parameters compared agree with finite differences{note}"


def _sides_agree(left, right, tolerance=1e-3):
    return abs(left - right) <= tolerance * max(1.0, abs(left), abs(right))


def _nudged(model, V, p, center, eps=1e-6):
    """(left, right) one-sided differences of the loss in p, from two forward passes."""
    saved = p.data
    p.data = saved + eps
    up = float(_mlp_loss(model, V).data)
    p.data = saved - eps
    down = float(_mlp_loss(model, V).data)
    p.data = saved
    return (center - down) / eps, (up - center) / eps


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


# ---- the list ----


def check_value_basics(V, module):
    try:
        v = V(2.0)
    except Exception as exc:
        raise Failed(f"Value(2.0) raises {_raised(exc)}") from None
    problems = []
    if not hasattr(v, "data") or not _close(v.data, 2.0):
        problems.append("Value(2.0).data should be 2.0")
    if not hasattr(v, "grad") or not _close(v.grad, 0.0):
        problems.append("a new Value's grad should start at 0")
    if not callable(getattr(v, "backward", None)):
        problems.append("it needs a backward() method")
    if problems:
        raise Failed("; ".join(problems))
    return "pass", ""


@dataclass(frozen=True)
class Check:
    name: str
    run: object  # (V, module) -> (status, hint)
    seconds: float = 10.0  # time limit in the child


CHECKS = (
    Check("Value(2.0): data, grad, backward()", check_value_basics),
    *(Check(op.name, _op_check(op)) for op in OPS),
    Check("random expressions", check_random_expressions),
    Check("a + a accumulates", check_add_accumulates),
    Check("x * x accumulates", check_mul_accumulates),
    Check("a value used in two branches", check_two_branches),
    Check(f"a chain of {CHAIN_LENGTH:,} operations", check_deep_chain, 30.0),
    Check("backward() twice", check_backward_twice),
    Check("MLP gradients", check_mlp),
    Check("zero_grad()", check_zero_grad),
    Check("speed of a training step", check_speed, 60.0),
)


def run_check(check, V, module):
    """{"name", "status", "hint"} of one check, and for a failure with a small failing
    expression its "graph" (mgdesk.check.graphs); never raises (but for KeyboardInterrupt)."""
    graph = None
    try:
        status, hint = check.run(V, module)
    except Missing as exc:
        status, hint = "missing", str(exc)
    except Failed as exc:
        status, hint, graph = "fail", str(exc), exc.graph
    except RecursionError as exc:
        status, hint = "fail", f"RecursionError{_where(exc)}: the graph is too deep for recursion"
    except Exception as exc:
        status, hint = "error", f"the check stopped: {_raised(exc)}"
    result = {"name": check.name, "status": status, "hint": hint}
    if status == "fail" and graph is not None:
        result["graph"] = graph
    return result

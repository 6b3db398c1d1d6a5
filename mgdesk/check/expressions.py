"""Checks of whole graphs: random expressions (shrunk to the smallest that fails),
gradient accumulation, a long chain, and backward() called twice."""

import math
import random
import sys
import traceback
from collections import Counter

from mgdesk.check.common import (
    CHAIN_LENGTH,
    Failed,
    Missing,
    _backward,
    _close,
    _num,
    _raised,
    learner_file,
)
from mgdesk.check.graphs import expression_pair
from mgdesk.check.ops import OPS, _need, _works
from mgdesk.engine import Value as Ours

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
            f.name for f in traceback.extract_tb(exc.__traceback__) if f.filename == learner_file()
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

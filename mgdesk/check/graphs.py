"""The failing expression of a check, drawn from both engines: plain JSON data.

A failing check can say which small expression went wrong (`a + a` at a = 3). Then it is
built twice, from the learner's `Value` and from mgdesk's, `backward()` runs on each, and
each graph is read the way a learner's own `draw_dot` reads it: through `_prev`, `_op`,
`data`, `grad` and `label` (if present), and nothing else, so any micrograd-shaped class
can be drawn. The result crosses the process boundary as JSON:

    {"expression": "a + a", "at": "a = 3",
     "theirs": {"nodes": [{"id", "label", "op", "data", "grad"}, ...],
                "edges": [[input id, result id], ...],   # once per use: a + a gives two
                "differs": [ids whose data or grad disagree with the other engine]},
     "ours": {... the same ...}}

A side that cannot be read has {"error": "one line"} instead. The nodes are in topological
order, inputs first; the leaves the check made are named a, b, c and the result `out`.
"""

import math

__all__ = ["MAX_NODES", "expression_pair", "snapshot"]

MAX_NODES = 150  # a failing expression is a few ops; more than this is not worth drawing
_NAMES = "abc"


class _Unreadable(Exception):
    """The graph cannot be read through _prev / _op / data / grad."""


def _number(x, what):
    try:
        return float(x)
    except (TypeError, ValueError):
        raise _Unreadable(f"its {what} is {type(x).__name__} {x!r:.30}, not a number") from None


def _children(v):
    prev = getattr(v, "_prev", None)
    if prev is None:
        raise _Unreadable("it has no `_prev` (the values it was made from)")
    try:
        return list(prev)
    except TypeError:
        raise _Unreadable(f"its `_prev` is {type(prev).__name__}, not a collection") from None


def _order(root):
    """Every value `root` depends on, inputs first (an explicit stack: no recursion)."""
    order, seen, stack = [], {id(root)}, [(root, iter(_children(root)))]
    while stack:
        value, children = stack[-1]
        child = next(children, None)
        if child is None:
            order.append(stack.pop()[0])
        elif id(child) not in seen:
            seen.add(id(child))
            if len(seen) > MAX_NODES:
                raise _Unreadable(f"more than {MAX_NODES} values: too many to draw")
            stack.append((child, iter(_children(child))))
    return order


def snapshot(root, names):
    """{"nodes", "edges"} of `root`'s graph; `names` maps id(value) -> a name to show."""
    try:
        order = _order(root)
        index = {id(v): f"n{i}" for i, v in enumerate(order)}
        nodes, edges = [], []
        for v in order:
            label = names.get(id(v))
            if label is None:
                label = getattr(v, "label", "")
                label = label if isinstance(label, str) else ""
            op = getattr(v, "_op", "")
            nodes.append(
                {
                    "id": index[id(v)],
                    "label": label[:16],
                    "op": str(op)[:12] if op is not None else "",
                    "data": _number(getattr(v, "data", None), "data"),
                    "grad": _number(getattr(v, "grad", None), "grad"),
                }
            )
            edges.extend([index[id(c)], index[id(v)]] for c in _children(v))
    except _Unreadable as exc:
        return {"error": f"cannot read the graph: {exc}"}
    except Exception as exc:  # their attributes may be properties that raise
        return {"error": f"cannot read the graph: {type(exc).__name__}: {str(exc)[:100]}"}
    return {"nodes": nodes, "edges": edges, "differs": []}


def _close(x, y, rel=1e-9):
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= rel * max(abs(x), abs(y)) + 1e-12


def _leaves(side):
    made = {b for _, b in side["edges"]}
    return {n["id"] for n in side["nodes"] if n["id"] not in made}


def _matches(theirs, ours):
    """Pairs (their node, our node) that stand for the same value: the named ones by name,
    the others by their forward value, where exactly one node on each side has it (and
    both are leaves or both are not). The two engines may build `a - b` differently."""
    pairs = []
    named = {n["label"]: n for n in ours["nodes"] if n["label"]}
    leaves = _leaves(theirs), _leaves(ours)
    rest = []
    for node in theirs["nodes"]:
        if node["label"] and node["label"] in named:
            pairs.append((node, named.pop(node["label"])))
        else:
            rest.append(node)
    taken = {id(b) for _, b in pairs}
    for node in rest:
        leaf = node["id"] in leaves[0]

        def same(n, node=node, leaf=leaf):
            return (n["id"] in leaves[1]) == leaf and _close(n["data"], node["data"])

        candidates = [n for n in ours["nodes"] if id(n) not in taken and same(n)]
        twins = [n for n in rest if same(n)]
        if len(candidates) == 1 and len(twins) == 1:
            pairs.append((node, candidates[0]))
            taken.add(id(candidates[0]))
    return pairs


def mark_differences(theirs, ours):
    """Fill each side's "differs" with the nodes whose data or grad disagree."""
    if "error" in theirs or "error" in ours:
        return
    for a, b in _matches(theirs, ours):
        if not (_close(a["data"], b["data"]) and _close(a["grad"], b["grad"], 1e-8)):
            theirs["differs"].append(a["id"])
            ours["differs"].append(b["id"])


def _side(engine, build, values):
    leaves = [engine(x) for x in values]
    root = build(engine, *leaves)
    root.backward()
    names = {id(leaf): name for leaf, name in zip(leaves, _NAMES)}
    names.setdefault(id(root), "out")
    return snapshot(root, names)


def expression_pair(text, at, build, values, theirs, ours):
    """Both engines' graphs of `build(engine, a, b, ...)` at `values`, after backward(),
    with their differences marked; None if the learner's engine cannot even build it."""
    try:
        mine = _side(theirs, build, values)
    except Exception:  # their code failed again: the hint already says how
        return None
    reference = _side(ours, build, values)
    mark_differences(mine, reference)
    return {"expression": text, "at": at, "theirs": mine, "ours": reference}

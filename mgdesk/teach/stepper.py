"""Backpropagation one node at a time, forwards and backwards.

`Value.backward()` is this loop (the learner's own code):

    topo = root.topological_order()      # every node after all the inputs it uses
    root.grad = 1.0
    for node in reversed(topo):          # so every node comes after all the nodes using it
        node._backward()                 # input.grad += local derivative × node.grad

`BackwardStepper` runs that loop by hand. **One step is one pass of the loop: one node's
`_backward()`**, leaves included (their `_backward` does nothing, but their turn shows that
their grad is complete). Step 1 also sets `root.grad = 1`. So a graph of N nodes has exactly N
steps, in `order` (the reversed topological order, root first), and `position` counts the steps
applied: 0 = nothing done yet, N = finished.

Each step remembers the grads it is about to change (its node's inputs, plus the root on step
1), so `back()` puts them back bit for bit: one small tuple per step, not a snapshot.
"""

import bisect
import heapq

from mgdesk.teach.explain import describe, fmt, local_rule
from mgdesk.viz.network_sizes import value_label
from mgdesk.viz.trace import node_names

__all__ = ["BackwardStepper", "NetworkStepper", "node_names"]


class BackwardStepper:
    """Step the backward pass of `root` node by node; the forward pass is already done.

    On creation every grad in the graph is set to 0 (`restore()` puts back the grads it had).
    """

    def __init__(self, root, params=None, order=None):
        self.root = root
        self.params = params  # to tell parameters from inputs (see explain.node_role)
        topo = root.topological_order()
        # backward order, root first; `order` may give another valid one (every node after
        # all the nodes using it), e.g. one that keeps each neuron's nodes together
        self.order = topo[::-1] if order is None else list(order)
        if order is not None and (
            len(self.order) != len(topo) or set(map(id, self.order)) != set(map(id, topo))
        ):
            raise ValueError("order must hold every node of the graph exactly once")
        place = {id(node): k for k, node in enumerate(self.order)}
        if any(place[id(c)] < place[id(n)] for n in self.order for c in n._prev):
            raise ValueError("order must put every node after all the nodes using it")
        self.position = 0
        self._names = node_names(topo)
        self._step_of = {node: k for k, node in enumerate(self.order)}
        # the grads step k writes: its node's distinct inputs (and the root itself on step 0)
        self._touched = [tuple(dict.fromkeys(node._prev)) for node in self.order]
        self._touched[0] = (root, *self._touched[0])
        self._saved = [None] * len(self.order)  # grads before step k, while it is applied
        self._uses = dict.fromkeys(topo, 0)  # how many edges leave each node
        self._again = []  # step k, input i: did it get a grad along an earlier edge?
        for node in self.order:
            again = []
            for child in node._prev:
                again.append(self._uses[child] > 0)
                self._uses[child] += 1
            self._again.append(again)
        self._original = [node.grad for node in self.order]
        for node in self.order:
            node.grad = 0.0

    def __len__(self):
        return len(self.order)

    # ---- moving ----

    def step(self):
        """Apply the next node's `_backward()`; False when already at the end."""
        k = self.position
        if k == len(self.order):
            return False
        self._saved[k] = tuple(n.grad for n in self._touched[k])
        node = self.order[k]
        if k == 0:
            node.grad = 1.0  # d root / d root
        node._backward()
        self.position = k + 1
        return True

    def back(self):
        """Undo the last step exactly; False when nothing is applied."""
        k = self.position - 1
        if k < 0:
            return False
        for n, g in zip(self._touched[k], self._saved[k]):
            n.grad = g
        self._saved[k] = None
        self.position = k
        return True

    def jump_to(self, position):
        """Have exactly `position` steps applied (0..len): step `position` becomes current."""
        if not 0 <= position <= len(self.order):
            raise ValueError(f"position must be between 0 and {len(self.order)}, not {position}")
        while self.position < position:
            self.step()
        while self.position > position:
            self.back()

    def run_to_end(self):
        self.jump_to(len(self.order))

    def restore(self):
        """Undo every step and give the graph back the grads it had before the stepper."""
        self.jump_to(0)
        for node, g in zip(self.order, self._original):
            node.grad = g

    # ---- reading ----

    @property
    def current(self):
        """The node of the last applied step (the one the caption explains), or None."""
        return self.order[self.position - 1] if self.position else None

    def state_of(self, node):
        """'done' (its step is behind), 'current' (just applied) or 'waiting'."""
        k = self._step_of[node] + 1  # its step number
        if k < self.position:
            return "done"
        return "current" if k == self.position else "waiting"

    def name(self, node):
        """Short name for formulas: the label, or `n12` for an unnamed node."""
        return self._names[node]

    def display_name(self, node):
        """Name for lists and headings: the label, or `n12 (+)` for an unnamed node."""
        if node.label:
            return node.label
        return f"{self._names[node]} ({node._op or 'constant ' + fmt(node.data)})"

    def entries(self):
        """The side list: (step number 1..N, name, op) in backward order; `jump_to(step)`."""
        return [(k + 1, self.display_name(n), n._op) for k, n in enumerate(self.order)]

    def touched(self, step):
        """The nodes whose grad step `step` (1..N) writes: what a view must repaint."""
        return self._touched[step - 1]

    def describe(self, node):
        """The node inspector's dict (see explain.describe), with this graph's names."""
        return describe(node, self.name, self.root, self.params)

    def caption(self):
        """The chain rule in numbers for the current step, one line per input edge."""
        k = self.position - 1
        if k < 0:
            return (
                f"All grads are 0. Step 1 starts at the end: {self.name(self.root)}.grad = 1, "
                f"then {len(self.order)} nodes pass their grad back, one per step."
            )
        node, name = self.order[k], self.name
        head = f"Step {k + 1} of {len(self.order)}, {self.display_name(node)}: "
        if k == 0:
            head += f"{name(node)}.grad = 1 (d{name(node)}/d{name(node)})"
        else:
            uses = self._uses[node]
            done = "its only use is done" if uses == 1 else f"all {uses} uses are done"
            head += f"grad {fmt(node.grad)} is complete ({done})"
        if not node._prev:
            return head + "; a leaf, nothing to pass on."
        inputs = "its input" if len(node._prev) == 1 else f"its {len(node._prev)} inputs"
        lines = [f"{head}; passed on to {inputs}:"]
        grads = dict(zip(self._touched[k], self._saved[k]))  # the inputs' grads before the step
        for i, child in enumerate(node._prev):
            rule = local_rule(node, i, name)
            before = grads[child]
            added = rule.value * node.grad
            grads[child] = before + added
            line = (
                f"  {name(child)}.grad += {rule.code} × {name(node)}.grad"
                f" = {fmt(rule.value)} × {fmt(node.grad)} = {fmt(added)}"
            )
            if self._again[k][i]:  # used more than once: show the += at work
                line += f"; {name(child)}.grad was {fmt(before)}, += {fmt(added)}, now"
                line += f" {fmt(grads[child])}"
            lines.append(line)
        return "\n".join(lines)


class NetworkStepper:
    """The backward pass in the steps the network view shows (see viz.network).

    One step is one box's turn: inside an open neuron, one operation (its activation, its sum
    `Σ` (the whole `+` chain: every term gets the same grad), one product, one weight); a
    closed neuron, the closed loss, an input: the whole box at once. Underneath is a
    `BackwardStepper` over an order that keeps each box's nodes together, so `back()` is
    exact and the engine's own `_backward` does the work.

    `steps[k]` is (box id, name, engine nodes) of step k + 1; `position` counts steps applied.
    """

    def __init__(self, groups, opened=frozenset(), params=None):
        self.groups = groups
        self.opened = frozenset(opened)
        index = groups.index
        self._products = {  # id(w·x) -> its name: the graph's "w1·x1", with its neuron's
            id(p): f"{g.name}.w{j + 1}·x{j + 1}"
            for g in groups.groups
            for j, (p, _, _) in enumerate(g.products)
            if not p.label
        }
        units, members = {}, {}
        for v in groups.topo:
            key = self._unit(v)
            units.setdefault(key[0], key)
            members.setdefault(key[0], []).append(v)
        # order the boxes: each after every box that uses one of its values (Kahn, latest
        # topological index first, which keeps the engine's order where it can)
        users = {key: set() for key in members}
        for v in groups.topo:
            for c in v._prev:
                a, b = self._unit(v)[0], self._unit(c)[0]
                if a != b:
                    users[b].add(a)
        waiting = {key: len(u) for key, u in users.items()}
        using = {key: set() for key in members}
        for key, u in users.items():
            for a in u:
                using[a].add(key)
        ready = [(-index[id(members[k][-1])], k) for k, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        steps = []
        while ready:
            _, key = heapq.heappop(ready)
            nodes = sorted(members[key], key=lambda v: -index[id(v)])
            steps.append((units[key][1], units[key][2], tuple(nodes)))
            for b in using[key]:
                waiting[b] -= 1
                if waiting[b] == 0:
                    heapq.heappush(ready, (-index[id(members[b][-1])], b))
        self.steps = steps
        order = [v for _, _, nodes in steps for v in nodes]
        self.engine = BackwardStepper(groups.root, params, order)
        for group in groups.groups:  # a neuron's output reads as the neuron: L1.N2, not n14
            if group.kind == "neuron" and not group.output.label:
                self.engine._names[group.output] = group.name
        for group in groups.groups:  # a product as the graph names it: L1.N2.w1·x1
            for product, _, _ in group.products:
                if id(product) in self._products:
                    self.engine._names[product] = self._products[id(product)]
        self._ends = []
        end = 0
        for _, _, nodes in steps:
            end += len(nodes)
            self._ends.append(end)
        self.position = 0

    def _unit(self, v):
        """(key, box id, name) of the step that runs `v`'s backward."""
        g = self.groups
        group = g.owner[id(v)]
        i = g.index[id(v)]
        if group.kind in ("input", "target") or group.name not in self.opened:
            out = g.index[id(group.output)]
            return group.name, f"n{out}", group.name
        if group.kind == "neuron" and v in group.chain:
            total = g.index[id(group.chain[-1])]
            return f"{group.name}:sum", f"n{total}", f"{group.name} Σ"
        name = v.label or self._products.get(id(v))
        if not name and group.kind == "loss":  # as its box reads: "loss ×", "loss constant"
            name = f"loss {value_label(v)}"
        return f"n{i}", f"n{i}", name or f"n{i} ({v._op or 'constant'})"

    def __len__(self):
        return len(self.steps)

    def whole_steps(self, done):
        """How many steps lie within the first `done` nodes of the engine's order: the
        progress to keep when the same sample is stepped with other boxes opened."""
        return bisect.bisect_right(self._ends, done)

    def step(self):
        if self.position == len(self.steps):
            return False
        self.jump_to(self.position + 1)
        return True

    def back(self):
        if self.position == 0:
            return False
        self.jump_to(self.position - 1)
        return True

    def jump_to(self, position):
        if not 0 <= position <= len(self.steps):
            raise ValueError(f"position must be between 0 and {len(self.steps)}, not {position}")
        self.engine.jump_to(self._ends[position - 1] if position else 0)
        self.position = position

    def run_to_end(self):
        self.jump_to(len(self.steps))

    def restore(self):
        self.position = 0
        self.engine.restore()

    @property
    def current(self):
        """The box id of the last applied step, or None."""
        return self.steps[self.position - 1][0] if self.position else None

    def state_of(self, box):
        """'done', 'current' or 'waiting' for a box id of the view."""
        k = next((k for k, (b, _, _) in enumerate(self.steps) if b == box), None)
        if k is None:
            return "waiting"
        if k + 1 < self.position:
            return "done"
        return "current" if k + 1 == self.position else "waiting"

    def entries(self):
        """(step number, name) of every step, for the side list."""
        return [(k + 1, name) for k, (_, name, _) in enumerate(self.steps)]

    def caption(self):
        """What the current step did, in numbers; where an input already had a grad, the
        accumulation (`was`, `+=`, `now`)."""
        k = self.position - 1
        if k < 0:
            return (
                f"All grads are 0. Step 1 starts at the end: loss.grad = 1, then "
                f"{len(self.steps)} boxes pass their grad back, one per step."
            )
        box, name, nodes = self.steps[k]
        head = f"Step {k + 1} of {len(self.steps)}, {name}"
        if len(nodes) == 1:  # one operation: the engine stepper's own words
            text = self.engine.caption()
            return head + text[text.index(":") :]
        outside = self._inputs(nodes)
        before_end = self._ends[k] - len(nodes)
        saved = self.engine.position
        self.engine.jump_to(before_end)
        before = {id(c): c.grad for c in outside}
        self.engine.jump_to(saved)
        out = nodes[0]
        lines = [f"{head} ({len(nodes)} operations in one step): grad {fmt(out.grad)} flows in"]
        group = self.groups.owner[id(out)]
        if group.kind == "neuron" and group.name not in self.opened:
            lines += _neuron_lines(group, self.engine.name)
        elif group.kind == "neuron":
            lines.append(f"  d Σ/d term = 1: each of its {len(nodes) + 1} terms gets Σ.grad")
        for c in outside:
            added = c.grad - before[id(c)]
            line = f"  {self.engine.name(c)}.grad += {fmt(added)}"
            if before[id(c)] != 0:
                line += f"; was {fmt(before[id(c)])}, += {fmt(added)}, now {fmt(c.grad)}"
            lines.append(line)
        return "\n".join(lines)

    def _inputs(self, nodes):
        inside = {id(v) for v in nodes}
        seen = {}
        for v in nodes:
            for c in v._prev:
                if id(c) not in inside:
                    seen.setdefault(id(c), c)
        return sorted(seen.values(), key=lambda v: self.groups.index[id(v)])


def _neuron_lines(group, name):
    """How a closed neuron's grad reaches its sum and its weights."""
    out, total = group.output, group.chain[-1]
    lines = []
    if out is not total:
        rule = local_rule(out, 0, name)
        lines.append(
            f"  {group.neuron.activation}: Σ.grad = {rule.code} × out.grad = {fmt(rule.value)}"
            f" × {fmt(out.grad)} = {fmt(total.grad)}"
        )
    for _, w, x in group.products:
        lines.append(
            f"  {w.label}.grad = {name(x)}.data × Σ.grad = {fmt(x.data)} × {fmt(total.grad)}"
            f" = {fmt(w.grad)}"
        )
    lines.append(f"  {group.neuron.b.label}.grad = Σ.grad = {fmt(group.neuron.b.grad)}")
    return lines

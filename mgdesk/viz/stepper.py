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

from mgdesk.viz.explain import describe, fmt, local_rule

__all__ = ["BackwardStepper", "node_names"]


def node_names(topo):
    """Name for each node in topological order: its label, or `n<index>` (its place in
    `topo`, the graph view's node numbering) for an unnamed one."""
    return {node: node.label or f"n{i}" for i, node in enumerate(topo)}


class BackwardStepper:
    """Step the backward pass of `root` node by node; the forward pass is already done.

    On creation every grad in the graph is set to 0 (`restore()` puts back the grads it had).
    """

    def __init__(self, root, params=None):
        self.root = root
        self.params = params  # to tell parameters from inputs (see explain.node_role)
        topo = root.topological_order()
        self.order = topo[::-1]  # backward order, root first
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

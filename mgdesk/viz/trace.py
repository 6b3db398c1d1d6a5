"""The traced sample: one sample's loss graph, built from a model dict, in one place.

Every view of "the graph of sample (x, y)" starts here: the graph worker's render, the
inspector's copy, the backward stepper's copy, the gradient check, `mgdesk graph` and
`GraphRenderer.render`. Each caller gets its own Values (a `Value` never crosses a thread);
`TraceCache` keeps the latest one per caller, so asking again for the same job costs nothing.

    sample = trace_sample(model.to_dict(), (0.5, -1.0), 1.0, "hinge")
    sample.root.grad, sample.topo[0], sample.names[sample.root]   # -> 1.0, x1, "loss"

`choose_view` is the one rule for "auto": the ops view (a box per Value) up to NODE_BUDGET
boxes, one box per neuron above it. `worst_sample` picks the point worth tracing (the largest
loss), `quiet_caption` says why a traced sample's gradients are all 0.
"""

from dataclasses import dataclass, field

from mgdesk.engine import MLP
from mgdesk.train import LOSSES, sample_loss
from mgdesk.train.trainer import scores
from mgdesk.viz.graph import HUB_OP, ops_node_count

__all__ = [
    "HUB_OP",
    "NODE_BUDGET",
    "SampleGraph",
    "TraceCache",
    "TraceCancelled",
    "choose_view",
    "node_names",
    "quiet_caption",
    "trace_sample",
    "worst_sample",
]

NODE_BUDGET = 600  # above this many ops-view boxes, "auto" draws one box per neuron


def node_names(topo):
    """Name for each node in topological order: its label, or `n<index>` (its place in
    `topo`, the graph view's node numbering) for an unnamed one."""
    return {node: node.label or f"n{i}" for i, node in enumerate(topo)}


class TraceCancelled(Exception):
    """`cancelled()` said stop (the window is closing, or a newer job came)."""


@dataclass(frozen=True, eq=False)
class SampleGraph:
    """One sample's loss under one model, as Values of its own.

    `topo` is `root.topological_order()` (inputs first: node `n<i>` of the ops view is
    `topo[i]`), `params` the model's parameters, `names` a name for every node (its label,
    or `n<i>`). Not a snapshot: it holds live Values, so it stays in the thread that made it.
    """

    model: MLP
    root: object  # the Value of the loss
    topo: list = field(repr=False)
    params: list = field(repr=False)
    names: dict = field(repr=False)


def _check(cancelled):
    if cancelled is not None and cancelled():
        raise TraceCancelled("trace cancelled")


def trace_sample(model, x, y, loss="hinge", backward=True, cancelled=None, features=None):
    """The loss graph of sample (x, y) under `model` (an MLP's `to_dict()`, or an MLP,
    which is then used as it is): forward pass, then `backward()` unless `backward` is
    False (the stepper starts from grads 0). `cancelled()`, when given, is asked between
    the parts (each ~0.3 s at 256,256) and raises TraceCancelled when it is true.
    `features`: the network's inputs (train.features; default x1, x2)."""
    model = MLP.from_dict(model) if isinstance(model, dict) else model
    _check(cancelled)
    root = sample_loss(model, x, y, loss, features)
    _check(cancelled)
    if backward:
        root.backward()
        _check(cancelled)
    topo = root.topological_order()
    return SampleGraph(model, root, topo, model.parameters(), node_names(topo))


def trace_job(job, backward=True, cancelled=None):
    """`trace_sample` of anything with .model, .x, .y and .loss (the window's GraphJob), and
    .features when the network takes other inputs than x1, x2."""
    features = getattr(job, "features", None)
    return trace_sample(job.model, job.x, job.y, job.loss, backward, cancelled, features)


class TraceCache:
    """The latest traced sample of one caller: traced again only for another sample.

    `get(job)` returns the SampleGraph of `job` (anything with .model, .x, .y, .loss);
    the same network on the same sample returns the one already made.
    """

    def __init__(self, backward=True):
        self.backward = backward
        self._key = None
        self._sample = None

    def get(self, job, cancelled=None):
        key = _key(job)
        if self._sample is None or key != self._key:
            self._sample = trace_job(job, self.backward, cancelled)
            self._key = key
        return self._sample

    def clear(self):
        self._key = self._sample = None


def _key(job):
    return (job.model, tuple(job.x), job.y, job.loss, getattr(job, "features", None))


def choose_view(view, count, has_model=True, budget=NODE_BUDGET):
    """(view, why) for a graph of `count` ops-view boxes: "auto" picks "neurons" above
    `budget` (when there is a model to group the values by), else "ops"; "ops" and
    "neurons" stay as they are. `why` says why "auto" chose neurons ("" otherwise)."""
    if view != "auto":
        return view, ""
    if count > budget and has_model:
        return "neurons", f"neuron view: {count:,} nodes is above the {budget:,} budget"
    return "ops", ""


def auto_view(root, view, has_model=True, budget=NODE_BUDGET):
    """`choose_view` for the graph of `root` (counted only when the view is "auto")."""
    count = ops_node_count(root) if view == "auto" else 0
    return choose_view(view, count, has_model, budget)


def worst_sample(model, xs, ys, loss="hinge", features=None):
    """Index of the training point with the largest loss (the first of equals): its graph
    has gradients worth looking at, where a well-classified point's may all be 0."""
    point = LOSSES[loss].point
    losses = [point(s, y)[0] for s, y in zip(scores(model, xs, features), ys, strict=True)]
    return max(range(len(losses)), key=losses.__getitem__)


def quiet_caption(loss, root):
    """Why nothing flows back when the traced sample's gradient is 0, or "" when it is not."""
    score = next((v for v in root.topological_order() if v.label == "score"), None)
    if score is None or score.grad != 0 or root.data != root.data:
        return ""
    if loss == "hinge":
        return (
            "classified with margin: hinge loss 0, so every gradient is 0 — click a point "
            "near the boundary"
        )
    if loss == "mse":
        return "the score equals the label: squared error 0, so every gradient is 0"
    return (
        "the loss is flat here (saturated), so every gradient is 0 — click a point near "
        "the boundary"
    )

"""GraphRenderer: one sample's loss graph to SVG, laid out once per shape, patched after.

    renderer = GraphRenderer()
    result = renderer.render(model.to_dict(), (0.5, -1.0), 1.0, loss="hinge")
    result.svg          # bytes for QSvgRenderer
    result.node_ids     # svg element id -> GraphNode (label, op, role, data, grad, index)

The first render of an architecture runs the layout program (about 0.1 s at 500 nodes);
later renders of the same shape only patch numbers and colours into the cached SVG.
A newer render, or `cancel()`, stops an older one still running: latest wins, and the
older call raises RenderCancelled instead of returning a stale picture.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from mgdesk.viz.dot import to_dot
from mgdesk.viz.graph import trace_graph, trace_neurons
from mgdesk.viz.network import network_graph
from mgdesk.viz.program import (
    RenderCancelled,
    RenderError,
    find_program,
    kill_program,
    run_program,
)
from mgdesk.viz.svg import Layout, compact_svg
from mgdesk.viz.trace import NODE_BUDGET, auto_view, trace_sample

__all__ = ["GraphRenderer", "GraphResult", "VIEWS"]

VIEWS = ("auto", "ops", "neurons")


@dataclass(frozen=True)
class GraphResult:
    svg: bytes
    view: str  # "ops" or "neurons"
    node_count: int
    message: str  # why the view was chosen, "" when there is nothing to say
    node_ids: dict = field(repr=False)  # svg element id -> GraphNode, for hit-tests
    cached: bool = False  # True when the numbers were patched into a cached layout


class GraphRenderer:
    """Draws Value graphs with the bundled graphviz-pure (or the system `dot`)."""

    def __init__(self, renderer="auto", timeout=20.0, node_budget=NODE_BUDGET, cache_size=8):
        self.renderer = renderer  # "auto", "bundled", "system" or a path to a dot program
        self.timeout = timeout
        self.node_budget = node_budget  # above this many ops-view nodes, "auto" shows neurons
        self.cache_size = cache_size
        self._layouts = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0
        self._process = None

    # ---- public ----

    def render(self, model_dict, x, y, loss="hinge", view="auto", styles=None):
        """The graph of one sample's loss after a backward pass (for scripts and tests:
        the window and `mgdesk graph` trace the sample themselves, then `render_graph`)."""
        sample = trace_sample(model_dict, x, y, loss)
        return self.render_root(sample.root, sample.model, view, styles)

    def render_root(self, root, model=None, view="auto", styles=None):
        """The graph of any Value `root` as it is now (the neuron view needs its `model`)."""
        graph, message = self.trace(root, model, view)
        return self.render_graph(graph, message, styles)

    def trace(self, root, model=None, view="auto"):
        """(Graph, message) for `view`; "auto" picks neurons above the node budget;
        "network" is the window's view (viz.network), opened by default."""
        if view == "network" and model is not None:
            return network_graph(root, model)[0], ""
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)} (got {view!r})")
        view, message = auto_view(root, view, model is not None, self.node_budget)
        if view == "neurons":
            if model is None:
                raise ValueError("the neuron view needs the model")
            return trace_neurons(root, model), message
        return trace_graph(root), message

    def render_graph(self, graph, message="", styles=None):
        """SVG of a traced graph: patched into a cached layout, or laid out now."""
        generation = self._begin()
        key = graph.shape()
        with self._lock:
            layout = self._layouts.get(key)
            if layout is not None:
                self._layouts.move_to_end(key)
        cached = layout is not None
        if layout is None:  # each part takes seconds for a big opened network: a cancel
            stale = lambda: generation != self._generation  # noqa: E731 (stops it between parts)
            source = to_dot(graph, styled=False, cancelled=stale)
            svg = self._run(source, "svg", generation, _options(graph))
            self._check(generation)
            layout = Layout(compact_svg(svg.decode()), graph)
            self._check(generation)
            with self._lock:
                self._layouts[key] = layout
                while len(self._layouts) > self.cache_size:
                    self._layouts.popitem(last=False)
        svg = layout.svg(graph, styles)
        self._check(generation)
        nodes = {n.id: n for n in graph.nodes}
        return GraphResult(svg, graph.view, len(graph.nodes), message, nodes, cached)

    def image(self, graph, fmt="png"):
        """Lay out `graph` anew and return the program's output in `fmt` (png, svg, ...).

        Like a render, this stops any render still in flight.
        """
        return self._run(to_dot(graph), fmt, self._begin(), _options(graph))

    def cancel(self):
        """Stop the render in flight, if any; its caller gets RenderCancelled."""
        self._begin()

    # ---- latest wins ----

    def _begin(self):
        """Start a new generation: any older render in flight is now stale and is killed."""
        with self._lock:
            self._generation += 1
            if self._process is not None:
                kill_program(self._process)
                self._process = None
            return self._generation

    def _check(self, generation):
        with self._lock:
            if generation != self._generation:
                raise RenderCancelled("a newer graph was requested")

    def _run(self, source, fmt, generation, options=()):
        command = find_program(self.renderer)

        def started(process):
            with self._lock:
                if generation == self._generation:
                    self._process = process
                else:
                    kill_program(process)

        try:
            return run_program(command, source, fmt, self.timeout, started, options)
        except RenderError:
            self._check(generation)  # killed by a newer render: report that instead
            raise
        finally:
            with self._lock:
                if generation == self._generation:
                    self._process = None


def _options(graph):
    """The network view pins every node: the program only draws (`-n2`: pos in points)."""
    return ("-n2",) if graph.view == "network" else ()

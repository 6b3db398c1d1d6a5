"""The computational-graph view without Qt: Value graph -> DOT -> SVG, patched live.

from mgdesk.viz import GraphRenderer
result = GraphRenderer().render(model.to_dict(), (0.5, -1.0), 1.0, loss="hinge")
open("graph.svg", "wb").write(result.svg)
"""

from mgdesk.viz.dot import format_number, grad_colour, to_dot
from mgdesk.viz.graph import Graph, GraphNode, trace_graph, trace_neurons
from mgdesk.viz.program import RenderCancelled, RendererMissing, RenderError, RenderTimeout
from mgdesk.viz.renderer import VIEWS, GraphRenderer, GraphResult
from mgdesk.viz.svg import Layout, NodeStyle

__all__ = [
    "VIEWS",
    "Graph",
    "GraphNode",
    "GraphRenderer",
    "GraphResult",
    "Layout",
    "NodeStyle",
    "RenderCancelled",
    "RenderError",
    "RenderTimeout",
    "RendererMissing",
    "format_number",
    "grad_colour",
    "to_dot",
    "trace_graph",
    "trace_neurons",
]

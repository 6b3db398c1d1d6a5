"""A big opened network view stops at once when cancelled: building its DOT source takes
seconds at 128,128 and used to run to its end (closing the window waited for it)."""

import pytest

import mgdesk.viz.renderer as renderer_module
from mgdesk.engine import MLP
from mgdesk.viz import GraphRenderer
from mgdesk.viz.dot import CANCEL_EVERY, to_dot
from mgdesk.viz.network import network_graph
from mgdesk.viz.program import RenderCancelled
from mgdesk.viz.trace import trace_sample


def opened_graph(width):
    model = MLP(2, [width, width, 1]).to_dict()
    sample = trace_sample(model, (0.5, -0.2), 1.0, "hinge")
    names = {f"L{i + 1}.N{j + 1}" for i, n in enumerate(model["nouts"]) for j in range(n)}
    return network_graph(sample.root, sample.model, frozenset(names | {"loss"}))[0]


def test_building_the_dot_source_stops_when_cancelled():
    graph = opened_graph(32)
    assert len(graph.nodes) > CANCEL_EVERY
    looks = []

    def cancelled():
        looks.append(1)
        return len(looks) > 1  # cancelled after the first few thousand nodes

    with pytest.raises(RenderCancelled):
        to_dot(graph, styled=False, cancelled=cancelled)
    assert to_dot(graph, styled=False).count("pos=") == len(graph.nodes)  # not cancelled


def test_a_render_cancelled_while_its_source_is_built_stops_there(monkeypatch):
    graph = opened_graph(32)
    renderer = GraphRenderer()
    programs = []
    monkeypatch.setattr(renderer, "_run", lambda *args: programs.append(args))
    real = renderer_module.to_dot

    def to_dot_while_closing(*args, **kwargs):
        renderer.cancel()  # the window closes while the source is being built
        return real(*args, **kwargs)

    monkeypatch.setattr(renderer_module, "to_dot", to_dot_while_closing)
    with pytest.raises(RenderCancelled):
        renderer.render_graph(graph)
    assert programs == []  # the layout program was not started

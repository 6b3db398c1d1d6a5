"""Short columns (inputs, output, loss) beside tall hidden layers: in the first screenful,
so a wide network does not show two columns of boxes over empty output and loss titles."""

import pytest

from mgdesk.engine import MLP
from mgdesk.viz.network import FIRST_SCREEN, network_groups, trace_network
from mgdesk.viz.trace import trace_sample


def positions(width):
    model = MLP(2, [width, width, 1]).to_dict()
    sample = trace_sample(model, (0.5, -0.2), 1.0, "hinge")
    graph = trace_network(network_groups(sample.root, sample.model))
    return {n.label: y for n, (_, y) in zip(graph.nodes, graph.positions, strict=True)}, graph


def test_at_256_256_the_output_and_loss_are_in_the_first_screenful():
    ys, graph = positions(256)
    bottom = max(y for _, y in graph.positions)
    assert bottom > 5 * FIRST_SCREEN  # a picture that scrolls far
    for label in ("x1", "x2", "L3.N1", "loss"):
        assert ys[label] < FIRST_SCREEN, label


@pytest.mark.parametrize("width", [4, 16])
def test_a_network_that_fits_keeps_its_short_columns_in_the_middle(width):
    ys, graph = positions(width)
    rows = [y for n, (_, y) in zip(graph.nodes, graph.positions, strict=True) if n.kind == "neuron"]
    middle = (min(rows) + max(rows)) / 2
    assert ys["L3.N1"] == pytest.approx(middle, abs=20)

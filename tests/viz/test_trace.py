"""The one traced sample (mgdesk.viz.trace): what every graph of a sample starts from."""

import pytest

from mgdesk.engine import MLP
from mgdesk.viz.graph import ops_node_count
from mgdesk.viz.trace import (
    NODE_BUDGET,
    TraceCache,
    TraceCancelled,
    choose_view,
    trace_sample,
)


@pytest.fixture
def model_dict():
    return MLP(2, [4, 4, 1], activation="tanh", seed=3).to_dict()


def test_trace_sample_is_the_loss_graph_after_backward(model_dict):
    sample = trace_sample(model_dict, (0.5, -1.0), 1.0, "hinge")
    assert sample.root.label == "loss" and sample.root.grad == 1.0
    assert sample.topo == sample.root.topological_order()
    assert sample.topo[-1] is sample.root
    assert [p.label for p in sample.params] == [p.label for p in sample.model.parameters()]
    assert sample.names[sample.root] == "loss"
    unnamed = next(i for i, v in enumerate(sample.topo) if not v.label)
    assert sample.names[sample.topo[unnamed]] == f"n{unnamed}"
    # the parameters are the graph's own leaves, with the gradients of this sample
    weight = sample.params[0]
    assert weight in sample.topo and any(p.grad != 0 for p in sample.params)


def test_without_backward_every_grad_is_zero(model_dict):
    sample = trace_sample(model_dict, (0.5, -1.0), 1.0, "hinge", backward=False)
    assert all(v.grad == 0 for v in sample.topo)


def test_each_trace_has_values_of_its_own(model_dict):
    a = trace_sample(model_dict, (0.5, -1.0), 1.0)
    b = trace_sample(model_dict, (0.5, -1.0), 1.0)
    assert a.root is not b.root and a.root.data == b.root.data


def test_cancelled_trace_raises_before_building(model_dict):
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) >= 2  # stop after the forward pass

    with pytest.raises(TraceCancelled):
        trace_sample(model_dict, (0.5, -1.0), 1.0, cancelled=cancelled)
    assert len(calls) == 2


class _Job:
    def __init__(self, model, x, y=1.0, loss="hinge"):
        self.model, self.x, self.y, self.loss = model, x, y, loss


def test_cache_traces_once_per_sample(model_dict):
    cache = TraceCache()
    first = cache.get(_Job(model_dict, (0.5, -1.0)))
    assert cache.get(_Job(dict(model_dict), (0.5, -1.0))) is first  # same network, same sample
    other = cache.get(_Job(model_dict, (0.1, 0.2)))
    x1 = next(v for v in other.topo if v.label == "x1")
    assert other is not first and x1.data == 0.1


def test_choose_view_is_the_auto_rule():
    assert choose_view("auto", NODE_BUDGET) == ("ops", "")
    view, why = choose_view("auto", NODE_BUDGET + 1)
    assert view == "neurons" and f"{NODE_BUDGET + 1:,}" in why
    assert choose_view("auto", NODE_BUDGET + 1, has_model=False)[0] == "ops"
    assert choose_view("ops", 10**6) == ("ops", "")
    assert choose_view("neurons", 3) == ("neurons", "")


def test_the_budget_splits_two_real_networks():
    small = trace_sample(MLP(2, [4, 4, 1], seed=1), (0.0, 0.0), 1.0).root
    big = trace_sample(MLP(2, [16, 16, 1], seed=1), (0.0, 0.0), 1.0).root
    assert ops_node_count(small) <= NODE_BUDGET < ops_node_count(big)

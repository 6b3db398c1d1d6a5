"""The network view in the window (issue 11): readable at the default size, neurons open in
place on a click, heatmaps, hover, the worst sample, the legend and the stepper."""

import pytest
from gui_helpers import start_stepper, use_network
from PySide6.QtCore import QPointF, Qt

from mgdesk.engine import MLP
from mgdesk.gui.highlight import CURRENT, WAITING
from mgdesk.viz.dot import FONT_SIZE
from mgdesk.viz.network import READABLE_PX
from mgdesk.viz.trace import worst_sample


def centre(view, sid):
    x, y, w, h = view.graph.boxes[sid]
    return view.mapFromScene(QPointF(x + w / 2, y + h / 2))


def sid_where(window, **match):
    nodes = window.graph_view.graph.node_ids
    return next(s for s, n in nodes.items() if all(getattr(n, k) == v for k, v in match.items()))


def wait_opened(qtbot, window, opened):
    qtbot.waitUntil(
        lambda: (
            window.graph_view.graph.network is not None
            and window.graph_view.graph.network.opened == frozenset(opened)
        ),
        timeout=10000,
    )


def click(qtbot, window, sid):
    view = window.graph_view
    view.ensureVisible(*view.graph.boxes[sid], 0, 0)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(view, sid))


@pytest.mark.parametrize("layers", ["4", "8, 8", "16, 16", "32, 32"])
def test_every_record_reads_at_9_px_at_the_default_size(qtbot, window, layers):
    use_network(qtbot, window, layers)
    view = window.graph_view
    assert window.size().width() == 1400 and window.size().height() == 900
    view.fit()
    text_px = FONT_SIZE * view.transform().m11()  # the records' text height on screen
    assert text_px >= READABLE_PX - 1e-6
    if view.scrolls_at_fit():  # wider than the view at that size: it scrolls, and says so
        assert "scroll" in window.graph_panel.note.toolTip()


def test_a_small_network_opens_whole_and_a_bigger_one_shows_its_neurons(qtbot, window):
    use_network(qtbot, window, "2")
    extras = window.graph_view.graph.network
    assert extras.opened == frozenset(extras.openable)  # 2-2-1: every operation
    labels = {n.label for n in window.graph_view.graph.node_ids.values()}
    assert {"L1.N1.w1", "w1·x1", "Σ w·x + b", "L1.N1 = tanh(Σ)"} <= labels
    use_network(qtbot, window, "8, 8")
    graph = window.graph_view.graph
    neurons = [n for n in graph.node_ids.values() if n.kind == "neuron"]
    assert len(neurons) == 17 and graph.network.opened == {"loss"}
    assert window.graph_panel.open_all.text() == "Open all"


def test_clicking_a_neuron_opens_it_in_place_and_again_closes_it(qtbot, window):
    use_network(qtbot, window, "8, 8")
    view = window.graph_view
    before = dict(view.graph.boxes)
    click(qtbot, window, sid_where(window, kind="neuron", label="L2.N3"))
    wait_opened(qtbot, window, {"loss", "L2.N3"})
    after = view.graph.boxes
    assert "L2.N3.w8" in {n.label for n in view.graph.node_ids.values()}
    for label in ("x1", "L1.N1", "L1.N8", "L2.N1"):  # left of it and above it: still
        sid = sid_where(window, label=label)
        assert after[sid] == pytest.approx(before[sid], abs=0.5)
    assert not window.side_splitter.isVisible()  # a click that opens does not inspect
    click(qtbot, window, sid_where(window, label="L2.N3 = tanh(Σ)"))
    wait_opened(qtbot, window, {"loss"})
    click(qtbot, window, sid_where(window, kind="header", group="L1"))
    wait_opened(qtbot, window, {"loss", *(f"L1.N{j}" for j in range(1, 9))})
    qtbot.mouseClick(window.graph_panel.open_all, Qt.MouseButton.LeftButton)
    wait_opened(qtbot, window, window.graph_view.graph.network.openable)
    assert window.graph_panel.open_all.text() == "Close all"
    window.reset()  # a new network opens by its size again
    wait_opened(qtbot, window, {"loss"})


def test_each_neuron_shows_its_output_and_hovering_shows_it_over_the_plane(qtbot, window):
    use_network(qtbot, window, "8, 8")
    view = window.graph_view
    qtbot.waitUntil(lambda: len(view.graph.network.heat) == 17, timeout=10000)
    shown = [item for item in view._heat_items if item.isVisible()]
    assert len(shown) == 17  # one per closed neuron, the output's too
    heat = sid_where(window, kind="heat", group="L1.N4")
    x, y, w, h = view.graph.boxes[heat]
    assert any(item.pos().x() == pytest.approx(x + 1) for item in shown)
    view.ensureVisible(x, y, w, h, 0, 0)
    with qtbot.waitSignal(view.neuron_hovered) as hovered:
        qtbot.mouseMove(view.viewport(), centre(view, heat))
    assert hovered.args == ["L1.N4"]
    assert window.boundary._overlay.isVisible()
    assert "L1.N4" in window.boundary._overlay_title.text()
    view._hover("")  # the pointer leaves
    assert not window.boundary._overlay.isVisible()


def test_the_heatmaps_follow_the_training(qtbot, window):
    use_network(qtbot, window, "4")
    before = dict(window.graph_view.graph.network.outputs)
    assert set(before) == {"L1.N1", "L1.N2", "L1.N3", "L1.N4", "L2.N1"}
    window.panel.steps.setValue(20)
    window.train()
    qtbot.waitUntil(lambda: window.step_count == 20 and not window.run.running, timeout=10000)
    qtbot.waitUntil(lambda: window.graph_view.graph.job.model == window.run.model, timeout=10000)
    after = window.graph_view.graph.network.outputs
    assert any(abs(after[name] - before[name]).max() > 1e-6 for name in before)


def test_the_traced_sample_is_the_worst_until_a_point_is_clicked(qtbot, window):
    run = window.run
    model = MLP.from_dict(run.model)
    worst = worst_sample(model, run.data.x_train, run.data.y_train, run.applied.loss)
    assert run.traced == ("train", worst)
    other = (worst + 1) % len(run.data.x_train)
    pos = window.boundary.point_position("train", other)
    qtbot.mouseClick(window.boundary.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert run.traced == ("train", other)
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    assert run.traced == ("train", other)  # kept while it trains
    window.panel.seed.setValue(window.panel.seed.value() + 1)
    window.reset()
    qtbot.waitUntil(lambda: window.ready and window.step_count == 0, timeout=10000)
    model = MLP.from_dict(run.model)
    worst = worst_sample(model, run.data.x_train, run.data.y_train, run.applied.loss)
    assert run.traced == ("train", worst)  # chosen again for the new network


def test_when_training_stops_the_worst_point_is_traced_again(qtbot, window):
    window.panel.steps.setValue(5)  # the step limit
    window.train()
    qtbot.waitUntil(lambda: window.step_count == 5 and not window.run.running, timeout=10000)
    run = window.run
    model = MLP.from_dict(run.model)
    worst = worst_sample(model, run.data.x_train, run.data.y_train, run.applied.loss)
    qtbot.waitUntil(lambda: run.traced == ("train", worst), timeout=5000)


def test_a_sample_with_zero_loss_says_why_the_graph_is_white(qtbot, window):
    use_network(qtbot, window, "2")
    model = MLP.from_dict(window.run.model)
    for p in model.parameters():
        p.data = 0.0
    model.layers[-1].neurons[0].b.data = 5.0  # score 5 everywhere: +1 points have loss 0
    window.run.model = model.to_dict()
    index = next(i for i, y in enumerate(window.run.data.y_train) if y > 0)
    window.trace_sample("train", index)
    quiet = window.graph_view.quiet
    qtbot.waitUntil(lambda: quiet.isVisible(), timeout=10000)
    assert "hinge loss 0, so every gradient is 0" in quiet.text()


def test_k_shows_and_hides_the_legend(qtbot, window):
    legend = window.graph_view.legend
    assert not legend.isVisible()
    qtbot.keyClick(window.graph_view, Qt.Key.Key_K)
    assert legend.isVisible() and window.legend_action.isChecked()
    text = legend.text.text()
    assert "positive weight" in text and "test point" in text and "heatmap" in text
    qtbot.keyClick(window.graph_view, Qt.Key.Key_K)
    assert not legend.isVisible()


def test_the_stepper_walks_the_network_view_box_by_box(qtbot, window):
    use_network(qtbot, window, "8, 8")
    panel = start_stepper(qtbot, window)
    assert panel.net is not None and panel.list.count() == len(panel.net)
    qtbot.keyClick(window.graph_view, Qt.Key.Key_Right)
    qtbot.keyClick(window.graph_view, Qt.Key.Key_Right)
    assert panel.net.position == 2
    qtbot.waitUntil(
        lambda: CURRENT in (window.graph_view.graph.job.styles or {}).values(), timeout=5000
    )
    styles = window.graph_view.graph.job.styles
    assert styles[panel.net.current] == CURRENT
    assert styles[sid_where(window, kind="neuron", label="L1.N1")] == WAITING
    assert "Step 2 of" in panel.caption.text()
    closed = len(panel.net)
    click(qtbot, window, sid_where(window, kind="neuron", label="L3.N1"))  # open the output
    qtbot.waitUntil(lambda: panel.net is not None and len(panel.net) > closed, timeout=10000)
    assert panel.net.position >= 1  # the progress is kept (whole steps of the new boxes)
    panel.run_to_end()
    engine = panel.stepper
    assert engine.position == len(engine)  # every grad, as backward() gives it

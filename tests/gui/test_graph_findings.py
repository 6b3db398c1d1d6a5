"""The graph, run and stepper findings of the hostile window test: big openings refused
with a reason, a failed layout keeps the picture, a big opened graph follows training."""

import html
from dataclasses import replace

import pytest
from gui_helpers import plain, start_stepper, use_network

from mgdesk.engine import MLP
from mgdesk.gui.graph_legend import legend_html
from mgdesk.gui.graph_worker import GraphJob, GraphWorker
from mgdesk.gui.network_control import OPEN_LIMIT, open_records


def test_open_all_is_refused_where_the_layout_cannot_finish_in_time(qtbot, window):
    use_network(qtbot, window, "256, 256")
    shown = window.graph_view.graph
    model = window.run.model
    assert open_records(model, shown.network.openable) > OPEN_LIMIT
    window.graph_panel.open_all.click()
    message = window.statusBar().currentMessage()
    records = open_records(model, shown.network.openable)
    assert message.startswith(f"Not opened: about {records:,} records, too many")
    assert not window.graph_panel.open_all.isChecked()
    assert window.graph.network.opened is None  # nothing asked for
    assert window.graph_view.graph is shown  # the picture stays


def test_open_all_still_opens_a_network_that_fits(qtbot, window):
    use_network(qtbot, window, "8, 8")
    window.graph_panel.open_all.click()
    extras = window.graph.network
    assert extras.opened == frozenset(window.graph_view.graph.network.openable)
    assert open_records(window.run.model, extras.opened) <= OPEN_LIMIT


def test_a_failed_layout_keeps_the_previous_picture_and_says_why(qtbot, window):
    use_network(qtbot, window, "8, 8")
    shown = window.graph_view.graph
    window.graph_panel.open_all.click()  # asks for a new layout ...
    reason = (
        "the graph layout took longer than 20 s and was stopped; a smaller network draws faster"
    )
    window.graph.graph_worker.cancel()
    window.graph._on_graph_worker_errored(reason)  # ... which fails
    assert window.graph_view.graph is shown
    assert window.graph.network.opened == shown.job.opened  # back to what is shown
    assert not window.graph_panel.open_all.isChecked()
    assert reason in window.statusBar().currentMessage()
    assert "previous one" in window.graph_panel.note.toolTip()
    window.graph.request()  # the next request starts its own busy clock
    assert window.graph._since >= window.graph.asked - 0.01


def test_a_render_finished_while_a_newer_one_of_its_layout_waits_is_still_shown():
    """A big opened graph takes longer to draw than training takes to ask again: each
    finished picture is shown (before, each was dropped for the next, and the graph stayed
    at step 0 while training)."""
    model = MLP(2, [4, 1]).to_dict()
    first = GraphJob(model, (0.5, -0.5), 1.0, "hinge", "ops", "first")
    trained = MLP(2, [4, 1])
    trained.layers[0].neurons[0].b.data = 0.25  # the next step's weights
    newer = replace(first, model=trained.to_dict(), caption="newer")
    worker = GraphWorker()
    worker.render_requested.disconnect()  # no thread here: the test runs each render itself
    shown = []
    worker.returned.connect(lambda image: shown.append(image.job.caption))
    worker.request(first)
    draw = GraphWorker._render

    def render_while_training_asks_again(self, job, view):
        if job is first:
            self.request(newer)  # training asks for the next step's graph meanwhile
        draw(self, job, view)

    worker._render = render_while_training_asks_again.__get__(worker)
    worker._render_pending()
    assert shown == ["first"]
    worker._render_pending()
    assert shown == ["first", "newer"]
    other_point = replace(first, x=(0.1, 0.2), caption="other point")
    first = replace(first, caption="first again")
    newer = other_point  # a click on another point while drawing: the older is dropped
    worker.request(first)
    worker._render_pending()
    assert shown == ["first", "newer"]
    worker._render_pending()
    assert shown == ["first", "newer", "other point"]


def test_a_step_limit_typed_while_training_applies_at_once(qtbot, window):
    window.panel.lr.setValue(0.01)
    window.panel.steps.setValue(100_000)
    window.train()
    qtbot.waitUntil(lambda: window.step_count >= 20, timeout=10000)
    window.panel.steps.setValue(10)  # below the steps done: training stops now
    assert not window.running
    assert "Reached the step limit" in window.banner.text.text()
    qtbot.wait(300)  # the run's last snapshot arrives
    stopped_at = window.step_count
    window.banner.clear()
    window.panel.steps.setValue(100_000)
    window.train()
    qtbot.waitUntil(lambda: window.step_count > stopped_at + 5, timeout=10000)
    limit = window.step_count + 300
    window.panel.steps.setValue(limit)  # above them: training goes on to exactly that
    assert window.running
    qtbot.waitUntil(lambda: not window.running, timeout=20000)
    qtbot.waitUntil(lambda: window.step_count == limit, timeout=5000)
    assert "Reached the step limit" in window.banner.text.text()


@pytest.mark.parametrize("then", ["4", "16, 16"])  # Reset onto the same shape, or another
def test_the_backward_stepper_starts_again_on_reset(qtbot, window, then):
    use_network(qtbot, window, "16, 16")
    panel = start_stepper(qtbot, window)
    for _ in range(12):
        panel.step()
    assert panel.walker.position == 12
    window.panel.layers.setText(then)
    with qtbot.waitSignal(window.runner.reset_shown, timeout=10000):
        window.reset()
    qtbot.waitUntil(
        lambda: (
            window.graph_view.graph.job.graph is not None
            and window.graph_view.graph.job.model == window.run.model
        ),
        timeout=10000,
    )
    assert panel.walker.position == 0
    assert panel.position_label.text().startswith("step 0 of")


def test_the_stepper_names_products_as_the_graph_does(qtbot, window):
    use_network(qtbot, window, "4")
    panel = start_stepper(qtbot, window)
    rows = [panel.list.item(k).text() for k in range(panel.list.count())]
    labels = {n.label for n in window.graph_view.graph.node_ids.values()}
    assert "w1·x1" in labels  # the graph's name of an open neuron's first product
    assert any(row.endswith("L2.N1.w1·x1") for row in rows)
    assert not any("(" in row for row in rows)  # no internal "n24 (*)"
    k = next(k for k, row in enumerate(rows) if row.endswith("L2.N1.w1·x1"))
    panel.jump_to(k + 1)
    assert "L2.N1.w1·x1" in plain(panel.caption.text())


def test_after_the_loss_blows_up_the_boundary_is_the_last_finite_network(qtbot, window):
    use_network(qtbot, window, "16, 16", activation="relu")
    qtbot.waitUntil(lambda: not window.boundary.stale, timeout=10000)
    untrained = window.boundary.image.image.copy()
    window.panel.lr.setValue(1e6)
    window.train()
    qtbot.waitUntil(lambda: window.run.failed, timeout=10000)
    note = window.boundary.note
    qtbot.waitUntil(lambda: "last with finite numbers" in note.text(), timeout=10000)
    assert note.isVisible() and f"step {window.run.step:,}," in note.text()
    assert window.run.step > 0
    assert (window.boundary.image.image != untrained).any()  # not the untrained picture


def test_the_stepper_caption_shows_whole_lines_and_scrolls_to_the_rest(qtbot, window):
    use_network(qtbot, window, "16, 16")
    panel = start_stepper(qtbot, window)
    panel.step()
    panel.step()  # a closed neuron: a line per weight, far more than fit
    area, caption = panel.caption_area, panel.caption
    qtbot.waitUntil(lambda: caption.height() >= caption.heightForWidth(caption.width()))
    assert area.isVisible() and caption.isVisible()
    assert caption.height() > area.viewport().height()  # the rest is reached by scrolling
    assert area.verticalScrollBar().maximum() > 0
    line = caption.fontMetrics().lineSpacing()
    assert area.viewport().height() >= 4 * line  # four whole lines in view


@pytest.mark.parametrize("layers", ["8, 8", "32, 32"])
def test_the_graph_header_hint_is_whole_at_the_default_size(qtbot, window, layers):
    use_network(qtbot, window, layers)
    note = window.graph_panel.note
    assert note.toolTip().startswith("click a neuron to open it · ")
    shown = note.text()  # what to do is read whole (the counts at the end may be cut)
    assert shown.startswith("click a neuron to open it · ")
    if window.graph_view.scrolls_at_fit():
        assert shown.startswith("click a neuron to open it · scroll for more · K: legend")
    else:
        assert shown.startswith("click a neuron to open it · K: legend")


def test_hovering_a_neuron_keeps_the_points_visible_over_its_output(qtbot, window):
    use_network(qtbot, window, "8, 8")
    extras = window.graph_view.graph.network
    name = next(iter(extras.outputs))
    boundary = window.boundary
    boundary.show_overlay(extras.outputs[name], extras.bounds, name)
    overlay = boundary._overlay
    assert overlay.isVisible()
    for points in (boundary.train_points, boundary.test_points, boundary.traced):
        assert points.zValue() > overlay.zValue()  # drawn over the neuron's output
    where = boundary.point_position("train", 0)
    pixel = boundary.grab().toImage().pixelColor(where.x(), where.y())
    colour = boundary.train_points.points()[0].brush().color()
    assert abs(pixel.red() - colour.red()) + abs(pixel.blue() - colour.blue()) < 60


def test_the_legend_tells_the_two_uses_of_blue_apart_and_draws_test_points_as_rings():
    text = html.unescape(plain(legend_html()))
    assert "grad > 0" in text and "grad < 0" in text  # node fills: a gradient's sign
    assert "decision boundary: an output over the plane, orange < 0 < blue" in text
    assert "not a gradient" in text
    assert "white dot" not in text and "ring in its class's colour: a test point" in text


def test_the_window_does_not_shrink_to_where_its_widgets_overlap(qtbot, window):
    window.resize(300, 200)
    qtbot.wait(50)
    assert window.width() >= 960 and window.height() >= 640
    for button in (window.graph_panel.open_all,):
        assert button.width() >= button.sizeHint().width()  # "Open all", not "Op...ll"

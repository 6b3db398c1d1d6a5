"""The views on their own: graph zoom, fit and node clicks; the loss plot; the rate spin box."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from mgdesk.gui.loss_plot import DRAWN_BINS, LossPlot, nice_ceiling
from mgdesk.gui.widgets import ScientificSpinBox
from mgdesk.train import StepStats


def stats(step, loss, test=None):
    return StepStats(step, loss, 0.5, test, None if test is None else 0.5, 1.0, 0.1, 0.0, 1.0)


@pytest.fixture
def small(qtbot, window):
    """The window with a 2-2 network, traced in the ops view (every Value a node)."""
    window.panel.layers.setText("2")
    window.graph_panel.mode.setCurrentText("ops")
    qtbot.waitUntil(
        lambda: (
            window.graph_view.graph.view == "ops"
            and window.graph_view.graph.job.model["nouts"] == [2, 1]
        ),
        timeout=10000,
    )
    return window


def test_zoom_asks_for_a_sharper_picture_and_fit_shows_everything(qtbot, small):
    view = small.graph_view
    fitted = view.zoom_level()
    view.zoom(3.0)
    assert view.zoom_level() == pytest.approx(3 * fitted, rel=1e-6)
    qtbot.waitUntil(lambda: view.graph.scale == pytest.approx(view.zoom_level(), rel=0.01))
    assert view.graph.detail is None  # a small graph is sharp as a whole
    view.fit()
    assert view.zoom_level() == pytest.approx(fitted, rel=1e-6)
    scene = view.mapToScene(view.viewport().rect()).boundingRect()
    assert scene.contains(view.sceneRect().adjusted(1, 1, -1, -1))


def test_clicking_a_node_reports_its_svg_id(qtbot, small):
    view = small.graph_view
    graph = view.graph
    sid = next(s for s, node in graph.node_ids.items() if node.label == "loss")
    x, y, w, h = graph.boxes[sid]
    pos = view.mapFromScene(QPointF(x + w / 2, y + h / 2))
    with qtbot.waitSignal(view.node_clicked) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [sid]
    assert view.element_at(QPointF(pos)) == sid


def test_the_graph_caption_names_the_sample_and_the_view(small):
    assert f"train sample #{small.run.traced[1]}" in small.graph_panel.caption.text()
    assert small.graph_panel.note.toolTip().startswith("ops view")


def test_the_side_area_takes_extra_panels(small):
    from PySide6.QtWidgets import QListWidget

    side = QListWidget()
    small.graph_panel.add_side_widget(side)
    assert small.graph_panel.splitter.widget(1).widget() is side  # (in its scroll area)


def test_the_loss_plot_keeps_the_previous_run_as_a_labelled_ghost(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.append([stats(1, 2.0, 2.5), stats(2, 1.0, 1.5)])
    assert plot.getPlotItem().listDataItems()[0] is plot.train_loss
    assert plot.point_count() == 2
    plot.new_run("16,16 relu · moons · lr 1")
    assert plot.point_count() == 0
    assert list(plot.ghost.getData()[1]) == [2.0, 1.0]
    assert plot.legend.getLabel(plot.ghost).text == "previous: 16,16 relu · moons · lr 1"
    plot.append([stats(1, 0.0)])  # a zero loss on a log scale is drawn, not dropped
    plot.set_log_scale(True)
    assert plot.train_loss.getData()[1][0] == pytest.approx(-12)


def test_nice_ceiling():
    assert [nice_ceiling(x) for x in (0, 7, 20, 21, 250)] == [1.0, 10, 20, 30, 300]
    assert nice_ceiling(0.3) == pytest.approx(0.3)


def test_the_learning_rate_box_spans_decades(qtbot):
    box = ScientificSpinBox(1e-6, 1e6)
    qtbot.addWidget(box)
    box.setValue(1.0)
    box.stepBy(1)
    assert box.value() == 2.0
    box.stepBy(2)
    assert box.value() == 10.0
    box.stepBy(-4)
    assert box.value() == pytest.approx(0.5)
    box.setValue(1e6)
    assert box.text() == "1e+06"
    box.stepBy(1)
    assert box.value() == 1e6
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "3e-3")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == pytest.approx(0.003)


def test_a_ghost_that_blew_up_never_sets_the_loss_axis(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.append([stats(1, 0.9), stats(2, 5e178), stats(3, float("inf"))])
    plot.new_run("16,16 relu · moons · lr 1e+06")
    assert plot.viewRange()[1][1] < 2  # before a step: where the new run will start
    plot.append([stats(k, 0.8 - 0.1 * k) for k in range(1, 6)])
    top = plot.viewRange()[1][1]
    assert top < 2
    drawn = plot.ghost.getData()[1]
    assert np.all(np.isfinite(drawn)) and drawn.max() <= 2 * top  # leaves through the top
    plot.set_log_scale(True)
    low, top = plot.viewRange()[1]
    assert top <= 1.1 and low >= -4  # decades: 1e-3 .. 1, not 1e178
    assert plot.ghost.getData()[1].max() <= top + 1.1


def test_curves_pass_behind_the_legend_text(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 350)
    plot.show()
    zigzag = [abs((k * 0.07) % 2 - 1) for k in range(1, 501)]  # 0..1, up and down, densely
    rows = [StepStats(k, 2 * z, 1 - z, 2 * z, 1 - z, 1, 0.1, 0, 1) for k, z in enumerate(zigzag, 1)]
    plot.append(rows)  # the losses and accuracies run right across the legend
    qtbot.wait(50)
    image = plot.grab().toImage()
    blue = 0
    for _, label in plot.legend.items:
        rect = plot.mapFromScene(label.sceneBoundingRect()).boundingRect()
        for x in range(rect.left(), rect.right()):
            for y in range(rect.top(), rect.bottom()):
                c = image.pixelColor(x, y)
                # the text is grey; a thin blue curve on top shows as blue - red >= 36
                blue += c.blue() - c.red() > 25
    assert blue == 0


def test_a_long_run_is_drawn_decimated_but_kept_whole(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    rng = np.random.default_rng(0)
    losses = rng.random(200_000)
    losses[123_457] = 9.0  # one spike: decimation must keep it
    plot.append([stats(k + 1, float(v)) for k, v in enumerate(losses)])
    assert plot.point_count() == 200_000
    xs, ys = plot.train_loss.getData()
    assert len(xs) <= 2 * DRAWN_BINS
    assert ys.max() == 9.0 and ys.min() == losses.min()
    assert xs[0] == 1 and xs[-1] <= 200_000
    plot.new_run("long")
    assert len(plot.ghost.getData()[0]) <= 2 * DRAWN_BINS


def test_dashed_and_translucent_loss_curves_are_one_pixel_wide(qtbot):
    # Qt strokes a dashed or translucent line wider than 1 px about five times slower: with
    # the test loss and the previous run at 2 px, one paint of the plot held the GUI thread
    # for ~10 ms. Solid opaque curves are drawn as separate segments at any width.
    plot = LossPlot()
    qtbot.addWidget(plot)
    slow = [
        curve.opts["pen"]
        for curve in plot._curves()
        if curve.opts["pen"].style() != Qt.PenStyle.SolidLine
        or curve.opts["pen"].color().alpha() < 255
    ]
    assert len(slow) >= 3  # test loss, previous run, the accuracies
    assert all(pen.widthF() <= 1 for pen in slow)

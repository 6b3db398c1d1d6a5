"""The loss plot's run history (issue 12 item 3) and its two live runs in compare mode."""

import numpy as np
import pytest

from mgdesk.gui.loss_plot import SHOWN_BY_DEFAULT, LossPlot
from mgdesk.train import StepStats, TrainConfig
from mgdesk.train.runs import MAX_RUNS


def stats(k, loss, lr=1.0):
    return StepStats(k, loss, 0.5, None, None, 1.0, lr, 0.0, 1.0)


@pytest.fixture
def plot(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    return plot


def test_the_last_ten_runs_are_kept_labelled_by_what_changed(plot):
    config = TrainConfig()
    for i in range(MAX_RUNS + 2):
        plot.append([stats(1, 1.0 + i), stats(2, 0.5)])
        config = config.replace(lr=0.1 * (i + 1))
        plot.new_run(config=config)
    assert len(plot.history) == MAX_RUNS == len(plot.history_curves)
    assert plot.history[-1].label == "lr=1.2"  # what changed from the run before
    assert plot.history[0].label == "lr=0.3"  # the two oldest were dropped
    shown = [run.visible for run in plot.history]
    assert shown == [False] * (MAX_RUNS - SHOWN_BY_DEFAULT) + [True] * SHOWN_BY_DEFAULT
    assert [c.isVisible() for c in plot.history_curves] == shown
    menu = plot.runs_button.menu()
    runs = [a for a in menu.actions() if a.isCheckable()]
    assert len(runs) == MAX_RUNS and runs[0].text().startswith("lr=1.2 · 2 steps")
    assert plot.runs_button.text() == f"Runs ({MAX_RUNS})"
    runs[-1].setChecked(True)  # the oldest shown again, with its label in the legend
    assert plot.history[0].visible and plot.history_curves[0].isVisible()
    assert plot.legend.getLabel(plot.history_curves[0]).text == "earlier: lr=0.3"
    assert plot.legend.getLabel(plot.ghost).text == "previous: lr=1.2"
    plot.set_run_visible(len(plot.history) - 1, False)
    assert not plot.ghost.isVisible() and plot.legend.getLabel(plot.ghost) is None


def test_the_label_records_the_learning_rate_the_run_ended_with(plot):
    plot.append([stats(1, 1.0)])
    plot.new_run(config=TrainConfig(lr=1.0), lr=0.05)
    plot.append([stats(1, 1.0)])
    plot.new_run(config=TrainConfig(lr=0.05, activation="tanh"))
    assert plot.history[0].config.lr == 0.05 and plot.history[0].label.endswith("lr 0.05")
    assert plot.history[1].label == "activation=tanh"  # the rate did not change


def test_a_diverged_run_is_clipped_and_never_sets_the_axis(plot):
    plot.append([stats(1, 0.4), stats(2, 0.3)])
    plot.new_run(config=TrainConfig())
    plot.append([stats(1, 0.9), stats(2, 5e178), stats(3, float("inf"))])
    plot.new_run(config=TrainConfig(lr=1e6), diverged=True)
    assert plot.viewRange()[1][1] < 1.1  # before a step: the calm run's start, not 1e178
    plot.append([stats(k, 0.8 - 0.1 * k) for k in range(1, 6)])
    top = plot.viewRange()[1][1]
    assert top < 2
    for curve in plot.history_curves:
        drawn = curve.getData()[1]
        assert np.all(np.isfinite(drawn)) and drawn.max() <= 2 * top
    assert plot.legend.getLabel(plot.ghost).text.endswith("(diverged)")
    plot.set_log_scale(True)
    assert plot.viewRange()[1][1] <= 1.1


def test_compare_mode_shows_two_labelled_runs_and_leaves_cleanly(plot):
    plot.append([stats(1, 1.0), stats(2, 0.9)])
    plot.new_run(config=TrainConfig())
    plot.set_runs(["tanh", "relu"])
    plot.append([stats(1, 0.7), stats(2, 0.6)], run=0)
    plot.append([stats(1, 0.7), stats(2, 2.6), stats(3, 2.5)], run=1)
    texts = [label.text for _, label in plot.legend.items]
    assert texts[:4] == ["tanh · train", "tanh · test", "relu · train", "relu · test"]
    assert plot.point_count(1) == 3 and plot.viewRange()[1][1] >= 2.6  # both set the axis
    plot.keep_runs(
        [
            ("activation=tanh", TrainConfig(activation="tanh"), None, False),
            ("activation=relu", TrainConfig(), None, False),
        ]
    )
    plot.set_runs([None])
    assert [r.label for r in plot.history][-2:] == ["activation=tanh", "activation=relu"]
    assert plot.getPlotItem().listDataItems()[0] is plot.train_loss
    assert plot.point_count() == 0 and plot.run_labels == [None]
    texts = [label.text for _, label in plot.legend.items]
    assert texts[:4] == ["train loss", "test loss", "train accuracy", "test accuracy"]
    assert not any("tanh ·" in t for t in texts)


def test_a_new_run_is_not_squeezed_by_a_long_kept_run(plot):
    plot.append([stats(k, 1.0 / k) for k in range(1, 5001)])
    plot.new_run(config=TrainConfig())
    assert plot.viewRange()[0][1] >= 5000  # before a step: the kept run shown sets it
    plot.append([stats(k, 1.0 / k) for k in range(1, 31)])
    assert plot.viewRange()[0][1] <= 60  # the new run fills the plot


def test_the_legend_sits_half_way_up_at_the_right(qtbot, plot):
    plot.resize(600, 300)
    plot.show()
    plot.append([stats(k, 1.0 / k) for k in range(1, 31)])
    qtbot.wait(50)
    box = plot.getPlotItem().getViewBox().sceneBoundingRect()
    legend = plot.legend.sceneBoundingRect()
    assert legend.right() <= box.right() and legend.right() > box.center().x()
    assert legend.top() > box.top() + 20 and abs(legend.center().y() - box.center().y()) < 20

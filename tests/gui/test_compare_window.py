"""Compare mode in the window (issue 12): the dialog, lockstep runs, the views for two,
leaving, sessions with both runs."""

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton

from mgdesk.gui.compare_dialog import CompareDialog, proposed_values
from mgdesk.io import load_comparison
from mgdesk.train import TrainConfig
from mgdesk.train.compare import VARIABLE


def compare_with(qtbot, window, name=None, values=None):
    """Press C, pick `name` (default: what the dialog proposes) and `values`, press
    Compare; wait until both runs are built."""

    def answer():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, CompareDialog)
        if name is not None:
            dialog.choose(name, values)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(100, answer)
    qtbot.keyClick(window.graph_view, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: window.compare.ready, timeout=10000)
    return window.compare


def numbers(stats):
    return (stats.step, stats.train_loss, stats.test_loss, stats.grad_norm, stats.lr)


def train_to(qtbot, window, steps):
    window.panel.steps.setValue(steps)  # (kept while the panel is off in compare mode)
    window.train()
    running = window.compare if window.compare.active else window
    qtbot.waitUntil(lambda: not running.running, timeout=30000)
    qtbot.wait(300)  # the last snapshot and the refresh after it


def test_the_dialog_proposes_tanh_against_relu_first_and_checks_the_values(qtbot):
    dialog = CompareDialog(TrainConfig(activation="relu", lr=0.5))
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.name == "activation" and dialog.values.text() == "relu,tanh"
    assert [v.short_label for v in dialog.variants] == ["relu", "tanh"] and ok.isEnabled()
    assert [dialog.setting.itemData(i) for i in range(dialog.setting.count())] == list(VARIABLE)
    dialog.choose("lr")
    assert dialog.values.text() == "0.5,0.05"
    for bad, said in (
        ("0.5", "one value"),
        ("0.5,x", "not a number"),
        ("0.5,0.1,0.01", "two runs"),
        ("0.5,-1", "learning rate"),
    ):
        dialog.values.setText(bad)
        assert not ok.isEnabled() and dialog.variants is None
        assert said in dialog.error.text(), (bad, dialog.error.text())
    dialog.choose("layers", "16 16,4")
    assert ok.isEnabled() and dialog.variants[1].config.layers == (4,)
    for name in VARIABLE:  # every proposal is a valid pair of runs
        dialog.choose(name)
        assert ok.isEnabled(), (name, dialog.values.text(), dialog.error.text())
    assert proposed_values(TrainConfig(activation="tanh"), "activation") == "tanh,relu"


def test_run_a_is_the_single_run_step_for_step_and_both_go_in_lockstep(qtbot, window):
    train_to(qtbot, window, 40)
    single = list(window.run.history)
    assert len(single) == 40
    compare = compare_with(qtbot, window)  # relu (the run shown) against tanh
    assert compare.short_labels == ["relu", "tanh"]
    assert not window.settings_dock.widget().isEnabled()
    assert not window.boundary.isVisible() and compare.view.isVisible()
    train_to(qtbot, window, 40)
    relu, tanh = compare.histories
    # the same seed, points, weights and batches: the same numbers (not the same timings)
    assert [numbers(s) for s in relu] == [numbers(s) for s in single]
    assert [s.step for s in tanh] == [s.step for s in relu] == list(range(1, 41))
    assert tanh[-1].train_loss != relu[-1].train_loss
    plot = window.loss_plot
    assert plot.point_count(0) == plot.point_count(1) == 40
    texts = [label.text for _, label in plot.legend.items]
    assert "relu · train" in texts and "tanh · train" in texts
    view = compare.view
    qtbot.waitUntil(lambda: view.figure_text(0, "ms/step") != "…", timeout=5000)
    assert view.figure_text(1, "dead ReLUs") == "no ReLU"
    assert view.figure_text(0, "dead ReLUs").endswith("of 32")
    assert all(b.has_heatmap and not b.stale for b in view.boundaries)
    assert "relu" in window.status_labels["loss"].text()
    qtbot.waitUntil(lambda: window.graph_view.graph.job.caption.startswith("Run A"), timeout=5000)
    view.graph_buttons[1].click()  # the switch: the graph of run B
    qtbot.waitUntil(
        lambda: window.graph_view.graph.job.model["activations"][0] == "tanh", timeout=10000
    )
    window.step()  # S: one step of both
    qtbot.waitUntil(lambda: [len(h) for h in compare.histories] == [41, 41], timeout=5000)


def test_leaving_compare_mode_brings_the_single_run_back_as_it_was(qtbot, window):
    train_to(qtbot, window, 20)
    compare = compare_with(qtbot, window, "lr", "1,0.1")
    train_to(qtbot, window, 30)
    window.findChild(QPushButton, "leaveCompareButton").click()
    assert not compare.active and not compare.view.isVisible() and window.boundary.isVisible()
    assert window.settings_dock.widget().isEnabled()
    assert window.top_splitter.count() == 2 and window.top_splitter.widget(1).isVisible()
    plot = window.loss_plot
    assert plot.run_labels == [None] and plot.point_count() == 20
    assert [r.label for r in plot.history][-2:] == ["compare: lr=1", "compare: lr=0.1"]
    assert window.step_count == 20 and window.train_action.isEnabled()
    qtbot.waitUntil(lambda: "Run " not in window.graph_view.graph.job.caption, timeout=10000)
    train_to(qtbot, window, 25)  # Train trains the single run again
    assert window.step_count == 25 and plot.point_count() == 25
    assert "dead ReLUs" in window.status_labels["dead"].text()


def test_a_run_that_diverges_stops_while_the_other_goes_on(qtbot, window):
    compare = compare_with(qtbot, window, "lr", "1,1e6")
    train_to(qtbot, window, 30)
    assert len(compare.histories[0]) == 30 and len(compare.histories[1]) < 30
    assert compare.failures[1] is not None and compare.failures[0] is None
    assert window.banner.isVisible() and "Run B (lr 1e+06) stopped" in window.banner.text.text()
    qtbot.waitUntil(lambda: compare.view.figure_text(1, "train loss") == "diverged", timeout=5000)


def test_save_and_open_keep_both_runs(qtbot, window, tmp_path):
    compare = compare_with(qtbot, window, "activation", "relu,tanh")
    train_to(qtbot, window, 15)
    path = tmp_path / "two.json"
    assert window.files.save_session(str(path))
    saved = load_comparison(path)
    assert saved.short_labels == ("relu", "tanh")
    assert [len(s.history) for s in saved.sessions] == [15, 15]
    assert list(saved.sessions[1].history) == compare.histories[1]
    window.compare.leave()
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: compare.ready and compare.active, timeout=10000)
    assert [len(h) for h in compare.histories] == [15, 15]
    assert window.loss_plot.point_count(1) == 15
    train_to(qtbot, window, 20)  # they go on where they were, together
    assert [len(h) for h in compare.histories] == [20, 20]
    single = tmp_path / "one.json"
    compare.leave()
    assert window.files.save_session(str(single))
    assert window.files.open_session(str(path)) and window.files.open_session(str(single))
    assert not compare.active  # a plain session opens as the single run


@pytest.mark.parametrize("key", ["C"])
def test_the_compare_action_is_in_the_table(window, key):
    assert window.compare_action.shortcut().toString() == key
    assert window.toolbar.widgetForAction(window.compare_action) is not None


def test_the_compared_graph_is_the_network_view_of_the_worst_point(qtbot, window):
    """As in one run: heatmaps in the boxes, and the point with the largest loss traced
    once training stops (a point classified with margin shows only zero gradients)."""
    from mgdesk.engine import MLP
    from mgdesk.viz.trace import worst_sample

    compare = compare_with(qtbot, window)
    train_to(qtbot, window, 60)
    model, data = compare.models[0], compare.data
    worst = worst_sample(MLP.from_dict(model), data.x_train, data.y_train, "hinge")
    assert window.run.traced == ("train", worst)
    qtbot.waitUntil(
        lambda: f"sample #{worst}:" in window.graph_view.graph.job.caption, timeout=10000
    )
    job = window.graph_view.graph.job
    assert job.bounds and job.model == model  # the heatmaps' plane: the boxes get pictures

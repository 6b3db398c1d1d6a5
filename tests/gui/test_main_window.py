"""The window driven through its named widgets, as a user would (offscreen)."""

import time

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLineEdit, QToolButton

from mgdesk.gui import MainWindow
from mgdesk.gui.main_window import open_settings


def widget(window, cls, name):
    found = window.findChild(cls, name)
    assert found is not None, f"no {cls.__name__} named {name}"
    return found


def click(qtbot, window, name):
    qtbot.mouseClick(widget(window, QToolButton, name), Qt.MouseButton.LeftButton)


def train_loss_item(window):
    return window.loss_plot.getPlotItem().listDataItems()[0]


def point_count(item):
    xs, _ = item.getData()
    return 0 if xs is None else len(xs)


def train(qtbot, window, steps):
    """Press Train with a step limit of `steps` and wait until the run ends."""
    window.panel.steps.setValue(steps)
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: not window.running and window.step_count == steps, timeout=15000)


def test_the_named_widgets_exist(window):
    assert widget(window, QLineEdit, "layersEdit").text() == "16, 16"
    combo = widget(window, QComboBox, "activationCombo")
    items = {combo.itemText(i) for i in range(combo.count())}
    assert {"tanh", "relu"} <= items
    widget(window, QComboBox, "datasetCombo")
    widget(window, QDoubleSpinBox, "learningRateSpin")
    for name in ("trainButton", "stepButton", "resetButton"):
        widget(window, QToolButton, name)
    assert window.findChild(type(window.loss_plot), "lossPlot") is window.loss_plot
    assert window.findChild(type(window.boundary), "boundaryPlot") is window.boundary
    assert window.findChild(type(window.graph_view), "graphView") is window.graph_view


def test_training_20_steps_shows_20_loss_points_a_graph_and_a_boundary(qtbot, window):
    train(qtbot, window, 20)
    xs, ys = train_loss_item(window).getData()
    assert list(xs) == list(range(1, 21))
    assert len(ys) == 20 and ys[-1] < ys[0]
    qtbot.waitUntil(lambda: window.boundary.has_heatmap, timeout=10000)  # follows the run
    assert window.boundary.image.image.shape[0] >= 100
    qtbot.waitUntil(lambda: window.graph_view.graph.job.model == window.run.model, timeout=10000)
    graph = window.graph_view.graph
    assert graph.svg.startswith(b"<") and graph.node_count > 0 and not graph.image.isNull()
    assert f"sample #{window.run.traced[1]}" in window.graph_panel.caption.text()
    assert window.status_labels["step"].text() == "step 20"
    assert "loss" in window.status_labels["loss"].text()


def test_pause_step_and_reset(qtbot, window):
    window.panel.lr.setValue(0.01)
    window.panel.steps.setValue(100_000)
    click(qtbot, window, "trainButton")
    assert window.running
    assert widget(window, QToolButton, "trainButton").text() == "Pause"
    qtbot.waitUntil(lambda: window.step_count >= 5, timeout=10000)
    click(qtbot, window, "trainButton")
    assert not window.running
    qtbot.wait(200)  # the run's last snapshot arrives
    paused_at = window.step_count
    qtbot.wait(200)
    assert window.step_count == paused_at  # really paused
    click(qtbot, window, "stepButton")
    qtbot.waitUntil(lambda: window.step_count == paused_at + 1, timeout=5000)
    assert point_count(train_loss_item(window)) == paused_at + 1

    click(qtbot, window, "resetButton")
    qtbot.waitUntil(lambda: window.ready and window.step_count == 0, timeout=5000)
    assert point_count(train_loss_item(window)) == 0
    assert point_count(window.loss_plot.ghost) == paused_at + 1  # the previous run stays as a ghost
    label = window.loss_plot.legend.getLabel(window.loss_plot.ghost).text
    assert label.startswith("previous: relu, 16,16 layers, lr ")  # the first run: its settings


def test_invalid_layers_disable_train_with_the_reason(qtbot, window):
    train_button = widget(window, QToolButton, "trainButton")
    layers = widget(window, QLineEdit, "layersEdit")
    layers.clear()
    qtbot.keyClicks(layers, "16, x")
    assert not train_button.isEnabled()
    assert "'x' is not a whole number" in window.panel.error_text("layers")
    layers.setText("16, 300")
    assert not train_button.isEnabled()
    assert "256" in window.panel.error_text("layers")
    layers.setText("8")
    assert train_button.isEnabled()
    assert window.panel.error_text("layers") == ""


def test_batch_size_above_the_training_set_is_marked(window):
    window.panel.batch_size.setValue(500)  # 100 samples, 80 for training
    assert "at most 80" in window.panel.error_text("batch_size")
    assert not window.train_action.isEnabled()


def test_clicking_a_data_point_traces_it(qtbot, window):
    assert window.traced_sample[0] == "train" and window.traced_sample[1] != 7
    pos = window.boundary.point_position("train", 7)
    qtbot.mouseClick(window.boundary.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert window.traced_sample == ("train", 7)
    qtbot.waitUntil(lambda: "train sample #7" in window.graph_panel.caption.text(), timeout=5000)
    x = window.run.data.x_train[7]
    assert window.graph_view.graph.job.x == tuple(x)
    pos = window.boundary.point_position("test", 2)
    qtbot.mouseClick(window.boundary.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert window.traced_sample == ("test", 2)


def test_100_rapid_train_pause_reset_clicks(qtbot, window):
    window.panel.steps.setValue(100_000)
    names = ("trainButton", "trainButton", "resetButton")
    for i in range(100):
        click(qtbot, window, names[i % 3])
    # 34 Train, 33 Pause, 33 Reset: the last click was Train, so it runs
    assert window.running
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: window.ready, timeout=10000)
    qtbot.wait(300)
    step = window.step_count
    qtbot.wait(200)
    assert not window.running and window.step_count == step
    train(qtbot, window, step + 10)


def test_closing_mid_training_is_quick_and_stops_the_threads(qtbot, make_window):
    window = make_window()
    window.panel.steps.setValue(100_000)
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: window.step_count > 10, timeout=10000)
    start = time.monotonic()
    window.close()
    assert time.monotonic() - start < 1.0
    assert all(thread.isFinished() for thread in window.threads)


def test_a_huge_learning_rate_pauses_with_a_banner_and_reset_recovers(qtbot, window):
    window.panel.lr.setValue(1e6)
    window.panel.steps.setValue(1000)
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
    assert not window.running
    assert window.banner.kind == "error"
    text = window.banner.text.text()
    assert "became" in text and "learning rate is too high" in text
    assert not widget(window, QToolButton, "trainButton").isEnabled()
    window.panel.lr.setValue(0.1)
    click(qtbot, window, "resetButton")
    qtbot.waitUntil(lambda: window.ready and window.train_action.isEnabled(), timeout=5000)
    assert not window.banner.isVisible()
    train(qtbot, window, 5)


def test_a_32_32_network_trains_without_hanging(qtbot, window):
    window.panel.layers.setText("32, 32")
    qtbot.waitUntil(lambda: window.run.applied.layers == (32, 32) and window.ready, timeout=5000)
    train(qtbot, window, 10)
    qtbot.waitUntil(
        lambda: window.graph_view.graph.job.model["nouts"] == [32, 32, 1], timeout=15000
    )
    assert window.graph_view.graph.view == "network"  # one box per neuron


def test_learning_rate_changes_apply_while_training(qtbot, window):
    window.panel.steps.setValue(100_000)
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: window.step_count > 2, timeout=10000)
    window.panel.lr.setValue(0.05)
    assert window.train_worker.trainer.lr == 0.05
    # count from the trainer: snapshots of steps made before the change may still be queued
    before = window.train_worker.trainer.step
    qtbot.waitUntil(lambda: window.step_count > before + 2, timeout=10000)
    assert window.run.history[-1].lr <= 0.05
    click(qtbot, window, "trainButton")


def test_architecture_changes_while_training_apply_on_reset(qtbot, window):
    window.panel.steps.setValue(100_000)
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: window.step_count > 2, timeout=10000)
    window.panel.layers.setText("4")
    window.panel.dataset.setCurrentText("circles")
    assert window.banner.isVisible() and window.banner.kind == "info"
    assert "hidden layers" in window.banner.text.text() and "Reset" in window.banner.text.text()
    assert window.running
    assert window.train_worker.trainer.config.layers == (16, 16)
    click(qtbot, window, "resetButton")
    qtbot.waitUntil(lambda: window.ready and window.run.applied.layers == (4,), timeout=5000)
    assert window.run.data.name == "circles"
    assert not window.banner.isVisible()


def test_settings_before_the_first_step_apply_at_once(qtbot, window):
    window.panel.dataset.setCurrentText("xor")
    qtbot.waitUntil(lambda: window.run.data.name == "xor", timeout=5000)
    assert not window.banner.isVisible()


def test_space_toggles_training_but_types_in_text_fields(qtbot, window):
    window.panel.steps.setValue(100_000)
    layers = widget(window, QLineEdit, "layersEdit")
    layers.setFocus()
    qtbot.keyClick(layers, Qt.Key.Key_End)
    qtbot.keyClick(layers, Qt.Key.Key_Space)
    assert layers.text() == "16, 16 " and not window.running
    qtbot.keyClick(layers, Qt.Key.Key_Escape)  # leaves the field
    assert window.graph_view.hasFocus()
    qtbot.keyClick(window.graph_view, Qt.Key.Key_Space)
    assert window.running
    qtbot.keyClick(window.graph_view, Qt.Key.Key_Space)
    assert not window.running
    qtbot.keyClick(window.graph_view, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.ready and window.step_count == 0, timeout=5000)
    qtbot.keyClick(window.graph_view, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)


def test_layer_buttons_and_per_layer_activation_follow_the_text(qtbot, window):
    panel = window.panel
    qtbot.mouseClick(widget(window, QToolButton, "addLayerButton"), Qt.MouseButton.LeftButton)
    assert panel.layers.text() == "16, 16, 16"
    assert len(panel.layer_rows()) == 3
    qtbot.mouseClick(widget(window, QToolButton, "layer1MoreButton"), Qt.MouseButton.LeftButton)
    assert panel.layers.text() == "17, 16, 16"
    qtbot.mouseClick(widget(window, QToolButton, "removeLayerButton"), Qt.MouseButton.LeftButton)
    assert panel.layers.text() == "17, 16" and len(panel.layer_rows()) == 2
    widget(window, QComboBox, "layer2ActivationCombo").setCurrentText("tanh")
    assert panel.config().activation == ("relu", "tanh")
    panel.layers.setText("3")
    assert panel.layer_rows() == ["Layer 1: 3 neurons"] and panel.config().activation == "relu"
    applied = lambda: window.run.applied  # noqa: E731
    qtbot.waitUntil(lambda: applied().activation == "relu" and applied().layers == (3,))


def test_log_scale_keeps_the_curves(qtbot, window):
    train(qtbot, window, 5)
    window.log_action.setChecked(True)
    xs, ys = train_loss_item(window).getData()
    assert len(xs) == 5
    window.log_action.setChecked(False)


def test_settings_persist_and_a_broken_file_falls_back(qtbot, make_window):
    window = make_window()
    window.panel.lr.setValue(0.03)
    window.panel.layers.setText("8, 4")
    window.close()
    again = make_window()
    assert again.panel.lr.value() == pytest.approx(0.03)
    assert again.panel.layers.text() == "8, 4"
    again.close()
    path = open_settings().fileName()
    with open(path, "wb") as f:
        f.write(b"\x00\xff[General\nconfig={not json\ngeometry=@ByteArray(garbage)\n\xfe")
    third = make_window()
    assert third.panel.layers.text() == "16, 16"
    assert third.train_action.isEnabled()


def test_the_window_constructs_with_no_arguments(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.shutdown()
    assert not any(t.isRunning() for t in window.threads)
    assert isinstance(window.threads[0], QThread)


def test_a_change_made_just_before_train_is_announced(qtbot, window):
    window.panel.steps.setValue(100_000)
    window.panel.layers.setText("4")  # would apply after a short pause...
    click(qtbot, window, "trainButton")  # ...but training starts first
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=3000)
    assert window.banner.kind == "info" and "hidden layers" in window.banner.text.text()
    assert window.run.applied.layers == (16, 16)
    click(qtbot, window, "trainButton")


def test_settings_shown_by_set_config_reach_the_running_trainer(qtbot, window):
    train(qtbot, window, 2)
    window.panel.set_config(window.run.applied.replace(lr=0.25, steps=4))
    assert window.train_worker.trainer.lr == 0.25
    train(qtbot, window, 4)
    assert window.run.history[-1].lr < 0.25

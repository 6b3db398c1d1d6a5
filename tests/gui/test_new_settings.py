"""The panel's controls for issue 13's settings: each reaches the network trained."""

import numpy as np
import pytest

from mgdesk.engine import ACTIVATIONS


def test_every_activation_of_the_table_is_offered_per_layer_too(window):
    panel = window.panel
    offered = [panel.activation.itemText(i) for i in range(panel.activation.count())]
    assert offered == list(ACTIVATIONS)
    assert {"sigmoid", "leaky_relu", "gelu", "sin"} <= set(offered)


def test_adam_is_chosen_in_the_panel_and_trains(qtbot, window):
    panel = window.panel
    panel.optimizer.setCurrentText("adam")
    assert not panel.momentum.isEnabled()
    qtbot.waitUntil(lambda: window.ready and window.run.applied.optimizer == "adam", timeout=5000)
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    assert window.train_worker.trainer.config.optimizer == "adam"
    panel.optimizer.setCurrentText("sgd")
    assert panel.momentum.isEnabled()


def test_a_session_saved_while_training_with_adam_goes_on_with_the_same_numbers(
    qtbot, make_window, tmp_path
):
    window = make_window()
    window.panel.optimizer.setCurrentText("adam")
    window.panel.lr.setValue(0.01)
    qtbot.waitUntil(lambda: window.ready and window.run.applied.optimizer == "adam", timeout=5000)
    for n in (1, 2):
        window.step()
        qtbot.waitUntil(lambda n=n: window.step_count == n, timeout=5000)
    path = tmp_path / "adam.json"
    assert window.files.save_session(str(path))
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 3, timeout=5000)
    other = make_window()
    assert other.files.open_session(str(path))
    qtbot.waitUntil(lambda: other.ready and other.step_count == 2, timeout=5000)
    other.step()
    qtbot.waitUntil(lambda: other.step_count == 3, timeout=5000)
    assert other.run.model == window.run.model  # Adam's moments were saved and read back


def three_class_spiral(qtbot, window):
    panel = window.panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("spiral"))
    panel.loss.setCurrentText("ce")
    panel.classes.setValue(3)
    qtbot.waitUntil(lambda: window.ready and window.run.applied.classes == 3, timeout=5000)


def test_three_classes_show_three_regions_and_three_class_buttons(qtbot, window):
    three_class_spiral(qtbot, window)
    assert window.run.model["nouts"][-1] == 3
    assert "class " in window.run.traced_sample()[2] and "y = " not in window.run.traced_sample()[2]
    qtbot.waitUntil(lambda: window.boundary.regions.isVisible(), timeout=10000)
    assert not window.boundary.image.isVisible()
    image = window.boundary.regions.image
    best = {tuple(p) for p in image.reshape(-1, 3)}
    assert len(best) > 3  # (colours of 3 regions, paler where unsure, and the lines)
    buttons = window.points.tools.findChildren(type(window.points.edit_button))
    shown = [
        b.text()
        for b in buttons
        if b.objectName().startswith("classButton") and b.isVisibleTo(window.points.tools)
    ]
    assert shown == ["0", "1", "2"]


def test_drawing_three_classes_and_a_fourth_key_is_refused(qtbot, window):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from mgdesk.gui.point_editor import plane_position

    three_class_spiral(qtbot, window)
    window.edit_points_action.trigger()
    window.clear_points_action.trigger()
    for key, (x, y) in zip(
        (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3), ((0, 0.5), (0.5, 0), (-0.5, -0.5))
    ):
        qtbot.keyClick(window.graph_view, key)
        QTest.mouseClick(
            window.boundary.viewport(),
            Qt.MouseButton.LeftButton,
            pos=plane_position(window.boundary, x, y),
        )
    assert window.run.data.y_train == (0.0, 1.0, 2.0)
    qtbot.keyClick(window.graph_view, Qt.Key.Key_4)
    assert "3 classes" in window.statusBar().currentMessage()
    window.panel.classes.setValue(2)  # the drawing has 3: said at the field
    assert "the drawn points have 3 classes" in window.panel.error_text(
        "loss"
    ) + window.panel.error_text("classes")
    assert not window.train_action.isEnabled()
    window.panel.classes.setValue(3)
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)


def sine_regression(qtbot, window):
    panel = window.panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("sine"))
    assert panel.task.currentText() == "regression" and panel.loss.currentText() == "mse"
    assert not panel._feature_boxes["x2"].isEnabled()
    assert not panel.classes.isEnabled()
    qtbot.waitUntil(lambda: window.ready and window.run.applied.dataset == "sine", timeout=5000)


def test_regression_draws_the_fitted_curve_over_the_points_and_says_r2(qtbot, window):
    from mgdesk.train.trainer import fitted_curve

    sine_regression(qtbot, window)
    window.panel.activation.setCurrentText("tanh")
    window.panel.lr.setValue(0.05)
    window.panel.optimizer.setCurrentText("adam")
    qtbot.waitUntil(lambda: window.ready and window.run.applied.optimizer == "adam", timeout=5000)
    plot = window.boundary
    data = window.run.data
    # points at (x, y): the label is the height
    assert tuple(plot._points["train"][0]) == (data.x_train[0][0], data.y_train[0])
    assert plot.curve.isVisible() and not plot.image.isVisible()
    for n in range(1, 4):
        window.step()
        qtbot.waitUntil(lambda n=n: window.step_count == n, timeout=5000)
    model = window.run.model

    def drawn_is_the_fit():
        xs, ys = plot.curve.getData()
        if xs is None or len(xs) != plot.grid_size:
            return False
        expected = fitted_curve(model, (xs[0], xs[-1]), len(xs))[1]
        return np.allclose(ys, expected, rtol=1e-9, atol=1e-12)

    qtbot.waitUntil(drawn_is_the_fit, timeout=5000)
    assert plot.curve.getData()[0][0] == pytest.approx(plot.plane[0])
    assert window.status_labels["accuracy"].text().startswith("R² ")


def test_a_regression_dataset_with_classification_is_marked_at_task(qtbot, window):
    panel = window.panel
    sine_regression(qtbot, window)
    panel.task.setCurrentText("classification")
    assert "regression dataset" in panel.error_text("task")
    assert not window.train_action.isEnabled()


def test_features_chosen_in_the_panel_feed_the_network(qtbot, window):
    panel = window.panel
    panel._feature_boxes["x1^2"].setChecked(True)
    panel._feature_boxes["x2^2"].setChecked(True)
    qtbot.waitUntil(
        lambda: window.ready and window.run.applied.features == ("x1", "x2", "x1^2", "x2^2"),
        timeout=5000,
    )
    assert window.run.model["nin"] == 4
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    qtbot.waitUntil(
        lambda: window.boundary.grid_size > 0 and not window.boundary.stale, timeout=5000
    )
    for name in ("x1", "x2"):
        panel._feature_boxes[name].setChecked(False)
    panel._feature_boxes["x1^2"].setChecked(False)
    panel._feature_boxes["x2^2"].setChecked(False)
    assert "at least one input" in panel.error_text("features")
    assert not window.train_action.isEnabled()


def test_a_curve_drawn_by_clicks_trains_as_regression(qtbot, window):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from mgdesk.gui.point_editor import plane_position

    sine_regression(qtbot, window)
    window.edit_points_action.trigger()
    window.clear_points_action.trigger()
    assert window.panel.task.currentText() == "regression"
    for x, y in ((-1.5, 0.5), (-0.5, -0.8), (0.5, 0.8), (1.5, -0.3)):
        QTest.mouseClick(
            window.boundary.viewport(),
            Qt.MouseButton.LeftButton,
            pos=plane_position(window.boundary, x, y),
        )
    data = window.run.data
    assert [p[1] for p in data.x_train] == [0.0] * 4
    assert data.y_train == pytest.approx((0.5, -0.8, 0.8, -0.3), abs=0.05)
    assert window.run.applied.task == "regression" and window.run.applied.dataset == "drawn"
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    window.panel.task.setCurrentText("classification")  # a curve is not classes
    assert "curve" in window.panel.error_text("task")


def test_the_plot_is_titled_by_what_it_shows(qtbot, window):
    from PySide6.QtWidgets import QLabel

    caption = window.findChild(QLabel, "boundaryPanelCaption")
    assert caption.text().startswith("Decision boundary")
    sine_regression(qtbot, window)
    assert caption.text().startswith("Fitted curve")

"""Draw your data: Edit points on the boundary plot, driven by mouse events and keys."""

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from mgdesk.gui.point_editor import PAINT_SPACING_PX, plane_position
from mgdesk.io import load_session
from mgdesk.train import Trainer, load_csv
from mgdesk.train.drawn import DRAWN


def at(window, x, y):
    return plane_position(window.boundary, x, y)


def click(window, x, y, button=Qt.MouseButton.LeftButton):
    QTest.mouseClick(window.boundary.viewport(), button, pos=at(window, x, y))


def key(qtbot, window, k, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.graph_view, k, modifier)


def edit(qtbot, window):
    key(qtbot, window, Qt.Key.Key_E)
    assert window.points.editing and window.edit_points_action.isChecked()


def trainer_has(qtbot, window, data):
    """Wait until the training thread trains on `data`."""
    qtbot.waitUntil(lambda: window.train_worker.trainer.data == data, timeout=5000)


def test_clicks_add_points_of_the_chosen_class_and_a_right_click_removes(qtbot, window):
    edit(qtbot, window)
    before = window.run.data
    key(qtbot, window, Qt.Key.Key_1)  # class -1
    click(window, 2.5, 2.0)
    key(qtbot, window, Qt.Key.Key_2)  # class +1
    click(window, -2.0, -1.5)
    data = window.run.data
    assert data.name == DRAWN and window.run.applied.dataset == DRAWN
    assert data.x_train[: len(before.x_train)] == before.x_train  # generated points stay
    assert data.x_test == before.x_test
    (x1, y1), (x2, y2) = data.x_train[-2:]
    assert (x1, y1) == pytest.approx((2.5, 2.0), abs=0.05)
    assert (x2, y2) == pytest.approx((-2.0, -1.5), abs=0.05)
    assert data.y_train[-2:] == (-1.0, 1.0)
    assert window.panel.dataset.currentData() == DRAWN
    assert not window.banner.isVisible()  # the data apply at once, not on Reset
    click(window, 2.5, 2.0, Qt.MouseButton.RightButton)
    assert window.run.data.x_train == data.x_train[:-2] + data.x_train[-1:]
    trainer_has(qtbot, window, window.run.data)
    assert len(window.boundary.train_points.data) == len(window.run.data.x_train)


def test_test_points_and_the_eraser(qtbot, window):
    edit(qtbot, window)
    key(qtbot, window, Qt.Key.Key_T)
    n_test = len(window.run.data.x_test)
    click(window, 2.2, -2.0)
    assert len(window.run.data.x_test) == n_test + 1
    assert window.run.data.x_test[-1] == pytest.approx((2.2, -2.0), abs=0.05)
    key(qtbot, window, Qt.Key.Key_X)  # the eraser: a left click removes
    click(window, 2.2, -2.0)
    assert len(window.run.data.x_test) == n_test


def test_a_drag_paints_several_points_and_ctrl_z_undoes_the_stroke(qtbot, window):
    edit(qtbot, window)
    viewport = window.boundary.viewport()
    n = len(window.run.data.x_train)
    start = at(window, -2.5, 2.2)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 6):
        QTest.mouseMove(viewport, start + QPoint(PAINT_SPACING_PX * i, 0))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(80, 0))
    assert len(window.run.data.x_train) == n + 6
    painted = window.run.data
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.run.data.x_train) == n  # the whole stroke
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.run.data.x_train == window.points.data.x_train  # the generated points
    key(
        qtbot,
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    key(
        qtbot,
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.run.data == painted
    trainer_has(qtbot, window, painted)


def test_outside_edit_mode_a_click_traces_a_point_and_adds_none(qtbot, window):
    data = window.run.data
    x, y = data.x_train[3]
    click(window, x, y)
    assert window.run.traced == ("train", 3)
    assert window.run.data == data
    edit(qtbot, window)
    click(window, *data.x_train[5])  # editing: a click adds, it does not trace
    assert (
        window.run.traced == ("train", 3) and len(window.run.data.x_train) == len(data.x_train) + 1
    )


def test_points_drawn_while_training_apply_at_the_next_step_with_the_weights_kept(qtbot, window):
    window.panel.steps.setValue(100_000)
    window.panel.lr.setValue(0.01)
    window.train()
    qtbot.waitUntil(lambda: window.step_count > 5, timeout=10000)
    edit(qtbot, window)
    click(window, 2.5, 2.5)
    drawn, step = window.run.data, window.step_count
    trainer_has(qtbot, window, drawn)
    qtbot.waitUntil(lambda: window.step_count > step + 5, timeout=10000)
    assert window.running
    history = window.run.history
    assert [s.step for s in history] == list(range(1, len(history) + 1))  # the same run
    window.pause()
    qtbot.waitUntil(lambda: not window.running, timeout=5000)
    assert window.train_worker.trainer.config.dataset == DRAWN


def test_an_idle_network_keeps_its_weights_when_points_change(qtbot, window):
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    model = window.run.model
    edit(qtbot, window)
    click(window, -2.4, 2.4)
    trainer_has(qtbot, window, window.run.data)
    assert window.train_worker.trainer.model.to_dict() == model
    assert window.step_count == 1
    window.step()  # the next step trains on the new points
    qtbot.waitUntil(lambda: window.step_count == 2, timeout=5000)
    fresh = Trainer(window.run.applied, model=_model(model), data=window.run.data)
    assert window.run.history[-1].train_loss == pytest.approx(
        fresh.evaluate()["train_loss"], rel=1e-12
    )


def test_clear_starts_from_an_empty_plane_and_train_asks_for_points(qtbot, window):
    edit(qtbot, window)
    window.clear_points_action.trigger()
    assert window.run.data.x_train == () and window.run.data.x_test == ()
    assert window.graph_view.graph is None
    window.train()
    assert not window.running and "No training points" in window.banner.text.text()
    click(window, 0.5, 0.5)
    click(window, -0.5, -0.5)
    window.train()
    assert window.running
    qtbot.waitUntil(lambda: window.step_count >= 2, timeout=5000)
    window.pause()
    qtbot.waitUntil(lambda: window.graph_view.graph is not None, timeout=10000)


def test_reset_keeps_the_drawn_points(qtbot, window):
    edit(qtbot, window)
    window.clear_points_action.trigger()
    for x in (-1.0, 0.0, 1.0):
        click(window, x, x)
    drawn = window.run.data
    window.panel.layers.setText("3")
    window.reset()
    qtbot.waitUntil(lambda: window.ready and window.run.applied.layers == (3,), timeout=5000)
    assert window.run.data == drawn


def test_exported_points_import_back_with_the_csv_loader(qtbot, window, tmp_path):
    edit(qtbot, window)
    click(window, 1.25, -0.75)
    data = window.run.data
    path = tmp_path / "mine.csv"
    assert window.points.export_csv(str(path))
    rows = load_csv(path)
    assert [r[:2] for r in rows] == list(data.x_train + data.x_test)
    assert [r[2] for r in rows] == list(data.y_train + data.y_test)


def test_drawn_points_save_and_reopen_with_the_same_numbers(qtbot, make_window, tmp_path):
    window = make_window()
    edit(qtbot, window)
    window.clear_points_action.trigger()
    key(qtbot, window, Qt.Key.Key_2)
    for x, y in ((0.3, 0.2), (-1.1, 0.4), (0.7, -0.9)):
        click(window, x, y)
    key(qtbot, window, Qt.Key.Key_1)
    for x, y in ((1.5, 1.5), (-1.5, -1.2)):
        click(window, x, y)
    key(qtbot, window, Qt.Key.Key_T)
    click(window, 0.0, 1.0)
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    path = tmp_path / "drawn.json"
    assert window.files.save_session(str(path))
    session = load_session(path)
    assert session.config.dataset == DRAWN and session.data == window.run.data
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 2, timeout=5000)
    expected = window.run.history[-1]

    other = make_window()
    assert other.files.open_session(str(path))
    qtbot.waitUntil(lambda: other.ready and other.step_count == 1, timeout=5000)
    assert other.run.data == session.data
    assert other.panel.dataset.currentData() == DRAWN
    other.step()
    qtbot.waitUntil(lambda: other.step_count == 2, timeout=5000)
    got = other.run.history[-1]
    assert (got.train_loss, got.test_loss, got.train_acc) == (
        expected.train_loss,
        expected.test_loss,
        expected.train_acc,
    )
    other.edit_points_action.trigger()  # editing goes on from the session's points
    QTest.mouseClick(
        other.boundary.viewport(),
        Qt.MouseButton.LeftButton,
        pos=plane_position(other.boundary, 1, -1),
    )
    assert other.run.data.x_train[:-1] == session.data.x_train


def _model(model_dict):
    from mgdesk.engine import MLP

    return MLP.from_dict(model_dict)


def test_the_drawing_is_back_at_the_next_launch(qtbot, make_window):
    window = make_window()
    edit(qtbot, window)
    window.clear_points_action.trigger()
    for x, y in ((0.5, 0.5), (-0.5, 0.25), (1.0, -1.0)):
        click(window, x, y)
    drawn = window.run.data
    window.shutdown()
    again = make_window()
    assert again.run.data == drawn and again.panel.dataset.currentData() == DRAWN
    assert again.points.data == drawn and not again.undo_points_action.isEnabled()


def test_a_broken_drawing_in_the_settings_file_is_skipped(qtbot, make_window, settings_dir):
    from mgdesk.gui.file_actions import open_settings

    settings = open_settings()
    settings.setValue("drawnPoints", '{"x_train": [[1, "nan"]], "y_train": [1]}')
    settings.sync()
    window = make_window()
    assert window.points.data.x_train == ()


def test_a_launch_with_an_empty_drawing_says_to_draw(qtbot, settings_dir):
    from mgdesk.gui import MainWindow
    from mgdesk.gui.file_actions import open_settings
    from mgdesk.train import TrainConfig

    settings = open_settings()
    settings.setValue("config", json.dumps(TrainConfig(dataset=DRAWN).to_dict()))
    settings.sync()
    window = MainWindow()
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: window.ready, timeout=10000)
        qtbot.waitUntil(lambda: "draw some" in window.graph_view.placeholder.text(), timeout=5000)
        window.train()
        assert not window.running and "No training points" in window.banner.text.text()
    finally:
        window.shutdown()

"""Compare mode findings (hostile test 2): Step at the runs' step count, R² in the status
bar, banners that outlive their run."""

from test_compare_window import compare_with, train_to


def test_step_goes_on_in_a_comparison_opened_from_a_file(qtbot, window, tmp_path):
    """A comparison opened from a file sits at its saved step count: Step still steps."""
    compare = compare_with(qtbot, window, "activation", "relu,tanh")
    made_with = compare.variants[0].config.steps  # the runs' own step count
    train_to(qtbot, window, made_with)
    path = tmp_path / "two.json"
    assert window.files.save_session(str(path))
    compare.leave()
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: compare.ready and compare.active, timeout=10000)
    assert compare.step == made_with
    window.step()
    qtbot.waitUntil(lambda: compare.step == made_with + 1, timeout=10000)
    done = [made_with + 1] * 2
    qtbot.waitUntil(lambda: [len(h) for h in compare.histories] == done, timeout=10000)


def test_r2_is_written_short_and_never_as_a_percentage(qtbot, window):
    """A diverged curve's R² is a huge negative number: the status bar stays short; in
    compare mode R² is a number like the table's, not a percentage."""
    from mgdesk.gui.compare_view import score_text

    assert score_text(-6.83225551585671e59, regression=True) == "-6.83e+59"
    assert score_text(0.74921, regression=True) == "0.749"
    assert score_text(float("nan"), regression=True) == "–"
    assert score_text(0.8125) == "81%"
    panel = window.panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("sine"))
    qtbot.waitUntil(lambda: window.ready and window.run.applied.dataset == "sine", timeout=5000)
    panel.lr.setValue(1e6)  # diverges within a few steps; the last finite R² is huge
    window.train()
    qtbot.waitUntil(lambda: not window.running, timeout=10000)
    text = window.status_labels["accuracy"].text()
    assert text.startswith("R² ") and len(text) < 60, text
    compare = compare_with(qtbot, window, "lr", "0.05,0.01")
    train_to(qtbot, window, 3)
    text = window.status_labels["accuracy"].text()
    assert "%" not in text and "0." in text, text
    assert compare.variants[0].config.task == "regression"


def test_a_regression_dataset_brings_the_clis_learning_rate_unless_one_was_typed(qtbot, window):
    from mgdesk.train.config import REGRESSION_LR

    panel = window.panel
    assert panel.lr.value() == 1.0
    panel.dataset.setCurrentIndex(panel.dataset.findData("sine"))
    assert panel.task.currentText() == "regression" and panel.lr.value() == REGRESSION_LR
    panel.dataset.setCurrentIndex(panel.dataset.findData("moons"))
    assert panel.task.currentText() == "classification" and panel.lr.value() == 1.0
    panel.lr.setValue(0.3)  # typed: kept
    panel.dataset.setCurrentIndex(panel.dataset.findData("cubic"))
    assert panel.task.currentText() == "regression" and panel.lr.value() == 0.3


def test_compare_banners_go_with_their_runs_and_raise_trains(qtbot, window):
    compare = compare_with(qtbot, window, "activation", "relu,tanh")
    train_to(qtbot, window, 3)
    banner = window.banner
    qtbot.waitUntil(lambda: banner.isVisible() and "step limit" in banner.text.text())
    window._on_banner_action_requested()  # "Raise to 6 and train" trains
    assert window.panel.steps.value() == 6
    qtbot.waitUntil(lambda: compare.step == 6 and not compare.running, timeout=10000)
    qtbot.waitUntil(lambda: banner.isVisible() and "step limit" in banner.text.text())
    compare.reset()  # a restart: the banner was of the runs replaced
    assert not banner.isVisible()
    qtbot.waitUntil(lambda: compare.ready, timeout=10000)
    train_to(qtbot, window, 2)
    qtbot.waitUntil(lambda: banner.isVisible())
    action = window._banner_action
    compare.leave()
    assert not banner.isVisible()
    action()  # a leftover button never takes the window back into compare mode
    qtbot.wait(200)
    assert not compare.active


def test_a_diverged_compared_run_never_sets_the_loss_axis_and_a_restart_sets_x(qtbot, window):
    panel = window.panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("sine"))
    qtbot.waitUntil(lambda: window.ready and window.run.applied.dataset == "sine", timeout=5000)
    compare = compare_with(qtbot, window, "lr", "0.05,1e6")
    train_to(qtbot, window, 150)
    assert compare.failures[1] is not None and compare.step == 150
    qtbot.waitUntil(lambda: window.loss_plot._range is not None)
    x, (_, top) = window.loss_plot._range
    calm = max(s.train_loss for s in compare.histories[0])
    assert top <= 2 * max(calm, 1.0), (top, calm)  # run A's losses set it, not B's last
    assert x == 200
    compare.reset()
    qtbot.waitUntil(lambda: compare.ready, timeout=10000)
    assert window.loss_plot._range[0] == 10  # the live runs set the x axis, from step 0


def test_opening_and_leaving_a_comparison_again_lists_its_runs_once(qtbot, window, tmp_path):
    compare = compare_with(qtbot, window, "activation", "relu,tanh")
    train_to(qtbot, window, 5)
    path = tmp_path / "two.json"
    assert window.files.save_session(str(path))
    compare.leave()
    kept = len(window.loss_plot.history)
    for _ in range(2):
        assert window.files.open_session(str(path))
        qtbot.waitUntil(lambda: compare.ready and compare.active, timeout=10000)
    compare.leave()
    assert len(window.loss_plot.history) == kept
    labels = [r.label for r in window.loss_plot.history.runs]
    assert len(labels) == len(set(labels)), labels


def test_keys_work_at_once_after_the_compare_and_open_dialogs(qtbot, window, tmp_path):
    window.panel.lr.setFocus()  # where the focus may be when C is pressed from the menu
    compare = compare_with(qtbot, window, "activation", "relu,tanh")
    assert window.focusWidget() is window.graph_view  # (the window's, active or not)
    train_to(qtbot, window, 2)
    path = tmp_path / "two.json"
    assert window.files.save_session(str(path))
    window.panel.lr.setFocus()
    window.files.ask_path = lambda *args, **kw: str(path)  # the file dialog's answer
    window.files.open_session()
    qtbot.waitUntil(lambda: compare.ready, timeout=10000)
    assert window.focusWidget() is window.graph_view


def test_ctrl_z_outside_edit_points_says_a_point_edit_was_undone(qtbot, window):
    from PySide6.QtCore import Qt
    from test_point_editor import click, edit, key

    edit(qtbot, window)
    n = len(window.run.data.x_train)
    click(window, -2.5, 2.2)
    assert len(window.run.data.x_train) == n + 1
    key(qtbot, window, Qt.Key.Key_E)  # Edit Points off
    assert not window.points.editing
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.run.data.x_train) == n
    assert "Undid your last point edit" in window.statusBar().currentMessage()

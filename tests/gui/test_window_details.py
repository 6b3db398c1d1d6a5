"""Window details from the spec: layout, menus, status bar, log scale, panning, persistence,
and the workers' throttle and latest-wins rule."""

import json
import math
import os
import re
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


def menu_texts(window, title):
    """{action text without '&': action} of the menu bar's menu `title` (and its submenus)."""
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == title)
    found, menus = {}, [menu]
    while menus:
        for action in menus.pop().actions():
            if action.menu() is not None:
                menus.append(action.menu())
            elif not action.isSeparator():
                found[action.text().replace("&", "")] = action
    return found


def window_rect(window, widget):
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def start_training(qtbot, window):
    """Train without a step limit that could end the run; returns after the first step."""
    window.panel.steps.setValue(1_000_000)
    window.train()
    qtbot.waitUntil(lambda: window.step_count > 0, timeout=10000)


# ---- the three views ----


def test_all_three_views_are_visible_at_once_at_1400_by_900(window):
    assert (window.width(), window.height()) == (1400, 900)
    views = (window.loss_plot, window.boundary, window.graph_view)
    rects = [window_rect(window, view) for view in views]
    for view, rect in zip(views, rects):
        assert view.isVisible(), view.objectName()
        assert rect.width() >= 300 and rect.height() >= 250, (view.objectName(), rect)
        assert window.rect().contains(rect), (view.objectName(), rect)
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not a.intersects(b), (a, b)


# ---- loss plot: accuracy axis and log scale ----


def test_accuracy_has_its_own_linear_right_axis(qtbot, window):
    window.panel.steps.setValue(5)
    window.train()
    qtbot.waitUntil(lambda: not window.running and window.step_count == 5, timeout=10000)
    plot = window.loss_plot
    right = plot.getPlotItem().getAxis("right")
    assert right.isVisible() and "accuracy" in right.labelText
    assert right.linkedView() is plot.accuracy_box
    assert plot.accuracy_box is not plot.getPlotItem().getViewBox()
    assert plot.train_acc in plot.accuracy_box.addedItems
    xs, ys = plot.train_acc.getData()
    assert list(xs) == [1, 2, 3, 4, 5]
    assert list(ys) == pytest.approx([s.train_acc for s in window.run.history])
    assert all(0 <= y <= 1 for y in ys)
    low, high = plot.accuracy_box.viewRange()[1]
    assert low <= 0 and 1 <= high < 1.1  # accuracy 0..1, whatever the loss does


def test_the_log_scale_switches_the_loss_axis_and_back(qtbot, window):
    window.panel.steps.setValue(5)
    window.train()
    qtbot.waitUntil(lambda: not window.running and window.step_count == 5, timeout=10000)
    item = window.loss_plot.getPlotItem()
    losses = [s.train_loss for s in window.run.history]
    accuracy = list(window.loss_plot.train_acc.getData()[1])
    assert not item.ctrl.logYCheck.isChecked()

    window.log_action.trigger()  # View > Log Scale Loss
    assert window.log_box.isChecked()
    assert item.ctrl.logYCheck.isChecked()
    assert item.getViewBox().state["logMode"] == [False, True]
    assert item.getAxis("left").logMode and not item.getAxis("right").logMode
    ys = window.loss_plot.train_loss.getData()[1]
    assert list(ys) == pytest.approx([math.log10(v) for v in losses])
    assert list(window.loss_plot.train_acc.getData()[1]) == pytest.approx(accuracy)
    low, high = item.getViewBox().viewRange()[1]  # whole decades around the losses
    assert low < min(ys) and max(ys) < high <= math.ceil(max(ys)) + 0.2

    qtbot.mouseClick(window.log_box, Qt.MouseButton.LeftButton)  # the plot's own check box
    assert not window.log_action.isChecked()
    assert not item.ctrl.logYCheck.isChecked() and not item.getAxis("left").logMode
    assert list(window.loss_plot.train_loss.getData()[1]) == pytest.approx(losses)


# ---- status bar ----


def test_the_status_bar_shows_step_loss_accuracy_and_rate_while_training(qtbot, window):
    labels = window.status_labels
    start_training(qtbot, window)
    qtbot.waitUntil(lambda: labels["rate"].text().endswith("steps/s"), timeout=10000)
    assert window.running
    for label in labels.values():
        assert label.isVisible()
    assert re.fullmatch(r"step [\d,]+", labels["step"].text())
    assert int(labels["step"].text()[5:].replace(",", "")) >= 1
    assert re.match(r"loss \d", labels["loss"].text())
    assert re.match(r"accuracy \d+%", labels["accuracy"].text())
    assert int(re.match(r"([\d,]+) steps/s", labels["rate"].text())[1].replace(",", "")) > 0
    window.pause()
    qtbot.waitUntil(lambda: labels["rate"].text() == "", timeout=5000)  # no rate when paused


# ---- workers ----


def test_snapshots_are_throttled_and_lose_no_step(qtbot, window):
    window.panel.layers.setText("2")  # a tiny, fast network: hundreds of steps per second
    qtbot.waitUntil(lambda: window.ready and window.run.applied.layers == (2,), timeout=5000)
    received = []  # (time, number of steps) of each snapshot, as the worker sends it
    window.train_worker.yielded.connect(
        lambda s: received.append((time.monotonic(), len(getattr(s, "stats", ()))))
    )
    start_training(qtbot, window)
    qtbot.wait(100)
    start = time.monotonic()
    first_step = window.train_worker.trainer.step
    qtbot.wait(1000)
    in_window = [n for t, n in received if start <= t < start + 1.0]
    steps = window.train_worker.trainer.step - first_step
    window.pause()
    qtbot.waitUntil(lambda: window.step_count == window.train_worker.trainer.step, timeout=5000)
    assert steps > 100, steps  # unthrottled, there would be a snapshot per step
    assert 5 <= len(in_window) <= 33, len(in_window)  # the spec: at most 30 a second
    assert sum(n for _, n in received) == window.step_count == len(window.run.history)
    assert [s.step for s in window.run.history] == list(range(1, window.step_count + 1))


def test_the_newest_graph_request_wins(qtbot, window):
    qtbot.wait(300)  # let the first graph's view updates settle
    shown = []
    window.graph.graph_worker.returned.connect(lambda image: shown.append(image.job.x))
    window.gate.hold()  # the worker waits as if the GUI were painting...
    for index in range(1, 6):  # ...while five samples are asked for, quickly
        window.trace_sample("train", index)
    window.gate.release()
    newest = tuple(window.run.data.x_train[5])
    qtbot.waitUntil(lambda: window.graph_view.graph.job.x == newest, timeout=10000)
    qtbot.wait(300)  # nothing older arrives afterwards
    assert window.graph_view.graph.job.x == newest
    assert "train sample #5" in window.graph_panel.caption.text()
    assert shown and set(shown) == {newest}, shown  # samples 1 to 4 were never drawn


# ---- menus ----


def close_next_dialog(texts):
    """Close the next modal dialog (after it opens), keeping its text."""

    def close():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(10, close)
            return
        texts.append(dialog.text() if isinstance(dialog, QMessageBox) else "")
        dialog.accept()

    QTimer.singleShot(0, close)


def test_the_view_and_help_menus_hold_their_actions(qtbot, window):
    view = menu_texts(window, "View")
    for name in ("Log Scale Loss", "Fit Graph", "Graph: auto", "Graph: ops", "Graph: neurons"):
        assert name in view, sorted(view)
    assert view["Log Scale Loss"] is window.log_action
    help_menu = menu_texts(window, "Help")
    assert {"Keyboard Shortcuts", "About mgdesk"} <= help_menu.keys()

    view["Graph: ops"].trigger()
    assert window.graph_panel.mode.currentText() == "ops"
    view["Graph: neurons"].trigger()
    assert window.graph_panel.mode.currentText() == "neurons"
    qtbot.waitUntil(lambda: window.graph_view.graph.view == "neurons", timeout=10000)

    graph = window.graph_view
    graph.zoom(3.0)
    zoomed = graph.zoom_level()
    view["Fit Graph"].trigger()
    assert graph.zoom_level() < zoomed
    assert (
        graph.mapToScene(graph.viewport().rect())
        .boundingRect()
        .contains(graph.sceneRect().adjusted(1, 1, -1, -1))
    )

    texts = []
    close_next_dialog(texts)
    help_menu["Keyboard Shortcuts"].trigger()
    close_next_dialog(texts)
    help_menu["About mgdesk"].trigger()
    assert len(texts) == 2
    assert "Train / Pause" in texts[0] and "Space" in texts[0]
    assert "mgdesk" in texts[1]


def test_quit_closes_the_window_and_stops_its_threads(qtbot, window):
    start_training(qtbot, window)
    quit_action = next(
        a for a in menu_texts(window, "File").values() if a.text().replace("&", "") == "Quit"
    )
    assert quit_action is window.quit_action
    start = time.monotonic()
    quit_action.trigger()
    assert time.monotonic() - start < 1.0
    assert not window.isVisible()
    assert all(thread.isFinished() for thread in window.threads)


# ---- graph view ----


def test_dragging_pans_the_graph(qtbot, window):
    view = window.graph_view
    view.zoom(4.0)  # room to scroll
    h, v = view.horizontalScrollBar(), view.verticalScrollBar()
    h.setValue(h.maximum() // 2)
    v.setValue(v.maximum() // 2)
    before = (h.value(), v.value())
    centre_before = view.mapToScene(view.viewport().rect().center())
    start = view.viewport().rect().center()
    end = start + QPoint(-120, -80)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), start + QPoint(-60, -40))
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    # dragging left and up moves the picture with the hand: the view scrolls right and down
    assert h.value() == pytest.approx(before[0] + 120, abs=2)
    assert v.value() == pytest.approx(before[1] + 80, abs=2)
    centre_after = view.mapToScene(view.viewport().rect().center())
    assert centre_after.x() > centre_before.x() and centre_after.y() > centre_before.y()


# ---- persistence ----

# restoreGeometry() fits a window into its screen, and the offscreen screen is 800x800,
# narrower than the window can be; so this runs in a Python with a 1920x1200 offscreen screen.
REOPEN = """
import json, sys, time
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

app = QApplication([])
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
from mgdesk.gui import MainWindow


def shown():
    window = MainWindow()
    window.show()
    deadline = time.monotonic() + 10
    while not window.ready and time.monotonic() < deadline:
        app.processEvents()
    app.processEvents()
    return window


def state(window):
    return [window.geometry().getRect(), window.view_splitter.sizes(),
            window.top_splitter.sizes()]


first = shown()
first.setGeometry(*json.loads(sys.argv[2]))
app.processEvents()
top, bottom = first.view_splitter.sizes()
first.view_splitter.setSizes([top + 60, bottom - 60])
left, right = first.top_splitter.sizes()
first.top_splitter.setSizes([left - 80, right + 80])
app.processEvents()
before = state(first)
first.close()
again = shown()
print(json.dumps([before, state(again), [top, bottom, left, right]]))
again.close()
"""


# (0, 0): a window at the top edge, as with no window manager (no frame, no title bar):
# restoreGeometry's "keep the title bar on screen" rule moved it 25 px down each launch.
@pytest.mark.parametrize("rect", [[120, 90, 1300, 850], [0, 0, 1300, 850]])
def test_window_geometry_and_splitters_persist(settings_dir, tmp_path, rect):
    screen = tmp_path / "screen.json"
    screen.write_text('{"screens": [{"name": "big", "width": 1920, "height": 1200}]}')
    env = os.environ | {"QT_QPA_PLATFORM": f"offscreen:configfile={screen}"}
    done = subprocess.run(
        [sys.executable, "-c", REOPEN, str(settings_dir), json.dumps(rect)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    before, after, (top, bottom, left, right) = json.loads(done.stdout.splitlines()[-1])
    assert before[0] == rect
    assert before[1] == [top + 60, bottom - 60] and before[2] == [left - 80, right + 80]
    assert after == before


def test_the_controls_take_every_seed_the_config_takes(window):
    """The seed's range is the config's (MAX_SEED = 2**32 - 1), not a QSpinBox's int32."""
    from mgdesk.train.config import MAX_SEED

    config = window.panel.config().replace(seed=MAX_SEED)
    window.panel.set_config(config)
    assert window.panel.seed.maximum() == MAX_SEED
    assert window.panel.config().seed == MAX_SEED
    assert isinstance(window.panel.config().seed, int)

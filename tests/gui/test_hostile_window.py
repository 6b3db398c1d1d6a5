"""A hostile tester's clicks: a step limit set below the steps done, one step, and a Reset that
cannot build its network."""

from PySide6.QtCore import Qt

from mgdesk.gui.loss_plot import LossPlot


def train(qtbot, window, steps):
    window.panel.steps.setValue(steps)
    window.train()
    qtbot.waitUntil(lambda: not window.running and window.step_count == steps, timeout=15000)


def test_raise_the_step_limit_goes_past_the_steps_done(qtbot, window):
    train(qtbot, window, 40)
    window.panel.steps.setValue(10)  # below the 40 steps done
    window.train()
    assert window.banner.action.text() == "Raise to 80 and train"
    qtbot.mouseClick(window.banner.action, Qt.MouseButton.LeftButton)
    assert window.panel.steps.value() == 80
    qtbot.waitUntil(lambda: not window.running and window.step_count == 80, timeout=15000)


def test_one_step_shows_a_point_on_the_loss_plot(qtbot, window):
    window.step()
    qtbot.waitUntil(lambda: window.loss_plot.point_count() == 1, timeout=10000)
    plot = window.loss_plot
    for curve in (plot.train_loss, plot.test_loss, plot.train_acc, plot.test_acc):
        assert len(curve.getData()[0]) == 1
        assert curve.scatter.isVisible() and len(curve.scatter.data) == 1  # a dot, not nothing
    window.step()
    qtbot.waitUntil(lambda: window.loss_plot.point_count() == 2, timeout=10000)
    assert plot.train_loss.opts["symbol"] is None  # two points: the line shows them


def test_a_ghost_of_one_step_shows_a_point(qtbot):
    class Stats:
        step, train_loss, test_loss, train_acc, test_acc = 1, 0.5, None, 0.5, None

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.append((Stats(),))
    plot.new_run("one step")
    assert len(plot.ghost.getData()[0]) == 1 and plot.ghost.opts["symbol"] is not None


def test_a_refused_reset_keeps_the_run_once_not_as_its_own_ghost(qtbot, window, tmp_path):
    shown = []
    window.files.error = lambda title, message: shown.append(message)
    path = tmp_path / "points.csv"
    path.write_text("".join(f"{i / 10},{(i * 7 % 11) / 10},{i % 2}\n" for i in range(30)))
    assert window.files.import_csv(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied.dataset == "csv", timeout=10000)
    qtbot.wait(500)  # the dataset change has been applied
    train(qtbot, window, 3)
    assert window.files.import_csv(str(path))  # again: the next Reset reads the file
    path.unlink()
    window.reset()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    qtbot.waitUntil(lambda: window.ready, timeout=10000)
    qtbot.wait(200)
    assert "points.csv" in shown[0]
    plot = window.loss_plot
    assert plot.point_count() == 3 and window.step_count == 3
    ghost = plot.ghost.getData()[0]
    assert ghost is None or len(ghost) == 0  # not drawn twice
    assert plot.legend.getLabel(plot.ghost) is None
    train(qtbot, window, 5)  # the run goes on
    assert [s.step for s in window.run.history] == [1, 2, 3, 4, 5]

"""File menu actions: sessions, CSV import and exports; bad files lose nothing."""

import pytest

from mgdesk.gui.main_window import APPLY_DELAY_MS, MainWindow, open_settings
from mgdesk.io import load_session
from mgdesk.train import TrainConfig

APPLY_WAIT_MS = 2 * APPLY_DELAY_MS


@pytest.fixture
def errors(window, monkeypatch):
    """Message boxes the window would show, collected instead of shown."""
    shown = []
    monkeypatch.setattr(window.files, "error", lambda title, message: shown.append(message))
    return shown


def train(qtbot, window, steps):
    window.panel.steps.setValue(steps)
    window.train()
    qtbot.waitUntil(lambda: not window.running and window.step_count == steps, timeout=15000)


def test_a_saved_session_opens_with_its_weights_and_history(qtbot, window, errors, tmp_path):
    window.panel.layers.setText("4, 3")
    qtbot.waitUntil(lambda: window.ready and window.run.applied.layers == (4, 3), timeout=5000)
    train(qtbot, window, 5)
    saved_model = window.run.model
    path = tmp_path / "run.json"
    assert window.files.save_session(str(path))
    assert load_session(path).history[-1].step == 5

    window.panel.layers.setText("8")
    window.reset()
    qtbot.waitUntil(lambda: window.ready and window.run.applied.layers == (8,), timeout=5000)
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.step_count == 5, timeout=5000)
    assert window.run.model == saved_model
    assert window.panel.layers.text() == "4, 3"
    assert window.loss_plot.point_count() == 5
    assert not window.banner.isVisible()  # the controls match the session: nothing pending
    assert errors == []
    train(qtbot, window, 8)  # training goes on from step 5
    assert [s.step for s in window.run.history] == list(range(1, 9))


def test_a_broken_session_file_changes_nothing(qtbot, window, errors, tmp_path):
    train(qtbot, window, 3)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "mgdesk-session", "version": 1, "config": {"lr": "fast"}}')
    assert not window.files.open_session(str(bad))
    assert len(errors) == 1 and "\n" not in errors[0]
    assert not window.files.open_session(str(tmp_path / "missing.json"))
    assert len(errors) == 2
    assert window.step_count == 3 and window.loss_plot.point_count() == 3


def test_exports_write_their_files(qtbot, window, errors, tmp_path):
    train(qtbot, window, 3)
    qtbot.waitUntil(lambda: window.graph_view.graph.job.model == window.run.model, timeout=10000)
    assert window.files.export_graph("svg", str(tmp_path / "g.svg"))
    assert (tmp_path / "g.svg").read_bytes().lstrip().startswith(b"<")
    assert window.files.export_graph("png", str(tmp_path / "g.png"))
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert window.files.export_graph("dot", str(tmp_path / "g.dot"))
    assert "digraph" in (tmp_path / "g.dot").read_text()
    assert window.files.export_history(str(tmp_path / "h.csv"))
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert len(lines) == 4 and "train_loss" in lines[0]
    assert window.files.export_loss_plot(str(tmp_path / "loss.png"))
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert window.files.export_script(str(tmp_path / "run.py"))
    compile((tmp_path / "run.py").read_text(), "run.py", "exec")
    assert errors == []


def test_an_export_to_a_missing_folder_says_why(qtbot, window, errors, tmp_path):
    assert not window.files.export_graph("svg", str(tmp_path / "nope" / "g.svg"))
    assert not window.files.export_history(str(tmp_path / "nope" / "h.csv"))
    assert len(errors) == 2


def test_a_diverged_run_keeps_its_last_finite_weights(qtbot, window, errors, tmp_path):
    window.panel.lr.setValue(1e6)
    window.train()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
    # the failing step is not applied, so what is shown and saved is still finite
    assert window.files.save_session(str(tmp_path / "run.json"))
    assert window.files.open_session(str(tmp_path / "run.json"))
    assert errors == []


def test_importing_a_csv_file_makes_it_the_dataset(qtbot, window, errors, tmp_path):
    path = tmp_path / "points.csv"
    rows = [f"{i / 10},{(i % 7) / 10},{1 if i % 2 else 0}" for i in range(40)]
    path.write_text("x1,x2,label\n" + "\n".join(rows) + "\n")
    assert window.files.import_csv(str(path))
    assert window.panel.dataset.currentText() == "csv: points.csv"
    qtbot.waitUntil(lambda: window.ready and window.run.applied.csv_path == str(path), timeout=5000)
    assert len(window.run.data.x_train) + len(window.run.data.x_test) == 40
    train(qtbot, window, 2)


def test_a_bad_csv_file_is_refused(qtbot, window, errors, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x1,x2,label\n1,2,3\n4,5\n")
    assert not window.files.import_csv(str(path))
    assert "bad.csv" in errors[0]
    assert window.panel.dataset.currentText() == "moons"


def test_choosing_csv_without_a_file_goes_back(qtbot, window, monkeypatch):
    monkeypatch.setattr(window.files, "ask_path", lambda *args: "")  # the user cancels the dialog
    window.panel.dataset.setCurrentIndex(window.panel.dataset.findData("csv"))
    qtbot.waitUntil(lambda: window.panel.dataset.currentText() == "moons", timeout=2000)
    assert window.train_action.isEnabled()


def test_shutdown_saves_the_settings_once_and_they_come_back(qtbot, settings_dir):
    window = MainWindow()
    qtbot.addWidget(window)
    chosen = TrainConfig(
        dataset="circles", noise=0.05, seed=9, layers=(5, 3), activation="tanh", loss="mse",
        lr=0.07, lr_decay="none", momentum=0.5, batch_size=16, l2=0.001, steps=700,
    )  # fmt: skip
    window.panel.set_config(chosen)
    window.log_action.setChecked(True)
    window.graph_panel.mode.setCurrentText("neurons")
    window.shutdown()
    assert list(settings_dir.rglob("*.ini"))
    window.panel.layers.setText("2")  # after the first shutdown: not saved by the second
    window.shutdown()
    again = MainWindow()
    qtbot.addWidget(again)
    try:
        assert again.panel.config() == chosen
        assert again.log_action.isChecked()
        assert again.graph_panel.mode.currentText() == "neurons"
    finally:
        again.shutdown(save=False)


def test_a_csv_file_gone_before_reset_keeps_the_network(qtbot, window, errors, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("\n".join(f"{i},{i % 3},{i % 2}" for i in range(20)) + "\n")
    assert window.files.import_csv(str(path))
    path.unlink()  # before the change is applied
    qtbot.waitUntil(lambda: len(errors) > 0, timeout=5000)
    assert "points.csv" in errors[0]
    qtbot.waitUntil(lambda: window.ready, timeout=5000)
    assert window.run.applied.dataset == "moons" and window.run.data.name == "moons"
    qtbot.wait(APPLY_WAIT_MS)
    assert len(errors) == 1  # not tried again and again
    train(qtbot, window, 3)


def test_the_user_can_pick_the_system_renderer_and_is_told_when_it_is_missing(
    qtbot, make_window, monkeypatch, tmp_path
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no system `dot` anywhere
    window = make_window()
    with qtbot.waitSignal(window.graph.graph_worker.errored, timeout=10000) as failed:
        window.renderer_actions["system"].trigger()
    assert "dot" in failed.args[0] and "graphviz-pure" in failed.args[0]
    qtbot.waitUntil(lambda: window.graph_view.graph is None, timeout=5000)  # queued to the GUI
    assert "graphviz-pure" in window.graph_view.placeholder.text()
    window.renderer_actions["bundled"].trigger()
    qtbot.waitUntil(lambda: window.graph_view.graph is not None, timeout=10000)
    window.shutdown()
    assert open_settings().value("graphRenderer") == "bundled"
    assert make_window().graph_renderer == "bundled"  # remembered across launches

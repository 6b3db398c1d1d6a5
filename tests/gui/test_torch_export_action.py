"""File > Export > PyTorch Script…: export_torch writes the script or says why not."""

import ast

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from mgdesk.gui import torch_export_action
from mgdesk.gui.torch_export_action import export_torch
from mgdesk.io.session import Session
from mgdesk.io.torch_export import export_torch_script
from mgdesk.train import TrainConfig, Trainer


@pytest.fixture
def warnings(monkeypatch):
    shown = []
    monkeypatch.setattr(
        torch_export_action.QMessageBox,
        "warning",
        lambda parent, title, text: shown.append((title, text)) or QMessageBox.StandardButton.Ok,
    )
    return shown


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def session():
    trainer = Trainer(TrainConfig(samples=30, layers=(3,), steps=4))
    for _ in range(2):
        trainer.step_once()
    return Session(trainer.config, trainer.model, trainer.history, trainer.velocity)


def test_the_script_is_written_as_the_command_line_writes_it(tmp_path, parent, warnings):
    run = session()
    assert export_torch(parent, lambda: run, tmp_path / "model") is True  # .py is added
    written = (tmp_path / "model.py").read_text(encoding="utf-8")
    export_torch_script(tmp_path / "cli.py", run)
    expected = (tmp_path / "cli.py").read_text(encoding="utf-8")
    assert written == expected.replace("cli.py", "model.py")
    ast.parse(written)
    assert "torch.nn.Sequential" in written and not warnings


def test_no_network_yet_is_one_line_in_a_message_box(tmp_path, parent, warnings):
    def no_session():
        raise ValueError("there is no network yet")

    assert export_torch(parent, no_session, tmp_path / "model.py") is False
    assert warnings == [("Cannot export the PyTorch script", "there is no network yet")]
    assert not (tmp_path / "model.py").exists()


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path, parent, warnings):
    run = session()
    assert export_torch(parent, lambda: run, tmp_path / "missing" / "model.py") is False
    ((title, text),) = warnings
    assert "\n" not in text and "Traceback" not in text


def test_cancelling_the_file_dialog_writes_nothing(tmp_path, parent, warnings, monkeypatch):
    monkeypatch.setattr(torch_export_action.QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    assert export_torch(parent, session) is False and not warnings


def test_the_windows_current_run_is_exported_from_the_window(tmp_path, make_window, warnings):
    window = make_window()
    assert export_torch(window, path=tmp_path / "model.py") is True
    written = (tmp_path / "model.py").read_text(encoding="utf-8")
    weights = window.files.current_model()[0].parameters()
    assert repr(weights[0].data) in written and not warnings

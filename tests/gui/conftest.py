"""A fresh main window per test, with its settings in a temporary folder."""

import gc

import pytest
from PySide6.QtCore import QSettings

from mgdesk.gui import MainWindow


@pytest.fixture(autouse=True)
def collect_in_the_gui_thread():
    """As the app does (mgdesk.gui.app.GuiThreadCollector): no cyclic collection in a worker
    thread, where destroying a garbage Qt object of an earlier test can deadlock; garbage is
    collected here, in the GUI thread, after each test."""
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture(autouse=True)
def settings_dir(tmp_path):
    """Keep QSettings files of the tests in tmp_path (never the user's)."""
    folder = tmp_path / "settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture
def make_window(qtbot):
    """make_window() -> a shown MainWindow whose first network is built."""
    windows = []

    def make():
        window = MainWindow()
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitUntil(lambda: window.ready and window.graph_view.graph is not None, timeout=10000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()


@pytest.fixture
def window(make_window):
    return make_window()

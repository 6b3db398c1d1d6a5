"""Start the window: `run()` is what `mgdesk` (no sub-command) and `make run` call."""

import gc
import os
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

__all__ = ["run", "tune_for_gui"]


def run(argv=None):
    """Create the application, show the main window and run until it closes.

    `argv`: extra arguments for Qt (e.g. ["-platform", "offscreen"]), without the program
    name. Returns the exit code.
    """
    app = QApplication.instance() or QApplication(["mgdesk", *(argv or [])])
    app.setOrganizationName(os.environ.get("MGDESK_SETTINGS_ORG") or "mgdesk")
    app.setApplicationName("mgdesk")
    app.setStyle("Fusion")

    from mgdesk.gui.main_window import MainWindow  # after QApplication: pyqtgraph wants one
    from mgdesk.gui.workers import leaked_threads

    window = MainWindow()
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    app.processEvents()
    # Ctrl+C in the terminal closes the window properly (threads stopped, settings saved);
    # the timer lets the interpreter run now and then, so it notices the signal.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer(interval=250)
    wake.timeout.connect(lambda: None)
    wake.start()
    tune_for_gui()
    code = app.exec()
    if leaked_threads():
        # A worker is inside one long computation (a step of a huge network) that cannot be
        # interrupted. Settings are saved and nothing else is pending: end the process now
        # instead of letting Qt abort on a running QThread at interpreter exit.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def tune_for_gui():
    """Keep the GUI thread responsive while worker threads compute in Python.

    Everything made during start-up lives for the whole session: `gc.freeze()` moves it out
    of the cyclic collector's sight, so collections (which hold the GIL) stay short. A 1 ms
    switch interval (default 5 ms) bounds how long the GUI thread waits for the GIL each
    time Qt calls back into Python while painting.
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.001)

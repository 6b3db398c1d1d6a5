"""Start the window: `run()` is what `mgdesk` (no sub-command) and `make run` call."""

import gc
import os
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mgdesk.train.blas import one_blas_thread

__all__ = ["GuiThreadCollector", "run", "tune_for_gui"]

COLLECT_MS = 100  # how often the GUI thread looks whether a collection is due


class GuiThreadCollector:
    """Python's cyclic garbage collector, run only in the GUI thread.

    Left to itself, the collector runs in whichever thread allocates when a threshold is
    crossed: often a worker. Garbage Qt objects it finds (a closed dialog's wrappers in a
    reference cycle) are then destroyed in that worker, which Qt forbids, and the
    destructor can wait for a Qt lock that the GUI thread holds while it waits for the GIL:
    a deadlock, seen here. So automatic collection is switched off and a timer in the GUI
    thread collects each generation when its count passes the usual threshold. The engine's
    graphs have no cycles and are freed by reference counting in any thread meanwhile.
    """

    def __init__(self, interval_ms=COLLECT_MS):
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(interval=interval_ms)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start()

    def collect_if_due(self):
        counts = gc.get_count()
        generation = -1
        for g in range(3):  # a collection of generation g also collects the younger ones
            if counts[g] <= self.thresholds[g]:
                break
            generation = g
        if generation >= 0:
            gc.collect(generation)

    def stop(self):
        self.timer.stop()
        gc.enable()


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
    from mgdesk.gui.threads import leaked_threads

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
    collector = GuiThreadCollector()
    code = app.exec()
    collector.stop()
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
    time Qt calls back into Python while painting. NumPy's BLAS computes on one thread
    (see `one_blas_thread`).
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.001)
    one_blas_thread()

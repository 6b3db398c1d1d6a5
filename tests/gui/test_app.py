"""`run()`: the window opens, the runtime is tuned after start-up, closing ends the loop."""

import gc
import signal
import sys

import pytest
from blas_threads import openblas_thread_functions
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mgdesk.gui import MainWindow
from mgdesk.gui import app as app_module


def test_run_shows_the_window_and_returns_when_it_closes(qapp, monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(sys, "setswitchinterval", lambda s: calls.append(("switch", s)))
    monkeypatch.setattr(signal, "signal", lambda sig, handler: calls.append(("signal", sig)))
    seen = []

    def close_it():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        visible = [w for w in windows if w.isVisible()]
        seen.extend(visible)
        if visible and visible[0].ready:  # close from the event loop of run(), once it runs
            QTimer.singleShot(100, visible[0].close)
        else:
            QTimer.singleShot(50, close_it)

    QTimer.singleShot(50, close_it)
    assert app_module.run([]) == 0
    assert seen and not any(t.isRunning() for t in seen[-1].threads)
    assert calls == [("signal", signal.SIGINT), "freeze", ("switch", 0.001)]
    assert QApplication.organizationName() == "mgdesk-tests"


def test_the_cyclic_collector_runs_only_in_the_gui_thread(qtbot):
    import gc
    import threading

    from mgdesk.gui.app import GuiThreadCollector

    class Cycle:
        def __init__(self):
            self.me = self

    seen = []
    gc.callbacks.append(lambda phase, info: seen.append(threading.current_thread().name))
    collector = GuiThreadCollector(interval_ms=10)
    try:
        assert not gc.isenabled()

        def churn():  # a worker making cyclic garbage, far past the gen0 threshold
            for _ in range(20 * collector.thresholds[0]):
                Cycle()

        worker = threading.Thread(target=churn, name="worker")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: bool(seen), timeout=2000)
        assert set(seen) == {threading.main_thread().name}
    finally:
        collector.stop()
        gc.callbacks.pop()
    assert gc.isenabled()


def test_the_window_process_computes_on_one_blas_thread(monkeypatch):
    # OpenBLAS's second thread competes with the GUI thread for a core (and, on a busy
    # machine, made a 64,64 x 1000 step ten times slower); NumPy was imported long before
    # the window opens, so OPENBLAS_NUM_THREADS is too late: tune_for_gui sets it live.
    functions = openblas_thread_functions()
    if functions is None:
        pytest.skip("NumPy here does not use a bundled OpenBLAS")
    get, put = functions
    before = get()
    monkeypatch.setattr(gc, "freeze", lambda: None)
    monkeypatch.setattr(sys, "setswitchinterval", lambda s: None)
    try:
        put(2)
        assert get() == 2
        app_module.tune_for_gui()
        assert get() == 1
    finally:
        put(before)

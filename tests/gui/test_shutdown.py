"""Closing never waits long for a busy worker, and a stuck one is reported, not destroyed."""

import threading
import time

from PySide6.QtCore import QMetaObject, QObject, Qt, Signal, Slot

from mgdesk.gui import threads


class _BusyWorker(QObject):
    started = Signal()

    def __init__(self, release):
        super().__init__()
        self.release = release

    @Slot()
    def work(self):  # one long computation that does not look at any stop flag
        self.started.emit()
        self.release.wait(10)


def test_stop_threads_shares_one_deadline_and_reports_a_stuck_thread(qtbot, monkeypatch):
    monkeypatch.setattr(threads, "_leaked", [])
    release = threading.Event()
    busy = _BusyWorker(release)
    idle = QObject()
    busy_thread = threads.start_thread(busy, "busy")
    idle_thread = threads.start_thread(idle, "idle")
    with qtbot.waitSignal(busy.started, timeout=2000):
        QMetaObject.invokeMethod(busy, "work", Qt.ConnectionType.QueuedConnection)
    start = time.monotonic()
    assert threads.stop_threads([busy_thread, idle_thread], timeout_ms=300) is False
    assert time.monotonic() - start < 0.8
    assert not idle_thread.isRunning()
    assert threads.leaked_threads() == [busy_thread]
    release.set()  # let it finish so no thread outlives the test
    assert busy_thread.wait(2000)
    assert threads.leaked_threads() == []


def test_stop_threads_is_true_when_all_stop(qtbot):
    started = [threads.start_thread(QObject(), f"t{i}") for i in range(3)]
    assert threads.stop_threads(started) is True
    assert not any(t.isRunning() for t in started)

"""The rules every worker thread of the window follows, and the helpers that keep them.

Each worker is a parentless QObject moved onto its own long-lived QThread
(`start_thread`). The GUI thread asks for work through queued signals and hears back
through the worker's signals, named as superqt names them: `yielded` (a piece of news
while working), `returned` (the result of a request), `errored` (a one-line reason) and
`finished` (a request is over). Workers send immutable values only (floats, tuples,
dicts, bytes, frozen dataclasses), never a `Value` or anything they will touch again.

A queued request runs only after the work in progress, so what must act sooner is written
across threads directly, each a single assignment or a threading primitive, and each
documented where it is defined: the stop `threading.Event` of a run, `GuiGate`, and the
workers' `close()`, plus TrainWorker's `latest_generation`, `set_lr`, `set_bounds`,
`set_data` and `request_waiting`, GraphWorker's `request`/`request_view`/`cancel` (under a lock) and
CheckWorker's `wanted`.
"""

import sys
import threading
import time

from PySide6.QtCore import QThread

__all__ = ["GuiGate", "leaked_threads", "one_line", "start_thread", "stop_threads"]

_leaked = []  # threads that would not stop in time: kept alive rather than crash on delete


def start_thread(worker, name):
    """Move `worker` onto a new running QThread called `name` and return the thread."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.start()
    return thread


def stop_threads(threads, timeout_ms=800):
    """Quit every thread, then wait for them all within one shared deadline.

    True when all stopped. A thread still busy (one long step of a huge network) is kept
    in `_leaked`; `leaked_threads()` tells the app to end the process without waiting.
    """
    for thread in threads:
        thread.quit()
    deadline = time.monotonic() + timeout_ms / 1000
    stopped = True
    for thread in threads:
        if not thread.wait(max(0, int((deadline - time.monotonic()) * 1000))):
            print(f"mgdesk: thread {thread.objectName()} did not stop in time", file=sys.stderr)
            _leaked.append(thread)
            stopped = False
    return stopped


def leaked_threads():
    """The threads that were still running when they should have stopped."""
    return [thread for thread in _leaked if thread.isRunning()]


class GuiGate:
    """Lets the GUI thread draw without fighting the workers for the GIL.

    Qt calls into Python many times while it paints pyqtgraph items, and every time it
    needs the GIL back; with a worker computing, each of those waits up to the switch
    interval (5 ms), so one paint could take 100s of ms. The window `hold()`s the gate
    for a few ms after each redraw, and the workers `wait()` at it between pieces
    of work (a step, a band of grid rows, a render), so the paint runs uncontended.
    """

    def __init__(self):
        self._open = threading.Event()
        self._open.set()

    def hold(self):
        self._open.clear()

    def release(self):
        self._open.set()

    def wait(self, timeout=0.1):
        """Block while the GUI draws (never longer than `timeout`)."""
        self._open.wait(timeout)


def one_line(exc):
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

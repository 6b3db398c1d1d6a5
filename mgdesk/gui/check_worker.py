"""The gradient check's worker: checks a traced sample's gradients off the GUI thread.

News: `yielded` (progress), `returned` (the SampleGradCheck) and `errored` (a one-line
reason), each with the request's id. The one direct cross-thread write is `wanted` (see
the class).
"""

import threading
import time

from PySide6.QtCore import QObject, Signal, Slot

from mgdesk.gui.threads import one_line
from mgdesk.viz.gradcheck import check_sample_gradients, nudge_choice
from mgdesk.viz.trace import TraceCancelled, trace_job

__all__ = ["CheckWorker"]


class _CheckStopped(Exception):
    """A newer check was asked for, this one was cancelled, or the window is closing."""


class CheckWorker(QObject):
    """Checks a traced sample's gradients (finite differences, PyTorch) off the GUI thread.

    It builds its own copy of the network from the job's model dict, so nothing it touches
    is shared. Its cost is bounded: above 16,16 the finite differences nudge a seeded
    choice of parameters (viz.gradcheck.nudge_choice), ~2 s in all (256,256: ~10 s, most
    of it tracing and replaying its 200k values). The latest request wins: the GUI thread
    writes `wanted` (an int, written whole) before queuing a request, and a check whose id
    is no longer wanted stops at its next progress point (every few ms), as on `close()`.
    """

    yielded = Signal(int, int, int, int)  # request id, replays done, of, nudged
    returned = Signal(int, object)  # request id, SampleGradCheck
    errored = Signal(int, str)  # request id, one-line reason

    def __init__(self):
        super().__init__()
        self.wanted = 0  # written by the GUI thread: the one request id worth finishing
        self._closing = threading.Event()
        self._shown = 0.0  # time.monotonic() of the last progress sent

    def close(self):
        """Called from the GUI thread on shutdown: stop within a few ms, send nothing."""
        self._closing.set()

    def _stopped(self, request_id):
        return self._closing.is_set() or self.wanted != request_id

    @Slot(int, object, bool)
    def check(self, request_id, job, use_torch):
        if self._stopped(request_id):
            return  # a newer request is queued behind this one (or it was cancelled)
        try:
            sample = trace_job(job, backward=False, cancelled=lambda: self._stopped(request_id))
            params = sample.params
            nudged = nudge_choice(len(params), len(sample.topo))

            def progress(done, total):
                if self._stopped(request_id):
                    raise _CheckStopped
                now = time.monotonic()
                if now - self._shown >= 0.1:
                    self._shown = now
                    self.yielded.emit(request_id, done, total, len(nudged))

            progress(0, 1)
            result = check_sample_gradients(
                sample.root, params, use_torch=use_torch, checked=nudged, progress=progress
            )
        except (_CheckStopped, TraceCancelled):
            return
        except Exception as exc:  # report it; never kill the thread
            self.errored.emit(request_id, one_line(exc))
            return
        if not self._stopped(request_id):
            self.returned.emit(request_id, result)

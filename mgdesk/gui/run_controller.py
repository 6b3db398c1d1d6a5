"""One run on screen: a RunModel and the TrainWorker thread that trains it.

The window (or, in compare mode, each side of it) owns a RunController per run. A click
becomes a call here (`train`, `pause`, `step`, `reset`, `set_lr`, `set_plane`); the
RunModel says whether it does anything and what to send, and the request is queued into
the controller's own training thread. News from that thread is checked against the
RunModel (older generations are dropped), collected, and handed on at most every
REFRESH_MS as plain signals the window connects to its views: `reset_shown`,
`grid_shown`, `steps_shown`, `failed`, `refused`, `finished`. Nothing here draws.
"""

import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from mgdesk.gui.threads import GuiGate, start_thread
from mgdesk.gui.train_worker import ResetSnapshot, TrainWorker
from mgdesk.train.run_model import RunModel

__all__ = ["GATE_MS", "REFRESH_MS", "RunController"]

# Measured on 2 cores, training 16,16 on moons with every view live (see threads.GuiGate):
# a 10 ms GUI timer's longest gap is ~20 ms with these, and the workers lose ~0% throughput.
REFRESH_MS = 100  # the views redraw at most 10 times a second while training
GATE_MS = 10  # after a redraw, the workers pause this long so the repaint runs uncontended


class RunController(QObject):
    """One RunModel (`run`) and one TrainWorker (`worker`) in its own thread (`thread`)."""

    reset_shown = Signal(object)  # ResetSnapshot: a new network is there (`run` has it)
    grid_shown = Signal(object, int, object)  # boundary scores (bytes), cells per side, bounds
    steps_shown = Signal(tuple)  # the StepStats since the last refresh (maybe none): redraw
    failed = Signal(str, str)  # reason, hint: the loss stopped being a finite number
    refused = Signal(str, str)  # field, message: a Reset could not build its network
    finished = Signal(str)  # a run ended: "paused", "done" (step limit) or "failed"

    # queued into the training thread
    _reset_requested = Signal(int, object, object, object, object, object)
    _run_requested = Signal(int, object, int)  # run id, stop event, step limit
    _step_requested = Signal(int)  # generation
    _grid_requested = Signal(int)  # generation

    def __init__(self, gate=None, name="mgdesk-train", parent=None):
        super().__init__(parent)
        self.run = RunModel()
        self.gate = gate or GuiGate()
        self._pending_stats = []  # StepStats not shown yet
        self._pending_grid = None  # the newest snapshot with a boundary grid, not shown yet
        self._refreshed = 0.0  # time.monotonic() of the last refresh
        self._refresh_timer = QTimer(self, singleShot=True)
        self._refresh_timer.timeout.connect(self.refresh)
        self._gate_timer = QTimer(self, singleShot=True, interval=GATE_MS)
        self._gate_timer.timeout.connect(self.gate.release)
        self.worker = TrainWorker(self.gate)
        self.worker.yielded.connect(self._on_worker_yielded)
        self.worker.errored.connect(self._on_worker_errored)
        self.worker.finished.connect(self._on_worker_finished)
        self._reset_requested.connect(self.worker.reset)
        self._run_requested.connect(self.worker.run)
        self._step_requested.connect(self.worker.step)
        self._grid_requested.connect(self.worker.refresh_grid)
        self.thread = start_thread(self.worker, name)
        self.limit = 0  # the step limit of the latest run started

    # ---- requests ----

    def train(self, lr):
        """Train on with learning rate `lr`; False when the run cannot train now."""
        request = self.run.start(lr)
        if request is None:
            return False
        self.limit = request.steps
        self.worker.request_waiting()
        self._run_requested.emit(request.run_id, request.stop, request.steps)
        return True

    def pause(self):
        """Stop training (the stop event is set directly: checked before every step);
        True if it was running."""
        return self.run.pause()

    def step(self, lr):
        """One update with learning rate `lr` (pauses first)."""
        generation = self.run.begin_step(lr)
        if generation is not None:
            self.worker.request_waiting()
            self._step_requested.emit(generation)

    def reset(self, config, model=None, history=(), data=None, velocity=()):
        """A new network with `config`, or a saved run: its model, history, points, momentum."""
        model_dict = model.to_dict() if model is not None else None
        request = self.run.begin_reset(config, model_dict, history, data, velocity)
        self._pending_grid = None  # a grid of the old network is not to be shown
        self.worker.latest_generation = request.generation
        self.worker.request_waiting()
        self._reset_requested.emit(
            request.generation, config, model_dict, request.history, data, request.velocity
        )

    def set_lr(self, lr):
        """The learning rate, live: the trainer reads it before its next step."""
        self.worker.set_lr(lr)
        if self.run.running:
            self.run.note_lr(lr)

    def set_data(self, data, config):
        """Points drawn or erased: the network shown trains on them from its next step,
        keeping its weights; `config` is its settings naming the data's source."""
        run = self.run
        run.applied, run.data = config, data
        self.worker.set_data(run.generation, data, config)

    def set_plane(self, bounds):
        """The boundary view now shows `bounds`: grids cover that (a new one at once
        when not training)."""
        self.worker.set_bounds(bounds)
        if not self.run.running:
            self.worker.request_waiting()  # a grid of the old plane is of no use
            self._grid_requested.emit(self.run.generation)

    def close(self):
        """Stop training and the timers; the caller then stops `thread` (with the others,
        within one deadline: threads.stop_threads)."""
        self.run.stop.set()
        self._refresh_timer.stop()
        self._gate_timer.stop()
        self.gate.release()
        self.worker.close()

    # ---- news from the training thread ----

    @Slot(object)
    def _on_worker_yielded(self, snapshot):
        if isinstance(snapshot, ResetSnapshot):
            if self.run.reset_done(snapshot):  # (else a newer reset is on its way)
                self._pending_stats.clear()
                self.reset_shown.emit(snapshot)
            return
        if not self.run.steps_done(snapshot, time.monotonic()):
            return
        self._pending_stats.extend(snapshot.stats)
        if snapshot.grid is not None:
            self._pending_grid = snapshot
        if not self._refresh_timer.isActive():  # redraw at most every REFRESH_MS
            wait = REFRESH_MS - 1000 * (time.monotonic() - self._refreshed)
            self._refresh_timer.start(max(0, int(wait)))
        if snapshot.failure is not None and not self.run.failed:
            self.run.diverged()
            self.failed.emit(snapshot.failure.reason, snapshot.failure.hint)

    @Slot(str, str)
    def _on_worker_errored(self, field, message):
        """A Reset that could not build its network (e.g. the CSV file went away); the
        worker keeps the previous one, and these settings are not applied by themselves."""
        self.run.reset_refused()
        self.refused.emit(field, message)

    @Slot(int, str)
    def _on_worker_finished(self, run_id, why):
        if not self.run.run_finished(run_id):
            return
        self._refresh_timer.stop()
        self.refresh()
        self.finished.emit(why)

    @Slot()
    def refresh(self):
        """Hand on what the snapshots since the last refresh brought, in one go."""
        self.gate.hold()  # the repaints this causes run without GIL contention
        self._gate_timer.start()
        self._refreshed = time.monotonic()
        stats = tuple(self._pending_stats)
        self._pending_stats.clear()
        grid, self._pending_grid = self._pending_grid, None
        if grid is not None:
            self.grid_shown.emit(grid.grid, grid.grid_size, grid.bounds)
        self.steps_shown.emit(stats)

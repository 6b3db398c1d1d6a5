"""The training thread of compare mode: the runs of a comparison, stepped in lockstep.

One `CompareWorker` owns a `train.compare.Comparison` (one Trainer per run, one Dataset, the
same seed, initial weights and minibatch order) and iterates `compare()`: step k of every
run, then step k + 1, so the window always shows the runs at the same step. It reports
through `CompareSnapshot`s (plain numbers, tuples, model dicts, grid bytes), about 30 a
second, with the runs' boundary grids and table figures now and then. The threading rules
are the TrainWorker's (train_worker.py, threads.py): a parentless QObject on its own QThread, queued
requests, a `threading.Event` to stop, the GuiGate between steps.
"""

import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from mgdesk.gui.threads import GuiGate
from mgdesk.gui.train_worker import (
    GridInterrupted,
    band_pause,
    grid_resolution,
    network_grid,
    plane_bounds,
)
from mgdesk.train.compare import Comparison, compare
from mgdesk.train.runs import TARGET_ACCURACY, RunFigures, dead_relus

__all__ = ["CompareRequest", "CompareSnapshot", "CompareWorker"]

SNAPSHOTS_PER_SECOND = 30
FIGURES_SECONDS = 0.3  # the table's figures (full-set loss, dead ReLUs) at most this often
BAND_SECONDS = 0.02  # a grid is made a band of rows at a time (see train_worker.BAND_SECONDS)


@dataclass(frozen=True)
class CompareRequest:
    """A new comparison: `variants` (train.compare.Variant) on `data` (None: made from the
    first variant's settings); or saved runs to go on with: `sessions` (io.Session, one
    Dataset) with their labels."""

    generation: int
    variants: tuple = ()
    data: object = None
    sessions: tuple = ()
    labels: tuple = ()
    short_labels: tuple = ()


@dataclass(frozen=True)
class CompareSnapshot:
    """What the window learns after a start or some lockstep steps. Every tuple has one
    entry per run, in the comparison's order."""

    generation: int
    step: int  # steps done by the runs still going (the furthest run)
    stats: tuple = ()  # per run: the StepStats since the previous snapshot
    models: tuple = ()  # per run: model.to_dict()
    grids: tuple = ()  # per run: scores as float64 bytes (grid_size rows from ymin), or ()
    grid_size: int = 0
    bounds: tuple = (-1.0, 1.0, -1.0, 1.0)
    figures: tuple = ()  # per run: RunFigures, or () when not measured this time
    failures: tuple = ()  # per run: TrainingFailure or None
    velocities: tuple = ()  # per run: the optimizer's momentum (() without momentum)
    # on start only
    data: object = None
    box: tuple = ()
    configs: tuple = ()
    labels: tuple = ()
    short_labels: tuple = ()
    histories: tuple = ()  # the saved runs' StepStats


class CompareWorker(QObject):
    """Owns the Comparison and runs it in its thread."""

    # superqt's vocabulary, as the other workers (threads.py)
    yielded = Signal(object)  # CompareSnapshot: with data, configs and labels on a start
    finished = Signal(int, str)  # run id, why: "paused", "done" or "failed"
    errored = Signal(str)  # one line: the comparison could not start

    def __init__(self, gate=None):
        super().__init__()
        self.gate = gate or GuiGate()
        self.comparison = None
        self.latest_generation = 0  # written by the GUI thread: skip stale starts
        self._generation = 0
        self._box = ()
        self._bounds = (-1.0, 1.0, -1.0, 1.0)
        self._closing = threading.Event()
        self._waiting = threading.Event()
        self._next_grid = 0.0
        self._next_figures = 0.0
        self._cell_cost = 1e-6  # seconds per grid cell and run: a guess, then measured
        self._reached = []  # per run: the step it first reached 95% train accuracy
        self._scanned = []  # per run: history rows already looked at for that
        self._first_step = []  # per run: the step this session began at (ms per step)

    # ---- called from the GUI thread ----

    def close(self):
        self._closing.set()

    def request_waiting(self):
        """A request is queued: a grid being made is dropped so it starts at once."""
        self._waiting.set()

    def set_lr(self, lr, run=None):
        """Live base learning rate of run `run` (every run when None), read between steps."""
        comparison = self.comparison
        if comparison is not None:
            for i, trainer in enumerate(comparison.trainers):
                if run is None or run == i:
                    trainer.lr = lr

    def set_bounds(self, bounds):
        self._bounds = tuple(bounds)

    # ---- slots ----

    @Slot(object)
    def start(self, request):
        """Build the comparison's Trainers (new runs, or saved ones going on)."""
        if request.generation != self.latest_generation or self._closing.is_set():
            return
        self._waiting.clear()
        try:
            if request.sessions:
                comparison = Comparison.resume(
                    request.sessions, request.labels, request.short_labels
                )
            else:
                comparison = Comparison.start(request.variants, data=request.data)
        except (ValueError, OSError) as exc:  # ConfigError is a ValueError
            message = getattr(exc, "message", None) or str(exc)
            self.errored.emit(message.strip().splitlines()[0])
            return
        self.comparison, self._generation = comparison, request.generation
        count = len(comparison.trainers)
        self._reached, self._scanned = [None] * count, [0] * count
        self._first_step = [t.step for t in comparison.trainers]
        data = comparison.trainers[0].data
        box = plane_bounds(data)
        if box != self._box:
            self._box = self._bounds = box
        variants = comparison.variants
        self.yielded.emit(
            self._snapshot(
                [()] * count,
                grid=False,
                figures=True,
                data=data,
                box=self._box,
                configs=tuple(t.config for t in comparison.trainers),
                labels=tuple(v.label for v in variants),
                short_labels=tuple(v.short_label or v.label for v in variants),
                histories=tuple(tuple(t.history) for t in comparison.trainers),
            )
        )
        self._emit([()] * count, grid=True)

    @Slot(int, object, int)
    def run(self, run_id, stop, steps):
        """Step every run together until `stop`, `steps` in total, or all have failed."""
        comparison = self.comparison
        self._waiting.clear()
        if comparison is None or stop.is_set() or comparison.is_done(steps):
            self.finished.emit(run_id, "paused")
            return
        count = len(comparison.trainers)
        pending, last = [[] for _ in range(count)], time.monotonic()
        for ticks in compare(comparison, stop, steps):
            self.gate.wait()
            for i, stats in enumerate(ticks):
                if stats is not None:
                    pending[i].append(stats)
            now = time.monotonic()
            if now - last >= 1 / SNAPSHOTS_PER_SECOND:
                self._emit(pending, grid=now >= self._next_grid, live=True, stop=stop)
                pending, last = [[] for _ in range(count)], time.monotonic()
        if self._closing.is_set():
            return
        self._emit(pending, grid=False, figures=True)
        if all(t.failure is not None for t in comparison.trainers):
            self.finished.emit(run_id, "failed")
            return
        self.finished.emit(run_id, "paused" if stop.is_set() else "done")
        if self.latest_generation == self._generation:
            self._emit([()] * count, grid=True, figures=True)

    @Slot(int)
    def step(self, generation):
        """One lockstep step, then a full snapshot."""
        comparison = self.comparison
        self._waiting.clear()
        if comparison is None or generation != self._generation:
            return
        # one update, past the runs' own step count too (as a single run's Step): a
        # comparison opened from a file sits at the step count it was saved with
        ticks = comparison.step_once(self._step() + 1)
        self._emit([() if s is None else (s,) for s in ticks], grid=True, figures=True)

    @Slot(int)
    def refresh_grid(self, generation):
        self._waiting.clear()
        if self.comparison is not None and generation == self._generation:
            self._emit([()] * len(self.comparison.trainers), grid=True)

    # ---- snapshots ----

    def _step(self):
        return max(t.step for t in self.comparison.trainers)

    def _emit(self, stats, grid, live=False, stop=None, figures=None):
        now = time.monotonic()
        if figures is None:
            figures = now >= self._next_figures
        snapshot = self._snapshot(stats, grid, live, stop, figures)
        self.yielded.emit(snapshot)

    def _snapshot(self, stats, grid, live=False, stop=None, figures=False, **start):
        comparison = self.comparison
        trainers = comparison.trainers
        models = tuple(t.model.to_dict() for t in trainers)
        grids, size, bounds = (), 0, self._bounds
        if grid and not self._closing.is_set():
            began = time.monotonic()
            size = grid_resolution(self._cell_cost, live)
            grids = self._grids(trainers, size, bounds, stop)
            cost = time.monotonic() - began
            if grids:
                self._cell_cost = cost / (size * size * len(models))
            else:
                size = 0
            # two grids each time: at most ~1/6 of the time, so the runs keep their pace
            self._next_grid = time.monotonic() + max(0.2, 5 * cost)
        shown = ()
        if figures:
            shown = tuple(self._figures(i, t, models[i]) for i, t in enumerate(trainers))
            self._next_figures = time.monotonic() + FIGURES_SECONDS
        return CompareSnapshot(
            generation=self._generation,
            step=self._step(),
            stats=tuple(tuple(s) for s in stats),
            models=models,
            grids=grids,
            grid_size=size,
            bounds=bounds,
            figures=shown,
            failures=tuple(t.failure for t in trainers),
            velocities=tuple(tuple(t.velocity) if t.config.momentum else () for t in trainers),
            **start,
        )

    def _grids(self, trainers, n, bounds, stop):
        """Each run's grid (train_worker.network_grid), a band at a time with the gate between;
        () when a newer request (or `stop`, or closing) came meanwhile."""
        rows = max(1, min(n, int(BAND_SECONDS / (self._cell_cost * n))))
        pause = band_pause(self, stop)
        try:
            return tuple(network_grid(t, n, bounds, rows, pause) for t in trainers)
        except GridInterrupted:
            return ()

    def _figures(self, i, trainer, model):
        """Run i's row of the table (train.runs.RunFigures) now. The step that reached
        95% train accuracy is looked for in the new rows only."""
        history = trainer.history
        if self._reached[i] is None:
            column = history.column("train_acc")
            for k in range(self._scanned[i], len(column)):
                if column[k] >= TARGET_ACCURACY:
                    self._reached[i] = history.column("step")[k]
                    break
            self._scanned[i] = len(column)
        now = trainer.evaluate() if trainer.failure is None else {}
        first = self._first_step[i]
        ms = history.column("ms_per_step")[first:] if len(history) > first else ()
        data = trainer.data
        return RunFigures(
            step=trainer.step,
            train_loss=now.get("train_loss"),
            train_acc=now.get("train_acc"),
            test_loss=now.get("test_loss"),
            test_acc=now.get("test_acc"),
            steps_to_95=self._reached[i],
            ms_per_step=sum(ms) / len(ms) if len(ms) else None,
            dead=tuple(dead_relus(model, data.x_train, trainer.features))
            if trainer.failure is None
            else (),
            diverged=trainer.failure is not None,
        )

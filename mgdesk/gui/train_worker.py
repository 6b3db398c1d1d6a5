"""The training thread's worker: it owns the `Trainer` and the boundary grid.

The GUI thread (a RunController) queues `reset`, `run`, `step` and `refresh_grid`, and
hears back through `yielded` (a ResetSnapshot when a network is built, then StepSnapshots),
`errored` (a Reset that could not build its network) and `finished` (a run ended).
What it writes directly, because a queued call would wait behind the work it is about
(see gui/threads.py): `latest_generation` (an int: a reset no longer wanted is skipped),
`set_lr` (the trainer's `lr`, a float read between steps), `set_bounds` (a tuple, read
when a grid starts), `set_data` (points drawn, a tuple taken between steps) and
`request_waiting` (an Event: a grid in progress is dropped).
"""

import math
import threading
import time
from array import array
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from mgdesk.engine import MLP
from mgdesk.gui.threads import GuiGate, one_line
from mgdesk.train import Trainer, decision_grid_bands
from mgdesk.train.drawn import shown_points
from mgdesk.train.trainer import fitted_curve, output_grid_bands

__all__ = [
    "GRID_SIZE",
    "ResetSnapshot",
    "StepSnapshot",
    "TrainWorker",
    "grid_resolution",
    "plane_bounds",
]

SNAPSHOTS_PER_SECOND = 30
GRID_SIZE = 100  # boundary grid cells per side, as in TensorFlow Playground
MIN_LIVE_GRID = 40  # while training, a grid too slow at GRID_SIZE gets fewer cells, not fewer
LIVE_GRID_SECONDS = 0.05  # ... aiming at this much time per grid while training
BAND_SECONDS = 0.02  # a grid is made a band of rows at a time, each about this long, so
# a request, a stop or closing is noticed within that time even at 256,256


@dataclass(frozen=True)
class ResetSnapshot:
    """A network built by a Reset (fresh, or from a saved session)."""

    generation: int  # which reset this is; older ones are ignored
    step: int
    model: dict  # model.to_dict(), a fresh copy
    velocity: tuple  # the optimizer's state: momentum or Adam's moments
    data: object  # the (frozen) Dataset
    box: tuple  # a square around all the data points (xmin, xmax, ymin, ymax)
    config: object  # the TrainConfig in use
    history: tuple  # earlier StepStats, from a saved session


@dataclass(frozen=True)
class StepSnapshot:
    """Steps done since the previous snapshot, and the network they led to."""

    generation: int  # which reset this belongs to; older snapshots are ignored
    step: int
    model: dict  # model.to_dict(), a fresh copy
    velocity: tuple = ()  # the optimizer's state: momentum or Adam's moments
    stats: tuple = ()  # the StepStats since the previous snapshot, in order
    # network scores, float64, `grid_size` rows from ymin up (K per point with K outputs;
    # a regression's one row: its curve at `grid_size` x evenly over the plane's width)
    grid: bytes | None = None
    grid_size: int = 0
    bounds: tuple = (-1.0, 1.0, -1.0, 1.0)  # xmin, xmax, ymin, ymax of the grid's plane
    failure: object = None  # the trainer's TrainingFailure once the loss stopped being finite


def plane_bounds(data, margin=0.15, regression=False):
    """A square-ish box around all points with a margin, as (xmin, xmax, ymin, ymax); a
    regression's points are drawn at (x, y), x1 and its label."""
    points = shown_points(data) if regression else data.x_train + data.x_test
    if not points:
        return (-1.0, 1.0, -1.0, 1.0)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), 1e-6) / 2 * (1 + 2 * margin)
    return (cx - half, cx + half, cy - half, cy + half)


def grid_resolution(seconds_per_cell=None, live=False):
    """Cells per side of the boundary grid: GRID_SIZE whenever training is not going on
    (the picture then stays as it is, so it must be smooth at any network size); while
    training, fewer when the last grid's cost per cell says GRID_SIZE would take longer
    than LIVE_GRID_SECONDS. The view interpolates either way."""
    if not live or not seconds_per_cell:
        return GRID_SIZE
    fit = int(math.sqrt(LIVE_GRID_SECONDS / seconds_per_cell))
    return max(MIN_LIVE_GRID, min(GRID_SIZE, fit))


def network_grid(trainer, n, bounds, rows, pause):
    """What the boundary plot draws of `trainer`'s network, as float64 bytes: its score on
    an n x n grid over `bounds` (row 0 at ymin), or its K scores per grid point (K
    outputs), computed `rows` grid rows at a time with `pause()` before each; a
    regression's curve: n outputs over the plane's x. The network sees each point through
    the trainer's features."""
    model, features = trainer.model, trainer.features
    if trainer.config.task == "regression":  # one row: the curve over the plane's x
        pause()
        return array("d", fitted_curve(model, bounds[:2], n, features)[1]).tobytes()
    grid_bands = output_grid_bands if model.nouts[-1] > 1 else decision_grid_bands
    values = array("d")
    for band in grid_bands(model, bounds, n, band=rows, pause=pause, features=features):
        values.extend(band)
    return values.tobytes()


class GridInterrupted(Exception):
    """A newer request (train, step, reset, close) is waiting: drop the grid being made."""


def band_pause(worker, stop=None):
    """What a worker does between two bands of rows of a grid: wait at its gate, then drop
    the grid (GridInterrupted) when it is closing, a request is queued or `stop` is set."""

    def pause():
        worker.gate.wait()
        if worker._closing.is_set() or worker._waiting.is_set() or (stop and stop.is_set()):
            raise GridInterrupted

    return pause


class TrainWorker(QObject):
    """Owns the `Trainer` and runs it in its thread; reports through snapshots."""

    yielded = Signal(object)  # a ResetSnapshot, then StepSnapshots
    errored = Signal(str, str)  # a Reset refused: field, one-line message (e.g. a bad CSV)
    finished = Signal(int, str)  # run id, why: "paused", "done" or "failed"
    _data_offered = Signal()  # internal wake-up, queued into the worker's thread

    def __init__(self, gate=None):
        super().__init__()
        self.gate = gate or GuiGate()
        self.trainer = None
        self.latest_generation = 0  # written by the GUI thread: skip stale resets
        self._generation = 0
        self._box = ()  # the data's box
        self._bounds = (-1.0, 1.0, -1.0, 1.0)  # the plane the grid covers
        self._closing = threading.Event()
        self._waiting = threading.Event()  # set by the GUI thread: a request is queued
        self._next_grid = 0.0
        self._weight_cost = 5e-8  # seconds per grid cell and weight: a guess, then measured
        self._offered = None  # (generation, Dataset, config): points drawn, not trained yet
        self._data_offered.connect(self.take_data)

    def close(self):
        """Called from the GUI thread on shutdown: finish quickly, send nothing more."""
        self._closing.set()

    def request_waiting(self):
        """Called from the GUI thread before queuing a run, step or reset: a boundary grid
        being computed (seconds at 256,256) is dropped so the request starts at once."""
        self._waiting.set()

    def set_lr(self, lr):
        """Live learning rate, set from the GUI thread; the trainer reads it between steps."""
        trainer = self.trainer
        if trainer is not None:
            trainer.lr = lr

    def set_data(self, generation, data, config):
        """Points drawn or erased, set from the GUI thread (one attribute written whole):
        the trainer of `generation` takes them before its next step, keeping its weights;
        `config` is its settings naming the data's source. While idle, taken at once."""
        self._offered = (generation, data, config)
        self._data_offered.emit()

    @Slot()
    def take_data(self):
        """Give the trainer the points offered for it, if any (between steps)."""
        offered, trainer = self._offered, self.trainer
        if offered is None or trainer is None or offered[0] != self._generation:
            return
        self._offered = None
        trainer.set_data(offered[1], offered[2])

    def set_bounds(self, bounds):
        """The part of the plane the boundary view shows; set from the GUI thread."""
        self._bounds = tuple(bounds)

    @Slot(int)
    def refresh_grid(self, generation):
        """A snapshot with a fresh boundary grid (after the view's plane changed)."""
        self._waiting.clear()
        if self.trainer is not None and generation == self._generation:
            self._yield_steps([], grid=True)

    @Slot(int, object, object, object, object, object)
    def reset(self, generation, config, model_dict=None, history=(), data=None, velocity=()):
        """Build a fresh trainer (or one from a saved model, history, points and momentum)."""
        if generation != self.latest_generation or self._closing.is_set():
            return  # a newer reset is already queued
        self._waiting.clear()
        try:
            model = MLP.from_dict(model_dict) if model_dict else None
            trainer = Trainer(config, model=model, data=data, history=history, velocity=velocity)
        except (ValueError, OSError) as exc:  # ConfigError (and CSVError) is a ValueError
            message = getattr(exc, "message", None) or one_line(exc)  # no "csv_path: "
            self.errored.emit(getattr(exc, "field", ""), message.splitlines()[0])
            trainer = self.trainer  # keep the network there was, under the new generation
            if trainer is None:
                return
            config = trainer.config
        self.trainer, self._generation = trainer, generation
        self.take_data()  # points drawn after this Reset was asked for
        box = plane_bounds(trainer.data, regression=trainer.config.task == "regression")
        if box != self._box:  # new data: the view will say which part of the plane it shows
            self._box = self._bounds = box
        self.yielded.emit(
            ResetSnapshot(
                generation=generation,
                step=trainer.step,
                model=trainer.model.to_dict(),
                velocity=self._velocity(),
                data=trainer.data,
                box=self._box,
                config=config,
                history=tuple(trainer.history),
            )
        )
        self._yield_steps([], grid=True)  # the boundary follows (dropped if a request comes)

    @Slot(int, object, int)
    def run(self, run_id, stop, steps):
        """Train until `stop` is set, `steps` updates are done in total, or the loss fails."""
        trainer = self.trainer
        self._waiting.clear()
        if trainer is None or stop.is_set() or trainer.failure is not None:
            self.finished.emit(run_id, "paused")
            return
        pending, last = [], time.monotonic()
        for stats in trainer.run(stop, steps):
            self.gate.wait()
            self.take_data()  # used from the next step on
            pending.append(stats)
            now = time.monotonic()
            if now - last >= 1 / SNAPSHOTS_PER_SECOND:
                live = now >= self._next_grid and not stop.is_set()
                self._yield_steps(pending, grid=live, live=True, stop=stop)
                pending, last = [], time.monotonic()
        if self._closing.is_set():
            return
        # with the failure, if the loss failed, and the boundary of the last finite weights
        self._yield_steps(pending, grid=trainer.failure is not None)
        if trainer.failure is not None:
            self.finished.emit(run_id, "failed")
            return
        self.finished.emit(run_id, "paused" if stop.is_set() else "done")
        if self.latest_generation == self._generation:
            self._yield_steps([], grid=True)  # the whole boundary, now that it stays

    @Slot(int)
    def step(self, generation):
        """One update, then a full snapshot (with the failure, if the loss failed)."""
        trainer = self.trainer
        self._waiting.clear()
        if trainer is None or generation != self._generation or trainer.failure is not None:
            return
        self.take_data()
        stats = trainer.step_once()
        failed = trainer.failure is not None  # (its boundary: the last finite weights)
        self._yield_steps([] if stats is None else [stats], grid=stats is not None or failed)

    def _grid(self, n, bounds, stop=None):
        """Scores on an n x n grid over `bounds` (corners included, row 0 at ymin), as
        float64 bytes; computed a band of rows at a time, waiting at the gate between.
        None when a newer request (or `stop`, or closing) came meanwhile."""
        cost = self._cell_cost()
        rows = max(1, min(n, int(BAND_SECONDS / (cost * n))))
        try:
            return network_grid(self.trainer, n, bounds, rows, band_pause(self, stop))
        except GridInterrupted:
            return None

    def _weights(self):
        return max(
            1, sum(len(n.w) + 1 for layer in self.trainer.model.layers for n in layer.neurons)
        )

    def _cell_cost(self):
        """Seconds one grid cell takes with the current network."""
        return self._weight_cost * self._weights()

    def _velocity(self):
        config = self.trainer.config  # (SGD without momentum has no state to keep)
        keeps = config.momentum or config.optimizer != "sgd"
        return tuple(self.trainer.velocity) if keeps else ()

    def _yield_steps(self, stats, grid, live=False, stop=None):
        trainer = self.trainer
        model = trainer.model.to_dict()
        failure = trainer.failure
        values, size, bounds = None, 0, self._bounds  # (the GUI thread may replace _bounds)
        if grid and not self._closing.is_set():
            start = time.monotonic()
            size = grid_resolution(self._cell_cost(), live)
            values = self._grid(size, bounds, stop)
            cost = time.monotonic() - start
            if values is None:
                size = 0
            else:
                self._weight_cost = cost / (size * size * self._weights())
            self._next_grid = time.monotonic() + max(0.1, 3 * cost)  # <= 25% of the time
        snapshot = StepSnapshot(
            generation=self._generation,
            step=trainer.step,
            model=model,
            velocity=self._velocity(),
            stats=tuple(stats),
            grid=values,
            grid_size=size,
            bounds=bounds,
            failure=failure,
        )
        self.yielded.emit(snapshot)

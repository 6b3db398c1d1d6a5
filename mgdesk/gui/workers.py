"""Work that must not run in the GUI thread: training (with the boundary grid) and graph renders.

Each worker is a parentless QObject moved onto its own long-lived QThread. The window talks
to it through queued signals, except for stopping: a `threading.Event` set directly from
the GUI thread, because a queued "stop" would only run after the loop it should stop.
Workers send back immutable snapshots only (floats, tuples, dicts, bytes, frozen
dataclasses), never a `Value` or anything they will touch again.
"""

import math
import sys
import threading
import time
from array import array
from dataclasses import dataclass, replace

from PySide6.QtCore import QByteArray, QObject, QRectF, QThread, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from mgdesk.engine import MLP
from mgdesk.gui.highlight import mark_styles
from mgdesk.train import Trainer, decision_grid_bands, train
from mgdesk.viz import GraphRenderer, RenderCancelled
from mgdesk.viz.gradcheck import check_sample_gradients, nudge_choice
from mgdesk.viz.trace import TraceCache, TraceCancelled, trace_job

__all__ = [
    "CheckWorker",
    "GraphImage",
    "GraphJob",
    "GraphWorker",
    "GuiGate",
    "Snapshot",
    "TrainWorker",
    "graph_shape",
    "leaked_threads",
    "start_thread",
    "stop_threads",
]

SNAPSHOTS_PER_SECOND = 30
GRID_SIZE = 100  # boundary grid cells per side, as in TensorFlow Playground
MIN_LIVE_GRID = 40  # while training, a grid too slow at GRID_SIZE gets fewer cells, not fewer
LIVE_GRID_SECONDS = 0.05  # ... aiming at this much time per grid while training
BAND_SECONDS = 0.02  # a grid is made a band of rows at a time, each about this long, so
# a request, a stop or closing is noticed within that time even at 256,256
MAX_RASTER_PIXELS = 4_000_000  # a graph image never exceeds this (16 MB)

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


@dataclass(frozen=True)
class Snapshot:
    """What the window learns from the training thread after a reset or some steps."""

    generation: int  # which reset this belongs to; older snapshots are ignored
    step: int
    stats: tuple = ()  # the StepStats since the previous snapshot, in order
    model: dict | None = None  # model.to_dict(), a fresh copy
    grid: bytes | None = None  # network scores, float64, `grid_size` rows from ymin up
    grid_size: int = 0
    bounds: tuple = (-1.0, 1.0, -1.0, 1.0)  # xmin, xmax, ymin, ymax of the plane shown
    data: object = None  # the (frozen) Dataset, on reset only
    box: tuple = ()  # on reset: a square around all the data points (xmin, xmax, ymin, ymax)
    config: object = None  # the TrainConfig in use, on reset only
    history: tuple = ()  # earlier StepStats, on reset from a saved session
    velocity: tuple = ()  # the optimizer's momentum, with the model (only when momentum > 0)


def plane_bounds(data, margin=0.15):
    """A square-ish box around all points with a margin, as (xmin, xmax, ymin, ymax)."""
    points = data.x_train + data.x_test
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


class _GridInterrupted(Exception):
    """A newer request (train, step, reset, close) is waiting: drop the grid being made."""


class TrainWorker(QObject):
    """Owns the `Trainer` and runs it in its thread; reports through snapshots."""

    reset_completed = Signal(object)  # Snapshot with data and config
    step_completed = Signal(object)  # Snapshot
    run_finished = Signal(int, str)  # run id, why: "paused", "done" or "failed"
    training_failed = Signal(str, str)  # reason, hint
    error_occurred = Signal(str, str)  # field, one-line message (e.g. a bad CSV file)
    data_offered = Signal()  # internal wake-up, queued into the worker thread

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
        self.data_offered.connect(self.take_data)

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
        `config` is its settings with the data's source. While idle they are taken at once."""
        self._offered = (generation, data, config)
        self.data_offered.emit()

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
            self._emit_step([], grid=True)

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
            message = getattr(exc, "message", None) or _one_line(exc)  # no "csv_path: "
            self.error_occurred.emit(getattr(exc, "field", ""), message.splitlines()[0])
            trainer = self.trainer  # keep the network there was, under the new generation
            if trainer is None:
                return
            config = trainer.config
        self.trainer, self._generation = trainer, generation
        self.take_data()  # points drawn after this Reset was asked for
        box = plane_bounds(trainer.data)
        if box != self._box:  # new data: the view will say which part of the plane it shows
            self._box = self._bounds = box
        snapshot = self._snapshot((), grid=False, data=trainer.data, config=config)
        self.reset_completed.emit(snapshot)
        self._emit_step([], grid=True)  # the boundary follows (dropped if a request comes)

    @Slot(int, object, int)
    def run(self, run_id, stop, steps):
        """Train until `stop` is set, `steps` updates are done in total, or the loss fails."""
        trainer = self.trainer
        self._waiting.clear()
        if trainer is None or stop.is_set() or trainer.failure is not None:
            self.run_finished.emit(run_id, "paused")
            return
        config = trainer.config.replace(steps=steps) if steps != trainer.config.steps else None
        pending, last = [], time.monotonic()
        for stats in train(config, stop=stop, trainer=trainer):
            self.gate.wait()
            self.take_data()  # used from the next step on
            pending.append(stats)
            now = time.monotonic()
            if now - last >= 1 / SNAPSHOTS_PER_SECOND:
                live = now >= self._next_grid and not stop.is_set()
                self._emit_step(pending, grid=live, live=True, stop=stop)
                pending, last = [], time.monotonic()
        if self._closing.is_set():
            return
        self._emit_step(pending, grid=False)
        if trainer.failure is not None:
            self.training_failed.emit(trainer.failure.reason, trainer.failure.hint)
            self.run_finished.emit(run_id, "failed")
            return
        self.run_finished.emit(run_id, "paused" if stop.is_set() else "done")
        if self.latest_generation == self._generation:
            self._emit_step([], grid=True)  # the whole boundary, now that it stays

    @Slot(int)
    def step(self, generation):
        """One update, then a full snapshot."""
        trainer = self.trainer
        self._waiting.clear()
        if trainer is None or generation != self._generation or trainer.failure is not None:
            return
        self.take_data()
        stats = trainer.step_once()
        if stats is None:
            self._emit_step([], grid=False)
            self.training_failed.emit(trainer.failure.reason, trainer.failure.hint)
            return
        self._emit_step([stats], grid=True)

    def _grid(self, n, bounds, stop=None):
        """Scores on an n x n grid over `bounds` (corners included, row 0 at ymin), as
        float64 bytes; computed a band of rows at a time, waiting at the gate between.
        None when a newer request (or `stop`, or closing) came meanwhile."""

        def pause():
            self.gate.wait()
            if self._closing.is_set() or self._waiting.is_set() or (stop and stop.is_set()):
                raise _GridInterrupted

        cost = self._cell_cost()
        rows = max(1, min(n, int(BAND_SECONDS / (cost * n))))
        values = array("d")
        try:
            for band in decision_grid_bands(self.trainer.model, bounds, n, band=rows, pause=pause):
                values.extend(band)
        except _GridInterrupted:
            return None
        return values.tobytes()

    def _weights(self):
        return max(
            1, sum(len(n.w) + 1 for layer in self.trainer.model.layers for n in layer.neurons)
        )

    def _cell_cost(self):
        """Seconds one grid cell takes with the current network."""
        return self._weight_cost * self._weights()

    def _emit_step(self, stats, grid, live=False, stop=None):
        self.step_completed.emit(self._snapshot(tuple(stats), grid, live=live, stop=stop))

    def _snapshot(self, stats, grid, data=None, config=None, live=False, stop=None):
        trainer = self.trainer
        model = trainer.model.to_dict()
        failed = trainer.failure is not None
        values, size, bounds = None, 0, self._bounds  # (the GUI thread may replace _bounds)
        if grid and not failed and not self._closing.is_set():
            start = time.monotonic()
            size = grid_resolution(self._cell_cost(), live)
            values = self._grid(size, bounds, stop)
            cost = time.monotonic() - start
            if values is None:
                size = 0
            else:
                self._weight_cost = cost / (size * size * self._weights())
            self._next_grid = time.monotonic() + max(0.1, 3 * cost)  # <= 25% of the time
        return Snapshot(
            generation=self._generation,
            step=trainer.step,
            stats=stats,
            model=model,
            grid=values,
            grid_size=size,
            bounds=bounds,
            data=data,
            box=self._box if data is not None else (),
            config=config,
            history=tuple(trainer.history) if data is not None else (),
            velocity=tuple(trainer.velocity) if trainer.config.momentum else (),
        )


@dataclass(frozen=True)
class GraphJob:
    """One graph to draw: the loss graph of sample (x, y) under the model `model`."""

    model: dict
    x: tuple
    y: float
    loss: str
    view: str  # "auto", "ops" or "neurons"
    caption: str  # which sample this is, for the view's title
    graph: object = None  # a traced Graph to draw as it is (the backward stepper's), or None
    styles: dict | None = None  # svg id -> NodeStyle, for `graph` (the stepper's highlights)
    marked: tuple = ()  # labels of parameters to mark (the gradient check's disagreements)

    def same_sample(self, other):
        """Does `other` draw the same network on the same sample?"""
        return (self.model, self.x, self.y, self.loss) == (
            other.model,
            other.x,
            other.y,
            other.loss,
        )


@dataclass(frozen=True)
class GraphImage:
    """A rendered graph: the SVG, rasters of it, and hit boxes for its nodes.

    `image` holds the whole graph at `scale` pixels per SVG unit (at most
    MAX_RASTER_PIXELS); zoomed in further, `detail` holds the region around what is
    visible, `detail_rect` (x, y, w, h in SVG units), at `detail_scale`.
    """

    job: GraphJob
    svg: bytes
    view: str
    node_count: int
    message: str
    size: tuple  # (width, height) of the SVG in its own units
    boxes: dict  # svg element id -> (x, y, w, h) in SVG units
    node_ids: dict  # svg element id -> GraphNode (label, op, role, data, grad, index)
    image: QImage = None
    scale: float = 0.0
    detail: QImage = None
    detail_rect: tuple = ()
    detail_scale: float = 0.0


class GraphWorker(QObject):
    """Renders the traced sample's graph off the GUI thread; the latest request wins.

    `request(job)` and `request_view(scale, rect)` are called from the GUI thread: they
    store the newest wish and wake the worker, which takes whatever is newest when it gets
    to it. The SVG is parsed and painted here too, so the GUI thread only shows pictures.
    """

    graph_rendered = Signal(object)  # GraphImage
    graph_failed = Signal(str)
    render_requested = Signal()  # internal wake-up, queued into the worker thread

    def __init__(self, gate=None, renderer=None):
        super().__init__()
        self.gate = gate or GuiGate()
        self._renderer = renderer  # created lazily in the worker thread
        self._renderer_choice = "auto"  # which dot program: auto, bundled or system
        self._lock = threading.Lock()
        self._job = None
        self._view = (1.0, ())  # wanted pixels per SVG unit, visible rect in SVG units
        self._last = None  # (GraphImage, QSvgRenderer) of the newest render
        self._boxes = (None, {})  # (layout key, hit boxes): a patched layout keeps its boxes
        self._busy = None  # the job being rendered
        self._closing = threading.Event()
        self._traces = TraceCache()  # the latest traced sample, used in this thread only
        self.render_requested.connect(self._render_pending)

    def request(self, job):
        with self._lock:
            self._job = job
            stale = self._busy is not None and _shape(self._busy) != _shape(job)
        if stale:  # a layout for a network no longer shown: stop it
            self._cancel_in_flight()
        self.render_requested.emit()

    def cancel(self):
        """Called from the GUI thread: drop the waiting request and stop the layout in
        progress (a trace in progress finishes; the window ignores its picture)."""
        with self._lock:
            self._job = None
        self._cancel_in_flight()

    def set_renderer(self, name):
        """Use the "bundled" graphviz-pure, the "system" dot, or "auto"; redraws the graph."""
        with self._lock:
            self._renderer_choice = name
            self._renderer = None  # made anew, with the new choice, in the worker thread
            if self._last is not None and self._job is None:
                self._job = self._last[0].job
        self.render_requested.emit()

    def request_view(self, scale, rect):
        """The view now shows `rect` (SVG units) at `scale` device pixels per unit."""
        with self._lock:
            self._view = (scale, tuple(rect))
        self.render_requested.emit()

    def close(self):
        self._closing.set()
        self._cancel_in_flight()

    def _check_closing(self):
        if self._closing.is_set():
            raise RenderCancelled("closing")

    def _cancel_in_flight(self):
        cancel = getattr(self._renderer, "cancel", None)
        if cancel is not None:
            cancel()

    @Slot()
    def _render_pending(self):
        with self._lock:
            job, view, self._job = self._job, self._view, None
            self._busy = job
        if self._closing.is_set():
            return
        self.gate.wait()
        try:
            if job is not None:
                self._render(job, view)
            elif self._last is not None and _needs_raster(self._last[0], view):
                self._raster(*self._last, view)
        except RenderCancelled:
            pass  # a newer request took over
        except Exception as exc:  # a renderer problem must never kill the thread
            if not self._closing.is_set():
                self.graph_failed.emit(_one_line(exc))
        finally:
            with self._lock:
                self._busy = None

    def _render(self, job, view):
        with self._lock:
            if self._renderer is None:
                self._renderer = GraphRenderer(self._renderer_choice)
        if job.graph is not None:
            graph, message = job.graph, ""
        else:  # ~0.3 s and ~0.6 s at 256,256: closing is looked at between the parts
            try:
                sample = self._traces.get(job, cancelled=self._closing.is_set)
            except TraceCancelled:
                raise RenderCancelled("closing") from None
            graph, message = self._renderer.trace(sample.root, sample.model, job.view)
            self._check_closing()
        styles = mark_styles(graph, job.marked, job.styles)
        result = self._renderer.render_graph(graph, message, styles)
        if self._closing.is_set():
            return
        with self._lock:
            if self._job is not None:
                return  # a newer graph is waiting: do not spend time drawing this one
        svg = bytes(result.svg)
        self.gate.wait()
        qsvg = QSvgRenderer(QByteArray(svg))
        if not qsvg.isValid():
            raise ValueError("the graph renderer produced an SVG that Qt cannot read")
        view_box = qsvg.viewBoxF()
        image = GraphImage(
            job=job,
            svg=svg,
            view=result.view,
            node_count=result.node_count,
            message=result.message,
            size=(view_box.width(), view_box.height()),
            boxes=self._hit_boxes(qsvg, result),
            node_ids=dict(result.node_ids),
        )
        self._raster(image, qsvg, view)

    def _hit_boxes(self, qsvg, result):
        """svg id -> (x, y, w, h) of each node, measured once per layout."""
        view_box = qsvg.viewBoxF()
        nodes = tuple((sid, n.label, n.role) for sid, n in result.node_ids.items())
        key = (result.view, nodes, view_box.width(), view_box.height())
        if key == self._boxes[0]:
            return self._boxes[1]
        boxes = {}
        for sid in result.node_ids:
            if qsvg.elementExists(sid):
                r = qsvg.transformForElement(sid).mapRect(qsvg.boundsOnElement(sid))
                boxes[sid] = (r.x() - view_box.x(), r.y() - view_box.y(), r.width(), r.height())
        self._boxes = (key, boxes)
        return boxes

    def _raster(self, image, qsvg, view):
        scale, rect = view
        width, height = image.size
        base = min(scale, _max_scale(width, height))
        if image.image is None or not math.isclose(image.scale, base):
            image = replace(image, image=_paint(qsvg, image.size, base, (0, 0, width, height)))
        detail = {"detail": None, "detail_rect": (), "detail_scale": 0.0}
        if rect and scale > base * 1.05:  # zoomed in past the whole picture's resolution
            x, y, w, h = rect
            x0, y0 = max(0.0, x - w / 4), max(0.0, y - h / 4)
            x1, y1 = min(width, x + w * 1.25), min(height, y + h * 1.25)
            region = (x0, y0, x1 - x0, y1 - y0)
            sharp = min(scale, _max_scale(region[2], region[3]))
            detail = {
                "detail": _paint(qsvg, image.size, sharp, region),
                "detail_rect": region,
                "detail_scale": sharp,
            }
        done = replace(image, scale=base, **detail)
        self._last = (done, qsvg)
        if not self._closing.is_set():
            self.graph_rendered.emit(done)


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

    check_progress = Signal(int, int, int, int)  # request id, replays done, of, nudged
    check_completed = Signal(int, object)  # request id, SampleGradCheck
    check_failed = Signal(int, str)  # request id, one-line reason

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
                    self.check_progress.emit(request_id, done, total, len(nudged))

            progress(0, 1)
            result = check_sample_gradients(
                sample.root, params, use_torch=use_torch, checked=nudged, progress=progress
            )
        except (_CheckStopped, TraceCancelled):
            return
        except Exception as exc:  # report it; never kill the thread
            self.check_failed.emit(request_id, _one_line(exc))
            return
        if not self._stopped(request_id):
            self.check_completed.emit(request_id, result)


def _max_scale(width, height):
    """The largest scale at which a width x height region stays within MAX_RASTER_PIXELS."""
    return math.sqrt(MAX_RASTER_PIXELS / max(width * height, 1e-9))


def _needs_raster(image, view):
    """Does the view (scale, visible rect) want a picture other than `image`?"""
    scale, rect = view
    base = min(scale, _max_scale(*image.size))
    if not math.isclose(image.scale, base):
        return True
    if not rect or scale <= base * 1.05:
        return False
    x, y, w, h = rect
    dx, dy, dw, dh = image.detail_rect or (0, 0, 0, 0)
    covered = dx <= x and dy <= y and x + w <= dx + dw and y + h <= dy + dh
    return image.detail is None or not covered or not math.isclose(image.detail_scale, scale)


def _paint(qsvg, size, scale, region):
    """Rasterise `region` (x, y, w, h in SVG units) of the SVG at `scale` pixels per unit."""
    x, y, w, h = region
    image = QImage(
        max(1, round(w * scale)),
        max(1, round(h * scale)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.scale(scale, scale)
    painter.translate(-x, -y)
    qsvg.render(painter, QRectF(0, 0, size[0], size[1]))
    painter.end()
    return image


def graph_shape(job):
    """What decides a graph's layout (see _shape); None for no job."""
    return _shape(job)


def _shape(job):
    """What decides a graph's layout; a job of another shape makes an older layout useless."""
    if job is None:
        return None
    return (tuple(job.model["nouts"]), tuple(job.model["activations"]), job.loss, job.view)


def _one_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

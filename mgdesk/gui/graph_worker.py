"""The graph thread's worker: lays out, renders and rasterises the traced sample's graph.

The latest request wins. `request(job)`, `request_view(scale, rect)`, `cancel()` and
`set_renderer(name)` are called from the GUI thread: they store the newest wish under a
lock and wake the worker (a queued signal), which takes whatever is newest when it gets
to it; `request` and `cancel` also stop a layout in progress directly (the renderer's
`cancel()`, looked at between the parts of a layout), since a queued stop would only run
after it. A render that finishes while the same picture with newer numbers waits is shown.
The SVG is parsed and painted by the raster child process (gui/raster_child.py; in this
thread, gui/raster.py, when the child fails), so the GUI thread only shows pictures and
keeps the GIL meanwhile. News: `returned` (a GraphImage) and `errored` (a one-line reason).
"""

import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QGuiApplication

from mgdesk.gui.graph_network import NetworkViews, network_extras
from mgdesk.gui.highlight import mark_styles
from mgdesk.gui.raster import GraphImage, needs_raster, raster
from mgdesk.gui.raster_client import ChildSvg, RasterChild
from mgdesk.gui.threads import GuiGate, one_line
from mgdesk.viz import GraphRenderer, RenderCancelled
from mgdesk.viz.trace import TraceCache, TraceCancelled

__all__ = ["GraphJob", "GraphWorker", "graph_shape"]


@dataclass(frozen=True)
class GraphJob:
    """One graph to draw: the loss graph of sample (x, y) under the model `model`."""

    model: dict
    x: tuple
    y: float
    loss: str
    view: str  # "auto" (the network view, viz.network), "ops" or "neurons"
    caption: str  # which sample this is, for the view's title
    graph: object = None  # a traced Graph to draw as it is (the backward stepper's), or None
    styles: dict | None = None  # svg id -> NodeStyle, for `graph` (the stepper's highlights)
    marked: tuple = ()  # labels of parameters to mark (the gradient check's disagreements)
    opened: frozenset | None = None  # network view: groups opened (None: the default)
    bounds: tuple = ()  # network view: the plane of the neurons' heatmaps (none when empty)
    features: tuple | None = None  # what the network sees of a point (None: x1, x2)

    def same_sample(self, other):
        """Does `other` draw the same network on the same sample?"""
        return (self.model, self.x, self.y, self.loss, self.features) == (
            other.model,
            other.x,
            other.y,
            other.loss,
            other.features,
        )


def graph_shape(job):
    """What decides a graph's layout; a job of another shape makes an older layout
    useless. None for no job."""
    if job is None:
        return None
    model = job.model
    return (tuple(model["nouts"]), tuple(model["activations"]), job.loss, job.view, job.opened)


def _newer_numbers(newer, job):
    """Is `newer` the graph of `job` with other numbers only (the same layout and traced
    point, e.g. the next training step)?"""
    return graph_shape(newer) == graph_shape(job) and (newer.x, newer.y) == (job.x, job.y)


class GraphWorker(QObject):
    """Renders the traced sample's graph off the GUI thread; the latest request wins."""

    returned = Signal(object)  # GraphImage
    errored = Signal(str)  # one-line reason
    render_requested = Signal()  # internal wake-up, queued into the worker thread

    def __init__(self, gate=None, renderer=None):
        super().__init__()
        self.gate = gate or GuiGate()
        self._renderer = renderer  # created lazily in the worker thread
        self._renderer_choice = "auto"  # which dot program: auto, bundled or system
        self._lock = threading.Lock()
        self._job = None
        self._view = (1.0, ())  # wanted pixels per SVG unit, visible rect in SVG units
        self._last = None  # (GraphImage, its ChildSvg) of the newest render
        self.child = RasterChild(app_font())  # parses and paints the SVG, off the GIL
        self._boxes = (None, {})  # (layout key, hit boxes): a patched layout keeps its boxes
        self._busy = None  # the job being rendered
        self._closing = threading.Event()
        self._traces = TraceCache()  # the latest traced sample, used in this thread only
        self._network = NetworkViews()  # ... and its network view's groups
        self.render_requested.connect(self._render_pending)

    @property
    def idle(self):
        """True when no render is in progress (read from any thread)."""
        with self._lock:
            return self._busy is None

    def request(self, job):
        with self._lock:
            self._job = job
            stale = self._busy is not None and graph_shape(self._busy) != graph_shape(job)
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
            self._cancel_in_flight()  # (its picture is of the other renderer)
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
        self.child.close()

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
            elif self._last is not None and needs_raster(self._last[0], view):
                self._raster(*self._last, view)
        except RenderCancelled:
            pass  # a newer request took over
        except Exception as exc:  # a renderer problem must never kill the thread
            if not self._closing.is_set():
                self.errored.emit(one_line(exc))
        finally:
            with self._lock:
                self._busy = None

    def _render(self, job, view):
        self.child.start()  # boots while the graph is traced and laid out
        with self._lock:  # (set_renderer may drop it meanwhile: this render keeps its own)
            if self._renderer is None:
                self._renderer = GraphRenderer(self._renderer_choice)
            renderer = self._renderer
        extras = None
        if job.graph is not None:
            graph, message = job.graph, ""
            if job.view == "auto":  # the stepper's network view
                extras = network_extras(job, job.opened or ())
        else:  # ~0.3 s and ~0.6 s at 256,256: closing is looked at between the parts
            try:
                sample = self._traces.get(job, cancelled=self._closing.is_set)
                if job.view == "auto":  # the network view (gui/graph_network.py)
                    graph, message, extras = self._network.view(sample, job, self._closing.is_set)
            except TraceCancelled:
                raise RenderCancelled("closing") from None
            if extras is None:
                graph, message = renderer.trace(sample.root, sample.model, job.view)
            self._check_closing()
        styles = mark_styles(graph, job.marked, job.styles)
        result = renderer.render_graph(graph, message, styles)
        if self._closing.is_set():
            return
        with self._lock:  # a newer graph waiting: this one is of use only as its previous
            if self._job is not None and not _newer_numbers(self._job, job):  # numbers
                return  # (shown, a big graph that trains would never be)
        svg = bytes(result.svg)
        self.gate.wait()
        doc = ChildSvg(self.child, svg, cancelled=self._closing.is_set)
        size = doc.view_box()[2:]
        image = GraphImage(
            job=job,
            svg=svg,
            view=result.view,
            node_count=result.node_count,
            message=result.message,
            size=size,
            boxes=self._hit_boxes(doc, result, size),
            node_ids=dict(result.node_ids),
            network=extras,
        )
        self._raster(image, doc, view)

    def _hit_boxes(self, doc, result, size):
        """svg id -> (x, y, w, h) of each node, measured once per layout."""
        nodes = tuple((sid, n.label, n.role) for sid, n in result.node_ids.items())
        key = (result.view, nodes, *size)
        if key != self._boxes[0]:
            self._boxes = (key, doc.boxes(result.node_ids))
        return self._boxes[1]

    def _raster(self, image, doc, view):
        done = raster(image, doc, view)
        self._last = (done, doc)
        if not self._closing.is_set():
            self.returned.emit(done)


def app_font():
    """[family, point size] of the application's default font, for the raster child's
    text to match the window's; None without an application or a point size."""
    app = QGuiApplication.instance()
    font = app.font() if app is not None else None
    if font is None or font.pointSize() <= 0:
        return None
    return [font.family(), font.pointSize()]

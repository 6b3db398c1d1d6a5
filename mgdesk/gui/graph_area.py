"""The window's lower half: the traced sample's graph, the backward stepper, the node
inspector and the gradient check, with the graph and check threads behind them.

`GraphArea(window)` reads the window's run (which sample, which network) and views, asks
the graph thread for pictures (the latest request wins) and the check thread for a
gradient check, and shows what comes back. The window calls `request()` when the network
or the traced sample changed; everything else here reacts to the graph area's own widgets.
"""

import time
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from mgdesk.gui.check_worker import CheckWorker
from mgdesk.gui.graph_view import READABLE_ZOOM
from mgdesk.gui.graph_worker import GraphJob, GraphWorker, graph_shape
from mgdesk.gui.highlight import node_tooltip
from mgdesk.gui.inspector import neuron_names
from mgdesk.gui.network_control import NetworkControl
from mgdesk.gui.threads import start_thread
from mgdesk.viz.trace import HUB_OP, TraceCache

__all__ = ["BUSY_AFTER_S", "GraphArea"]

BUSY_AFTER_S = 0.5  # a new layout taking longer than this shows a busy note with Cancel


class GraphArea(QObject):
    """The graph, stepper, inspector and gradient check of `window` (its widgets)."""

    check_requested = Signal(int, object, bool)  # request id, GraphJob, use PyTorch

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.asked = 0.0  # time.monotonic() of the last graph request
        self._wanted = None  # the latest GraphJob asked for
        self._since = 0.0  # when a graph of a new layout was asked for
        self._inspected = ""  # svg id of the node in the inspector
        self._inspected_values = TraceCache()  # the traced sample's Values to inspect
        self._followed = None  # (stepper, position) the graph view last scrolled to
        self._check_id = 0
        self._check_job = None
        self._busy_timer = QTimer(self, interval=250)
        self._busy_timer.timeout.connect(self._show_busy)
        w = window
        for signal, slot in (
            (w.graph_panel.view_mode_changed, self._on_graph_panel_view_mode_changed),
            (w.graph_view.view_changed, self._on_graph_view_view_changed),
            (w.graph_view.busy.cancel_requested, self.cancel),
            (w.graph_view.node_clicked, self._on_graph_view_node_clicked),
            (w.stepper_panel.frame_requested, self.request),
            (w.stepper_panel.moved, self._show_inspected),
            (w.stepper_panel.ops_view_requested, self._on_stepper_panel_ops_view_requested),
            (w.grad_check.check_requested, self.check_gradients),
            (w.grad_check.cancel_requested, self.cancel_check),
            (w.grad_check.parameter_clicked, self._on_grad_check_parameter_clicked),
        ):
            signal.connect(slot)
        self.network = NetworkControl(w, self.request)  # openings, hover, the worst point
        self.graph_worker = GraphWorker(w.gate)
        self.graph_worker.returned.connect(self._on_graph_worker_returned)
        self.graph_worker.errored.connect(self._on_graph_worker_errored)
        self.check_worker = CheckWorker()
        self.check_worker.returned.connect(self._on_check_worker_returned)
        self.check_worker.errored.connect(self._on_check_worker_errored)
        self.check_worker.yielded.connect(self._on_check_worker_yielded)
        self.check_requested.connect(self.check_worker.check)
        self.threads = (
            start_thread(self.graph_worker, "mgdesk-graph"),
            start_thread(self.check_worker, "mgdesk-check"),
        )

    def close(self):
        """Stop the timers and tell the workers; the window then stops `threads`."""
        self._busy_timer.stop()
        self.graph_worker.close()
        self.check_worker.close()

    # ---- the traced sample's graph ----

    def job(self):
        """The GraphJob of the traced sample under the latest network, or None (in compare
        mode: under the run the switch chooses)."""
        if self.w.compare.active:
            return self.w.compare.graph_job()
        run = self.w.run
        sample = run.traced_sample()
        if sample is None:
            return None
        x, y, caption = sample
        view = self.w.graph_panel.mode.currentText()
        extra = self.network.job_fields(view)
        extra["features"] = run.applied.input_features
        return GraphJob(run.model, x, y, run.applied.loss, view, caption, **extra)

    @Slot()
    def request(self):
        """Ask for the graph of the traced sample as it is now (the latest request wins)."""
        job = self.job()
        if job is None:
            data = self.w.run.data
            if data is not None and not data.x_train and not data.x_test:
                self.w.graph_view.clear_graph("No point to trace: draw some (Edit points, E)")
            return
        self.asked = time.monotonic()
        if self.w.stepper_action.isChecked():
            job = self._stepper_job(job)
        job = replace(job, marked=self.w.grad_check.marked(job))
        shown = self.w.graph_view.graph
        if graph_shape(job) != graph_shape(self._wanted):
            self._since = time.monotonic()
        self._wanted = job
        if shown is None or graph_shape(shown.job) != graph_shape(job):
            self._busy_timer.start()  # a new layout: say so if it takes a while
        self.graph_worker.request(job)

    @Slot()
    def _show_busy(self):
        """While a new layout is on its way, dim the old picture and say what is coming."""
        job, shown = self._wanted, self.w.graph_view.graph
        waiting = job is not None and (shown is None or graph_shape(shown.job) != graph_shape(job))
        elapsed = time.monotonic() - self._since
        if not waiting:
            self._busy_timer.stop()
            self.w.graph_view.show_busy("")
        elif elapsed >= BUSY_AFTER_S:
            view = {"auto": "graph", "ops": "ops view", "neurons": "neuron view"}[job.view]
            layers = ",".join(map(str, job.model["nouts"][:-1])) or "no hidden layer"
            under = " The picture under this is the previous one." if shown is not None else ""
            self.w.graph_view.show_busy(
                f"Laying out the {view} of the network {layers}… {elapsed:.0f} s.{under}"
            )

    @Slot()
    def cancel(self):
        """Stop the layout in progress; the header and the picture then agree again."""
        w = self.w
        self.graph_worker.cancel()
        self._busy_timer.stop()
        w.graph_view.show_busy("")
        self._wanted = None
        if w.graph_panel.mode.currentText() != "auto":
            w.statusBar().showMessage("Layout cancelled: back to the “auto” view", 8000)
            w.graph_panel.mode.setCurrentText("auto")  # asks for that graph
            return
        w.graph_view.clear_graph(
            "Drawing cancelled. Choose the neurons view or a smaller network, or press F."
        )
        w.graph_panel.set_caption("No graph", "drawing cancelled")

    def set_renderer(self, name):
        """Lay graphs out with the bundled graphviz-pure, the system `dot`, or either."""
        self.graph_worker.set_renderer(name)

    @Slot(str)
    def _on_graph_panel_view_mode_changed(self, mode):
        self.w.mode_actions[mode].setChecked(True)
        self.request()

    @Slot(float, tuple)
    def _on_graph_view_view_changed(self, scale, rect):
        self.graph_worker.request_view(scale, rect)

    @Slot(object)
    def _on_graph_worker_returned(self, graph):
        w = self.w
        if graph_shape(graph.job) != graph_shape(self._wanted):
            return  # a layout that was cancelled or asked for before the latest one
        w.graph_view.show_graph(graph)
        self._show_busy()
        note = self.network.shown(graph) or f"{graph.view} view · {graph.node_count:,} boxes"
        if graph.message:  # why "auto" chose this view
            note = f"{graph.message} · {graph.node_count:,} boxes"
        w.graph_panel.set_caption(graph.job.caption, note)
        w.grad_check.note_shown(graph.job)
        if graph.job.graph is not None and w.stepper_panel.ready:
            self._follow_current_node()
        self._show_inspected()

    @Slot(str)
    def _on_graph_worker_errored(self, message):
        """The graph asked for could not be drawn. A new layout (an opening) that failed
        keeps the picture shown and goes back to its opening; else there is no picture of
        this network to show. Either way the reason is said in full."""
        w = self.w
        self._busy_timer.stop()
        w.graph_view.show_busy("")
        shown = w.graph_view.graph
        if shown is None or graph_shape(self._wanted) == graph_shape(shown.job):
            self._since = time.monotonic()  # (a retry's busy note counts from now)
            w.graph_view.clear_graph(f"Could not draw the graph: {message}")
            w.graph_panel.set_caption("No graph", message)
            return
        self._wanted = None  # the next request starts its own clock
        self.network.opened = shown.job.opened  # what the picture shows
        self.network.shown(shown)  # the Open all button follows it again
        w.graph_panel.set_caption(
            shown.job.caption,
            f"The new graph could not be drawn; this is the previous one. {message}",
        )
        w.statusBar().showMessage(
            f"Could not draw the new graph: {message}. The picture shown is the previous one.",
            20000,
        )

    # ---- the backward stepper ----

    @property
    def stepping(self):
        """True in stepper mode with the graph able to show it."""
        return self.w.stepper_action.isChecked() and self.w.stepper_panel.ready

    def set_stepper(self, on):
        """Stepper mode on or off; turning it on pauses training."""
        w = self.w
        if on and self.job() is None:
            w.stepper_action.setChecked(False)
            w.statusBar().showMessage("There is no network to step through yet", 5000)
            return
        if on and w.run.running:
            w.pause()
            w.statusBar().showMessage("Training paused for the backward stepper", 5000)
        if not on:  # (the plots keep their size: nothing jumps when the stepper toggles)
            w.stepper_panel.close_stepper()
        self._followed = None
        w.stepper_panel.setVisible(on)
        w.stepper_panel.caption_area.setVisible(on)
        if on:
            self.show_side_panel(True)
        self.request()
        self.update_stepper_actions()

    def _stepper_job(self, job):
        """The stepper's graph job for `job`'s sample; `job` itself while the graph cannot
        show the stepper (neuron view), with the reason in the stepper's panel."""
        stepper_job = self.w.stepper_panel.prepare(job)  # builds nothing big (see there)
        self.update_stepper_actions()
        return stepper_job or job

    def update_stepper_actions(self):
        for action in self.w.stepper_actions:
            action.setEnabled(self.stepping)

    @Slot()
    def _on_stepper_panel_ops_view_requested(self):
        self.w.graph_panel.mode.setCurrentText("ops")

    def _follow_current_node(self):
        """After a step, scroll the graph to the node it explains (zoomed in to read it,
        on the first frame of a stepper); zooming out later is left alone."""
        panel = self.w.stepper_panel
        where = (panel.stepper, panel.stepper.position)
        if where == self._followed:
            return
        first = self._followed is None or self._followed[0] is not panel.stepper
        self._followed = where
        self.w.graph_view.follow(panel.focus_ids(), READABLE_ZOOM if first else 0.0)

    # ---- the node inspector ----

    @Slot(bool)
    def show_side_panel(self, visible):
        """The stepper's list, the inspector and the gradient check beside the graph."""
        self.w.side_splitter.setVisible(visible)
        self.w.side_action.setChecked(visible)

    @Slot(str)
    def _on_graph_view_node_clicked(self, sid):
        if self.network.clicked(sid):
            return  # it opened or closed a neuron
        w = self.w
        self._inspected = sid
        w.inspector.pick(w.graph_view.graph, sid)
        self.show_side_panel(True)
        w.side_tabs.setCurrentWidget(w.inspector)
        self._show_inspected()

    @Slot()
    def _show_inspected(self):
        """Show the clicked node with the newest numbers (the stepper's own, while stepping)."""
        w = self.w
        graph = w.graph_view.graph
        if not self._inspected or graph is None or not w.inspector.follows(graph):
            return  # (a node not in this graph: the inspector says so)
        node = graph.node_ids[self._inspected]
        if node.op == HUB_OP or node.index < 0:  # the hub, a column header: not a Value
            w.inspector.show_text(node_tooltip(node))
            return
        lr = (w.run.config or w.run.applied).lr
        panel = w.stepper_panel
        if self.stepping and panel.job.same_sample(graph.job):
            value = panel.topo[node.index]
            stepper = panel.stepper
            state = stepper.state_of(value)
            w.inspector.show_value(value, stepper.name, stepper.root, panel.params, lr, state)
            return
        sample = self._inspected_values.get(graph.job)
        value = sample.topo[node.index]
        names = neuron_names(node, value, sample.names.get)  # a neuron box: "L1.N3"
        w.inspector.show_value(value, names, sample.root, sample.params, lr)

    # ---- the gradient check ----

    @Slot()
    def check_gradients(self):
        """Check the traced sample's gradients in the check thread; the panel shows them."""
        w = self.w
        job = self.job()
        if job is None:
            w.statusBar().showMessage("There is no network to check yet", 5000)
            return
        self._check_id += 1
        self._check_job = job
        self.show_side_panel(True)
        w.side_tabs.setCurrentWidget(w.grad_check)
        w.grad_check.set_busy()
        self.check_worker.wanted = self._check_id  # (an int) a check in progress stops
        self.check_requested.emit(self._check_id, job, w.grad_check.use_torch())

    @Slot()
    def cancel_check(self):
        self._check_id += 1  # an id never sent: the check in progress stops
        self.check_worker.wanted = self._check_id
        self.w.grad_check.show_cancelled()

    @property
    def check_id(self):
        """The id of the latest gradient check asked for."""
        return self._check_id

    @Slot(int, int, int, int)
    def _on_check_worker_yielded(self, request_id, done, total, nudged):
        if request_id == self._check_id:
            self.w.grad_check.show_progress(done, total, nudged)

    @Slot(int, object)
    def _on_check_worker_returned(self, request_id, result):
        if request_id != self._check_id:
            return
        self.w.grad_check.show_result(self._check_job, result)
        self.request()  # to mark the disagreeing nodes

    @Slot(int, str)
    def _on_check_worker_errored(self, request_id, message):
        if request_id == self._check_id:
            self.w.grad_check.show_error(message)

    @Slot(str)
    def _on_grad_check_parameter_clicked(self, label):
        """Show the parameter in the graph (in the neuron view: its neuron)."""
        graph = self.w.graph_view.graph
        if graph is None:
            return
        owner = label.rsplit(".", 1)[0]
        for sid, node in graph.node_ids.items():
            if node.label == label or (node.kind == "neuron" and node.label == owner):
                self.w.graph_view.follow([sid], READABLE_ZOOM)
                return

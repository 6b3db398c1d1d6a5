"""Compare mode in the window: two runs from the same start, trained in lockstep.

`CompareMode(window)` owns the compare view (two boundaries, the graph switch, the table)
and the CompareWorker (train.compare.Comparison in its own thread), and turns the window's
Train, Step and Reset into requests for both runs while it is active. The loss plot shows
both runs, each labelled by what differs ("tanh" / "relu"). Leaving puts the single run back
as it was (its curves, boundary and graph); the compared runs stay in the loss plot's Runs.

The single run is paused, and the settings panel is off, while comparing: the settings of
both runs are the dialog's, and a change of the panel would be a third run.
"""

import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QDialog

from mgdesk.engine import MLP
from mgdesk.gui.compare_dialog import CompareDialog
from mgdesk.gui.compare_view import CompareView
from mgdesk.gui.compare_worker import CompareRequest, CompareWorker
from mgdesk.gui.graph_worker import GraphJob
from mgdesk.gui.run_controller import GATE_MS
from mgdesk.gui.threads import start_thread
from mgdesk.gui.widgets import icon
from mgdesk.train.compare import Variant
from mgdesk.train.run_model import describe_sample

__all__ = ["CompareMode"]

REFRESH_MS = 100  # as the single run: the views redraw at most 10 times a second
GRAPH_MS = 250
SHARED_DATA = ("dataset", "samples", "noise", "test_split", "seed", "csv_path")
TOP_SHARE = 0.5  # of the window's height for the plots in compare mode (the table is there)


class CompareMode(QObject):
    """The window's compare mode; inactive until `start()` (or the Compare action)."""

    start_requested = Signal(object)  # CompareRequest
    run_requested = Signal(int, object, int)  # run id, stop event, step limit
    step_requested = Signal(int)  # generation
    grid_requested = Signal(int)  # generation

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.active = False
        self.worker = None  # made on first use, with its thread
        self.view = CompareView()  # takes the single boundary's place in compare mode
        self.view.hide()
        self._boundary_box = None  # the single run's boundary (with its caption) meanwhile
        self.view.leave_requested.connect(self.leave)
        self.view.graph_run_changed.connect(self._on_view_graph_run_changed)
        self.view.sample_clicked.connect(self._on_view_sample_clicked)
        self.view.boundaries[0].plane_changed.connect(self._on_view_plane_changed)
        self.generation = 0
        self.run_id = 0
        self.stop = threading.Event()
        self.running = False
        self.variants = ()  # Variant per run (config, label, short label)
        self.data = None
        self.models = ()  # per run: the latest model dict
        self.velocities = ()
        self.histories = []  # per run: every StepStats, in order
        self.figures = ()
        self.failures = ()
        self.step = 0
        self.ready = False  # the runs of the latest start are built
        self._told = set()  # runs whose failure was said
        self._pending = []  # per run: StepStats not drawn yet
        self._pending_grids = None
        self._pending_figures = None
        self._refreshed = 0.0
        self._graph_asked = 0.0
        self._sizes = None  # the splitters' sizes before compare mode
        self._refresh_timer = QTimer(self, singleShot=True)
        self._refresh_timer.timeout.connect(self._refresh)
        self._gate_timer = QTimer(self, singleShot=True, interval=GATE_MS)
        self._gate_timer.timeout.connect(window.gate.release)
        self.thread = None  # the CompareWorker's, made with it

    # ---- the worker ----

    def _ensure_worker(self):
        if self.worker is not None:
            return
        window = self.window
        self.worker = CompareWorker(window.gate)
        self.worker.yielded.connect(self._on_worker_yielded)
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.errored.connect(self._on_worker_errored)
        self.start_requested.connect(self.worker.start)
        self.run_requested.connect(self.worker.run)
        self.step_requested.connect(self.worker.step)
        self.grid_requested.connect(self.worker.refresh_grid)
        self.thread = start_thread(self.worker, "mgdesk-compare")

    @property
    def threads(self):
        """The compare thread, once there is one (the window stops it with the others)."""
        return () if self.thread is None else (self.thread,)

    def shutdown(self):
        """Stop training at once (the window stops the thread with the others); the layout
        saved is the single run's."""
        self.stop.set()
        if self.active:
            self._restore_sizes()
        self._refresh_timer.stop()
        self._gate_timer.stop()
        if self.worker is not None:
            self.worker.close()

    # ---- entering and leaving ----

    def open_dialog(self):
        """The Compare action: ask what the second run changes, then start both."""
        window = self.window
        run = window.run
        if run.config is None:
            window.statusBar().showMessage("Fix the setting marked in red, then compare", 5000)
            return False
        # run A is the run shown (the settings it was made with, the rate it trains with
        # now), so its numbers are the single run's, step for step
        config = run.applied.replace(lr=run.config.lr) if run.applied else run.config
        if self.active:  # compare the current run A again, with another change
            config = self.variants[0].config
        dialog = CompareDialog(config, window)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.variants is None:
            return False
        self.start(dialog.variants)
        return True

    def start(self, variants, sessions=(), labels=(), short_labels=()):
        """Compare `variants` (train.compare.Variant) from the seed's start, or go on with
        saved runs (`sessions` with their labels)."""
        window = self.window
        window.run.pause()  # the single run waits, as it is, until compare mode ends
        if window.stepper_action.isChecked():
            window.stepper_action.setChecked(False)
        self.pause()
        self._ensure_worker()
        if sessions:
            variants = [
                Variant(s.config, (), label, short)
                for s, label, short in zip(sessions, labels, short_labels, strict=True)
            ]
        first = variants[0].config
        applied, data = window.run.applied, window.run.data
        same = applied is not None and all(
            getattr(applied, k) == getattr(first, k) for k in SHARED_DATA
        )
        self._enter([v.short_label or v.label for v in variants], variants)
        self.generation += 1
        self.worker.latest_generation = self.generation
        self.worker.request_waiting()
        request = CompareRequest(
            self.generation,
            variants=tuple(variants),
            data=data if same and not sessions else None,
            sessions=tuple(sessions),
            labels=tuple(labels),
            short_labels=tuple(short_labels),
        )
        self.start_requested.emit(request)

    def _enter(self, short_labels, variants):
        window = self.window
        if self.active and self.ready:
            self._keep_runs()
        self.variants = tuple(variants)
        self.ready = False
        self.histories = [[] for _ in variants]
        self._pending = [[] for _ in variants]
        self._pending_grids = self._pending_figures = None
        self.models, self.figures, self.failures, self._told = (), (), (), set()
        self.step = 0
        window.loss_plot.set_runs(short_labels)
        self.view.set_runs(short_labels, [v.config for v in variants])
        self.view.mark_stale()
        if not self.active:
            self.active = True
            self._sizes = (window.top_splitter.sizes(), window.view_splitter.sizes())
            self._boundary_box = window.top_splitter.replaceWidget(1, self.view)
            self._boundary_box.hide()
            self.view.show()
            window.settings_dock.widget().setEnabled(False)
            window.points.set_locked(
                "Points cannot be edited while comparing: both runs train on the same "
                "points. Leave Compare to edit them"
            )
            window.settings_dock.setWindowTitle("Settings · off while comparing")
            height = sum(self._sizes[1])
            top = int(height * TOP_SHARE)
            window.view_splitter.setSizes([top, height - top])
            width = sum(self._sizes[0])
            window.top_splitter.setSizes([int(width * 0.42), width - int(width * 0.42)])
        self.update_actions()

    def _restore_sizes(self):
        if self._sizes is not None:
            self.window.top_splitter.setSizes(self._sizes[0])
            self.window.view_splitter.setSizes(self._sizes[1])

    def _keep_runs(self):
        """The compared runs go to the loss plot's history (with the rates they ended)."""
        runs = []
        for i, variant in enumerate(self.variants):
            config = variant.config
            diverged = bool(self.failures and self.failures[i] is not None)
            runs.append((f"compare: {variant.label}", config, None, diverged))
        self.window.loss_plot.keep_runs(runs)

    @Slot()
    def leave(self):
        """Back to the single run as it was; the compared runs stay under Runs."""
        if not self.active:
            return
        window = self.window
        self.pause()
        self._refresh_timer.stop()
        if self.ready:
            self._keep_runs()
        self.active = False
        self.ready = False
        self.generation += 1  # what the worker still sends is dropped
        if self.worker is not None:
            self.worker.latest_generation = self.generation
        window.top_splitter.replaceWidget(1, self._boundary_box)
        self._boundary_box.show()
        self.view.hide()
        self.view.setParent(None)
        window.settings_dock.widget().setEnabled(True)
        window.points.set_locked("")
        window.settings_dock.setWindowTitle("Settings")
        self._restore_sizes()
        plot = window.loss_plot
        plot.set_runs([None])
        plot.load_history(window.run.history)
        history = window.run.history
        window._update_actions()
        window._show_stats(history[-1] if history else None)
        window.graph.request()

    # ---- train, pause, step, reset (the window's actions while active) ----

    def toggle_training(self):
        if self.running:
            self.pause()
        else:
            self.train()

    def train(self):
        window = self.window
        if self.running or not self.ready:
            return
        if self.failures and all(f is not None for f in self.failures):
            window.statusBar().showMessage("Both runs diverged: press R to start them again", 5000)
            return
        steps = window.panel.steps.value()
        if self.step >= steps:
            self._show_step_limit(steps)
            return
        if window.stepper_action.isChecked():
            window.stepper_action.setChecked(False)
        self.run_id += 1
        self.stop = threading.Event()
        self.running = True
        self.worker.request_waiting()
        self.run_requested.emit(self.run_id, self.stop, steps)
        self.update_actions()

    def _show_step_limit(self, limit):
        raised = min(2 * max(limit, self.step), 1_000_000)
        if self._told and self.window.banner.kind == "error":  # why a run stopped: kept
            self.window.statusBar().showMessage(f"Reached the step limit of {limit:,} steps", 8000)
            return

        def go():
            self.window.banner.clear()
            self.window.panel.steps.setValue(raised)
            self.train()

        self.window._show_banner(
            "info",
            f"<b>The runs reached the step limit</b> of {limit:,} steps.",
            f"Raise to {raised:,} and train",
            go,
        )

    def pause(self):
        self.stop.set()
        if self.running:
            self.running = False
            self.update_actions()

    def step_once(self):
        if not self.ready:
            return
        self.pause()
        self.worker.request_waiting()
        self.step_requested.emit(self.generation)

    def reset(self):
        """Both runs from the start again, with the same settings."""
        if self.variants:
            self.start(self.variants)

    def update_actions(self):
        window = self.window
        running = self.running
        window.train_action.setText("Pause" if running else "Train")
        window.train_action.setIcon(icon("pause" if running else "play"))
        window.train_action.setToolTip(
            "Pause both runs (Space)" if running else "Train both runs (Space)"
        )
        window.train_action.setEnabled(self.ready)
        window.step_action.setEnabled(self.ready)
        window.step_action.setToolTip("One step of both runs (S)")
        window.reset_action.setEnabled(True)
        window.reset_action.setToolTip("Both runs from the start again (R)")

    # ---- news from the worker ----

    @Slot(object)
    def _on_worker_yielded(self, snapshot):
        if snapshot.generation != self.generation or not self.active:
            return
        if snapshot.data is not None:
            self._started(snapshot)
        else:
            self._stepped(snapshot)

    def _started(self, snapshot):
        window = self.window
        self.ready = True
        self.data = snapshot.data
        self.variants = tuple(
            Variant(config, v.changes, label, short)
            for v, config, label, short in zip(
                self.variants, snapshot.configs, snapshot.labels, snapshot.short_labels
            )
        )
        self.histories = [list(h) for h in snapshot.histories]
        self.models, self.failures = snapshot.models, snapshot.failures
        self.velocities = snapshot.velocities
        self.step = snapshot.step
        regression = self.variants[0].config.task == "regression"
        self.view.set_data(snapshot.data, snapshot.box, regression)
        window.loss_plot.set_task(self.variants[0].config.task)
        kind, index = window.run.traced
        size = len(snapshot.data.x_train if kind == "train" else snapshot.data.x_test)
        if index >= size:
            window.run.traced = ("train", 0)
        self.view.set_traced(*window.run.traced)
        for i, history in enumerate(self.histories):
            window.loss_plot.load_history(history, run=i)
        self._show_figures(snapshot.figures)
        self.update_actions()
        self._show_stats()
        window.graph.request()

    def _stepped(self, snapshot):
        for i, stats in enumerate(snapshot.stats):
            self.histories[i].extend(stats)
            self._pending[i].extend(stats)
        self.models, self.step = snapshot.models, snapshot.step
        self.velocities = snapshot.velocities
        self.failures = snapshot.failures
        if snapshot.grids:
            self._pending_grids = snapshot
        if snapshot.figures:
            self._pending_figures = snapshot.figures
        if not self._refresh_timer.isActive():
            wait = REFRESH_MS - 1000 * (time.monotonic() - self._refreshed)
            self._refresh_timer.start(max(0, int(wait)))

    @Slot()
    def _refresh(self):
        if not self.active:
            return
        window = self.window
        window.gate.hold()  # the repaints run without GIL contention (see GuiGate)
        self._gate_timer.start()
        self._refreshed = time.monotonic()
        window.loss_plot.append_runs(self._pending)
        self._pending = [[] for _ in self._pending]
        grids, self._pending_grids = self._pending_grids, None
        if grids is not None:
            for plot, values in zip(self.view.boundaries, grids.grids):
                plot.set_grid(values, grids.grid_size, grids.bounds)
        figures, self._pending_figures = self._pending_figures, None
        if figures is not None:
            self._show_figures(figures)
        self._tell_failures()
        self._show_stats()
        if not self.running or self._refreshed - self._graph_asked >= GRAPH_MS / 1000:
            self._graph_asked = self._refreshed
            window.graph.request()

    def _show_figures(self, figures):
        if figures:
            self.figures = figures
            self.view.set_figures(figures)

    def _tell_failures(self):
        for i, failure in enumerate(self.failures):
            if failure is not None and i not in self._told:
                self._told.add(i)
                label = self.variants[i].short_label or self.variants[i].label
                others = "the other goes on" if len(self._told) < len(self.failures) else ""
                hint = failure.hint[:1].upper() + failure.hint[1:].rstrip(".")
                self.window._show_banner(
                    "error",
                    f"<b>Run {'AB'[i]} ({label}) stopped: {failure.reason}</b>"
                    f"{'; ' + others if others else ''}. {hint}.",
                    "Start both again",
                    self.reset,
                )

    def _show_stats(self):
        labels = self.window.status_labels
        labels["step"].setText(f"step {self.step:,}")
        parts = []
        for variant, history in zip(self.variants, self.histories):
            if history:
                last = history[-1]
                name = variant.short_label or variant.label
                parts.append((name, last.train_loss, last.train_acc))
        labels["loss"].setText(" · ".join(f"{n} {loss:.3g}" for n, loss, _ in parts) or "loss –")
        labels["accuracy"].setText(
            " · ".join(f"{n} {100 * acc:.0f}%" for n, _, acc in parts) or "accuracy –"
        )
        labels["rate"].setText("")
        if "dead" in labels:  # for the runs that have ReLUs
            dead = [
                f"{'AB'[i]} {len(f.dead)}"
                for i, f in enumerate(self.figures)
                if f is not None and self.view.relus(i)
            ]
            labels["dead"].setText("dead ReLUs " + " · ".join(dead) if dead else "")

    @Slot(int, str)
    def _on_worker_finished(self, run_id, why):
        if run_id != self.run_id:
            return
        self.running = False
        self.update_actions()
        self._refresh_timer.stop()
        self._refresh()
        run = self.view.graph_run  # the point worth tracing now under the run drawn
        network = self.window.graph.network
        if network.trace_worst(self.models[run], self.data, self.variants[run].config):
            self.view.set_traced(*self.window.run.traced)
            self.window.graph.request()
        if why == "done":
            self._show_step_limit(self.window.panel.steps.value())

    @Slot(str)
    def _on_worker_errored(self, message):
        self.window._error("Cannot compare these runs", message)
        self.leave()

    # ---- the view ----

    @Slot(int)
    def _on_view_graph_run_changed(self, run):
        self.window.graph.request()

    @Slot(str, int)
    def _on_view_sample_clicked(self, kind, index):
        self.window.trace_sample(kind, index)
        self.view.set_traced(kind, index)

    @Slot(tuple)
    def _on_view_plane_changed(self, plane):
        if self.worker is None:
            return
        self.worker.set_bounds(plane)
        if not self.running and self.ready:
            self.worker.request_waiting()
            self.grid_requested.emit(self.generation)

    def graph_job(self):
        """The GraphJob of the traced sample under the run chosen by the switch, or None."""
        if not self.ready or not self.models or self.data is None:
            return None
        window = self.window
        run = self.view.graph_run
        kind, index = window.run.traced
        data = self.data
        xs, ys = (data.x_train, data.y_train) if kind == "train" else (data.x_test, data.y_test)
        if not 0 <= index < len(xs):
            return None
        x, y = tuple(xs[index]), ys[index]
        variant = self.variants[run]
        config = variant.config
        caption = (
            f"Run {'AB'[run]} ({variant.short_label or variant.label}): loss of {kind} "
            f"sample #{index}:  {describe_sample(x, y, config)}"
        )
        view = window.graph_panel.mode.currentText()
        extra = window.graph.network.job_fields(view)  # the opening and the heatmaps' plane
        extra["features"] = config.input_features
        return GraphJob(self.models[run], x, y, config.loss, view, caption, **extra)

    # ---- sessions ----

    def sessions(self):
        """Every run as an io.Session (settings, model, history, momentum, the points)."""
        from mgdesk.io import Session

        if not self.ready:
            raise ValueError("the compared runs are not built yet")
        return [
            Session(v.config, MLP.from_dict(model), tuple(history), tuple(velocity), self.data)
            for v, model, history, velocity in zip(
                self.variants, self.models, self.histories, self.velocities, strict=True
            )
        ]

    @property
    def labels(self):
        return [v.label for v in self.variants]

    @property
    def short_labels(self):
        return [v.short_label or v.label for v in self.variants]

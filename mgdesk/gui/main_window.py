"""The main window: settings on the left, loss plot and decision boundary on top, graph below.

All training and drawing happen in worker threads (see threads.py); this class only
turns clicks into requests and snapshots into pictures, so the window never freezes.
"""

import html
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mgdesk import __version__
from mgdesk.gui.actions import build_actions, show_shortcuts
from mgdesk.gui.boundary import BoundaryPlot
from mgdesk.gui.check_worker import CheckWorker
from mgdesk.gui.controls import ArchitecturePanel
from mgdesk.gui.file_actions import FileActions, open_settings
from mgdesk.gui.graph_view import READABLE_ZOOM, GraphPanel
from mgdesk.gui.graph_worker import GraphJob, GraphWorker, graph_shape
from mgdesk.gui.highlight import node_tooltip
from mgdesk.gui.inspector import GradCheckPanel, NodeInspector, neuron_names
from mgdesk.gui.loss_plot import LossPlot
from mgdesk.gui.point_editor import PointEditor
from mgdesk.gui.run_controller import RunController
from mgdesk.gui.stepper_panel import StepperPanel
from mgdesk.gui.threads import GuiGate, start_thread, stop_threads
from mgdesk.gui.widgets import Banner, BannerSlot, icon, style_sheet
from mgdesk.io.session import SHARED_DATA
from mgdesk.train import ConfigError, TrainConfig
from mgdesk.train.config import MAX_STEPS
from mgdesk.train.drawn import DRAWN, fit_labels
from mgdesk.viz.trace import HUB_OP, TraceCache

__all__ = ["MainWindow", "open_settings"]  # open_settings: from file_actions, for app.py

GRAPH_MS = 250  # the graph is asked for at most 4 times a second while training
BUSY_AFTER_S = 0.5  # a new layout taking longer than this shows a busy note with Cancel
APPLY_DELAY_MS = 300  # settings edited before the first step are applied after this pause
BANNER_HINT = (
    "Space: Train / Pause · S: one step · R: Reset · B: step through backprop · "
    "F1: every key"
)  # shown where messages appear, while there is none
SIDE_WIDTH = 360  # the stepper's list, the inspector and the gradient check


def _percent(x):
    return "–" if x is None else f"{100 * x:.0f}%"


class MainWindow(QMainWindow):
    """The mgdesk window. Construct with no arguments; call `shutdown()` (closing does)."""

    check_requested = Signal(int, object, bool)  # request id, GraphJob, use PyTorch

    def __init__(self):
        super().__init__()
        self.setWindowTitle("mgdesk — see backpropagation")
        self.setWindowIcon(icon("mgdesk"))
        self.setStyleSheet(style_sheet())
        self._closed = False
        self.gate = GuiGate()  # held after each redraw: the workers wait while it paints
        self.runner = RunController(self.gate, parent=self)  # the run shown, and its thread
        self.run = self.runner.run  # its settings, data, model, history, status
        self._graph_asked = 0.0  # ... and of the last graph request
        self.files = FileActions(self)  # sessions, CSV, exports, saved settings
        self._inspected = ""  # svg id of the node in the inspector
        self._inspected_values = TraceCache()  # the traced sample's Values to inspect
        self._followed = None  # (stepper, position) the graph view last scrolled to
        self._check_id = 0
        self._check_job = None
        self._graph_wanted = None  # the latest GraphJob asked for
        self._graph_since = 0.0  # when a graph of a new layout was asked for
        self.graph_renderer = "auto"  # which program lays graphs out (View > Graph Renderer)
        self._reread_csv = False  # a CSV was imported: the next Reset reads it again

        self._build_views()
        build_actions(self)
        self._update_stepper_actions()
        self._build_status_bar()
        self._start_workers()
        self._apply_timer = QTimer(self, singleShot=True, interval=APPLY_DELAY_MS)
        self._apply_timer.timeout.connect(self._apply_now)
        self._busy_timer = QTimer(self, interval=250)
        self._busy_timer.timeout.connect(self._show_graph_busy)
        try:
            restored_note = self.files.restore_settings()
            self._validate()
            if self.run.config is None:  # settings from last time no longer valid: start plain
                self.panel.set_config(TrainConfig())
            self.reset_to(self.run.config or TrainConfig())
        except BaseException:  # never leave running threads behind ("QThread destroyed…")
            self.shutdown(save=False)  # and keep the settings file as it was
            raise
        if restored_note:
            self.statusBar().showMessage(restored_note, 10000)
        self.graph_view.setFocus()  # so that Space, S and R work at once

    # ---- building ----

    def _build_views(self):
        self.panel = ArchitecturePanel()
        self.panel.changed.connect(self._on_panel_changed)
        self.panel.lr_changed.connect(self._on_panel_lr_changed)
        self.panel.import_csv_requested.connect(self._on_panel_import_csv_requested)
        self.panel.csv_imported.connect(self._on_panel_csv_imported)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.settings_dock = QDockWidget("Settings", self)
        self.settings_dock.setObjectName("settingsDock")
        self.settings_dock.setWidget(scroll)
        self.settings_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.settings_dock)
        scroll.setMinimumWidth(self.panel.sizeHint().width() + 20)  # room for the scroll bar

        self.loss_plot = LossPlot()
        self.boundary = BoundaryPlot()
        self.boundary.sample_clicked.connect(self._on_boundary_sample_clicked)
        self.boundary.plane_changed.connect(self._on_boundary_plane_changed)
        self.points = PointEditor(self.boundary, self.files, self)  # Edit points (E)
        self.points.points_edited.connect(self._on_points_points_edited)
        self.points.note_posted.connect(self._on_points_note_posted)
        self.graph_panel = GraphPanel()
        self.graph_view = self.graph_panel.view
        self.graph_panel.view_mode_changed.connect(self._on_graph_panel_view_mode_changed)
        self.graph_view.view_changed.connect(self._on_graph_view_view_changed)
        self.graph_view.busy.cancel_requested.connect(self.cancel_graph)
        self.graph_view.node_clicked.connect(self._on_graph_view_node_clicked)
        self._build_side()

        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setObjectName("topSplitter")
        self.log_box = QCheckBox("log scale")
        self.log_box.setObjectName("logScaleCheck")
        self.log_box.setToolTip("Loss on a logarithmic axis (L)")
        self.top_splitter.addWidget(
            self._titled(self.loss_plot, "Loss · the previous run stays in grey", self.log_box)
        )
        self.top_splitter.addWidget(
            self._titled(
                self.points.panel,
                "Decision boundary · click a point to trace it",
                self.points.edit_button,
            )  # fmt: skip
        )
        self.top_splitter.setStretchFactor(0, 3)
        self.top_splitter.setStretchFactor(1, 2)
        self.view_splitter = QSplitter(Qt.Orientation.Vertical)
        self.view_splitter.setObjectName("viewSplitter")
        self.view_splitter.addWidget(self.top_splitter)
        self.view_splitter.addWidget(self.graph_panel)
        self.view_splitter.setStretchFactor(0, 2)
        self.view_splitter.setStretchFactor(1, 3)
        for splitter in (self.top_splitter, self.view_splitter):
            splitter.setChildrenCollapsible(False)

        self.banner = Banner()
        self.banner.action_requested.connect(self._on_banner_action_requested)
        self._banner_action = self.reset  # what the banner's button does
        self.banner_slot = BannerSlot(self.banner, BANNER_HINT)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner_slot)
        layout.addWidget(self.view_splitter, 1)
        self.setCentralWidget(central)
        self.resize(1400, 900)
        self._default_sizes()

    def _build_side(self):
        """Beside the graph: the stepper's list (in stepper mode), then the inspector and
        the gradient check as tabs; the stepper's caption goes under the graph."""
        self.stepper_panel = StepperPanel()
        self.stepper_panel.frame_requested.connect(self._on_stepper_panel_frame_requested)
        self.stepper_panel.moved.connect(self._on_stepper_panel_moved)
        self.stepper_panel.ops_view_requested.connect(self._on_stepper_panel_ops_view_requested)
        self.stepper_panel.hide()
        self.inspector = NodeInspector()
        self.grad_check = GradCheckPanel()
        self.grad_check.check_requested.connect(self.check_gradients)
        self.grad_check.cancel_requested.connect(self.cancel_check)
        self.grad_check.parameter_clicked.connect(self._on_grad_check_parameter_clicked)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.addTab(self.inspector, "Inspector")
        self.side_tabs.addTab(self.grad_check, "Gradient check")
        self.side_splitter = QSplitter(Qt.Orientation.Vertical)
        self.side_splitter.setObjectName("sideSplitter")
        self.side_splitter.addWidget(self.stepper_panel)
        self.side_splitter.addWidget(self.side_tabs)
        self.side_splitter.setChildrenCollapsible(False)
        self.side_splitter.setStretchFactor(0, 1)
        self.side_splitter.setStretchFactor(1, 1)
        self.graph_panel.add_side_widget(self.side_splitter)
        self.side_splitter.hide()  # the graph gets the room until a node is inspected
        self.graph_panel.set_footer(self.stepper_panel.caption)
        self.stepper_panel.caption.hide()

    @staticmethod
    def _titled(widget, title, extra=None):
        """`widget` under a caption line (with an optional control at its right)."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        label = QLabel(title)
        label.setProperty("role", "caption")
        label.setToolTip(title)
        # cut at the edge when the window is narrow, rather than widen it
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 2)
        header.addWidget(label, 1)
        if extra is not None:
            header.addWidget(extra)
        layout.addLayout(header)
        layout.addWidget(widget, 1)
        return box

    def _build_status_bar(self):
        self.status_labels = {}
        for name, width in (("step", 80), ("loss", 130), ("accuracy", 120), ("rate", 80)):
            label = QLabel()
            label.setObjectName(f"status{name.capitalize()}")
            label.setMinimumWidth(width)
            self.statusBar().addPermanentWidget(label)
            self.status_labels[name] = label
        self._show_stats(None)

    def _start_workers(self):
        self.runner.reset_shown.connect(self._on_runner_reset_shown)
        self.runner.grid_shown.connect(self._on_runner_grid_shown)
        self.runner.steps_shown.connect(self._on_runner_steps_shown)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.refused.connect(self._on_runner_refused)
        self.runner.finished.connect(self._on_runner_finished)
        self.graph_worker = GraphWorker(self.gate)
        self.graph_worker.returned.connect(self._on_graph_worker_returned)
        self.graph_worker.errored.connect(self._on_graph_worker_errored)
        self.check_worker = CheckWorker()
        self.check_worker.returned.connect(self._on_check_worker_returned)
        self.check_worker.errored.connect(self._on_check_worker_errored)
        self.check_worker.yielded.connect(self._on_check_worker_yielded)
        self.check_requested.connect(self.check_worker.check)
        self._threads = [
            self.runner.thread,
            start_thread(self.graph_worker, "mgdesk-graph"),
            start_thread(self.check_worker, "mgdesk-check"),
        ]

    @property
    def train_worker(self):
        """The TrainWorker of the run shown (it lives in the training thread)."""
        return self.runner.worker

    @property
    def threads(self):
        """The window's worker threads (all finished once `shutdown()` returns)."""
        return tuple(self._threads)

    # ---- state shown in the actions ----

    @property
    def running(self):
        return self.run.running

    @property
    def step_count(self):
        """Updates done by the network shown (as of the latest snapshot)."""
        return self.run.step

    @property
    def ready(self):
        """True once the network of the latest Reset is built."""
        return self.run.ready

    def _show_banner(self, kind, html, action="", then=None):
        """A message where the user looks; its button (if any) calls `then` (else Reset)."""
        self._banner_action = then or self.reset
        self.banner.show_message(kind, html, action)

    @Slot()
    def _on_banner_action_requested(self):
        self._banner_action()

    def _update_actions(self):
        running, can_train = self.run.running, self.run.can_train
        self.train_action.setEnabled(running or can_train)
        self.train_action.setText("Pause" if running else "Train")
        self.train_action.setIcon(icon("pause" if running else "play"))
        if self.run.config is None:
            self.train_action.setToolTip("Fix the setting marked in red first")
        else:
            self.train_action.setToolTip("Pause (Space)" if running else "Train (Space)")
        self.step_action.setEnabled(can_train)  # Step trains too: the same rule as Train
        self.step_action.setToolTip(
            "Fix the setting marked in red first" if self.run.config is None else "One update (S)"
        )
        self.reset_action.setEnabled(self.run.config is not None)

    def _show_stats(self, stats):
        labels = self.status_labels
        labels["step"].setText(f"step {self.run.step:,}")
        if stats is None:
            labels["loss"].setText("loss –")
            labels["accuracy"].setText("accuracy –")
            labels["rate"].setText("")
            return
        test = "" if stats.test_loss is None else f"  (test {stats.test_loss:.4g})"
        labels["loss"].setText(f"loss {stats.train_loss:.4g}{test}")
        test = "" if stats.test_acc is None else f"  (test {_percent(stats.test_acc)})"
        labels["accuracy"].setText(f"accuracy {_percent(stats.train_acc)}{test}")
        rate = self.run.steps_per_second(time.monotonic())
        labels["rate"].setText(f"{rate:,.0f} steps/s" if rate is not None else "")

    # ---- settings edited ----

    def _validate(self):
        """Check the controls; mark a bad field and disable Train. Returns the config or None."""
        try:
            config = self.panel.config()
            if config.dataset == DRAWN:
                fit_labels(self.points.data, config)  # the classes of the points drawn
        except ConfigError as exc:
            self.run.config = None
            self.banner.clear("info")  # "Train goes on with the current one" no longer holds
            if not self.panel.mark_error(exc.field, exc.message):
                self._show_banner("warning", f"<b>Setting not valid:</b> {exc.message}")
            self._update_actions()
            return None
        self.panel.clear_errors()
        if self.banner.isVisible() and self.banner.kind == "warning":
            self.banner.clear()
        self.run.config = config
        self._update_actions()
        return config

    @Slot()
    def _on_panel_changed(self):
        config = self._validate()
        edit = self.run.edit(config)
        if edit is None:
            return
        self.runner.set_lr(config.lr)  # live, also when set_config() changed it
        if not edit.changed:
            self._apply_timer.stop()
            self.banner.clear("info")
            return
        if not edit.on_reset:
            if edit.apply_now:
                self._apply_timer.start()  # nothing trained yet: show the new network at once
            return
        names = self.run.field_names(edit.changed)
        self.statusBar().showMessage(f"Changed {names}: applies on Reset", 5000)
        if not self.run.failed:  # else the error banner stays: it already asks for a Reset
            self._show_banner(
                "info",
                f"You changed <b>{names}</b>: this makes a new network, so it applies when "
                "you press <b>Reset</b> (R). Until then Train goes on with the current one.",
                "Reset now",
            )

    @Slot()
    def _apply_now(self):
        run = self.run
        if run.config is not None and not run.running and run.step == 0:
            self.reset_to(run.config)
        else:
            self._on_panel_changed()  # training started meanwhile: tell what is pending

    @Slot(float)
    def _on_panel_lr_changed(self, lr):
        self.runner.set_lr(lr)

    @Slot()
    def _on_panel_import_csv_requested(self):
        QTimer.singleShot(0, self.import_csv)  # after the combo box has settled

    # ---- train / pause / step / reset ----

    @Slot()
    def toggle_training(self):
        if self.run.running:
            self.pause()
        else:
            self.train()

    def train(self):
        run = self.run
        if run.running or not run.can_train:
            return
        if self.stepper_action.isChecked():
            self.stepper_action.setChecked(False)
            self.statusBar().showMessage(
                "Backward stepper closed: training changes the network", 5000
            )
        if self._no_training_points():
            return
        if run.at_step_limit:  # nothing to do: say so where the user looks
            self._show_step_limit()
            return
        if self.banner.kind == "info" and "step limit" in self.banner.text.text():
            self.banner.clear()
        self.runner.train(self.panel.lr.value())
        self._update_actions()

    def pause(self):
        if self.runner.pause():
            self._update_actions()

    @Slot()
    def step(self):
        if self._no_training_points():
            return
        if self.run.can_train:
            self.pause()
        self.runner.step(self.panel.lr.value())

    @Slot()
    def reset(self):
        """A fresh network with the current settings; the finished run becomes the ghost."""
        self.pause()
        if self.run.config is None:
            self.statusBar().showMessage("Fix the setting marked in red, then press Reset", 5000)
            return
        self.reset_to(self.run.config)

    def reset_to(self, config, model=None, history=(), data=None, velocity=()):
        """A new network with `config`, or a saved run: its model, history, points, momentum."""
        self._apply_timer.stop()
        self.pause()
        if data is None:
            data = self._points_kept(config)
        self.runner.reset(config, model, history, data, velocity)
        self.boundary.mark_stale()  # the old picture is not the new network's
        if self.statusBar().currentMessage().endswith("applies on Reset"):
            self.statusBar().clearMessage()  # it is applied now
        if self.banner.kind in ("info", "error"):
            self.banner.clear()
        self._update_actions()

    # ---- news from the training thread (through the RunController) ----

    @Slot(object)
    def _on_runner_reset_shown(self, snapshot):
        if self.run.ghost is not None:  # (None: the reset was refused, the run goes on)
            self.loss_plot.new_run(self.run.ghost)
        self.boundary.set_data(snapshot.data, snapshot.box)
        self.points.set_shown(snapshot.data, snapshot.config)
        self.boundary.set_traced(*self.run.traced)
        self.loss_plot.load_history(snapshot.history)
        if not self.run.failed:
            self._request_graph()
        self._show_stats(snapshot.history[-1] if snapshot.history else None)
        self._on_panel_changed()  # settings edited meanwhile?
        self._update_actions()

    @Slot(object, int, object)
    def _on_runner_grid_shown(self, grid, size, bounds):
        self.boundary.set_grid(grid, size, bounds)

    @Slot(tuple)
    def _on_runner_steps_shown(self, stats):
        """What the snapshots since the last refresh brought, in one go."""
        self.loss_plot.append(stats)
        history = self.run.history
        self._show_stats(history[-1] if history else None)
        if not self.run.failed and (
            not self.run.running or time.monotonic() - self._graph_asked >= GRAPH_MS / 1000
        ):
            self._request_graph()

    @Slot(str)
    def _on_runner_finished(self, why):
        self._update_actions()
        if why == "done":
            self._show_step_limit()

    def _show_step_limit(self):
        """Say that the step limit is reached where the user looks, offering to raise it."""
        limit = self.panel.steps.value()
        reached = max(limit, self.run.step)  # a limit set below the steps done counts as met
        if reached >= MAX_STEPS:
            self._show_banner("info", f"<b>Reached the step limit</b> of {limit:,} steps.")
            return
        raised = min(MAX_STEPS, 2 * reached)  # past the network's step, so Train trains
        self._show_banner(
            "info",
            f"<b>Reached the step limit</b> of {limit:,} steps: raise it (Step limit, in "
            "Training) to train on.",
            f"Raise to {raised:,} and train",
            lambda: self._raise_step_limit(raised),
        )

    def _raise_step_limit(self, steps):
        self.banner.clear()
        self.panel.steps.setValue(steps)
        self.train()

    @Slot(str, str)
    def _on_runner_failed(self, reason, hint):
        hint = hint[:1].upper() + hint[1:].rstrip(".")
        self._show_banner("error", f"<b>Training paused: {reason}.</b> {hint}.", "Reset")
        self.statusBar().showMessage(f"Training paused: {reason}", 8000)
        self._update_actions()

    @Slot(str, str)
    def _on_runner_refused(self, field, message):
        """A Reset that could not build its network (e.g. the CSV file went away)."""
        self._error("Cannot use these settings", message)

    # ---- points drawn on the boundary plot (gui/point_editor.py) ----

    @Slot(object)
    def _on_points_points_edited(self, data):
        """Points drawn or erased: the network shown trains on them from its next step,
        keeping its weights; the settings now say the data are the drawn points."""
        run = self.run
        if run.applied is None:
            return
        if not data.x_train and run.running:
            self.pause()
            self.statusBar().showMessage("No training point left: training paused", 5000)
        self.runner.set_data(data, run.applied.replace(dataset=DRAWN, csv_path=None))
        self.panel.show_drawn()  # (the same as applied: no "applies on Reset")
        self.boundary.show_points(data)
        kind, index = run.traced
        if index >= len(data.x_train if kind == "train" else data.x_test):
            run.traced = ("train", 0)
        self.boundary.set_traced(*run.traced)
        self._request_graph()

    @Slot(str)
    def _on_points_note_posted(self, message):
        self.statusBar().showMessage(message, 6000)

    def _points_kept(self, config):
        """The points a Reset with `config` keeps (None: make them from the settings):
        the drawn points, or the points shown when no data setting changed, so that an
        edited CSV file changes nothing until it is imported again."""
        if config.dataset == DRAWN:  # (drawn points are not made from the settings)
            return fit_labels(self.points.data, config)  # (checked in _validate)
        run, reread, self._reread_csv = self.run, self._reread_csv, False
        if reread or not run.ready or run.applied is None:
            return None
        same = all(getattr(config, k) == getattr(run.applied, k) for k in SHARED_DATA)
        return run.data if same else None

    @Slot(str)
    def _on_panel_csv_imported(self, path):
        """A CSV file imported: the next Reset reads it, also when it is the same file
        again (its points may have been edited)."""
        self._reread_csv = True
        applied = self.run.applied
        if applied is None or applied.dataset != "csv" or applied.csv_path != path:
            return  # a new file: a change of the settings like any other
        if not self.run.running and self.run.step == 0:
            self._apply_timer.start()
            return
        self._show_banner(
            "info",
            f"You imported <b>{html.escape(Path(path).name)}</b> again: its points apply "
            "when you press <b>Reset</b> (R).",
            "Reset now",
        )

    def _no_training_points(self):
        """True (and say so) when the data have no training point to learn from."""
        if self.run.data is None or self.run.data.x_train:
            return False
        self._show_banner(
            "info",
            "<b>No training points.</b> Draw some on the boundary plot: <b>Edit points</b> "
            "(E), then click.",
        )
        return True

    # ---- the traced sample and its graph ----

    @Slot(str, int)
    def _on_boundary_sample_clicked(self, kind, index):
        self.trace_sample(kind, index)

    @Slot(tuple)
    def _on_boundary_plane_changed(self, plane):
        self.runner.set_plane(plane)

    def trace_sample(self, kind, index):
        """Make point `index` of the train or test set the one the graph view draws."""
        self.run.traced = (kind, index)
        self.boundary.set_traced(kind, index)
        self._request_graph()

    @property
    def traced_sample(self):
        return self.run.traced

    def _graph_job(self):
        """The GraphJob of the traced sample under the latest network, or None."""
        sample = self.run.traced_sample()
        if sample is None:
            return None
        x, y, caption = sample
        view = self.graph_panel.mode.currentText()
        return GraphJob(self.run.model, x, y, self.run.applied.loss, view, caption)

    def _request_graph(self):
        job = self._graph_job()
        if job is None:
            data = self.run.data
            if data is not None and not data.x_train and not data.x_test:
                self.graph_view.clear_graph("No point to trace: draw some (Edit points, E)")
            return
        self._graph_asked = time.monotonic()
        if self.stepper_action.isChecked():
            job = self._stepper_job(job)
        job = replace(job, marked=self.grad_check.marked(job))
        shown = self.graph_view.graph
        if graph_shape(job) != graph_shape(self._graph_wanted):
            self._graph_since = time.monotonic()
        self._graph_wanted = job
        if shown is None or graph_shape(shown.job) != graph_shape(job):
            self._busy_timer.start()  # a new layout: say so if it takes a while
        self.graph_worker.request(job)

    @Slot()
    def _show_graph_busy(self):
        """While a new layout is on its way, dim the old picture and say what is coming."""
        job, shown = self._graph_wanted, self.graph_view.graph
        waiting = job is not None and (shown is None or graph_shape(shown.job) != graph_shape(job))
        elapsed = time.monotonic() - self._graph_since
        if not waiting:
            self._busy_timer.stop()
            self.graph_view.show_busy("")
        elif elapsed >= BUSY_AFTER_S:
            view = {"auto": "graph", "ops": "ops view", "neurons": "neuron view"}[job.view]
            layers = ",".join(map(str, job.model["nouts"][:-1])) or "no hidden layer"
            self.graph_view.show_busy(
                f"Laying out the {view} of the network {layers}… {elapsed:.0f} s. "
                "The picture under this is the previous one."
            )

    @Slot()
    def cancel_graph(self):
        """Stop the layout in progress; the header and the picture then agree again."""
        self.graph_worker.cancel()
        self._busy_timer.stop()
        self.graph_view.show_busy("")
        self._graph_wanted = None
        if self.graph_panel.mode.currentText() != "auto":
            self.statusBar().showMessage("Layout cancelled: back to the “auto” view", 8000)
            self.graph_panel.mode.setCurrentText("auto")  # asks for that graph
            return
        self.graph_view.clear_graph(
            "Drawing cancelled. Choose the neurons view or a smaller network, or press F."
        )
        self.graph_panel.set_caption("No graph", "drawing cancelled")

    @Slot(str)
    def _on_graph_panel_view_mode_changed(self, mode):
        self.mode_actions[mode].setChecked(True)
        self._request_graph()

    @Slot(float, tuple)
    def _on_graph_view_view_changed(self, scale, rect):
        self.graph_worker.request_view(scale, rect)

    @Slot(object)
    def _on_graph_worker_returned(self, graph):
        if graph_shape(graph.job) != graph_shape(self._graph_wanted):
            return  # a layout that was cancelled or asked for before the latest one
        self.graph_view.show_graph(graph)
        self._show_graph_busy()
        note = f"{graph.view} view · {graph.node_count:,} boxes"
        if graph.message:  # why "auto" chose this view
            note = f"{graph.message} · {graph.node_count:,} boxes"
        self.graph_panel.set_caption(graph.job.caption, note)
        self.grad_check.note_shown(graph.job)
        if graph.job.graph is not None and self.stepper_panel.ready:
            self._follow_current_node()
        self._show_inspected()

    @Slot(str)
    def _on_graph_worker_errored(self, message):
        self._busy_timer.stop()
        self.graph_view.show_busy("")
        self.graph_view.clear_graph(f"Could not draw the graph: {message}")
        self.graph_panel.set_caption("No graph", message)

    # ---- the backward stepper ----

    @property
    def stepping(self):
        """True in stepper mode with the graph able to show it."""
        return self.stepper_action.isChecked() and self.stepper_panel.ready

    def set_stepper(self, on):
        """Stepper mode on or off; turning it on pauses training."""
        if on and self._graph_job() is None:
            self.stepper_action.setChecked(False)
            self.statusBar().showMessage("There is no network to step through yet", 5000)
            return
        if on and self.run.running:
            self.pause()
            self.statusBar().showMessage("Training paused for the backward stepper", 5000)
        if not on:  # (the plots keep their size: nothing jumps when the stepper toggles)
            self.stepper_panel.close_stepper()
        self._followed = None
        self.stepper_panel.setVisible(on)
        self.stepper_panel.caption.setVisible(on)
        if on:
            self.show_side_panel(True)
        self._request_graph()
        self._update_stepper_actions()

    def _stepper_job(self, job):
        """The stepper's graph job for `job`'s sample; `job` itself while the graph cannot
        show the stepper (neuron view), with the reason in the stepper's panel."""
        stepper_job = self.stepper_panel.prepare(job)  # builds nothing big (see there)
        self._update_stepper_actions()
        return stepper_job or job

    def _update_stepper_actions(self):
        for action in self.stepper_actions:
            action.setEnabled(self.stepping)

    @Slot()
    def _on_stepper_panel_frame_requested(self):
        self._request_graph()

    @Slot()
    def _on_stepper_panel_moved(self):
        self._show_inspected()

    @Slot()
    def _on_stepper_panel_ops_view_requested(self):
        self.graph_panel.mode.setCurrentText("ops")

    def _follow_current_node(self):
        """After a step, scroll the graph to the node it explains (zoomed in to read it,
        on the first frame of a stepper); zooming out later is left alone."""
        panel = self.stepper_panel
        where = (panel.stepper, panel.stepper.position)
        if where == self._followed:
            return
        first = self._followed is None or self._followed[0] is not panel.stepper
        self._followed = where
        self.graph_view.follow(panel.focus_ids(), READABLE_ZOOM if first else 0.0)

    # ---- the node inspector ----

    @Slot(bool)
    def show_side_panel(self, visible):
        """The stepper's list, the inspector and the gradient check beside the graph."""
        self.side_splitter.setVisible(visible)
        self.side_action.setChecked(visible)

    @Slot(str)
    def _on_graph_view_node_clicked(self, sid):
        self._inspected = sid
        self.inspector.pick(self.graph_view.graph, sid)
        self.show_side_panel(True)
        self.side_tabs.setCurrentWidget(self.inspector)
        self._show_inspected()

    def _show_inspected(self):
        """Show the clicked node with the newest numbers (the stepper's own, while stepping)."""
        graph = self.graph_view.graph
        if not self._inspected or graph is None or not self.inspector.follows(graph):
            return  # (a node not in this graph: the inspector says so)
        node = graph.node_ids[self._inspected]
        if node.op == HUB_OP or node.index < 0:  # the hub, a column header: not a Value
            self.inspector.show_text(node_tooltip(node))
            return
        lr = (self.run.config or self.run.applied).lr
        panel = self.stepper_panel
        if self.stepping and panel.job.same_sample(graph.job):
            value = panel.topo[node.index]
            self.inspector.show_value(
                value,
                panel.stepper.name,
                panel.stepper.root,
                panel.params,
                lr,
                panel.stepper.state_of(value),
            )
            return
        sample = self._inspected_values.get(graph.job)
        value = sample.topo[node.index]
        names = neuron_names(node, value, sample.names.get)  # a neuron box: "L1.N3"
        self.inspector.show_value(value, names, sample.root, sample.params, lr)

    # ---- the gradient check ----

    @Slot()
    def check_gradients(self):
        """Check the traced sample's gradients in the check thread; the panel shows them."""
        job = self._graph_job()
        if job is None:
            self.statusBar().showMessage("There is no network to check yet", 5000)
            return
        self._check_id += 1
        self._check_job = job
        self.show_side_panel(True)
        self.side_tabs.setCurrentWidget(self.grad_check)
        self.grad_check.set_busy()
        self.check_worker.wanted = self._check_id  # (an int) a check in progress stops
        self.check_requested.emit(self._check_id, job, self.grad_check.use_torch())

    @Slot()
    def cancel_check(self):
        self._check_id += 1  # an id never sent: the check in progress stops
        self.check_worker.wanted = self._check_id
        self.grad_check.show_cancelled()

    @Slot(int, int, int, int)
    def _on_check_worker_yielded(self, request_id, done, total, nudged):
        if request_id == self._check_id:
            self.grad_check.show_progress(done, total, nudged)

    @Slot(int, object)
    def _on_check_worker_returned(self, request_id, result):
        if request_id != self._check_id:
            return
        self.grad_check.show_result(self._check_job, result)
        self._request_graph()  # to mark the disagreeing nodes

    @Slot(str)
    def _on_grad_check_parameter_clicked(self, label):
        """Show the parameter in the graph (in the neuron view: its neuron)."""
        graph = self.graph_view.graph
        if graph is None:
            return
        owner = label.rsplit(".", 1)[0]
        for sid, node in graph.node_ids.items():
            if node.label == label or (node.kind == "neuron" and node.label == owner):
                self.graph_view.follow([sid], READABLE_ZOOM)
                return

    @Slot(int, str)
    def _on_check_worker_errored(self, request_id, message):
        if request_id == self._check_id:
            self.grad_check.show_error(message)

    # ---- files (gui/file_actions.py) ----

    def _error(self, title, message):
        self.files.error(title, message)

    def current_session(self):
        """The run as File > Save Session writes it (ValueError when there is no network)."""
        return self.files.current_session()

    def open_session(self, path=None):
        return self.files.open_session(path)

    def save_session(self, path=None):
        return self.files.save_session(path)

    def import_csv(self, path=None):
        return self.files.import_csv(path)

    def export_graph(self, fmt, path=None):
        return self.files.export_graph(fmt, path)

    def export_history(self, path=None):
        return self.files.export_history(path)

    def export_loss_plot(self, path=None):
        return self.files.export_loss_plot(path)

    def export_script(self, path=None):
        return self.files.export_script(path)

    def export_torch_script(self, path=None):
        return self.files.export_torch_script(path)

    def check_my_engine(self):
        """Backprop > Check My Engine: the learner's own Value class against mgdesk's."""
        from mgdesk.gui.engine_check_dialog import open_engine_check

        return open_engine_check(self)

    # ---- help ----

    def show_shortcuts(self):
        show_shortcuts(self)

    def show_about(self):
        QMessageBox.about(
            self,
            "About mgdesk",
            f"<h3>mgdesk {__version__}</h3><p>A desktop playground to see backpropagation: "
            "a micrograd-style scalar engine trains a small MLP in a background thread while "
            "the loss, the decision boundary and the computational graph of one sample "
            "update live.</p>",
        )

    def restore_layout(self):
        self.settings_dock.show()
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.settings_dock)
        self._default_sizes()
        self.graph_view.fit()

    def _default_sizes(self):
        """Loss plot and a near-square boundary on top (~40%), the graph below."""
        top = int(self.height() * 0.4)
        self.view_splitter.setSizes([top, self.height() - top])
        width = max(self.top_splitter.width(), self.width() - 330)
        self.top_splitter.setSizes([width - top - 30, top + 30])
        self.graph_panel.splitter.setSizes([width - SIDE_WIDTH, SIDE_WIDTH])

    # ---- settings ----

    def set_graph_renderer(self, name):
        """Lay graphs out with the bundled graphviz-pure, the system `dot`, or either."""
        self.graph_renderer = name
        self.renderer_actions[name].setChecked(True)
        self.graph_worker.set_renderer(name)

    # ---- shutting down ----

    def shutdown(self, save=True):
        """Stop the worker threads (≤ 1 s) and save the settings; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self.runner.close()
        self._apply_timer.stop()
        self._busy_timer.stop()
        self.graph_worker.close()
        self.check_worker.close()
        try:
            if save:
                self.files.save_settings()
        except OSError:
            pass  # settings are a convenience; never block closing
        stop_threads(self._threads)

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)

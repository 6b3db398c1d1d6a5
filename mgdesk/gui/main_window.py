"""The main window: settings on the left, loss plot and decision boundary on top, graph below.

All training and drawing happen in worker threads (see threads.py); the window is
composition: its widgets (window_layout.py), the actions (actions.py), one RunController
for the run shown (run_controller.py), the graph area (graph_area.py) and the files
(file_actions.py). What is left here turns clicks into requests and news into messages.
"""

import time

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QMainWindow, QMessageBox

from mgdesk import __version__
from mgdesk.gui.actions import build_actions, show_shortcuts
from mgdesk.gui.compare_mode import CompareMode
from mgdesk.gui.compare_view import dead_relu_text
from mgdesk.gui.data_area import DataArea
from mgdesk.gui.file_actions import FileActions, open_settings
from mgdesk.gui.graph_area import GraphArea
from mgdesk.gui.run_controller import RunController
from mgdesk.gui.threads import GuiGate, stop_threads
from mgdesk.gui.widgets import icon, style_sheet
from mgdesk.gui.window_layout import build_status_bar, build_views, default_sizes
from mgdesk.train import ConfigError, TrainConfig
from mgdesk.train.config import MAX_STEPS

# open_settings: from file_actions, for app.py
__all__ = ["MINIMUM_SIZE", "MainWindow", "open_settings"]

GRAPH_MS = 250  # the graph is asked for at most 4 times a second while training
APPLY_DELAY_MS = 300  # settings edited before the first step are applied after this pause

MINIMUM_SIZE = (960, 640)  # below this the panels and buttons would overlap and cut


def _percent(x):
    return "–" if x is None else f"{100 * x:.0f}%"


class MainWindow(QMainWindow):
    """The mgdesk window. Construct with no arguments; call `shutdown()` (closing does)."""

    def __init__(self):
        super().__init__()
        self.setWindowTitle("mgdesk — see backpropagation")
        self.setWindowIcon(icon("mgdesk"))
        self.setStyleSheet(style_sheet())
        self.setMinimumSize(*MINIMUM_SIZE)
        self._closed = False
        self.files = FileActions(self)  # sessions, CSV, exports, saved settings
        self.graph_renderer = "auto"  # which program lays graphs out (View > Graph Renderer)
        self._banner_action = self.reset  # what the banner's button does
        self.gate = GuiGate()  # held after each redraw: the workers wait while it paints
        self.runner = RunController(self.gate, parent=self)  # the run shown, and its thread
        self.run = self.runner.run  # its settings, data, model, history, status
        self.graph = None  # the graph area, once built
        self._dead = ((), 0.0, "")  # (network, step), when, the dead-ReLU count's text
        self._edited_at = -1  # the step at which the points were last edited (-1: never)
        try:
            build_views(self)
            self.compare = CompareMode(self)  # two runs side by side (the Compare action)
            build_actions(self)
            build_status_bar(self)
            self._apply_timer = QTimer(self, singleShot=True, interval=APPLY_DELAY_MS)
            self._apply_timer.timeout.connect(self._apply_now)
            for news in ("reset_shown", "grid_shown", "steps_shown", "failed", "refused"):
                getattr(self.runner, news).connect(getattr(self, f"_on_runner_{news}"))
            self.runner.finished.connect(self._on_runner_finished)
            self.graph = GraphArea(self)  # graph, stepper, inspector, gradient check + threads
            self.data_area = DataArea(self)  # points drawn, and the points a Reset keeps
            self.graph.update_stepper_actions()
            self._show_stats(None)
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

    # ---- the workers (for tests and tools) ----

    @property
    def threads(self):
        """The window's worker threads (all finished once `shutdown()` returns)."""
        threads = (self.runner.thread, *(self.graph.threads if self.graph else ()))
        return threads + self.compare.threads

    @property
    def train_worker(self):
        """The TrainWorker of the run shown (it lives in the training thread)."""
        return self.runner.worker

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
        if self.compare.active:
            return self.compare.update_actions()
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
        labels["dead"].setText(self._dead_text())
        if stats is None:
            labels["loss"].setText("loss –")
            labels["accuracy"].setText("accuracy –")
            labels["rate"].setText("")
            return
        test = "" if stats.test_loss is None else f"  (test {stats.test_loss:.4g})"
        labels["loss"].setText(f"loss {stats.train_loss:.4g}{test}")
        name, shown = "accuracy", _percent
        if self.run.applied is not None and self.run.applied.task == "regression":
            name, shown = "R²", "{:.3f}".format  # how much of y's variance the curve explains
        test = "" if stats.test_acc is None else f"  (test {shown(stats.test_acc)})"
        before = " · before your point edit" if stats.step <= self._edited_at else ""
        labels["accuracy"].setText(f"{name} {shown(stats.train_acc)}{test}{before}")
        rate = self.run.steps_per_second(time.monotonic())
        labels["rate"].setText(f"{rate:,.0f} steps/s" if rate is not None else "")

    def show_points_edited(self):
        """The points changed under the network shown: the loss and accuracy shown are of
        the points before the edit until the next step (the dead ReLUs are counted again)."""
        run = self.run
        self._edited_at = run.step
        self._show_stats(run.history[-1] if run.history else None)

    def _dead_text(self):
        """'dead ReLUs 3 of 32' for the network shown, counted at most twice a second."""
        run, now = self.run, time.monotonic()
        key = (run.generation, run.step, id(run.model), id(run.data))
        shown, when, text = self._dead
        if key != shown and (now - when >= 0.5 or not run.running):
            text = dead_relu_text(run.model, run.data, run.applied)
            self._dead = (key, now, text)
        return text

    # ---- settings edited ----

    def _validate(self):
        """Check the controls; mark a bad field and disable Train. Returns the config or None."""
        try:
            config = self.panel.config()
            self.data_area.check(config)  # drawn points of more classes than set, ...
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
        if config is not None and self.run.running and config.steps != self.runner.limit:
            self.pause()  # the step limit applies at once: train on to the new one (at or
            self.train()  # below the steps done, the step-limit banner says so)
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
        QTimer.singleShot(0, self.files.import_csv)  # after the combo box has settled

    # ---- train / pause / step / reset ----

    @Slot()
    def toggle_training(self):
        if self.compare.active:
            return self.compare.toggle_training()
        if self.run.running:
            self.pause()
        else:
            self.train()

    def train(self):
        if self.compare.active:
            return self.compare.train()
        run = self.run
        if run.running or not run.can_train:
            return
        if self.stepper_action.isChecked():
            self.stepper_action.setChecked(False)
            self.statusBar().showMessage(
                "Backward stepper closed: training changes the network", 5000
            )
        if self.data_area.refuse_empty():
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
        self.compare.pause()

    @Slot()
    def step(self):
        if self.compare.active:
            return self.compare.step_once()
        if self.data_area.refuse_empty():
            return
        if self.run.can_train:
            self.pause()
        self.runner.step(self.panel.lr.value())

    @Slot()
    def reset(self):
        """A fresh network with the current settings; the finished run joins the kept runs
        (in compare mode: both runs from the start again)."""
        if self.compare.active:
            return self.compare.reset()
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
            data = self.data_area.kept(config)  # (None: made from the settings)
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
            config, diverged = self.run.ghost_settings  # with the rate it ended with
            self.loss_plot.new_run(None if config else self.run.ghost, config, None, diverged)
        regression = snapshot.config.task == "regression"
        self.loss_plot.set_task(snapshot.config.task)
        self.boundary.set_data(snapshot.data, snapshot.box, regression)
        self.points.set_shown(snapshot.data, snapshot.config)
        self.boundary.set_traced(*self.run.traced)
        self.graph.network.reset()  # the worst point of the new network, default opening
        self.stepper_panel.new_network()  # ... and the stepper (if on) from its start
        self.loss_plot.load_history(snapshot.history)
        self._edited_at = -1
        if not self.run.failed:
            self.graph.request()
        self._show_stats(snapshot.history[-1] if snapshot.history else None)
        self._on_panel_changed()  # settings edited meanwhile?
        self._update_actions()

    @Slot(object, int, object)
    def _on_runner_grid_shown(self, grid, size, bounds):
        self.boundary.set_grid(grid, size, bounds)
        if self.run.failed:  # the weights the trainer kept: the step before the failure
            self.boundary.show_note(
                f"The network of step {self.run.step:,}, the last with finite numbers"
            )

    @Slot(tuple)
    def _on_runner_steps_shown(self, stats):
        """What the snapshots since the last refresh brought, in one go."""
        if self.compare.active:  # the single run's last steps: drawn when compare mode ends
            return
        self.loss_plot.append(stats)
        history = self.run.history
        self._show_stats(history[-1] if history else None)
        if not self.run.failed and (
            not self.run.running or time.monotonic() - self.graph.asked >= GRAPH_MS / 1000
        ):
            self.graph.request()

    @Slot(str)
    def _on_runner_finished(self, why):
        self._update_actions()
        if self.graph.network.trace_worst():  # the point worth tracing now (none clicked)
            self.graph.request()
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
        self.boundary.show_note("Training stopped: this boundary is of an earlier step")
        self._show_banner("error", f"<b>Training paused: {reason}.</b> {hint}.", "Reset")
        self.statusBar().showMessage(f"Training paused: {reason}", 8000)
        self._update_actions()

    @Slot(str, str)
    def _on_runner_refused(self, field, message):
        """A Reset that could not build its network (e.g. the CSV file went away)."""
        self._error("Cannot use these settings", message)

    # ---- the traced sample ----

    @Slot(str, int)
    def trace_sample(self, kind, index):
        """Make point `index` of the train or test set the one the graph view draws."""
        self.run.traced = (kind, index)
        self.boundary.set_traced(kind, index)
        self.graph.request()

    @property
    def traced_sample(self):
        return self.run.traced

    @Slot(tuple)
    def _on_boundary_plane_changed(self, plane):
        self.runner.set_plane(plane)

    @property
    def stepping(self):
        """True in stepper mode with the graph able to show it."""
        return self.graph.stepping

    def set_stepper(self, on):
        self.graph.set_stepper(on)

    def show_side_panel(self, visible):
        self.graph.show_side_panel(visible)

    def check_gradients(self):
        self.graph.check_gradients()

    def set_graph_renderer(self, name):
        """Lay graphs out with the bundled graphviz-pure, the system `dot`, or either."""
        self.graph_renderer = name
        self.renderer_actions[name].setChecked(True)
        self.graph.set_renderer(name)

    # ---- files (gui/file_actions.py) and help ----

    def _error(self, title, message):
        self.files.error(title, message)

    def current_session(self):
        """The run as File > Save Session writes it (ValueError when there is no network)."""
        return self.files.current_session()

    def check_my_engine(self):
        """Backprop > Check My Engine: the learner's own Value class against mgdesk's."""
        from mgdesk.gui.engine_check_dialog import open_engine_check

        return open_engine_check(self)

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
        default_sizes(self)
        self.graph_view.fit()

    # ---- shutting down ----

    def shutdown(self, save=True):
        """Stop the worker threads (≤ 1 s) and save the settings; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self.runner.close()
        self.compare.shutdown()
        if self.graph is not None:
            self._apply_timer.stop()
            self.graph.close()
        try:
            if save:
                self.files.save_settings()
        except OSError:
            pass  # settings are a convenience; never block closing
        stop_threads(self.threads)

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)

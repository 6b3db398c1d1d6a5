"""The window's files: sessions, CSV import, the exports, and the settings kept between
launches. `FileActions(window)` reads the window's run and views and asks it for a new
network (`reset_to`); the actions and tests call `window.files.open_session(...)` etc.

Every failure to read or write is one line in a message box and changes nothing else.
"""

import json
import os
import struct
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QFileDialog, QMessageBox, QStyle

from mgdesk.engine import MLP
from mgdesk.train import ConfigError, TrainConfig, new_model
from mgdesk.viz import GraphRenderer
from mgdesk.viz.graph import ops_node_count
from mgdesk.viz.trace import NODE_BUDGET, trace_job, trace_sample

__all__ = ["FileActions", "open_settings"]

PM_TITLE_BAR = QStyle.PixelMetric.PM_TitleBarHeight


def open_settings():
    """The app's QSettings (INI file); MGDESK_SETTINGS_ORG picks another place (tests)."""
    org = os.environ.get("MGDESK_SETTINGS_ORG") or "mgdesk"
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, org, "mgdesk")


class FileActions:
    """File > Open / Save / Import / Export for `window`, and its saved settings."""

    def __init__(self, window):
        self.window = window
        self.last_dir = ""  # where the last file dialog ended

    # ---- asking and telling ----

    def ask_path(self, save, title, pattern, suggested=""):
        start = str(Path(self.last_dir or Path.home()) / suggested)
        ask = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        path, _ = ask(self.window, title, start, pattern)
        if path:
            self.last_dir = str(Path(path).parent)
        return path

    def error(self, title, message):
        QMessageBox.warning(self.window, title, message)

    def _status(self, text):
        self.window.statusBar().showMessage(text, 5000)

    # ---- sessions ----

    def current_model(self):
        """The latest snapshot's model and history (consistent with each other)."""
        run = self.window.run
        if run.model is None or run.applied is None:
            raise ValueError("there is no network yet")
        return MLP.from_dict(run.model), tuple(run.history)

    def open_session(self, path=None):
        """Open a session; a saved comparison opens in compare mode with all its runs."""
        from mgdesk.io import SessionError, load_comparison

        path = path or self.ask_path(False, "Open Session", "mgdesk sessions (*.json)")
        if not path:
            return False
        try:
            saved = load_comparison(path)
        except SessionError as exc:
            self.error("Cannot open the session", str(exc))
            return False
        window = self.window
        if len(saved.sessions) > 1:
            window.compare.start((), saved.sessions, saved.labels, saved.short_labels)
            self._status(f"Opened {Path(path).name}: {len(saved.sessions)} runs compared")
            return True
        window.compare.leave()
        session = saved.sessions[0]
        # the session's own points (its CSV may have moved or changed) and momentum
        window.reset_to(
            session.config, session.model, session.history, session.data, session.velocity
        )
        window.panel.set_config(session.config)
        self._status(f"Opened {Path(path).name}")
        return True

    def current_session(self):
        """The run as File > Save Session writes it: the applied settings, the latest model
        with its history and momentum, and its points. ValueError when there is no network."""
        from mgdesk.io import Session

        model, history = self.current_model()
        run = self.window.run
        return Session(run.applied, model, history, run.velocity, run.data)

    def save_session(self, path=None):
        """Save the run, or in compare mode every compared run in one file."""
        from mgdesk.io import save_comparison, save_session

        compare = self.window.compare

        def write(path):
            if compare.active:
                save_comparison(path, compare.sessions(), compare.labels, compare.short_labels)
                return
            s = self.current_session()
            save_session(path, s.config, s.model, s.history, s.velocity, s.data)

        return self.save_as(path, "Session", "mgdesk sessions (*.json)", "run.json", write)

    def save_as(self, path, what, pattern, suggested, write):
        """Ask where (unless `path` is given) and call `write(path)`; a name without the
        suffix of `suggested` gets it. A failure is one line in a message box, worded as
        `check_writable` words it ("cannot write X: it is a folder"), and nothing else
        changes. True when the file was written."""
        from mgdesk.io import check_writable

        path = path or self.ask_path(True, f"Save {what}", pattern, suggested)
        if not path:
            return False
        suffix = Path(suggested).suffix
        if not path.endswith(suffix):
            path += suffix
        try:
            check_writable(path)  # a folder, a missing folder, a device: said the same way
            write(path)
        except OSError as exc:
            self.error(f"Cannot save the {what.lower()}", _cannot_write(path, exc))
            return False
        except (ValueError, RuntimeError) as exc:  # SessionError is a ValueError
            self.error(f"Cannot save the {what.lower()}", str(exc).strip().split("\n")[0])
            return False
        self._status(f"Saved {Path(path).name}")
        return True

    # ---- data ----

    def import_csv(self, path=None):
        from mgdesk.train import load_csv

        window = self.window
        path = path or self.ask_path(False, "Import CSV Data", "CSV files (*.csv *.txt)")
        if path:
            try:
                load_csv(path)
            except (ConfigError, OSError) as exc:
                self.error("Cannot import the data", getattr(exc, "message", str(exc)))
                path = None
        panel = window.panel
        if not path:  # keep the dataset that was chosen before
            if panel.dataset.currentData() == "csv" and not panel.has_csv():
                previous = window.run.applied.dataset if window.run.applied else "moons"
                previous = "moons" if previous == "csv" else previous
                panel.dataset.setCurrentIndex(panel.dataset.findData(previous))
            return False
        panel.set_csv(path)
        return True

    # ---- exports ----

    def export_graph(self, fmt, path=None):
        graph = self.window.graph_view.graph
        if graph is None:
            self.error("Nothing to export", "The graph has not been drawn yet.")
            return False

        def write(path):
            if fmt == "svg":
                Path(path).write_bytes(graph.svg)
            elif fmt == "dot":
                Path(path).write_text(_dot_source(graph), encoding="utf-8")
            elif not _svg_to_png(graph.svg, path):
                raise OSError("the image could not be made (too large?)")

        return self.save_as(path, f"Graph as {fmt.upper()}", f"*.{fmt}", f"graph.{fmt}", write)

    def export_history(self, path=None):
        from mgdesk.io import write_history_csv

        def write(path):
            write_history_csv(path, tuple(self.window.run.history))

        return self.save_as(path, "Loss History", "*.csv", "history.csv", write)

    def export_loss_plot(self, path=None):
        import pyqtgraph.exporters  # PNG only: the SVG exporter fails on Qt 6.11

        plot = self.window.loss_plot.getPlotItem()

        def write(path):
            if not pyqtgraph.exporters.ImageExporter(plot).export(path):
                raise OSError("the image could not be made")

        return self.save_as(path, "Loss Plot", "*.png", "loss.png", write)

    def export_script(self, path=None):
        from mgdesk.io import export_script

        def write(path):
            run = self.window.run
            export_script(path, run.applied, self.current_model()[0], run.data)

        return self.save_as(path, "Python Script", "*.py", "train_mgdesk.py", write)

    def export_torch_script(self, path=None):
        """File > Export > PyTorch Script: the run as a script that needs only PyTorch."""
        from mgdesk.gui.torch_export_action import export_torch

        return export_torch(self.window, self.current_session, path)

    # ---- settings kept between launches ----

    def restore_settings(self):
        """Window layout and last settings. The file is the user's to edit (or break): a
        value of the wrong type or out of range is skipped, so its default stays, and the
        launch goes on. Returns a note for the status bar ('' when there is nothing to say)."""
        window = self.window
        settings = open_settings()
        note = ""
        restore = (
            ("geometry", lambda blob: _restore_geometry(window, blob)),
            ("windowState", window.restoreState),
            ("topSplitter", window.top_splitter.restoreState),
            ("viewSplitter", window.view_splitter.restoreState),
        )
        for key, apply in restore:
            value = settings.value(key)
            if isinstance(value, QByteArray | bytes):
                apply(QByteArray(value))
        window.points.restore_json(_text(settings, "drawnPoints", ""))
        for key in ("config", "editedConfig"):  # the edits not applied last time win
            try:
                config = TrainConfig.from_dict(json.loads(_text(settings, key, "")))
            except ValueError:  # missing, not JSON, or not valid settings
                continue
            window.panel.set_config(config)
            if key == "editedConfig":
                note = (
                    "Restored settings you had edited but not applied last time: the new "
                    "network uses them"
                )
        log_scale = settings.value("logScale", False)  # "true" from the file, True if cached
        window.log_action.setChecked(log_scale is True or str(log_scale).lower() == "true")
        mode = _text(settings, "graphMode", "auto")
        if mode == "ops" and _ops_boxes(window.panel) > NODE_BUDGET:
            mode = "auto"  # never start with a slow layout the user did not just ask for
            ops_note = (
                "The ops view was not restored: this network has too many boxes to lay out "
                "quickly (choose it under View to draw it anyway)"
            )
            note = " · ".join(filter(None, (note, ops_note)))
        if mode in window.mode_actions:
            window.graph_panel.mode.setCurrentText(mode)
        renderer = _text(settings, "graphRenderer", "auto")
        if renderer in window.renderer_actions and renderer != "auto":
            window.set_graph_renderer(renderer)
        self.last_dir = _text(settings, "lastDir", "")
        return note

    def save_settings(self):
        window, run = self.window, self.window.run
        settings = open_settings()
        settings.setValue("geometry", window.saveGeometry())
        settings.setValue("windowState", window.saveState())
        settings.setValue("topSplitter", window.top_splitter.saveState())
        settings.setValue("viewSplitter", window.view_splitter.saveState())
        # the network's settings, and apart from them the edits not applied yet (if any)
        if run.applied is not None:
            settings.setValue("config", json.dumps(run.applied.to_dict()))
        edited = run.config if run.config != run.applied else None
        if edited is not None:
            settings.setValue("editedConfig", json.dumps(edited.to_dict()))
        else:
            settings.remove("editedConfig")
        settings.setValue("drawnPoints", window.points.to_json())
        settings.setValue("logScale", window.log_action.isChecked())
        settings.setValue("graphMode", window.graph_panel.mode.currentText())
        settings.setValue("graphRenderer", window.graph_renderer)
        settings.setValue("lastDir", self.last_dir)
        settings.sync()


def _cannot_write(path, exc):
    """'cannot write PATH: reason' for an OSError, as mgdesk.io says it."""
    return f"cannot write {path}: {exc.strerror or exc}"


def _text(settings, key, default):
    """A text setting, or `default` when it is missing or is not text (an INI value with a
    comma reads as a list, '@Variant(...)' as anything)."""
    value = settings.value(key, default)
    return value if isinstance(value, str) else default


def _restore_geometry(window, blob):
    """restoreGeometry, without its title-bar rule where there was no title bar.

    Qt keeps a restored window's title bar on screen by moving a window whose frame starts
    at the screen's top down by a title bar's height (and shrinking it). Without a window
    manager there is no title bar: a window saved at the top edge came back ~25 px lower
    and smaller at every launch. When the saved frame had no room for a title bar, its
    place and size are put back as saved, if the window is on a screen."""
    window.restoreGeometry(blob)
    saved = _untitled_frame(bytes(blob), window.style().pixelMetric(PM_TITLE_BAR))
    screen = window.screen()
    if saved is None or screen is None or not screen.availableGeometry().contains(saved[1]):
        return
    frame, inner = saved
    window.move(frame.topLeft())  # a window's position is its frame's
    window.resize(inner.size())


def _untitled_frame(blob, title_bar):
    """(frame, window) QRects of a saveGeometry() blob (format 3) whose frame has less
    than `title_bar` pixels above the window, not maximized or full screen; else None.
    Layout: magic, major, minor (int32, 2 x int16), frame and normal geometry (4 x int32
    each: left, top, right, bottom), screen (int32), maximized, full screen (2 x int8),
    screen width (int32), geometry (4 x int32)."""
    layout = ">IHH4i4iiBBi4i"
    if len(blob) < struct.calcsize(layout):
        return None
    values = struct.unpack_from(layout, blob)
    magic, major, frame, maximized, full, geometry = (
        values[0], values[1], values[3:7], values[12], values[13], values[15:19]
    )  # fmt: skip
    if magic != 0x1D9D0CB or major < 3 or maximized or full:
        return None
    if geometry[1] - frame[1] >= title_bar:
        return None  # a real title bar: Qt's rule keeps it on screen
    return _rect(*frame), _rect(*geometry)


def _rect(left, top, right, bottom):
    return QRect(left, top, right - left + 1, bottom - top + 1)


def _ops_boxes(panel):
    """How many boxes the ops view of the panel's network would have (0 if not valid)."""
    try:
        config = panel.config()
    except ConfigError:
        return 0
    sample = trace_sample(
        new_model(config), (0.0, 0.0), 1.0, config.loss, features=config.input_features
    )
    return ops_node_count(sample.root)


def _svg_to_png(svg, path, max_pixels=16_000_000):
    """Rasterise SVG bytes at twice their size (at most `max_pixels`) into a PNG file."""
    renderer = QSvgRenderer(QByteArray(svg))
    size = renderer.defaultSize()
    scale = min(2.0, (max_pixels / max(size.width() * size.height(), 1)) ** 0.5)
    image = QImage(size * scale, QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image.save(str(path), "PNG")


def _dot_source(graph):
    """The DOT text of a rendered graph (laid out again from the same sample)."""
    from mgdesk.viz import to_dot

    sample = trace_job(graph.job)
    traced, _ = GraphRenderer().trace(sample.root, sample.model, graph.view)
    return to_dot(traced)

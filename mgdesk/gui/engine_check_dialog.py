"""Backprop > Check My Engine…: the learner's own `Value` class, checked against mgdesk's.

`open_engine_check(window)` shows the window's dialog (the action table's "check_engine"
row calls it through `MainWindow.check_my_engine`). The dialog stops its own threads when
it closes and on aboutToQuit; a window that is shut down without quitting the app (tests)
may call `dialog.shutdown()` too.

The dialog runs `mgdesk.check.run_checks` (their file only ever runs in a child process)
on a worker thread, fills the table as each check finishes, and can be stopped at any time;
closing it stops the run and kills the child. For a failing check with a small failing
expression it draws that expression twice, read from the learner's own objects and from
mgdesk's, with the values whose gradients differ outlined (laid out off the GUI thread).
"""

import threading
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mgdesk.check.checks import CHECKS
from mgdesk.check.report import NO_DRAWING, drawing_size, no_drawing_caption, summary
from mgdesk.gui.engine_check_workers import EngineCheckWorker, PairWorker
from mgdesk.gui.threads import start_thread, stop_threads
from mgdesk.viz.pair import MARK_COLOUR

__all__ = ["EngineCheckDialog", "open_engine_check"]

STATUS_COLOURS = {
    "pass": "#c8e6c9",
    "fail": "#ffcdd2",
    "error": "#ffe0b2",
    "missing": "#eeeeee",
}
MIN_FIT = 0.4  # a drawing shrinks to fit its pane, but not below this (its text must read)
STOP_WAIT_MS = 3000  # a stopped run ends within ~0.1 s, then its child is killed


def open_engine_check(parent):
    """Show the window's Check My Engine dialog (one per window; it keeps its last run)."""
    dialog = parent.findChild(EngineCheckDialog)
    if dialog is None:
        dialog = EngineCheckDialog(parent)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


class Drawing(QWidget):
    """A caption over a picture of one engine's graph, shrunk to fit its pane (down to
    MIN_FIT of its size; a bigger graph scrolls)."""

    def __init__(self, title, parent=None):
        super().__init__(parent)
        self.title = QLabel(f"<b>{title}</b>")
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setWordWrap(True)
        self.picture.setStyleSheet("background: white;")
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.picture)
        self.scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.scroll, 1)
        self.image = None

    def show_image(self, image):
        self.image = image
        self._fit()

    def _fit(self):
        if self.image is None:
            return
        room = self.scroll.viewport().size()
        fit = min(
            1.0, (room.width() - 8) / self.image.width(), (room.height() - 8) / self.image.height()
        )
        scale = max(MIN_FIT, fit)
        self.picture.setPixmap(
            QPixmap.fromImage(self.image).scaled(
                max(1, round(self.image.width() * scale)),
                max(1, round(self.image.height() * scale)),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()

    def show_text(self, text):
        self.image = None
        self.picture.clear()
        self.picture.setText(text)


class EngineCheckDialog(QDialog):
    """Pick your engine file and class, run the checks, read the table and the drawings."""

    run_requested = Signal(int, str, str, object, object)  # id, path, class, stop, names
    draw_requested = Signal(int, object)  # request id, a failure's "graph" data

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("engineCheckDialog")
        self.setWindowTitle("Check My Engine")
        self.resize(1100, 800)
        self._run_id = 0
        self._draw_id = 0
        self._stop = None  # the running check's Event; None when idle
        self._results = []
        self._expected = len(CHECKS)
        self._auto_pick = True  # show the smallest failing drawing until the user picks a row
        self._selecting = False
        self._workers = None  # (check worker, drawing worker) while their threads run
        self._threads = []
        self._build()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def _start_workers(self):
        """The two worker threads live while the dialog is open (closing stops them)."""
        if self._workers is not None:
            return
        check, pair = EngineCheckWorker(), PairWorker()
        self._threads = [
            start_thread(check, "engine-check"),
            start_thread(pair, "engine-check-drawing"),
        ]
        self.run_requested.connect(check.run)
        self.draw_requested.connect(pair.draw)
        check.yielded.connect(self._on_worker_yielded)
        check.finished.connect(self._on_worker_finished)
        check.errored.connect(self._on_worker_errored)
        pair.returned.connect(self._on_pair_worker_returned)
        self._workers = (check, pair)

    # ---- layout ----

    def _build(self):
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("enginePath")
        self.path_edit.setPlaceholderText("the .py file with your Value class (your engine.py)")
        self.path_edit.returnPressed.connect(self.start_check)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        self.class_edit = QLineEdit("Value")
        self.class_edit.setObjectName("engineClass")
        self.class_edit.setMaximumWidth(140)
        self.class_edit.returnPressed.connect(self.start_check)
        self.run_button = QPushButton("Check")
        self.run_button.setObjectName("engineCheckRun")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self._on_run_button_clicked)
        top = QHBoxLayout()
        top.addWidget(QLabel("File:"))
        top.addWidget(self.path_edit, 1)
        top.addWidget(browse)
        top.addWidget(QLabel("Class:"))
        top.addWidget(self.class_edit)
        top.addWidget(self.run_button)

        self.error_label = QLabel()
        self.error_label.setObjectName("engineCheckError")
        self.error_label.setStyleSheet("color: #b71c1c;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.status_label = QLabel(
            "Your file runs in a separate Python process, with a time limit per check, "
            "only when you press Check."
        )
        self.status_label.setWordWrap(True)

        self.table = QTableWidget(0, 3)
        self.table.setObjectName("engineCheckTable")
        self.table.setHorizontalHeaderLabels(["Result", "Check", "What it means"])
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(1, 230)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)

        self.drawing_caption = QLabel(
            "Select a failing check to see its smallest failing expression, drawn from "
            "your objects and from mgdesk's."
        )
        self.drawing_caption.setWordWrap(True)
        self.drawing_caption.setTextFormat(Qt.TextFormat.RichText)
        self.theirs = Drawing("Yours (read through _prev, _op, data, grad, label)")
        self.ours = Drawing("mgdesk's Value")
        pictures = QHBoxLayout()
        for drawing in (self.theirs, self.ours):  # half the width each, whatever they hold
            drawing.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
            pictures.addWidget(drawing, 1)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.drawing_caption)
        lower_layout.addLayout(pictures, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([430, 370])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addWidget(split, 1)

    # ---- running ----

    @property
    def running(self):
        return self._stop is not None

    @property
    def results(self):
        """The results of the latest run so far, in the table's order."""
        return tuple(self._results)

    @property
    def threads(self):
        """The dialog's worker threads while they run (none before the first Check)."""
        return tuple(self._threads)

    def start_check(self, path=None, class_name=None, names=None):
        """Check `path` (default: the field's) with `class_name`; False for bad input.
        `names`: only these checks (default: all)."""
        if self.running:
            return False
        if path is not None:
            self.path_edit.setText(str(path))
        if class_name is not None:
            self.class_edit.setText(class_name)
        path, class_name = self.path_edit.text().strip(), self.class_edit.text().strip()
        if not path:
            return self._bad_input(self.path_edit, "choose your engine's .py file first")
        if not class_name.isidentifier():
            return self._bad_input(
                self.class_edit, f"class: {class_name or 'nothing'} is not a Python class name"
            )
        self._show_error("")
        self._auto_pick = True
        self._results = []
        self.table.setRowCount(0)
        self._clear_drawings()
        self._start_workers()
        self._run_id += 1
        self._stop = threading.Event()
        self.run_button.setText("Stop")
        self.status_label.setText(f"Loading {Path(path).name}…")
        self._expected = len(names) if names else len(CHECKS)
        self.run_requested.emit(self._run_id, path, class_name, self._stop, names)
        return True

    def stop_check(self):
        if self._stop is not None:
            self._stop.set()
            self.status_label.setText("Stopping…")

    def _bad_input(self, field, message):
        self._show_error(message)
        field.setFocus()
        return False

    def _show_error(self, message):
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def _finish(self, status):
        self._stop = None
        self.run_button.setText("Check")
        self.status_label.setText(status)

    @Slot()
    def _on_browse_clicked(self):
        start = self.path_edit.text().strip() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, "Your engine file", start, "Python files (*.py);;All files (*)"
        )
        if path:
            self.path_edit.setText(path)

    @Slot()
    def _on_run_button_clicked(self):
        if self.running:
            self.stop_check()
        else:
            self.start_check()

    @Slot(int, object)
    def _on_worker_yielded(self, run_id, result):
        if run_id != self._run_id:
            return
        self._results.append(result)
        self._add_row(result)
        done = len(self._results)
        if done < self._expected and not self._stop.is_set():
            self.status_label.setText(f"{done} of {self._expected} checks done…")
        if self._auto_pick and "graph" in result:
            sizes = [drawing_size(r) for r in self._results]
            best = min(range(done), key=sizes.__getitem__)
            if best == done - 1 and sizes[best] < NO_DRAWING:
                self._select(best)

    def _select(self, row):
        """Select a row for the user (which keeps the automatic choice going)."""
        self._selecting = True
        try:
            self.table.selectRow(row)
        finally:
            self._selecting = False

    @Slot(int, bool)
    def _on_worker_finished(self, run_id, stopped):
        if run_id != self._run_id:
            return
        self._finish(("Stopped: " if stopped else "") + summary(self._results))

    @Slot(int, str)
    def _on_worker_errored(self, run_id, message):
        if run_id != self._run_id:
            return
        self._show_error(message)
        self._finish("Nothing was checked: the file could not be loaded.")

    def _add_row(self, result):
        row = self.table.rowCount()
        self.table.insertRow(row)
        status = QTableWidgetItem(result["status"])
        status.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        status.setBackground(QBrush(QColor(STATUS_COLOURS.get(result["status"], "#ffffff"))))
        hint = result["hint"] + ("  [drawn below]" if "graph" in result else "")
        items = (status, QTableWidgetItem(result["name"]), QTableWidgetItem(hint))
        for column, item in enumerate(items):
            item.setToolTip(result["hint"])
            self.table.setItem(row, column, item)
        self.table.resizeRowToContents(row)

    # ---- drawings ----

    def _clear_drawings(self, caption=""):
        self._draw_id += 1  # a drawing still on its way is no longer wanted
        self.drawing_caption.setText(
            caption
            or "Select a failing check to see its smallest failing expression, drawn from "
            "your objects and from mgdesk's."
        )
        self.theirs.show_text("")
        self.ours.show_text("")

    @Slot()
    def _on_table_selection_changed(self):
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        if not self._selecting:
            self._auto_pick = False  # the user chose: keep their row
        result = self._results[rows[0].row()]
        graph = result.get("graph")
        if graph is None:
            self._clear_drawings(no_drawing_caption(result))
            return
        self._clear_drawings(
            f"<b>{result['name']}</b>: <code>{escape(graph['expression'])}</code> at "
            f"{escape(graph['at'])}, after backward(). "
            f"<span style='color:{MARK_COLOUR}'><b>Purple outline</b></span>: the values "
            "whose data or grad differ between the two engines."
        )
        self.theirs.show_text("drawing…")
        self.ours.show_text("drawing…")
        self._start_workers()
        self.draw_requested.emit(self._draw_id, graph)

    @Slot(int, object, object)
    def _on_pair_worker_returned(self, request_id, theirs, ours):
        if request_id != self._draw_id:
            return
        for drawing, side in ((self.theirs, theirs), (self.ours, ours)):
            if isinstance(side, QImage):
                drawing.show_image(side)
            else:
                drawing.show_text(side)

    # ---- closing ----

    def shutdown(self):
        """Stop any run (its child process is killed) and both threads; the table stays.
        Safe to call twice; the next Check starts new threads."""
        if self._stop is not None:
            self._stop.set()
            self._run_id += 1  # what the stopped run still sends is dropped
            self._finish("Stopped: " + summary(self._results))
        if self._workers is None:
            return
        check, pair = self._workers
        pair.renderer.cancel()
        self._draw_id += 1
        self.run_requested.disconnect(check.run)
        self.draw_requested.disconnect(pair.draw)
        stop_threads(self._threads, STOP_WAIT_MS)
        self._workers, self._threads = None, []

    def done(self, result):
        self.shutdown()
        super().done(result)

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)

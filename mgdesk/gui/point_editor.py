"""Draw your data: the decision-boundary plot's Edit points mode.

While *Edit points* is on, a click on the plot adds a point of the chosen class (the class
buttons, or keys 1-9), a drag paints several, a right-click (or a click with the eraser)
removes the points under the cursor, *Clear* empties the plane, and Ctrl+Z / Ctrl+Shift+Z
undo and redo. Outside the mode a click traces a point, as before. The editing itself is
Qt-free (`mgdesk.train.drawn.PointEdits`); this module turns mouse events into its calls
and emits `points_edited(Dataset)`, which the window hands to the training thread (the
trainer takes the new points before its next step, keeping its weights).
"""

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mgdesk.gui.boundary import CLICK_RADIUS_PX, class_colour
from mgdesk.train.drawn import (
    DRAWN,
    PointEdits,
    class_label,
    from_json,
    points_csv,
    to_json,
    work_problem,
)

__all__ = ["MAX_CLASS_KEYS", "PAINT_SPACING_PX", "PointEditor"]

MAX_CLASS_KEYS = 9  # keys 1-9 choose the class of new points
PAINT_SPACING_PX = 14  # a drag adds a point each time the cursor has moved this far
HINT = "click: add · drag: paint · right-click: remove"
# a mode that is on must look on
CHECKED_STYLE = (
    "QToolButton:checked { background: #d4e7f6; border: 1px solid #0877bd; border-radius: 3px; }"
)


def _dot_icon(colour, ring=False):
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(*colour) if ring else QColor("white"))
    painter.setBrush(QColor(255, 255, 255) if ring else QColor(*colour))
    painter.drawEllipse(1, 1, 12, 12)
    painter.end()
    return QIcon(pixmap)


def _same_points(a, b):
    parts = ("x_train", "y_train", "x_test", "y_test")
    return all(tuple(getattr(a, p)) == tuple(getattr(b, p)) for p in parts)


class PointEditor(QObject):
    """Edit points on `plot` (a BoundaryPlot). The window tells it what is shown
    (`set_shown`) and applies what it emits; `tools` is its row of buttons."""

    points_edited = Signal(object)  # the new Dataset (named "drawn")
    note_posted = Signal(str)  # for the status bar: why an edit was not made, or a hint
    state_changed = Signal()  # editing on/off, undo/redo possible or not

    def __init__(self, plot, files, parent=None):
        super().__init__(parent)
        self.plot = plot
        self.edits = PointEdits()
        self.editing = False
        self.number = 1  # the class of new points (0-based; with two classes 1 is +1)
        self.classes = 2
        self.regression = False  # a click adds a point of the curve (x, y)
        self.test = False  # new points go to the test set
        self.eraser = False
        self.locked = ""  # why no edit can be made now (compare mode), or ""
        self.files = files  # the window's FileActions (for Export Points)
        self._shown = None  # the Dataset shown in the plot (the run's)
        self._config = None  # the settings of the network shown (for the work limit)
        self._stroke = 0  # the press-and-drag going on (0: none)
        self._button = None  # the mouse button of that stroke
        self._last = None  # where the stroke last painted (widget pixels)
        self._actions = {}  # the window's point actions by name (see bind_actions)
        plot.viewport().installEventFilter(self)
        self.tools = self._build_tools()
        self.tools.hide()
        self.edit_button = QToolButton()  # in the plot's caption line
        self.edit_button.setObjectName("editPointsButton")
        self.edit_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for widget in (self.edit_button, self.tools):
            widget.setStyleSheet(CHECKED_STYLE)
        self.panel = QWidget()  # the tools over the plot
        self.panel.setObjectName("boundaryPanel")
        layout = QVBoxLayout(self.panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.tools)
        layout.addWidget(plot, 1)
        self.state_changed.connect(self._update_actions)

    # ---- what is shown ----

    @property
    def data(self):
        """The drawn points (what a Reset with the dataset "drawn" trains on)."""
        return self.edits.data

    def set_shown(self, data, config):
        """The window shows `data` (a new network's, or a session's) under `config`."""
        self._shown, self._config = data, config
        self.regression = config.task == "regression"
        self.set_classes(config.classes)
        for button in self._class_buttons[: self.classes]:
            button.setVisible(not self.regression)  # a curve's points have no class
        caption = self.panel.window().findChild(QLabel, "boundaryPanelCaption")
        if caption is not None:  # what the plot shows: a boundary, or a curve
            what = "Fitted curve" if self.regression else "Decision boundary"
            caption.setText(f"{what} · click a point to trace it")
        if data.name == DRAWN and not _same_points(data, self.edits.data):
            self.edits.start_from(data)  # e.g. a session's drawing: undo brings back ours
        self.state_changed.emit()

    def to_json(self):
        """The drawing, kept with the window's settings between launches."""
        return to_json(self.edits.data)

    def restore_json(self, text):
        """Start with the drawing of the last launch (nothing when `text` is not one)."""
        data = from_json(text)
        if data is not None:
            self.edits = PointEdits(data)

    @property
    def shows_drawn(self):
        return self._shown is not None and self._shown.name == DRAWN

    # ---- modes (the window's actions call these) ----

    def set_locked(self, reason):
        """No edit while `reason` is not "" (compare mode: both runs train on the points
        they started with); every try says `reason` in the status bar. Ends editing."""
        self.locked = reason
        if reason and self.editing and "edit_points" in self._actions:
            self._actions["edit_points"].setChecked(False)
        elif reason and self.editing:
            self.set_editing(False)
        self.state_changed.emit()

    def _refused(self):
        """True (and say why) when edits are locked."""
        if self.locked:
            self.note_posted.emit(self.locked)
        return bool(self.locked)

    def set_editing(self, on):
        if on and self._refused():
            if "edit_points" in self._actions:
                self._actions["edit_points"].setChecked(False)
            return
        self.editing = bool(on)
        self.tools.setVisible(self.editing)
        cursor = Qt.CursorShape.CrossCursor if self.editing else Qt.CursorShape.ArrowCursor
        self.plot.viewport().setCursor(cursor)
        self._end_stroke()
        if self.editing:
            self.note_posted.emit(f"Edit points: {HINT}; keys 1-{self.classes} choose the class")
        self.state_changed.emit()

    def choose_class(self, number):
        if number >= self.classes:
            self.note_posted.emit(f"There are {self.classes} classes: keys 1-{self.classes}")
            return
        self.number = number
        self._class_buttons[number].setChecked(True)

    def set_classes(self, classes):
        """Show a button per class (up to MAX_CLASS_KEYS)."""
        self.classes = max(2, min(classes, MAX_CLASS_KEYS))
        for number, button in enumerate(self._class_buttons):
            button.setVisible(number < self.classes)
            text = _class_text(number, self.classes)
            button.setText(text)
            button.setToolTip(f"New points are of class {text} (key {number + 1})")
        if self.number >= self.classes:
            self.choose_class(self.classes - 1)

    def set_test(self, on):
        self.test = bool(on)

    def set_eraser(self, on):
        self.eraser = bool(on)

    # ---- edits ----

    def clear(self):
        self._apply(self.edits.clear() if self._begin() else None)

    def undo(self):
        if self.shows_drawn and not self._refused():
            self._apply(self.edits.undo(), "Undid your last point edit (Ctrl+Shift+Z redoes it)")

    def redo(self):
        if self.shows_drawn and not self._refused():
            self._apply(self.edits.redo(), "Redid a point edit (Ctrl+Z undoes it)")

    @property
    def can_undo(self):
        return self.shows_drawn and self.edits.can_undo

    @property
    def can_redo(self):
        return self.shows_drawn and self.edits.can_redo

    def _begin(self):
        """Before an edit: the points shown become the drawn points (one undo step) when
        they are generated or imported ones. False when nothing is shown yet or edits
        are locked."""
        if self._shown is None or self._refused():
            return False
        if not self.shows_drawn or not _same_points(self._shown, self.edits.data):
            self.edits.start_from(self._shown)
        return True

    def _apply(self, data, said=""):
        """Show the points `data` after an edit; `said`: a note for the status bar when
        Edit Points is off (an undo by habit there changes the points out of sight)."""
        if data is None:
            return
        self._shown = data
        self.points_edited.emit(data)
        self.state_changed.emit()
        if said and not self.editing:
            self.note_posted.emit(said)

    def add_at(self, x, y, stroke=0):
        """Add a point of the chosen class at plot coordinates (x, y)."""
        if not self._begin():
            return
        data = self.edits.data
        n_train = len(data.x_train) + (not self.test)
        problem = work_problem(self._config, n_train, len(data.x_test) + self.test)
        if problem:
            self.note_posted.emit(problem)
            return
        if self.regression:  # the point (x, 0) with the label y: a point of the curve
            added = self.edits.add([(x, 0.0)], y, self.test, stroke)
        else:
            ce = self._config is not None and self._config.loss == "ce"
            added = self.edits.add([(x, y)], class_label(self.number, ce), self.test, stroke)
        if added is None:
            self.note_posted.emit("No more points: a dataset holds at most 10,000")
        self._apply(added)

    def erase_near(self, pos, stroke=0):
        """Remove the points within CLICK_RADIUS_PX of widget position `pos`."""
        if not self._begin():
            return
        near = {kind: self._near(kind, pos) for kind in ("train", "test")}
        if near["train"] or near["test"]:
            self._apply(self.edits.remove(near["train"], near["test"], stroke))

    def _near(self, kind, pos):
        data = self.edits.data
        xs = np.asarray(data.x_train if kind == "train" else data.x_test, dtype=float)
        if not len(xs):
            return []
        if self.regression:  # drawn at (x1, y)
            xs[:, 1] = data.y_train if kind == "train" else data.y_test
        view = self.plot.getPlotItem().getViewBox()
        px, py = view.viewPixelSize()
        x, y = self._plane_point(pos)
        dist = np.hypot((xs[:, 0] - x) / px, (xs[:, 1] - y) / py)
        return np.flatnonzero(dist <= CLICK_RADIUS_PX).tolist()

    def _plane_point(self, pos):
        view = self.plot.getPlotItem().getViewBox()
        point = view.mapSceneToView(self.plot.mapToScene(pos))
        return point.x(), point.y()

    # ---- the mouse, while editing ----

    def eventFilter(self, watched, event):
        kind = event.type()
        if not self.editing or kind not in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonDblClick,
            QEvent.Type.MouseMove,
            QEvent.Type.MouseButtonRelease,
        ):
            return False
        pos = event.position().toPoint()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            self._press(event.button(), pos)
        elif kind == QEvent.Type.MouseMove and self._stroke:
            self._drag(pos)
        elif kind == QEvent.Type.MouseButtonRelease:
            self._end_stroke()
        return True  # the plot never sees it: no tracing while editing

    def _erasing(self):
        return self._button == Qt.MouseButton.RightButton or self.eraser

    def _press(self, button, pos):
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return
        self._button = button
        self._stroke = self.edits.new_stroke()
        self._last = pos
        if self._erasing():
            self.erase_near(pos, self._stroke)
        else:
            self.add_at(*self._plane_point(pos), stroke=self._stroke)

    def _drag(self, pos):
        if self._erasing():
            self.erase_near(pos, self._stroke)
        elif (pos - self._last).manhattanLength() >= PAINT_SPACING_PX:
            self._last = pos
            self.add_at(*self._plane_point(pos), stroke=self._stroke)

    def _end_stroke(self):
        self._stroke, self._button, self._last = 0, None, None

    # ---- export ----

    def export_csv(self, path=None):
        """File > Export > Points as CSV: the points shown, as x1,x2,label rows."""
        if self._shown is None:
            return False
        data = self._shown

        def write(path):
            from mgdesk.io.session import write_file

            write_file(path, points_csv(data))

        name = "points.csv" if data.name in (DRAWN, "csv") else f"{data.name}.csv"
        return self.files.save_as(path, "Points", "CSV files (*.csv)", Path(name).name, write)

    # ---- the row of tools ----

    def _build_tools(self):
        tools = QWidget()
        tools.setObjectName("pointTools")
        row = QHBoxLayout(tools)
        row.setContentsMargins(4, 0, 4, 2)
        row.setSpacing(2)
        self._class_group = QButtonGroup(tools)
        self._class_buttons = []
        for number in range(MAX_CLASS_KEYS):
            button = QToolButton()
            button.setObjectName(f"classButton{number + 1}")
            button.setCheckable(True)
            button.setIcon(_dot_icon(class_colour(number)))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.clicked.connect(lambda _=False, n=number: self.choose_class(n))
            self._class_group.addButton(button, number)
            self._class_buttons.append(button)
            row.addWidget(button)
        self.set_classes(2)
        self._class_buttons[self.number].setChecked(True)
        self._action_row = QHBoxLayout()
        self._action_row.setSpacing(2)
        row.addLayout(self._action_row)
        row.addStretch(1)
        tools.setToolTip(HINT)
        tools.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        return tools

    def bind_actions(self, actions):
        """The window's point actions by name (edit_points, test_points, eraser,
        undo_points, redo_points, clear_points, class_1...): tool buttons for them, and
        their enabled state kept up to date."""
        self._actions = actions
        self.edit_button.setDefaultAction(actions["edit_points"])
        for name in ("test_points", "eraser", "undo_points", "redo_points", "clear_points"):
            button = QToolButton()
            button.setObjectName(f"{name}Button")
            button.setDefaultAction(actions[name])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self._action_row.addWidget(button)
        self._update_actions()

    def _update_actions(self):
        for name, action in self._actions.items():
            if name.startswith("class_") or name in ("test_points", "eraser", "clear_points"):
                action.setEnabled(self.editing)
        if self._actions:
            self._actions["undo_points"].setEnabled(self.can_undo)
            self._actions["redo_points"].setEnabled(self.can_redo)


def _class_text(number, classes):
    return ("−1", "+1")[number] if classes == 2 and number < 2 else str(number)


def plane_position(plot, x, y):
    """Widget (viewport) coordinates of plot point (x, y): for tests."""
    view = plot.getPlotItem().getViewBox()
    return plot.mapFromScene(view.mapViewToScene(QPointF(x, y)))

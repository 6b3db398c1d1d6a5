"""The decision boundary: the network's score over the plane, with the data points on top."""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QLabel

from mgdesk.train.drawn import label_class

__all__ = ["BoundaryPlot"]

NEGATIVE = (245, 147, 34)  # class -1, as in TensorFlow Playground
POSITIVE = (8, 119, 189)  # class +1
# class 0, 1, ... of several classes: the first two as above, then well-told-apart hues
CLASS_COLOURS = (
    NEGATIVE, POSITIVE, (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (110, 110, 110), (188, 189, 34),
)  # fmt: skip
BACKGROUND = pg.ColorMap(
    [0.0, 0.5, 1.0], [(250, 200, 145), (246, 246, 246), (150, 196, 228)]
)  # pale versions of the class colours, white at score 0
OVERLAY = pg.ColorMap([0.0, 0.5, 1.0], [NEGATIVE, (250, 250, 250), POSITIVE])
CLICK_RADIUS_PX = 12
DRAWN_CELLS = 300  # the grid is interpolated to about this many cells a side when drawn
CONTOUR_CELLS = 100  # ... and the 0-level line traced over this many (300 costs ~75 ms)
STALE_OPACITY = 0.25  # the previous network's picture, while the new one's is computed
WAITING_NOTE = "Computing this network's boundary…"


def _cell_rect(bounds, size):
    """The rectangle a size x size image covers when its pixel centres are the grid points
    spanning `bounds` corner to corner."""
    xmin, xmax, ymin, ymax = bounds
    dx, dy = (xmax - xmin) / (size - 1), (ymax - ymin) / (size - 1)
    return QRectF(xmin - dx / 2, ymin - dy / 2, xmax - xmin + dx, ymax - ymin + dy)


def upsample(grid, cells):
    """`grid` (n x n samples, corners included) interpolated bilinearly to cells x cells
    samples over the same square: smooth colours and a smooth 0-level line at any size."""
    n = grid.shape[0]
    if n < 2 or cells <= n:
        return grid
    t = np.linspace(0.0, n - 1.0, cells)
    i = np.minimum(t.astype(int), n - 2)
    f = t - i
    rows = grid[i] * (1 - f)[:, None] + grid[i + 1] * f[:, None]
    return rows[:, i] * (1 - f) + rows[:, i + 1] * f


def class_colour(number):
    """The colour of class `number` (0-based; with two classes 0 is -1 and 1 is +1)."""
    return CLASS_COLOURS[number % len(CLASS_COLOURS)]


WHITE = np.array((246.0, 246.0, 246.0))  # where no class is more likely than another
PALE = np.array(
    [(250, 200, 145), (150, 196, 228)]  # the two-class picture's ends (BACKGROUND)
    + [tuple(0.45 * c + 0.55 * 246 for c in colour) for colour in CLASS_COLOURS[2:]]
)
EDGE = np.array((60.0, 60.0, 60.0))  # the line between two classes' regions


def class_image(scores):
    """The picture of K class scores per cell, (n, n, K) -> (n, n, 3) uint8: each cell in
    the pale colour of its most likely class (softmax), whiter the less sure the network
    is (white when all K are equally likely), and a dark line where the class changes."""
    k = scores.shape[2]
    z = scores - scores.max(axis=2, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=2, keepdims=True)
    best, sure = p.argmax(axis=2), (p.max(axis=2) - 1 / k) / (1 - 1 / k)
    rgb = WHITE + (PALE[best % len(PALE)] - WHITE) * np.clip(sure, 0, 1)[..., None]
    edge = np.zeros(best.shape, dtype=bool)
    edge[:-1, :] |= best[:-1, :] != best[1:, :]
    edge[:, :-1] |= best[:, :-1] != best[:, 1:]
    rgb[edge] = EDGE
    return np.round(rgb).astype(np.uint8)


def _brushes(labels):
    """A brush per point, one made per class (thousands of drawn points redraw fast)."""
    made = {c: pg.mkBrush(*class_colour(c)) for c in set(map(label_class, labels))}
    return [made[label_class(y)] for y in labels]


def _pens(labels):
    made = {c: pg.mkPen(class_colour(c), width=2) for c in set(map(label_class, labels))}
    return [made[label_class(y)] for y in labels]


class BoundaryPlot(pg.PlotWidget):
    """Heatmap of tanh(score), the 0-level line, train points (filled) and test points (rings).

    Clicking near a point emits `sample_clicked(kind, index)` with kind "train" or "test".
    The plane shown is the data's box widened to the widget's shape (square units);
    `plane_changed(bounds)` tells which part of the plane the heatmap should cover.
    """

    sample_clicked = Signal(str, int)
    plane_changed = Signal(tuple)  # (xmin, xmax, ymin, ymax)

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setObjectName("boundaryPlot")
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setMouseEnabled(False, False)
        item.hideButtons()
        item.setLabel("bottom", "x1")
        item.setLabel("left", "x2")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(BACKGROUND)
        self.image.setLevels((-1.0, 1.0))
        item.addItem(self.image)
        self.contour = pg.IsocurveItem(
            level=0.0, pen=pg.mkPen((60, 60, 60), width=1.5), axisOrder="row-major"
        )
        self.contour.setParentItem(self.image)
        self.regions = pg.ImageItem(axisOrder="row-major")  # K classes: see class_image
        self.regions.hide()
        item.addItem(self.regions)
        self.curve = pg.PlotDataItem(pen=pg.mkPen((60, 60, 60), width=2.5))  # regression
        self.curve.hide()
        item.addItem(self.curve)
        self.regression = False  # points at (x1, y) under the fitted curve
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=1))
        self.test_points = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(255, 255, 255, 200))
        self.traced = pg.ScatterPlotItem(
            size=18, symbol="o", brush=None, pen=pg.mkPen((20, 20, 20), width=2.5)
        )
        for points in (self.train_points, self.test_points, self.traced):
            points.setZValue(1)  # over the background and a hovered neuron's overlay
            item.addItem(points)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        # over the plot while no grid of the network shown has come: what is under it (if
        # anything) is dimmed, as it belongs to the previous network
        self.note = QLabel(WAITING_NOTE, self)
        self.note.setObjectName("boundaryNote")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(
            "background: rgba(255, 255, 255, 220); color: #455a64; "
            "border: 1px solid #b0bec5; border-radius: 3px; padding: 3px;"
        )
        self.stale = True  # no grid of the current network yet
        self._points = {"train": np.empty((0, 2)), "test": np.empty((0, 2))}
        self._box = (-1.0, 1.0, -1.0, 1.0)
        self.plane = None
        self.has_heatmap = False
        self.grid_size = 0  # cells per side of the grid computed (before interpolation)
        self._fit_timer = QTimer(self, singleShot=True, interval=150)
        self._fit_timer.timeout.connect(self._fit_plane)
        item.getViewBox().sigResized.connect(self._fit_timer.start)

    def mark_stale(self):
        """A new network is coming: dim the picture and say that its boundary is computed
        (until `set_grid`), so that the old one is never taken for it."""
        self.stale = True
        for item in (self.image, self.contour, self.regions, self.curve):
            item.setOpacity(STALE_OPACITY)
        self.show_note(WAITING_NOTE)

    def show_note(self, text):
        """A line over the picture saying what it is (hidden by the next grid)."""
        self.note.setText(text)
        self.resizeEvent(None)
        self.note.show()
        self.note.raise_()

    def resizeEvent(self, event):
        if event is not None:
            super().resizeEvent(event)
        if getattr(self, "note", None) is None:
            return  # (a resize during construction)
        width = min(self.width() - 20, 260)
        height = self.note.heightForWidth(width)
        self.note.setGeometry((self.width() - width) // 2, 10, width, max(height, 24))

    def set_data(self, data, box, regression=False):
        """Show the dataset's points around the box (xmin, xmax, ymin, ymax) holding them;
        a regression's at (x1, y), under the fitted curve instead of a heatmap."""
        self.regression = regression
        for item in (self.image, self.contour, self.regions):
            item.setVisible(not regression and item is not self.regions)
        self.curve.setVisible(regression)
        self.getPlotItem().setLabel("left", "y" if regression else "x2")
        self.show_points(data)
        self._box = tuple(box)
        self.grid_size = 0  # until the new network's grid comes
        self.mark_stale()
        self.plane = None
        self._fit_plane()

    def show_points(self, data):
        """Show the dataset's points, the plane and the picture staying as they are (the
        network is the same: points were drawn or erased)."""
        for kind, xs, ys in (
            ("train", data.x_train, data.y_train),
            ("test", data.x_test, data.y_test),
        ):
            points = np.asarray(xs, dtype=float).reshape(-1, 2)
            if self.regression:
                points = np.column_stack((points[:, 0], np.asarray(ys, dtype=float)))
            self._points[kind] = points.reshape(-1, 2)
        train, test = self._points["train"], self._points["test"]
        ys_train = (1.0,) * len(train) if self.regression else data.y_train  # one colour
        ys_test = (1.0,) * len(test) if self.regression else data.y_test
        self.train_points.setData(pos=train, brush=_brushes(ys_train), data=list(range(len(train))))
        self.test_points.setData(pos=test, pen=_pens(ys_test), data=list(range(len(test))))

    def _fit_plane(self):
        """Widen the data box to the widget's shape, so that x and y units are equal."""
        xmin, xmax, ymin, ymax = self._box
        view = self.getPlotItem().getViewBox()
        width, height = max(view.width(), 1.0), max(view.height(), 1.0)
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        half_w, half_h = (xmax - xmin) / 2, (ymax - ymin) / 2
        if width / height > half_w / half_h:
            half_w = half_h * width / height
        else:
            half_h = half_w * height / width
        plane = (cx - half_w, cx + half_w, cy - half_h, cy + half_h)
        if plane != self.plane:
            self.plane = plane
            self.setRange(xRange=plane[:2], yRange=plane[2:], padding=0)
            self.plane_changed.emit(plane)

    def set_grid(self, values, size, bounds):
        """Show scores (float64 bytes, `size` rows from ymin up) as the background,
        interpolated to DRAWN_CELLS a side; a network of K outputs gives K scores per
        cell, drawn as K regions (class_image)."""
        self.grid_size = size
        if self.regression:  # one row: the curve at `size` x evenly over the plane
            xmin, xmax = bounds[:2]
            ys = np.frombuffer(values, dtype=np.float64)
            self.curve.setData(np.linspace(xmin, xmax, len(ys)), ys, connect="finite")
            self._shown_fresh()
            return
        classes = max(1, len(values) // (8 * size * size))
        several = classes > 1
        for item in (self.image, self.contour):
            item.setVisible(not several)
        self.regions.setVisible(several)
        if several:
            raw = np.frombuffer(values, dtype=np.float64).reshape(size, size, classes)
            if np.all(np.isfinite(raw)):
                raw = np.stack([upsample(raw[:, :, k], DRAWN_CELLS) for k in range(classes)], 2)
            self.regions.setImage(class_image(np.nan_to_num(raw)), levels=(0, 255))
            self.regions.setRect(_cell_rect(bounds, raw.shape[0]))
            self._shown_fresh()
            return
        raw = np.frombuffer(values, dtype=np.float64).reshape(size, size)
        finite = bool(np.all(np.isfinite(raw)))
        scores = np.tanh(upsample(raw, DRAWN_CELLS) if finite else raw)
        self.image.setImage(scores, autoLevels=False)
        self.image.setRect(_cell_rect(bounds, scores.shape[0]))
        if finite:  # the 0-level line from CONTOUR_CELLS a side: smooth, and cheap to trace
            line = upsample(raw, CONTOUR_CELLS)
            self.contour.setData(line)
            # its sample j sits at j + 0.5, as image pixel i does: j maps to i = j * scale
            scale = (scores.shape[0] - 1) / (line.shape[0] - 1)
            shift = 0.5 * (1 - scale)
            self.contour.setTransform(QTransform(scale, 0, 0, scale, shift, shift))
        self._shown_fresh()

    def _shown_fresh(self):
        """The picture shown is the current network's."""
        self.has_heatmap = True
        self.stale = False
        for item in (self.image, self.contour, self.regions, self.curve):
            item.setOpacity(1.0)
        self.note.hide()

    def show_overlay(self, values, bounds=(), title=""):
        """Over the background, a grid of `values` (n x n, row 0 at ymin, spanning `bounds`),
        e.g. one neuron's output while the pointer is on it; None removes it."""
        if values is None:
            if getattr(self, "_overlay", None) is not None:
                self._overlay.hide()
                self._overlay_title.hide()
            return
        if getattr(self, "_overlay", None) is None:
            self._overlay = pg.ImageItem(axisOrder="row-major")
            self._overlay.setColorMap(OVERLAY)
            self._overlay.setZValue(0.5)  # over the background, under the points
            self.getPlotItem().addItem(self._overlay)
            self._overlay_title = QLabel(self)
            self._overlay_title.setStyleSheet("background: rgba(255, 255, 255, 220);")
        scale = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
        grid = upsample(np.nan_to_num(values) / max(scale, 1e-9), DRAWN_CELLS)
        self._overlay.setImage(grid, autoLevels=False, levels=(-1.0, 1.0))
        self._overlay.setRect(_cell_rect(bounds, grid.shape[0]))
        self._overlay.show()
        self._overlay_title.setText(f" {title}'s output (orange < 0 < blue) ")
        self._overlay_title.adjustSize()
        self._overlay_title.move(60, 6)
        self._overlay_title.show()

    def set_traced(self, kind, index):
        points = self._points[kind]
        self.traced.setData(pos=points[index : index + 1] if 0 <= index < len(points) else [])

    def point_position(self, kind, index):
        """Widget (viewport) coordinates of a data point, for tests and tooltips."""
        x, y = self._points[kind][index]
        scene = self.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)

    def _on_scene_clicked(self, event):
        view = self.getPlotItem().getViewBox()
        click = view.mapSceneToView(event.scenePos())
        px, py = view.viewPixelSize()
        best = None
        for kind, points in self._points.items():
            if not len(points):
                continue
            dist = np.hypot((points[:, 0] - click.x()) / px, (points[:, 1] - click.y()) / py)
            index = int(np.argmin(dist))
            if dist[index] <= CLICK_RADIUS_PX and (best is None or dist[index] < best[0]):
                best = (dist[index], kind, index)
        if best is not None:
            event.accept()
            self.sample_clicked.emit(best[1], best[2])

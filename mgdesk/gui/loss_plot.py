"""The live loss plot: train and test loss, accuracy on its own axis, the previous run as a ghost.

The y axis is set by the current run only: the ghost of a run that blew up (1e178, inf) is
clipped just above the top of the plot when drawn, so it can never flatten the new curves.

Painting must stay cheap while a worker thread trains (every Python call Qt makes during a
paint has to win the GIL back), so the curves are made once and fed with `setData`, and
the axes change range only in 1-2-3-5 jumps instead of auto-ranging on every update (an axis
whose range changes redraws all its ticks and labels).
"""

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

__all__ = ["LossPlot"]

TRAIN_COLOR = (21, 101, 192)
TEST_COLOR = (230, 120, 20)
GHOST_COLOR = (120, 120, 120, 120)
TINY = 1e-12  # a zero loss is drawn here on a log scale
DRAWN_BINS = 600  # longer runs are drawn as the low and high of this many bins of steps
# (about one bin per pixel column of the plot in the default window: a paint of 3,000 points
# per curve took 2-3 times as long and showed nothing more)
COLUMNS = ("step", "train", "test", "tacc", "vacc")


def decimate(steps, values, bins=DRAWN_BINS):
    """At most 2 x `bins` points that keep the shape of a long curve: each bin of steps is
    drawn as its lowest and its highest value (NaN ignored), so no spike disappears."""
    n = len(steps)
    if n <= 2 * bins:
        return steps, values
    starts = np.arange(0, n, -(-n // bins))
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(values, starts)
        high = np.fmax.reduceat(values, starts)
    x = np.repeat(steps[starts], 2)
    y = np.empty(2 * len(starts))
    y[0::2], y[1::2] = low, high
    return x, y


def nice_ceiling(x):
    """The smallest of 1, 2, 3, 5, 10, 20, ... (times a power of ten) that is >= x."""
    if not x > 0 or not math.isfinite(x):
        return 1.0
    decade = 10 ** math.floor(math.log10(x))
    return next(m * decade for m in (1, 2, 3, 5, 10) if m * decade >= x * (1 - 1e-12))


class LossPlot(pg.PlotWidget):
    """Curves are created once and fed with `setData`; the train loss is the first data item."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setObjectName("lossPlot")
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(False, False)
        item.disableAutoRange()
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss")
        item.getAxis("left").enableAutoSIPrefix(False)  # no "loss (x1e+27)" after a blow-up
        item.setDownsampling(auto=True, mode="peak")
        self.legend = item.addLegend(offset=(-10, 10), labelTextSize="8pt")
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 235))  # curves pass behind its text
        self.legend.setPen(pg.mkPen(220, 220, 220))
        self.train_loss = item.plot(pen=pg.mkPen(TRAIN_COLOR, width=2), name="train loss")
        # Dashed or translucent lines 1 px wide: Qt strokes a wider one ~5x slower (its
        # paint held the GUI thread for 10 ms), while pyqtgraph draws the solid train
        # loss as separate segments at any width.
        self.test_loss = item.plot(
            pen=pg.mkPen(TEST_COLOR, width=1, style=Qt.PenStyle.DashLine), name="test loss"
        )
        self.ghost = item.plot(pen=pg.mkPen(GHOST_COLOR, width=1), name="previous run")
        self.legend.removeItem(self.ghost)  # listed once there is a previous run

        # accuracy lives in its own view box, drawn against the right axis (0..1)
        self.accuracy_box = pg.ViewBox(enableMouse=False)
        item.showAxis("right")
        item.scene().addItem(self.accuracy_box)
        self.accuracy_box.setZValue(item.zValue() - 1)  # under the legend (the plot's child)
        right = item.getAxis("right")
        right.linkToView(self.accuracy_box)
        right.setLabel("accuracy")
        self.accuracy_box.setXLink(item)
        self.accuracy_box.disableAutoRange()
        self.accuracy_box.setYRange(0, 1, padding=0.02)
        self.train_acc = pg.PlotDataItem(pen=pg.mkPen(TRAIN_COLOR + (140,), width=1))
        self.test_acc = pg.PlotDataItem(
            pen=pg.mkPen(TEST_COLOR + (140,), width=1, style=Qt.PenStyle.DotLine)
        )
        for curve, name in ((self.train_acc, "train accuracy"), (self.test_acc, "test accuracy")):
            self.accuracy_box.addItem(curve)
            self.legend.addItem(curve, name)
        item.getViewBox().sigResized.connect(self._sync_boxes)
        for curve in self._curves():  # a dot in its colour, shown while it has one point
            color = curve.opts["pen"].color()
            curve.setSymbolBrush(color)
            curve.setSymbolPen(color)
            curve.setSymbolSize(6)

        self._data = np.empty((len(COLUMNS), 1024))  # every step's row, growing by doubling
        self._count = 0
        self._ghost = (np.empty(0), np.empty(0))
        self._log = False
        self._range = None
        self._update_range()

    def _curves(self):
        return (self.train_loss, self.test_loss, self.ghost, self.train_acc, self.test_acc)

    def _mark_single_points(self):
        """A curve of one point draws no line: show it as a dot (after one step, S)."""
        for curve in self._curves():
            xs = curve.getData()[0]
            single = xs is not None and len(xs) == 1
            if single != (curve.opts["symbol"] is not None):
                curve.setSymbol("o" if single else None)

    def _sync_boxes(self):
        self.accuracy_box.setGeometry(self.getPlotItem().getViewBox().sceneBoundingRect())

    # ---- data ----

    def _column(self, name):
        return self._data[COLUMNS.index(name), : self._count]

    def append(self, stats):
        """Add StepStats rows (in order) and redraw once. Every row is kept; long runs are
        drawn decimated (see `decimate`)."""
        if not stats:
            return
        rows = np.array(
            [
                (
                    s.step,
                    s.train_loss,
                    np.nan if s.test_loss is None else s.test_loss,
                    s.train_acc,
                    np.nan if s.test_acc is None else s.test_acc,
                )
                for s in stats
            ],
            dtype=float,
        ).T
        end = self._count + rows.shape[1]
        if end > self._data.shape[1]:
            grown = np.empty((len(COLUMNS), max(end, 2 * self._data.shape[1])))
            grown[:, : self._count] = self._data[:, : self._count]
            self._data = grown
        self._data[:, self._count : end] = rows
        self._count = end
        self._redraw()

    def new_run(self, label):
        """Start empty; the finished run (if it had steps) becomes the labelled ghost."""
        if self._count:
            self._ghost = (self._column("step").copy(), self._column("train").copy())
            self.legend.removeItem(self.ghost)
            self.legend.addItem(self.ghost, f"previous: {label}")
        self.load_history(())

    def load_history(self, stats):
        """Replace the current curves with a saved history (or nothing)."""
        self._count = 0
        self.append(tuple(stats))
        self._redraw()
        self._draw_ghost()

    def set_log_scale(self, on):
        self._log = bool(on)
        self.getPlotItem().setLogMode(y=self._log)
        self.getPlotItem().getAxis("right").setLogMode(False)  # accuracy stays linear
        self._range = None
        self._redraw()
        self._draw_ghost()

    def point_count(self):
        """How many training steps are plotted (kept: the curves may draw fewer points)."""
        return self._count

    # ---- drawing ----

    def _loss(self, values):
        array = np.asarray(values, dtype=float)
        return np.where(array > 0, array, TINY) if self._log else array

    def _draw_ghost(self):
        """The ghost, clipped a little above the plot's top: an overflowing run (or inf)
        leaves through the top edge instead of being drawn at 1e178."""
        steps, losses = self._ghost
        if self._range is None or not len(losses):
            self.ghost.setData(*decimate(steps, self._loss(losses)))
            self._mark_single_points()
            return
        top = self._range[1][1]
        cap = 10.0 ** (top + 1) if self._log else 2.0 * top
        losses = np.where(np.isnan(losses), cap, np.minimum(losses, cap))
        self.ghost.setData(*decimate(steps, self._loss(losses)))
        self._mark_single_points()

    def _redraw(self):
        steps = self._column("step")
        test = self._column("test")
        has_test = bool(len(test)) and not np.all(np.isnan(test))
        self.train_loss.setData(*decimate(steps, self._loss(self._column("train"))))
        self.train_acc.setData(*decimate(steps, self._column("tacc")))
        if has_test:
            self.test_loss.setData(*decimate(steps, self._loss(test)), connect="finite")
            self.test_acc.setData(*decimate(steps, self._column("vacc")), connect="finite")
        else:
            self.test_loss.setData([], [])
            self.test_acc.setData([], [])
        self._update_range()
        self._mark_single_points()

    def _update_range(self):
        """Grow the ranges in 1-2-3-5 jumps, so most updates leave the axes untouched.

        The losses of the current run set the y axis; before its first step, the ghost's
        first loss does (where the new run will start). Values that are not finite never do.
        """
        ghost_steps, ghost_losses = self._ghost
        ghost_last = ghost_steps[-1] if len(ghost_steps) else 0
        last = max(self._column("step")[-1] if self._count else 0, ghost_last, 10)
        losses = self._data[1:3, : self._count] if self._count else ghost_losses[:1]
        losses = losses[np.isfinite(losses)]
        if self._log:  # whole decades, at least three (fewer would crowd the tick labels)
            positive = losses[losses > 0]
            low, high = (positive.min(), positive.max()) if len(positive) else (0.01, 1.0)
            top = math.ceil(math.log10(high))
            y = (min(math.floor(math.log10(low)), top - 3), top)
        else:
            y = (0.0, nice_ceiling(float(losses.max()) if len(losses) else 1.0))
        wanted = (nice_ceiling(last), y)
        if wanted != self._range:
            self._range = wanted
            self.setXRange(0, wanted[0], padding=0.01)
            self.setYRange(*y, padding=0.02)
            self._draw_ghost()

"""The live loss plot: train and test loss, accuracy on its own axis, the last runs faintly.

One run is shown live, or two side by side in compare mode (each labelled by what differs:
"tanh" / "relu"). The runs before stay as faint curves: the last MAX_RUNS of them, each
labelled by what changed from the run before (train.runs.RunHistory), shown or hidden from
the Runs menu (`runs_button`). The y axis is set by the live runs only: a kept run that blew
up (1e178, inf) is clipped just above the top of the plot when drawn, so it can never
flatten the new curves.

Painting must stay cheap while a worker thread trains (every Python call Qt makes during a
paint has to win the GIL back), so the curves are made once and fed with `setData`, and
the axes change range only in 1-2-3-5 jumps instead of auto-ranging on every update (an axis
whose range changes redraws all its ticks and labels).
"""

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton

from mgdesk.train.runs import RunHistory

__all__ = ["LossPlot"]

TRAIN_COLOR = (21, 101, 192)
TEST_COLOR = (230, 120, 20)
COMPARE_COLORS = ((21, 101, 192), (200, 40, 40))  # run A, run B of a comparison
GHOST_COLOR = (120, 120, 120, 120)  # the run before
# older runs: muted colours, so that two kept runs can be told apart
OLDER_COLORS = (
    (150, 110, 190), (140, 100, 70), (90, 160, 150), (190, 120, 160), (150, 150, 60),
    (100, 130, 190), (170, 90, 90), (110, 160, 100), (160, 130, 100),
)  # fmt: skip
SHOWN_BY_DEFAULT = 3  # kept runs drawn unless hidden; older ones are hidden as they age
TINY = 1e-12  # a zero loss is drawn here on a log scale
DRAWN_BINS = 600  # longer runs are drawn as the low and high of this many bins of steps
# (about one bin per pixel column of the plot in the default window: a paint of 3,000 points
# per curve took 2-3 times as long and showed nothing more)
COLUMNS = ("step", "train", "test", "tacc", "vacc", "lr")


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


class _Row:
    __slots__ = ("step", "train_loss", "test_loss", "train_acc", "test_acc", "lr")

    def __init__(self, values):
        step, train, test, tacc, vacc, lr = values
        self.step, self.train_loss, self.train_acc, self.lr = int(step), train, tacc, lr
        self.test_loss = None if test != test else test  # NaN: no test set
        self.test_acc = None if vacc != vacc else vacc


class _Rows(Sequence):
    """A live run's columns as the sequence of step rows RunHistory.add reads."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return self.data.shape[1]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return _Rows(self.data[:, index])
        return _Row(self.data[:, index].tolist())


class _LiveRun:
    """The curves of one run being trained and every step's row (growing by doubling)."""

    def __init__(self, plot, accuracy_box, legend, color, test_color, label=None, score="accuracy"):
        self.label = label
        self.train_loss = plot.plot(pen=pg.mkPen(color, width=2))
        # Dashed or translucent lines 1 px wide: Qt strokes a wider one ~5x slower (its
        # paint held the GUI thread for 10 ms), while pyqtgraph draws the solid train
        # loss as separate segments at any width.
        self.test_loss = plot.plot(pen=pg.mkPen(test_color, width=1, style=Qt.PenStyle.DashLine))
        self.train_acc = pg.PlotDataItem(pen=pg.mkPen(color + (140,), width=1))
        self.test_acc = pg.PlotDataItem(
            pen=pg.mkPen(test_color + (140,), width=1, style=Qt.PenStyle.DotLine)
        )
        accuracy_box.addItem(self.train_acc)
        accuracy_box.addItem(self.test_acc)
        # compare mode: the train accuracies only (four lines near 100% hide each other;
        # the compare table has the test accuracy)
        self.test_acc.setVisible(label is None)
        if label is None:
            names = ("train loss", "test loss", f"train {score}", f"test {score}")
            curves = (self.train_loss, self.test_loss, self.train_acc, self.test_acc)
        else:  # compare mode: the accuracies keep their colours, the legend stays short
            names, curves = (
                (f"{label} · train", f"{label} · test"),
                (
                    self.train_loss,
                    self.test_loss,
                ),
            )
        for curve, name in zip(curves, names):
            legend.addItem(curve, name)
        self.data = np.empty((len(COLUMNS), 1024))
        self.count = 0

    @property
    def curves(self):
        return (self.train_loss, self.test_loss, self.train_acc, self.test_acc)

    def column(self, name):
        return self.data[COLUMNS.index(name), : self.count]

    def rows(self):
        return _Rows(self.data[:, : self.count])

    def append(self, stats):
        rows = np.array(
            [
                (
                    s.step,
                    s.train_loss,
                    np.nan if s.test_loss is None else s.test_loss,
                    s.train_acc,
                    np.nan if s.test_acc is None else s.test_acc,
                    getattr(s, "lr", np.nan),
                )
                for s in stats
            ],
            dtype=float,
        ).T
        end = self.count + rows.shape[1]
        if end > self.data.shape[1]:
            grown = np.empty((len(COLUMNS), max(end, 2 * self.data.shape[1])))
            grown[:, : self.count] = self.data[:, : self.count]
            self.data = grown
        self.data[:, self.count : end] = rows
        self.count = end

    def remove(self, plot, accuracy_box, legend):
        for curve in self.curves:
            legend.removeItem(curve)
        plot.removeItem(self.train_loss)
        plot.removeItem(self.test_loss)
        accuracy_box.removeItem(self.train_acc)
        accuracy_box.removeItem(self.test_acc)


class LossPlot(pg.PlotWidget):
    """Curves are created once and fed with `setData`; the train loss is the first data item.

    `train_loss`, `test_loss`, `train_acc`, `test_acc` are the (first) live run's curves;
    `ghost` is the curve of the run before (empty until there is one); `history` the kept
    runs (a RunHistory, oldest first) and `history_curves` their curves, in that order."""

    runs_changed = Signal()  # a run was kept, dropped, shown or hidden

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
        # at the right, half-way up: where trained curves are not (losses fall to the
        # bottom, accuracies rise to the top)
        self.legend.anchor(itemPos=(1, 0.5), parentPos=(1, 0.5), offset=(-10, 0))
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 235))  # curves pass behind its text
        self.legend.setPen(pg.mkPen(220, 220, 220))

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
        item.getViewBox().sigResized.connect(self._sync_boxes)

        self.history = RunHistory()
        self.history_curves = []  # one PlotDataItem per kept run, in the history's order
        self._history_arrays = []  # (steps, train losses) of each kept run, as arrays
        self._no_ghost = pg.PlotDataItem()  # `ghost` while no run is kept: never drawn
        self._live = []
        self._score = "accuracy"  # what the right axis shows: "accuracy", or "R²" (regression)
        self._log = False
        self._range = None
        self.set_runs([None])
        self.runs_button = self._make_runs_button()

    # ---- the live runs ----

    def set_runs(self, labels):
        """Show len(labels) live runs, all empty: [None] is the single run (its curves
        named "train loss", ...), ["tanh", "relu"] a comparison (named by their label)."""
        item = self.getPlotItem()
        for run in self._live:
            run.remove(item, self.accuracy_box, self.legend)
        single = list(labels) == [None]
        for curve in self.history_curves:  # added again after the live ones (see below)
            item.removeItem(curve)
        self._live = []
        for i, label in enumerate(labels):
            color = TRAIN_COLOR if single else COMPARE_COLORS[i % len(COMPARE_COLORS)]
            test = TEST_COLOR if single else color
            live = _LiveRun(item, self.accuracy_box, self.legend, color, test, label, self._score)
            self._live.append(live)
        for curve in self.history_curves:  # the live run's train loss stays the first item
            item.addItem(curve)
        first = self._live[0]
        self.train_loss, self.test_loss = first.train_loss, first.test_loss
        self.train_acc, self.test_acc = first.train_acc, first.test_acc
        for run in self._live:
            for curve in run.curves:  # a dot in its colour, shown while it has one point
                color = curve.opts["pen"].color()
                curve.setSymbolBrush(color)
                curve.setSymbolPen(color)
                curve.setSymbolSize(6)
        self._relegend_history()  # the kept runs listed after the live ones
        self._range = None
        self._redraw()

    def set_task(self, task):
        """Name the right axis after what the runs score: accuracy (0..1) for classes, R²
        for a regression, drawn from -1 (a worse fit than the mean of y, often the case
        at first, is drawn at -1) to 1. Keeps the live runs' rows."""
        score = "R²" if task == "regression" else "accuracy"
        if score == self._score:
            return
        self._score = score
        self.getPlotItem().getAxis("right").setLabel(score)
        self.accuracy_box.setYRange(-1 if score == "R²" else 0, 1, padding=0.02)
        for _curve, label in self.legend.items:
            side, _, named = label.text.partition(" ")
            if side in ("train", "test") and named in ("accuracy", "R²"):
                label.setText(f"{side} {score}")
        self._redraw()

    def _scores(self, values):
        """Accuracies as they are; R² below -1 drawn at -1 (the bottom of its axis)."""
        return np.maximum(values, -1.0) if self._score == "R²" else values

    @property
    def run_labels(self):
        return [run.label for run in self._live]

    def _curves(self):
        return [c for run in self._live for c in run.curves] + self.history_curves

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

    def _column(self, name, run=0):
        return self._live[run].column(name)

    def append(self, stats, run=0):
        """Add StepStats rows (in order) to live run `run` and redraw once. Every row is
        kept; long runs are drawn decimated (see `decimate`)."""
        if not stats:
            return
        self._live[run].append(stats)
        self._redraw()

    def append_runs(self, stats):
        """Add StepStats rows to each live run (`stats[i]` to run i) and redraw once."""
        if not any(stats):
            return
        for run, rows in zip(self._live, stats):
            if rows:
                run.append(rows)
        self._redraw()

    def new_run(self, label=None, config=None, lr=None, diverged=False):
        """Start empty; the finished (first live) run, if it had steps, is kept in the
        history: labelled `label`, or by what changed in TrainConfig `config` from the run
        before; `lr` is the base learning rate it ended with, `diverged` whether it blew up."""
        self.keep_runs([(label, config, lr, diverged)])
        self.load_history(())

    def keep_runs(self, runs):
        """Keep the live runs that have steps in the history: `runs` gives (label, config,
        lr, diverged) for each live run, in order (see new_run). The live runs stay as
        they are; call load_history or set_runs next."""
        for live, (label, config, lr, diverged) in zip(self._live, runs):
            if live.count:
                self.history.add(config, live.rows(), diverged, lr, label=label or None)
                aged = len(self.history) - 1 - SHOWN_BY_DEFAULT
                if aged >= 0:  # shown until it is this old, unless shown again
                    self.history.set_visible(aged, False)
        self._sync_history()

    def load_history(self, stats, run=0):
        """Replace live run `run`'s curves with a saved history (or nothing)."""
        self._live[run].count = 0
        self.append(tuple(stats), run)
        self._redraw()

    def set_log_scale(self, on):
        self._log = bool(on)
        self.getPlotItem().setLogMode(y=self._log)
        self.getPlotItem().getAxis("right").setLogMode(False)  # accuracy stays linear
        self._range = None
        self._redraw()
        self._draw_history()

    def point_count(self, run=0):
        """How many training steps are plotted (kept: the curves may draw fewer points)."""
        return self._live[run].count

    # ---- the kept runs ----

    @property
    def ghost(self):
        """The curve of the run before (the newest kept run), or an empty one."""
        return self.history_curves[-1] if self.history_curves else self._no_ghost

    def set_run_visible(self, index, visible):
        """Show or hide kept run `index` (0 is the oldest)."""
        self.history.set_visible(index, visible)
        self._sync_history()

    def forget_runs(self):
        self.history.clear()
        self._sync_history()

    def _sync_history(self):
        """One curve per kept run, coloured by age (the newest grey), listed in the legend
        while shown; then redraw."""
        item = self.getPlotItem()
        runs = self.history.runs
        for curve in self.history_curves:
            self.legend.removeItem(curve)
            item.removeItem(curve)
        self.history_curves = []
        self._history_arrays = [
            (
                np.asarray(run.steps, dtype=float),
                np.array([np.nan if v is None else v for v in run.curves["train_loss"]]),
            )
            for run in runs
        ]
        for age, run in enumerate(reversed(runs)):
            color = (
                GHOST_COLOR if age == 0 else OLDER_COLORS[(age - 1) % len(OLDER_COLORS)] + (130,)
            )
            curve = pg.PlotDataItem(pen=pg.mkPen(color, width=1))  # translucent: 1 px
            curve.setSymbolBrush(color)
            curve.setSymbolPen(color)
            curve.setSymbolSize(6)
            curve.setZValue(-1)  # under the live curves
            curve.setVisible(run.visible)
            self.history_curves.insert(0, curve)
            item.addItem(curve)
        self._relegend_history()
        self._range = None
        self._redraw()
        self._draw_history()
        self._update_runs_menu()
        self.runs_changed.emit()

    def _legend_text(self, index):
        run = self.history.runs[index]
        newest = index == len(self.history.runs) - 1
        text = f"{'previous' if newest else 'earlier'}: {run.label}"
        return text + (" (diverged)" if run.diverged else "")

    def _relegend_history(self):
        for i, curve in enumerate(self.history_curves):
            self.legend.removeItem(curve)
            if self.history.runs[i].visible:
                self.legend.addItem(curve, self._legend_text(i))

    def _draw_history(self):
        """The kept runs, clipped a little above the plot's top: an overflowing run (or
        inf) leaves through the top edge instead of being drawn at 1e178."""
        cap = None
        if self._range is not None:
            top = self._range[1][1]
            cap = 10.0 ** (top + 1) if self._log else 2.0 * top
        for (steps, losses), curve in zip(self._history_arrays, self.history_curves):
            if cap is not None:
                losses = np.where(np.isnan(losses), cap, np.minimum(losses, cap))
            curve.setData(*decimate(steps, self._loss(losses)))
        self._mark_single_points()

    # ---- the Runs menu ----

    def _make_runs_button(self):
        button = QToolButton()
        button.setObjectName("runsButton")
        button.setText("Runs")
        button.setToolTip("The last runs: show or hide each one's curve")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMenu(QMenu(button))
        self._update_runs_menu(button)
        return button

    def _update_runs_menu(self, button=None):
        button = button or getattr(self, "runs_button", None)
        if button is None:
            return
        menu = button.menu()
        menu.clear()
        runs = self.history.runs
        button.setText(f"Runs ({len(runs)})" if runs else "Runs")
        button.setEnabled(bool(runs))
        for index in reversed(range(len(runs))):  # the newest first
            run = runs[index]
            last = run.steps[-1] if run.steps else 0
            text = f"{run.label} · {last:,} steps" + (" · diverged" if run.diverged else "")
            action = QAction(text, menu, checkable=True)
            action.setChecked(run.visible)
            action.setObjectName(f"run{index}")
            action.toggled.connect(lambda on, i=index: self.set_run_visible(i, on))
            menu.addAction(action)
        if runs:
            menu.addSeparator()
            menu.addAction("Show All", lambda: self._show_all(True))
            menu.addAction("Hide All", lambda: self._show_all(False))
            menu.addAction("Forget All", self.forget_runs)

    def _show_all(self, visible):
        for i in range(len(self.history)):
            self.history.set_visible(i, visible)
        self._sync_history()

    # ---- drawing ----

    def _loss(self, values):
        array = np.asarray(values, dtype=float)
        return np.where(array > 0, array, TINY) if self._log else array

    def _redraw(self):
        for run in self._live:
            steps = run.column("step")
            test = run.column("test")
            has_test = bool(len(test)) and not np.all(np.isnan(test))
            run.train_loss.setData(*decimate(steps, self._loss(run.column("train"))))
            run.train_acc.setData(*decimate(steps, self._scores(run.column("tacc"))))
            if has_test:
                run.test_loss.setData(*decimate(steps, self._loss(test)), connect="finite")
                vacc = self._scores(run.column("vacc"))
                run.test_acc.setData(*decimate(steps, vacc), connect="finite")
            else:
                run.test_loss.setData([], [])
                run.test_acc.setData([], [])
        self._update_range()
        self._mark_single_points()

    def _shown_history(self):
        """The kept runs drawn, and of those the ones that may say where a new run starts
        (not diverged)."""
        return [r for r in self.history.runs if r.visible]

    def _update_range(self):
        """Grow the ranges in 1-2-3-5 jumps, so most updates leave the axes untouched.

        The losses of the live runs set the y axis; before their first step, the first
        loss of the newest shown kept run that did not diverge does (where a new run will
        start). Values that are not finite never do; nor does a run that diverged."""
        shown = self._shown_history()
        live = [run.column("step")[-1] for run in self._live if run.count]
        # the live runs set the x axis (a kept run of 5,000 steps would squeeze a new one
        # into its first pixels; kept runs are drawn over the steps shown); before their
        # first step, the kept runs shown do
        last = max([10] + (live or [r.steps[-1] for r in shown if r.steps]))
        counted = [run for run in self._live if run.count]
        if counted:
            losses = np.concatenate([run.data[1:3, : run.count].ravel() for run in counted])
        else:
            calm = [r for r in shown if not r.diverged and r.curves.get("train_loss")]
            first = calm[-1].curves["train_loss"][:1] if calm else []
            losses = np.array(first, dtype=float)
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
            self._draw_history()

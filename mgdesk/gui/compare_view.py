"""Compare mode's view: the two runs' decision boundaries side by side, a switch for the run
whose graph is drawn, and a small table of figures (train/test loss and accuracy now, the
step that reached 95% train accuracy, ms per step, dead ReLUs)."""

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mgdesk.gui.boundary import BoundaryPlot
from mgdesk.gui.loss_plot import COMPARE_COLORS
from mgdesk.train.runs import dead_relus

__all__ = ["COLUMNS", "CompareView", "dead_relu_text", "figure_texts", "relu_count"]

COLUMNS = (
    ("train loss", "train loss (whole train set, L2 included)"),
    ("test loss", "test loss (whole test set)"),
    ("train acc", "train accuracy (whole train set)"),
    ("test acc", "test accuracy"),
    ("95% at", "the first step whose train accuracy reached 95%"),
    ("ms/step", "milliseconds per training step, on average"),
    ("dead ReLUs", "hidden ReLU neurons that output 0 on every training point: no "
                   "gradient passes them, so no step can revive them"),
)  # fmt: skip


def _number(value, percent=False):
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:.1f}%" if percent else f"{value:.4g}"


R2_HEADERS = {"train acc": "train R²", "test acc": "test R²", "95% at": "R² 0.95 at"}


def figure_texts(figures, relus, regression=False):
    """The table's texts for a RunFigures; `relus`: hidden ReLU neurons the run has;
    a regression's scores are R², shown as numbers, not percentages."""
    if figures is None:
        return ["…"] * len(COLUMNS)
    dead = f"{len(figures.dead)} of {relus}" if relus else "no ReLU"
    if figures.diverged:
        return ["diverged", "–", "–", "–", _step(figures.steps_to_95), "–", "–"]
    return [
        _number(figures.train_loss),
        _number(figures.test_loss),
        _number(figures.train_acc, percent=not regression),
        _number(figures.test_acc, percent=not regression),
        _step(figures.steps_to_95),
        "–" if figures.ms_per_step is None else f"{figures.ms_per_step:.2f}",
        dead,
    ]


def _step(step):
    return "not yet" if step is None else f"step {step:,}"


def relu_count(config):
    """How many hidden neurons of TrainConfig `config` are ReLUs."""
    acts = config.layer_activations()
    return sum(n for n, act in zip(config.layers, acts) if act == "relu")


def dead_relu_text(model, data, config):
    """The status line's "dead ReLUs 3 of 32" for a model dict on a Dataset's train points
    ("" without a network or a hidden ReLU)."""
    if model is None or data is None or config is None:
        return ""
    relus = relu_count(config)
    if not relus:
        return ""
    dead = dead_relus(model, data.x_train, config.input_features)
    return f"dead ReLUs {len(dead)} of {relus}"


class CompareView(QWidget):
    """Two boundaries (A left, B right) with their labels, the graph switch, the table."""

    graph_run_changed = Signal(int)  # which run's graph to draw
    leave_requested = Signal()
    sample_clicked = Signal(str, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("compareView")
        self.boundaries = [BoundaryPlot(), BoundaryPlot()]
        self.titles = [QLabel(), QLabel()]
        self.graph_buttons = [QRadioButton(), QRadioButton()]
        self.graph_group = QButtonGroup(self)
        self._relus = [0, 0]
        self.regression = False  # the runs fit a curve: R² where classes have accuracy
        self.labels = ["A", "B"]
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 2)
        self.caption = QLabel("Compare")
        self.caption.setProperty("role", "caption")
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header.addWidget(self.caption, 1)
        header.addWidget(QLabel("Graph of:"))
        for i, button in enumerate(self.graph_buttons):
            button.setObjectName(f"graphRun{i}")
            self.graph_group.addButton(button, i)
            header.addWidget(button)
        self.graph_buttons[0].setChecked(True)
        self.graph_group.idToggled.connect(self._on_graph_group_toggled)
        self.leave_button = QPushButton("Leave Compare")
        self.leave_button.setObjectName("leaveCompareButton")
        self.leave_button.setToolTip("Back to the single run (the compared runs stay under Runs)")
        self.leave_button.clicked.connect(self.leave_requested)
        header.addWidget(self.leave_button)

        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.setSpacing(4)
        for i, (plot, title) in enumerate(zip(self.boundaries, self.titles)):
            plot.setObjectName(f"compareBoundary{i}")
            plot.sample_clicked.connect(self.sample_clicked)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(title)
            column.addWidget(plot, 1)
            plots.addLayout(column, 1)

        self.table = QTableWidget(2, len(COLUMNS))
        self.table.setObjectName("compareTable")
        for j, (name, tip) in enumerate(COLUMNS):
            item = QTableWidgetItem(name)
            item.setToolTip(tip)
            self.table.setHorizontalHeaderItem(j, item)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for i in range(2):
            for j in range(len(COLUMNS)):
                item = QTableWidgetItem("…")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(i, j, item)
        self._fit_table()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addLayout(plots, 1)
        layout.addWidget(self.table)

    def _fit_table(self):
        table = self.table
        table.resizeRowsToContents()
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(i) for i in range(table.rowCount()))
        table.setFixedHeight(height)

    def relus(self, run):
        """How many hidden ReLUs run `run` has."""
        return self._relus[run]

    @property
    def graph_run(self):
        return max(0, self.graph_group.checkedId())

    def set_runs(self, labels, configs, step=0):
        """Name the runs (their labels: what differs) and clear the figures."""
        self.labels = list(labels)
        self._relus = [relu_count(c) for c in configs]
        self.regression = configs[0].task == "regression"
        for j, (name, _) in enumerate(COLUMNS):
            shown = R2_HEADERS.get(name, name) if self.regression else name
            self.table.horizontalHeaderItem(j).setText(shown)
        self.caption.setText(f"Compare · {labels[0]} vs {labels[1]} · same start, lockstep")
        for i, label in enumerate(labels):
            color = QColor(*COMPARE_COLORS[i])
            self.titles[i].setText(f"<b style='color:{color.name()}'>{'AB'[i]}: {label}</b>")
            self.graph_buttons[i].setText(label)
            header = QTableWidgetItem(f"{'AB'[i]}: {label}")
            header.setForeground(color)
            self.table.setVerticalHeaderItem(i, header)
        self.set_figures((None, None))
        self._fit_table()

    def set_figures(self, figures):
        for i, shown in enumerate(figures):
            for j, text in enumerate(figure_texts(shown, self._relus[i], self.regression)):
                self.table.item(i, j).setText(text)

    def figure_text(self, run, column):
        """The table's text for `run` under the column named `column` (for tests)."""
        j = [name for name, _ in COLUMNS].index(column)
        return self.table.item(run, j).text()

    def _on_graph_group_toggled(self, index, checked):
        if checked:
            self.graph_run_changed.emit(index)

    def set_data(self, data, box, regression=False):
        for plot in self.boundaries:
            plot.set_data(data, box, regression)

    def set_traced(self, kind, index):
        for plot in self.boundaries:
            plot.set_traced(kind, index)

    def mark_stale(self):
        for plot in self.boundaries:
            plot.mark_stale()

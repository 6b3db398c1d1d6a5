"""The control panel: data, network and training settings, turned into a `TrainConfig`."""

import math
from dataclasses import fields
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mgdesk.engine import ACTIVATIONS  # the table in engine/activations.py, in its order
from mgdesk.gui.exact_spin_box import ExactSpinBox
from mgdesk.gui.widgets import restyle
from mgdesk.train import ConfigError, TrainConfig, parse_layers
from mgdesk.train import config as train_config
from mgdesk.train.config import LOSS_NAMES, MULTI_CLASS_DATASETS, REGRESSION_DATASETS, TASKS
from mgdesk.train.features import FEATURE_NAMES
from mgdesk.train.optim import OPTIMIZERS

__all__ = ["ArchitecturePanel"]

DATASETS = tuple(name for name in train_config.DATASETS if name not in ("csv", "drawn"))
FEATURE_TEXT = {"x1^2": "x1²", "x2^2": "x2²", "x1*x2": "x1·x2", "sin(x1)": "sin x1"}
FEATURE_TEXT["sin(x2)"] = "sin x2"
DRAWN_TEXT = "drawn points"  # the dataset "drawn": what Edit points on the boundary made
SAME = "as above"  # a layer that follows the network's activation
SETTINGS = {f.name: f.metadata for f in fields(TrainConfig)}  # label, help, limits
NUMBER_FIELDS = ("samples", "noise", "classes", "test_split", "seed", "lr", "momentum",
                 "batch_size", "l2", "steps")  # fmt: skip
LABELS = {"steps": "Step limit"}  # where the window names a setting otherwise


def _limits(name):
    """The lowest and highest value the setting `name` accepts, as TrainConfig says (an
    open end moved to the nearest float inside): a box holds every value that is valid."""
    r = SETTINGS[name]["limits"]
    low = math.nextafter(float(r.low), math.inf) if r.low_open else r.low
    high = math.nextafter(float(r.high), -math.inf) if r.high_open else r.high
    return low, high


def _label(name):
    text = SETTINGS[name]["label"]
    return LABELS.get(name, text[:1].upper() + text[1:])


def _help(name):
    """The setting's help (and range) from TrainConfig, as a tooltip."""
    meta = SETTINGS[name]
    text = meta["help"][:1].upper() + meta["help"][1:]
    return f"{text} ({meta['limits'].text()})" if meta["limits"] else text


def _spin(cls, minimum, maximum, step=1, decimals=None, special=None):
    box = cls()
    box.setRange(minimum, maximum)
    box.setSingleStep(step)
    box.setKeyboardTracking(False)  # typed numbers count when Enter is pressed or focus leaves
    if decimals is not None:
        box.setDecimals(decimals)
    if special:
        box.setSpecialValueText(special)
    return box


def _combo(items, name=None):
    box = QComboBox()
    box.addItems(items)
    if name:
        box.setObjectName(name)
    return box


def _tool(text, tip):
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button


class ArchitecturePanel(QWidget):
    """Every setting of a run. `config()` validates them (raising `ConfigError`);
    `mark_error(field, message)` shows the reason beside the field."""

    changed = Signal()  # any setting was edited
    lr_changed = Signal(float)
    import_csv_requested = Signal()
    csv_imported = Signal(str)  # a CSV file was imported (maybe the same one again)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._fields = {}  # TrainConfig field -> (widget, error label, form)
        self._csv_path = None
        self._decay_steps = 0  # no control of its own: kept as the settings shown had it
        self._sizes = (16, 16)
        self._layer_acts = []  # per hidden layer: SAME or an activation name
        self._rows = []

        self.dataset = _combo((), "datasetCombo")
        for name in DATASETS:
            self.dataset.addItem(name, name)
        self.dataset.addItem("csv file…", "csv")
        self.dataset.addItem(DRAWN_TEXT, "drawn")
        self.dataset.setToolTip(
            "The 2-D points to classify; 'csv file…' imports your own, 'drawn points' are "
            "the ones you draw on the boundary plot (Edit points, E)"
        )
        self.samples = _spin(QSpinBox, *_limits("samples"), 10)
        self.noise = ExactSpinBox(*_limits("noise"), 0.05)
        self.classes = _spin(QSpinBox, *_limits("classes"))
        self.task = _combo(TASKS, "taskCombo")
        self.features = QWidget()  # a box per input feature, as in TensorFlow Playground
        self.features.setObjectName("featuresBox")
        grid = QGridLayout(self.features)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        self._feature_boxes = {}
        for i, name in enumerate(FEATURE_NAMES):
            box = QCheckBox(FEATURE_TEXT.get(name, name))
            box.setToolTip(f"Give the network {name} as an input")
            box.toggled.connect(self.changed)
            grid.addWidget(box, i // 4, i % 4)
            self._feature_boxes[name] = box
        self.classes.setObjectName("classesSpin")
        self.test_split = ExactSpinBox(*_limits("test_split"), 0.1, special="no test set")
        # the config's range (to 2**32 - 1): past a QSpinBox's int32, so whole floats
        self.seed = _spin(QDoubleSpinBox, *_limits("seed"), 1, 0)

        self.layers = QLineEdit()
        self.layers.setObjectName("layersEdit")
        self.layers.setPlaceholderText("no hidden layer")
        self.layers.setToolTip(
            "Neurons per hidden layer, separated by commas, e.g. 16, 16. Empty: no hidden layer."
        )
        self.activation = _combo(ACTIVATIONS, "activationCombo")
        self.activation.setToolTip("Activation of every hidden layer (change single layers below)")
        self.loss = _combo(LOSS_NAMES, "lossCombo")

        self.lr = ExactSpinBox(*_limits("lr"))
        self.lr.setObjectName("learningRateSpin")
        self.lr.setToolTip("Changes apply at once, also while training. Arrows: 1-2-5 steps")
        self.lr_decay = _combo(train_config.LR_DECAYS, "lrDecayCombo")
        self.optimizer = _combo(OPTIMIZERS, "optimizerCombo")
        self.momentum = ExactSpinBox(*_limits("momentum"), 0.1)
        self.batch_size = _spin(QSpinBox, *_limits("batch_size"), 10, special="full batch")
        self.l2 = ExactSpinBox(*_limits("l2"))
        self.steps = _spin(QSpinBox, *_limits("steps"), 100)
        self.steps.setToolTip("Training stops after this many updates; it applies at once")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._data_group())
        layout.addWidget(self._network_group())
        layout.addWidget(self._training_group())
        layout.addStretch(1)

        for box in (self.samples, self.noise, self.classes, self.test_split, self.seed):
            box.valueChanged.connect(self.changed)
        for box in (self.momentum, self.batch_size, self.l2, self.steps):
            box.valueChanged.connect(self.changed)
        for combo in (self.activation, self.loss, self.lr_decay):
            combo.currentIndexChanged.connect(self.changed)
        self.optimizer.currentIndexChanged.connect(self._on_optimizer_changed)
        self.task.currentIndexChanged.connect(self._on_task_changed)
        self.dataset.currentIndexChanged.connect(self._on_dataset_changed)
        self.layers.textChanged.connect(self._on_layers_edited)
        self.lr.valueChanged.connect(self._on_lr_changed)
        self._range_error = ""  # the number box whose typed number is out of its range
        for name in NUMBER_FIELDS:
            edit = getattr(self, name).lineEdit()
            edit.textEdited.connect(lambda text, name=name: self._on_number_edited(name, text))
        self.set_config(TrainConfig())

    # ---- building ----

    def _group(self, title, rows):
        """A titled form of TrainConfig fields, each the attribute of that name, labelled
        and explained (tooltip, unless the control has its own) from the field's metadata;
        a row can instead be a layout, placed as is. Every field gets a hidden error line
        under it."""
        group = QGroupBox(title)
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(8, 8, 8, 8)
        for row in rows:
            if not isinstance(row, str):
                form.addRow(row)
                continue
            field = row
            widget = getattr(self, field)
            if not widget.toolTip():
                widget.setToolTip(_help(field))
            form.addRow(_label(field), widget)
            error = QLabel()
            error.setProperty("role", "fieldError")
            error.setWordWrap(True)
            form.addRow(error)
            form.setRowVisible(error, False)
            self._fields[field] = (widget, error, form)
        return group

    def _data_group(self):
        return self._group(
            "Data", ("dataset", "task", "samples", "noise", "classes", "test_split", "seed")
        )

    def _network_group(self):
        remove = _tool("− layer", "Remove the last hidden layer")
        add = _tool("+ layer", "Add a hidden layer like the last one")
        remove.setObjectName("removeLayerButton")
        add.setObjectName("addLayerButton")
        self._layer_buttons = (remove, add)
        remove.clicked.connect(lambda: self._edit_sizes(self._sizes[:-1]))
        add.clicked.connect(lambda: self._edit_sizes(self._sizes + (self._sizes[-1:] or (4,))))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(remove)
        buttons.addWidget(add)
        self._rows_box = QVBoxLayout()  # one line per hidden layer, see _layer_row
        self._rows_box.setSpacing(2)
        rows = ("features", "layers", buttons, self._rows_box, "activation", "loss")
        return self._group("Network", rows)

    def _training_group(self):
        rows = ("lr", "lr_decay", "optimizer", "momentum", "batch_size", "l2", "steps")
        return self._group("Training", rows)

    def _layer_row(self, index):
        """One hidden layer: its neuron count with −/+ and its own activation."""
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        title = QLabel(f"Layer {index + 1}")
        title.setMinimumWidth(52)
        minus = _tool("−", f"One neuron fewer in layer {index + 1}")
        plus = _tool("+", f"One neuron more in layer {index + 1}")
        count = QLabel()
        count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        count.setMinimumWidth(72)
        plus.setObjectName(f"layer{index + 1}MoreButton")
        act = _combo((SAME,) + ACTIVATIONS, f"layer{index + 1}ActivationCombo")
        act.setToolTip(f"Activation of layer {index + 1}; '{SAME}' follows the Activation below")
        minus.clicked.connect(lambda: self._add_neurons(index, -1))
        plus.clicked.connect(lambda: self._add_neurons(index, +1))
        act.currentTextChanged.connect(lambda text: self._set_layer_act(index, text))
        for widget in (title, minus, count, plus):
            line.addWidget(widget)
        line.addWidget(act, 1)
        row.count, row.act = count, act
        return row

    # ---- layers: text and buttons stay in sync ----

    def _edit_sizes(self, sizes):
        self.layers.setText(", ".join(str(n) for n in sizes))

    def _add_neurons(self, index, delta):
        sizes = list(self._sizes)
        sizes[index] = max(1, sizes[index] + delta)
        self._edit_sizes(sizes)

    def _set_layer_act(self, index, text):
        self._layer_acts[index] = text
        self.changed.emit()

    @Slot(str)
    def _on_layers_edited(self, text):
        try:
            self._sizes = parse_layers(text)
        except ConfigError:  # the window marks the field; no row shows sizes not in the text
            self._show_rows(False)
        else:
            self._sync_rows()
        self.changed.emit()

    def _show_rows(self, valid):
        """The per-layer rows and the ± layer buttons only stand for valid layer text."""
        for row in self._rows:
            row.setVisible(valid)
        for button in self._layer_buttons:
            button.setEnabled(valid)

    def layer_rows(self):
        """The per-layer lines shown, as text ('Layer 1: 16 neurons'): for tests."""
        return [
            f"Layer {i + 1}: {row.count.text()}"
            for i, row in enumerate(self._rows)
            if row.isVisibleTo(self)
        ]

    def _sync_rows(self):
        n = len(self._sizes)
        self._layer_acts = (self._layer_acts + [SAME] * n)[:n]
        while len(self._rows) > n:
            row = self._rows.pop()
            row.hide()  # deleteLater acts on the next event loop turn; hide it right away
            row.deleteLater()
        while len(self._rows) < n:
            self._rows.append(self._layer_row(len(self._rows)))
            self._rows_box.addWidget(self._rows[-1])
        self._show_rows(True)
        for row, size, act in zip(self._rows, self._sizes, self._layer_acts):
            row.count.setText(f"{size} neuron{'s' if size != 1 else ''}")
            row.act.blockSignals(True)
            row.act.setCurrentText(act)
            row.act.blockSignals(False)

    # ---- other signals ----

    @Slot(int)
    def _on_dataset_changed(self, index):
        source = self.dataset.itemData(index)
        regression = source in REGRESSION_DATASETS
        generated = source not in (None, "csv", "drawn")  # (drawn: a curve, or classes)
        if generated and regression != (self.task.currentText() == "regression"):
            # a curve is fitted (mse), classes are told apart: the task follows the data
            self.task.blockSignals(True)
            self.task.setCurrentText("regression" if regression else "classification")
            self.task.blockSignals(False)
            self.loss.setCurrentText("mse" if regression else "hinge")
        self._sync_data_fields()
        if self.dataset.itemData(index) == "csv" and not self._csv_path:
            self.import_csv_requested.emit()
        self.changed.emit()

    def _sync_data_fields(self):
        """Samples and noise make the generated datasets; a CSV file has its own points;
        drawn points also keep their own split (a new point goes where you put it)."""
        source = self.dataset.currentData()
        tips = {
            "csv": "The CSV file's points are used as they are",
            "drawn": "The points you drew are used as they are (Edit points on the plot)",
        }
        for name in ("samples", "noise", "test_split"):
            box = getattr(self, name)
            own = source == "drawn" or (source == "csv" and name != "test_split")
            box.setEnabled(not own)
            box.setToolTip(tips[source] if own else _help(name))
        regression = self.task.currentText() == "regression"
        for name, box in self._feature_boxes.items():
            box.setEnabled(not (regression and "x2" in name))  # a curve has x1 only
        several = source in MULTI_CLASS_DATASETS and not regression
        self.classes.setEnabled(several)
        self.classes.setToolTip(
            _help("classes")
            if several
            else "A curve has no classes"
            if regression
            else f"{self.dataset.currentText()} has 2 classes"
        )

    @Slot(int)
    def _on_task_changed(self, _index):
        self._sync_data_fields()
        self.changed.emit()

    @Slot(int)
    def _on_optimizer_changed(self, _index):
        self._sync_optimizer_fields()
        self.changed.emit()

    def _sync_optimizer_fields(self):
        """Momentum is SGD's; Adam has its own (beta1 0.9)."""
        sgd = self.optimizer.currentText() == "sgd"
        self.momentum.setEnabled(sgd)
        self.momentum.setToolTip(_help("momentum") if sgd else "Adam keeps its own momentum")

    @Slot(float)
    def _on_lr_changed(self, _rounded):
        self.lr_changed.emit(self.lr.value())  # the exact rate, not Qt's rounded copy
        self.changed.emit()

    # ---- config in and out ----

    def set_csv(self, path):
        """Offer an imported CSV file as the dataset and select it."""
        self._csv_path = str(path)
        index = self.dataset.findData("csv")
        self.dataset.setItemText(index, f"csv: {Path(path).name}")
        self.dataset.setCurrentIndex(index)
        self.csv_imported.emit(self._csv_path)  # (not from set_config: signals blocked)

    def features_value(self):
        """The inputs checked (those a box can give now), or () for the task's default."""
        chosen = tuple(n for n, box in self._feature_boxes.items() if box.isChecked())
        default = ("x1", "x2")
        if self.task.currentText() == "regression":
            chosen, default = tuple(n for n in chosen if "x2" not in n), ("x1",)
        if not chosen:
            raise ConfigError("features", "check at least one input (x1 and x2: the point)")
        return () if chosen == default else chosen

    def show_drawn(self):
        """The dataset is now the drawn points (the first edit on the plot made them)."""
        self.dataset.setCurrentIndex(self.dataset.findData("drawn"))

    def has_csv(self):
        return bool(self._csv_path)

    def activation_value(self):
        """One name for all hidden layers, or a tuple when a layer has its own."""
        default = self.activation.currentText()
        if all(act == SAME for act in self._layer_acts):
            return default
        return tuple(default if act == SAME else act for act in self._layer_acts)

    def config(self):
        """The settings as a validated `TrainConfig`; raises `ConfigError` naming the field."""
        is_csv = self.dataset.currentData() == "csv"
        return TrainConfig(
            dataset=self.dataset.currentData(),
            samples=self.samples.value(),
            noise=self.noise.value(),
            classes=self.classes.value() if self.classes.isEnabled() else 2,
            task=self.task.currentText(),
            features=self.features_value(),
            test_split=self.test_split.value(),
            seed=int(self.seed.value()),
            layers=parse_layers(self.layers.text()),
            activation=self.activation_value(),
            loss=self.loss.currentText(),
            l2=self.l2.value(),
            lr=self.lr.value(),
            lr_decay=self.lr_decay.currentText(),
            optimizer=self.optimizer.currentText(),
            momentum=self.momentum.value(),
            batch_size=self.batch_size.value(),
            steps=self.steps.value(),
            decay_steps=self._decay_steps,
            csv_path=self._csv_path if is_csv else None,
        )

    def set_config(self, config):
        """Show `config` in the controls (emits `changed` once)."""
        widgets = [self, *self.findChildren(QWidget)]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            if config.dataset == "csv" and config.csv_path:
                self.set_csv(config.csv_path)
            else:
                self.dataset.setCurrentIndex(self.dataset.findData(config.dataset))
            self.samples.setValue(config.samples)
            self.noise.setValue(config.noise)
            self.classes.setValue(config.classes)
            self.task.setCurrentText(config.task)
            # the default inputs are x1, x2 (a regression leaves x2 out): a regression
            # switched back to classes sees the point again
            checked = config.features or ("x1", "x2")
            for name, box in self._feature_boxes.items():
                box.setChecked(name in checked)
            self.test_split.setValue(config.test_split)
            self.seed.setValue(config.seed)
            self._sizes = tuple(config.layers)
            self.layers.setText(", ".join(str(n) for n in config.layers))
            acts = config.activation
            self.activation.setCurrentText(acts if isinstance(acts, str) else acts[0])
            # one per layer stays one per layer, also when they agree (the same settings)
            self._layer_acts = [SAME] * len(self._sizes) if isinstance(acts, str) else list(acts)
            self.loss.setCurrentText(config.loss)
            self.lr.setValue(config.lr)
            self.lr_decay.setCurrentText(config.lr_decay)
            self.optimizer.setCurrentText(config.optimizer)
            self.momentum.setValue(config.momentum)
            self.batch_size.setValue(config.batch_size)
            self.l2.setValue(config.l2)
            self.steps.setValue(config.steps)
            self._decay_steps = config.decay_steps
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._sync_rows()
        self._sync_data_fields()
        self._sync_optimizer_fields()
        self.changed.emit()

    # ---- errors beside the fields ----

    def _on_number_edited(self, name, text):
        """A number typed out of the box's range is not kept (Qt puts the old one back
        when the field is left): say so under the field while it is typed."""
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            return  # not a number yet ("", "-", "1e")
        low, high = _limits(name)
        if not low <= value <= high:
            limits = SETTINGS[name]["limits"].text()
            self.mark_error(name, f"{_label(name)} is {limits}: {text} is not kept")
            self._range_error = name
        elif self._range_error == name:
            self._range_error = ""
            self.clear_errors()

    def mark_error(self, field, message):
        """Show `message` under `field`'s control; False if no control has that name."""
        self.clear_errors()
        field = "dataset" if field == "csv_path" else field
        if field not in self._fields:
            return False
        widget, label, form = self._fields[field]
        widget.setProperty("invalid", True)
        restyle(widget)
        label.setText(message)
        form.setRowVisible(label, True)
        return True

    def clear_errors(self):
        for widget, label, form in self._fields.values():
            if widget.property("invalid"):
                widget.setProperty("invalid", False)
                restyle(widget)
            form.setRowVisible(label, False)

    def error_text(self, field):
        """The message shown under `field` ('' when none): for tests and accessibility."""
        widget, label, form = self._fields[field]
        return label.text() if widget.property("invalid") else ""

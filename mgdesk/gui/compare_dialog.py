"""The Compare dialog: which setting the second run changes, proposed for the run shown.

It proposes the comparison that teaches most first (tanh against ReLU, as
train.compare.suggested_vary says), and any other setting a comparison may vary (learning
rate, layers, loss, optimizer, momentum, batch size, L2, LR decay) with a second value that makes a
visible difference. The values are written as `mgdesk compare --vary` takes them, first
the current one: "tanh,relu", "1,0.1", "16 16,8 8". A value that is not valid is said in
one line under the field, and OK stays off.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from mgdesk.train.compare import VARIABLE, make_variants, parse_vary, suggested_vary
from mgdesk.train.config import FIELD_LABELS, ConfigError
from mgdesk.train.losses import LOSSES
from mgdesk.train.optim import OPTIMIZERS

__all__ = ["CompareDialog", "proposed_values", "variants_for"]

RUNS = 2  # the window shows two runs side by side


def _text(name, value):
    """A setting's value as --vary writes it."""
    if name == "layers":
        return " ".join(map(str, value)) or "none"
    if name == "activation" and not isinstance(value, str):
        return " ".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _valid(config, name, value):
    try:
        config.replace(**{name: value})
    except ConfigError:
        return False
    return True


def proposed_values(config, name):
    """ "current,other" for setting `name` of TrainConfig `config`: a second value worth
    comparing with the current one."""
    if name == "activation":
        return suggested_vary(config).partition("=")[2]
    current = getattr(config, name)
    if name == "lr":
        other = current / 10 if current > 0.01 else current * 10
    elif name == "layers":
        other = tuple(max(1, n // 2) for n in current) if current else (8,)
        if other == current:
            other = tuple(2 * n for n in current)
    elif name in ("loss", "optimizer"):  # the first other choice these settings allow
        choices = LOSSES if name == "loss" else OPTIMIZERS
        other = next((c for c in choices if c != current and _valid(config, name, c)), current)
    elif name == "momentum":
        other = 0.0 if current else 0.9
    elif name == "batch_size":
        other = 0 if current else 16
    elif name == "l2":
        other = 0.0 if current else 1e-3
    elif name == "lr_decay":
        other = "none" if current == "linear" else "linear"
    else:
        raise ValueError(f"{name} cannot vary")
    return f"{_text(name, current)},{_text(name, other)}"


def variants_for(config, name, values):
    """The two Variants of `config` with setting `name` at `values` ("tanh,relu");
    ConfigError (one line) when they are not two valid runs."""
    variants = make_variants(config, parse_vary([f"{name}={values}"]))
    if len(variants) != RUNS:
        raise ConfigError("vary", f"give {RUNS} values: the window compares two runs")
    return variants


class CompareDialog(QDialog):
    """Asks for the setting to vary and its two values; `variants` holds the result."""

    def __init__(self, config, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Compare two runs")
        self.setObjectName("compareDialog")
        self.config = config
        self.variants = None
        intro = QLabel(
            "Train a second network beside this one, on the same points, from the same "
            "starting weights (where the shapes match) and with the same minibatches, step "
            "for step. Only the setting you choose differs."
        )
        intro.setWordWrap(True)
        self.setting = QComboBox()
        self.setting.setObjectName("compareSetting")
        for name in VARIABLE:  # the dialog proposes them in this order: activation first
            self.setting.addItem(FIELD_LABELS.get(name, name), name)
        self.values = QLineEdit()
        self.values.setObjectName("compareValues")
        self.values.setToolTip(
            "Two values separated by a comma, the current one first; the sizes of the hidden "
            'layers are separated by spaces: "16 16,8 8"'
        )
        self.error = QLabel()
        self.error.setObjectName("compareError")
        self.error.setProperty("role", "error")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Setting to vary", self.setting)
        form.addRow("Values (A, B)", self.values)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compare")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setting.currentIndexChanged.connect(self._on_setting_changed)
        self.values.textChanged.connect(self._check)
        self._on_setting_changed()
        self.resize(460, self.sizeHint().height())

    @property
    def name(self):
        return self.setting.currentData()

    def choose(self, name, values=None):
        """Pick setting `name` (and its values; default: the proposed ones)."""
        self.setting.setCurrentIndex(self.setting.findData(name))
        if values is not None:
            self.values.setText(values)

    def _on_setting_changed(self, *_):
        self.values.setText(proposed_values(self.config, self.name))
        self._check()

    def _check(self, *_):
        try:
            self.variants = variants_for(self.config, self.name, self.values.text())
        except ConfigError as exc:
            self.variants = None
            self.error.setText(exc.message)
        else:
            a, b = (v.short_label for v in self.variants)
            self.error.setText("")
            self.values.setToolTip(f"Run A: {a} · run B: {b}")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.variants is not None)
        self.error.setVisible(bool(self.error.text()))

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.variants is None:
            return  # never accept values that are not valid
        super().keyPressEvent(event)

"""The settings panel takes each setting's label, explanation and range from TrainConfig's
field metadata, so the panel, the CLI and the error messages cannot drift apart."""

import math
from dataclasses import fields

import pytest
from PySide6.QtWidgets import QFormLayout, QSpinBox

from mgdesk.gui.controls import ArchitecturePanel
from mgdesk.train import ConfigError, TrainConfig

META = {f.name: f.metadata for f in fields(TrainConfig)}
# the settings with a number box in the panel (decay_steps has none: it is kept as loaded)
RANGED = ["samples", "noise", "classes", "test_split", "seed", "lr", "momentum", "batch_size"]
RANGED += ["l2", "steps"]


def _outside(value, r, up):
    if r.integer:
        return value + (1 if up else -1)
    return math.nextafter(float(value), math.inf if up else -math.inf)


@pytest.mark.parametrize("name", RANGED)
def test_each_box_holds_exactly_the_values_the_setting_accepts(qtbot, name):
    panel = ArchitecturePanel()
    qtbot.addWidget(panel)
    box, r = getattr(panel, name), META[name]["limits"]
    # no work limit in the way, a batch can be all samples, and K classes can be had
    samples = int(META["samples"]["limits"].high)
    base = TrainConfig(dataset="spiral", loss="ce", layers=(), samples=samples, test_split=0.0)
    far = 2**31 - 1 if isinstance(box, QSpinBox) else 1e300  # (a QSpinBox holds an int32)
    for end, up in ((-far, False), (far, True)):
        box.setValue(end)  # the box keeps the nearest value it holds
        value = int(box.value()) if r.integer else box.value()
        assert getattr(base.replace(**{name: value}), name) == value
        with pytest.raises(ConfigError):
            base.replace(**{name: _outside(value, r, up)})


def test_each_row_is_labelled_and_explained_from_the_config(qtbot):
    panel = ArchitecturePanel()
    qtbot.addWidget(panel)
    shown = {}
    for form in panel.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None and field.widget() is not None:
                shown[field.widget()] = label.widget().text()
    for name in ("samples", "noise", "test_split", "seed", "lr_decay", "momentum", "l2"):
        box = getattr(panel, name)
        assert shown[box].lower() == META[name]["label"].lower()
        assert META[name]["help"].lower() in box.toolTip().lower()
    assert META["samples"]["limits"].text() in panel.samples.toolTip()  # "2-10000"
    assert shown[panel.steps] == "Step limit"  # the window's own name for it

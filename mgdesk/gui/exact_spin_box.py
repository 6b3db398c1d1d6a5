"""A number box that holds any float the settings accept, exactly.

QDoubleSpinBox rounds every value to its `decimals` (0.123 becomes 0.12 at two, 1e-8 becomes
0 at six) and cannot go below 323 of them, where the smallest floats still round away. A
settings box must give back what a session put in, so this one keeps the float it was given
beside Qt's rounded copy, shows it in its shortest exact form ("0.123", "1e-08"), and
reads typed text the same way. `value()` is the exact float.
"""

import math

from mgdesk.gui.widgets import ScientificSpinBox

__all__ = ["ExactSpinBox", "shortest_text"]

QT_MAX_DECIMALS = 323  # DBL_MAX_10_EXP + DBL_DIG: QDoubleSpinBox's ceiling


def shortest_text(value):
    """The shortest '%g' text that reads back as exactly `value`: 0.123, 1e-08, 1e+06."""
    for digits in range(1, 18):
        text = f"{value:.{digits}g}"
        if float(text) == value:
            return text
    return repr(value)


def _qt_round(value):
    """The value QDoubleSpinBox keeps for `value` at QT_MAX_DECIMALS."""
    return float(f"{value:.{QT_MAX_DECIMALS}f}")


class ExactSpinBox(ScientificSpinBox):
    """`minimum`..`maximum` (exact floats). `step` > 0: the arrows add `step` (kept on its
    grid, so 0.1 + 0.2 shows 0.3); `step` None: the 1-2-5 steps of ScientificSpinBox."""

    def __init__(self, minimum, maximum, step=None, special=None, parent=None):
        self._limits = (float(minimum), float(maximum))
        self._exact = (_qt_round(minimum), float(minimum))  # (Qt's value, the exact one)
        super().__init__(minimum, maximum, parent)
        self.setDecimals(QT_MAX_DECIMALS)
        self.setRange(minimum, maximum)
        self._step = step
        if step:
            self.setSingleStep(step)
        if special:
            self.setSpecialValueText(special)

    def value(self):
        shown = super().value()
        return self._exact[1] if shown == self._exact[0] else shown

    def setValue(self, value):
        low, high = self._limits
        value = min(max(float(value), low), high)
        self._exact = (_qt_round(value), value)
        super().setValue(value)

    def textFromValue(self, value):
        return shortest_text(self._exact[1] if value == self._exact[0] else value)

    def valueFromText(self, text):
        value = float(text)
        self._exact = (_qt_round(value), value)
        return value

    def validate(self, text, pos):
        state, text, pos = super().validate(text, pos)
        try:
            value = float(text.strip())
        except ValueError:
            return state, text, pos
        low, high = self._limits
        if state == state.Acceptable and not (math.isfinite(value) and low <= value <= high):
            return state.Intermediate, text, pos
        return state, text, pos

    def stepBy(self, steps):
        if not self._step:
            super().stepBy(steps)
            return
        grid = round((self.value() + steps * self._step) / self._step)
        self.setValue(float(f"{grid * self._step:.12g}"))

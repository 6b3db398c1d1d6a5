"""Small widgets and resource helpers shared by the window's parts."""

import math
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QValidator
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

import mgdesk

__all__ = ["Banner", "BannerSlot", "ScientificSpinBox", "icon", "resource_path", "style_sheet"]


def resource_path(name):
    """A file under resources/: the source tree's, or the copy shipped inside the wheel."""
    for root in (Path(__file__).resolve().parents[2], Path(mgdesk.__file__).resolve().parent):
        path = root / "resources" / name
        if path.exists():
            return path
    return None


def icon(name):
    path = resource_path(f"icons/{name}.svg")
    return QIcon(str(path)) if path else QIcon()


def style_sheet():
    path = resource_path("style.qss")
    return path.read_text(encoding="utf-8") if path else ""


def restyle(widget):
    """Re-apply the style sheet after a dynamic property changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class ScientificSpinBox(QDoubleSpinBox):
    """A spin box for rates that span decades (1e-4 ... 1e6): shows `0.03` or `1e+06`,
    and the arrows walk the 1-2-5 sequence (0.01, 0.02, 0.05, 0.1, ...)."""

    def __init__(self, minimum, maximum, parent=None):
        super().__init__(parent)
        self.setDecimals(12)  # keep full precision; the text is formatted below
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)

    def textFromValue(self, value):
        return f"{value:.6g}"

    def valueFromText(self, text):
        return float(text)

    def validate(self, text, pos):
        stripped = text.strip()
        if stripped in ("", "-", "+", ".") or stripped.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        ok = math.isfinite(value) and self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps):
        value = self.value()
        for _ in range(abs(steps)):
            value = _next_125(value, up=steps > 0)
        self.setValue(min(max(value, self.minimum()), self.maximum()))


def _next_125(value, up):
    """The next value of the 1, 2, 5, 10, 20, ... sequence above (or below) `value`."""
    if value <= 0:
        return 1e-4 if up else 0.0
    decade = 10 ** math.floor(math.log10(value))
    candidates = [m * decade * f for f in (0.1, 1, 10) for m in (1, 2, 5)]
    if up:
        return min(c for c in candidates if c > value * (1 + 1e-9))
    return max((c for c in candidates if c < value * (1 - 1e-9)), default=0.0)


class Banner(QFrame):
    """A message strip above the views: info, warning or error, with an optional action."""

    action_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("kind", "info")
        self.text = QLabel()
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.action = QPushButton()
        self.action.setObjectName("bannerAction")
        self.action.clicked.connect(self.action_requested)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Hide this message")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.kind = "info"
        self.hide()

    def show_message(self, kind, html, action=""):
        self.kind = kind
        self.setProperty("kind", kind)
        restyle(self)
        self.text.setText(html)
        self.action.setText(action)
        self.action.setVisible(bool(action))
        self.show()

    def clear(self, kind=None):
        """Hide the banner (only if it shows a message of `kind`, when given)."""
        if kind is None or self.kind == kind:
            self.hide()


class BannerSlot(QWidget):
    """The banner's place, kept whether or not a message shows, so the views under it never
    move: a line of hints fills it while there is no message. Room for two lines of text is
    reserved; only a longer message makes it taller."""

    def __init__(self, banner, hint, parent=None):
        super().__init__(parent)
        self.banner = banner
        self.hint = QLabel(hint, self)
        self.hint.setObjectName("bannerHint")
        self.hint.setProperty("role", "hint")
        self.hint.setContentsMargins(11, 0, 0, 0)
        banner.setParent(self)
        banner.installEventFilter(self)
        self.hint.setVisible(banner.isHidden())
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(0)

    def _reserved(self):
        """A two-line message with its button, in the current style."""
        banner = self.banner
        banner.ensurePolished()
        margins = banner.layout().contentsMargins()
        frame = 2 * banner.frameWidth() + margins.top() + margins.bottom()
        lines = 2 * banner.text.fontMetrics().lineSpacing()
        return frame + max(lines, banner.action.sizeHint().height())

    def _needed(self, width):
        height = self._reserved()
        if not self.banner.isHidden():
            height = max(height, self.banner.heightForWidth(width))
        return height

    def eventFilter(self, watched, event):
        if watched is self.banner and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self.hint.setVisible(event.type() == QEvent.Type.Hide)
            self._fit()
        return False

    def _fit(self):
        height = self._needed(max(self.width(), 1))
        if height != self.height() or height != self.minimumHeight():
            self.setFixedHeight(height)
        self.banner.setGeometry(self.rect())
        self.hint.setGeometry(self.rect())

    def sizeHint(self):
        return QSize(self.hint.sizeHint().width(), self._needed(max(self.width(), 1)))

    def minimumSizeHint(self):
        return QSize(0, self.sizeHint().height())

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()

"""The graph's legend: what node fills, borders, edges and the boundary's point markers mean.

Its rows are viz.dot.LEGEND (the command line prints the same text), plus the neurons'
heatmaps. It sits in the graph view's top right corner; View > Legend (K) shows or hides it.
"""

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from mgdesk.viz.dot import LEGEND

__all__ = ["GraphLegend", "legend_html"]

HEAT_ROW = (  # the same two colours as the node fills, for another thing: say so
    "heatmap in a neuron, and the decision boundary: an output over the plane, "
    "orange < 0 < blue (the output's sign, not a gradient's)"
)


def _mark(kind, colour):
    """A small sign drawn in `colour` for one kind of legend row."""
    if kind == "node fill":
        return f"<span style='color:{colour}; font-size:15px'>■</span>"
    if kind == "node border":
        return f"<span style='color:{colour}; font-size:15px'>□</span>"
    if kind == "edge":
        return f"<span style='color:{colour}; font-weight:bold'>━</span>"
    sign = {"filled": "●", "ring": "○", "big ring": "◯"}[colour]
    return f"<span style='font-size:13px'>{sign}</span>"


def legend_html():
    rows = [(_mark(kind, colour), html.escape(text)) for kind, colour, text in LEGEND]
    rows.insert(len(rows) - 3, ("<span style='color:#0877bd'>▦</span>", html.escape(HEAT_ROW)))
    cells = "".join(f"<tr><td align='center'>{m}</td><td>{t}</td></tr>" for m, t in rows)
    return f"<table cellspacing='0' cellpadding='1'>{cells}</table>"


class GraphLegend(QFrame):
    """The legend over the graph's top right corner; hidden until asked for."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("graphLegend")
        self.setStyleSheet(
            "QFrame#graphLegend { background: rgba(255, 255, 255, 240); "
            "border: 1px solid #b0bec5; border-radius: 4px; }"
        )
        self.text = QLabel(legend_html())
        self.text.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.text)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def place(self, rect):
        """Top right of the viewport `rect`."""
        size = self.sizeHint()
        self.setGeometry(rect.right() - size.width() - 8, 8, size.width(), size.height())

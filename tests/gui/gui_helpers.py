"""Helpers for the stepper, inspector and gradient-check tests."""

import re

from PySide6.QtCore import Qt


def use_network(qtbot, window, layers, activation="tanh", view="auto"):
    """Switch the window to a fresh 2-<layers>-1 network and wait for its graph in `view`
    (auto: the network view; ops: every Value a box)."""
    window.panel.activation.setCurrentText(activation)
    window.panel.layers.setText(layers)
    window.graph_panel.mode.setCurrentText(view)
    sizes = [int(n) for n in layers.split(",")]
    qtbot.waitUntil(
        lambda: (
            window.graph_view.graph is not None
            and window.graph_view.graph.job.model["nouts"] == [*sizes, 1]
            and window.graph_view.graph.job.model["activations"][0] == activation
            and window.graph_view.graph.job.view == view
        ),
        timeout=10000,
    )


def start_stepper(qtbot, window):
    """Press B and wait for the stepper's first picture; returns the StepperPanel."""
    qtbot.keyClick(window.graph_view, Qt.Key.Key_B)
    assert window.stepper_action.isChecked()
    qtbot.waitUntil(lambda: window.graph_view.graph.job.graph is not None, timeout=10000)
    return window.stepper_panel


def plain(text):
    """Rich text as a reader sees it: no tags, single spaces."""
    return " ".join(re.sub(r"<[^>]+>", "", text).split())

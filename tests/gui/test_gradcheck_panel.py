"""The G panel presents the shared gradient check's report, kinks included."""

from gui_helpers import plain

from mgdesk.engine import Value
from mgdesk.gui.inspector import GradCheckPanel
from mgdesk.viz.gradcheck import check_sample_gradients


def test_a_parameter_at_a_relu_kink_is_shown_as_skipped_not_disagreeing(qtbot):
    w, b = Value(0.5, label="w"), Value(0.0, label="b")
    root = (w * 0.0 + b).relu() * 3  # the ReLU input sits at 0: b's nudge crosses it
    panel = GradCheckPanel()
    qtbot.addWidget(panel)
    panel.show_result(None, check_sample_gradients(root, [w, b], use_torch=False))
    text = plain(panel.summary.text())
    assert "All 2 parameters agree" in text and "disagree" not in text
    assert "1 not compared by finite differences: the nudge crossed a ReLU kink" in text
    cells = {panel.table.item(r, 0).text(): panel.table.item(r, 3).text() for r in range(2)}
    assert cells == {"w": "0", "b": "kink"}

"""Point edits beside compare mode and the status line: an edit is refused while two runs
are compared, and the numbers shown after an edit say they are of the old points."""

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from mgdesk.gui.point_editor import plane_position
from tests.gui.test_compare_window import compare_with


def click(window, x, y):
    QTest.mouseClick(window.boundary.viewport(), Qt.MouseButton.LeftButton,
                     pos=plane_position(window.boundary, x, y))  # fmt: skip


def test_points_cannot_be_edited_while_comparing_and_can_again_after(qtbot, window):
    qtbot.keyClick(window.graph_view, Qt.Key.Key_E)
    assert window.points.editing
    click(window, 2.4, -2.4)  # a point drawn: Ctrl+Z could take it back
    before = window.run.data
    compare = compare_with(qtbot, window)
    assert not window.points.editing and not window.edit_points_action.isChecked()
    window.edit_points_action.trigger()  # E
    assert "while comparing" in window.statusBar().currentMessage()
    window.statusBar().clearMessage()
    window.undo_points_action.trigger()  # Ctrl+Z
    assert "while comparing" in window.statusBar().currentMessage()
    window.clear_points_action.trigger()
    assert not window.points.editing
    assert window.run.data is before and compare.data.x_train == before.x_train
    compare.leave()
    window.edit_points_action.trigger()
    assert window.points.editing
    click(window, 2.4, 2.4)
    assert len(window.run.data.x_train) == len(before.x_train) + 1
    window.undo_points_action.trigger()
    assert window.run.data.x_train == before.x_train


def test_after_a_point_edit_the_status_line_says_its_numbers_are_of_the_old_points(qtbot, window):
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    label = window.status_labels["accuracy"]
    assert "before your point edit" not in label.text()
    qtbot.keyClick(window.graph_view, Qt.Key.Key_E)
    click(window, -2.4, 2.4)
    assert "before your point edit" in label.text()
    window.step()  # the next step is on the new points
    qtbot.waitUntil(lambda: window.step_count == 2, timeout=5000)
    qtbot.waitUntil(lambda: "before your point edit" not in label.text(), timeout=5000)

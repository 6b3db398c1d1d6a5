"""The backward stepper in the window: keys, the order list, captions, exactness, speed."""

import time

import pytest
from gui_helpers import start_stepper, use_network
from PySide6.QtCore import Qt

from mgdesk.engine import MLP
from mgdesk.gui.highlight import CURRENT, RECEIVING, WAITING
from mgdesk.gui.stepper_panel import FRAME_MS
from mgdesk.teach.explain import fmt
from mgdesk.train import sample_loss


def shown_position(window):
    """The stepper position the graph on screen shows (from its highlight)."""
    styles = window.graph_view.graph.job.styles
    current = [sid for sid, style in styles.items() if style == CURRENT and "_" not in sid]
    if not current:
        return 0
    return len(window.stepper_panel.stepper) - int(current[0][1:])


@pytest.fixture
def stepping(qtbot, window):
    """A 2-4-1 tanh network in stepper mode, in the ops view (a Value a step)."""
    use_network(qtbot, window, "4", view="ops")
    return start_stepper(qtbot, window), window


def test_arrow_keys_step_and_undo_and_the_list_follows(qtbot, stepping):
    panel, window = stepping
    view = window.graph_view
    assert panel.stepper.position == 0 and panel.list.currentRow() == -1
    assert panel.list.count() == len(panel.stepper) == 54
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Right)
    assert panel.stepper.position == 3
    assert panel.list.currentRow() == 2
    assert panel.list.item(2).text().startswith("✓")
    assert not panel.list.item(3).text().startswith("✓")
    assert panel.position_label.text() == "step 3 of 54"
    loss = panel.stepper.root
    assert loss.grad == 1.0
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert panel.stepper.position == 2 and panel.list.currentRow() == 1
    assert not panel.list.item(2).text().startswith("✓")
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert panel.stepper.position == 0 and loss.grad == 0.0
    assert panel.list.currentRow() == -1
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert panel.stepper.position == 54
    qtbot.waitUntil(lambda: shown_position(window) == 54, timeout=5000)


def test_the_graph_marks_current_done_and_waiting_nodes(qtbot, stepping):
    panel, window = stepping
    k = next(k for k in range(4, 54) if panel.stepper.order[k - 1]._op == "*")
    panel.jump_to(k)
    qtbot.waitUntil(lambda: shown_position(window) == k, timeout=5000)
    styles = window.graph_view.graph.job.styles
    current = f"n{54 - k}"  # step k runs the k-th node from the end of the topological order
    assert styles[current] == CURRENT and styles[f"{current}_op"] == CURRENT
    inputs = [f"n{panel.topo.index(v)}" for v in panel.stepper.current._prev]
    assert all(styles[sid] == RECEIVING for sid in inputs)  # their grads just grew
    assert "n53" not in styles  # the root: done, drawn as usual
    assert styles["n0"] == WAITING  # an input: its turn is near the end
    assert b'stroke="#e65100"' in window.graph_view.graph.svg
    assert f"Step {k} of 54" in panel.caption.text()


def test_clicking_a_list_entry_jumps_there(qtbot, stepping):
    panel, window = stepping
    item = panel.list.item(9)
    rect = panel.list.visualItemRect(item)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.stepper.position == 10
    assert all(panel.list.item(k).text().startswith("✓") for k in range(10))
    assert "Step 10 of 54" in panel.caption.text()
    panel.list.setCurrentRow(2)  # keyboard moves in the list jump too, also backwards
    assert panel.stepper.position == 3


def test_the_caption_shows_the_accumulation_at_a_node_used_twice(qtbot, stepping):
    panel, _ = stepping
    x1 = next(v for v in panel.topo if v.label == "x1")  # used by all 4 neurons
    for k in range(1, len(panel.stepper) + 1):
        panel.jump_to(k)
        if "x1.grad was" in panel.caption.text():
            break
    else:
        pytest.fail("no step adds to x1's grad a second time")
    text = panel.caption.text()
    assert f"now {fmt(x1.grad)}" in text
    assert "<b style='color:#e65100'>x1.grad was" in text  # shown in colour
    added = panel.stepper.current.grad * panel.stepper.current._prev[0].data
    assert f"+= {fmt(added)}" in text


def test_stepping_through_everything_gives_the_grads_of_backward(qtbot, stepping):
    panel, window = stepping
    job = panel.job
    model = MLP.from_dict(job.model)
    root = sample_loss(model, job.x, job.y, job.loss)
    root.backward()
    qtbot.keyClick(window.graph_view, Qt.Key.Key_End)
    assert [p.grad for p in panel.params] == [p.grad for p in model.parameters()]
    assert [v.grad for v in panel.topo] == [v.grad for v in root.topological_order()]
    qtbot.waitUntil(lambda: shown_position(window) == len(panel.stepper), timeout=5000)
    drawn = window.graph_view.graph.node_ids
    w = next(n for n in drawn.values() if n.label == "L1.N1.w1")
    assert w.grad == model.layers[0].neurons[0].w[0].grad


def test_held_down_keys_step_at_once_and_repaint_at_most_every_frame(qtbot, window):
    use_network(qtbot, window, "4, 4", view="ops")
    panel = start_stepper(qtbot, window)
    frames = []
    panel.frame_requested.connect(lambda: frames.append(time.monotonic()))
    view = window.graph_view
    start = time.monotonic()
    for k in range(1, 61):  # faster than a keyboard's auto-repeat (~30 per second)
        qtbot.keyClick(view, Qt.Key.Key_Right)
        assert panel.stepper.position == k  # applied at once, not queued behind paints
        qtbot.wait(10)
    elapsed = time.monotonic() - start
    assert len(frames) <= elapsed * 1000 / FRAME_MS + 2  # coalesced
    assert len(frames) >= elapsed / 0.2  # ... but the graph keeps moving meanwhile
    qtbot.waitUntil(lambda: shown_position(window) == 60, timeout=2000)  # latest wins


def test_arrows_in_a_text_field_move_the_cursor_not_the_stepper(qtbot, stepping):
    panel, window = stepping
    field = window.panel.layers
    field.setFocus()
    field.setCursorPosition(0)
    qtbot.keyClick(field, Qt.Key.Key_Right)
    assert field.cursorPosition() == 1 and panel.stepper.position == 0
    qtbot.keyClick(field, Qt.Key.Key_End)
    assert panel.stepper.position == 0


def test_the_neuron_view_explains_itself_and_offers_the_ops_view(qtbot, window):
    use_network(qtbot, window, "4")
    window.graph_panel.mode.setCurrentText("neurons")
    qtbot.waitUntil(lambda: window.graph_view.graph.view == "neurons", timeout=5000)
    window.stepper_action.setChecked(True)
    panel = window.stepper_panel
    assert panel.notice.isVisible() and "needs the ops view" in panel.notice_text.text()
    assert "the view is set to neurons" in panel.caption.text()
    assert not any(a.isEnabled() for a in window.stepper_actions)
    qtbot.keyClick(window.graph_view, Qt.Key.Key_Right)
    assert panel.stepper is None and not window.stepping  # nothing built, nothing stepped
    qtbot.waitUntil(lambda: panel.ops_button.isVisible() and panel.ops_button.width() > 0)
    qtbot.wait(50)  # the side panel has just opened: let its layout settle before clicking
    qtbot.mouseClick(panel.ops_button, Qt.MouseButton.LeftButton)
    assert window.graph_panel.mode.currentText() == "ops"
    assert not panel.notice.isVisible() and window.stepping
    qtbot.waitUntil(lambda: window.graph_view.graph.job.graph is not None, timeout=5000)
    qtbot.keyClick(window.graph_view, Qt.Key.Key_Right)
    assert panel.stepper.position == 1


def test_training_closes_the_stepper_and_entering_it_pauses_training(qtbot, stepping):
    panel, window = stepping
    window.panel.steps.setValue(100_000)
    window.train()
    assert window.running and not window.stepper_action.isChecked()
    assert not panel.isVisible() and panel.stepper is None
    assert "Backward stepper closed" in window.statusBar().currentMessage()
    window.stepper_action.setChecked(True)
    assert not window.running and "paused" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.graph_view.graph.job.graph is not None, timeout=5000)
    qtbot.waitUntil(lambda: window.ready, timeout=5000)


def test_a_training_step_keeps_the_stepper_on_the_new_network(qtbot, stepping):
    panel, window = stepping
    panel.jump_to(7)
    old = panel.job.model
    qtbot.keyClick(window.graph_view, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    qtbot.waitUntil(lambda: panel.job.model != old, timeout=5000)
    assert window.stepper_action.isChecked() and panel.stepper.position == 7

"""The node inspector, the graph's tooltips and the gradient check panel."""

import re
from importlib.util import find_spec

import pytest
from gui_helpers import plain, start_stepper, use_network
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from mgdesk.engine import MLP, Value
from mgdesk.gui.highlight import DISAGREES
from mgdesk.teach.explain import fmt, local_derivative
from mgdesk.train import sample_loss


@pytest.fixture
def small(qtbot, window):
    """A 2-4-1 tanh network drawn in the ops view."""
    use_network(qtbot, window, "4", view="ops")
    return window


def sid_of(window, label, kind="value", op=None):
    nodes = window.graph_view.graph.node_ids
    return next(s for s, n in nodes.items() if n.kind == kind and (n.label == label or n.op == op))


def centre(view, sid):
    x, y, w, h = view.graph.boxes[sid]
    return view.mapFromScene(QPointF(x + w / 2, y + h / 2))


def values(job):
    """Topological order of a fresh copy of the job's sample, after backward()."""
    model = MLP.from_dict(job.model)
    root = sample_loss(model, job.x, job.y, job.loss)
    root.backward()
    return root.topological_order()


def test_clicking_a_node_shows_its_local_derivative_with_numbers(qtbot, small):
    view = small.graph_view
    assert not small.side_splitter.isVisible()  # the graph has all the room until a click
    sid = sid_of(small, None, op="tanh")  # a neuron's tanh output
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(view, sid))
    node = values(view.graph.job)[view.graph.node_ids[sid].index]
    formula, local = local_derivative(node, 0, lambda v: v.label or "?")
    text = plain(small.inspector.toPlainText())
    assert f"n{view.graph.node_ids[sid].index} · tanh" in text
    assert "1 − tanh²" in text and f"= {fmt(local)}" in text
    assert f"grad {fmt(node.grad)}" in text and "made by an operation" in text
    assert small.side_tabs.currentWidget() is small.inspector
    assert small.side_splitter.isVisible() and small.side_action.isChecked()
    qtbot.keyClick(view, Qt.Key.Key_I)  # I hides the panel again
    assert not small.side_splitter.isVisible()


def test_a_parameter_shows_its_update_at_the_current_learning_rate(qtbot, small):
    small.panel.lr.setValue(0.05)
    sid = sid_of(small, "L1.N2.w1")
    small.graph_view.node_clicked.emit(sid)
    node = values(small.graph_view.graph.job)[small.graph_view.graph.node_ids[sid].index]
    text = plain(small.inspector.toPlainText())
    assert "a parameter" in text and "A leaf" in text
    expected = f"L1.N2.w1.data += −lr × grad = −0.05 × {fmt(node.grad)} = {fmt(-0.05 * node.grad)}"
    assert expected in text


def test_the_inspector_follows_the_stepper(qtbot, small):
    panel = start_stepper(qtbot, small)
    sid = sid_of(small, "x1")
    small.graph_view.node_clicked.emit(sid)
    assert "grad 0" in plain(small.inspector.toPlainText())
    assert "Its turn is still to come" in plain(small.inspector.toPlainText())
    panel.run_to_end()
    x1 = panel.topo[small.graph_view.graph.node_ids[sid].index]
    assert x1.grad != 0 and f"grad {fmt(x1.grad)}" in plain(small.inspector.toPlainText())
    assert "grad is complete" in plain(small.inspector.toPlainText())


def test_hovering_a_node_shows_its_data_and_grad(qtbot, small):
    view = small.graph_view
    sid = sid_of(small, "L1.N1.b")
    node = view.graph.node_ids[sid]
    pos = centre(view, sid)
    assert view.tooltip_at(pos) == f"L1.N1.b\ndata {fmt(node.data)}\ngrad {fmt(node.grad)}"
    event = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    assert QToolTip.text() == view.tooltip_at(pos)
    op = sid_of(small, None, kind="op", op="tanh")
    assert view.tooltip_at(centre(view, op)).startswith("tanh makes n")
    assert view.tooltip_at(QPoint(1, 1)) == ""  # the empty corner


def check(qtbot, window, torch=False):
    window.grad_check.torch_box.setChecked(torch)
    window.check_action.trigger()
    assert window.grad_check.busy  # running in its thread
    qtbot.waitUntil(lambda: not window.grad_check.busy, timeout=20000)
    return window.grad_check


def test_the_gradient_check_lists_every_parameter_and_the_max_error(qtbot, small):
    panel = check(qtbot, small)
    table = panel.table
    assert table.rowCount() == 17  # 4 neurons x (2 weights + bias) + 4 weights + bias
    summary = plain(panel.summary.text())
    assert "All 17 parameters agree with finite differences." in summary
    max_error = float(re.search(r"Max relative error (\S+)\.", summary)[1])
    assert max_error < 1e-5
    assert float(table.item(0, 1).text()) == pytest.approx(max_error, rel=0.1)  # worst first
    assert table.isColumnHidden(4)  # no PyTorch asked for
    assert b"#d500f9" not in small.graph_view.graph.svg


def test_the_pytorch_box_is_offered_only_when_pytorch_is_installed(small):
    box = small.grad_check.torch_box
    assert box.isEnabled() == (find_spec("torch") is not None)
    if not box.isEnabled():
        assert box.toolTip() == "PyTorch is not installed"
        assert not small.grad_check.use_torch()


def test_the_gradient_check_compares_with_pytorch_when_installed(qtbot, small):
    pytest.importorskip("torch", reason="PyTorch is not installed: its cross-check is optional")
    panel = check(qtbot, small, torch=True)
    assert "All 17 parameters agree with finite differences and PyTorch" in plain(
        panel.summary.text()
    )
    assert not panel.table.isColumnHidden(4)  # the PyTorch column


def test_a_wrong_gradient_is_listed_first_and_marked_in_the_graph(qtbot, small, monkeypatch):
    backward = Value._backward

    def wrong(self):  # w1 of neuron L1.N1 gets 1.5 times its true grad
        backward(self)
        if self._op == "*" and self._a.label == "L1.N1.w1":
            self._a.grad += 0.5 * self._b.data * self.grad

    monkeypatch.setattr(Value, "_backward", wrong)
    panel = check(qtbot, small)
    assert "1 of 17 parameters disagree" in plain(panel.summary.text())
    assert panel.table.item(0, 0).text() == "L1.N1.w1"
    assert panel.table.isColumnHidden(4)  # no PyTorch asked for
    sid = sid_of(small, "L1.N1.w1")
    qtbot.waitUntil(lambda: small.graph_view.graph.job.marked == ("L1.N1.w1",), timeout=5000)
    svg = small.graph_view.graph.svg.decode()
    group = svg[svg.index(f'<g id="{sid}"') :]
    assert f'stroke="{DISAGREES.stroke}"' in group[: group.index("</g>")]
    rect = panel.table.visualItemRect(panel.table.item(0, 0))  # the row shows its node
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    view = small.graph_view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert view.zoom_level() >= 0.7 and seen.contains(QRectF(*view.graph.boxes[sid]))
    monkeypatch.undo()
    small.panel.layers.setText("3")  # another network: the marks go, the panel says so
    qtbot.waitUntil(lambda: not small.graph_view.graph.job.marked, timeout=10000)
    assert panel.stale.isVisible()

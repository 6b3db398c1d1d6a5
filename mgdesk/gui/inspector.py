"""Beside the graph: the node inspector and the gradient check of the traced sample."""

import html
from importlib.util import find_spec

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mgdesk.teach.explain import describe, fmt, update_text
from mgdesk.viz.roles import ROLES

__all__ = ["GradCheckPanel", "NodeInspector", "neuron_names"]

PLACEHOLDER = (
    "<p style='color:#607d8b'>Click a node in the graph to see its numbers and how its "
    "grad passes on to its inputs. Hover a node for its data and grad.</p>"
)
STATES = {
    "waiting": "Its turn is still to come: more grad may arrive.",
    "current": "Its backward just ran (the current step).",
    "done": "Its backward has run: its grad is complete.",
}
BAD = QColor("#c2185b")
MAX_ROWS = 1000  # a 256,256 check has 66,817 parameters: the table lists the worst this many


def _layout_of(graph):
    """What decides which node an svg id names in a rendered graph (a GraphImage): the
    network's shape, the loss and the view drawn. Another layout: another node."""
    job = graph.job
    return (tuple(job.model["nouts"]), tuple(job.model["activations"]), job.loss, graph.view)


def neuron_names(node, value, names):
    """`names` (Value -> name), except that the Value a neuron box stands for is called by
    the neuron's name ("L1.N3"), as the box is."""
    if node.kind != "neuron":
        return names
    return lambda v: node.label if v is value else names(v)


def _code(text):
    return f"<code>{html.escape(text)}</code>"


class NodeInspector(QTextBrowser):
    """Name, op, role, data and grad of one node, and its local derivatives in numbers."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("nodeInspector")
        self.setOpenLinks(False)
        self._picked = None  # (layout, svg id, GraphNode) of the node clicked
        self.clear_node()

    def clear_node(self):
        self._picked = None
        self.setHtml(PLACEHOLDER)

    def pick(self, graph, sid):
        """The node `sid` of `graph` (a GraphImage) was clicked: follow it while the graph
        drawn has the same layout."""
        self._picked = (_layout_of(graph), sid, graph.node_ids.get(sid))

    def follows(self, graph):
        """Is the node picked in `graph`? If the graph is of another network or view, say
        that the node is not in it (rather than keep an older network's numbers up)."""
        if self._picked is None:
            return False
        layout, sid, node = self._picked
        if layout == _layout_of(graph) and sid in graph.node_ids:
            return True
        self._picked = None
        what = sid if node is None else f"{node.label or sid} · {node.op}".rstrip(" ·")
        self.setHtml(
            f"<p style='color:#607d8b'>The node inspected before, <b>{html.escape(what)}</b>, "
            "is not in this graph (another network or view). Click a node in the graph to "
            "inspect it.</p>"
        )
        return False

    def show_value(self, value, name, root=None, params=None, lr=None, state=""):
        """Describe the Value `value`; `name(v)` names nodes as the graph and the stepper do."""
        info = describe(value, name, root, params)
        me = info["name"]
        op = f" · {html.escape(info['op'])}" if info["op"] else ""
        parts = [
            f"<h3 style='margin:0'>{html.escape(me)}<span style='font-weight:normal'>{op}"
            "</span></h3>",
            f"<p style='margin:2px 0; color:#607d8b'>{ROLES[info['role']]}</p>",
            "<table cellspacing=2>",
            f"<tr><td>data&nbsp;</td><td><b>{fmt(info['data'])}</b></td></tr>",
            f"<tr><td>grad&nbsp;</td><td><b>{fmt(info['grad'])}</b> = ∂loss/∂{html.escape(me)}"
            "</td></tr></table>",
        ]
        if state:
            parts.append(f"<p style='margin:2px 0'><i>{STATES[state]}</i></p>")
        if info["derivatives"]:
            parts.append(
                "<p style='margin:6px 0 2px 0'><b>Local derivative</b>, and what its "
                "backward adds to each input:</p>"
            )
            for child, formula, local in info["derivatives"]:
                added = f"{child}.grad += {fmt(local)} × {fmt(info['grad'])}"
                added += f" = {fmt(local * info['grad'])}"
                parts.append(
                    f"<p style='margin:2px 0 4px 8px'>{_code(formula)}<br>{_code(added)}</p>"
                )
        else:
            parts.append(
                "<p style='margin:6px 0 2px 0'>A leaf: its backward passes nothing on.</p>"
            )
        if info["role"] == "parameter" and lr is not None:
            parts.append(
                f"<p style='margin:6px 0 2px 0'><b>Update</b> from this sample's grad "
                f"alone, at lr {fmt(lr)}:</p><p style='margin:2px 0 0 8px'>"
                f"{_code(update_text(lr, info['grad'], me))}</p>"
            )
        self.setHtml("".join(parts))

    def show_text(self, text):
        """A node that is not a Value (e.g. the neuron view's all-to-all hub)."""
        self.setHtml(f"<p>{html.escape(text)}</p>")


class GradCheckPanel(QWidget):
    """One click checks the engine's gradients of the traced sample; the worst come first."""

    check_requested = Signal()
    cancel_requested = Signal()  # stop the check in progress
    parameter_clicked = Signal(str)  # the label of a row clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("gradCheckPanel")
        self.job = None  # the GraphJob checked
        self.result = None  # its GradCheckReport (mgdesk.viz.gradcheck)
        self.button = QPushButton("Check gradients")
        self.button.setObjectName("gradCheckButton")
        self.button.setToolTip("Compare this sample's gradients with finite differences (G)")
        self.button.clicked.connect(self.check_requested)
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("gradCheckCancel")
        self.cancel.setToolTip("Stop the check in progress")
        self.cancel.clicked.connect(self.cancel_requested)
        self.cancel.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("gradCheckProgress")
        self.progress.setMaximumHeight(10)
        self.progress.setTextVisible(False)
        self.progress.hide()
        has_torch = find_spec("torch") is not None
        self.torch_box = QCheckBox("PyTorch too")
        self.torch_box.setObjectName("gradCheckTorch")
        self.torch_box.setChecked(has_torch)
        self.torch_box.setEnabled(has_torch)
        self.torch_box.setToolTip(
            "Also compare with PyTorch (float64) on the same expression"
            if has_torch
            else "PyTorch is not installed"
        )
        hint = QLabel(
            "Every parameter's grad from backward() against the central difference "
            "(f(p+ε) − f(p−ε)) / 2ε, ε = 1e-6 (above 16,16 for a seeded choice of "
            "parameters; PyTorch compares every one)."
        )
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        self.summary = QLabel("Not checked yet.")
        self.summary.setObjectName("gradCheckSummary")
        self.summary.setWordWrap(True)
        self.stale = QLabel("This was checked on an earlier network or sample: check again.")
        self.stale.setObjectName("gradCheckStale")
        self.stale.setProperty("role", "hint")
        self.stale.setWordWrap(True)
        self.stale.hide()
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("gradCheckTable")
        self.table.setHorizontalHeaderLabels(
            ["parameter", "rel. error", "backward", "numeric", "torch"]
        )
        self.table.horizontalHeaderItem(1).setToolTip(
            "|backward − other| / max(|backward|, |other|), the larger over the others"
        )
        self.table.horizontalHeaderItem(3).setToolTip("the central finite difference")
        self.table.horizontalHeaderItem(4).setToolTip("PyTorch, float64, on the same expression")
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.table.setFont(font)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for col in (2, 3, 4):  # the numbers share what is left: no sideways scrolling
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setToolTip("Click a row to find the parameter in the graph")
        self.table.cellClicked.connect(
            lambda row, _: self.parameter_clicked.emit(self.table.item(row, 0).text())
        )
        top = QHBoxLayout()
        top.addWidget(self.button)
        top.addWidget(self.cancel)
        top.addWidget(self.torch_box)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 4, 0, 2)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.stale)
        layout.addWidget(self.table, 1)

    def use_torch(self):
        return self.torch_box.isEnabled() and self.torch_box.isChecked()

    @property
    def busy(self):
        return not self.cancel.isHidden()

    def set_busy(self):
        """A check has started (a newer one replaces any in progress): progress and Cancel.
        The button stays on: pressing it (or G) again starts over on the newest sample."""
        self.button.setText("Check again")
        self.cancel.show()
        self.progress.setRange(0, 0)  # until the first progress comes
        self.progress.show()
        self.summary.setText("Checking…")

    def show_progress(self, done, total, nudged):
        """`done` of `total` replays of the graph; finite differences nudge `nudged`."""
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        n = max(0, min(nudged, (done - 1) // 2))
        self.summary.setText(f"Checking… finite differences for {n:,} of {nudged:,} parameters")

    def show_cancelled(self):
        self._done()
        self.summary.setText("Check cancelled.")

    def show_error(self, message):
        self._done()
        self.summary.setText(f"Could not check: {html.escape(message)}")

    def _done(self):
        self.button.setText("Check gradients")
        self.cancel.hide()
        self.progress.hide()

    def show_result(self, job, result):
        self._done()
        self.job, self.result = job, result
        n, bad = len(result.rows), len(result.disagreeing)
        against = "finite differences and PyTorch" if result.torch_used else "finite differences"
        checked = ""
        if result.nudged < n:
            checked = (
                f" Finite differences checked {result.nudged:,} of {n:,} parameters, a seeded "
                "choice that keeps the check short"
                + ("; PyTorch compared every one." if result.torch_used else ".")
            )
        if bad:
            verdict = (
                f"<b style='color:#c2185b'>{bad} of {n} parameters disagree</b> with "
                f"{against}; they are marked in magenta in the graph.{checked}"
            )
        elif checked:
            verdict = f"<b>All the parameters checked agree</b> with {against}.{checked}"
        else:
            verdict = f"<b>All {n} parameters agree</b> with {against}."
        if result.skipped:  # the shared check's kink rule: no derivative to compare there
            verdict += (
                f" {len(result.skipped)} not compared by finite differences: the nudge "
                "crossed a ReLU kink, where there is no derivative."
            )
        # the rows compared with something first (worst first), then the others
        rows = sorted(result.rows, key=lambda r: r.numeric is None and r.torch is None)
        if n > MAX_ROWS:
            rows = rows[:MAX_ROWS]
            verdict += f" The table lists the first {MAX_ROWS:,}."
        self.summary.setText(f"{verdict} Max relative error {result.max_rel_error:.1e}.")
        self.table.setColumnHidden(4, not result.torch_used)
        self.table.setRowCount(len(rows))
        for row, r in enumerate(rows):
            cells = (
                r.label,
                f"{r.rel_error:.1e}",
                f"{r.engine:.4g}",
                "kink" if r.skipped else "–" if r.numeric is None else f"{r.numeric:.4g}",
                "" if r.torch is None else f"{r.torch:.4g}",
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if r.disagrees:
                    item.setForeground(BAD)
                self.table.setItem(row, col, item)

    def marked(self, job):
        """Labels to mark in `job`'s graph: the disagreeing parameters, if this is the
        network and sample that was checked."""
        if self.result is None or not self.job.same_sample(job):
            return ()
        return self.result.disagreeing

    def note_shown(self, job):
        """The graph now shows `job`: say when the result shown is for another one."""
        self.stale.setVisible(self.result is not None and not self.job.same_sample(job))

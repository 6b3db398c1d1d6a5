"""The backward stepper beside the graph: the topological order as a list, and the caption.

The panel owns a `BackwardStepper` on its own copy of the traced sample (built from the
model dict, so training never shares a Value with it). A step changes the list and the
caption at once; the graph, which costs a render, is asked for at most every FRAME_MS
(`frame_requested`), so a held-down arrow key steps as fast as it repeats.
"""

import html
import re
import time
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mgdesk.gui.highlight import CURRENT, WAITING, stepper_styles
from mgdesk.teach.stepper import BackwardStepper, NetworkStepper
from mgdesk.viz import trace_graph
from mgdesk.viz.graph import ops_node_count
from mgdesk.viz.network import network_graph, trace_network
from mgdesk.viz.trace import NODE_BUDGET, choose_view, trace_job

__all__ = ["StepperPanel"]

FRAME_MS = 40  # the graph is repainted at most this often while stepping
CAPTION_LINES = 4  # the caption keeps this height, so the graph does not jump
LIST_ROWS = 6  # the backward order list shows at least this many rows
NOTICE = "Stepping needs the ops view (why: under the graph)."
TOO_BIG = "Too many weights to step (why: under the graph)."
# Building a stepper is GUI-thread work: ~0.3 s at 64,64 (4,417 weights), ~3 s and 200k
# list rows at 256,256. Above this many weights the stepper is refused before anything is
# built (its ops view, a box per Value, would be slow to draw and impossible to follow).
MAX_WEIGHTS = 5000
WAITING_TEXT = QColor("#9e9e9e")
_AGAIN = re.compile(r"; (\S+\.grad was .*)$")  # the caption's += at a node used again


def caption_html(text):
    """The stepper's caption, with the accumulation at a node used twice in colour."""
    lines = [
        _AGAIN.sub(r"; <b style='color:#e65100'>\1</b>", html.escape(line))
        for line in text.splitlines()
    ]
    return "<div style='white-space:pre-wrap'>" + "<br>".join(lines) + "</div>"


def _mono(widget, scale=1.0):
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(font.pointSizeF() * scale)
    widget.setFont(font)


class StepperPanel(QWidget):
    """The side list of the backward order, the stepper's buttons and its caption."""

    frame_requested = Signal()  # repaint the graph (coalesced to one per FRAME_MS)
    moved = Signal()  # the position changed (emitted at once)
    ops_view_requested = Signal()  # the user asked for the ops view, which stepping needs

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("stepperPanel")
        self.stepper = None  # the engine's BackwardStepper (in the network view, net's)
        self.net = None  # network view: the NetworkStepper (one box a step)
        self._stacked = False
        self.topo = []  # the stepper's Values in topological order: topo[i] is node n<i>
        self._index = {}  # Value -> i
        self.params = []
        self.job = None  # the GraphJob the stepper was built from
        heading = QLabel("Backward order")
        heading.setProperty("role", "caption")
        self.position_label = QLabel()
        self.position_label.setObjectName("stepperPosition")
        self.position_label.setProperty("role", "hint")
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.position_label)
        hint = QLabel("Reversed topological order · click a row to jump")
        hint.setProperty("role", "hint")
        hint.setToolTip(
            "The topological order, reversed: each node after every node that uses it, so "
            "its grad is complete on its turn. Click a row to jump."
        )
        # one line, cut at the edge when narrow (the tooltip has it all)
        hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.notice = QFrame()
        self.notice.setObjectName("stepperNotice")
        self.notice_text = QLabel(NOTICE)
        self.notice_text.setObjectName("stepperNoticeText")
        self.notice_text.setWordWrap(True)
        self.ops_button = QPushButton("Use the ops view")
        self.ops_button.setObjectName("stepperOpsButton")
        self.ops_button.clicked.connect(self.ops_view_requested)
        notice_layout = QVBoxLayout(self.notice)
        notice_layout.setContentsMargins(8, 6, 8, 6)
        notice_layout.addWidget(self.notice_text)
        notice_layout.addWidget(self.ops_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.notice.hide()
        self.list = QListWidget()
        self.list.setObjectName("stepperList")
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        _mono(self.list)
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        # room for LIST_ROWS rows at least (the side column scrolls when the window is short)
        rows = self.list.fontMetrics().lineSpacing() * LIST_ROWS
        self.list.setMinimumHeight(rows + 2 * self.list.frameWidth() + 4)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(hint)
        layout.addWidget(self.notice)
        layout.addWidget(self.list, 1)
        layout.addLayout(self.buttons)

        self.caption = QLabel()  # placed under the graph by the window
        self.caption.setObjectName("stepperCaption")
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        _mono(self.caption)
        # the caption scrolls inside a box of CAPTION_LINES whole lines (a closed neuron's
        # step has a line per weight), so the graph does not jump and no line is cut
        self.caption_area = QScrollArea()
        self.caption_area.setObjectName("stepperCaptionArea")
        self.caption_area.setWidgetResizable(True)
        self.caption_area.setFrameShape(QFrame.Shape.NoFrame)
        self.caption_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.caption_area.setWidget(self.caption)
        self.caption.setText(caption_html("\n".join(["x"] * CAPTION_LINES)))
        self.caption_area.setFixedHeight(self.caption.sizeHint().height())
        self.caption.clear()
        self._frame_timer = QTimer(self, singleShot=True)
        self._frame_timer.timeout.connect(self._emit_frame)
        self._framed = 0.0  # time.monotonic() of the last frame asked for

    def add_buttons(self, actions):
        """Tool buttons for the window's stepper actions (Back, Step, ...), under the list."""
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.buttons.addWidget(button)
        self.buttons.addStretch(1)

    # ---- the sample stepped through ----

    @property
    def ready(self):
        """True when there is a stepper and the graph can show it (ops view)."""
        return self.stepper is not None and self.notice.isHidden()

    def prepare(self, job):
        """Get ready to step through `job`'s sample: the job that draws it, or None when
        the graph cannot show the stepper, with the notice saying why.

        Nothing is traced when the answer is known from the network's size alone: every
        weight makes at least three ops-view boxes (itself, its product, the product's op).
        """
        sizes = [job.model["nin"], *job.model["nouts"]]
        weights = sum((n_in + 1) * n for n_in, n in zip(sizes, sizes[1:], strict=False))
        if weights > MAX_WEIGHTS:
            return self._refuse(
                f"The stepper goes up to {MAX_WEIGHTS:,} weights and biases; this network has "
                f"{weights:,}: preparing its steps would hold the window for seconds. A smaller "
                "network steps (up to about 64, 64; hidden layers 4, 4 is easiest to follow).",
                ops=False,
            )
        if job.view == "auto":  # the network view: a box a step, at any size
            self.follow_network(job)
            self.hide_notice()
            return self.graph_job()
        if job.view == "neurons":
            return self._refuse("this graph shows neurons (the view is set to neurons).")
        if job.view == "auto" and 3 * weights > NODE_BUDGET:
            return self._refuse(self._too_many())
        self.follow(job)
        count = ops_node_count(self.stepper.root)
        if choose_view(job.view, count)[0] != "ops":
            return self._refuse(self._too_many(f"{count:,}"))
        self.hide_notice()
        return self.graph_job()

    @staticmethod
    def _too_many(count=""):
        boxes = f"has {count} boxes, more than the" if count else "would have more than the"
        return (
            f"this graph shows neurons: its ops view {boxes} {NODE_BUDGET} boxes “auto” draws "
            "one by one. The ops view of a network this size is slow to draw and hard to "
            "follow: a smaller one (e.g. hidden layers 4, 4) is easier."
        )

    def _refuse(self, why, ops=True):
        """No stepper for this graph: drop any (it would be of another network), say why."""
        self.stepper, self.job, self.topo, self.params, self._index = None, None, [], [], {}
        self.net = None
        self.list.clear()
        self.position_label.clear()
        self.ops_button.setVisible(ops)
        self.notice_text.setText(NOTICE if ops else TOO_BIG)
        if ops:
            why = f"The stepper needs the ops view, where every Value is a box; {why}"
        self.show_notice(why)
        return None

    def follow_network(self, job):
        """Step through `job`'s sample box by box as the network view draws it: an open
        neuron an operation at a time, a closed one at once. Opening or closing a neuron
        keeps the engine's progress (rounded down to a whole step of the new boxes)."""
        same = self.job is not None and self.job.same_sample(job)
        if same and self.net is not None and job.opened in (None, self.net.opened):
            self.job = replace(job, opened=self.net.opened)
            return
        done = self.stepper.position if same and self.stepper is not None else 0
        kept = self.net.position if self.net is not None and not same else None
        sample = trace_job(job, backward=False)
        graph, opened, groups = network_graph(sample.root, sample.model, job.opened)
        self.net = NetworkStepper(groups, opened, sample.params)
        self.stepper, self.params, self._stacked = self.net.engine, sample.params, graph.stacked
        self.job = replace(job, opened=opened)
        self.topo = groups.topo
        self._index = {value: i for i, value in enumerate(self.topo)}
        self._fill_list(len(self.net))
        if kept is not None:  # a training step: the same step of the new network
            self.net.jump_to(min(kept, len(self.net)))
        else:
            self.net.jump_to(self.net.whole_steps(done))
        self._show_position(0, len(self.net))

    def _fill_list(self, rows):
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems([""] * rows)
        self.list.blockSignals(False)

    def follow(self, job):
        """Step through `job`'s sample; a new network or sample keeps the position."""
        if self.job is not None and self.job.same_sample(job) and self.net is None:
            self.job = job
            return
        position = self.stepper.position if self.stepper is not None else 0
        self.net = None
        self.job = job
        sample = trace_job(job, backward=False)  # the stepper runs the backward pass
        self.params = sample.params
        self.stepper = BackwardStepper(sample.root, self.params)
        self.topo = self.stepper.order[::-1]
        self._index = {value: i for i, value in enumerate(self.topo)}
        self._fill_list(len(self.stepper))
        self.stepper.jump_to(min(position, len(self.stepper)))
        self._show_position(0, len(self.stepper))

    def new_network(self):
        """A Reset: the next stepper starts at step 0 (a training step keeps the position)."""
        self.stepper, self.net, self.job = None, None, None

    def close_stepper(self):
        self.stepper, self.job, self.topo, self.params, self._index = None, None, [], [], {}
        self.net = None
        self.notice.hide()
        self.list.show()
        self.list.clear()
        self.caption.clear()
        self.position_label.clear()
        self._frame_timer.stop()

    def show_notice(self, text):
        """Say why the stepper cannot run on the graph shown (under the graph, where there
        is room), and offer the ops view."""
        self.notice.show()
        self.list.hide()  # nothing to step through here: the notice gets the room
        self.caption.setText(html.escape(text))

    def hide_notice(self):
        if not self.notice.isHidden():
            self.notice.hide()
            self.list.show()
            self.caption.setText(caption_html(self.walker.caption()) if self.stepper else "")

    def graph_job(self):
        """The job that draws the stepper's graph as it is now, highlights included.

        Unnamed values show their name (`n12`) in their box, as the caption and the list
        call them. In the network view, the box of the current step is outlined and the
        boxes still waiting are dim.
        """
        if self.net is not None:
            graph = trace_network(self.net.groups, self.net.opened, self._stacked)
            return replace(
                self.job,
                caption=f"Backward stepper · {self.job.caption}",
                graph=graph,
                styles=self._network_styles(graph),
            )
        graph = trace_graph(self.stepper.root)
        named = (
            replace(n, label=n.id) if n.kind == "value" and not n.label else n for n in graph.nodes
        )
        graph = replace(graph, nodes=tuple(named))
        return replace(
            self.job,
            view="ops",
            caption=f"Backward stepper · {self.job.caption}",
            graph=graph,
            styles=stepper_styles(self.stepper, graph, self.topo),
        )

    def _network_styles(self, graph):
        styles = {}
        for node in graph.nodes:
            if node.index < 0:
                continue  # a layer title, the hub of two wide layers
            box = f"n{node.index}" if node.kind == "heat" else node.id.removesuffix("_op")
            state = self.net.state_of(box)
            if state == "current":
                styles[node.id] = CURRENT
            elif state == "waiting":
                styles[node.id] = WAITING
        return styles

    def focus_ids(self):
        """The svg ids the current step is about: its node, its op and the inputs that
        received grad (before step 1: the root)."""
        stepper = self.stepper
        if stepper is None:
            return []
        if not stepper.position:
            return [f"n{len(self.topo) - 1}"]
        if self.net is not None:
            return [self.net.current] if self.net.position else [f"n{len(self.topo) - 1}"]
        i = self._index[stepper.current]
        inputs = [f"n{self._index[v]}" for v in stepper.touched(stepper.position)]
        return [f"n{i}", f"n{i}_op", *(sid for sid in inputs if sid != f"n{i}")]

    # ---- moving ----

    @property
    def walker(self):
        """What the buttons move: the NetworkStepper (network view) or the engine's."""
        return self.net if self.net is not None else self.stepper

    def step(self):
        self._move(self.walker.position + 1)

    def back(self):
        self._move(self.walker.position - 1)

    def restart(self):
        self._move(0)

    def run_to_end(self):
        self._move(len(self.walker))

    def jump_to(self, position):
        self._move(position)

    def _move(self, position):
        stepper = self.walker
        if stepper is None or not self.ready:
            return
        position = max(0, min(position, len(stepper)))
        old = stepper.position
        if position == old:
            return
        stepper.jump_to(position)
        self._show_position(min(old, position), max(old, position))
        self.moved.emit()
        if not self._frame_timer.isActive():  # one frame per FRAME_MS, the latest state
            wait = FRAME_MS - 1000 * (time.monotonic() - self._framed)
            self._frame_timer.start(max(0, int(wait)))

    @Slot()
    def _emit_frame(self):
        self._framed = time.monotonic()
        if self.stepper is not None:
            self.frame_requested.emit()

    # ---- showing the position ----

    def _row_text(self, k):
        """Row k (0-based) of the list: '✓' once its step is done, then step and name."""
        if self.net is not None:
            mark = "✓" if k < self.net.position else " "
            return f"{mark}{k + 1:4d}  {self.net.steps[k][1]}"
        node = self.stepper.order[k]
        name = self.stepper.display_name(node)
        if node.label and node._op:
            name += f" ({node._op})"
        mark = "✓" if k < self.stepper.position else " "
        return f"{mark}{k + 1:4d}  {name}"

    def _show_position(self, lo, hi):
        """Refresh rows lo..hi (0-based steps whose state may have changed) and the caption."""
        stepper = self.walker
        position = stepper.position
        for k in range(lo, min(hi + 1, len(stepper))):
            item = self.list.item(k)
            item.setText(self._row_text(k))
            item.setForeground(WAITING_TEXT if k >= position else self.palette().text().color())
        self.list.blockSignals(True)
        self.list.setCurrentRow(position - 1)  # -1: no row, before the first step
        self.list.blockSignals(False)
        if position:
            self.list.scrollToItem(
                self.list.item(position - 1), QAbstractItemView.ScrollHint.EnsureVisible
            )
        else:
            self.list.scrollToTop()
        self.position_label.setText(f"step {position} of {len(stepper)}")
        if self.notice.isHidden():
            self.caption.setText(caption_html(stepper.caption()))

    @Slot(int)
    def _on_list_current_row_changed(self, row):
        if row >= 0:
            self.jump_to(row + 1)

"""The graph view: the traced sample's computational graph, zoomable and pannable.

The SVG is parsed and rasterised by `GraphWorker` off the GUI thread; this view only shows
the picture, asks for a sharper one after zooming, and maps clicks to SVG element ids
(the hit boxes come with the picture) for the node inspector and the backward stepper.
"""

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from mgdesk.gui.graph_legend import GraphLegend
from mgdesk.gui.graph_network import names_its_group
from mgdesk.gui.highlight import node_tooltip
from mgdesk.gui.widgets import icon
from mgdesk.viz.dot import FONT_SIZE
from mgdesk.viz.network import READABLE_PX

__all__ = ["GraphPanel", "GraphView"]

ZOOM_STEP = 1.2
MAX_ZOOM = 6.0  # device pixels per SVG unit
READABLE_ZOOM = 0.75  # device pixels per SVG unit at which the boxes' 14-unit text reads well
FIT_FLOOR = READABLE_PX / FONT_SIZE  # "fit" never shrinks the text below READABLE_PX: it scrolls
CLICK_SLOP_PX = 4


class BusyNote(QFrame):
    """Over the graph while a slow layout runs: what is being drawn, for how long, and a
    Cancel button (`cancel_requested`). The picture under it is dimmed: it is not the one
    the header names."""

    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("graphBusy")
        self.setStyleSheet(
            "QFrame#graphBusy { background: rgba(255, 255, 255, 235); "
            "border: 1px solid #90a4ae; border-radius: 4px; }"
        )
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy, with no way to tell how far
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("graphBusyCancel")
        self.cancel.clicked.connect(self.cancel_requested)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel, 0, Qt.AlignmentFlag.AlignRight)
        self.hide()


class GraphView(QGraphicsView):
    """Wheel zooms around the cursor, dragging pans, `fit()` shows the whole graph."""

    node_clicked = Signal(str)  # svg element id of the node under a click (not a drag)
    neuron_hovered = Signal(str)  # network view: the neuron under the pointer, "" when none
    view_changed = Signal(float, tuple)  # device pixels per SVG unit, visible (x, y, w, h)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("graphView")
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(QColor("white"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._item = QGraphicsPixmapItem()  # the whole graph
        self._detail = QGraphicsPixmapItem()  # sharper, around the visible part when zoomed in
        for item in (self._item, self._detail):
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            self.scene().addItem(item)
        self.graph = None  # the GraphImage shown
        # a label, not a drawForeground override: that would call Python on every paint
        self.placeholder = QLabel("The graph appears here.", self.viewport())
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("color: #6e6e6e; background: transparent;")
        self.busy = BusyNote(self.viewport())
        self.legend = GraphLegend(self.viewport())
        self.quiet = QLabel(self.viewport())  # why every gradient is 0, over the picture
        self.quiet.setObjectName("graphQuiet")
        self.quiet.setWordWrap(True)
        self.quiet.setStyleSheet(
            "background: #fff8e1; color: #5d4037; border: 1px solid #ffcc80; "
            "border-radius: 3px; padding: 3px 6px;"
        )
        self.quiet.hide()
        self._heat_items = []  # network view: the neurons' heatmaps, one pixmap each
        self._hovered = ""
        self.viewport().setMouseTracking(True)
        self._fitted = True  # follow the window size until the user zooms
        self._press = None
        self._view_timer = QTimer(self, singleShot=True, interval=150)
        self._view_timer.timeout.connect(self._emit_view)
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(self._on_scrolled)  # not start(value): that is msec

    # ---- content ----

    def show_graph(self, graph):
        """Show a rendered graph; a new layout (size) is fitted, the same one keeps the zoom."""
        new_layout = self.graph is None or self.graph.size != graph.size
        self.graph = graph
        self.placeholder.hide()
        self._item.setPixmap(QPixmap.fromImage(graph.image))
        self._item.setScale(1.0 / graph.scale)
        self._detail.setVisible(graph.detail is not None)
        if graph.detail is not None:
            self._detail.setPixmap(QPixmap.fromImage(graph.detail))
            self._detail.setScale(1.0 / graph.detail_scale)
            self._detail.setPos(*graph.detail_rect[:2])
        width, height = graph.size
        self.setSceneRect(QRectF(0, 0, width, height))
        self._show_heat(graph)
        self.set_quiet(graph.network.quiet if graph.network is not None else "")
        if new_layout or self._fitted:
            self.fit()
        self.viewport().update()

    def _show_heat(self, graph):
        """Each neuron's heatmap in its square (network view), over the picture."""
        extras = graph.network
        heat = extras.heat if extras is not None else {}
        styles = graph.job.styles or {}  # the stepper dims the boxes still waiting
        squares = [
            (graph.boxes[sid], heat[node.group], getattr(styles.get(sid), "opacity", None))
            for sid, node in graph.node_ids.items()
            if node.kind == "heat" and node.group in heat and sid in graph.boxes
        ]
        while len(self._heat_items) < len(squares):
            item = QGraphicsPixmapItem()
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            item.setZValue(1)
            self.scene().addItem(item)
            self._heat_items.append(item)
        for k, item in enumerate(self._heat_items):
            item.setVisible(k < len(squares))
            if k < len(squares):
                (x, y, w, h), image, opacity = squares[k]
                item.setPixmap(QPixmap.fromImage(image))
                item.setScale((w - 2) / max(image.width(), 1))
                item.setPos(x + 1, y + 1)
                item.setOpacity(self._item.opacity() * (1.0 if opacity is None else opacity))

    @Slot(bool)
    def show_legend(self, on):
        """Show or hide the legend in the top right corner."""
        self.legend.setVisible(on)
        self.legend.raise_()
        self._place_busy()

    def set_quiet(self, text):
        """Say over the picture why nothing flows back ('' hides it)."""
        self.quiet.setText(text)
        self.quiet.setVisible(bool(text))
        self._place_busy()

    def scrolls_at_fit(self):
        """True when the picture is wider or taller than the view at its readable zoom."""
        if self.graph is None:
            return False
        view = self.viewport().rect()
        width, height = self.graph.size
        return width * FIT_FLOOR > view.width() + 1 or height * FIT_FLOOR > view.height() + 1

    def show_busy(self, text):
        """Dim the picture and show `text` with a busy bar and Cancel; '' hides it."""
        self.busy.setVisible(bool(text))
        self.busy.text.setText(text)
        for item in (self._item, self._detail, *self._heat_items):
            item.setOpacity(0.25 if text else 1.0)
        self._place_busy()

    def _place_busy(self):
        rect = self.viewport().rect()
        width = min(rect.width() - 20, 420)
        height = self.busy.heightForWidth(width) if self.busy.hasHeightForWidth() else 100
        self.busy.setGeometry(rect.center().x() - width // 2, 20, width, max(height, 90))
        self.legend.place(rect)
        if not self.quiet.isHidden():
            width = min(rect.width() - 20, 640)
            height = self.quiet.heightForWidth(width)
            self.quiet.setGeometry(10, rect.height() - height - 8, width, height)

    def clear_graph(self, placeholder):
        self.graph = None
        self._item.setPixmap(QPixmap())
        self._detail.setVisible(False)
        for item in self._heat_items:
            item.setVisible(False)
        self.set_quiet("")
        self.placeholder.setText(placeholder)
        self.placeholder.show()

    # ---- zoom and pan ----

    def zoom_level(self):
        """Device pixels per SVG unit."""
        return self.transform().m11() * self.devicePixelRatioF()

    @Slot()
    def fit(self):
        if self.graph is None:
            return
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        if self.graph.network is not None and self.transform().m11() < FIT_FLOOR:
            self.setTransform(QTransform.fromScale(FIT_FLOOR, FIT_FLOOR))  # scroll, not shrink
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())
            self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())
        self._fitted = True
        self._view_timer.start()

    def zoom(self, factor):
        level = self.zoom_level()
        factor = max(min(factor, MAX_ZOOM / level), 0.02 / level)
        self.scale(factor, factor)
        self._fitted = False
        self._view_timer.start()

    def wheelEvent(self, event):
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP**steps)
        event.accept()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.placeholder.setGeometry(self.viewport().rect().adjusted(20, 20, -20, -20))
        self._place_busy()
        if self._fitted:
            self.fit()

    def visible_rect(self):
        """The part of the graph in view, (x, y, w, h) in SVG units."""
        rect = self.mapToScene(self.viewport().rect()).boundingRect() & self.sceneRect()
        return (rect.x(), rect.y(), rect.width(), rect.height())

    @Slot()
    def _on_scrolled(self):
        self._view_timer.start()

    def _emit_view(self):
        if self.graph is not None:
            self.view_changed.emit(self.zoom_level(), self.visible_rect())

    def follow(self, sids, zoom=READABLE_ZOOM):
        """Zoom in to at least `zoom` and scroll the nodes `sids` into view (if they are
        not): all of them when they fit, else the first."""
        boxes = [QRectF(*self.graph.boxes[s]) for s in sids if s in self.graph.boxes]
        if not boxes:
            return
        if self.zoom_level() < zoom * 0.99:
            self.zoom(zoom / self.zoom_level())
        seen = self.mapToScene(self.viewport().rect()).boundingRect()
        union = boxes[0]
        for box in boxes[1:]:
            union = union.united(box)
        if seen.contains(union):
            return
        fits = union.width() <= seen.width() and union.height() <= seen.height()
        self.centerOn((union if fits else boxes[0]).center())

    # ---- clicks on nodes, and their tooltips ----

    def tooltip_at(self, view_pos):
        """Data and grad of the node at a viewport position, or ''."""
        sid = self.element_at(view_pos)
        return node_tooltip(self.graph.node_ids[sid]) if sid in self.graph.node_ids else ""

    def viewportEvent(self, event):
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def element_at(self, view_pos):
        """The svg id of the node at a viewport position, or ''."""
        if self.graph is None:
            return ""
        p = self.mapToScene(view_pos.toPoint() if isinstance(view_pos, QPointF) else view_pos)
        hits = [
            (w * h, sid)
            for sid, (x, y, w, h) in self.graph.boxes.items()
            if x <= p.x() <= x + w and y <= p.y() <= y + h
        ]
        return min(hits)[1] if hits else ""

    def mouseMoveEvent(self, event):
        super().mouseMoveEvent(event)
        if event.buttons() == Qt.MouseButton.NoButton:
            self._hover(self.element_at(event.position()))

    def leaveEvent(self, event):
        super().leaveEvent(event)
        self._hover("")

    def _hover(self, sid):
        """Tell which neuron is under the pointer (network view), once per change."""
        node = self.graph.node_ids.get(sid) if self.graph is not None and sid else None
        name = node.group if node is not None and node.kind in ("neuron", "heat") else ""
        if node is not None and names_its_group(node):
            name = node.group  # an open neuron's output
        if name != self._hovered:
            self._hovered = name
            self.neuron_hovered.emit(name)

    def mousePressEvent(self, event):
        self._press = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if press is not None and (event.position() - press).manhattanLength() <= CLICK_SLOP_PX:
            sid = self.element_at(event.position())
            if sid:
                self.node_clicked.emit(sid)


class _SideScroll(QScrollArea):
    """A vertical scroll area for one side widget, shown and hidden with it."""

    def __init__(self, widget):
        super().__init__()
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumHeight(0)
        self.setVisible(not widget.isHidden())
        widget.installEventFilter(self)

    def minimumSizeHint(self):
        hint = super().minimumSizeHint()
        hint.setWidth(self.widget().minimumSizeHint().width())
        return hint

    def eventFilter(self, watched, event):
        if watched is self.widget() and event.type() in (
            QEvent.Type.ShowToParent,
            QEvent.Type.HideToParent,
        ):
            self.setVisible(event.type() == QEvent.Type.ShowToParent)
        return False


class GraphPanel(QWidget):
    """The graph view with its caption, view choice and fit button, and room at the side
    (`add_side_widget`) for the backward stepper's list and the node inspector, and below
    (`set_footer`) for the stepper's caption."""

    view_mode_changed = Signal(str)
    open_all_requested = Signal(bool)  # network view: open every neuron (True) or close all

    def __init__(self, parent=None):
        super().__init__(parent)
        self.caption = QLabel("No graph yet")
        self.caption.setObjectName("graphCaption")
        self.caption.setProperty("role", "caption")
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setMinimumWidth(80)  # cut when the window is narrow (see resizeEvent)
        self.note = QLabel()
        self.note.setObjectName("graphNote")
        self.note.setProperty("role", "hint")
        # long notes are cut at the panel's edge (the tooltip has them whole)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.mode = QComboBox()
        self.mode.setObjectName("graphModeCombo")
        self.mode.addItems(("auto", "ops", "neurons"))
        self.mode.setToolTip(
            "auto: one box per neuron, click one to open it into its operations (small "
            "networks start open); ops: every Value, laid out by Graphviz; neurons: the "
            "older one-box-per-neuron picture"
        )
        self.open_all = QToolButton()
        self.open_all.setObjectName("graphOpenAll")
        self.open_all.setText("Open all")
        self.open_all.setCheckable(True)
        self.open_all.setToolTip("Open every neuron into its operations, or close them all")
        self.open_all.clicked.connect(self.open_all_requested)
        self.mode.currentTextChanged.connect(self.view_mode_changed)
        self.view = GraphView()
        fit = QToolButton()
        fit.setIcon(icon("fit"))
        fit.setToolTip("Fit the graph to the window (F)")
        fit.clicked.connect(self.view.fit)
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 2)
        header.setSpacing(12)
        header.addWidget(self.caption)
        header.addWidget(self.note, 1)
        self.hint = hint = QLabel(
            "click a neuron: open/close · K: legend · wheel: zoom · drag: pan"
        )
        hint.setProperty("role", "hint")
        hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        hint.setMinimumWidth(0)
        header.addWidget(hint)
        header.addWidget(self.open_all)
        header.addWidget(QLabel("View"))
        header.addWidget(self.mode)
        header.addWidget(fit)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)
        self._layout = layout

    def add_header_widget(self, widget):
        """A control at the left of the header's View choice (e.g. the stepper's switch)."""
        header = self._layout.itemAt(0).layout()
        header.insertWidget(header.count() - 3, widget)

    def set_footer(self, widget):
        """A widget under the graph, across the whole panel."""
        self._layout.addWidget(widget)

    def add_side_widget(self, widget, stretch=0):
        """Put a panel right beside the graph (e.g. the topological order list).

        It scrolls when it is taller than the graph: what it shows (the stepper's list, a
        notice) never makes the panel taller, so the plots above never move. Hiding or
        showing `widget` hides or shows its place too."""
        self.splitter.insertWidget(1, _SideScroll(widget))
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, stretch)

    def set_caption(self, caption, note=""):
        self.caption.setText(caption)
        self.caption.setToolTip(caption)
        self.note.setToolTip(note)
        self._elide_note()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._elide_note()

    def _elide_note(self):
        """The note, cut with '…' where the header ends (the tooltip has all of it)."""
        full = self.note.toolTip()
        width = self.note.width()
        self.note.setText(
            self.note.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, width)
        )

"""Where the window's widgets go: settings on the left, the loss plot and the decision
boundary on top, the graph below with the stepper, inspector and gradient check beside it,
the banner above and the figures in the status bar. `build_views(window)` makes them as
attributes of the window and connects the ones the window itself handles."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mgdesk.gui.boundary import BoundaryPlot
from mgdesk.gui.controls import ArchitecturePanel
from mgdesk.gui.graph_view import GraphPanel
from mgdesk.gui.inspector import GradCheckPanel, NodeInspector
from mgdesk.gui.loss_plot import LossPlot
from mgdesk.gui.point_editor import PointEditor
from mgdesk.gui.stepper_panel import StepperPanel
from mgdesk.gui.widgets import Banner, BannerSlot

__all__ = ["BANNER_HINT", "SIDE_WIDTH", "build_status_bar", "build_views", "default_sizes"]

BANNER_HINT = (
    "Space: Train / Pause · S: one step · R: Reset · B: step through backprop · "
    "F1: every key"
)  # shown where messages appear, while there is none
SIDE_WIDTH = 360  # the stepper's list, the inspector and the gradient check


def build_views(window):
    w = window
    w.panel = ArchitecturePanel()
    w.panel.changed.connect(w._on_panel_changed)
    w.panel.lr_changed.connect(w._on_panel_lr_changed)
    w.panel.import_csv_requested.connect(w._on_panel_import_csv_requested)
    scroll = QScrollArea()
    scroll.setWidget(w.panel)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    w.settings_dock = QDockWidget("Settings", w)
    w.settings_dock.setObjectName("settingsDock")
    w.settings_dock.setWidget(scroll)
    w.settings_dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.settings_dock)
    scroll.setMinimumWidth(w.panel.sizeHint().width() + 20)  # room for the scroll bar

    w.loss_plot = LossPlot()
    w.boundary = BoundaryPlot()
    w.boundary.sample_clicked.connect(w.trace_sample)
    w.boundary.plane_changed.connect(w._on_boundary_plane_changed)
    w.points = PointEditor(w.boundary, w.files, w)  # Edit points (E): tools over the plot
    w.graph_panel = GraphPanel()
    w.graph_view = w.graph_panel.view
    _build_side(w)

    w.top_splitter = QSplitter(Qt.Orientation.Horizontal)
    w.top_splitter.setObjectName("topSplitter")
    w.log_box = QCheckBox("log scale")
    w.log_box.setObjectName("logScaleCheck")
    w.log_box.setToolTip("Loss on a logarithmic axis (L)")
    loss_tools = QWidget()
    tools = QHBoxLayout(loss_tools)
    tools.setContentsMargins(0, 0, 0, 0)
    tools.addWidget(w.loss_plot.runs_button)  # the last runs, shown or hidden
    tools.addWidget(w.log_box)
    w.top_splitter.addWidget(
        _titled(w.loss_plot, "Loss · earlier runs stay faint (Runs)", loss_tools)
    )
    w.top_splitter.addWidget(
        _titled(
            w.points.panel, "Decision boundary · click a point to trace it", w.points.edit_button
        )
    )
    w.top_splitter.setStretchFactor(0, 3)
    w.top_splitter.setStretchFactor(1, 2)
    w.view_splitter = QSplitter(Qt.Orientation.Vertical)
    w.view_splitter.setObjectName("viewSplitter")
    w.view_splitter.addWidget(w.top_splitter)
    w.view_splitter.addWidget(w.graph_panel)
    w.view_splitter.setStretchFactor(0, 2)
    w.view_splitter.setStretchFactor(1, 3)
    for splitter in (w.top_splitter, w.view_splitter):
        splitter.setChildrenCollapsible(False)

    w.banner = Banner()
    w.banner.action_requested.connect(w._on_banner_action_requested)
    w.banner_slot = BannerSlot(w.banner, BANNER_HINT)
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(4, 4, 4, 0)
    layout.setSpacing(4)
    layout.addWidget(w.banner_slot)
    layout.addWidget(w.view_splitter, 1)
    w.setCentralWidget(central)
    w.resize(1400, 900)
    default_sizes(w)


def _build_side(w):
    """Beside the graph: the stepper's list (in stepper mode), then the inspector and
    the gradient check as tabs; the stepper's caption goes under the graph."""
    w.stepper_panel = StepperPanel()
    w.stepper_panel.hide()
    w.inspector = NodeInspector()
    w.grad_check = GradCheckPanel()
    w.side_tabs = QTabWidget()
    w.side_tabs.setObjectName("sideTabs")
    w.side_tabs.addTab(w.inspector, "Inspector")
    w.side_tabs.addTab(w.grad_check, "Gradient check")
    w.side_splitter = QSplitter(Qt.Orientation.Vertical)
    w.side_splitter.setObjectName("sideSplitter")
    w.side_splitter.addWidget(w.stepper_panel)
    w.side_splitter.addWidget(w.side_tabs)
    w.side_splitter.setChildrenCollapsible(False)
    w.side_splitter.setStretchFactor(0, 1)
    w.side_splitter.setStretchFactor(1, 1)
    w.graph_panel.add_side_widget(w.side_splitter)
    w.side_splitter.hide()  # the graph gets the room until a node is inspected
    w.graph_panel.set_footer(w.stepper_panel.caption_area)
    w.stepper_panel.caption_area.hide()


def _titled(widget, title, extra=None):
    """`widget` under a caption line (with an optional control at its right)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    label = QLabel(title)
    label.setObjectName(f"{widget.objectName()}Caption")  # (a view may retitle itself)
    label.setProperty("role", "caption")
    label.setToolTip(title)
    # cut at the edge when the window is narrow, rather than widen it
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    header = QHBoxLayout()
    header.setContentsMargins(4, 2, 4, 2)
    header.addWidget(label, 1)
    if extra is not None:
        header.addWidget(extra)
    layout.addLayout(header)
    layout.addWidget(widget, 1)
    return box


def build_status_bar(window):
    """The step, loss, accuracy and rate labels, as `window.status_labels`."""
    window.status_labels = {}
    for name, width in (
        ("step", 80), ("loss", 130), ("accuracy", 120), ("dead", 120), ("rate", 80)
    ):  # fmt: skip
        label = QLabel()
        label.setObjectName(f"status{name.capitalize()}")
        label.setMinimumWidth(width)
        window.statusBar().addPermanentWidget(label)
        window.status_labels[name] = label


def default_sizes(window):
    """Loss plot and a near-square boundary on top (~40%), the graph below."""
    w = window
    top = int(w.height() * 0.4)
    w.view_splitter.setSizes([top, w.height() - top])
    width = max(w.top_splitter.width(), w.width() - 330)
    w.top_splitter.setSizes([width - top - 30, top + 30])
    w.graph_panel.splitter.setSizes([width - SIDE_WIDTH, SIDE_WIDTH])

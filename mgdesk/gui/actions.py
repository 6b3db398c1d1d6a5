"""The window's actions, in one table: it makes the QActions, the menus, the toolbar and
the F1 dialog, and a test checks the README's shortcut table against it.

A row of `ACTIONS` is one QAction: the window attribute `<name>_action` it becomes, its
menu text, the window method it calls (a dotted path from the window, with arguments),
its key, tool tip and icon. `help` (with `keys`, how the key is written for people) makes
it a row of the shortcut list; an action whose key is explained by another row's `keys`
("→ / ←") leaves `help` empty.
"""

from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMessageBox, QToolBar, QToolButton

from mgdesk.gui.widgets import icon
from mgdesk.viz.renderer import VIEWS

__all__ = ["ACTIONS", "RENDERER_CHOICES", "SHORTCUTS", "ActionSpec", "build_actions"]

RENDERER_CHOICES = (
    ("auto", "Bundled, or System Graphviz if Missing"),
    ("bundled", "Bundled (graphviz-pure)"),
    ("system", "System Graphviz (dot)"),
)


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the window gets it as `<name>_action`
    text: str  # menu text, & before the mnemonic
    slot: str  # the window's method it calls, e.g. "graph_view.fit" or "files.export_graph"
    key: str = ""  # QKeySequence text, or a QKeySequence.StandardKey name such as "Open"
    tip: str = ""  # tool tip and status tip
    icon: str = ""
    checkable: bool = False  # then `slot` gets the new state
    args: tuple = ()  # given to `slot` after the state (if checkable)
    help: str = ""  # its row in the F1 dialog and the README
    keys: str = ""  # the keys as that row writes them (default: `key`)
    icon_text: str = ""  # a shorter text for a tool button


ACTIONS = (
    ActionSpec(
        "train", "Train", "toggle_training", "Space", "Train / Pause (Space)", "play",
        help="Train / Pause",
    ),
    ActionSpec(
        "step", "Step", "step", "S", "One update (S)", "step",
        help="One training step (pauses first)",
    ),
    ActionSpec(
        "reset", "Reset", "reset", "R", "A new network with the settings (R)", "reset",
        help="Reset: a new network with the current settings",
    ),
    ActionSpec(
        "compare", "&Compare Runs…", "compare.open_dialog", "C",
        "Train a second run beside this one, one setting changed: tanh vs ReLU, ... (C)",
        "compare", icon_text="Compare",
        help="Compare: a second run beside this one, one setting changed (tanh vs ReLU…)",
    ),
    ActionSpec(
        "fit", "&Fit Graph", "graph_view.fit", "F", icon="fit",
        help="Fit the graph to its view",
    ),
    ActionSpec(
        "log", "&Log Scale Loss", "loss_plot.set_log_scale", "L", checkable=True,
        help="Loss plot: log scale on or off",
    ),
    ActionSpec(
        "zoom_in", "Zoom &In", "graph_view.zoom", "Ctrl++", args=(1.25,),
        help="Zoom the graph; drag to pan", keys="Ctrl++ / Ctrl+−, wheel",
    ),
    ActionSpec("zoom_out", "Zoom &Out", "graph_view.zoom", "Ctrl+-", args=(0.8,)),
    ActionSpec(
        "stepper", "&Backward Stepper", "set_stepper", "B",
        "Step through the backward pass node by node (B); pauses training", checkable=True,
        help="Backward stepper on / off (pauses training)",
    ),
    ActionSpec(
        "undo_node", "&Undo Node", "stepper_panel.back", "Left",
        "Undo the last node's backward (←)", icon_text="← Back",
        help="Stepper: run the next node's backward / undo it (hold to keep going)",
        keys="→ / ←",
    ),
    ActionSpec(
        "next_node", "&Next Node", "stepper_panel.step", "Right",
        "Run the next node's backward (→)", icon_text="Step →",
    ),
    ActionSpec(
        "run_to_end", "Run to &End", "stepper_panel.run_to_end", "End",
        "Run the rest of the backward pass (End)", icon_text="End",
        help="Stepper: back to the start / run to the end", keys="Home / End",
    ),
    ActionSpec(
        "restart", "Back to &Start", "stepper_panel.restart", "Home",
        "Undo every step: all grads 0 (Home)", icon_text="Start",
    ),
    ActionSpec(
        "check", "&Check Gradients", "check_gradients", "G",
        "Compare the traced sample's gradients with finite differences (G)",
        help="Gradient check of the traced sample",
    ),
    ActionSpec(
        "side", "&Inspector Panel", "show_side_panel", "I",
        "Show or hide the inspector and gradient check beside the graph (I)", checkable=True,
        help="Inspector panel on / off (clicking a node opens it)",
    ),
    ActionSpec(
        "legend", "Graph &Legend", "graph_view.show_legend", "K",
        "Show or hide what the graph's colours, edges and the points mean (K)", checkable=True,
        help="Legend on / off: node colours, edge colours, point markers",
    ),
    ActionSpec(
        "escape", "Leave Field", "graph_view.setFocus", "Esc",
        help="Leave a text or number field, so the keys above reach the window",
    ),
    ActionSpec("shortcuts", "&Keyboard Shortcuts", "show_shortcuts", "F1", help="All shortcuts"),
    ActionSpec(
        "open", "&Open Session…", "files.open_session", "Open",
        help="Open / save a session, quit", keys="Ctrl+O / Ctrl+S / Ctrl+Q",
    ),
    ActionSpec("save", "&Save Session…", "files.save_session", "Save"),
    ActionSpec("quit", "&Quit", "close", "Quit"),
    ActionSpec(
        "import", "&Import CSV Data…", "files.import_csv", "Ctrl+I", help="Import a CSV of points"
    ),
    ActionSpec(
        "edit_points", "&Edit Points", "points.set_editing", "E",
        "Draw points on the boundary plot: click adds, drag paints, right-click removes (E)",
        checkable=True, help="Edit points on the boundary plot on / off",
    ),
    *(
        ActionSpec(
            f"class_{k}", f"Class &{k}", "points.choose_class", str(k), args=(k - 1,),
            help="Edit points: the class of new points (its button)" if k == 1 else "",
            keys="1–9",
        )
        for k in range(1, 10)
    ),
    ActionSpec(
        "test_points", "&Test Points", "points.set_test", "T",
        "New points go to the test set (T)", checkable=True, icon_text="Test",
        help="Edit points: new points go to the test set, or the training set",
    ),
    ActionSpec(
        "eraser", "E&raser", "points.set_eraser", "X",
        "Click or drag to remove points (X); right-click removes too", checkable=True,
        icon_text="Eraser",
        help="Edit points: eraser on / off (right-click always removes)",
    ),
    ActionSpec(
        "undo_points", "&Undo Point Edit", "points.undo", "Ctrl+Z", "Undo (Ctrl+Z)",
        icon_text="Undo", help="Undo / redo a point edit", keys="Ctrl+Z / Ctrl+Shift+Z",
    ),
    ActionSpec(
        "redo_points", "Re&do Point Edit", "points.redo", "Ctrl+Shift+Z",
        "Redo (Ctrl+Shift+Z)", icon_text="Redo",
    ),
    ActionSpec(
        "clear_points", "&Clear Points", "points.clear", tip="Remove every point (undoable)",
        icon_text="Clear",
    ),
    ActionSpec("export_points", "P&oints as CSV…", "points.export_csv"),
    ActionSpec("export_svg", "Graph as &SVG…", "files.export_graph", args=("svg",)),
    ActionSpec("export_png", "Graph as &PNG…", "files.export_graph", args=("png",)),
    ActionSpec("export_dot", "Graph as &DOT…", "files.export_graph", args=("dot",)),
    ActionSpec("export_history", "Loss &History as CSV…", "files.export_history"),
    ActionSpec("export_plot", "Loss &Plot as PNG…", "files.export_loss_plot"),
    ActionSpec("export_script", "Python S&cript…", "files.export_script"),
    ActionSpec("export_torch", "P&yTorch Script…", "files.export_torch_script"),
    ActionSpec("check_engine", "Check My &Engine…", "check_my_engine"),
    ActionSpec("restore_layout", "Restore Default &Layout", "restore_layout"),
    ActionSpec("about", "&About mgdesk", "show_about"),
)  # fmt: skip

# (keys, what they do): the rows of the F1 dialog and of the README's table, in order
SHORTCUTS = tuple((spec.keys or spec.key, spec.help) for spec in ACTIONS if spec.help)

_STEPPER = ("undo_node", "next_node", "run_to_end", "restart")
_EXPORTS = tuple(s.name for s in ACTIONS if s.name.startswith("export_"))
_MENUS = (
    ("&File", ("open", "save", None, "import", "&Export", None, "quit")),
    ("&View", ("settings", "log", "compare", None, "modes", "fit", "zoom_in", "zoom_out",
               "side", "legend", "renderers", None, "restore_layout")),
    ("&Points", ("edit_points", None, "test_points", "eraser", None, "undo_points",
                 "redo_points", "clear_points")),
    ("&Backprop", ("stepper", "undo_node", "next_node", "run_to_end", "restart", None, "check",
                   "check_engine")),
    ("&Help", ("shortcuts", "about")),
)  # fmt: skip


def _target(window, path):
    target = window
    for part in path.split("."):
        target = getattr(target, part)
    return target


def _key_sequence(key):
    standard = getattr(QKeySequence.StandardKey, key, None)
    return QKeySequence(standard if standard is not None else key)


def make_action(window, spec):
    """The QAction of one row, added to the window (shortcuts work with the menus hidden)."""
    action = QAction(spec.text, window)
    if spec.key:
        action.setShortcut(_key_sequence(spec.key))
    if spec.tip:
        action.setToolTip(spec.tip)
        action.setStatusTip(spec.tip)
    if spec.icon:
        action.setIcon(icon(spec.icon))
    if spec.icon_text:
        action.setIconText(spec.icon_text)
    action.setCheckable(spec.checkable)
    slot = _target(window, spec.slot)
    if spec.args:
        slot = partial(_call, slot, spec.args)
    (action.toggled if spec.checkable else action.triggered).connect(slot)
    window.addAction(action)
    return action


def _call(slot, args, *_ignored):
    """A triggered action's `checked` argument is dropped; `args` are passed instead."""
    slot(*args)


def build_actions(window):
    """Every action of the table as `window.<name>_action`, plus the graph-mode and renderer
    groups, the toolbar, the stepper's buttons and the menus."""
    for spec in ACTIONS:
        setattr(window, f"{spec.name}_action", make_action(window, spec))
    window.log_action.toggled.connect(window.log_box.setChecked)
    window.log_box.toggled.connect(window.log_action.setChecked)
    window.stepper_actions = [getattr(window, f"{name}_action") for name in _STEPPER]
    window.export_actions = [getattr(window, f"{name}_action") for name in _EXPORTS]
    window.stepper_panel.add_buttons(window.stepper_actions)
    window.points.bind_actions(
        {
            s.name: getattr(window, f"{s.name}_action")
            for s in ACTIONS
            if s.slot.startswith("points.")
        }
    )
    window.mode_group, window.mode_actions = _group(
        window, ((m, f"Graph: {m}") for m in VIEWS), window.graph_panel.mode.setCurrentText
    )
    window.renderer_group, window.renderer_actions = _group(
        window, RENDERER_CHOICES, window.set_graph_renderer
    )
    _build_toolbar(window)
    _build_menus(window)


def _group(window, choices, choose):
    """Exclusive checkable actions, the first checked; each calls `choose(name)`."""
    group, actions = QActionGroup(window), {}
    for i, (name, text) in enumerate(choices):
        action = QAction(text, window, checkable=True)
        action.setChecked(i == 0)
        action.triggered.connect(partial(_call, choose, (name,)))
        group.addAction(action)
        actions[name] = action
    return group, actions


def _build_toolbar(window):
    toolbar = QToolBar("Run")
    toolbar.setObjectName("runToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.setMovable(False)
    for name in ("train", "step", "reset", "compare"):
        action = getattr(window, f"{name}_action")
        toolbar.addAction(action)
        toolbar.widgetForAction(action).setObjectName(f"{name}Button")
    toolbar.addSeparator()
    toolbar.addAction(window.fit_action)
    window.addToolBar(toolbar)
    window.toolbar = toolbar
    stepper_button = QToolButton()
    stepper_button.setObjectName("stepperButton")
    stepper_button.setDefaultAction(window.stepper_action)
    stepper_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    window.graph_panel.add_header_widget(stepper_button)


def _build_menus(window):
    groups = {
        "settings": [window.settings_dock.toggleViewAction()],
        "modes": list(window.mode_actions.values()),
    }
    for title, entries in _MENUS:
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if entry is None:
                menu.addSeparator()
            elif entry == "&Export":
                menu.addMenu(entry).addActions(window.export_actions)
            elif entry == "renderers":
                submenu = menu.addMenu("Graph &Renderer")
                submenu.addActions(list(window.renderer_actions.values()))
            else:
                menu.addActions(groups.get(entry) or [getattr(window, f"{entry}_action")])


def show_shortcuts(parent):
    """The F1 dialog: every row of SHORTCUTS."""
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    QMessageBox.information(
        parent,
        "Keyboard shortcuts",
        f"<table cellspacing=6>{rows}</table><p>While the cursor is in a text or number "
        "field, the keys above (and the arrows) work in the field. Press Esc (or click a "
        "plot) first.</p>",
    )

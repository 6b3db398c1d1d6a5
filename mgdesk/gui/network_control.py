"""The window's side of the network view: which neurons are open, and what the pointer
and the traced sample do with it.

- A click on a closed neuron (its box or its heatmap) opens it in place into its
  operations; a click on an open neuron's output record closes it; a click on a layer's
  title opens or closes the whole layer; "Open all" opens or closes every neuron. The
  opening is kept while the network trains and is dropped on Reset (a new network opens
  by its size again: small networks open fully, see viz.network.choose_open).
- Hovering a neuron shows its output over the plane in the decision-boundary plot until
  the pointer leaves it.
- The traced sample: on Reset and whenever training stops, the training point with the
  largest loss (its graph has gradients to look at, where a point classified with margin
  has none); a point the user clicks is kept until the next Reset.
"""

from PySide6.QtCore import QObject, Slot

from mgdesk.engine import MLP
from mgdesk.gui.graph_network import names_its_group
from mgdesk.viz.trace import worst_sample

__all__ = ["OPEN_LIMIT", "NetworkControl", "open_records"]

# The most records the window opens at once: 128,128 opened whole is ~34,000 records, laid
# out in ~10 s; 256,256 would be ~135,000, past the layout's 20 s limit (and its SVG ~120 MB).
OPEN_LIMIT = 36_000


def open_records(model, names):
    """About how many records the network view draws with the groups `names` open (a
    neuron with k inputs opens into its k weights, k products, bias, sum and output)."""
    fan_in = [model["nin"], *model["nouts"][:-1]]
    count = sum(model["nin"] + n for n in model["nouts"])  # the inputs and closed neurons
    for name in names:
        if name.startswith("L") and ".N" in name:
            count += 2 * fan_in[int(name[1 : name.index(".")]) - 1] + 3
    return count


class NetworkControl(QObject):
    """`request()` asks for the graph again (the window's GraphArea.request)."""

    def __init__(self, window, request):
        super().__init__(window)
        self.window = window
        self._request = request
        self.opened = None  # the groups to draw open; None: the network's default
        self.user_traced = False  # the user clicked the traced point (kept until Reset)
        self._focus = ""  # the group just opened or closed: kept in view when drawn
        panel = window.graph_panel
        panel.open_all_requested.connect(self._on_graph_panel_open_all_requested)
        panel.view.neuron_hovered.connect(self._on_graph_view_neuron_hovered)
        window.boundary.plane_changed.connect(self._on_boundary_plane_changed)
        window.boundary.sample_clicked.connect(self._on_boundary_sample_clicked)

    # ---- what the worker is asked for ----

    def job_fields(self, view):
        """The GraphJob fields of the network view: its opening and the heatmaps' plane."""
        if view != "auto":
            return {}
        plane = self.window.boundary.plane
        return {"opened": self.opened, "bounds": tuple(plane) if plane else ()}

    def reset(self):
        """A new network: default opening, and the worst training point traced."""
        self.opened = None
        self.user_traced = False
        self.trace_worst()

    def trace_worst(self, model=None, data=None, config=None):
        """Trace the training point with the largest loss (unless the user chose one) under
        the run shown, or under the model dict, Dataset and TrainConfig given (a compared
        run); True when that is another point than the one traced."""
        run = self.window.run
        if model is None:
            model, data, config = run.model, run.data, run.applied
        if self.user_traced or data is None or model is None or not len(data.x_train):
            return False
        try:
            features = config.input_features
            index = worst_sample(
                MLP.from_dict(model), data.x_train, data.y_train, config.loss, features
            )
        except (ValueError, OverflowError):
            return False  # a diverged network: any point will do
        changed = run.traced != ("train", index)
        run.traced = ("train", index)
        self.window.boundary.set_traced("train", index)
        return changed

    # ---- clicks ----

    def clicked(self, sid):
        """Open or close what the click at svg id `sid` names; False when it is not such a
        click (the window inspects the node instead)."""
        graph = self.window.graph_view.graph
        extras = graph.network if graph is not None else None
        node = graph.node_ids.get(sid) if extras is not None else None
        if node is None:
            return False
        opened = extras.opened
        if node.kind in ("neuron", "heat") or (node.label == "loss" and "loss" not in opened):
            names = {node.group}
        elif names_its_group(node) and node.group in opened:
            names = {node.group}  # an open neuron's output record: close it
        elif node.kind == "header" and node.group:
            names = {n for n in extras.openable if n.startswith(node.group + ".")}
            self._set(opened - names if names <= opened else opened | names, min(names))
            return True
        else:
            return False
        self._set(opened ^ names, node.group)
        return True

    @Slot(bool)
    def _on_graph_panel_open_all_requested(self, on):
        graph = self.window.graph_view.graph
        if graph is None or graph.network is None:
            return
        self._set(frozenset(graph.network.openable) if on else frozenset())

    def _set(self, opened, focus=""):
        """Open `opened`, unless that would draw more than the layout can finish in time."""
        model = self.window.run.model
        records = open_records(model, opened) if model is not None else 0
        if records > OPEN_LIMIT:
            self.window.graph_panel.open_all.setChecked(False)
            self.window.statusBar().showMessage(
                f"Not opened: about {records:,} records, too many to lay out in time (at most "
                f"{OPEN_LIMIT:,}, e.g. 128,128 whole). Open single neurons, or a smaller network.",
                15000,
            )
            return
        self.opened = frozenset(opened)
        self._focus = focus
        self._request()

    # ---- the picture shown ----

    def shown(self, graph):
        """A new picture is shown: the header's note and the Open all button follow it."""
        panel = self.window.graph_panel
        extras = graph.network
        panel.open_all.setVisible(extras is not None)
        if extras is None:
            return None
        if self._focus and graph.job.opened == self.opened:
            self._keep_in_view(graph, self._focus)
        everything = set(extras.openable) <= extras.opened
        panel.open_all.setChecked(everything)
        panel.open_all.setText("Close all" if everything else "Open all")
        # what to do first (the header is narrow: the end may be cut, the tooltip has all)
        scroll = "scroll for more · " if self.window.graph_view.scrolls_at_fit() else ""
        count = f"{len(extras.opened)}/{len(extras.openable)} open"
        note = f"click a neuron to open it · {scroll}K: legend · {count}"
        return note

    def _keep_in_view(self, graph, name):
        """Scroll the group just opened or closed into view (the zoom stays)."""
        self._focus = ""
        sids = [sid for sid, node in graph.node_ids.items() if node.group == name]
        self.window.graph_view.follow(sids, zoom=0.0)

    @Slot(tuple)
    def _on_boundary_plane_changed(self, plane):
        if self.window.graph_panel.mode.currentText() == "auto":
            self._request()  # the heatmaps cover the plane shown

    @Slot(str, int)
    def _on_boundary_sample_clicked(self, kind, index):
        self.user_traced = True  # (the window traces it)

    @Slot(str)
    def _on_graph_view_neuron_hovered(self, name):
        graph = self.window.graph_view.graph
        extras = graph.network if graph is not None else None
        if name and extras is not None and name in extras.outputs:
            self.window.boundary.show_overlay(extras.outputs[name], extras.bounds, name)
        else:
            self.window.boundary.show_overlay(None)

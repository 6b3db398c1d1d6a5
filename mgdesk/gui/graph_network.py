"""The network view in the window: what the graph worker adds to a picture of it.

`NetworkViews.view(sample, job)` runs in the graph thread: the network view of the traced
sample (viz.network: one box per neuron, the groups in `job.opened` opened in place), each
neuron's output over the plane as a small image for its box (viz.heat), and why nothing
flows back when the sample's loss is 0 (viz.trace.quiet_caption). All of it is immutable
once made, so it crosses to the GUI thread with the picture.
"""

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtGui import QImage

from mgdesk.viz.heat import heat_rgb, neuron_outputs
from mgdesk.viz.network import network_graph, network_groups
from mgdesk.viz.trace import quiet_caption

__all__ = ["NetworkExtras", "NetworkViews", "heat_image", "names_its_group", "network_extras"]


@dataclass(frozen=True)
class NetworkExtras:
    """What the window needs beside the SVG of a network view."""

    opened: frozenset  # the groups drawn open
    openable: tuple  # every group that opens (neurons, then "loss")
    quiet: str  # why every gradient is 0, or ""
    heat: dict = field(default_factory=dict)  # neuron name -> QImage of its output
    outputs: dict = field(default_factory=dict)  # neuron name -> its output grid (NumPy)
    bounds: tuple = ()  # the plane of those grids
    widest: int = 0  # neurons in the widest layer


def names_its_group(node):
    """Is `node` the record that stands for its whole group (an open neuron's output,
    `L1.N2 = tanh(Σ)`; an input `x1`)?"""
    return node.kind == "value" and bool(node.group) and node.label.split(" ")[0] == node.group


def heat_image(values):
    """A QImage of a neuron's output grid (row 0 at ymin, drawn at the bottom)."""
    rgb = np.ascontiguousarray(heat_rgb(values)[::-1])
    rows, cols, _ = rgb.shape
    return QImage(rgb.data, cols, rows, 3 * cols, QImage.Format.Format_RGB888).copy()


class NetworkViews:
    """Draws network views in one thread; the groups of the latest sample are kept (about
    1.5 s to make at 256,256), so opening a neuron does not make them again."""

    def __init__(self):
        self._sample = None
        self._groups = None

    def view(self, sample, job, cancelled=None):
        """(Graph, message, NetworkExtras) of `job`'s traced sample in the network view;
        raises TraceCancelled when `cancelled()` says so."""
        if sample is not self._sample:
            self._sample, self._groups = None, None
            self._groups = network_groups(sample.root, sample.model, cancelled, sample.topo)
            self._sample = sample
        graph, opened, _ = network_graph(sample.root, sample.model, job.opened, groups=self._groups)
        return graph, "", network_extras(job, opened, quiet_caption(job.loss, sample.root))


def network_extras(job, opened, quiet=""):
    """The NetworkExtras of `job` (its model dict, its plane) drawn with `opened` open."""
    outputs, heat = {}, {}
    if job.bounds:
        outputs = neuron_outputs(job.model, job.bounds, features=job.features)
        heat = {name: heat_image(values) for name, values in outputs.items()}
    sizes = job.model["nouts"]
    openable = tuple(f"L{i + 1}.N{j + 1}" for i, n in enumerate(sizes) for j in range(n))
    return NetworkExtras(
        frozenset(opened), (*openable, "loss"), quiet, heat, outputs, job.bounds, max(sizes)
    )

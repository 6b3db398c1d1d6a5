"""Each neuron's output over the input plane, as TensorFlow Playground draws it in its boxes.

    outputs = neuron_outputs(model.to_dict(), (-1.5, 1.5, -1.5, 1.5), 24)
    outputs["L1.N2"]        # (24, 24) array, row 0 at ymin, as the boundary's grid
    rgb = heat_rgb(outputs["L1.N2"])   # (24, 24, 3) uint8: orange below 0, blue above

The colours are the decision boundary's (orange for class -1, blue for +1), so a neuron that
"votes" like the output shows the same picture. Each neuron is scaled by its own largest
|output| (a ReLU's 0.01 and a tanh's 0.9 both show their shape); `heat_scale` says by what.
"""

import numpy as np

from mgdesk.engine import MLP
from mgdesk.engine.fast import FastMLP
from mgdesk.train.features import PLAIN, feature_matrix

__all__ = ["HEAT_CELLS", "heat_rgb", "heat_scale", "neuron_outputs"]

HEAT_CELLS = 24  # grid points a side: ~1 ms for 2-32-32-1, smooth once drawn
NEGATIVE = np.array((245, 147, 34), dtype=float)  # the boundary plot's class -1
POSITIVE = np.array((8, 119, 189), dtype=float)  # ... class +1
WHITE = np.array((250, 250, 250), dtype=float)


def neuron_outputs(model, bounds, cells=HEAT_CELLS, features=None):
    """{neuron name: (cells, cells) array of its output} over `bounds` (xmin, xmax, ymin,
    ymax), every layer's neurons, the output's too. Row 0 is at ymin. `features`: what the
    network sees of a point (train.features; default x1, x2, or x1 for a one-input
    regression network, whose neurons then vary along x only)."""
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    if not (np.isfinite([xmin, xmax, ymin, ymax]).all() and xmax > xmin and ymax > ymin):
        raise ValueError(f"bounds must be finite with xmax > xmin and ymax > ymin: {bounds}")
    model = MLP.from_dict(model) if isinstance(model, dict) else model
    xs, ys = np.linspace(xmin, xmax, cells), np.linspace(ymin, ymax, cells)
    points = np.column_stack((np.tile(xs, cells), np.repeat(ys, cells)))
    with np.errstate(all="ignore"):
        X = feature_matrix(features or PLAIN[: model.nin], points)
        layers = FastMLP(model).layer_outputs(X)[1:]
    return {
        f"L{i + 1}.N{j + 1}": A[:, j].reshape(cells, cells)
        for i, A in enumerate(layers)
        for j in range(A.shape[1])
    }


def heat_scale(values):
    """The |output| drawn at full colour: the largest finite one (at least 1e-9)."""
    finite = np.abs(values[np.isfinite(values)])
    return max(float(finite.max()), 1e-9) if finite.size else 1.0


def heat_rgb(values):
    """(rows, cols, 3) uint8 colours of `values` scaled by `heat_scale`: orange below 0, white
    at 0, blue above; a value that is not finite is grey."""
    t = np.clip(np.nan_to_num(values / heat_scale(values)), -1.0, 1.0)[..., None]
    rgb = np.where(t < 0, WHITE + (NEGATIVE - WHITE) * -t, WHITE + (POSITIVE - WHITE) * t)
    rgb[~np.isfinite(values)] = (160, 160, 160)
    return rgb.round().astype(np.uint8)

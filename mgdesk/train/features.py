"""Input features, as in TensorFlow Playground: what the network sees of a point (x1, x2).

    features(("x1", "x2", "x1^2"), points)   # an (n, 3) array: x1, x2, x1 squared

The network gets one input per chosen feature, named by it (the graph's input nodes are
"x1^2", "sin(x1)", ...). Training, the boundary grid, the fitted curve, the graph and the
exported script all map points through here, so a feature means the same number everywhere.
"""

import math

import numpy as np

__all__ = ["FEATURES", "FEATURE_NAMES", "feature_matrix", "feature_values", "parse_features"]

# name -> (its float form, its array form on the columns x1, x2)
FEATURES = {
    "x1": (lambda a, b: a, lambda a, b: a),
    "x2": (lambda a, b: b, lambda a, b: b),
    "x1^2": (lambda a, b: a * a, lambda a, b: a * a),
    "x2^2": (lambda a, b: b * b, lambda a, b: b * b),
    "x1*x2": (lambda a, b: a * b, lambda a, b: a * b),
    "sin(x1)": (lambda a, b: math.sin(a), lambda a, b: np.sin(a)),
    "sin(x2)": (lambda a, b: math.sin(b), lambda a, b: np.sin(b)),
}
FEATURE_NAMES = tuple(FEATURES)
PLAIN = ("x1", "x2")  # the points as they are: what a network sees by default


def feature_matrix(features, points):
    """The (n, len(features)) float64 array of `features` of (x1, x2) points (an (n, 2)
    array or a list of pairs). The points themselves (x1, x2) come back as they are."""
    P = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if tuple(features) == PLAIN:
        return P
    a, b = P[:, 0], P[:, 1]
    with np.errstate(all="ignore"):
        return np.column_stack([FEATURES[f][1](a, b) for f in features]).reshape(-1, len(features))


def feature_values(features, point):
    """The features of one point as floats (the inputs of the Value graph)."""
    a, b = float(point[0]), float(point[1])
    return [FEATURES[f][0](a, b) if math.isfinite(a) and math.isfinite(b) else math.nan
            for f in features]  # fmt: skip


def parse_features(text):
    """'x1,x2,x1^2' -> ("x1", "x2", "x1^2"); spaces and case are forgiven, and x1² or
    x1x2 or sin x1 read as the names here. ValueError naming the first unknown one."""
    names = []
    for part in str(text).split(","):
        name = part.strip().lower().replace(" ", "").replace("²", "^2").replace("·", "*")
        name = {"x1x2": "x1*x2", "sinx1": "sin(x1)", "sinx2": "sin(x2)"}.get(name, name)
        if name not in FEATURES:
            raise ValueError(
                f"unknown feature {part.strip()!r:.40}: use {', '.join(FEATURE_NAMES)}"
            )
        if name in names:
            raise ValueError(f"{name} is given twice")
        names.append(name)
    return tuple(names)

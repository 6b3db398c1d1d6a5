"""Points the learner draws: a Dataset edited a click at a time, with undo and redo.

No Qt here: the window's point editor (mgdesk.gui.point_editor) turns clicks into calls of
`PointEdits`, and tests drive it directly. Every state is a frozen `Dataset` named
"drawn", so a state is what the trainer, a session and the CSV export take as it is.

Rules a learner can predict: a new point goes to the training set unless it is marked as
a test point (the test split does not move drawn points); a point keeps its set when
others are added or removed; the first edit of generated or imported points starts from
them (that start is one undo step too, so nothing drawn before is lost).
"""

import csv
import io
import json
import math
from dataclasses import dataclass

from mgdesk.train.config import MAX_CLASSES, MAX_SAMPLES, MAX_WORK, ConfigError, count_weights
from mgdesk.train.data import Dataset

__all__ = [
    "DRAWN",
    "MAX_UNDO",
    "PointEdits",
    "class_label",
    "fit_labels",
    "from_json",
    "label_class",
    "points_csv",
    "to_json",
    "work_problem",
]

DRAWN = "drawn"  # the dataset name (TrainConfig.dataset) of drawn points
MAX_UNDO = 500  # undo steps kept


def label_class(label):
    """The class number (0, 1, ...) of a label: -1 is class 0 and +1 class 1 (two classes),
    a label 0..K-1 is its own class."""
    return 1 if label == 1 else 0 if label < 1 else int(label)


def class_label(number, indices=False):
    """The label a point of class `number` gets: -1/+1 for a one-score loss (hinge, mse,
    bce), the class number itself for ce (`indices`)."""
    if indices:
        return float(number)
    return 1.0 if number == 1 else -1.0


def fit_labels(data, config):
    """`data` with the labels `config`'s loss takes (0..K-1 for ce, else -1/+1; a
    regression's are its y), or ConfigError naming the setting that does not fit the
    points drawn (a curve is not classes, nor classes a curve)."""
    points, labels = data.x_train + data.x_test, data.y_train + data.y_test
    curve = all(x2 == 0 for _, x2 in points) and not all(float(y).is_integer() for y in labels)
    if config.task == "regression":
        if any(x2 != 0 for _, x2 in points):
            raise ConfigError(
                "task", "the drawn points are classes in the plane, not a curve: clear them "
                "(Edit points) to draw a curve",
            )  # fmt: skip
        return data
    if curve:
        raise ConfigError(
            "task", "the drawn points are a curve (y over x): use task regression, or clear "
            "them (Edit points) to draw classes",
        )  # fmt: skip
    numbers = [label_class(y) for y in labels]
    if numbers and max(numbers) >= config.classes:
        field = "classes" if max(numbers) < MAX_CLASSES else "loss"
        raise ConfigError(
            field,
            f"the drawn points have {max(numbers) + 1} classes: set classes to "
            f"{max(numbers) + 1} (with loss ce), or erase the points of the others",
        )
    indices = config.loss == "ce"

    def labels(ys):
        return tuple(class_label(label_class(y), indices) for y in ys)

    return Dataset(data.name, data.x_train, labels(data.y_train), data.x_test, labels(data.y_test))


def empty():
    return Dataset(DRAWN, (), (), (), ())


def with_points(data, points, label, test=False):
    """`data` with (x1, x2) `points` of `label` added to the training (or test) set."""
    points = tuple((float(a), float(b)) for a, b in points)
    labels = (float(label),) * len(points)
    if test:
        return Dataset(
            DRAWN, data.x_train, data.y_train, data.x_test + points, data.y_test + labels
        )
    return Dataset(DRAWN, data.x_train + points, data.y_train + labels, data.x_test, data.y_test)


def without(data, train=(), test=()):
    """`data` without the training points at indices `train` and the test points at `test`."""
    train, test = set(train), set(test)

    def keep(xs, ys, gone):
        kept = [i for i in range(len(xs)) if i not in gone]
        return tuple(xs[i] for i in kept), tuple(ys[i] for i in kept)

    return Dataset(
        DRAWN, *keep(data.x_train, data.y_train, train), *keep(data.x_test, data.y_test, test)
    )


def size(data):
    return len(data.x_train) + len(data.x_test)


@dataclass(frozen=True)
class _State:
    data: Dataset
    stroke: int  # the stroke (a press and its drag) that made it; 0: a single edit


class PointEdits:
    """The drawn points and their undo history. Each method returns the new Dataset (or
    None when nothing changed); edits of one stroke (a press, then a drag) undo together."""

    def __init__(self, data=None):
        self._states = [_State(data if data is not None else empty(), 0)]
        self._at = 0  # the state shown; states after it are the redo steps
        self._stroke = 0

    @property
    def data(self):
        return self._states[self._at].data

    @property
    def can_undo(self):
        return self._at > 0

    @property
    def can_redo(self):
        return self._at < len(self._states) - 1

    def new_stroke(self):
        """The edits from now until the next call undo as one step (a drag paints many)."""
        self._stroke += 1
        return self._stroke

    def _push(self, data, stroke=0):
        if data == self.data:
            return None
        del self._states[self._at + 1 :]
        if stroke and self._states[self._at].stroke == stroke and self._at > 0:
            self._states[self._at] = _State(data, stroke)  # the same stroke: one undo step
        else:
            self._states.append(_State(data, stroke))
            if len(self._states) > MAX_UNDO + 1:
                del self._states[0]
            self._at = len(self._states) - 1
        return data

    def start_from(self, data):
        """Edit from `data` (the points shown, generated or imported): one undo step."""
        drawn = Dataset(DRAWN, *(tuple(getattr(data, part)) for part in _PARTS))
        return self._push(drawn)

    def add(self, points, label, test=False, stroke=0):
        """Add points of `label`; None when that would pass MAX_SAMPLES points."""
        if size(self.data) + len(points) > MAX_SAMPLES:
            return None
        return self._push(with_points(self.data, points, label, test), stroke)

    def remove(self, train=(), test=(), stroke=0):
        return self._push(without(self.data, train, test), stroke)

    def clear(self):
        return self._push(empty())

    def undo(self):
        if not self.can_undo:
            return None
        self._at -= 1
        return self.data

    def redo(self):
        if not self.can_redo:
            return None
        self._at += 1
        return self.data


_PARTS = ("x_train", "y_train", "x_test", "y_test")


def points_csv(data):
    """The points as CSV text that `load_csv` reads back: a header x1,x2,label and a row per
    point, training points first; labels 0..K-1 (with two classes 0 is -1 and 1 is +1),
    or a drawn curve's y. The file has no column for the split: a comment says how many
    rows were test points."""
    out = io.StringIO()
    out.write(
        f"# {len(data.x_train)} training points, then {len(data.x_test)} test points "
        "(an import splits them again by its test split)\n"
    )
    classes = all(float(y).is_integer() for y in data.y_train + data.y_test)
    if not classes:  # a curve drawn: the label column holds y
        out.write("# a curve: label is y over x1 (CSV import reads classes; a session keeps it)\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("x1", "x2", "label"))
    for xs, ys in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        for (x1, x2), y in zip(xs, ys):
            label = label_class(y) if classes else repr(float(y))
            writer.writerow((repr(float(x1)), repr(float(x2)), label))
    return out.getvalue()


def work_problem(config, n_train, n_test):
    """Why `config`'s network cannot train on that many points ('' when it can): one step
    must stay short (see config.check_work). A batch size above the training points just
    means the full batch here, as in the trainer."""
    if config is None:
        return ""
    n = n_train + n_test
    seen = (min(config.batch_size, n_train) or n_train) + n_test
    work = seen * count_weights(config.layers)
    if work <= MAX_WORK:
        return ""
    return (
        f"No more points for this network: {count_weights(config.layers):,} weights x "
        f"{n:,} points is above the limit of a step ({MAX_WORK / 1e6:g} million "
        "multiply-adds); use smaller layers or a batch size"
    )


def to_json(data):
    """The points as JSON text (the window keeps the drawing between launches)."""
    return json.dumps({part: [list(v) if part[0] == "x" else v for v in getattr(data, part)]
                       for part in _PARTS})  # fmt: skip


def from_json(text):
    """The drawn points `to_json` wrote, or None when the text is not that (the settings
    file is the user's to edit or break)."""
    try:
        doc = json.loads(text)
        parts = [doc[part] for part in _PARTS]
        if not all(isinstance(p, list) for p in parts) or sum(map(len, parts[::2])) > MAX_SAMPLES:
            return None
        xs = [tuple((float(a), float(b)) for a, b in p) for p in parts[::2]]
        ys = [tuple(float(v) for v in p) for p in parts[1::2]]
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
        return None
    numbers = [v for x in xs for point in x for v in point] + [v for y in ys for v in y]
    if not all(math.isfinite(v) for v in numbers) or any(len(x) != len(y) for x, y in zip(xs, ys)):
        return None
    return Dataset(DRAWN, xs[0], ys[0], xs[1], ys[1])


def shown_points(data):
    """A regression's points as they are drawn: (x1, y), the input over its label."""
    return tuple((x[0], y) for x, y in zip(data.x_train + data.x_test, data.y_train + data.y_test))

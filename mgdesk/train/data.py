"""Toy 2-D datasets, seeded and reproducible, 1-D curves for regression, and CSV import.

Labels are what the loss compares against: -1/+1 for the one-score losses (hinge, mse,
bce), the class index 0..K-1 for the softmax cross-entropy (ce), which spiral, blobs and a
CSV can make with K up to 8 classes. A regression dataset (sine, abs, step, cubic) has
points (x, 0) and labels y = f(x) + noise, real numbers.
"""

import csv
import io
import math
import os
import random
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from mgdesk.train.config import MAX_SAMPLES, ConfigError

__all__ = ["CSVError", "Dataset", "load_csv", "make_dataset", "read_file"]

# 10,000 rows of x1,x2,label are well under 1 MB; comments and padding get room to spare.
MAX_CSV_BYTES = 16 * 1024 * 1024


def read_file(path, limit):
    """The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.

    OSError for anything else, with a one-line `strerror`: a folder, a device or a pipe
    (/dev/zero would never end), or a file above `limit` bytes. Never waits: a named pipe
    is refused without being opened for good (opening one blocks until a writer comes).
    """
    _check_regular(os.stat(path).st_mode)
    try:  # non-blocking: the path may have become a pipe since
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError:
        raise OSError(0, "it is a folder") from None
    with open(fd, "rb") as f:
        _check_regular(os.fstat(fd).st_mode)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise OSError(0, f"it is larger than {limit // (1024 * 1024)} MB")
    return data


def _check_regular(mode):
    if stat.S_ISDIR(mode):
        raise OSError(0, "it is a folder")
    if not stat.S_ISREG(mode):
        raise OSError(0, "it is a device, pipe or socket, not a file")


def file_name(path):
    """The name to show for `path`: its last part, or the whole path when that is empty
    (`/`, `..`)."""
    return Path(path).name or str(path)


@dataclass(frozen=True)
class Dataset:
    """Points as (x1, x2) tuples and labels -1.0/+1.0, split into train and test."""

    name: str
    x_train: tuple
    y_train: tuple
    x_test: tuple = ()
    y_test: tuple = ()


def linspace(start, stop, n):
    """n evenly spaced numbers from start to stop inclusive (numpy.linspace)."""
    if n == 1:
        return [float(start)]
    return [start + (stop - start) * i / (n - 1) for i in range(n)]


def _moons(n, rng):
    # scikit-learn's make_moons, which micrograd's demo uses: two interleaving half circles.
    n_out = n // 2
    outer = [(math.cos(t), math.sin(t), -1.0) for t in linspace(0, math.pi, n_out)]
    inner = [(1 - math.cos(t), 0.5 - math.sin(t), 1.0) for t in linspace(0, math.pi, n - n_out)]
    return outer + inner


def _circles(n, rng):
    # scikit-learn's make_circles(factor=0.5): a ring around a smaller ring.
    n_out = n // 2
    n_in = n - n_out
    outer = [
        (math.cos(2 * math.pi * i / n_out), math.sin(2 * math.pi * i / n_out), -1.0)
        for i in range(n_out)
    ]
    inner = [
        (0.5 * math.cos(2 * math.pi * i / n_in), 0.5 * math.sin(2 * math.pi * i / n_in), 1.0)
        for i in range(n_in)
    ]
    return outer + inner


def _xor(n, rng):
    # Uniform in the square; +1 where x1 and x2 have the same sign.
    points = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(n)]
    return [(a, b, 1.0 if a * b > 0 else -1.0) for a, b in points]


def _spiral(n, rng, classes=2):
    # K arms winding 1.5 turns around the origin, arm k rotated k/K of a turn (two arms:
    # the second half a turn). Labels: the arm, 0..K-1.
    rows = []
    for i in range(n):
        arm = i % classes
        t = (i // classes) / max(1, (n - 1) // classes)
        r, angle = 0.1 + 0.9 * t, 3 * math.pi * t + 2 * math.pi * arm / classes
        rows.append((r * math.cos(angle), r * math.sin(angle), float(arm)))
    return rows


def _blobs(n, rng, classes=2):
    # Round gaussian clouds (std 0.4): two centred at (-1, -1) and (1, 1); K > 2 evenly
    # around a circle of radius 1.5. Labels: the cloud, 0..K-1.
    rows = []
    for i in range(n):
        k = i % classes
        if classes == 2:
            cx = cy = 1.0 if k else -1.0
        else:
            cx, cy = (
                1.5 * math.cos(2 * math.pi * k / classes),
                1.5 * math.sin(2 * math.pi * k / classes),
            )
        rows.append((cx + rng.gauss(0, 0.4), cy + rng.gauss(0, 0.4), float(k)))
    return rows


def _curve(f):
    """A 1-D regression dataset: n points x evenly over [-2, 2], at (x, 0), labelled f(x)
    (the noise goes on the label only, see make_dataset)."""

    def make(n, rng):
        return [(x, 0.0, f(x)) for x in linspace(-2.0, 2.0, n)]

    return make


REGRESSION = {  # each y roughly within [-2, 2] over x in [-2, 2]
    "sine": _curve(lambda x: math.sin(2 * x)),
    "abs": _curve(lambda x: abs(x) - 1),
    "step": _curve(lambda x: 1.0 if x > 0 else -1.0),
    "cubic": _curve(lambda x: x**3 / 4 - x),
}


GENERATORS = {
    "moons": _moons,
    "circles": _circles,
    "xor": _xor,
    "spiral": _spiral,
    "blobs": _blobs,
}


def _split(name, rows, test_split, rng):
    rows = list(rows)
    rng.shuffle(rows)
    n_test = int(len(rows) * test_split)
    train, test = rows[: len(rows) - n_test], rows[len(rows) - n_test :]
    return Dataset(
        name,
        tuple((x1, x2) for x1, x2, _ in train),
        tuple(y for *_, y in train),
        tuple((x1, x2) for x1, x2, _ in test),
        tuple(y for *_, y in test),
    )


MULTI_CLASS = {"spiral", "blobs"}  # generators that make K classes, labelled 0..K-1


def _labels_for(loss, rows):
    """Class indices 0/1 -> -1/+1 for a one-score loss; -1/+1 -> 0/1 for ce."""
    if loss == "ce":
        return [(a, b, 0.0 if y == -1.0 else y) for a, b, y in rows]
    return [(a, b, -1.0 if y == 0.0 else y) for a, b, y in rows]


def make_dataset(config):
    """The dataset a TrainConfig describes; the same config always gives the same points."""
    rng = random.Random(config.seed)
    if config.dataset == "drawn":  # its points are not made from settings
        raise ConfigError(
            "dataset",
            "drawn points live in the window: save them in a session (train it with --load) "
            "or export them as CSV (--csv)",
        )
    if config.dataset == "csv":
        rows = _labels_for(config.loss, load_csv(config.csv_path, config.classes))
        config.check_work(len(rows))
        return _split(file_name(config.csv_path), rows, config.test_split, rng)
    if config.dataset in REGRESSION:
        rows = REGRESSION[config.dataset](config.samples, rng)
        if config.noise:
            rows = [(a, b, y + rng.gauss(0, config.noise)) for a, b, y in rows]
        return _split(config.dataset, rows, config.test_split, rng)
    make = GENERATORS[config.dataset]
    if config.dataset in MULTI_CLASS:
        rows = _labels_for(config.loss, make(config.samples, rng, config.classes))
    else:
        rows = _labels_for(config.loss, make(config.samples, rng))
    if config.noise:
        rows = [
            (a + rng.gauss(0, config.noise), b + rng.gauss(0, config.noise), y) for a, b, y in rows
        ]
    return _split(config.dataset, rows, config.test_split, rng)


class CSVError(ConfigError):
    """A CSV file that cannot be used; the message names the file, the line and the problem."""

    def __init__(self, path, line, problem):
        where = f"{file_name(path)} line {line}" if line else file_name(path)
        super().__init__("csv_path", f"{where}: {problem}")
        self.line = line


# A number as a spreadsheet writes one: 12, -0.5, .5, 1e-3 (and inf or nan, refused with
# their own message); not Python's extras such as 1_000, nor digits of other scripts.
NUMBER = re.compile(
    r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE
)
# A class label: a whole number, written as one (2 or 2.0; not 1e0 nor 2.0000000000000001).
LABEL = re.compile(r"[+-]?[0-9]+(\.0*)?")


def _number(text, what, path, line):
    try:
        if not NUMBER.fullmatch(text.strip()):
            raise ValueError
        value = float(text)
    except ValueError:
        raise CSVError(path, line, f"{what} {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise CSVError(path, line, f"{what} must be a finite number (got {text.strip()})")
    return value


def _parse_rows(path, lines, classes=2):
    rows, label_style, header_seen = [], None, False
    reader = csv.reader(lines)
    for fields in reader:
        index = reader.line_num
        fields = [f.strip() for f in fields]
        if not any(fields) or fields[0].startswith("#"):
            continue
        if len(fields) != 3:
            raise CSVError(path, index, f"expected 3 values x1,x2,label, found {len(fields)}")
        if not rows and not header_seen and not any(map(_is_number, fields)):
            header_seen = True  # an optional first line naming the columns (no number in it)
            continue
        x1 = _number(fields[0], "x1", path, index)
        x2 = _number(fields[1], "x2", path, index)
        label = _number(fields[2], "label", path, index)
        if not LABEL.fullmatch(fields[2]) or (classes > 2 and fields[2][0] in "+-"):
            kind = f"a class 0 to {classes - 1}" if classes > 2 else "0/1 or -1/1"
            raise CSVError(
                path, index, f"label must be {kind}, written as a whole number (got {fields[2]})"
            )
        if classes > 2:
            if not (label.is_integer() and 0 <= label < classes):
                raise CSVError(
                    path, index, f"label must be a class 0 to {classes - 1} (got {fields[2]})"
                )
            rows.append((x1, x2, label))
            if len(rows) > MAX_SAMPLES:
                raise CSVError(path, index, f"more than {MAX_SAMPLES:,} data rows")
            continue
        if label not in (0.0, 1.0, -1.0):
            raise CSVError(path, index, f"label must be 0/1 or -1/1 (got {fields[2]})")
        if label != 1.0:
            style = "0/1" if label == 0.0 else "-1/1"
            if label_style and style != label_style:
                raise CSVError(path, index, "labels mix 0 and -1: use either 0/1 or -1/1")
            label_style = style
        rows.append((x1, x2, 1.0 if label == 1.0 else -1.0))
        if len(rows) > MAX_SAMPLES:
            raise CSVError(path, index, f"more than {MAX_SAMPLES:,} data rows")
    if len(rows) < 2:
        raise CSVError(path, 0, f"needs at least 2 data rows x1,x2,label (found {len(rows)})")
    if len({label for *_, label in rows}) < 2:
        if classes > 2:
            raise CSVError(
                path,
                0,
                f"every label is {rows[0][2]:g}: a classifier needs rows of two classes or more",
            )
        only = "1" if rows[0][2] > 0 else label_style.split("/")[0]
        raise CSVError(path, 0, f"every label is {only}: a classifier needs rows of both classes")
    return rows


def _is_number(text):
    return NUMBER.fullmatch(text.strip()) is not None


def load_csv(path, classes=2):
    """Rows (x1, x2, label) from a CSV file; labels 0/1 or -1/1 become -1.0/+1.0, or with
    `classes` K above 2, labels are the classes 0..K-1 (as floats).

    The header line is optional, blank lines and lines starting with # are skipped.
    Raises CSVError (a ConfigError for field "csv_path") naming the line and the problem.
    """
    try:
        text = read_file(path, MAX_CSV_BYTES).decode("utf-8-sig")
        return _parse_rows(path, io.StringIO(text, newline=""), classes)
    except OSError as exc:
        raise CSVError(path, 0, f"cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CSVError(path, 0, "is not a text file (expected UTF-8 x1,x2,label rows)") from None
    except csv.Error as exc:
        raise CSVError(path, 0, f"is not valid CSV ({exc})") from None

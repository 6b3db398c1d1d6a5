"""The loss history of a run, kept compact: one array per StepStats field.

A million steps as StepStats objects (or JSON dicts) take about 1.5 GB and seconds to
build; as nine arrays of 8-byte numbers they take 72 MB. `History` still behaves like the
sequence of StepStats its users expect: `len`, `h[-1]`, iteration, slicing, `==`, `append`.
A missing test value (no test set) is stored as NaN, which no real value can be: a step
whose numbers stop being finite is never recorded.
"""

import base64
import math
import sys
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import fields

__all__ = ["COLUMNS", "History"]

# StepStats' fields, in order (trainer.py's dataclass; it is imported lazily, as it imports us)
COLUMNS = (
    "step", "train_loss", "train_acc", "test_loss", "test_acc", "grad_norm", "lr", "elapsed",
    "ms_per_step",
)  # fmt: skip
# None without a test set; an accuracy is also None where R squared is undefined
OPTIONAL = ("train_acc", "test_loss", "test_acc")
ENCODING = "zlib-base64-le8"  # each column: little-endian int64 (step) or float64, zlib, base64


def _stats_type():
    from mgdesk.train.trainer import StepStats

    if tuple(f.name for f in fields(StepStats)) != COLUMNS:
        raise RuntimeError("History.COLUMNS no longer matches StepStats")
    return StepStats


def _empty_columns():
    return {name: array("q" if name == "step" else "d") for name in COLUMNS}


class History(Sequence):
    """The StepStats of a run, column by column. `History(steps)` copies any iterable of
    StepStats (or another History, quickly)."""

    __slots__ = ("_columns",)

    def __init__(self, steps=()):
        if isinstance(steps, History):
            self._columns = {name: array(col.typecode, col) for name, col in steps._columns.items()}
            return
        self._columns = _empty_columns()
        self.extend(steps)

    def append(self, stats):
        columns = self._columns
        for name in COLUMNS:
            value = getattr(stats, name)
            columns[name].append(math.nan if value is None else value)

    def extend(self, steps):
        for stats in steps:
            self.append(stats)

    def column(self, name):
        """The values of one field as an array (NaN where a test value is missing)."""
        return self._columns[name]

    def __len__(self):
        return len(self._columns["step"])

    def _stats(self, values):
        kind = _stats_type()
        return kind(*(None if v != v else v for v in values))  # NaN -> None

    def __getitem__(self, index):
        if isinstance(index, slice):
            part = History()
            part._columns = {name: col[index] for name, col in self._columns.items()}
            return part
        row = [col[index] for col in self._columns.values()]  # IndexError as a list's
        return self._stats(row)

    def __iter__(self):
        kind = _stats_type()
        for row in zip(*self._columns.values(), strict=True):
            yield kind(*(None if v != v else v for v in row))

    def __eq__(self, other):
        if isinstance(other, History):  # bytes: NaN (a missing value) equals NaN here
            return all(
                col.tobytes() == other._columns[name].tobytes()
                for name, col in self._columns.items()
            )
        if isinstance(other, list | tuple):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        last = f", last step {self[-1].step}" if len(self) else ""
        return f"<History of {len(self):,} steps{last}>"

    # ---- the session file's form ----

    def to_json(self):
        """A JSON-ready dict: each column as compressed little-endian bytes in base64."""
        return {
            "encoding": ENCODING,
            "length": len(self),
            "columns": dict(self.encoded_columns()),
        }

    def encoded_columns(self):
        """(name, text) of each column as to_json() holds it, one at a time (a long history
        is written without holding every encoded column at once)."""
        for name, col in self._columns.items():
            if sys.byteorder == "big":
                col = array(col.typecode, col)
                col.byteswap()
            raw = col.tobytes()
            # Noisy floats (losses, timings) hardly compress and deflate is slow on them:
            # those are stored (level 0, still a zlib stream); the rest compressed.
            sample = raw[:65536]
            level = 1 if len(zlib.compress(sample, 1)) < 0.8 * len(sample) else 0
            yield name, base64.b64encode(zlib.compress(raw, level)).decode("ascii")

    @classmethod
    def from_json(cls, doc, max_steps):
        """Read `to_json()` output; ValueError (one line) when anything is off: the encoding,
        a missing column, a wrong length, a step outside 1..max_steps, a number not finite.
        Each column's text is dropped from `doc` once read, to keep the peak memory low."""
        if not isinstance(doc, dict) or doc.get("encoding") != ENCODING:
            raise ValueError(f'the history must be a list of steps or "encoding": "{ENCODING}"')
        length, columns = doc.get("length"), doc.get("columns")
        if isinstance(length, bool) or not isinstance(length, int) or not 0 <= length <= max_steps:
            raise ValueError(f"the history length must be a whole number from 0 to {max_steps:,}")
        if not isinstance(columns, dict) or set(columns) != set(COLUMNS):  # checked first
            raise ValueError(f"the history needs exactly the columns {', '.join(COLUMNS)}")
        history = cls()
        for name in COLUMNS:
            col = history._columns[name]
            col.frombytes(_decode(columns.pop(name), name, length * col.itemsize))
            if sys.byteorder == "big":
                col.byteswap()
            _check_column(name, col, max_steps)
        return history


def _decode(text, name, size):
    """The `size` bytes of one column, or ValueError (never more: a zip bomb stops here)."""
    try:
        packed = base64.b64decode(text, validate=True)
        unpacker = zlib.decompressobj()
        raw = unpacker.decompress(packed, size + 1)
    except (TypeError, ValueError, zlib.error):
        raise ValueError(f"history column {name} is not readable") from None
    if len(raw) != size or unpacker.unconsumed_tail or not unpacker.eof:
        raise ValueError(f"history column {name} does not hold the history's length")
    return raw


def _check_column(name, col, max_steps):
    if not col:
        return
    if name == "step":
        if min(col) < 1 or max(col) > max_steps:
            raise ValueError(f"the history's steps must be whole numbers from 1 to {max_steps:,}")
    elif name in OPTIONAL:
        if any(map(math.isinf, col)):
            raise ValueError(f"history column {name} must hold finite numbers")
    elif not all(map(math.isfinite, col)):
        raise ValueError(f"history column {name} must hold finite numbers")

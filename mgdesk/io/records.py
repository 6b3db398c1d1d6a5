"""The checked readers of what a file holds: a model's weights and one training step.

`MLP.from_dict` and `StepStats(**d)` rebuild what mgdesk made itself (the window passes
models between its threads as dicts): fast, and trusting. A file may hold anything, so the
session reader goes through these instead. Each raises ValueError with one line saying
what is wrong, and refuses before building anything big: a crafted file cannot ask for a
huge network.
"""

import math
from dataclasses import fields

from mgdesk.engine import MLP
from mgdesk.train import StepStats
from mgdesk.train.config import MAX_STEPS

__all__ = ["read_model", "read_step"]

# None without a test set; an accuracy is also None where R squared is undefined
OPTIONAL_STEP_FIELDS = ("train_acc", "test_loss", "test_acc")


def _is_number(x, kind):
    return isinstance(x, kind) and not isinstance(x, bool)


def read_model(d):
    """The MLP of a model dict from a file (as `MLP.to_dict()` writes it); ValueError when
    the sizes, the activations or the weights are not those of a network."""
    try:
        nin, nouts, weights = d["nin"], list(d["nouts"]), d["weights"]
        sizes = [nin] + nouts
        if not all(_is_number(n, int) for n in sizes):
            raise ValueError("the layer sizes must be whole numbers")
        # The sizes against the stored weights before building anything.
        if len(weights) != len(nouts) or any(
            len(rows) != nout or any(len(row) != nprev + 1 for row in rows)
            for rows, nprev, nout in zip(weights, sizes, nouts)
        ):
            raise ValueError("the weights do not match the layer sizes")
        for rows in weights:
            for row in rows:
                if not all(_is_number(v, int | float) for v in row):
                    raise ValueError("weights must be numbers")
                if not all(math.isfinite(float(v)) for v in row):  # OverflowError: huge int
                    raise ValueError("weights must be finite numbers")
        if not isinstance(d["activations"], list):
            raise ValueError("the activations must be a list of names, one per layer")
        return MLP.from_dict(d)  # the names are checked there
    except (KeyError, TypeError, IndexError, OverflowError) as exc:
        raise ValueError(f"not a model description: {exc!r:.80}") from None


def read_step(d):
    """The StepStats of a step dict from a file (as `StepStats.to_dict()` writes it);
    ValueError when a field is missing or not a finite number (the step: a whole number
    from 1 to MAX_STEPS)."""
    names = [f.name for f in fields(StepStats)]
    if not isinstance(d, dict) or set(d) != set(names):
        raise ValueError(f"a step needs exactly the fields {', '.join(names)}")
    values = {}
    for name in names:
        value = d[name]
        if value is None and name in OPTIONAL_STEP_FIELDS:
            values[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"step field {name} must be a number (got {value!r:.40})")
        if name == "step":
            if not isinstance(value, int) or not 1 <= value <= MAX_STEPS:
                raise ValueError(f"the step must be a whole number from 1 to {MAX_STEPS:,}")
            values[name] = value
            continue
        try:
            values[name] = float(value)
        except OverflowError:  # an int too big for a float
            values[name] = math.inf
        if not math.isfinite(values[name]):
            raise ValueError(f"step field {name} must be a finite number")
    return StepStats(**values)

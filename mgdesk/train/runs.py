"""What a run shows beside its curves, and the list of the last runs: no Qt, no threads.

- `dead_neurons(model, points)`: the hidden ReLU neurons that output 0 on every point. Such
  a neuron passes no gradient back (ReLU's slope is 0 there), so no training step can revive
  it: the number that explains why a ReLU run sometimes stalls.
- `run_figures(trainer)`: the numbers of the comparison table (losses, accuracies, steps to
  95% train accuracy, ms per step, dead ReLUs), for one run or each run of a comparison.
- `RunHistory`: the last 10 runs, each labelled by what changed from the run before, with
  the settings actually used (the learning rate at the end, which the window lets the
  learner change during a run), whether it diverged, and its curves as plain lists. Its
  `y_range` ignores diverged runs, so a loss that blew up to 1e30 never flattens the others.
"""

import math
from dataclasses import dataclass, field, fields, replace
from operator import mul

from mgdesk.engine import MLP
from mgdesk.engine.activations import ACTIVATION
from mgdesk.train.config import FIELD_LABELS, TrainConfig
from mgdesk.train.data import file_name
from mgdesk.train.features import PLAIN, feature_matrix, feature_values

__all__ = [
    "CURVES",
    "MAX_RUNS",
    "TARGET_ACCURACY",
    "Run",
    "RunFigures",
    "RunHistory",
    "changes_label",
    "dead_neurons",
    "dead_relus",
    "run_figures",
    "setting_text",
    "short_setting_text",
    "steps_to_accuracy",
]

TARGET_ACCURACY = 0.95
MAX_RUNS = 10  # runs the history keeps; the oldest goes first
MAX_POINTS = 20_000  # per curve of a kept run: a million steps are kept as every 50th
CURVES = ("train_loss", "test_loss", "train_acc", "test_acc", "lr")


# ---- dead ReLUs ----


def dead_neurons(model, points, features=None):
    """Labels (e.g. "L1.N3", layers and neurons counted from 1) of the hidden ReLU neurons
    whose output is 0 on every one of `points`: their input sum is never above 0, so ReLU
    passes no gradient back and no step can change their weights. `model` is an MLP or its
    `to_dict()`; without points nothing is called dead. The forward pass is the one
    `scores()` makes, so a neuron is dead exactly where the network's output ignores it."""
    model = MLP.from_dict(model) if isinstance(model, dict) else model
    if not points:
        return []
    features = features or PLAIN[: model.nin]  # the network's inputs for each point
    outputs = [feature_values(features, p) for p in points]
    dead = []
    for layer, act in zip(model.layers[:-1], model.activations):  # the output is not hidden
        neurons = [(n.b.data, [w.data for w in n.w]) for n in layer.neurons]
        sums = [[sum(map(mul, w, a), b) for b, w in neurons] for a in outputs]
        if act == "relu":
            alive = [any(z[j] > 0 for z in sums) for j in range(len(neurons))]
            dead += [n.name for n, ok in zip(layer.neurons, alive) if not ok]
        outputs = [list(map(ACTIVATION[act].function, z)) for z in sums]
    return dead


def dead_relus(model, points, features=None):
    """dead_neurons for the window: the same labels from a model's `to_dict()`, computed
    with NumPy on the dict's weights (no Value is built), so it takes milliseconds where
    dead_neurons takes seconds (64,64 on 1,000 points). Sums that BLAS rounds to exactly
    0 where Python's sum does not (or back) are the only possible difference."""
    import numpy as np

    if not len(points):
        return []
    nin = len(model["weights"][0][0]) - 1  # (each row: the weights, then the bias)
    A = feature_matrix(features or PLAIN[:nin], points)  # what the network sees of a point
    dead = []
    with np.errstate(all="ignore"):
        for i, (rows, act) in enumerate(zip(model["weights"][:-1], model["activations"])):
            M = np.asarray(rows, dtype=np.float64)
            Z = A @ M[:, :-1].T + M[:, -1]
            if act == "relu":
                dead += [f"L{i + 1}.N{j + 1}" for j in np.flatnonzero(~(Z > 0).any(axis=0))]
            A = ACTIVATION[act].numpy(np, Z)
    return dead


# ---- the table's figures ----


def steps_to_accuracy(history, target=TARGET_ACCURACY):
    """The first step whose train accuracy (as the step reports it and the curve shows it:
    the weights it started from, on its batch) is at least `target`; None if none was."""
    column = history.column("train_acc") if hasattr(history, "column") else None
    if column is not None:
        for i, acc in enumerate(column):
            if acc >= target:
                return history.column("step")[i]
        return None
    return next(
        (s.step for s in history if s.train_acc is not None and s.train_acc >= target), None
    )


def _mean_ms(history, first_step):
    part = history[first_step:]
    if not len(part):
        return None
    column = part.column("ms_per_step") if hasattr(part, "column") else None
    values = column if column is not None else [s.ms_per_step for s in part]
    return sum(values) / len(values)


@dataclass(frozen=True)
class RunFigures:
    """One run's row of the comparison table. Losses and accuracies are those of the current
    weights on the whole train and test sets (None without a test set, or when not finite);
    `dead` lists the dead hidden ReLUs (see dead_neurons)."""

    step: int  # updates done
    train_loss: float | None
    train_acc: float | None
    test_loss: float | None
    test_acc: float | None
    steps_to_95: int | None  # see steps_to_accuracy; None: not reached (yet)
    ms_per_step: float | None  # mean over the steps of this session; None before any
    dead: tuple = ()  # e.g. ("L1.N3", "L2.N7")
    diverged: bool = False

    def to_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)} | {"dead": list(self.dead)}


def _finite_or_none(value):
    return value if value is None or math.isfinite(value) else None


def run_figures(trainer, first_step=0):
    """The figures of a Trainer now: `first_step` is where this session began (the
    mean ms per step counts from there, as `mgdesk train` reports it)."""
    now = trainer.evaluate()
    diverged = trainer.failure is not None
    finite = all(math.isfinite(p.data) for p in trainer.model.parameters())
    return RunFigures(
        step=trainer.step,
        **{k: _finite_or_none(v) for k, v in now.items()},
        steps_to_95=steps_to_accuracy(trainer.history),
        ms_per_step=_mean_ms(trainer.history, first_step),
        dead=tuple(dead_neurons(trainer.model, trainer.data.x_train, trainer.features))
        if finite
        else (),
        diverged=diverged,
    )


# ---- labels: what a setting is, what changed ----

SHORT_NAMES = {"lr": "lr", "l2": "L2", "batch_size": "batch", "lr_decay": "decay"}
# Values that name themselves ("tanh", "mse"): the short label is the value alone.
SELF_NAMED = ("activation", "loss")


def _value_text(name, value):
    if name == "layers":
        return ",".join(map(str, value)) or "none"
    if name == "activation" and not isinstance(value, str):
        return ",".join(value)
    if name == "csv_path":
        return file_name(value) if value else "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def setting_text(name, value):
    """A setting as --vary names it: "activation=tanh", "layers=16,16", "lr=0.1"."""
    return f"{name}={_value_text(name, value)}"


def short_setting_text(name, value):
    """A setting as a plot legend shows it: "tanh", "16,16 layers", "lr 0.1"."""
    text = _value_text(name, value)
    if name in SELF_NAMED:
        return text
    if name == "layers":
        return "no hidden layer" if not value else f"{text} layers"
    return f"{SHORT_NAMES.get(name, FIELD_LABELS.get(name, name))} {text}"


def changed_settings(before, after):
    """[(name, value)] of the fields of TrainConfig `after` that differ from `before`
    (activations compared per layer, so "relu" equals ("relu", "relu") on two layers)."""
    changed = []
    for f in fields(TrainConfig):
        old, new = getattr(before, f.name), getattr(after, f.name)
        if f.name == "activation":
            old, new = before.layer_activations(), after.layer_activations()
        if old != new:
            changed.append((f.name, getattr(after, f.name)))
    return changed


def describe(config):
    """A run's settings in a few words, for the first run: "relu 16,16 layers, lr 1"."""
    return ", ".join(
        short_setting_text(name, getattr(config, name)) for name in ("activation", "layers", "lr")
    )


MANY_CHANGES = 3  # more changed settings than this: the label describes the run instead


def changes_label(before, after):
    """What changed from TrainConfig `before` to `after`, e.g. "activation=relu lr=0.1";
    "same settings" when nothing did, describe(after) when there is no `before`, and
    describe(after) with the dataset when more than MANY_CHANGES did (a legend line of
    ten settings would cover the plot)."""
    if before is None:
        return describe(after)
    changed = changed_settings(before, after)
    if len(changed) > MANY_CHANGES:  # another problem altogether (a session opened)
        return f"{describe(after)} on {after.dataset} ({len(changed)} settings changed)"
    return " ".join(setting_text(n, v) for n, v in changed) if changed else "same settings"


# ---- the run history ----


def _thin(history, limit):
    """The history's steps at an even stride, at most `limit` of them, the last one kept."""
    n = len(history)
    stride = max(1, math.ceil(n / limit))
    if stride == 1:
        return history
    picked = list(range(0, n, stride))
    if picked[-1] != n - 1:
        picked[-1] = n - 1
    return [history[i] for i in picked]


@dataclass(frozen=True)
class Run:
    """A finished run as the history lists it. `config` holds the settings actually used:
    its `lr` is the base learning rate at the end of the run. `curves` maps "step" and each
    name in CURVES to a plain list (None where there was no test set)."""

    label: str  # what changed from the run before, e.g. "activation=relu"
    config: TrainConfig
    diverged: bool
    curves: dict = field(default_factory=dict)
    visible: bool = True

    @property
    def steps(self):
        return self.curves.get("step", [])


class RunHistory:
    """The last `limit` runs, oldest first. Not thread-safe: owned by one thread (the
    window's), fed with plain data after each run."""

    def __init__(self, limit=MAX_RUNS):
        self.limit = limit
        self.runs = []
        self._last_config = None  # the settings of the run before, even once it is dropped

    def __len__(self):
        return len(self.runs)

    def __iter__(self):
        return iter(self.runs)

    def __getitem__(self, index):
        return self.runs[index]

    def add(self, config, history, diverged=False, lr=None, label=None):
        """Record a finished run and return its Run. `history`: its StepStats (a History or
        a list); `lr`: the base learning rate at the end when it was changed during the run
        (Trainer.lr); `label`: given by a comparison ("activation=tanh"), else what changed
        from the run before."""
        if lr is not None and lr != config.lr:
            config = config.replace(lr=lr)
        if label is None:
            label = changes_label(self._last_config, config)
        kept = _thin(history, MAX_POINTS)
        curves = {name: [getattr(s, name) for s in kept] for name in ("step", *CURVES)}
        run = Run(label, config, bool(diverged), curves)
        self.runs = [*self.runs, run][-self.limit :]
        self._last_config = config
        return run

    def set_visible(self, index, visible):
        self.runs[index] = replace(self.runs[index], visible=bool(visible))

    def clear(self):
        self.runs = []

    def y_range(self, curve="train_loss", log=False, extra=()):
        """(low, high) spanning `curve` of every visible run that did not diverge, plus the
        value lists in `extra` (e.g. the live run's); non-finite values are skipped and, on
        a log scale, values at or below 0. None when nothing is left to span. A range of one
        value is widened a little, so it can be drawn."""
        lists = [r.curves.get(curve, []) for r in self.runs if r.visible and not r.diverged]
        values = [
            v
            for values in [*lists, *extra]
            for v in values
            if v is not None and math.isfinite(v) and (v > 0 or not log)
        ]
        if not values:
            return None
        low, high = min(values), max(values)
        if low == high:
            pad = abs(low) * 0.05 or 1.0
            low, high = (low / 2, high * 2) if log else (low - pad, high + pad)
        return low, high

    @staticmethod
    def clipped(values, y_range):
        """`values` clamped into y_range (how a diverged run is drawn); None stays None."""
        if y_range is None:
            return list(values)
        low, high = y_range
        return [None if v is None else min(max(v, low), high) for v in values]

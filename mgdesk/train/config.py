"""Every training knob in one frozen dataclass, validated in one place.

Limits are large enough that nobody meets them by accident and small enough that nothing
hangs: a step must stay around a second or less, because training stops between steps.
"""

import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import NamedTuple

from mgdesk.engine import ACTIVATIONS
from mgdesk.train.features import FEATURE_NAMES, parse_features
from mgdesk.train.optim import OPTIMIZERS

__all__ = [
    "DATASETS",
    "FIELD_LABELS",
    "LR_DECAYS",
    "LOSS_NAMES",
    "MAX_HIDDEN_LAYERS",
    "MAX_LR",
    "MAX_NEURONS",
    "MAX_SAMPLES",
    "MAX_STEPS",
    "MAX_VALUE_WORK",
    "MAX_CLASSES",
    "MAX_WORK",
    "MULTI_CLASS_DATASETS",
    "REGRESSION_DATASETS",
    "TASKS",
    "ConfigError",
    "Range",
    "InspectConfig",
    "TrainConfig",
    "check_work",
    "parse_layers",
    "setting",
]

REGRESSION_DATASETS = ("sine", "abs", "step", "cubic")  # 1-D: y over x, for task regression
DATASETS = ("moons", "circles", "xor", "spiral", "blobs", *REGRESSION_DATASETS, "csv", "drawn")
TASKS = ("classification", "regression")
LOSS_NAMES = ("hinge", "mse", "bce", "ce")
MULTI_CLASS_DATASETS = ("spiral", "blobs", "csv", "drawn")  # those that make K > 2 classes
MAX_CLASSES = 8
LR_DECAYS = ("none", "linear")

MAX_HIDDEN_LAYERS = 8
MAX_NEURONS = 256  # per hidden layer
MAX_SAMPLES = 10_000
MAX_STEPS = 1_000_000
MAX_LR = 1e6
MAX_SEED = 2**32 - 1
# Multiply-adds of one step (samples seen x weights) on the NumPy fast path: 70 million
# (256,256 on 1,000 points is 67 million) is a few tens of ms a step, so stop is prompt.
MAX_WORK = 70_000_000
# The plain Value engine (--engine value) builds a node per operation. Its backward pass
# cannot stop midway: 150,000 multiply-adds keep a whole step near 0.5 s (backward ~0.3 s).
MAX_VALUE_WORK = 150_000


class ConfigError(ValueError):
    """A bad setting: `.field` names the TrainConfig field, `.message` says what is wrong,
    and `str(err)` is one line for people: "CSV file: pts.csv line 3: ..."."""

    def __init__(self, field, message):
        super().__init__(f"{FIELD_LABELS.get(field, field)}: {message}")
        self.field = field
        self.message = message


def _number_text(x):
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def _bounds_text(low, high, low_open, high_open):
    low, high = _number_text(low), _number_text(high)
    low_text = f"above {low}" if low_open else f"at least {low}"
    high_text = f"below {high}" if high_open else f"at most {high}"
    return f"{low_text} and {high_text}"


def _shown(value):
    """repr(value), shortened: a file may hold a 4,000-digit number."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."


def _check(field, value, low, high, integer=False, low_open=False, high_open=False):
    """Return `value` as an int/float inside the bounds, or raise ConfigError naming them."""
    kind = "a whole number" if integer else "a number"
    expected = f"must be {kind} {_bounds_text(low, high, low_open, high_open)}"
    ok_type = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_type):
        raise ConfigError(field, f"{expected} (got {_shown(value)})")
    # Compared as they are (a huge int does not fit a float); a float must also be finite.
    inside = (
        (isinstance(value, int) or math.isfinite(value))
        and (value > low if low_open else value >= low)
        and (value < high if high_open else value <= high)
    )
    if not inside:
        raise ConfigError(field, f"{expected} (got {_shown(value)})")
    return value if integer else float(value)


class Range(NamedTuple):
    """The numbers a setting accepts: low..high, each end in or out (open)."""

    low: float
    high: float
    integer: bool = False
    low_open: bool = False
    high_open: bool = False

    def check(self, name, value):
        """`value` as an int/float inside the range, or ConfigError(name) naming it."""
        return _check(name, value, *self)

    def text(self):
        """The range as --help writes it: "2-10000", "above 0, at most 1e6", "0 <= x < 1"."""
        low, high = _compact(self.low), _compact(self.high)
        if self.low_open:
            return f"above {low}, at most {high}"
        if self.high_open:
            return f"{low} <= x < {high}"
        return f"{low}-{high}"


def _compact(x):
    return str(x) if isinstance(x, int) else f"{x:g}".replace("e+0", "e").replace("e+", "e")


def setting(default, label, help, limits=None, choices=None):
    """A TrainConfig field and what people see of it, in its metadata: `label` names it in
    messages ("learning rate: must be ..."), `help` says what it does (--help, tooltips),
    `limits` (a Range) or `choices` (names) are what it accepts, checked once in
    __post_init__."""
    meta = {"label": label, "help": help, "limits": limits, "choices": choices}
    return field(default=default, metadata=meta)


def _check_layer_sizes(sizes):
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise ConfigError("layers", f"at most {MAX_HIDDEN_LAYERS} hidden layers (got {len(sizes)})")
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_NEURONS:
            raise ConfigError(
                "layers", f"each hidden layer needs 1 to {MAX_NEURONS} neurons (got {_shown(size)})"
            )
    return tuple(sizes)


def parse_layers(text):
    """'16, 16' or '16 16' -> (16, 16); '' -> () (no hidden layer).

    Raises ConfigError(field='layers'), also for an empty size such as the one in '1,,2'.
    """
    if not text.strip():
        return ()
    parts = text.split(",")
    sizes = []
    for i, part in enumerate(parts):
        if not part.strip():
            where = "between commas" if 0 < i < len(parts) - 1 else "at an end (a stray comma)"
            raise ConfigError(
                "layers", f"{text.strip()!r} has an empty size {where}: write sizes like 16,16"
            )
        for item in part.split():
            if not re.fullmatch(r"[+-]?\d+", item):
                raise ConfigError(
                    "layers",
                    f"{item!r} is not a whole number: write sizes like 16,16 (or nothing)",
                )
            sizes.append(int(item) if len(item) < 100 else 10**100)  # int() refuses 4,300 digits
    return _check_layer_sizes(sizes)


def _choice(field, value, allowed):
    if value not in allowed:
        raise ConfigError(field, f"must be one of {', '.join(allowed)} (got {_shown(value)})")
    return value


def count_weights(layers, outputs=1, inputs=2):
    sizes = [inputs, *layers, outputs]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def check_work(config, n_samples, engine="fast"):
    """Refuse settings whose single step would take seconds (stop works between steps).

    `engine="value"` (training through the plain Value graph) has a lower limit.
    """
    n_test = int(n_samples * config.test_split)
    n_train = n_samples - n_test
    if config.batch_size > n_train:
        raise ConfigError(
            "batch_size",
            f"must be at most {n_train}, the number of training samples "
            f"(0 = full batch; got {config.batch_size})",
        )
    seen = (config.batch_size or n_train) + n_test
    weights = count_weights(config.layers, config.outputs, len(config.input_features))
    work = seen * weights
    fast = engine != "value"
    limit = MAX_WORK if fast else MAX_VALUE_WORK
    if work > limit:
        engine_text = "" if fast else "plain Value engine's "
        advice = "smaller layers, fewer samples or a batch size"
        if not fast:
            advice = "the fast engine (the default), smaller layers or fewer samples"
        raise ConfigError(
            "layers" if fast else "engine",
            f"{weights:,} weights x {seen:,} samples per step is "
            f"{work / 1e6:.1f} million multiply-adds, above the {engine_text}limit of "
            f"{limit / 1e6:g} million: use {advice}",
        )


@dataclass(frozen=True)
class TrainConfig:
    """One training run. The defaults are micrograd's demo (moons, MLP(2, [16, 16, 1]))."""

    # One field per setting: its default, then what people see of it (see `setting`).
    dataset: str = setting(
        "moons", "dataset", "toy dataset; sine, abs, step and cubic are 1-D, for regression",
        choices=DATASETS,
    )  # fmt: skip  # csv: csv_path
    task: str = setting(
        "classification", "task", "classification (classes of points) or regression (fit y "
        "over x with mse; its accuracy figure is R squared)", choices=TASKS,
    )  # fmt: skip
    # a CSV brings its own count of points
    samples: int = setting(
        100, "samples", "points to generate", Range(2, MAX_SAMPLES, integer=True)
    )
    noise: float = setting(0.1, "noise", "gaussian jitter of the points", Range(0, 1))
    classes: int = setting(
        2, "classes", "classes of points for spiral, blobs and csv (labels 0..K-1); more than "
        "2 need --loss ce", Range(2, MAX_CLASSES, integer=True),
    )  # fmt: skip
    features: tuple = setting(
        (), "features", f"the network's inputs, from {','.join(FEATURE_NAMES)}; "
        "empty: x1,x2 (regression: x1)",
    )  # fmt: skip
    test_split: float = setting(
        0.2, "test split", "share held out for testing", Range(0, 1, high_open=True)
    )
    seed: int = setting(
        1337, "seed", "seeds data, initial weights and minibatches", Range(0, MAX_SEED, True)
    )
    layers: tuple = setting(
        (16, 16), "hidden layers", 'hidden layer sizes, e.g. "16,16"; "" for none'
    )
    # one name, or one per hidden layer; the output layer is linear
    activation: str | tuple = setting(
        "relu",
        "activation",
        f"{', '.join(ACTIVATIONS[:-1])} or {ACTIVATIONS[-1]}, or one per hidden layer",
        choices=ACTIVATIONS,
    )
    loss: str = setting(
        "hinge", "loss", "hinge (max-margin, as micrograd), mse, bce (on a sigmoid), or ce "
        "(softmax cross-entropy: one output per class)",
        choices=LOSS_NAMES,
    )  # fmt: skip
    l2: float = setting(0.0001, "L2", "L2 penalty alpha*sum(p*p) over all parameters", Range(0, 1))
    lr: float = setting(1.0, "learning rate", "learning rate", Range(0, MAX_LR, low_open=True))
    lr_decay: str = setting(
        "linear", "LR decay", "linear: lr*(1-0.9*k/steps), micrograd's schedule", choices=LR_DECAYS
    )
    optimizer: str = setting(
        "sgd", "optimizer", "sgd (with momentum) or adam (beta1 0.9, beta2 0.999, eps 1e-8), "
        "as torch.optim's", choices=OPTIMIZERS,
    )  # fmt: skip
    momentum: float = setting(
        0.0, "momentum", "SGD momentum (not used by adam)", Range(0, 1, high_open=True)
    )
    batch_size: int = setting(
        0, "batch size", "minibatch size, 0 = full batch (else a seeded random minibatch)",
        Range(0, MAX_SAMPLES, integer=True),
    )  # fmt: skip
    steps: int = setting(100, "steps", "updates to make", Range(1, MAX_STEPS, integer=True))
    decay_steps: int = setting(
        0, "decay steps", "the linear decay spans this many steps (0: all steps), then stays",
        Range(0, MAX_STEPS, integer=True),
    )  # fmt: skip
    csv_path: str | None = setting(None, "CSV file", 'x1,x2,label rows when dataset is "csv"')

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalise through the back door, once
        for f in fields(self):  # in field order: the first bad setting is the one reported
            name, meta = f.name, f.metadata
            if name in ("layers", "activation", "features"):  # their own rules
                set_(self, name, getattr(self, f"_{name}")())
            elif meta["choices"]:
                set_(self, name, _choice(name, getattr(self, name), meta["choices"]))
            elif meta["limits"]:
                set_(self, name, meta["limits"].check(name, getattr(self, name)))
        self._check_task()
        if self.classes > 2 and self.dataset in REGRESSION_DATASETS:
            raise ConfigError("classes", f"{self.dataset} is a regression dataset (no classes)")
        if self.classes > 2 and self.dataset not in MULTI_CLASS_DATASETS:
            raise ConfigError(
                "classes",
                f"{self.dataset} has 2 classes; more come with "
                f"{', '.join(MULTI_CLASS_DATASETS)} (got {self.classes})",
            )
        if self.classes > 2 and self.loss != "ce":
            raise ConfigError(
                "loss",
                f"{self.classes} classes need ce, the softmax cross-entropy (got {self.loss})",
            )
        if self.csv_path is not None and not isinstance(self.csv_path, str):
            raise ConfigError("csv_path", f"must be a file name (got {_shown(self.csv_path)})")
        if self.dataset == "csv":
            if not isinstance(self.csv_path, str) or not self.csv_path.strip():
                raise ConfigError("csv_path", "give the CSV file to train on (x1,x2,label rows)")
        else:
            self.check_work(self.samples)  # a CSV is checked once it is read

    def _layers(self):
        layers = self.layers
        if isinstance(layers, str):
            return parse_layers(layers)
        if not isinstance(layers, list | tuple):
            raise ConfigError("layers", f"must be a list of layer sizes (got {_shown(layers)})")
        return _check_layer_sizes(layers)

    def _features(self):
        features = self.features
        if isinstance(features, str):
            features = features.split(",") if features.strip() else ()
        if not isinstance(features, list | tuple):
            raise ConfigError("features", f"must be a list of names (got {_shown(features)})")
        try:
            return parse_features(",".join(map(str, features))) if features else ()
        except ValueError as exc:
            raise ConfigError("features", str(exc)) from None

    def _check_task(self):
        regression_data = self.dataset in REGRESSION_DATASETS
        if self.task == "regression":
            if not regression_data and self.dataset != "drawn":  # (drawn: a curve drawn)
                raise ConfigError(
                    "dataset",
                    f"regression fits {', '.join(REGRESSION_DATASETS)} or drawn points "
                    f"(got {self.dataset})",
                )
            if self.loss != "mse":
                raise ConfigError("loss", f"regression is fitted with mse (got {self.loss})")
            two_d = [f for f in self.features if "x2" in f]
            if two_d:
                raise ConfigError(
                    "features", f"regression data has x1 only, no x2 (got {', '.join(two_d)})"
                )
        elif regression_data:
            raise ConfigError(
                "task", f"{self.dataset} is a regression dataset (y over x): use task regression"
            )

    @property
    def input_features(self):
        """The network's inputs: the features chosen, or x1, x2 (regression: x1)."""
        if self.features:
            return self.features
        return ("x1",) if self.task == "regression" else ("x1", "x2")

    def _activation(self):
        act = self.activation  # names in any case, as features: GELU is gelu
        if isinstance(act, str):
            return _choice("activation", act.lower(), ACTIVATIONS)
        if not isinstance(act, list | tuple) or len(act) != len(self.layers):
            raise ConfigError(
                "activation",
                f"give one name, or one per hidden layer ({len(self.layers)}); got {_shown(act)}",
            )
        return tuple(
            _choice("activation", name.lower() if isinstance(name, str) else name, ACTIVATIONS)
            for name in act
        )

    def check_work(self, n_samples):
        """ConfigError when one training step on `n_samples` points would take seconds."""
        check_work(self, n_samples)

    @property
    def outputs(self):
        """The network's outputs: one score, or one per class for the ce loss."""
        return self.classes if self.loss == "ce" else 1

    def layer_activations(self):
        """One activation name per layer of the network, the linear output included."""
        hidden = self.activation
        if isinstance(hidden, str):
            hidden = [hidden] * len(self.layers)
        return [*hidden, "linear"]

    def replace(self, **changes):
        """A validated copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self):
        d = asdict(self)
        d["layers"] = list(self.layers)
        d["features"] = list(self.features)
        if isinstance(self.activation, tuple):
            d["activation"] = list(self.activation)
        return d

    @classmethod
    def from_dict(cls, d):
        """Build from `to_dict()` output (missing fields take defaults); ConfigError if bad."""
        if not isinstance(d, dict):
            raise ConfigError("config", f"must be a mapping of settings (got {type(d).__name__})")
        known = {f.name for f in fields(cls)}
        for key in d:
            if key not in known:
                raise ConfigError(str(key)[:40], "unknown setting")
        try:
            return cls(**d)
        except ConfigError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:  # anything a file may hold
            raise ConfigError("config", f"cannot be read ({exc})") from None


# What people call each setting: str(ConfigError) starts with this, never the field's name
# in the code (the CLI names the flag instead, a session file its key).
FIELD_LABELS = {f.name: f.metadata["label"] for f in fields(TrainConfig)}


@dataclass(frozen=True)
class InspectConfig(TrainConfig):
    """A TrainConfig for looking at a network without training it (`mgdesk gradcheck`,
    `mgdesk graph`): no step over the whole data is taken, so the training work limit
    (check_work) does not apply; such a command bounds its own cost."""

    def check_work(self, n_samples):
        pass

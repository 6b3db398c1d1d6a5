"""Every training knob in one frozen dataclass, validated in one place.

Limits are large enough that nobody meets them by accident and small enough that nothing
hangs: a step must stay around a second or less, because training stops between steps.
"""

import math
import re
from dataclasses import asdict, dataclass, fields, replace

from mgdesk.engine import ACTIVATIONS

__all__ = [
    "DATASETS",
    "FIELD_LABELS",
    "LOSS_NAMES",
    "MAX_HIDDEN_LAYERS",
    "MAX_LR",
    "MAX_NEURONS",
    "MAX_SAMPLES",
    "MAX_STEPS",
    "MAX_VALUE_WORK",
    "MAX_WORK",
    "ConfigError",
    "InspectConfig",
    "TrainConfig",
    "check_work",
    "parse_layers",
]

DATASETS = ("moons", "circles", "xor", "spiral", "blobs", "csv")
LOSS_NAMES = ("hinge", "mse", "bce")
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


# What people call each setting: str(ConfigError) starts with this, never the field's name
# in the code (the CLI names the flag instead, a session file its key).
FIELD_LABELS = {
    "csv_path": "CSV file",
    "test_split": "test split",
    "layers": "hidden layers",
    "l2": "L2",
    "lr": "learning rate",
    "lr_decay": "LR decay",
    "batch_size": "batch size",
    "decay_steps": "decay steps",
}


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


def count_weights(layers):
    sizes = [2, *layers, 1]
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
    work = seen * count_weights(config.layers)
    fast = engine != "value"
    limit = MAX_WORK if fast else MAX_VALUE_WORK
    if work > limit:
        engine_text = "" if fast else "plain Value engine's "
        advice = "smaller layers, fewer samples or a batch size"
        if not fast:
            advice = "the fast engine (the default), smaller layers or fewer samples"
        raise ConfigError(
            "layers" if fast else "engine",
            f"{count_weights(config.layers):,} weights x {seen:,} samples per step is "
            f"{work / 1e6:.1f} million multiply-adds, above the {engine_text}limit of "
            f"{limit / 1e6:g} million: use {advice}",
        )


@dataclass(frozen=True)
class TrainConfig:
    """One training run. The defaults are micrograd's demo (moons, MLP(2, [16, 16, 1]))."""

    dataset: str = "moons"  # moons, circles, xor, spiral, blobs, or csv (then csv_path)
    samples: int = 100  # points generated (a CSV brings its own count), 2 to 10,000
    noise: float = 0.1  # std of the gaussian jitter added to every point, 0 to 1
    test_split: float = 0.2  # share held out for testing, 0 (no test set) up to below 1
    seed: int = 1337  # seeds the data, the initial weights and the minibatches
    layers: tuple = (16, 16)  # hidden layer sizes; () is a linear model
    activation: str | tuple = "relu"  # one name, or one per hidden layer; output is linear
    loss: str = "hinge"  # hinge (max-margin, as micrograd), mse, or bce (on a sigmoid)
    l2: float = 1e-4  # alpha of alpha * sum(p*p) over all parameters, 0 to 1
    lr: float = 1.0  # learning rate, above 0 and at most 1e6
    lr_decay: str = "linear"  # linear: lr * (1 - 0.9 * k / steps), micrograd's schedule
    momentum: float = 0.0  # SGD momentum, 0 up to below 1
    batch_size: int = 0  # 0 = full batch, else a seeded random minibatch each step
    steps: int = 100  # total updates of the run, 1 to 1,000,000
    decay_steps: int = 0  # the linear decay spans this many steps (0: all `steps`), then stays
    csv_path: str | None = None  # the x1,x2,label file when dataset is "csv"

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalise through the back door, once
        set_(self, "dataset", _choice("dataset", self.dataset, DATASETS))
        set_(self, "samples", _check("samples", self.samples, 2, MAX_SAMPLES, integer=True))
        set_(self, "noise", _check("noise", self.noise, 0, 1))
        set_(self, "test_split", _check("test_split", self.test_split, 0, 1, high_open=True))
        set_(self, "seed", _check("seed", self.seed, 0, MAX_SEED, integer=True))
        set_(self, "layers", self._layers())
        set_(self, "activation", self._activation())
        set_(self, "loss", _choice("loss", self.loss, LOSS_NAMES))
        set_(self, "l2", _check("l2", self.l2, 0, 1))
        set_(self, "lr", _check("lr", self.lr, 0, MAX_LR, low_open=True))
        set_(self, "lr_decay", _choice("lr_decay", self.lr_decay, LR_DECAYS))
        set_(self, "momentum", _check("momentum", self.momentum, 0, 1, high_open=True))
        set_(
            self, "batch_size", _check("batch_size", self.batch_size, 0, MAX_SAMPLES, integer=True)
        )
        set_(self, "steps", _check("steps", self.steps, 1, MAX_STEPS, integer=True))
        set_(self, "decay_steps", _check("decay_steps", self.decay_steps, 0, MAX_STEPS, True))
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

    def _activation(self):
        act = self.activation
        if isinstance(act, str):
            return _choice("activation", act, ACTIVATIONS)
        if not isinstance(act, list | tuple) or len(act) != len(self.layers):
            raise ConfigError(
                "activation",
                f"give one name, or one per hidden layer ({len(self.layers)}); got {_shown(act)}",
            )
        return tuple(_choice("activation", name, ACTIVATIONS) for name in act)

    def check_work(self, n_samples):
        """ConfigError when one training step on `n_samples` points would take seconds."""
        check_work(self, n_samples)

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


@dataclass(frozen=True)
class InspectConfig(TrainConfig):
    """A TrainConfig for looking at a network without training it (`mgdesk gradcheck`,
    `mgdesk graph`): no step over the whole data is taken, so the training work limit
    (check_work) does not apply; such a command bounds its own cost."""

    def check_work(self, n_samples):
        pass

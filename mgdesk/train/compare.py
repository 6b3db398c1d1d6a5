"""Runs side by side: N variants of one TrainConfig, trained in lockstep from the same start.

    variants = make_variants(TrainConfig(layers=(16, 16)), parse_vary(["activation=tanh,relu"]))
    comparison = Comparison.start(variants)
    for tanh, relu in compare(comparison, stop):   # step k of each run, then step k + 1
        ...

What the runs share, so that only the varied settings explain a difference:
- the data: one Dataset object (the same split, the same points);
- the seed, hence the minibatch order (step k of every run with the same batch size draws the
  same samples) and the initial weights. A layer starts with the same weights in every run
  whose layers up to it have the same shapes (an activation, learning rate or loss change
  keeps all of them). A layer after one of another size sees other inputs, so sharing its
  weights would mean nothing; it gets the seed's weights.

Each variant is exactly the run `mgdesk train` makes with that setting: the same numbers,
bit for bit (tests/train/test_compare.py checks it through the command line).

Only the training settings can vary: the data settings (dataset, samples, noise, test split,
seed, CSV) are what the runs share, and the run length is the same for all (lockstep).
"""

import itertools
import math
from dataclasses import dataclass

from mgdesk.train.config import ConfigError, parse_layers
from mgdesk.train.data import make_dataset
from mgdesk.train.runs import setting_text, short_setting_text
from mgdesk.train.trainer import Trainer, new_model

__all__ = [
    "MAX_VARIANTS",
    "VARIABLE",
    "Comparison",
    "Variant",
    "compare",
    "initial_model",
    "make_variants",
    "parse_vary",
    "suggested_vary",
]

# The settings a comparison may vary, in the order a dialog should propose them.
VARIABLE = (
    "activation", "lr", "layers", "loss", "optimizer", "momentum", "batch_size", "l2", "lr_decay"
)  # fmt: skip
SHARED = ("dataset", "samples", "noise", "test_split", "seed", "csv_path", "steps", "decay_steps")
MAX_VARIANTS = 16
FLOATS = ("lr", "l2", "momentum")


@dataclass(frozen=True)
class Variant:
    """One run of a comparison: its settings and the names of what makes it differ."""

    config: object  # TrainConfig
    changes: tuple = ()  # ((field, value), ...): the varied settings, as given
    label: str = ""  # "activation=tanh" ("lr=0.1 activation=tanh" when two vary)
    short_label: str = ""  # "tanh" ("lr 0.1, tanh")

    @classmethod
    def of(cls, base, changes):
        """The variant of TrainConfig `base` with `changes` [(field, value)]; ConfigError
        (field "vary") naming the setting when the changed config is not valid."""
        changes = tuple(changes)
        label = " ".join(setting_text(n, v) for n, v in changes)
        try:
            config = base.replace(**dict(changes))
        except ConfigError as exc:
            raise ConfigError("vary", f"{label}: {exc}") from None
        short = ", ".join(short_setting_text(n, v) for n, v in changes)
        return cls(config, changes, label, short)


def _field(name):
    name = name.strip().lower().replace("-", "_")
    return {"learning_rate": "lr", "activations": "activation", "csv": "csv_path"}.get(name, name)


def _value(name, text):
    """One --vary value as the setting's type (checked later by TrainConfig)."""
    text = text.strip()
    if name in FLOATS:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ConfigError("vary", f"{name}={text}: {text!r} is not a number")
        return value
    if name == "batch_size":
        if not text.isdigit():
            raise ConfigError("vary", f"{name}={text}: {text!r} is not a whole number")
        return int(text)
    if name == "layers":  # sizes within one value are separated by spaces: "16 16"
        try:
            return () if text.lower() == "none" else parse_layers(text)
        except ConfigError as exc:
            raise ConfigError("vary", f"layers={text}: {exc.message}") from None
    if name == "activation":  # one name, or one per hidden layer: "relu tanh"
        names = tuple(text.split())
        return names[0] if len(names) == 1 else names
    return text


def parse_vary(texts):
    """["activation=tanh,relu", "lr=0.1,1"] -> [("activation", ["tanh", "relu"]),
    ("lr", [0.1, 1.0])]. ConfigError (field "vary", one line) for a text without "=", an
    unknown setting or one that cannot vary, a setting given twice, fewer than two values,
    a value given twice, a value that is not a number where one is needed."""
    varied = []
    for text in texts:
        name, sep, values = text.partition("=")
        if not sep or not name.strip():
            raise ConfigError("vary", f"write SETTING=VALUE,VALUE, e.g. activation=tanh,relu "
                              f"(got {text!r:.60})")  # fmt: skip
        field = _field(name)
        if field in SHARED:
            raise ConfigError(
                "vary",
                f"{name.strip()} cannot vary: the runs share their data, seed and length "
                f"(vary one of {', '.join(VARIABLE)})",
            )
        if field not in VARIABLE:
            raise ConfigError(
                "vary", f"unknown setting {name.strip()!r:.40}: vary one of {', '.join(VARIABLE)}"
            )
        if field in (f for f, _ in varied):
            raise ConfigError("vary", f"{field} is given twice: list all its values in one --vary")
        if any(not v.strip() for v in values.split(",")):
            raise ConfigError("vary", f"{text.strip()} has an empty value (a stray comma?)")
        parsed = [_value(field, v) for v in values.split(",")]
        if len(parsed) < 2:
            raise ConfigError(
                "vary", f"{text.strip()} has one value: give two or more, separated by commas"
            )
        for i, value in enumerate(parsed):
            if value in parsed[:i]:
                raise ConfigError("vary", f"{setting_text(field, value)} is given twice")
        varied.append((field, parsed))
    return varied


def suggested_vary(config):
    """What a Compare dialog proposes first for TrainConfig `config`: its activation against
    the other of tanh and relu, as parse_vary takes it ("activation=relu,tanh" for a ReLU
    network; a linear or mixed one is compared with tanh)."""
    current = config.activation
    if current not in ("tanh", "relu"):
        current = " ".join(current) if isinstance(current, tuple) else current
        return f"activation={current},tanh"
    other = "tanh" if current == "relu" else "relu"
    return f"activation={current},{other}"


def make_variants(base, varied):
    """The variants of TrainConfig `base`: every combination of the values in `varied`
    (parse_vary's result; `--vary lr=0.1,1 --vary activation=tanh,relu` gives 4), in order.
    ConfigError (field "vary") when a varied setting is also set in `base`'s own options is
    left to the caller; here: too many variants, or a combination that is not valid."""
    if not varied:
        raise ConfigError("vary", "name a setting to vary, e.g. --vary activation=tanh,relu")
    count = math.prod(len(values) for _, values in varied)
    if count > MAX_VARIANTS:
        raise ConfigError(
            "vary", f"{count} combinations: at most {MAX_VARIANTS} runs can be compared"
        )
    names = [name for name, _ in varied]
    combos = itertools.product(*(values for _, values in varied))
    variants = [Variant.of(base, zip(names, combo)) for combo in combos]
    if len({v.config.loss == "ce" for v in variants}) > 1:  # the runs share their points
        raise ConfigError(
            "vary", "ce takes class labels 0..K-1 and one output per class, the other losses "
            "labels -1/+1 and one score: compare ce with ce runs only",
        )  # fmt: skip
    return variants


def initial_model(config, base):
    """The network of `config` starting from MLP `base`'s weights: each layer whose shape,
    and the shape of every layer before it, is the same in both is copied; the rest are the
    seed's weights (new_model). From new_model of a config with the same seed this changes
    nothing (the seeded draws agree on such layers), so a comparison's runs stay exactly the
    ones `mgdesk train` makes."""
    model = new_model(config)
    for mine, theirs in zip(model.layers, base.layers):
        if len(mine.neurons) != len(theirs.neurons) or len(mine.neurons[0].w) != len(
            theirs.neurons[0].w
        ):
            break
        for a, b in zip(mine.parameters(), theirs.parameters(), strict=True):
            a.data = b.data
    return model


class Comparison:
    """The Trainers of a comparison's variants, stepped together. `trainers[i]` belongs to
    `variants[i]`; each may be read between steps like a single run's Trainer (its history,
    model, failure, evaluate()), and its `lr` set from another thread."""

    def __init__(self, variants, trainers):
        if len(variants) != len(trainers) or not variants:
            raise ValueError("a comparison needs one trainer per variant, and a variant")
        self.variants = tuple(variants)
        self.trainers = tuple(trainers)

    @classmethod
    def start(cls, variants, data=None, model=None, engine="fast"):
        """New runs of `variants` on one Dataset (`data`, default: made from the first
        variant's settings) from the weights of MLP `model` (default: the first variant's
        seeded initial weights; see initial_model). ConfigError when a variant's step would
        be too much work on these points."""
        first = variants[0].config
        data = data if data is not None else make_dataset(first)
        base = model if model is not None else new_model(first)
        trainers = []
        for variant in variants:
            try:
                variant.config.check_work(len(data.x_train) + len(data.x_test))
            except ConfigError as exc:
                raise ConfigError("vary", f"{variant.label}: {exc}") from None
            model = initial_model(variant.config, base)
            trainers.append(Trainer(variant.config, model, data=data, engine=engine))
        return cls(variants, trainers)

    @classmethod
    def resume(cls, runs, labels, short_labels=None, engine="fast"):
        """Continue saved runs (each with .config, .model, .history, .velocity, .data, as a
        loaded Session has; one Dataset for all) where they stopped."""
        short_labels = labels if short_labels is None else short_labels
        variants = [
            Variant(run.config, (), label, short)
            for run, label, short in zip(runs, labels, short_labels, strict=True)
        ]
        data = runs[0].data if runs[0].data is not None else make_dataset(runs[0].config)
        trainers = [
            Trainer(r.config, r.model, data, r.history, engine=engine, velocity=r.velocity or None)
            for r in runs
        ]
        return cls(variants, trainers)

    @property
    def labels(self):
        return [v.label for v in self.variants]

    def running(self, trainer, steps=None):
        """Has `trainer` steps left to take (not at `steps`, default its step count, and
        not failed)?"""
        steps = trainer.config.steps if steps is None else steps
        return trainer.failure is None and trainer.step < steps

    def step_once(self, steps=None):
        """Step k + 1 of every run still going: a tuple with the StepStats of each run, None
        for a run that has finished or just failed (its Trainer.failure says why). `steps`:
        the step limit (default: each run's step count)."""
        return tuple(t.step_once() if self.running(t, steps) else None for t in self.trainers)

    def is_done(self, steps=None):
        return not any(self.running(t, steps) for t in self.trainers)

    @property
    def done(self):
        return self.is_done()


def compare(comparison, stop=None, steps=None):
    """Yield step_once() until every run is done: step k of each run, then step k + 1.

    Checks `stop` (a threading.Event) before each lockstep step, as `train()` does. A run
    that diverges stops (None in its place from then on) while the others go on. `steps`
    is the step limit (default: the runs' step count; the window raises it without
    changing the runs' settings, as a single run's Train does, so a decaying learning
    rate keeps its schedule)."""
    while not comparison.is_done(steps):
        if stop is not None and stop.is_set():
            return
        yield comparison.step_once(steps)

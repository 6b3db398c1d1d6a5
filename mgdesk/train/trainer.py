"""The training loop: a Trainer that takes one step at a time, and a stoppable generator.

Nothing here knows about threads or windows. The GUI's worker, the CLI and the tests all
iterate `train(config, stop)` and read the immutable `StepStats` it yields.
"""

import math
import random
import time
from dataclasses import asdict, dataclass, fields
from operator import mul

from mgdesk.engine import MLP, FastMLP, Value
from mgdesk.train.config import MAX_STEPS, check_work
from mgdesk.train.data import linspace, make_dataset
from mgdesk.train.history import History
from mgdesk.train.losses import LOSSES, accuracy, l2_penalty
from mgdesk.train.optim import SGD, scheduled_lr

__all__ = [
    "ENGINES",
    "StepStats",
    "Trainer",
    "TrainingFailure",
    "decision_grid",
    "decision_grid_bands",
    "new_model",
    "sample_loss",
    "scores",
    "train",
]

ENGINES = ("fast", "value")


@dataclass(frozen=True)
class StepStats:
    """What one step measured. Losses include the L2 term; test values are None without
    a test set. The losses and accuracies are those of the weights the step started from
    (as micrograd's demo prints them); `lr` is the rate the update used."""

    step: int  # updates done so far, counted from 1
    train_loss: float
    train_acc: float
    test_loss: float | None
    test_acc: float | None
    grad_norm: float  # length of the whole gradient vector
    lr: float
    elapsed: float  # seconds of training so far
    ms_per_step: float  # how long this step took

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        """Rebuild from `to_dict()`; ValueError when a field is missing or not a finite number
        (the step: a whole number from 1 to MAX_STEPS)."""
        names = [f.name for f in fields(cls)]
        if not isinstance(d, dict) or set(d) != set(names):
            raise ValueError(f"a step needs exactly the fields {', '.join(names)}")
        values = {}
        for name in names:
            value = d[name]
            if value is None and name in ("test_loss", "test_acc"):
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
        return cls(**values)


@dataclass(frozen=True)
class TrainingFailure:
    """Why a run ended early, and what the learner can do about it."""

    reason: str  # e.g. "loss became inf at step 3"
    hint: str  # e.g. "the learning rate is too high: lower it and start again"


def new_model(config):
    """The network a config describes, with the config's seeded initial weights."""
    return MLP(2, [*config.layers, 1], activation=config.activation, seed=config.seed)


def _finite(*numbers):
    return all(n is None or math.isfinite(n) for n in numbers)


class Trainer:
    """Owns the model, the data and the optimizer state; `step_once()` takes one step.

    `lr` is the base learning rate and may be set from another thread between steps.
    `engine="value"` trains through the plain Value graph (the reference) instead of the
    fast batch path; both give the same numbers, but the plain graph is ~25x slower, so it
    has a lower work limit (ConfigError for field "engine"). `velocity` continues a saved
    run's momentum (one number per parameter).
    """

    def __init__(self, config, model=None, data=None, history=(), engine="fast", velocity=None):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
        self.config = config
        self.data = data if data is not None else make_dataset(config)
        if engine == "value":
            check_work(config, len(self.data.x_train) + len(self.data.x_test), engine)
        self.model = model if model is not None else new_model(config)
        if self.model.nin != 2 or self.model.nouts[-1] != 1:
            raise ValueError("the model must take 2 inputs and give 1 score")
        self.history = History(history)  # compact: columns, not a StepStats per step
        self.step = self.history[-1].step if self.history else 0
        self._start_step = self.step
        self.lr = config.lr
        self.failure = None
        self.engine = engine
        self.loss = LOSSES[config.loss]
        self._params = self.model.parameters()
        self._fast = FastMLP(self.model)
        self._optimizer = SGD(self._params, config.momentum, velocity)
        self._elapsed = self.history[-1].elapsed if self.history else 0.0

    def _batch(self, k):
        """Step k's samples: all of them, or a minibatch seeded by (seed, k)."""
        X, Y = self.data.x_train, self.data.y_train
        size = self.config.batch_size
        if not size or size >= len(X):
            return X, Y
        picked = random.Random(f"{self.config.seed}:{k}").sample(range(len(X)), size)
        return [X[i] for i in picked], [Y[i] for i in picked]

    def _forward_backward(self, X, Y):
        """Mean loss + L2 over (X, Y), gradients into p.grad. Returns (loss, scores)."""
        l2 = self.config.l2
        if self.engine == "value":  # micrograd's way: one graph for the whole batch
            outs = [self.model(x) for x in X]
            total = self.loss.mean(outs, Y)
            if l2:
                total = total + l2 * sum(p * p for p in self._params)
            total.backward()
            return total.data, [s.data for s in outs]
        loss, outputs = self._fast.loss_and_backward(X, self.loss.loss_grad(Y))
        if l2:
            loss += l2_penalty(l2, self._params)
            for p in self._params:
                p.grad += 2 * l2 * p.data
        return loss, outputs[0]

    def measure(self, X, Y):
        """(loss incl. L2, accuracy) of the current weights on X, Y; (None, None) if empty."""
        if not X:
            return None, None
        s = self.predict(X)
        loss = sum(self.loss.point(si, y)[0] for si, y in zip(s, Y)) / len(X)
        return loss + l2_penalty(self.config.l2, self._params), accuracy(s, Y)

    def evaluate(self):
        """Loss and accuracy of the current weights on the full train and test sets."""
        train_loss, train_acc = self.measure(self.data.x_train, self.data.y_train)
        test_loss, test_acc = self.measure(self.data.x_test, self.data.y_test)
        return {
            "train_loss": train_loss,
            "train_acc": train_acc,
            "test_loss": test_loss,
            "test_acc": test_acc,
        }

    def step_once(self):
        """One forward, backward and update. Returns StepStats, or None and sets `failure`
        when the loss or the gradient stops being a finite number."""
        if self.failure is not None:
            return None
        start = time.perf_counter()
        X, Y = self._batch(self.step)
        self.model.zero_grad()
        loss, s = self._forward_backward(X, Y)
        grad_norm = math.sqrt(sum(p.grad * p.grad for p in self._params))
        test_loss, test_acc = self.measure(self.data.x_test, self.data.y_test)
        for what, value in (("loss", loss), ("gradient", grad_norm), ("test loss", test_loss)):
            if not _finite(value):
                self._fail(f"{what} became {value} at step {self.step + 1}")
                return None
        config = self.config
        lr = scheduled_lr(self.lr, config.lr_decay, self.step, config.decay_steps or config.steps)
        self._optimizer.step(lr)
        self.step += 1
        seconds = time.perf_counter() - start
        self._elapsed += seconds
        stats = StepStats(
            self.step, loss, accuracy(s, Y), test_loss, test_acc, grad_norm, lr,
            self._elapsed, seconds * 1000,
        )  # fmt: skip
        self.history.append(stats)
        return stats

    def _fail(self, reason):
        knob = "the learning rate" + (" or the momentum" if self.config.momentum else "")
        hint = f"{knob} is too high: lower it and start again"
        if self.step == self._start_step:  # no update yet, so the learning rate played no part
            points = self.data.x_train + self.data.x_test
            largest = max((abs(v) for point in points for v in point), default=0.0)
            hint = (
                f"the numbers overflow before any update (the data go up to {largest:.3g}): "
                "scale the data, e.g. to between -10 and 10"
                + (", or start from new weights" if self._start_step else "")
            )
        self.failure = TrainingFailure(reason, hint)

    @property
    def velocity(self):
        """The optimizer's momentum state, one number per parameter (saved with a session)."""
        return list(self._optimizer.velocity)

    def predict(self, points):
        """The network's scores for (x1, x2) points (positive means class +1)."""
        return scores(self.model, points)


def _run(trainer, steps, stop):
    while trainer.step < steps:
        if stop is not None and stop.is_set():
            break
        stats = trainer.step_once()
        if stats is None:
            break
        yield stats
    return trainer.failure


def train(config, stop=None, trainer=None):
    """Yield a StepStats per step until `config.steps` steps are done in total.

    Checks `stop` (a threading.Event) before every step, so setting it ends the run
    within one step. A loss or gradient that overflows ends the run quietly: look at
    `trainer.failure` (a TrainingFailure). Bad settings raise ConfigError here, at once.
    """
    trainer = trainer if trainer is not None else Trainer(config)
    return _run(trainer, (config or trainer.config).steps, stop)


def scores(model, points):
    """Forward pass for inference, one point at a time: faster than the batch path when
    no gradient is needed (each neuron is one C-level sum, b + w1*a1 + w2*a2 + ...)."""
    layers = [
        ([(n.b.data, [w.data for w in n.w]) for n in layer.neurons], act)
        for layer, act in zip(model.layers, model.activations, strict=True)
    ]
    out = []
    for a in points:
        for neurons, act in layers:
            if act == "relu":
                a = [z if (z := sum(map(mul, w, a), b)) > 0 else 0.0 for b, w in neurons]
            elif act == "tanh":
                a = [math.tanh(sum(map(mul, w, a), b)) for b, w in neurons]
            else:
                a = [sum(map(mul, w, a), b) for b, w in neurons]
        out.append(a[0])
    return out


def _as_model(model):
    return MLP.from_dict(model) if isinstance(model, dict) else model


def sample_loss(model, x, y, loss="hinge"):
    """The plain-Value loss of one sample (no L2), the graph the graph view draws.

    Inputs are labelled "x1", "x2", the target "y", the network output "score" and the
    root "loss". `model` is an MLP or its `to_dict()`; `loss` a name from LOSSES.
    """
    model = _as_model(model)
    x1, x2, target = Value(x[0], label="x1"), Value(x[1], label="x2"), Value(y, label="y")
    score = model([x1, x2])
    score.label = "score"
    out = LOSSES[loss].value(score, target)
    out.label = "loss"
    return out


def decision_grid_bands(model_or_dict, bounds, resolution, band=8, pause=None):
    """`decision_grid`, `band` rows at a time: yields each band's scores as one flat list.
    `pause()`, when given, is called before each band (the window's worker waits there so
    the GUI thread can paint)."""
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    if not (_finite(xmin, xmax, ymin, ymax) and xmax > xmin and ymax > ymin):
        raise ValueError(f"bounds must be finite with xmax > xmin and ymax > ymin: {bounds}")
    if not isinstance(resolution, int) or not 2 <= resolution <= 1000:
        raise ValueError(f"resolution must be a whole number from 2 to 1000 (got {resolution})")
    n = resolution
    xs, ys = linspace(xmin, xmax, n), linspace(ymin, ymax, n)
    model = _as_model(model_or_dict)
    for start in range(0, n, band):
        if pause is not None:
            pause()
        yield scores(model, [(x, y) for y in ys[start : start + band] for x in xs])


def decision_grid(model_or_dict, bounds=(-2.0, 3.0, -1.5, 2.0), resolution=60):
    """Scores over a resolution x resolution grid spanning bounds (xmin, xmax, ymin, ymax),
    corners included. Row i is y = ymin + i * step, so row 0 is the bottom."""
    n = resolution
    flat = [v for band in decision_grid_bands(model_or_dict, bounds, n) for v in band]
    return [flat[i * n : (i + 1) * n] for i in range(n)]

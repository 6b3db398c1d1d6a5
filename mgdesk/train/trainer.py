"""The training loop: a Trainer that takes one step at a time, and a stoppable generator.

Nothing here knows about threads or windows. The GUI's worker, the CLI and the tests all
iterate `train(config, stop)` and read the immutable `StepStats` it yields.
"""

import gc
import math
import random
import time
from dataclasses import asdict, dataclass

import numpy as np

from mgdesk.engine import MLP, FastMLP, Value
from mgdesk.train.config import check_work
from mgdesk.train.data import linspace, make_dataset
from mgdesk.train.features import PLAIN, feature_matrix, feature_values
from mgdesk.train.history import History
from mgdesk.train.losses import LOSSES, accuracy, r_squared
from mgdesk.train.optim import make_optimizer, scheduled_lr

__all__ = [
    "ENGINES",
    "StepStats",
    "Trainer",
    "TrainingFailure",
    "class_grid",
    "class_grid_bands",
    "decision_grid",
    "decision_grid_bands",
    "fitted_curve",
    "neuron_grids",
    "new_model",
    "output_grid_bands",
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
    train_acc: float | None  # None: R squared of targets that do not vary (undefined)
    test_loss: float | None
    test_acc: float | None
    grad_norm: float  # length of the whole gradient vector
    lr: float
    elapsed: float  # seconds of training so far
    ms_per_step: float  # how long this step took

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class TrainingFailure:
    """Why a run ended early, and what the learner can do about it."""

    reason: str  # e.g. "loss became inf at step 3"
    hint: str  # e.g. "the learning rate is too high: lower it and start again"


def new_model(config):
    """The network a config describes, with the config's seeded initial weights."""
    nin = len(config.input_features)
    return MLP(
        nin, [*config.layers, config.outputs], activation=config.activation, seed=config.seed
    )


def _finite(*numbers):
    return all(n is None or math.isfinite(n) for n in numbers)


class Trainer:
    """Owns the model, the data and the optimizer state; `step_once()` takes one step.

    `lr` is the base learning rate and may be set from another thread between steps.
    `engine="value"` trains through the plain Value graph (the reference) instead of the
    fast batch path; both give the same numbers to rounding, but the plain graph is much
    slower, so it has a lower work limit (ConfigError for field "engine"). `velocity`
    continues a saved run's momentum (one number per parameter).

    While training, the weights live in the fast path's arrays (`FastMLP.theta`): copying
    tens of thousands of `Value`s in and out on every step would cost more than the step.
    `model` copies them into the MLP's `Value`s when it is read (weights, and the last
    step's gradients in `grad`), and the next step copies back whatever the reader changed.
    So `trainer.model` is up to date whenever it is read between steps (in the thread that
    trains); to change weights, read it again after a step. A reference to the MLP kept
    from earlier is brought up to date when a `run()` ends.
    """

    def __init__(self, config, model=None, data=None, history=(), engine="fast", velocity=None):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
        self.config = config
        self.data = data if data is not None else make_dataset(config)
        if engine == "value":
            check_work(config, len(self.data.x_train) + len(self.data.x_test), engine)
        model = model if model is not None else new_model(config)
        self.features = config.input_features  # what the network sees of a point
        if model.nin != len(self.features) or model.nouts[-1] != config.outputs:
            raise ValueError(
                f"the model must take {len(self.features)} inputs and give {config.outputs} scores"
            )
        self.history = History(history)  # compact: columns, not a StepStats per step
        self.step = self.history[-1].step if self.history else 0
        self._start_step = self.step
        self.lr = config.lr
        self.failure = None
        self.engine = engine
        self.loss = LOSSES[config.loss]
        # regression: R squared stands where the accuracy would (1 is a perfect fit)
        self._accuracy = r_squared if config.task == "regression" else accuracy
        self._model = model
        self._fast = FastMLP(model)  # holds the weights while training
        fast = self._fast
        self._optimizer = make_optimizer(
            config.optimizer, fast.theta, fast.grad, config.momentum, velocity
        )
        self._values_stale = False  # the arrays changed since they were copied into the Values
        self._values_shared = False  # `model` was handed out: its Values may have been changed
        self._use_data(self.data)
        self._elapsed = self.history[-1].elapsed if self.history else 0.0
        self._stop = None  # the stop event of the run() in progress

    def _inputs(self, points):
        """The network's inputs for (x1, x2) points: their features, (n, features)."""
        return feature_matrix(self.features, points)

    def _use_data(self, data):
        self.data = data
        self._x_train, self._y_train = self._inputs(data.x_train), np.array(data.y_train)
        self._x_test, self._y_test = self._inputs(data.x_test), np.array(data.y_test)

    def set_data(self, data, config=None):
        """Train on `data` from the next step on (points drawn or erased while training),
        with the weights and the optimizer's state as they are; `config` (the same network
        and training settings) names the new data's source. Call it between steps, in the
        thread that trains."""
        self._use_data(data)
        if config is not None:
            self.config = config

    @property
    def model(self):
        """The MLP being trained, its `Value`s up to date (see the class docstring)."""
        self.sync_values()
        self._values_shared = True
        return self._model

    def sync_values(self):
        """Copy the trained weights (and the last gradients) into the model's `Value`s."""
        if self._values_stale:
            self._fast.write_values()
            self._values_stale = False

    def _take_back_values(self, step=False):
        """Before using the arrays: pick up any change made through `model` since it was
        read. Until the next step, the reader may still change it."""
        if self._values_shared:
            self._fast.read_values()
            self._values_shared = not step

    def _batch_indices(self, k):
        """Step k's minibatch as sample indices, seeded by (seed, k); None: all samples."""
        size, n = self.config.batch_size, len(self.data.x_train)
        if not size or size >= n:
            return None
        return random.Random(f"{self.config.seed}:{k}").sample(range(n), size)

    def _batch(self, k):
        """Step k's samples: all of them, or a minibatch seeded by (seed, k)."""
        X, Y = self.data.x_train, self.data.y_train
        picked = self._batch_indices(k)
        if picked is None:
            return X, Y
        return [X[i] for i in picked], [Y[i] for i in picked]

    def _forward_backward(self, k, stop=None):
        """Mean loss + L2 over step k's batch, its gradient into the fast path's `grad`.
        Returns (loss, scores, labels) with the scores and labels as arrays, or None when
        `stop` was set on the way (the slow plain path checks it after every sample)."""
        if self.engine == "value":
            return self._value_forward_backward(k, stop)
        l2, fast = self.config.l2, self._fast
        X, Y = self._x_train, self._y_train
        picked = self._batch_indices(k)
        if picked is not None:
            X, Y = X[picked], Y[picked]
        s = self.loss.scores(fast.forward(X))  # (n,), or (n, K) for ce
        loss, d_scores = self.loss.mean_and_grad(s, Y)
        fast.backward(self.loss.d_outputs(d_scores))
        if l2:
            loss += self._penalty()
            fast.grad += (2 * l2) * fast.theta
        return loss, s, Y

    def _value_forward_backward(self, k, stop):
        """micrograd's way: one Value graph for the whole batch, then backward()."""
        self.sync_values()
        X, Y = self._batch(k)
        model, l2 = self._model, self.config.l2
        params = model.parameters()
        # The graph has no reference cycles (see value.py), so reference counting frees it,
        # and the cyclic collector would only scan it again and again while it grows.
        collecting = gc.isenabled()
        gc.disable()
        try:
            model.zero_grad()
            outs = []
            for x in X:
                if stop is not None and stop.is_set():
                    return None
                outs.append(model(feature_values(self.features, x)))
            total = self.loss.mean(outs, Y)
            if l2:
                total = total + l2 * sum(p * p for p in params)
            total.backward()
            self._fast.grad[:] = [p.grad for p in params]
            scores = [[v.data for v in s] if isinstance(s, list) else s.data for s in outs]
            return total.data, np.array(scores), np.array(Y, dtype=np.float64)
        finally:
            if collecting:
                gc.enable()

    def _penalty(self):
        """The L2 term of the loss, alpha * sum(p*p), as a float."""
        theta = self._fast.theta
        return self.config.l2 * float(theta @ theta) if self.config.l2 else 0.0

    def _measure(self, X, Y, penalty):
        if not len(Y):
            return None, None
        s = self.loss.scores(self._fast.predict(X))
        losses, _ = self.loss.batch(s, Y)
        return float(losses.sum()) / len(Y) + penalty, self._accuracy(s, Y)

    def measure(self, X, Y):
        """(loss incl. L2, accuracy) of the current weights on X, Y; (None, None) if empty."""
        if not len(X):
            return None, None
        self._take_back_values()
        with np.errstate(all="ignore"):
            return self._measure(self._inputs(X), np.asarray(Y, dtype=np.float64), self._penalty())

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

    def run(self, stop=None, steps=None):
        """Yield a StepStats per step until `steps` (default: `config.steps`) are done in
        total, counting the steps already made.

        Checks `stop` (a threading.Event) before every step, and the plain Value engine also
        within a step, so setting it ends the run within a fraction of a second at any size.
        A loss or gradient that overflows ends the run quietly: look at `failure` (a
        TrainingFailure). At the end the model's Values hold the weights reached.
        """
        steps = self.config.steps if steps is None else steps
        self._stop = stop
        try:
            while self.step < steps:
                if stop is not None and stop.is_set():
                    break
                stats = self.step_once()
                if stats is None:
                    break
                yield stats
        finally:  # a reference to the model kept by the caller is up to date after the run
            self._stop = None
            self.sync_values()
        return self.failure

    def step_once(self):
        """One forward, backward and update. Returns StepStats, or None and sets `failure`
        when the loss or the gradient stops being a finite number. Inside a `run()`
        whose stop event is set during a long step, returns None with nothing changed."""
        if self.failure is not None or not len(self._y_train):
            return None  # (no training point: the window refuses to train before this)
        start = time.perf_counter()
        self._take_back_values(step=True)
        with np.errstate(all="ignore"):  # an overflow shows as inf, and ends the run below
            result = self._forward_backward(self.step, self._stop)
            if result is None:
                return None
            loss, s, Y = result
            grad = self._fast.grad
            grad_norm = math.sqrt(float(grad @ grad))
            test_loss, test_acc = self._measure(self._x_test, self._y_test, self._penalty())
            for what, value in (("loss", loss), ("gradient", grad_norm), ("test loss", test_loss)):
                if not _finite(value):
                    self._fail(f"{what} became {value} at step {self.step + 1}")
                    return None
            config = self.config
            lr = scheduled_lr(
                self.lr, config.lr_decay, self.step, config.decay_steps or config.steps
            )
            self._optimizer.step(lr)
        self._values_stale = True
        self.step += 1
        seconds = time.perf_counter() - start
        self._elapsed += seconds
        stats = StepStats(
            self.step, loss, self._accuracy(s, Y), test_loss, test_acc, grad_norm, lr,
            self._elapsed, seconds * 1000,
        )  # fmt: skip
        self.history.append(stats)
        return stats

    def _fail(self, reason):
        momentum = self.config.momentum and self.config.optimizer == "sgd"
        knob = "the learning rate" + (" or the momentum" if momentum else "")
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
        """The optimizer's state (saved with a session): SGD's momentum, one number per
        parameter; Adam's [m..., v..., t] (two per parameter and its step count)."""
        return self._optimizer.velocity.tolist()

    def predict(self, points):
        """The network's scores for (x1, x2) points (positive means class +1); with ce, a
        list of K scores per point (the largest is the class)."""
        self._take_back_values()
        with np.errstate(all="ignore"):
            return _scores_list(self._fast.predict(self._inputs(points)))


def train(config, stop=None):
    """Yield a StepStats per step of a new `Trainer(config)` until `config.steps` steps are
    done: `Trainer(config).run(stop)` (see Trainer.run). Bad settings raise ConfigError at
    once. To go on with a trainer you have, call its `run(stop, steps)`."""
    return Trainer(config).run(stop)


def _features_of(model, features):
    """The features a network of `model.nin` inputs sees: those given, else x1, x2 (or x1
    for one input, a regression network)."""
    if features is None:
        if model.nin > 2:
            raise ValueError(f"name the {model.nin} features this network takes")
        features = PLAIN[: model.nin]
    if len(features) != model.nin:
        raise ValueError(f"the network takes {model.nin} inputs, not {len(features)} features")
    return tuple(features)


def scores(model, points, features=None):
    """The network's scores for (x1, x2) points, all at once: a list of floats, or of K
    floats per point for a network with K outputs. `features`: what the network sees of a
    point (default x1, x2; see train.features)."""
    model = _as_model(model)
    X = feature_matrix(_features_of(model, features), points)
    with np.errstate(all="ignore"):
        return _scores_list(FastMLP(model).predict(X))


def _scores_list(outputs):
    return outputs[:, 0].tolist() if outputs.shape[1] == 1 else outputs.tolist()


def _as_model(model):
    return MLP.from_dict(model) if isinstance(model, dict) else model


def sample_loss(model, x, y, loss="hinge", features=None):
    """The plain-Value loss of one sample (no L2), the graph the graph view draws.

    Inputs are labelled "x1", "x2", the target "y", the network output "score" and the
    root "loss". `model` is an MLP or its `to_dict()`; `loss` a name from LOSSES. With ce,
    the outputs are "score1" ... "scoreK" and the class y picks one of them (so no "y" node
    is in the graph). `features`: the network's inputs (default x1, x2), each an input
    node named by its feature ("x1^2", "sin(x1)").
    """
    model = _as_model(model)
    features = _features_of(model, features)
    values = feature_values(features, x)
    inputs = [Value(v, label=name) for v, name in zip(values, features, strict=True)]
    target = Value(y, label="y")
    score = model(inputs)
    if isinstance(score, list):
        for k, s in enumerate(score, start=1):
            s.label = f"score{k}"
    else:
        score.label = "score"
    out = LOSSES[loss].value(score, target)
    out.label = "loss"
    return out


def _grid_axes(bounds, resolution):
    """The x and y coordinates of a resolution x resolution grid over bounds, checked."""
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    if not (_finite(xmin, xmax, ymin, ymax) and xmax > xmin and ymax > ymin):
        raise ValueError(f"bounds must be finite with xmax > xmin and ymax > ymin: {bounds}")
    if not isinstance(resolution, int) or not 2 <= resolution <= 1000:
        raise ValueError(f"resolution must be a whole number from 2 to 1000 (got {resolution})")
    return np.array(linspace(xmin, xmax, resolution)), np.array(linspace(ymin, ymax, resolution))


def _grid_rows(xs, ys):
    """The points of the grid rows at heights ys, row by row, as an (n, 2) array."""
    return np.column_stack((np.tile(xs, len(ys)), np.repeat(ys, len(xs))))


def _grid_bands(model_or_dict, bounds, resolution, band, pause, features):
    """The network's (rows, outputs) array over the grid, `band` grid rows at a time."""
    xs, ys = _grid_axes(bounds, resolution)
    model = _as_model(model_or_dict)
    features = _features_of(model, features)
    fast = FastMLP(model)  # the weights are read once, here
    for start in range(0, resolution, band):
        if pause is not None:
            pause()
        with np.errstate(all="ignore"):
            yield fast.predict(feature_matrix(features, _grid_rows(xs, ys[start : start + band])))


def decision_grid_bands(model_or_dict, bounds, resolution, band=8, pause=None, features=None):
    """`decision_grid`, `band` rows at a time: yields each band's scores as one flat list.
    `pause()`, when given, is called before each band (the window's worker waits there so
    the GUI thread can paint). A network of K outputs: `class_grid_bands`. `features`: the
    network's inputs (train.features; default x1, x2), computed at each grid point."""
    for outputs in _grid_bands(model_or_dict, bounds, resolution, band, pause, features):
        yield outputs[:, 0].tolist()


def output_grid_bands(model_or_dict, bounds, resolution, band=8, pause=None, features=None):
    """Every output of the network over the grid, `band` rows at a time: each band one
    flat list, K numbers per grid point (the window's K-region plot interpolates the
    scores, then picks the class). Grid, `pause` and `features` as in
    `decision_grid_bands`."""
    for outputs in _grid_bands(model_or_dict, bounds, resolution, band, pause, features):
        yield outputs.ravel().tolist()


def decision_grid(model_or_dict, bounds=(-2.0, 3.0, -1.5, 2.0), resolution=60, features=None):
    """Scores over a resolution x resolution grid spanning bounds (xmin, xmax, ymin, ymax),
    corners included. Row i is y = ymin + i * step, so row 0 is the bottom."""
    n = resolution
    bands = decision_grid_bands(model_or_dict, bounds, n, features=features)
    flat = [v for band in bands for v in band]
    return [flat[i * n : (i + 1) * n] for i in range(n)]


def class_grid_bands(model_or_dict, bounds, resolution, band=8, pause=None, features=None):
    """For a network of K outputs (the ce loss): `band` grid rows at a time, (classes,
    confidences) as two flat lists: the class the network picks at each grid point (its
    largest score, 0..K-1; the first of equals) and that class's softmax probability (1/K
    to 1: how sure it is). What a K-region plot draws: a colour per class, paler where
    less sure. Grid and `features` as in `decision_grid`."""
    for outputs in _grid_bands(model_or_dict, bounds, resolution, band, pause, features):
        Z = outputs - outputs.max(axis=1, keepdims=True)
        probabilities = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        yield np.argmax(outputs, axis=1).tolist(), probabilities.max(axis=1).tolist()


def class_grid(model_or_dict, bounds=(-2.0, 3.0, -1.5, 2.0), resolution=60, features=None):
    """(classes, confidences): `class_grid_bands` as two lists of grid rows, row 0 at ymin."""
    n = resolution
    classes, confidences = [], []
    bands = class_grid_bands(model_or_dict, bounds, n, features=features)
    for band_classes, band_confidences in bands:
        classes += band_classes
        confidences += band_confidences
    rows = range(n)
    return (
        [classes[i * n : (i + 1) * n] for i in rows],
        [confidences[i * n : (i + 1) * n] for i in rows],
    )


def neuron_grids(model_or_dict, bounds, resolution, features=None):
    """Each hidden neuron's output over the grid `decision_grid` uses (a heatmap per neuron,
    as TensorFlow Playground shows): {"L1.N3": (resolution, resolution) array, ...}, row 0
    at ymin. The output neuron's grid is `decision_grid`."""
    xs, ys = _grid_axes(bounds, resolution)
    model = _as_model(model_or_dict)
    fast = FastMLP(model)
    with np.errstate(all="ignore"):
        X = feature_matrix(_features_of(model, features), _grid_rows(xs, ys))
        outputs = fast.layer_outputs(X)[1:-1]
    return {
        f"L{i + 1}.N{j + 1}": A[:, j].reshape(resolution, resolution)
        for i, A in enumerate(outputs)
        for j in range(A.shape[1])
    }


def fitted_curve(model_or_dict, x_range=(-2.0, 2.0), resolution=200, features=None):
    """A regression network's curve over x: (xs, ys), `resolution` evenly spaced x from
    x_range[0] to x_range[1] (ends included) and the network's output at each (the point
    (x, 0) through `features`, default x1). What the window draws over the points."""
    low, high = (float(v) for v in x_range)
    if not (_finite(low, high) and high > low):
        raise ValueError(f"x_range must be finite with high > low: {x_range}")
    if not isinstance(resolution, int) or not 2 <= resolution <= 10_000:
        raise ValueError(f"resolution must be a whole number from 2 to 10000 (got {resolution})")
    xs = linspace(low, high, resolution)
    return xs, scores(model_or_dict, [(x, 0.0) for x in xs], features)

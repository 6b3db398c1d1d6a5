"""What one run in the window is, without Qt: the state machine behind Train, Pause, Step
and Reset, and what the window last heard from the training thread.

The window (mgdesk.gui) owns one `RunModel`. A click asks the model first: `start()`,
`begin_step()`, `begin_reset()` return the request to send to the training thread (or
None when the click does nothing now); news from that thread goes through `reset_done()`,
`steps_done()`, `run_finished()`, `diverged()` and `reset_refused()`, which return whether the
news is for the run shown (older generations are dropped). `edit(config)` says what a
change of the settings means: nothing, "apply now" (nothing trained yet) or "applies on
Reset" with the fields. The Qt side only shows what these return.

States: idle (built, not running) -> running (start) -> idle (pause, run_finished) and
diverged (a non-finite loss; only Reset leaves it); `at_step_limit` when the steps done
reach the config's limit (start then returns None and the window offers to raise it).
"""

import threading
from collections import deque
from dataclasses import dataclass, fields

from mgdesk.train.config import FIELD_LABELS, TrainConfig
from mgdesk.train.history import History

__all__ = [
    "LIVE_FIELDS",
    "Edit",
    "ResetRequest",
    "RunModel",
    "RunRequest",
    "describe_run",
    "describe_sample",
]

LIVE_FIELDS = ("lr", "steps")  # the only settings a running trainer picks up at once


@dataclass(frozen=True)
class ResetRequest:
    generation: int
    config: TrainConfig
    model: dict | None  # a saved model's to_dict(), or None for a fresh network
    history: tuple  # the saved run's StepStats
    ghost: str  # the finished run's name for the loss plot's ghost ("" when none)
    data: object = None  # a saved run's Dataset (None: made from the config)
    velocity: tuple = ()  # a saved run's momentum, one number per parameter


@dataclass(frozen=True)
class RunRequest:
    run_id: int
    stop: threading.Event  # set by pause(): the training thread checks it between steps
    steps: int  # the step limit


@dataclass(frozen=True)
class Edit:
    """What a change of the settings means for the run shown."""

    changed: tuple = ()  # the fields (other than LIVE_FIELDS) that differ from the applied
    apply_now: bool = False  # nothing trained yet: build the new network at once
    on_reset: bool = False  # something trained: the changes wait for Reset


def describe_run(config, lrs=()):
    """A short name for a run, for the ghost curve: '16,16 relu · moons · lr 1'.

    `lrs`: the learning rates the run actually trained with, in order (it may have been
    changed live); the config's own when empty."""
    layers = ",".join(map(str, config.layers)) or "linear"
    act = config.activation if isinstance(config.activation, str) else "/".join(config.activation)
    used = list(dict.fromkeys(lrs)) or [config.lr]
    rate = f"{used[0]:g}" if len(used) == 1 else f"{used[0]:g} → {used[-1]:g}"
    return f"{layers} {act} · {config.dataset} · lr {rate}"


def describe_sample(x, y, config):
    """A traced sample in words for the graph's title, as `config`'s task reads it:
    'x = (0.91, -0.08),  class 2' (ce: a class has no sign), 'x = (0.04, 0.54),  y = +1'
    (hinge, mse on classes), 'x = 1.23,  y = +0.4512' (regression: a point of the curve)."""
    if config.task == "regression":
        return f"x = {x[0]:.2f},  y = {y:+.4g}"
    target = f"class {y:g}" if config.loss == "ce" else f"y = {y:+g}"
    return f"x = ({x[0]:.2f}, {x[1]:.2f}),  {target}"


class RunModel:
    """One run: its settings (edited, applied, requested, refused), data, model snapshot,
    history, status and the traced sample."""

    def __init__(self):
        self.generation = 0  # of the latest Reset requested
        self.shown_generation = -1  # of the network shown
        self.run_id = 0
        self.stop = threading.Event()
        self.running = False
        self.failed = False  # diverged: only Reset goes on
        self.config = None  # the controls' settings when valid
        self.applied = None  # the settings of the network being trained
        self.requested = None  # ... of the latest Reset
        self.refused = None  # settings a Reset could not use (not tried again by itself)
        self.data = None  # the Dataset of the network shown
        self.model = None  # its latest model.to_dict() snapshot
        self.velocity = ()  # the optimizer's momentum with that model (() without momentum)
        self.step = 0
        self.history = History()  # every StepStats of this run, in order (compact)
        self.lrs_used = []  # the base learning rates this run trained with, in order
        self.traced = ("train", 0)  # which sample the graph draws
        # the name of the run a reset replaces, for the loss plot's ghost, once the new
        # network is there; None when the reset was refused and the run shown goes on
        self.ghost = None
        # (settings with the learning rate it ended with, diverged) of that run, for the
        # loss plot's run history: (None, False) when there is none
        self.ghost_settings = (None, False)
        self._pending_ghost = ""
        self._pending_settings = (None, False)
        self._kept = False  # the latest reset was refused
        self._lrs_before = []  # lrs_used of the run the latest reset would replace
        self._rate = deque(maxlen=90)  # (time, step) of recent snapshots

    # ---- status ----

    @property
    def ready(self):
        """True once the network of the latest Reset is built."""
        return self.shown_generation == self.generation and self.data is not None

    @property
    def can_train(self):
        return self.data is not None and not self.failed and self.config is not None

    @property
    def at_step_limit(self):
        return self.config is not None and self.step >= self.config.steps

    # ---- settings ----

    def edit(self, config):
        """The controls now hold `config` (None: not valid). Returns an Edit, or None
        when there is no network to compare with yet."""
        self.config = config
        if config is None or self.applied is None:
            return None
        changed = tuple(
            f.name
            for f in fields(TrainConfig)
            if f.name not in LIVE_FIELDS
            and getattr(config, f.name) != getattr(self.applied, f.name)
        )
        if changed and not self.running and self.step == 0 and not self.failed:
            return Edit(changed, apply_now=config != self.refused)
        return Edit(changed, on_reset=bool(changed))

    @staticmethod
    def field_names(names):
        """'hidden layers, seed': the fields as the window names them."""
        return ", ".join(FIELD_LABELS.get(name, name) for name in names)

    def note_lr(self, lr):
        """The next steps train with `lr` (kept for the ghost's name)."""
        if not self.lrs_used or self.lrs_used[-1] != lr:
            self.lrs_used.append(lr)

    # ---- requests ----

    def start(self, lr):
        """A RunRequest, or None when Train cannot start (or is at the step limit)."""
        if self.running or not self.can_train or self.at_step_limit:
            return None
        self.run_id += 1
        self.stop = threading.Event()
        self.running = True
        self._rate.clear()
        self.note_lr(lr)
        return RunRequest(self.run_id, self.stop, self.config.steps)

    def pause(self):
        """Stop training (the event is seen before the next step); True if it was running."""
        self.stop.set()
        was, self.running = self.running, False
        return was

    def begin_step(self, lr):
        """The generation to step, or None when Step cannot run now (pauses first)."""
        if not self.can_train:
            return None
        self.pause()
        self.note_lr(lr)
        return self.generation

    def begin_reset(self, config, model=None, history=(), data=None, velocity=()):
        """A new network with `config` (or a saved `model` dict, its `history`, points
        and momentum `velocity`)."""
        self.pause()
        if self.applied and self.history:  # (else a reset already on its way replaces it)
            self._pending_ghost = describe_run(self.applied, self.lrs_used)
            used = self.lrs_used[-1] if self.lrs_used else self.applied.lr
            self._pending_settings = (self.applied.replace(lr=used), self.failed)
            self._lrs_before = self.lrs_used
        ghost, self._kept = self._pending_ghost, False
        self.generation += 1
        self.applied = self.requested = config
        self.failed = False
        self.step = 0
        self.history = History()
        self.lrs_used = []
        self._rate.clear()
        return ResetRequest(
            self.generation, config, model, tuple(history), ghost, data, tuple(velocity)
        )

    # ---- news from the training thread ----

    def reset_done(self, snapshot):
        """The network of `snapshot` (data, config, saved history) is built; False if stale."""
        if snapshot.generation != self.generation:
            return False
        self.shown_generation = snapshot.generation
        self.ghost = None if self._kept else self._pending_ghost
        self.ghost_settings = (None, False) if self._kept else self._pending_settings
        self._pending_ghost = ""
        self._pending_settings = (None, False)
        self.applied = snapshot.config
        self.data = snapshot.data
        kind, index = self.traced
        if index >= len(snapshot.data.x_train if kind == "train" else snapshot.data.x_test):
            self.traced = ("train", 0)
        self.history = History(snapshot.history)
        self.step, self.model, self.velocity = snapshot.step, snapshot.model, snapshot.velocity
        return True

    def steps_done(self, snapshot, now):
        """Steps (and a model) from the training thread at time `now`; False if stale."""
        if snapshot.generation != self.generation:
            return False
        self.history.extend(snapshot.stats)
        self.step, self.model, self.velocity = snapshot.step, snapshot.model, snapshot.velocity
        if snapshot.stats:
            self._rate.append((now, snapshot.step))
        return True

    def run_finished(self, run_id):
        """The run `run_id` ended; False when it is not the latest one."""
        if run_id != self.run_id:
            return False
        self.running = False
        return True

    def diverged(self):
        self.running = False
        self.failed = True

    def reset_refused(self):
        """The latest Reset's settings could not be used: the old network goes on (its run
        is not made a ghost) under the new generation."""
        self.refused = self.requested
        self._kept = True
        self.lrs_used = self._lrs_before

    # ---- shown figures ----

    def steps_per_second(self, now):
        while self._rate and now - self._rate[0][0] > 2.0:
            self._rate.popleft()
        if not self.running or len(self._rate) < 2:
            return None
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else None

    def traced_sample(self):
        """(x, y, caption) of the traced sample under the network shown, or None."""
        if self.data is None or self.model is None or self.applied is None:
            return None
        kind, index = self.traced
        data = self.data
        xs, ys = (data.x_train, data.y_train) if kind == "train" else (data.x_test, data.y_test)
        if not 0 <= index < len(xs):
            return None
        x, y = tuple(xs[index]), ys[index]
        return x, y, f"Loss of {kind} sample #{index}:  {describe_sample(x, y, self.applied)}"

"""History: a run's StepStats kept as columns, still a sequence of StepStats to its users."""

import math
import sys

import pytest

from mgdesk.train import StepStats, TrainConfig, Trainer
from mgdesk.train.history import History


def stats(step, test=True):
    t = (0.5 / step, 0.75) if test else (None, None)
    return StepStats(step, 1.0 / step, 0.5, *t, 2.0 * step, 0.1, step * 0.01, 10.0)


def test_a_history_behaves_like_a_list_of_stepstats():
    steps = [stats(k) for k in range(1, 8)]
    history = History(steps)
    assert len(history) == 7 and history[-1] == steps[-1] and history[0] == steps[0]
    assert list(history) == steps and history == steps and history == tuple(steps)
    assert history[2:5] == steps[2:5] and isinstance(history[2:5], History)
    assert history[-1:] == steps[-1:] and history[7:] == []
    with pytest.raises(IndexError):
        history[7]
    history.append(stats(8))
    assert len(history) == 8 and history[-1].step == 8 and History(history) == history
    assert History() == () and not History()


def test_missing_test_values_stay_none():
    history = History([stats(1, test=False), stats(2, test=False)])
    assert history[0].test_loss is None and history[1].test_acc is None
    assert History.from_json(history.to_json(), 10) == history


def test_the_file_form_round_trips_exactly():
    config = TrainConfig(samples=30, layers=(3,), steps=20)
    trainer = Trainer(config)
    list(trainer.run())
    assert isinstance(trainer.history, History) and len(trainer.history) == 20
    again = History.from_json(trainer.history.to_json(), 1_000_000)
    assert again == trainer.history and list(again) == list(trainer.history)


def test_a_million_steps_are_compact():
    history = History()
    one = stats(1)
    for name in ("step",):
        history.column(name).extend(range(1, 1_000_001))
    for name in ("train_loss", "train_acc", "test_loss", "test_acc", "grad_norm", "lr",
                 "elapsed", "ms_per_step"):  # fmt: skip
        history.column(name).extend([getattr(one, name)] * 1_000_000)
    size = sum(sys.getsizeof(history.column(n)) for n in ("step", "lr", "elapsed"))
    assert size < 3 * 8.5 * 1_000_000  # 8 bytes a number: a StepStats per step is ~200
    assert history[-1].step == 1_000_000 and math.isclose(history[-1].lr, 0.1)

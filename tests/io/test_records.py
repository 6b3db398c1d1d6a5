"""The checked readers of a session file's model and steps (mgdesk.io.records)."""

import json
import math

import pytest

from mgdesk.engine import MLP
from mgdesk.io.records import read_model, read_step
from mgdesk.train import TrainConfig, Trainer


def test_a_model_read_from_a_file_is_the_model_written():
    model = MLP(3, [5, 4, 2], activation=["tanh", "relu"], seed=11)
    d = json.loads(json.dumps(model.to_dict()))
    copy = read_model(d)
    assert copy.to_dict() == model.to_dict() and copy.activations == model.activations


def good_dict():
    return MLP(2, [3, 1], seed=0).to_dict()


def edited(**changes):
    d = good_dict()
    for key, value in changes.items():
        if value is None:
            del d[key]
        else:
            d[key] = value
    return d


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "a model",
        [],
        {},
        edited(nin=None),
        edited(weights=None),
        edited(activations=None),
        edited(nin="two"),
        edited(nouts=[3]),  # one layer fewer than the weights
        edited(nouts=[3, 10_000_000]),  # asks for a huge layer the weights do not have
        edited(nin=5),  # rows too short
        edited(activations=["tanh", "softmax"]),
        edited(activations="relu"),
        edited(weights=[[[0.1, 0.2, 0.3]] * 3, [[0.1, 0.2]]]),  # wrong row length
        edited(weights=[[[0.1, 0.2, "x"]] * 3, [[0.1, 0.2, 0.3, 0.0]]]),
        edited(weights=[[[0.1, 0.2, math.nan]] * 3, [[0.1, 0.2, 0.3, 0.0]]]),
        edited(weights=[[[0.1, 0.2, math.inf]] * 3, [[0.1, 0.2, 0.3, 0.0]]]),
        edited(weights=[[[0.1, 0.2, None]] * 3, [[0.1, 0.2, 0.3, 0.0]]]),
        # numbers a crafted JSON file may hold: too big for a float, or not whole
        edited(weights=[[[0.1, 0.2, 10**400]] * 3, [[0.1, 0.2, 0.3, 0.0]]]),
        edited(weights=[[[0.1, 0.2, True]] * 3, [[0.1, 0.2, 0.3, 0.0]]]),
        edited(nin=math.inf),
        edited(nin=1e300),
        edited(nin=2.0),
        edited(nouts=[10**400, 1]),
    ],
)
def test_a_bad_model_in_a_file_is_refused_with_one_line(bad):
    with pytest.raises(ValueError) as info:
        read_model(bad)
    message = str(info.value)
    assert message and "\n" not in message


def test_a_step_read_from_a_file_is_the_step_written():
    stats = Trainer(TrainConfig(samples=20, layers=(2,), steps=2)).step_once()
    assert read_step(json.loads(json.dumps(stats.to_dict()))) == stats


@pytest.mark.parametrize(
    "change",
    [
        {"step": 0},
        {"step": 2.0},
        {"step": 10**7},
        {"train_loss": None},
        {"train_loss": "1"},
        {"train_loss": True},
        {"lr": math.inf},
        {"grad_norm": 10**400},
        {"extra": 1},
    ],
)
def test_a_bad_step_in_a_file_is_refused_with_one_line(change):
    d = Trainer(TrainConfig(samples=20, layers=(2,), steps=2)).step_once().to_dict()
    with pytest.raises(ValueError) as info:
        read_step({**d, **change})
    assert str(info.value) and "\n" not in str(info.value)

"""TrainConfig: every bad value raises ConfigError naming the field and the allowed range."""

import math
from dataclasses import fields

import pytest

from mgdesk.train import ConfigError, TrainConfig, make_dataset, parse_layers
from mgdesk.train.config import (
    DATASETS,
    FIELD_LABELS,
    MAX_HIDDEN_LAYERS,
    MAX_NEURONS,
    InspectConfig,
    Range,
)


def test_defaults_are_micrograds_demo():
    c = TrainConfig()
    assert (c.dataset, c.samples, c.noise, c.layers, c.activation) == (
        "moons",
        100,
        0.1,
        (16, 16),
        "relu",
    )
    assert (c.loss, c.l2, c.lr, c.lr_decay, c.steps) == ("hinge", 1e-4, 1.0, "linear", 100)


@pytest.mark.parametrize(
    "text, layers",
    [("16,16", (16, 16)), (" 16, 16 ", (16, 16)), ("4 8", (4, 8)), ("", ()), ("256", (256,))],
)
def test_parse_layers(text, layers):
    assert parse_layers(text) == layers


@pytest.mark.parametrize(
    "text, words",
    [
        ("0", "1 to 256 neurons (got 0)"),
        ("-3", "1 to 256 neurons (got -3)"),
        ("a,b", "'a' is not a whole number"),
        ("16,x", "'x' is not a whole number"),
        ("1,,2", "'1,,2' has an empty size between commas"),
        ("16,", "'16,' has an empty size at an end (a stray comma)"),
        (",16", "empty size at an end"),
        ("1, ,2", "empty size between commas"),
        ("9" * 5000, "1 to 256 neurons (got a huge number)"),
        ("1.5", "'1.5' is not a whole number"),
        ("10000", "1 to 256 neurons (got 10000)"),
        (",".join(["4"] * 9), "at most 8 hidden layers (got 9)"),
    ],
)
def test_parse_layers_rejects(text, words):
    with pytest.raises(ConfigError) as info:
        parse_layers(text)
    assert info.value.field == "layers"
    assert words in str(info.value)
    assert str(info.value).startswith("hidden layers: ") and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "field, value, words",
    [
        (
            "dataset",
            "iris",
            "one of moons, circles, xor, spiral, blobs, sine, abs, step, cubic, csv",
        ),
        ("samples", 1, "whole number at least 2 and at most 10,000"),
        ("samples", 10_001, "at most 10,000"),
        ("samples", 50.5, "whole number"),
        ("samples", True, "whole number"),
        ("noise", -0.1, "at least 0 and at most 1"),
        ("noise", math.nan, "at least 0 and at most 1"),
        ("test_split", 1.0, "at least 0 and below 1"),
        ("test_split", -0.2, "at least 0 and below 1"),
        ("seed", -1, "at least 0 and at most 4,294,967,295"),
        ("layers", (16, 0), "1 to 256 neurons"),
        ("layers", [MAX_NEURONS + 1], "1 to 256 neurons"),
        ("layers", (4,) * (MAX_HIDDEN_LAYERS + 1), "at most 8 hidden layers"),
        ("layers", 16, "list of layer sizes"),
        ("activation", "swish", "one of tanh, relu, linear, sigmoid, leaky_relu, gelu, sin"),
        ("activation", ("relu",), "one per hidden layer (2)"),
        ("loss", "l1", "one of hinge, mse, bce"),
        ("l2", -1e-4, "at least 0 and at most 1"),
        ("l2", math.inf, "at least 0 and at most 1"),
        ("lr", 0, "above 0 and at most 1e+06"),
        ("lr", -0.5, "above 0"),
        ("lr", math.nan, "above 0"),
        ("lr", math.inf, "above 0"),
        ("lr", 1e7, "at most 1e+06"),
        ("lr", "fast", "must be a number"),
        ("lr_decay", "cosine", "one of none, linear"),
        ("momentum", 1.0, "at least 0 and below 1"),
        ("momentum", -0.1, "at least 0 and below 1"),
        ("batch_size", -1, "at least 0"),
        ("batch_size", 81, "at most 80, the number of training samples"),
        ("steps", 0, "at least 1 and at most 1,000,000"),
        ("steps", 1_000_001, "at most 1,000,000"),
        ("decay_steps", -1, "at least 0 and at most 1,000,000"),
        # ints too big for a float, as a crafted session file may hold: no OverflowError
        ("lr", 10**400, "at most 1e+06 (got a huge number)"),
        ("noise", -(10**400), "at least 0 and at most 1 (got a huge number)"),
        ("seed", 10**400, "at most 4,294,967,295 (got a huge number)"),
        ("samples", 10**400, "at most 10,000 (got a huge number)"),
        ("layers", [10**400], "1 to 256 neurons (got a huge number)"),
        ("csv_path", 5, "must be a file name (got 5)"),
    ],
)
def test_every_bad_value_names_its_field_and_range(field, value, words):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**{field: value})
    err = info.value
    assert err.field == field
    assert words in err.message
    label = FIELD_LABELS.get(field, field)
    assert "_" not in label
    assert str(err) == f"{label}: {err.message}" and "\n" not in str(err)


def test_csv_needs_a_path():
    with pytest.raises(ConfigError) as info:
        TrainConfig(dataset="csv")
    assert info.value.field == "csv_path"


def test_a_step_that_would_take_many_seconds_is_refused():
    with pytest.raises(ConfigError) as info:
        TrainConfig(layers=(256,) * 8, samples=1000)
    assert info.value.field == "layers"
    assert "million multiply-adds" in info.value.message
    # the same network on a small minibatch is fine
    TrainConfig(layers=(256, 256), samples=1000, test_split=0, batch_size=100)


def test_batch_size_equal_to_the_training_set_is_allowed():
    assert TrainConfig(samples=100, test_split=0.2, batch_size=80).batch_size == 80


def test_values_are_normalised():
    c = TrainConfig(layers="8, 4", activation=["tanh", "relu"], noise=0, lr=1)
    assert c.layers == (8, 4) and c.activation == ("tanh", "relu")
    assert isinstance(c.noise, float) and isinstance(c.lr, float)
    assert c.layer_activations() == ["tanh", "relu", "linear"]
    assert TrainConfig(layers=()).layer_activations() == ["linear"]


def test_replace_validates_and_leaves_the_original():
    c = TrainConfig()
    assert c.replace(lr=0.5).lr == 0.5 and c.lr == 1.0
    with pytest.raises(ConfigError) as info:
        c.replace(lr=-1)
    assert info.value.field == "lr"


def test_dict_round_trip():
    c = TrainConfig(layers=(8, 4), activation=("tanh", "relu"), loss="bce", batch_size=10)
    d = c.to_dict()
    assert d["layers"] == [8, 4] and d["activation"] == ["tanh", "relu"]
    assert TrainConfig.from_dict(d) == c
    assert TrainConfig.from_dict({"lr": 0.1}) == TrainConfig(lr=0.1)


def test_from_dict_rejects_unknown_keys_and_non_mappings():
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({"learning_rate": 0.1})
    assert info.value.field == "learning_rate" and "unknown setting" in str(info.value)
    with pytest.raises(ConfigError):
        TrainConfig.from_dict([1, 2])


@pytest.mark.parametrize(
    "d",
    [{"lr": 10**400}, {"nin": 1e999}, {"activation": [{}] * 3}, {"steps": "x" * 10_000}],
)
def test_from_dict_turns_anything_into_one_line_config_errors(d):
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(d)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_the_plain_value_engine_has_a_lower_work_limit():
    from mgdesk.train import Trainer

    config = TrainConfig(samples=3000)  # 337 weights x 3,000 points: fine for the fast path
    with pytest.raises(ConfigError) as info:
        Trainer(config, engine="value")
    assert info.value.field == "engine" and "use the fast engine" in info.value.message
    assert Trainer(config.replace(samples=200), engine="value").engine == "value"


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        TrainConfig().lr = 2.0


def test_an_inspection_config_is_not_held_to_the_training_work_limit(tmp_path):
    from mgdesk.train.config import InspectConfig

    with pytest.raises(ConfigError, match="use smaller layers, fewer samples or a batch size"):
        TrainConfig(layers=(96, 96), samples=10_000)
    config = InspectConfig(layers=(96, 96), samples=10_000)
    assert config.replace(seed=2).layers == (96, 96)  # a copy stays an inspection config
    data = tmp_path / "many.csv"
    data.write_text("".join(f"{i % 97},{i % 89},{i % 2}\n" for i in range(10_000)))
    with pytest.raises(ConfigError, match="above the limit"):
        make_dataset(TrainConfig(layers=(96, 96), dataset="csv", csv_path=str(data)))
    points = make_dataset(InspectConfig(layers=(96, 96), dataset="csv", csv_path=str(data)))
    assert len(points.x_train) + len(points.x_test) == 10_000


def test_a_csv_error_names_the_csv_file_not_an_internal_name(tmp_path):
    from mgdesk.train import load_csv

    data = tmp_path / "pts.csv"
    data.write_text("1,2,1\n3,x,0\n")
    with pytest.raises(ConfigError) as info:
        load_csv(data)
    assert str(info.value) == "CSV file: pts.csv line 2: x2 'x' is not a number"
    assert info.value.field == "csv_path"  # still marks the right control and flag


# ---- each setting's label, help and range: metadata on its field ----


def test_every_setting_carries_its_label_help_and_what_it_accepts():
    for f in fields(TrainConfig):
        assert f.metadata["label"] and f.metadata["help"], f.name
        assert FIELD_LABELS[f.name] == f.metadata["label"] and "_" not in FIELD_LABELS[f.name]
        assert f.metadata["limits"] is None or f.metadata["choices"] is None
    assert fields(TrainConfig)[0].metadata["choices"] == DATASETS


# What a setting needs of the others to take its whole range: 8 classes come from blobs
NEEDS = {"classes": dict(dataset="blobs", loss="ce")}


@pytest.mark.parametrize(
    "f", [f for f in fields(TrainConfig) if f.metadata["limits"]], ids=lambda f: f.name
)
def test_a_settings_range_is_the_one_it_is_checked_against(f):
    low, high, integer, low_open, high_open = f.metadata["limits"]
    step = 1 if integer else 1e-9 * max(1, abs(high))
    cases = {low: not low_open, low - step: False, high: not high_open, high + step: False}
    for value, accepted in cases.items():
        try:
            InspectConfig(**{f.name: value}, **NEEDS.get(f.name, {}))
        except ConfigError as err:
            assert not accepted, (f.name, value, err)
            assert err.field == f.name and str(err).startswith(FIELD_LABELS[f.name] + ":")
        else:
            assert accepted, (f.name, value)


def test_range_texts():
    assert Range(2, 10_000, integer=True).text() == "2-10000"
    assert Range(0, 1e6, low_open=True).text() == "above 0, at most 1e6"
    assert Range(0, 1, high_open=True).text() == "0 <= x < 1"

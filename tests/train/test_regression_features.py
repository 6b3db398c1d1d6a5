"""Regression on 1-D curves (R squared where accuracy would be), and input features."""

import math

import pytest

from mgdesk.cli import main
from mgdesk.engine import MLP, FastMLP
from mgdesk.io import load_session
from mgdesk.train import (
    TrainConfig,
    Trainer,
    decision_grid,
    fitted_curve,
    make_dataset,
    sample_loss,
)
from mgdesk.train.config import REGRESSION_DATASETS
from mgdesk.train.features import FEATURE_NAMES, feature_matrix, feature_values, parse_features
from mgdesk.train.losses import r_squared


def regression(**changes):
    return TrainConfig(**{"dataset": "sine", "task": "regression", "loss": "mse", **changes})


@pytest.mark.parametrize("name", REGRESSION_DATASETS)
def test_each_curve_is_points_on_the_x_axis_with_noisy_targets(name):
    clean = make_dataset(regression(dataset=name, noise=0.0, test_split=0.0, samples=41))
    noisy = make_dataset(regression(dataset=name, noise=0.2, test_split=0.0, samples=41))
    assert all(b == 0.0 and -2 <= a <= 2 for a, b in clean.x_train)
    assert sorted(clean.x_train) == sorted(noisy.x_train)  # the noise goes on y only
    assert clean.y_train != noisy.y_train and all(map(math.isfinite, noisy.y_train))
    assert make_dataset(regression(dataset=name)) == make_dataset(regression(dataset=name))


def test_r_squared():
    assert r_squared([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert r_squared([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]) == 0.0  # the mean
    assert r_squared([3.0, 2.0, 1.0], [1.0, 2.0, 3.0]) == -3.0
    assert r_squared([], []) is None


def test_regression_trains_both_engines_alike_and_reports_r_squared():
    config = regression(samples=30, layers=(6,), activation="tanh", lr=0.1, steps=3)
    fast, plain = Trainer(config), Trainer(config, engine="value")
    assert fast.model.nin == 1
    for a, b in zip(fast.run(), plain.run(), strict=True):
        assert a.train_loss == pytest.approx(b.train_loss, rel=1e-12)
        assert a.train_acc == pytest.approx(b.train_acc, rel=1e-9)
    predictions = fast.predict(fast.data.x_train)
    assert fast.history[-1].step == 3
    assert fast.evaluate()["train_acc"] == pytest.approx(
        r_squared(predictions, fast.data.y_train), rel=1e-12
    )


def test_fitted_curve_is_the_network_over_x():
    model = MLP(1, [4, 1], activation="tanh", seed=3)
    xs, ys = fitted_curve(model, (-1.0, 1.0), resolution=5)
    assert xs == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert ys == pytest.approx([model([x]).data for x in xs], rel=1e-12)
    with pytest.raises(ValueError):
        fitted_curve(model, (1.0, 1.0))


def test_mgdesk_train_fits_sine_and_prints_r_squared(capsys):
    options = "--task regression --layers 16,16 --activation tanh --optimizer adam --lr 0.01"
    assert main(["train", "--quiet", "--steps", "300", *options.split()]) == 0
    out = capsys.readouterr().out
    assert "train R² 0.9" in out and "accuracy" not in out


@pytest.mark.parametrize(
    "args, words",
    [
        ("--task regression --dataset moons", "--dataset: regression fits sine, abs, step, cubic"),
        ("--dataset sine --loss hinge", "--loss: regression is fitted with mse (got hinge)"),
        ("--dataset cubic --task classification", "--task: cubic is a regression dataset"),
        ("--task regression --features x1,x2", "--features: regression data has x1 only"),
        ("--task banana", "--task: invalid choice: 'banana'"),
        ("--features x1,x3", "--features: unknown feature 'x3': use x1, x2, x1^2"),
        ("--features x1,x1", "--features: x1 is given twice"),
    ],
)
def test_bad_task_and_feature_options_exit_2_with_one_line(capsys, args, words):
    assert main(["train", "--quiet", "--steps", "1", *args.split()]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_features_are_the_same_numbers_as_floats_and_as_arrays():
    points = [(0.5, -1.5), (2.0, 0.25), (-0.75, 0.0)]
    M = feature_matrix(FEATURE_NAMES, points)
    expected = [[a, b, a * a, b * b, a * b, math.sin(a), math.sin(b)] for a, b in points]
    assert M.tolist() == expected
    assert [feature_values(FEATURE_NAMES, p) for p in points] == expected
    assert parse_features("X1, x2, x1², x1·x2, sin x1") == ("x1", "x2", "x1^2", "x1*x2", "sin(x1)")


def test_features_are_used_alike_in_training_the_grid_and_the_graph():
    features = ("x1^2", "x2^2", "sin(x1)")
    config = TrainConfig(dataset="circles", features=features, layers=(4,), samples=40, steps=3)
    fast, plain = Trainer(config), Trainer(config, engine="value")
    assert fast.model.nin == 3
    for a, b in zip(fast.run(), plain.run(), strict=True):
        assert a.train_loss == pytest.approx(b.train_loss, rel=1e-12)
    model = fast.model
    grid = decision_grid(model, (-1, 1, -1, 1), resolution=3, features=features)
    corner = FastMLP(model).predict(feature_matrix(features, [(-1.0, -1.0)]))[0, 0]
    assert grid[0][0] == pytest.approx(corner, rel=1e-15)
    root = sample_loss(model, (0.3, -0.6), 1.0, "hinge", features)
    inputs = {v.label: v.data for v in root.topological_order() if v.label in features}
    assert inputs == {"x1^2": 0.09, "x2^2": 0.36, "sin(x1)": math.sin(0.3)}
    with pytest.raises(ValueError, match="name the 3 features"):
        decision_grid(model, (-1, 1, -1, 1), resolution=3)


def test_circles_need_no_hidden_layer_with_squared_features(capsys):
    """x1² and x2² make the ring a straight line: a network without hidden layers gets it."""
    options = ["--dataset", "circles", "--layers", "", "--steps", "100"]
    assert main(["train", "--quiet", *options, "--features", "x1^2,x2^2"]) == 0
    assert "train accuracy 100.0%" in capsys.readouterr().out
    assert main(["train", "--quiet", *options]) == 0
    assert "train accuracy 100.0%" not in capsys.readouterr().out


def test_sessions_keep_the_task_and_the_features(tmp_path, capsys):
    path = tmp_path / "r.json"
    options = "--dataset abs --layers 5 --lr 0.1 --steps 3 --features x1,x1^2"
    assert main(["train", "--quiet", "--save", str(path), *options.split()]) == 0
    session = load_session(path)
    assert session.config.task == "regression" and session.config.features == ("x1", "x1^2")
    assert session.model.nin == 2 and not all(float(y).is_integer() for y in session.data.y_train)
    assert main(["train", "--quiet", "--load", str(path), "--steps", "2"]) == 0
    assert "step 5:" in capsys.readouterr().out
    out = tmp_path / "g.dot"
    assert main(["graph", "--load", str(path), "--out", str(out)]) == 0
    assert "x1^2" in out.read_text()


def test_the_script_export_refuses_regression_and_features_in_one_line(tmp_path, capsys):
    """(export-torch writes them: tests/io/test_torch_export.py runs such scripts.)"""
    for options, words in (
        ("--dataset sine --lr 0.1", "regression"),
        ("--features x1,x2,x1*x2", "not the features x1,x2,x1*x2"),
    ):
        base = ["train", "--quiet", "--layers", "3", "--steps", "1", *options.split()]
        assert main([*base, "--export", str(tmp_path / "e.py")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err


def test_a_loaded_session_keeps_its_features_and_task(tmp_path, capsys):
    path = tmp_path / "c.json"
    assert main(["train", "--quiet", "--save", str(path), "--layers", "3", "--steps", "1"]) == 0
    for option in (["--features", "x1^2,x2^2"], ["--task", "regression"]):
        assert main(["train", "--quiet", "--load", str(path), *option]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and ": a loaded" in err  # --task regression: sine data

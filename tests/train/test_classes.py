"""Several classes: K outputs, the softmax cross-entropy on both engines, argmax accuracy."""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgdesk.cli import main
from mgdesk.engine import MLP, FastMLP, Value
from mgdesk.teach.stepper import BackwardStepper, NetworkStepper
from mgdesk.train import (
    LOSSES,
    ConfigError,
    TrainConfig,
    Trainer,
    accuracy,
    class_grid,
    make_dataset,
    sample_loss,
)
from mgdesk.viz.network import network_groups

CE = LOSSES["ce"]


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


@settings(max_examples=40, deadline=None)
@given(
    classes=st.integers(2, 8),
    seed=st.integers(0, 10_000),
    activation=st.sampled_from(["relu", "tanh", "gelu", "sigmoid", "leaky_relu", "sin"]),
)
def test_the_fast_path_gives_the_value_graphs_ce_loss_and_gradients(classes, seed, activation):
    rng = random.Random(seed)
    model = MLP(2, [5, classes], activation=activation, seed=seed)
    X = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(7)]
    Y = [float(rng.randrange(classes)) for _ in X]
    model.zero_grad()
    total = CE.mean([model(x) for x in X], Y)
    total.backward()
    expected = [p.grad for p in model.parameters()]
    model.zero_grad()
    value, _ = FastMLP(model).loss_and_backward(X, CE.loss_grad(Y))
    assert close(value, total.data)
    for p, g in zip(model.parameters(), expected, strict=True):
        assert close(p.grad, g), p.label


def test_ce_is_stable_for_huge_scores_on_both_engines():
    scores = [1e4, -1e4, 9990.0]
    leaves = [Value(s) for s in scores]
    out = CE.value(leaves, 2)
    out.backward()
    loss, d = CE.point(scores, 2)
    expected = 10 + math.log1p(math.exp(-10))  # exp(-20000) is 0 in floats
    assert out.data == pytest.approx(expected, rel=1e-14)
    assert loss == pytest.approx(expected, rel=1e-14)
    assert [v.grad for v in leaves] == pytest.approx(d, abs=1e-15)
    assert d == pytest.approx([1.0, 0.0, -1.0], abs=1e-4)


def test_ce_gradient_matches_finite_differences_and_torch():
    scores, k = [0.3, -1.2, 2.0, 0.5], 1
    leaves = [Value(s) for s in scores]
    CE.value(leaves, k).backward()
    for j in range(len(scores)):
        h = 1e-6
        up = CE.point([s + h * (i == j) for i, s in enumerate(scores)], k)[0]
        down = CE.point([s - h * (i == j) for i, s in enumerate(scores)], k)[0]
        assert leaves[j].grad == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    t = torch.tensor([scores], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor([k]))
    loss.backward()
    assert CE.point(scores, k)[0] == pytest.approx(loss.item(), rel=1e-14)
    assert [v.grad for v in leaves] == pytest.approx(t.grad[0].tolist(), rel=1e-13, abs=1e-16)


def test_accuracy_is_by_argmax_for_k_scores():
    S = np.array([[0.1, 0.9, 0.0], [2.0, 1.0, 3.0], [1.0, 1.0, 0.0]])
    assert accuracy(S, np.array([1.0, 2.0, 1.0])) == pytest.approx(2 / 3)  # a tie: the first


@pytest.mark.parametrize("dataset", ["spiral", "blobs"])
@pytest.mark.parametrize("classes", [3, 5, 8])
def test_spiral_and_blobs_make_k_classes_labelled_0_to_k_minus_1(dataset, classes):
    config = TrainConfig(dataset=dataset, classes=classes, loss="ce", samples=80)
    data = make_dataset(config)
    assert set(data.y_train + data.y_test) == set(map(float, range(classes)))
    assert len(data.x_train) + len(data.x_test) == 80


@pytest.mark.parametrize("dataset", ["spiral", "blobs", "moons"])
def test_two_classes_keep_their_points_and_ce_labels_them_0_and_1(dataset):
    binary = make_dataset(TrainConfig(dataset=dataset))
    ce = make_dataset(TrainConfig(dataset=dataset, loss="ce"))
    assert binary.x_train == ce.x_train
    assert [(y + 1) / 2 for y in binary.y_train] == list(ce.y_train)


def test_training_three_classes_gives_k_outputs_and_the_engines_agree():
    config = TrainConfig(dataset="blobs", classes=3, loss="ce", samples=30, layers=(4,), steps=3)
    fast, plain = Trainer(config), Trainer(config, engine="value")
    assert fast.model.nouts == [4, 3]
    for a, b in zip(fast.run(), plain.run(), strict=True):
        assert close(a.train_loss, b.train_loss) and a.train_acc == b.train_acc
    for p, q in zip(fast.model.parameters(), plain.model.parameters(), strict=True):
        assert close(p.data, q.data)
    assert len(fast.predict([(0.0, 0.0)])[0]) == 3


def test_class_grid_gives_a_class_and_a_confidence_per_grid_point():
    model = MLP(2, [6, 4], seed=2)
    classes, confidence = class_grid(model, (-1, 1, -1, 1), resolution=5)
    assert len(classes) == len(confidence) == 5 and all(len(row) == 5 for row in classes)
    fast = FastMLP(model)
    # row 0 is ymin, column 0 is xmin: the grid's corner is the point (-1, -1)
    corner = fast.predict(np.array([[-1.0, -1.0]]))[0]
    assert classes[0][0] == int(np.argmax(corner))
    p = np.exp(corner - corner.max())
    assert confidence[0][0] == pytest.approx(p.max() / p.sum(), rel=1e-12)
    flat = [c for row in confidence for c in row]
    assert all(0.25 <= c <= 1.0 for c in flat)


def test_the_graph_and_the_steppers_work_for_k_outputs():
    model = MLP(2, [3, 3], seed=1)
    root = sample_loss(model, (0.5, -0.3), 2.0, "ce")
    root.backward()
    expected = {id(v): v.grad for v in root.topological_order()}
    stepper = BackwardStepper(root, model.parameters())
    stepper.run_to_end()
    assert all(v.grad == expected[id(v)] for v in root.topological_order())
    groups = network_groups(root, model)
    assert {"L2.N1", "L2.N2", "L2.N3"} <= set(groups.names())
    boxes = NetworkStepper(groups, params=model.parameters())
    boxes.run_to_end()
    assert root.grad == 1.0 and stepper.caption()


def test_mgdesk_graph_draws_a_three_class_network(tmp_path, capsys):
    out = tmp_path / "g.dot"
    args = "graph --dataset spiral --classes 3 --loss ce --layers 3 --samples 30 --out"
    assert main([*args.split(), str(out)]) == 0
    text = out.read_text()
    assert "L2.N3" in text and "ce loss" in capsys.readouterr().out


def test_a_session_of_four_classes_saves_and_goes_on(tmp_path, capsys):
    path = tmp_path / "s.json"
    options = "--dataset blobs --classes 4 --loss ce --layers 5 --samples 40 --steps 3"
    assert main(["train", "--quiet", "--save", str(path), *options.split()]) == 0
    assert main(["train", "--quiet", "--load", str(path), "--steps", "2"]) == 0
    assert "step 5:" in capsys.readouterr().out


def test_a_csv_of_three_classes(tmp_path, capsys):
    rows = ["x1,x2,label"] + [f"{i % 7},{i % 5},{i % 3}" for i in range(30)]
    path = tmp_path / "three.csv"
    path.write_text("\n".join(rows))
    assert main(["train", "--quiet", "--csv", str(path), "--classes", "3", "--loss", "ce",
                 "--steps", "2", "--layers", "4"]) == 0  # fmt: skip
    path.write_text("\n".join([*rows, "1,2,3"]))
    assert main(["train", "--quiet", "--csv", str(path), "--classes", "3", "--loss", "ce"]) == 2
    err = capsys.readouterr().err
    assert "line 32: label must be a class 0 to 2 (got 3)" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "args, words",
    [
        ("--classes 9 --loss ce --dataset blobs", "--classes: must be a whole number"),
        ("--classes 1", "--classes: must be a whole number at least 2"),
        ("--classes 3 --loss ce", "--classes: moons has 2 classes"),
        ("--classes 3 --dataset spiral", "--loss: 3 classes need ce"),
        ("--classes three", "--classes: invalid int value"),
    ],
)
def test_bad_class_options_exit_2_with_one_line(capsys, args, words):
    assert main(["train", "--quiet", "--steps", "1", *args.split()]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_a_config_refuses_classes_a_dataset_cannot_make():
    with pytest.raises(ConfigError, match="classes: circles has 2 classes"):
        TrainConfig(dataset="circles", classes=4, loss="ce")
    assert TrainConfig(dataset="spiral", classes=4, loss="ce").outputs == 4
    assert math.isclose(TrainConfig(loss="ce").outputs, 2)


def test_export_torch_writes_ce_and_the_script_export_refuses_it_in_one_line(tmp_path, capsys):
    path = tmp_path / "s.json"
    options = "--dataset blobs --classes 3 --loss ce --layers 3 --samples 20 --steps 1"
    assert main(["train", "--quiet", "--save", str(path), *options.split()]) == 0
    assert main(["export-torch", str(path), "--out", str(tmp_path / "m.py")]) == 0
    script = (tmp_path / "m.py").read_text()
    assert "cross_entropy(s, y.long())" in script and "s.argmax(dim=1) == y" in script
    capsys.readouterr()
    assert main(["train", "--quiet", "--export", str(tmp_path / "e.py"), *options.split()]) == 2
    err = capsys.readouterr().err
    assert "--export: the exported script writes one-score losses only" in err
    assert err.count("\n") == 1 and not (tmp_path / "e.py").exists()


def test_compare_varies_the_optimizer_but_not_ce_against_a_one_score_loss(capsys):
    base = ["compare", "--samples", "40", "--steps", "3", "--layers", "4"]
    assert main([*base, "--vary", "optimizer=sgd,adam"]) == 0
    assert "optimizer=adam" in capsys.readouterr().out
    assert main([*base, "--vary", "loss=hinge,ce"]) == 2
    err = capsys.readouterr().err
    assert "compare ce with ce runs only" in err and err.count("\n") == 1

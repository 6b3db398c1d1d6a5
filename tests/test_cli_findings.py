"""Command-line mistakes found by a hostile tester: each now gets one clear line (exit 2),
or a note on stderr, and figures that mean what they say."""

import json

import pytest

from mgdesk.cli import main
from mgdesk.train.losses import r_squared

SPIRAL_ADAM = (
    "--dataset spiral --classes 3 --loss ce --samples 30 --layers 4 --steps 5 "
    "--optimizer adam --lr 0.01"
)
MOMENTUM = (
    "--dataset moons --samples 30 --layers 4 --steps 5 --momentum 0.9 --lr 0.1 "
    "--features x1,x2,x1*x2"
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Sessions saved by mgdesk: a 3-class Adam run, a momentum run, a regression run."""
    folder = tmp_path_factory.mktemp("sessions")
    runs = {
        "ce_adam": SPIRAL_ADAM,
        "mom": MOMENTUM,
        "reg": "--dataset sine --samples 30 --layers 4 --steps 5 --optimizer adam --lr 0.01",
    }
    for name, options in runs.items():
        path = folder / f"{name}.json"
        assert main(["train", "--quiet", "--save", str(path), *options.split()]) == 0
    return folder


def one_line_exit_2(capsys, args, words):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err


# ---- R squared where it is undefined ----


def test_r_squared_of_targets_that_do_not_vary_is_undefined():
    assert r_squared([1.5], [2.0]) is None  # one point
    assert r_squared([2.0, 2.0], [2.0, 2.0]) is None  # a constant curve, even fitted exactly
    assert r_squared([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]) == 0.0  # the mean: still 0


def test_a_one_point_test_set_shows_no_r_squared(capsys):
    args = "--dataset sine --samples 3 --test-split 0.5 --steps 2 --quiet --lr 0.01"
    assert main(["train", *args.split()]) == 0
    out = capsys.readouterr().out
    assert "test R² –" in out and "test R² 0.0000" not in out
    assert main(["train", *args.split(), "--json"]) == 0
    final = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert final["test_acc"] is None and final["test_loss"] is not None


def test_batch_size_1_regression_steps_report_no_r_squared(capsys):
    args = "--dataset sine --samples 20 --batch-size 1 --lr 0.01 --steps 3 --json --quiet"
    assert main(["train", *args.split()]) == 0
    steps = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["train_acc"] for s in steps[:-1]] == [None, None, None]
    assert steps[-1]["train_acc"] is not None  # the whole training set varies


# ---- momentum and optimizers ----


def test_momentum_with_adam_is_refused(capsys):
    one_line_exit_2(
        capsys, ["train", "--optimizer", "adam", "--momentum", "0.9", "--steps", "2"],
        "--momentum: is SGD's: adam has no momentum setting",
    )  # fmt: skip


@pytest.mark.parametrize(
    "options, words",
    [
        ("--vary momentum=0,0.9 --optimizer adam", "--vary: momentum is SGD's"),
        ("--vary lr=0.1,0.2 --optimizer adam --momentum 0.9", "--momentum: is SGD's"),
    ],
)
def test_compare_refuses_momentum_under_adam(capsys, options, words):
    args = ["compare", *options.split(), "--samples", "40", "--steps", "2", "--quiet"]
    one_line_exit_2(capsys, args, words)


def test_compare_of_sgd_with_momentum_against_adam_is_fine(capsys):
    args = "--vary optimizer=sgd,adam --momentum 0.9 --samples 40 --steps 2 --quiet"
    assert main(["compare", *args.split()]) == 0


@pytest.mark.parametrize(
    "name, options, words",
    [
        ("ce_adam", "--optimizer sgd", "the session trained with adam: sgd starts afresh"),
        ("mom", "--optimizer adam", "the session trained with sgd: adam starts afresh"),
    ],
)
def test_changing_the_optimizer_on_load_says_it_starts_afresh(saved, capsys, name, options,
                                                              words):  # fmt: skip
    args = ["train", "--load", str(saved / f"{name}.json"), "--steps", "2", "--quiet"]
    assert main([*args, *options.split()]) == 0
    err = capsys.readouterr().err
    assert f"mgdesk train: note: --optimizer: {words}" in err
    assert main(args) == 0
    assert "afresh" not in capsys.readouterr().err


# ---- --classes and --features messages ----


@pytest.mark.parametrize(
    "args",
    [
        "train --dataset sine --classes 5 --steps 2",
        "graph --dataset sine --classes 3 --layers 2 --out {out}",
        "train --load {reg} --classes 3 --steps 2",
        "graph --load {reg} --classes 3 --out {out}",
    ],
)
def test_classes_on_a_regression_dataset_says_it_has_none(saved, tmp_path, capsys, args):
    args = args.format(out=tmp_path / "g.svg", reg=saved / "reg.json").split()
    one_line_exit_2(capsys, args, "--classes: sine is a regression dataset (no classes)")


@pytest.mark.parametrize("command", ["train", "graph"])
def test_classes_on_a_loaded_session_is_blamed_on_classes(saved, tmp_path, capsys, command):
    args = [command, "--load", str(saved / "ce_adam.json"), "--classes", "4"]
    args += ["--out", str(tmp_path / "g.svg")] if command == "graph" else ["--steps", "2"]
    one_line_exit_2(capsys, args, "--classes: a loaded session keeps its 3 classes (got 4)")


def test_the_saved_classes_spelled_out_are_accepted(saved):
    load = ["train", "--load", str(saved / "ce_adam.json"), "--steps", "1", "--quiet"]
    assert main([*load, "--classes", "3"]) == 0


@pytest.mark.parametrize("name, features", [("ce_adam", "x1,x2"), ("mom", "x1,x2,x1*x2")])
def test_features_equal_to_the_saved_inputs_are_accepted_on_load(saved, name, features):
    load = ["train", "--load", str(saved / f"{name}.json"), "--steps", "1", "--quiet"]
    assert main([*load, "--features", features]) == 0


def test_other_features_on_load_are_still_refused(saved, capsys):
    load = ["train", "--load", str(saved / "ce_adam.json"), "--steps", "1", "--quiet"]
    one_line_exit_2(capsys, [*load, "--features", "x1,x2,x1^2"], "--features: a loaded network")


# ---- regression's default learning rate ----


@pytest.mark.parametrize("dataset", ["sine", "abs", "step", "cubic"])
def test_regression_with_the_default_settings_learns(capsys, dataset):
    assert main(["train", "--dataset", dataset, "--json", "--quiet"]) == 0
    final = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert final["status"] == "done" and final["train_acc"] > 0.8 and final["test_acc"] > 0.8


def test_task_regression_alone_learns_and_an_lr_given_stays(capsys):
    assert main(["train", "--task", "regression", "--steps", "3", "--json", "--quiet"]) == 0
    assert [json.loads(line)["lr"] for line in capsys.readouterr().out.splitlines()[:1]] == [0.05]
    assert main(["train", "--task", "regression", "--lr", "0.01", "--steps", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["lr"] == 0.01


def test_compare_of_learning_rates_on_a_regression_curve(capsys):
    args = "compare --vary lr=0.01,0.02 --dataset cubic --samples 40 --steps 3 --quiet"
    assert main(args.split()) == 0
    one_line_exit_2(capsys, [*args.split(), "--lr", "0.1"], "lr is also set by --lr")


def test_compare_names_r_squared_as_such_for_regression(capsys):
    args = "compare --vary lr=0.01,0.02 --dataset cubic --samples 40 --steps 5"
    assert main(args.split()) == 0
    captured = capsys.readouterr()
    head = captured.out.splitlines()[0]
    assert "train R²" in head and "test R²" in head and "steps to R² 0.95" in head
    assert "acc" not in head and "%" not in captured.out
    assert "  R² " in captured.err and "acc" not in captured.err and "%" not in captured.err


# ---- a run that fails: one account of it ----


def test_data_that_overflow_give_one_line_and_no_accuracy_without_a_loss(tmp_path, capsys):
    data = tmp_path / "huge.csv"
    data.write_text("0,0,0\n1e308,1,1\n2,2,2\n0.5,0.5,0\n3,3,1\n")
    args = ["train", "--csv", str(data), "--classes", "3", "--loss", "ce", "--steps", "3"]
    assert main([*args, "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "at step 1" in captured.err and "overflow" in captured.err
    assert main([*args, "--quiet", "--json"]) == 1
    final = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert final["train_loss"] is None and final["train_acc"] is None
    assert final["status"] == "failed" and "step 1" in final["failure"]["reason"]


# ---- argparse's messages ----


@pytest.mark.parametrize(
    "args, words",
    [
        ("train --bogus", "mgdesk train: error: unrecognized arguments: --bogus "
         "(see mgdesk train --help)"),
        ("graph --dataset step --test-split 0 --out g.svg", "mgdesk graph: error: "
         "unrecognized arguments: --test-split 0 (see mgdesk graph --help)"),
        ("compare --vary lr=1,2 --nope", "mgdesk compare: error: unrecognized arguments: --nope "
         "(see mgdesk compare --help)"),
    ],
)  # fmt: skip
def test_an_unknown_option_names_its_command_and_its_help(capsys, args, words):
    one_line_exit_2(capsys, args.split(), words)


def test_graph_and_train_describe_their_shared_options_alike(capsys):
    helps = {}
    for command in ("train", "graph"):
        assert main([command, "--help"]) == 0
        helps[command] = " ".join(capsys.readouterr().out.split())
    for text in ("--classes K classes of points", "more than 2 need --loss ce, 2-8",
                 "sigmoid, leaky_relu, gelu or sin"):  # fmt: skip
        assert text in helps["train"] and text in helps["graph"], text


def test_graph_refuses_a_csv_dataset_as_train_does(capsys):
    one_line_exit_2(capsys, ["graph", "--dataset", "csv", "--out", "g.svg"],
                    "mgdesk graph: error: argument --dataset: invalid choice: 'csv'")  # fmt: skip


@pytest.mark.parametrize("option, value", [("--activation", "GELU"), ("--activation", "Tanh,RELU"),
                                           ("--features", "SIN(X1),X1")])  # fmt: skip
def test_names_are_read_in_any_case(capsys, option, value):
    assert main(["train", option, value, "--layers", "4,4", "--steps", "1", "--quiet"]) == 0


# ---- CSV numbers and labels ----


@pytest.mark.parametrize(
    "row, words",
    [
        ("1_000,0.5,0", "x1 '1_000' is not a number"),
        ("0.5,١٢,0", "x2 '١٢' is not a number"),
        ("2,2,-0", "label must be a class 0 to 2, written as a whole number (got -0)"),
        ("2,2,+2", "written as a whole number (got +2)"),
        ("2,2,1e0", "written as a whole number (got 1e0)"),
        ("2,2,2.0000000000000001", "written as a whole number (got 2.0000000000000001)"),
    ],
)
def test_csv_numbers_are_read_as_a_spreadsheet_writes_them(tmp_path, capsys, row, words):
    data = tmp_path / "points.csv"
    data.write_text(f"0,0,0\n1,1,1\n2,2,2\n{row}\n", encoding="utf-8")
    args = ["train", "--csv", str(data), "--classes", "3", "--loss", "ce", "--test-split", "0"]
    one_line_exit_2(capsys, [*args, "--steps", "1", "--quiet"], words)


def test_csv_labels_written_as_whole_numbers_still_load(tmp_path):
    data = tmp_path / "points.csv"
    data.write_text("x1,x2,label\n0,0,0\n1,1,1.0\n2,2,02\n-1.5e0,.5,1\n")
    args = ["train", "--csv", str(data), "--classes", "3", "--loss", "ce", "--test-split", "0"]
    assert main([*args, "--steps", "1", "--quiet"]) == 0


def test_graphs_summary_shows_a_class_and_a_1d_point_as_they_are(tmp_path, capsys):
    out = str(tmp_path / "g.svg")
    args = "graph --dataset spiral --classes 3 --loss ce --layers 2 --out".split()
    assert main([*args, out]) == 0
    line = capsys.readouterr().out
    assert " class 0," in line or " class 1," in line or " class 2," in line
    assert "y=+" not in line and "y=-" not in line
    args = "graph --dataset sine --layers 2 --features x1,x1^2 --out".split()
    assert main([*args, out]) == 0
    line = capsys.readouterr().out
    assert " x=(" not in line and ", +0.0000)" not in line and " x=" in line


def test_the_export_of_a_run_that_changed_optimizer_starts_it_afresh(tmp_path, capsys):
    """The micrograd script of a run continued with another optimizer must not take the old
    optimizer's state as its own (SGD's momentum as Adam's moments: an IndexError)."""
    import subprocess
    import sys

    first = tmp_path / "first.json"
    options = "--samples 30 --layers 4 --steps 3 --momentum 0.9 --lr 0.1 --quiet"
    assert main(["train", *options.split(), "--save", str(first)]) == 0
    script = tmp_path / "again.py"
    args = ["--optimizer", "adam", "--lr", "0.01", "--steps", "2", "--export", str(script)]
    assert main(["train", "--load", str(first), "--quiet", *args]) == 0
    capsys.readouterr()
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "largest difference from the weights mgdesk exported: 0" in done.stdout


def test_export_torch_of_a_session_without_its_state_says_so(tmp_path, capsys):
    path = tmp_path / "adam.json"
    assert main(["train", "--quiet", "--save", str(path), *SPIRAL_ADAM.split()]) == 0
    doc = json.loads(path.read_text())
    doc["velocity"] = []
    path.write_text(json.dumps(doc))
    assert main(["export-torch", str(path), "--out", str(tmp_path / "m.py")]) == 0
    assert "note: adam.json: the session holds no optimizer state" in capsys.readouterr().err


def test_json_help_says_what_the_final_line_is_and_what_acc_holds(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert '"final": true: the state after the last step\'s update' in text
    assert "train_acc, test_acc: accuracy, or R² for regression" in text

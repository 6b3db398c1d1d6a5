"""`mgdesk export-torch`: a PyTorch script that holds the session and goes on training it."""

import ast
import json
import subprocess
import sys

import pytest

from mgdesk.cli import main
from mgdesk.io import load_session, save_session
from mgdesk.io.torch_export import export_torch_script, torch_script
from mgdesk.train import Dataset, TrainConfig, Trainer

REL = 1e-9


def saved_session(tmp_path, capsys, *options, name="run.json"):
    path = tmp_path / name
    assert main(["train", "--quiet", "--save", str(path), *options]) == 0
    capsys.readouterr()
    return path


def session_saved_mid_run(tmp_path, options, done=6, planned=12):
    """A session saved after `done` of `planned` steps, as the window saves one: the
    learning-rate decay is still under way when it goes on."""
    config = TrainConfig(samples=50, layers=(5, 4), steps=planned, **options)
    trainer = Trainer(config)
    for _ in range(done):
        trainer.step_once()
    path = tmp_path / "mid.json"
    save_session(path, config, trainer.model, trainer.history, trainer.velocity)
    return path


def mgdesk_steps(capsys, session, steps):
    """The per-step objects of `mgdesk train --load SESSION --steps N --json`."""
    assert main(["train", "--load", str(session), "--steps", str(steps), "--json", "--quiet"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [line for line in lines if not line["final"]]


def export(tmp_path, capsys, session, name="model.py"):
    out = tmp_path / name
    assert main(["export-torch", str(session), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    return out


def run_script(script, *args):
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=script.parent,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def close(a, b, rel=REL):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel * max(abs(a), abs(b))


# ---- without torch: what the script holds ----


def test_the_script_holds_everything_and_never_imports_mgdesk(tmp_path, capsys):
    session = saved_session(
        tmp_path, capsys, "--samples", "30", "--layers", "3,2", "--activation", "tanh,relu",
        "--steps", "4", "--momentum", "0.5", "--loss", "bce",
    )  # fmt: skip
    script = export(tmp_path, capsys, session)
    source = script.read_text()
    tree = ast.parse(source)
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert imported == {"argparse", "json", "math", "pathlib", "random", "torch"}
    assert "mgdesk" not in imported
    loaded = load_session(session)
    values = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    literal = {name: ast.literal_eval(v) for name, v in values.items() if name.isupper()}
    assert literal["WEIGHTS"] == loaded.model.to_dict()["weights"]  # exact floats
    assert literal["VELOCITY"] == list(loaded.velocity) and len(literal["VELOCITY"]) == 9 + 8 + 3
    assert literal["STEP"] == 4 and literal["MOMENTUM"] == 0.5 and literal["DECAY_STEPS"] == 4
    trainer = Trainer(loaded.config)
    assert [tuple(p) for p in literal["X_TRAIN"]] == list(trainer.data.x_train)
    assert tuple(literal["Y_TEST"]) == trainer.data.y_test and len(literal["X_TEST"]) == 6
    assert "torch.nn.Tanh()" in source and "torch.nn.ReLU()" in source
    assert "logaddexp" in source  # bce


def test_csv_points_are_written_in_and_the_file_name_never_becomes_code(tmp_path, capsys):
    name = 'pts"""\nimport os; os.remove(__file__)  #.csv'.replace("\n", "_")
    csv = tmp_path / name
    csv.write_text(
        "x1,x2,label\n" + "\n".join(f"{i / 7},{(-1) ** i * i / 5},{i % 2}" for i in range(12))
    )
    session = saved_session(tmp_path, capsys, "--csv", str(csv), "--layers", "3", "--steps", "2")
    script = export(tmp_path, capsys, session)
    csv.unlink()  # the script needs no file but itself
    source = script.read_text()
    tree = ast.parse(source)
    dataset = next(
        n.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "DATASET"
    )
    assert ast.literal_eval(dataset) == name  # only ever a string literal
    assert sum(isinstance(n, ast.Import) and n.names[0].name == "os" for n in ast.walk(tree)) == 0
    assert source.count("0.14285714285714285") == 1  # 1/7, exactly, once


def test_points_saved_in_the_session_are_used_as_they_are(tmp_path):
    config = TrainConfig(dataset="csv", csv_path="saved.csv", layers=(2,), steps=1, test_split=0)
    data = Dataset("saved.csv", ((0.25, -1.5), (2.0, 0.125)), (1.0, -1.0))
    trainer = Trainer(config, data=data)  # no saved.csv anywhere: the points come with it
    save_session(tmp_path / "s.json", config, trainer.model, data=data)
    session = load_session(tmp_path / "s.json")
    assert session.data is not None  # the format embeds its points
    export_torch_script(tmp_path / "m.py", session)
    source = (tmp_path / "m.py").read_text()
    assert "[0.25, -1.5], [2.0, 0.125],\n]" in source and "DATASET = 'saved.csv'" in source


def test_an_old_session_whose_csv_is_gone_is_a_one_line_error(tmp_path, capsys):
    """Version 2 sessions hold no points: they are made again, and a CSV must still exist."""
    csv = tmp_path / "points.csv"
    csv.write_text("\n".join(f"{i},{i % 3},{i % 2}" for i in range(10)))
    session = saved_session(tmp_path, capsys, "--csv", str(csv), "--layers", "2", "--steps", "1")
    doc = json.loads(session.read_text())
    doc.pop("data", None)
    session.write_text(json.dumps({**doc, "version": 2, "history": []}))
    assert main(["export-torch", str(session), "--out", str(tmp_path / "old.py")]) == 0
    csv.unlink()
    assert main(["export-torch", str(session), "--out", str(tmp_path / "m.py")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "points.csv" in err and "is not there" in err
    assert not (tmp_path / "m.py").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["missing.json", "--out", "m.py"], "cannot read"),
        (["{session}", "--out", "m.txt"], "should end in .py"),
        (["{session}", "--out", "{tmp}/dir.py"], "folder"),
        (["{session}"], "--out"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir.py").mkdir()
    session = saved_session(tmp_path, capsys, "--samples", "10", "--layers", "2", "--steps", "1")
    args = [a.format(session=session, tmp=tmp_path) for a in args]
    assert main(["export-torch", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "m.txt").exists()


def test_torch_script_refuses_points_that_are_not_numbers():
    config = TrainConfig(samples=10, layers=(2,), steps=1)
    data = Dataset("x", (("1", 2.0),), (1.0,))
    with pytest.raises(ValueError, match="two numbers"):
        torch_script(config, Trainer(config).model, data)


# ---- with torch: the script's numbers are mgdesk's ----

torch_cases = {
    "hinge-relu-full-batch": dict(loss="hinge", activation="relu"),
    "hinge-tanh-minibatch": dict(loss="hinge", activation="tanh", batch_size=12),
    "mse-tanh-momentum": dict(loss="mse", activation="tanh", momentum=0.9, lr=0.05),
    "mse-relu-minibatch": dict(loss="mse", activation="relu", batch_size=7, lr=0.1),
    "bce-per-layer-momentum-minibatch": dict(
        loss="bce", activation=("tanh", "relu"), momentum=0.5, batch_size=10
    ),
    "bce-relu-no-decay-no-l2": dict(loss="bce", activation="relu", lr_decay="none", l2=0.0),
    "linear-tanh-no-test-set": dict(loss="hinge", activation=("linear", "tanh"), test_split=0),
    "mse-sigmoid-gelu": dict(loss="mse", activation=("sigmoid", "gelu"), lr=0.2),
    "hinge-leaky-relu-sin": dict(loss="hinge", activation=("leaky_relu", "sin"), lr=0.1),
    "adam-bce-minibatch": dict(loss="bce", optimizer="adam", lr=0.01, batch_size=10),
    "ce-3-classes-adam": dict(dataset="spiral", classes=3, loss="ce", optimizer="adam", lr=0.01),
    "ce-2-classes-minibatch": dict(loss="ce", batch_size=10, lr=0.1),
    "regression-cubic-features": dict(
        dataset="cubic", task="regression", loss="mse", features=("x1", "x1^2"), lr=0.05
    ),
    "features-momentum": dict(
        features=("x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"), momentum=0.9, lr=0.05
    ),
}


@pytest.mark.parametrize("options", torch_cases.values(), ids=torch_cases.keys())
def test_every_step_matches_mgdesk_train_load(tmp_path, capsys, options):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    # 6 of 12 steps saved, then 10 more: the linear decay runs on to its end, then stays
    session = session_saved_mid_run(tmp_path, options)
    script = export(tmp_path, capsys, session)
    theirs = run_script(script, "--steps", "10")
    ours = mgdesk_steps(capsys, session, 10)
    assert [t["step"] for t in theirs] == [o["step"] for o in ours] == list(range(7, 17))
    for t, o in zip(theirs, ours, strict=True):
        assert close(t["train_loss"], o["train_loss"]), (t, o)
        assert close(t["test_loss"], o["test_loss"]), (t, o)
        if options.get("task") == "regression":  # R squared: a float, to rounding
            assert close(t["train_acc"], o["train_acc"]) and close(t["test_acc"], o["test_acc"])
        else:
            assert t["train_acc"] == o["train_acc"] and t["test_acc"] == o["test_acc"]


def test_the_loaded_weights_report_what_mgdesk_reports_and_save_writes_the_state_dict(
    tmp_path, capsys
):
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install torch==2.13.0"
    )
    session = saved_session(
        tmp_path, capsys, *"--samples 40 --layers 4 --activation tanh --steps 3".split()
    )
    script = export(tmp_path, capsys, session)
    (figures,) = run_script(script, "--save", "model.pt")
    loaded = load_session(session)
    expected = Trainer(loaded.config, loaded.model).evaluate()
    assert figures["step"] == 3
    for key, value in expected.items():
        assert close(figures[key], value), key
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    weights = loaded.model.to_dict()["weights"]
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert state["0.weight"].dtype == torch.float64
    assert state["0.weight"].tolist() == [row[:-1] for row in weights[0]]
    assert state["2.bias"].tolist() == [row[-1] for row in weights[1]]


def test_a_session_continued_twice_goes_on_with_the_first_runs_schedule(tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    first = saved_session(
        tmp_path, capsys, "--samples", "30", "--layers", "3", "--steps", "8", "--momentum", "0.8"
    )
    second = tmp_path / "second.json"
    assert (
        main(["train", "--quiet", "--load", str(first), "--steps", "3", "--save", str(second)]) == 0
    )
    capsys.readouterr()
    script = export(tmp_path, capsys, second)
    theirs = run_script(script, "--steps", "4")
    ours = mgdesk_steps(capsys, second, 4)
    assert [t["step"] for t in theirs] == [12, 13, 14, 15]
    assert all(close(t["train_loss"], o["train_loss"]) for t, o in zip(theirs, ours, strict=True))


@pytest.mark.parametrize("where", ["folder", "folder/", "missing/model.pt", ""])
def test_the_scripts_save_to_a_folder_or_a_missing_one_is_one_line(tmp_path, capsys, where):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    session = saved_session(tmp_path, capsys, "--samples", "30", "--layers", "3", "--steps", "2")
    script = export(tmp_path, capsys, session)
    (tmp_path / "folder").mkdir()
    done = subprocess.run(
        [sys.executable, str(script), "--steps", "1", "--save", where],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1].startswith("model.py: error: --save: ")
    assert done.stdout == ""  # refused before any training

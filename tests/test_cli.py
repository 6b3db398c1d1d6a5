"""The command line end to end: train, gradcheck, graph wiring, the window, bad arguments."""

import json
import subprocess
import sys
import types

import pytest

from mgdesk.cli import main
from mgdesk.io import load_session

DEMO = (
    "train --dataset moons --samples 100 --noise 0.1 --seed 1337 --layers 16,16 "
    "--activation relu --loss hinge --l2 1e-4 --lr 1.0 --lr-decay linear --steps 100 "
    "--test-split 0"
).split()
SMALL = "train --samples 40 --layers 4,4 --steps 10 --quiet".split()


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]


def test_micrograds_demo_recipe_reaches_100_percent(capsys):
    assert main([*DEMO, "--json"]) == 0
    out, err = capsys.readouterr()
    lines = json_lines(out)
    assert len(lines) == 101
    for key in ("step", "train_loss", "train_acc", "test_loss", "test_acc", "ms_per_step"):
        assert all(key in line for line in lines)
    assert [line["step"] for line in lines[:-1]] == list(range(1, 101))
    final = lines[-1]
    assert final["final"] is True and final["status"] == "done" and final["failure"] is None
    assert final["step"] == 100 and final["train_acc"] == 1.0 and lines[-2]["train_acc"] == 1.0
    assert final["test_acc"] is None
    assert "100/100" in err and "[########################]" in err  # the progress bar


def test_plain_output_is_a_summary_line(capsys):
    assert main(SMALL) == 0
    out, err = capsys.readouterr()
    assert out.startswith("step 10: train loss ") and "test accuracy" in out
    assert err == ""  # --quiet


def test_save_then_load_continues(tmp_path, capsys):
    path = tmp_path / "run.json"
    assert main([*SMALL, "--save", str(path)]) == 0
    first = load_session(path)
    assert len(first.history) == 10 and first.config.layers == (4, 4)
    assert main(["train", "--load", str(path), "--steps", "5", "--quiet", "--save", str(path)]) == 0
    second = load_session(path)
    assert [s.step for s in second.history] == list(range(1, 16))
    assert second.history[:10] == first.history and second.config.steps == 15
    assert main(["train", "--load", str(path), "--layers", "8", "--quiet"]) == 2
    assert "--layers: a loaded network keeps its layers" in capsys.readouterr().err


def test_train_on_a_csv_and_write_history_and_script(tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_text("x1,x2,label\n" + "".join(f"{i / 10},{i % 3},{i % 2}\n" for i in range(20)))
    history, script = tmp_path / "h.csv", tmp_path / "again.py"
    args = ["--csv", str(data), "--history", str(history), "--export", str(script), "--json"]
    assert main([*SMALL, *args]) == 0
    final = json_lines(capsys.readouterr().out)[-1]
    assert final["step"] == 10
    assert len(history.read_text().splitlines()) == 11
    assert "X = [" in script.read_text()


def test_a_diverging_run_exits_1_with_the_hint(capsys, tmp_path):
    path = tmp_path / "run.json"
    code = main([*SMALL, "--lr", "1e6", "--lr-decay", "none", "--steps", "200", "--json",
                 "--save", str(path)])  # fmt: skip
    assert code == 1
    out, err = capsys.readouterr()
    final = json_lines(out)[-1]
    assert final["status"] == "failed" and "became" in final["failure"]["reason"]
    assert "learning rate is too high" in err and "Traceback" not in err
    assert not path.exists()  # nothing diverged is saved


@pytest.mark.parametrize(
    "args, words",
    [
        (["--layers", "0"], "--layers: each hidden layer needs 1 to 256 neurons (got 0)"),
        (["--layers", "-3"], "--layers: each hidden layer needs 1 to 256 neurons (got -3)"),
        (["--layers", "a,b"], "--layers: 'a' is not a whole number"),
        (["--layers", "10000"], "(got 10000)"),
        (["--lr", "nan"], "--lr: must be a number above 0"),
        (["--lr", "0"], "--lr: must be a number above 0"),
        (["--batch-size", "1000"], "--batch-size: must be at most 32"),
        (["--test-split", "1"], "--test-split: must be a number at least 0 and below 1"),
        (["--activation", "relu,tanh,relu"], "--activation: give one name, or one per"),
        (["--csv", "/no/such/file.csv"], "--csv: file.csv: cannot read the file"),
        (["--load", "/no/such/run.json"], "cannot read /no/such/run.json"),
        (["--samples", "x"], "argument --samples: invalid int value: 'x'"),
        (["--loss", "l1"], "argument --loss: invalid choice: 'l1'"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(capsys, args, words):
    assert main([*SMALL, *args]) == 2
    out, err = capsys.readouterr()
    assert words in err and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("mgdesk train: error: ")


def test_a_foreign_session_file_exits_2(tmp_path, capsys):
    path = tmp_path / "notes.json"
    path.write_text('{"hello": 1}')
    assert main(["train", "--load", str(path)]) == 2
    assert capsys.readouterr().err == (
        'mgdesk train: error: notes.json is not a mgdesk session (no "format": "mgdesk-session")\n'
    )


def test_gradcheck_passes_and_reports_the_error(capsys):
    assert main(["gradcheck", "--layers", "4,4", "--activation", "tanh"]) == 0
    out = capsys.readouterr().out
    assert "finite differences" in out and "max relative error" in out
    assert "fast path vs Value graph" in out and "PyTorch float64" in out
    assert out.strip().endswith("OK")


@pytest.mark.parametrize("option", ["--eps", "--tolerance"])
def test_gradcheck_steps_must_be_positive(capsys, option):
    assert main(["gradcheck", option, "0"]) == 2
    assert f"argument {option}: must be a number above 0" in capsys.readouterr().err


def test_gradcheck_exits_1_above_the_tolerance(capsys):
    assert main(["gradcheck", "--layers", "3", "--tolerance", "1e-30"]) == 1
    assert "ABOVE THE LIMIT" in capsys.readouterr().out


def test_gradcheck_compares_with_pytorch_when_installed(capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")
    for loss in ("hinge", "mse", "bce"):
        assert main(["gradcheck", "--layers", "3,2", "--activation", "relu", "--loss", loss]) == 0
        line = next(x for x in capsys.readouterr().out.splitlines() if "PyTorch" in x)
        assert line.split()[-1] == "ok"


def test_no_command_opens_the_window(monkeypatch):
    calls = []
    fake = types.ModuleType("mgdesk.gui.app")
    fake.run = lambda argv=None: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "mgdesk.gui.app", fake)
    assert main([]) == 0 and calls == [[]]


def test_graph_is_delegated_to_the_viz_command(monkeypatch):
    seen = []
    fake = types.ModuleType("mgdesk.viz.command")

    def add_graph_parser(subparsers):
        parser = subparsers.add_parser("graph")
        parser.add_argument("--out")
        return parser

    fake.add_graph_parser = add_graph_parser
    fake.run_graph = lambda args: seen.append(args.out) or 0
    monkeypatch.setitem(sys.modules, "mgdesk.viz.command", fake)
    assert main(["graph", "--out", "g.svg"]) == 0 and seen == ["g.svg"]


def test_graph_without_the_viz_command_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mgdesk.viz.command", None)  # import fails
    assert main(["graph", "--out", "g.svg"]) == 1
    assert "graph command is not available" in capsys.readouterr().err


def test_python_dash_m_mgdesk_train(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mgdesk", *SMALL, "--json"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json_lines(done.stdout)[-1]["step"] == 10


def test_python_dash_m_mgdesk_bad_argument_has_no_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mgdesk", "train", "--layers", "0"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_ctrl_c_stops_saves_and_exits_130(tmp_path, monkeypatch, capsys):
    from mgdesk.train import Trainer

    step_once = Trainer.step_once

    def interrupted_at_step_4(self):
        if self.step == 3:
            raise KeyboardInterrupt
        return step_once(self)

    monkeypatch.setattr(Trainer, "step_once", interrupted_at_step_4)
    path = tmp_path / "run.json"
    assert main([*SMALL, "--json", "--save", str(path)]) == 130
    final = json_lines(capsys.readouterr().out)[-1]
    assert final["status"] == "interrupted" and final["step"] == 3
    assert len(load_session(path).history) == 3


def test_progress_bar_redraws_in_place_on_a_terminal():
    import io

    from mgdesk.cli import Progress
    from mgdesk.train import TrainConfig, train

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress(5, stream)
    for stats in train(TrainConfig(samples=20, layers=(2,), steps=5)):
        progress.update(stats)
    progress.close()
    text = stream.getvalue()
    assert text.startswith("\r[") and text.endswith("\n") and text.count("\n") == 1
    assert "5/5" in text.rsplit("\r", 1)[-1]


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("mgdesk ")

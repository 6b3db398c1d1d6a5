"""The command line end to end: train, gradcheck, graph wiring, the window, bad arguments."""

import dataclasses
import json
import math
import os
import signal
import stat
import subprocess
import sys
import time
import types

import pytest

from mgdesk.cli import main
from mgdesk.io import SessionError, load_session
from mgdesk.train import TrainConfig

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
    assert main(["train", "--layers", "4,4", "--steps", "10", "--quiet", *args]) == 0
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
    assert not path.exists()  # nothing diverged is saved, and it says so
    assert f"--save: {path} not written: the run diverged" in err


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
        (["--csv", "/no/such/file.csv", "--samples", "40"], "--samples: does not go with --csv"),
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
    assert f"argument {option}: must be a number above " in capsys.readouterr().err


def test_gradcheck_exits_1_above_the_tolerance(capsys):
    # a large step makes the central difference visibly wrong for tanh: the report says so
    assert main(["gradcheck", "--layers", "3", "--eps", "1e-3", "--tolerance", "1e-8"]) == 1
    out = capsys.readouterr().out
    assert "ABOVE THE LIMIT" in out and "try a smaller --eps (1e-5)" in out


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


def test_graph_is_delegated_to_its_module(monkeypatch):
    seen = []
    fake = types.ModuleType("mgdesk.cli.graph")

    def add_graph_parser(subparsers):
        parser = subparsers.add_parser("graph")
        parser.add_argument("--out")
        return parser

    fake.add_graph_parser = add_graph_parser
    fake.run_graph = lambda args: seen.append(args.out) or 0
    monkeypatch.setitem(sys.modules, "mgdesk.cli.graph", fake)
    assert main(["graph", "--out", "g.svg"]) == 0 and seen == ["g.svg"]


def test_graph_without_its_module_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mgdesk.cli.graph", None)  # import fails
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


def ctrl_c_in_the_middle_of_an_update(monkeypatch, at_step, presses=1):
    """Press Ctrl-C `presses` times while step `at_step`'s update is half done."""
    from mgdesk.train.optim import SGD

    step = SGD.step
    done = []

    def half_then_ctrl_c(self, lr):
        done.append(1)
        if len(done) != at_step:
            return step(self, lr)
        whole = (self.params, self.velocity, self.grad)  # grad: the fast path's array
        half = len(self.params) // 2
        for k, part in enumerate((slice(None, half), slice(half, None))):
            self.params, self.velocity, self.grad = (w if w is None else w[part] for w in whole)
            step(self, lr)  # momentum 0: the two halves, as one step would
            for _ in range(presses if k == 0 else 0):
                signal.raise_signal(signal.SIGINT)
        self.params, self.velocity, self.grad = whole

    monkeypatch.setattr(SGD, "step", half_then_ctrl_c)


def test_ctrl_c_stops_between_steps_saves_a_whole_step_and_exits_130(tmp_path, monkeypatch,
                                                                      capsys):  # fmt: skip
    ctrl_c_in_the_middle_of_an_update(monkeypatch, at_step=4)
    path = tmp_path / "run.json"
    assert main([*SMALL, "--json", "--save", str(path)]) == 130
    out, err = capsys.readouterr()
    final = json_lines(out)[-1]
    assert final["status"] == "interrupted" and final["step"] == 4
    assert "stopping after this step (Ctrl-C again to abort)" in err
    monkeypatch.undo()
    from mgdesk.train import TrainConfig, Trainer

    clean = Trainer(TrainConfig(samples=40, layers=(4, 4), steps=10))
    for _ in range(4):
        clean.step_once()
    saved = load_session(path)
    assert len(saved.history) == 4
    assert saved.model.to_dict() == clean.model.to_dict()  # whole steps, not half-updated


def test_a_second_ctrl_c_aborts_and_saves_nothing(tmp_path, monkeypatch, capsys):
    ctrl_c_in_the_middle_of_an_update(monkeypatch, at_step=4, presses=2)
    path = tmp_path / "run.json"
    assert main([*SMALL, "--json", "--save", str(path)]) == 130
    out, err = capsys.readouterr()
    assert json_lines(out)[-1]["status"] == "aborted"
    assert f"--save: {path} not written: a second Ctrl-C stopped it inside a step" in err
    assert not path.exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_progress_bar_redraws_in_place_on_a_terminal():
    import io

    from mgdesk.cli.train import Progress
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


# ---- crafted session files ----


@pytest.mark.parametrize(
    "old, new, words",
    [
        ('"lr": 1.0', '"lr": ' + "9" * 400, "bad settings: lr: must be a number"),
        ('"nin": 2', '"nin": 1e999', "bad model"),
        ('"weights": [[[', '"weights": [[[' + "9" * 400 + ", ", "bad model"),
    ],
)
def test_a_crafted_session_exits_2_with_one_line(tmp_path, capsys, old, new, words):
    path = tmp_path / "x.json"
    assert main([*SMALL, "--save", str(path)]) == 0
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    capsys.readouterr()
    assert main(["train", "--load", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mgdesk train: error: x.json: ") and words in err
    assert err.count("\n") == 1


# ---- --load: how many steps, the learning rate, momentum, what may change ----


def saved_run(tmp_path, *args):
    path = tmp_path / "run.json"
    assert main([*SMALL, "--save", str(path), *args]) == 0
    return path


def test_each_load_without_steps_trains_the_first_runs_length_again(tmp_path):
    path = saved_run(tmp_path)
    for total in (20, 30, 40):
        assert main(["train", "--load", str(path), "--quiet", "--save", str(path)]) == 0
        session = load_session(path)
        assert session.config.steps == session.history[-1].step == len(session.history) == total


def test_a_load_without_steps_finishes_an_interrupted_run(tmp_path, monkeypatch):
    ctrl_c_in_the_middle_of_an_update(monkeypatch, at_step=4)
    path = tmp_path / "run.json"
    assert main([*SMALL, "--save", str(path)]) == 130
    monkeypatch.undo()
    assert main(["train", "--load", str(path), "--quiet", "--save", str(path)]) == 0
    resumed = load_session(path)
    whole = tmp_path / "whole.json"
    assert main([*SMALL, "--save", str(whole)]) == 0
    assert len(resumed.history) == 10 and resumed.config.steps == 10
    assert resumed.model.to_dict() == load_session(whole).model.to_dict()


def test_the_learning_rate_decay_goes_on_where_it_was(tmp_path):
    path = saved_run(tmp_path)
    assert main(["train", "--load", str(path), "--steps", "5", "--quiet", "--save", str(path)]) == 0
    lrs = [s.lr for s in load_session(path).history]
    assert lrs[:10] == pytest.approx([1 - 0.9 * k / 10 for k in range(10)])
    assert lrs[10:] == pytest.approx([0.1] * 5)  # no jump back up to 0.55
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_momentum_continues_as_if_the_run_had_not_stopped(tmp_path):
    args = ["--momentum", "0.9", "--lr", "0.05", "--lr-decay", "none"]
    path = saved_run(tmp_path, *args)
    assert (
        main(["train", "--load", str(path), "--steps", "10", "--quiet", "--save", str(path)]) == 0
    )
    whole = tmp_path / "whole.json"
    assert main([*SMALL, *args, "--steps", "20", "--save", str(whole)]) == 0
    assert load_session(path).model.to_dict() == load_session(whole).model.to_dict()


def test_the_script_exported_after_a_load_reproduces_that_run(tmp_path, capsys):
    path = saved_run(tmp_path, "--momentum", "0.5")
    capsys.readouterr()
    script = tmp_path / "again.py"
    args = ["train", "--load", str(path), "--steps", "5", "--json", "--export", str(script)]
    assert main(args) == 0
    final = json_lines(capsys.readouterr().out)[-2]
    assert final["step"] == 15
    assert "continued a session saved after step 10" in script.read_text()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert f"step 15 loss {final['train_loss']:.6f}" in done.stdout
    assert float(done.stdout.rsplit("exported: ", 1)[1]) < 1e-9


@pytest.mark.parametrize(
    "args, words",
    [
        (["--activation", "tanh"], "--activation: a loaded network keeps its layers"),
        (["--layers", "8"], "--layers: a loaded network keeps its layers"),
        (["--seed", "5"], "--seed: a loaded session keeps its data (saved: 1337)"),
        (["--samples", "41"], "--samples: a loaded session keeps its data (saved: 40)"),
        (["--noise", "0.3"], "--noise: a loaded session keeps its data"),
        (["--steps", "0"], "--steps: with --load, the steps to add must be at least 1"),
    ],
)
def test_a_load_refuses_options_that_change_the_data_or_network(tmp_path, capsys, args, words):
    path = saved_run(tmp_path)
    capsys.readouterr()
    assert main(["train", "--load", str(path), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_a_load_accepts_the_saved_values_and_training_options(tmp_path):
    path = saved_run(tmp_path)
    same = ["--seed", "1337", "--samples", "40", "--layers", "4,4", "--activation", "relu"]
    assert main(["train", "--load", str(path), "--quiet", "--steps", "2", *same]) == 0
    assert main(["train", "--load", str(path), "--quiet", "--steps", "2", "--lr", "0.3"]) == 0


# ---- output files ----


@pytest.mark.parametrize("flag", ["--save", "--history", "--export"])
def test_an_unwritable_output_fails_before_training(tmp_path, capsys, flag):
    for path in ("/nonexistent/dir/x.out", str(tmp_path)):
        assert main([*SMALL, "--json", flag, path]) == 2
        out, err = capsys.readouterr()
        assert out == ""  # not one step was trained
        assert (
            err.startswith(f"mgdesk train: error: {flag}: cannot write ") and err.count("\n") == 1
        )


def test_one_failed_output_does_not_stop_the_others(tmp_path, capsys, monkeypatch):
    import mgdesk.cli.train
    from mgdesk.io import SessionError

    def disk_full(path, history):
        raise SessionError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(mgdesk.cli.train, "write_history_csv", disk_full)
    files = {flag: tmp_path / name for flag, name in
             [("--history", "h.csv"), ("--save", "s.json"), ("--export", "e.py")]}  # fmt: skip
    args = [x for flag, path in files.items() for x in (flag, str(path))]
    assert main([*SMALL, *args]) == 1  # a failure after the run, not a bad argument (2)
    assert "--history: cannot write" in capsys.readouterr().err
    assert files["--save"].exists() and files["--export"].exists()


# ---- small things ----


def json_into_head_1(tmp_path, *args):
    """Run `mgdesk ARGS --json --quiet | head -1`: the first line, then a closed stdout;
    it exits 141 without a word."""
    with subprocess.Popen(
        [sys.executable, "-m", "mgdesk", *args, "--json", "--quiet", "--samples", "20",
         "--layers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    ) as child:  # fmt: skip
        assert json.loads(child.stdout.readline())["step"] == 1
        child.stdout.close()  # as `| head -1` does
        assert child.wait(timeout=60) == 141
        assert child.stderr.read() == b""


def test_json_into_a_closed_pipe_exits_quietly(tmp_path):
    json_into_head_1(tmp_path, "train", "--steps", "2000")


def test_options_before_a_command_say_where_they_go(capsys):
    assert main(["--samples", "5"]) == 2
    assert capsys.readouterr().err == (
        "mgdesk: error: options go after a command, e.g. mgdesk train --samples 5\n"
    )


def test_empty_layer_sizes_and_csv_options_are_refused(tmp_path, capsys):
    assert main([*SMALL, "--layers", "1,,2"]) == 2
    assert "--layers: '1,,2' has an empty size between commas" in capsys.readouterr().err
    data = tmp_path / "d.csv"
    data.write_text("1,2,1\n3,4,0\n5,6,1\n7,8,0\n")
    for option, value in [("--noise", "0.2"), ("--dataset", "xor"), ("--samples", "9")]:
        assert main(["train", "--csv", str(data), option, value, "--quiet"]) == 2
        assert f"{option}: does not go with --csv" in capsys.readouterr().err
    assert main(["train", "--csv", "/no/such/file.csv"]) == 2
    assert "--csv: file.csv: cannot read the file" in capsys.readouterr().err


def test_huge_data_gets_a_hint_to_scale_it(tmp_path, capsys):
    data = tmp_path / "huge.csv"
    data.write_text("1e300,1e300,1\n-1e300,1,0\n1,1,1\n2,2,0\n")
    assert main(["train", "--csv", str(data), "--test-split", "0", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "at step 1" in err and "scale the data" in err and "learning rate" not in err


def test_the_value_engine_has_its_own_work_limit(capsys):
    assert main(["train", "--engine", "value", "--samples", "3000", "--quiet"]) == 2
    assert "--engine: " in capsys.readouterr().err


# ---- gradcheck: bounded, honest at ReLU kinks, interruptible ----


@pytest.mark.parametrize("seed", ["3", "5", "7", "10"])
def test_gradcheck_skips_relu_kinks_instead_of_failing(capsys, seed):
    args = ["gradcheck", "--layers", "4,4", "--activation", "relu", "--samples", "20"]
    assert main([*args, "--seed", seed]) == 0
    out = capsys.readouterr().out
    assert "parameters skipped by finite differences: a ReLU input is at its kink" in out


def test_gradcheck_checks_a_seeded_subset_of_a_big_network_quickly(capsys):
    start = time.monotonic()
    assert main(["gradcheck", "--layers", "64,64", "--activation", "relu"]) == 0
    assert time.monotonic() - start < 20  # was minutes; ~1 s here
    out = capsys.readouterr().out
    assert "finite differences checked 300 of 4,417 parameters" in out
    args = ["gradcheck", "--samples", "30", "--samples-checked", "5", "--params-checked", "7"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "over 5 of 30 moons points" in out and "checked 7 of 37 parameters" in out


def test_gradcheck_refuses_networks_it_cannot_check_in_seconds(capsys):
    assert main(["gradcheck", "--layers", "256,256,256"]) == 2
    assert "--layers: gradcheck takes networks of up to 70,000 weights" in capsys.readouterr().err


def test_ctrl_c_during_gradcheck_exits_130(capsys, monkeypatch):
    import mgdesk.cli.gradcheck

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mgdesk.cli.gradcheck, "check_network", interrupted)
    assert main(["gradcheck"]) == 130
    assert capsys.readouterr().err == "mgdesk gradcheck: error: interrupted\n"


@pytest.mark.parametrize("eps", ["1e300", "inf", "nan", "1e-300", "2", "1", "1e-2"])
def test_gradcheck_refuses_an_absurd_eps_with_its_range(capsys, eps):
    # up to 1, `--eps 1` failed correct gradients: a central difference that wide is off
    assert main(["gradcheck", "--eps", eps]) == 2
    err = capsys.readouterr().err
    assert f"--eps: must be a number above 1e-10 and at most 0.001 (got {eps})" in err


@pytest.mark.parametrize(
    "tolerance, eps", [("5e-324", "1e-5"), ("1e-12", "1e-5"), ("1e-7", "1e-9")]
)
def test_gradcheck_refuses_a_tolerance_below_what_rounding_lets_it_see(capsys, tolerance, eps):
    # such a check said OK: every difference was within the rounding noise, never counted
    assert main(["gradcheck", "--tolerance", tolerance, "--eps", eps]) == 2
    err = capsys.readouterr().err
    assert f"--tolerance: at --eps {float(eps):g}, finite differences cannot resolve" in err
    assert err.count("\n") == 1


def test_gradcheck_blames_rounding_on_eps_and_the_loss_not_the_loss_alone(capsys):
    assert main(["gradcheck", "--eps", "1e-9"]) == 0
    out = capsys.readouterr().out
    assert "the loss is large" not in out
    assert "their rounding noise at loss 1.38 and eps 1e-09, were not counted" in out


def test_gradcheck_refuses_a_tolerance_that_accepts_anything(capsys):
    assert main(["gradcheck", "--tolerance", "1e300"]) == 2
    assert "--tolerance: must be a number above 0 and at most 1" in capsys.readouterr().err


def test_a_nan_error_fails_the_gradcheck(capsys, monkeypatch):
    import mgdesk.viz.gradcheck

    def nan_loss(*args):
        return lambda: (math.nan, ())

    monkeypatch.setattr(mgdesk.viz.gradcheck, "float_loss", nan_loss)
    assert main(["gradcheck"]) == 1  # an error of NaN is never within a limit
    out = capsys.readouterr().out
    assert out.strip().endswith("FAILED") and "\nOK" not in out


def test_gradcheck_is_not_held_to_the_training_work_limit(capsys):
    # training 96,96 on 10,000 points per step is refused; gradcheck looks at a few of them
    assert main(["train", "--layers", "96,96", "--samples", "10000", "--quiet"]) == 2
    assert "use smaller layers, fewer samples or a batch size" in capsys.readouterr().err
    assert main(["gradcheck", "--layers", "96,96", "--samples", "10000"]) == 0
    assert "over 15 of 10000 moons points" in capsys.readouterr().out  # the budget's share


def test_gradcheck_help_shows_its_own_defaults(capsys):
    assert main(["gradcheck", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "points to generate, 2-10000 (8)" in out
    assert "(4,4)" in out and "one per hidden layer (tanh)" in out
    assert "(16,16)" not in out and "(100)" not in out
    assert main(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "points to generate, 2-10000 (100)" in out and "(16,16)" in out


# ---- paths: empty, inputs vs outputs, links, devices, stdout ----


@pytest.mark.parametrize("flag", ["--save", "--csv", "--load", "--history", "--export"])
def test_an_empty_path_is_refused(capsys, flag):
    assert main([*SMALL, flag, ""]) == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: needs a file name (got an empty one)" in err and err.count("\n") == 1


def points_csv(tmp_path, name="pts.csv", rows=40):
    data = tmp_path / name
    data.write_text("".join(f"{i / 7:.3f},{(i * 3) % 5},{i % 2}\n" for i in range(rows)))
    return data


@pytest.mark.parametrize(
    "make_args, words",
    [
        (lambda d, s: ["--csv", d, "--history", d], "--history: {d} is also the --csv file"),
        (lambda d, s: ["--load", s, "--history", s], "--history: {s} is also the --load file"),
        (lambda d, s: ["--load", s, "--export", s], "--export: {s} is also the --load file"),
        (lambda d, s: ["--csv", d, "--save", d], "--save: {d} is also the --csv file"),
        (
            lambda d, s: ["--save", d + ".json", "--history", d + ".json"],
            "--history: {d}.json is also the --save file",
        ),
    ],
)
def test_an_output_that_is_an_input_or_another_output_is_refused(tmp_path, capsys, make_args,
                                                                  words):  # fmt: skip
    data = points_csv(tmp_path)
    session = tmp_path / "r.json"
    assert main([*SMALL, "--save", str(session)]) == 0
    before = {p: p.read_bytes() for p in (data, session)}
    capsys.readouterr()
    args = make_args(str(data), str(session))
    if "--load" in args:
        args = ["train", "--quiet", *args]
    elif "--csv" in args:
        args = ["train", "--layers", "2", "--steps", "2", "--quiet", *args]
    else:
        args = [*SMALL, *args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words.format(d=data, s=session) in err and err.count("\n") == 1
    assert {p: p.read_bytes() for p in (data, session)} == before


def test_a_hard_link_or_symlink_to_an_input_is_the_same_file(tmp_path, capsys):
    data = points_csv(tmp_path)
    (tmp_path / "hard.csv").hardlink_to(data)
    (tmp_path / "soft.csv").symlink_to(data)
    for other in ("hard.csv", "soft.csv"):
        args = ["train", "--csv", str(data), "--layers", "2", "--steps", "2", "--quiet"]
        assert main([*args, "--history", str(tmp_path / other)]) == 2
        assert "is also the --csv file" in capsys.readouterr().err
    assert len(data.read_text().splitlines()) == 40


def test_save_may_replace_the_session_it_continues(tmp_path):
    path = tmp_path / "run.json"
    assert main([*SMALL, "--save", str(path)]) == 0
    assert main(["train", "--load", str(path), "--quiet", "--save", str(path)]) == 0
    assert len(load_session(path).history) == 20


def test_saving_never_touches_an_unrelated_tmp_file(tmp_path):
    mine = tmp_path / "run.json.tmp"
    mine.write_text("my notes")
    assert main([*SMALL, "--save", str(tmp_path / "run.json")]) == 0
    assert mine.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json", "run.json.tmp"]


@pytest.mark.parametrize("flag", ["--save", "--history", "--export"])
def test_an_output_is_written_through_a_symlink(tmp_path, flag):
    real = tmp_path / "real.out"
    real.write_text("old")
    link = tmp_path / "link.out"
    link.symlink_to(real)
    assert main([*SMALL, flag, str(link)]) == 0
    assert link.is_symlink() and real.read_text() != "old"


@pytest.mark.parametrize("flag", ["--save", "--history", "--export"])
def test_an_output_that_is_not_a_regular_file_is_refused(tmp_path, capsys, flag):
    # a named pipe stands for /dev/full: before the fix, saving replaced either with a file
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert main([*SMALL, "--json", flag, str(pipe)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and stat.S_ISFIFO(pipe.lstat().st_mode)
    assert f"{flag}: cannot write {pipe}: it is a device, pipe or socket, not a file" in err


def test_history_dash_writes_the_csv_to_stdout(capsys):
    assert main([*SMALL, "--history", "-"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("step,train_loss,") and len(lines) == 11
    assert err.startswith("step 10: train loss ")  # the summary moved out of the way
    assert main([*SMALL, "--history", "-", "--json"]) == 2
    assert "--history -: --json writes to stdout too" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--load", "--csv"])
def test_reading_a_device_or_a_folder_is_refused_at_once(capsys, flag, tmp_path):
    for path in ("/dev/zero", str(tmp_path)):
        start = time.monotonic()
        assert main(["train", flag, path, "--quiet"]) == 2
        assert time.monotonic() - start < 5  # /dev/zero was read until MemoryError
        err = capsys.readouterr().err
        assert "device, pipe or socket" in err or "it is a folder" in err
        assert err.count("\n") == 1


def test_csv_slash_names_the_path_it_cannot_read(capsys):
    assert main(["train", "--csv", "/", "--quiet"]) == 2
    assert (
        capsys.readouterr().err
        == "mgdesk train: error: --csv: /: cannot read the file (it is a folder)\n"
    )


# ---- streams: closed stderr, a full stdout, control characters ----


def run_shell(command, tmp_path):
    done = subprocess.run(
        ["sh", "-c", f"{sys.executable} -m mgdesk {command}"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    return done


def test_training_with_stderr_closed_still_works(tmp_path):
    done = run_shell("train --samples 40 --layers 2 --steps 20 2>&-", tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("step 20: train loss ")
    done = run_shell("train --layers 0 2>&-", tmp_path)  # an error has nowhere to go
    assert done.returncode == 2 and done.stdout == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("extra", ["", "--json", "--history -"])
def test_a_full_stdout_is_one_line_on_stderr(tmp_path, extra):
    done = run_shell(
        f"train --samples 40 --layers 2 --steps 5 --quiet {extra} >/dev/full", tmp_path
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.endswith(
        "mgdesk train: error: cannot write the output (No space left on device)\n"
    )
    assert done.stderr.count("\n") == (2 if extra == "--history -" else 1)  # + the summary


def test_control_characters_from_a_file_are_escaped(tmp_path, capsys):
    data = tmp_path / "evil.csv"
    data.write_text("1,2,1\n3,\x1b[2J\x07,0\n")
    assert main(["train", "--csv", str(data), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and err.count("\n") == 1
    assert "\\x1b[2J\\x07" in err
    named = tmp_path / "bell\x07.json"
    named.write_text("{}")
    assert main(["train", "--load", str(named), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bell\\x07.json is not a mgdesk session" in err and "\x07" not in err


def session_at_step(tmp_path, step):
    """A small saved session whose last step is `step` (its run was `step` steps long)."""
    import dataclasses

    from mgdesk.io import save_session

    path = saved_run(tmp_path)
    session = load_session(path)
    last = dataclasses.replace(session.history[-1], step=step)
    config = session.config.replace(steps=step)
    save_session(path, config, session.model, [*session.history[:-1], last])
    return path


def test_continuing_a_session_at_the_step_limit_says_so(tmp_path, capsys):
    path = session_at_step(tmp_path, 1_000_000)
    capsys.readouterr()
    assert main(["train", "--load", str(path), "--steps", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "mgdesk train: error: --load: the session has 1,000,000 steps, the limit: it cannot "
        "be trained further\n"
    )


def test_continuing_near_the_step_limit_names_the_room_left(tmp_path, capsys):
    path = session_at_step(tmp_path, 999_990)
    capsys.readouterr()
    assert main(["train", "--load", str(path), "--steps", "11", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--steps: the session is at step 999,990: at most 10 more fit" in err
    assert "(got 11)" in err and "1000001" not in err and "1,000,001" not in err
    assert main(["train", "--load", str(path), "--quiet", "--save", str(path)]) == 0
    assert load_session(path).history[-1].step == 1_000_000  # as far as the limit allows


def test_a_loss_that_overflows_is_not_blamed_on_the_weights(tmp_path, capsys):
    data = tmp_path / "big.csv"
    data.write_text("1e200,1e200,1\n-1e200,1,0\n1,1,1\n2,2,0\n")
    args = ["train", "--csv", str(data), "--test-split", "0", "--loss", "mse", "--quiet"]
    assert main(args) == 1
    captured = capsys.readouterr()  # one account of it: the error line, no summary
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "overflow" in captured.err and "weights" not in captured.err


def test_a_csv_session_continues_anywhere_with_the_same_numbers(tmp_path, monkeypatch):
    data = points_csv(tmp_path, rows=40)
    args = ["train", "--csv", str(data), "--layers", "4", "--lr-decay", "none", "--quiet"]
    whole = tmp_path / "whole.json"
    assert main([*args, "--steps", "15", "--save", str(whole)]) == 0
    first = tmp_path / "first.json"
    assert main([*args, "--steps", "10", "--save", str(first)]) == 0
    data.write_text("1,1,1\n2,2,0\n")  # the CSV changed since, and the session moves away
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = elsewhere / "run.json"
    first.rename(moved)
    monkeypatch.chdir(elsewhere)
    assert (
        main(["train", "--load", "run.json", "--steps", "5", "--quiet", "--save", "run.json"]) == 0
    )
    resumed, reference = load_session(moved), load_session(whole)
    assert resumed.model.to_dict() == reference.model.to_dict()
    assert resumed.data == reference.data and resumed.data.name == "pts.csv"


# ---- hardening, second pass: old sessions' CSV, pipes, lost streams, stdout for files ----


def version_2_session(folder, csv_name="p.csv"):
    """A version-2 session saved in `folder` (no points of its own: it names its CSV, by a
    path relative to where it was trained) next to that CSV."""
    folder.mkdir(exist_ok=True)
    points_csv(folder, csv_name)
    path = folder / "c2.json"
    args = ["train", "--csv", csv_name, "--layers", "2", "--steps", "3", "--quiet"]
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        assert main([*args, "--save", path.name]) == 0
    finally:
        os.chdir(cwd)
    doc = json.loads(path.read_text())
    history = load_session(path).history
    doc.update(version=2, history=[s.to_dict() for s in history])
    del doc["data"]
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("flag", ["--history", "--save", "--export"])
def test_an_old_sessions_csv_is_an_input_too(tmp_path, capsys, flag):
    session = version_2_session(tmp_path)
    data = tmp_path / "p.csv"
    before = data.read_bytes()
    assert main(["train", "--load", str(session), "--quiet", flag, str(data)]) == 2
    err = capsys.readouterr().err
    assert f"{flag}: {data} is also the --load session's CSV file (an input)" in err
    assert data.read_bytes() == before


def test_an_old_session_reads_its_csv_next_to_it_wherever_mgdesk_runs(tmp_path, monkeypatch):
    session = version_2_session(tmp_path / "moved")
    other = tmp_path / "other"
    other.mkdir()
    (other / "p.csv").write_text("0,0,0\n1,1,1\n2,2,0\n3,3,1\n")  # a different p.csv
    monkeypatch.chdir(other)
    saved = tmp_path / "s.json"
    assert main(["train", "--load", "../moved/c2.json", "--quiet", "--save", str(saved)]) == 0
    points = load_session(saved).data
    assert len(points.x_train) + len(points.x_test) == 40  # moved/p.csv's rows, not other's
    (tmp_path / "moved" / "p.csv").unlink()
    with pytest.raises(SessionError, match=r"its points are in p.csv, next to the session"):
        load_session(session)


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--csv", "ff.csv", "--quiet"],
        ["train", "--load", "ff.csv", "--quiet"],
        ["graph", "--layers", "2", "--out", "ff.svg"],
        ["train", *SMALL[1:], "--save", "ff.csv"],
    ],
)
def test_a_named_pipe_is_refused_without_waiting(tmp_path, args):
    os.mkfifo(tmp_path / "ff.csv")
    os.mkfifo(tmp_path / "ff.svg")
    done = subprocess.run(
        [sys.executable, "-m", "mgdesk", *args],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and "it is a device, pipe or socket" in done.stderr
    assert done.stderr.count("\n") == 1
    assert all(stat.S_ISFIFO((tmp_path / n).lstat().st_mode) for n in ("ff.csv", "ff.svg"))


def test_a_closed_stderr_pipe_does_not_lose_the_run(tmp_path):
    # the progress bar hit the closed pipe: exit 141, nothing saved
    done = run_shell(
        "train --samples 40 --layers 2 --steps 20000 --save s7.json 2>&1 | head -2", tmp_path
    )
    assert done.stdout.count("\n") == 2 and "/20000" in done.stdout  # the bar's first lines
    assert len(load_session(tmp_path / "s7.json").history) == 20000


def test_a_full_stderr_does_not_lose_the_run(tmp_path):
    full = tmp_path / "full"
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # our own /dev/full
    done = run_shell(f"train --samples 40 --layers 2 --steps 5 --save s5.json 2> {full}", tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("step 5: train loss ")
    assert len(load_session(tmp_path / "s5.json").history) == 5
    assert stat.S_ISCHR(full.lstat().st_mode)


@pytest.mark.parametrize("command", ["train", "compare --vary activation=tanh,relu"])
def test_a_closed_stdout_still_saves(tmp_path, command):
    json_into_head_1(tmp_path, *command.split(), "--steps", "300", "--save", "x.json")
    assert load_session(tmp_path / "x.json").history[-1].step == 300


@pytest.mark.parametrize(
    "args, flag",
    [
        ([*SMALL, "--save", "-"], "--save"),
        ([*SMALL, "--export", "-"], "--export"),
        (["compare", "--vary", "lr=0.1,1", "--steps", "2", "--quiet", "--save", "-"], "--save"),
    ],
)
def test_only_the_history_goes_to_stdout(tmp_path, monkeypatch, capsys, args, flag):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"{flag} -: only --history - writes to stdout" in err
    assert not list(tmp_path.iterdir())  # no file named -


def test_a_save_that_fails_after_the_run_exits_1(tmp_path):
    done = subprocess.run(
        ["sh", "-c", f"ulimit -f 8; {sys.executable} -m mgdesk train --samples 1000 --steps 2 "
         "--quiet --save big.json"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.endswith("--save: cannot write big.json: File too large\n")
    assert not (tmp_path / "big.json").exists()


def test_loading_data_of_another_kind_names_the_saved_data(tmp_path, capsys):
    path = saved_run(tmp_path)
    data = points_csv(tmp_path)
    assert main(["train", "--load", str(path), "--csv", str(data), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "keeps its data (saved: 40 moons points, no CSV)" in err and "None" not in err


@pytest.mark.parametrize("steps", [[5, 2], [1, 1]])
def test_a_session_whose_steps_do_not_rise_is_refused(tmp_path, capsys, steps):
    path = saved_run(tmp_path)
    doc = json.loads(path.read_text())
    entries = [s.to_dict() for s in load_session(path).history][: len(steps)]
    for entry, step in zip(entries, steps):
        entry["step"] = step
    doc.update(version=2, history=entries)
    del doc["data"]
    path.write_text(json.dumps(doc))
    assert main(["train", "--load", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"history entry 2 is step {steps[1]} after step {steps[0]}" in err


def test_a_number_too_long_for_python_is_named_so(tmp_path, capsys):
    path = saved_run(tmp_path)
    path.write_text(path.read_text().replace('"seed": 1337', '"seed": ' + "7" * 4401, 1))
    assert main(["train", "--load", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == "mgdesk train: error: run.json is not a mgdesk session (a number is too long)\n"


def test_the_options_help_is_the_settings_own(capsys):
    assert main(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for f in dataclasses.fields(TrainConfig):
        if f.name not in ("decay_steps", "csv_path"):  # set by --load; --csv FILE
            meta = f.metadata
            text = meta["help"] + (f", {meta['limits'].text()}" if meta["limits"] else "")
            assert text in out, f.name


def test_the_command_line_computes_on_one_blas_thread(capsys):
    """Measured: 64,64 x 1000 takes 4.8 ms a step with OpenBLAS's two threads and 2.4 with
    one (PyTorch 2.9), as the threads spin for a core the machine is busy with."""
    from blas_threads import openblas_thread_functions

    functions = openblas_thread_functions()
    if functions is None:
        pytest.skip("NumPy here does not use a bundled OpenBLAS")
    get, put = functions
    before = get()
    try:
        put(2)
        assert main(["train", "--steps", "1", "--quiet"]) == 0
        assert get() == 1
    finally:
        put(before)

"""`mgdesk graph`: the graph of one sample to .svg, .dot or .png; bad input is one line."""

import argparse
import subprocess
import sys

import pytest

from mgdesk.cli.graph import add_graph_parser, run_graph
from mgdesk.io import save_session
from mgdesk.train import TrainConfig, Trainer, make_dataset
from mgdesk.viz.dot import format_compact


def graph(argv):
    parser = argparse.ArgumentParser(prog="mgdesk")
    add_graph_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["graph", *argv])
    return run_graph(args)


def test_svg_of_one_sample(tmp_path, capsys, svg_reader):
    out = tmp_path / "graph.svg"
    argv = ["--layers", "4,4", "--activation", "tanh", "--sample", "3", "--out", str(out)]
    assert graph(argv) == 0
    nodes, edges = svg_reader(out.read_bytes())
    x = make_dataset(TrainConfig()).x_train[3]
    labels = {texts[0]: texts for texts, _ in nodes.values()}
    assert labels["x1"][1] == f"data {format_compact(x[0])}"
    assert "L2.N4" in labels and edges >= 2 * 4 + 4 * 4 + 4
    assert f"{len(nodes)} nodes; sample 3 x=" in capsys.readouterr().out


def test_open_adds_exactly_that_neurons_records(tmp_path, svg_reader):
    closed, opened = tmp_path / "c.svg", tmp_path / "o.svg"
    assert graph(["--layers", "8,8", "--activation", "tanh", "--out", str(closed)]) == 0
    assert (
        graph(["--layers", "8,8", "--activation", "tanh", "--open", "L1.N2", "--out", str(opened)])
        == 0
    )
    before, _ = svg_reader(closed.read_bytes())
    after, _ = svg_reader(opened.read_bytes())
    assert 20 <= len(before) <= 50  # a few dozen records
    added = sorted(after[k][0][0] for k in after.keys() - before.keys())
    # w1, w2, b, the two products and the sum, each named by what it is (the neuron's
    # output keeps its box and its id, now named `L1.N2 = tanh(Σ)`)
    assert [a for a in added if a.startswith("L1.N2")] == ["L1.N2.b", "L1.N2.w1", "L1.N2.w2"]
    assert added.count("w1·x1") == 1 and "w2·x2" in added and "Σ w·x + b" in added
    assert all(len(after[k][0]) == 3 for k in after.keys() - before.keys())  # name, data, grad


def test_sample_defaults_to_the_worst_point(tmp_path, capsys):
    assert graph(["--layers", "4", "--out", str(tmp_path / "g.svg")]) == 0
    assert "(the worst point)" in capsys.readouterr().out


def test_graph_does_not_apply_the_training_work_limit(tmp_path, capsys):
    out = tmp_path / "g.svg"
    assert graph(["--layers", "64,64", "--samples", "10000", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "worst of the first" in text and out.read_bytes().startswith(b"<svg")
    assert graph(["--layers", "256,256,256", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "graph's limit" in err and "batch size" not in err


@pytest.mark.parametrize("suffix", [".svg", ".png", ".dot"])
def test_a_renderer_that_writes_nothing_is_an_error(tmp_path, capsys, suffix):
    out = tmp_path / f"g{suffix}"
    code = graph(["--layers", "2", "--renderer", "/bin/true", "--out", str(out)])
    if suffix == ".dot":  # no renderer needed
        assert code == 0
        return
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1 and "wrote nothing" in err and "wrote " not in capsys.readouterr().out
    )


def test_dot_and_png(tmp_path):
    dot, png = tmp_path / "g.dot", tmp_path / "g.png"
    assert graph(["--layers", "2", "--open", "all", "--out", str(dot)]) == 0
    assert graph(["--layers", "2", "--out", str(png)]) == 0
    assert dot.read_text().startswith("digraph") and "L1.N2.w1" in dot.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_default_network_gets_the_neuron_view(tmp_path, capsys):
    assert graph(["--out", str(tmp_path / "g.svg")]) == 0
    assert "network view (neurons closed)" in capsys.readouterr().out


def test_load_draws_the_saved_network(tmp_path, svg_reader):
    config = TrainConfig(layers=(3,), activation="tanh", steps=5, seed=7)
    trainer = Trainer(config)
    for _ in range(5):
        trainer.step_once()
    save_session(tmp_path / "run.json", config, trainer.model, trainer.history)
    out = tmp_path / "g.svg"
    assert graph(["--load", str(tmp_path / "run.json"), "--open", "L1", "--out", str(out)]) == 0
    w = trainer.model.layers[0].neurons[2].w[1].data
    labels = {texts[0]: texts for texts, _ in svg_reader(out.read_bytes())[0].values()}
    assert labels["L1.N3.w2"][1] == f"data {format_compact(w)}"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "g.pdf"], "--out: the file must end in .svg, .dot, .png"),
        (["--layers", "a", "--out", "g.svg"], "--layers:"),
        (["--sample", "80", "--out", "g.svg"], "--sample: must be from 0 to 79"),
        (["--renderer", "nowhere", "--out", "g.svg"], "--renderer:"),
        (["--timeout", "-1", "--out", "g.svg"], "--timeout: must be above 0"),
        (["--load", "missing.json", "--out", "g.svg"], "missing.json"),
        (["--sample", "best", "--out", "g.svg"], "--sample: give worst or a point number"),
        (["--open", "L1.N99", "--layers", "4", "--out", "g.svg"], "--open: no neuron or layer"),
        (["--out", "nowhere/g.svg"], "--out: cannot write nowhere/g.svg: no folder nowhere"),
    ],
)
def test_bad_input_is_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert graph(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("mgdesk graph: error: ") and message in err
    assert err.count("\n") == 1 and not list(tmp_path.iterdir())
    assert "csv_path" not in err


def test_load_refuses_to_change_the_network(tmp_path, capsys):
    save_session(
        tmp_path / "run.json", TrainConfig(layers=(2,)), Trainer(TrainConfig(layers=(2,))).model
    )
    assert graph(["--load", str(tmp_path / "run.json"), "--layers", "4", "--out", "g.svg"]) == 2
    assert "--layers: cannot change the network" in capsys.readouterr().err


def test_missing_renderer_and_unwritable_output(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert graph(["--layers", "2", "--renderer", "system", "--out", str(tmp_path / "g.svg")]) == 1
    assert "graphviz-pure" in capsys.readouterr().err
    assert graph(["--layers", "2", "--out", str(tmp_path / "no" / "g.svg")]) == 2
    assert "--out: cannot write " in capsys.readouterr().err


def test_main_runs_the_graph_command(tmp_path):
    from mgdesk.cli import main

    out = tmp_path / "g.svg"
    assert main(["graph", "--layers", "2", "--activation", "relu", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"<svg")


# ---- hardening: --out against --load, atomic writes, renderers that misbehave, messages ----


def saved_session(path, **settings):
    config = TrainConfig(**{"layers": (2,), "steps": 3, **settings})
    trainer = Trainer(config)
    for _ in range(3):
        trainer.step_once()
    save_session(path, config, trainer.model, trainer.history)
    return trainer


def test_out_is_never_the_load_session(tmp_path, capsys):
    session = tmp_path / "run.svg"  # a session under a name graph may write
    saved_session(session)
    before = session.read_bytes()
    assert graph(["--load", str(session), "--out", str(session)]) == 2
    err = capsys.readouterr().err
    assert f"--out: {session} is also the --load file (an input)" in err
    assert session.read_bytes() == before


def test_a_failed_write_keeps_the_old_drawing(tmp_path):
    old = tmp_path / "old.svg"
    old.write_text("my old drawing\n" * 1000)
    done = subprocess.run(
        ["sh", "-c", f"ulimit -f 8; {sys.executable} -m mgdesk graph --layers 4,4 --view ops "
         "--out old.svg"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr == "mgdesk graph: error: cannot write old.svg: File too large\n"
    assert old.read_text() == "my old drawing\n" * 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.svg"]  # no temporary left


def shell_renderer(folder, body):
    path = folder / "dot"
    path.write_text(f"#!/bin/sh\ncat > /dev/null\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_a_runaway_renderer_is_stopped(tmp_path, capsys, monkeypatch):
    import mgdesk.viz.program

    monkeypatch.setattr(mgdesk.viz.program, "MAX_OUTPUT", 1 << 20)
    renderer = shell_renderer(tmp_path, "exec yes")
    out = tmp_path / "g.svg"
    assert graph(["--layers", "2", "--renderer", renderer, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "dot wrote more than 1 MB and was stopped" in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "suffix, body, words",
    [
        (".svg", "printf 'hello'", "did not write SVG"),  # was: "substring not found"
        (".svg", "printf '<svg \\377\\376'", "did not write SVG"),  # was: UnicodeDecodeError
        (".svg", "printf '<svg></svg>'", "the renderer's SVG does not draw this graph"),
        (".png", "printf 'not a png'", "did not write PNG"),  # was: written as g.png, exit 0
    ],
)
def test_garbage_from_the_renderer_is_one_line(tmp_path, capsys, suffix, body, words):
    renderer = shell_renderer(tmp_path, body)
    out = tmp_path / f"g{suffix}"
    assert graph(["--layers", "2", "--renderer", renderer, "--out", str(out)]) == 1
    out_text, err = capsys.readouterr()
    assert words in err and err.count("\n") == 1 and out_text == ""
    assert not out.exists()


def test_control_characters_are_escaped(tmp_path, capsys):
    renderer = shell_renderer(tmp_path, "printf 'bad \\033[2J\\007\\n' >&2; exit 3")
    assert graph(["--layers", "2", "--renderer", renderer, "--out", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert "dot failed: bad \\x1b[2J\\x07" in err and "\x1b" not in err and "\x07" not in err
    assert graph(["--load", str(tmp_path / "bell\x07.json"), "--out", "g.svg"]) == 2
    err = capsys.readouterr().err
    assert "bell\\x07.json" in err and "\x07" not in err and err.count("\n") == 1


def test_an_error_never_goes_to_stdout(tmp_path):
    done = subprocess.run(
        ["sh", "-c", f"{sys.executable} -m mgdesk graph --out g.pdf 2>&-"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""


@pytest.mark.parametrize("flag", ["--load", "--out"])
def test_an_empty_path_is_refused(tmp_path, monkeypatch, capsys, flag):
    from mgdesk.cli import main

    monkeypatch.chdir(tmp_path)
    args = {"--load": ["--load", "", "--out", "g.svg"], "--out": ["--layers", "2", "--out", ""]}
    assert main(["graph", *args[flag]]) == 2  # --load "" drew a fresh network
    assert f"argument {flag}: needs a file name" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["L²", "L" + "1" * 5000, "L١"])
def test_open_with_odd_digits_is_one_line(tmp_path, capsys, name):
    assert graph(["--layers", "2", "--open", name, "--out", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert "--open: no neuron or layer" in err and "int()" not in err and "digits" not in err


def test_the_caption_says_how_to_pick_another_point(tmp_path, capsys):
    from mgdesk.train import sample_loss

    session = tmp_path / "run.json"
    trainer = saved_session(session, layers=(4,), steps=100, lr=1.0)
    for _ in range(97):
        trainer.step_once()
    save_session(session, trainer.config, trainer.model, trainer.history)
    data = trainer.data
    quiet = next(
        i for i, (x, y) in enumerate(zip(data.x_train, data.y_train))
        if sample_loss(trainer.model, x, y, "hinge").data == 0
    )  # fmt: skip
    out = tmp_path / "g.svg"
    assert graph(["--load", str(session), "--sample", str(quiet), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "use --sample with a point near the boundary" in text and "click" not in text


def test_a_csv_session_is_drawn_from_its_own_points(tmp_path, capsys):
    from mgdesk.cli import main

    data = tmp_path / "p.csv"
    data.write_text("".join(f"{i / 7:.3f},{(i * 3) % 5},{i % 2}\n" for i in range(40)))
    session = tmp_path / "s.json"
    args = ["train", "--csv", str(data), "--layers", "2", "--steps", "3", "--quiet"]
    assert main([*args, "--save", str(session)]) == 0
    data.unlink()  # the session holds its points
    assert main(["graph", "--load", str(session), "--out", str(tmp_path / "g.svg")]) == 0
    assert "wrote " in capsys.readouterr().out

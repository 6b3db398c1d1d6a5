"""`mgdesk graph`: the graph of one sample to .svg, .dot or .png; bad input is one line."""

import argparse

import pytest

from mgdesk.io import save_session
from mgdesk.train import TrainConfig, Trainer, make_dataset
from mgdesk.viz.command import add_graph_parser, run_graph
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
    # w1, w2, b, two products and their op, the sum and its op, tanh's op
    assert [a for a in added if a.startswith("L1.N2")] == ["L1.N2.b", "L1.N2.w1", "L1.N2.w2"]
    assert added.count("*") == 2 and "Σ" in added and "tanh" in added
    assert all(
        len(after[k][0]) >= 2
        for k in after.keys() - before.keys()
        if after[k][0][0] not in "*Σtanh"
    )


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
        (["--dataset", "csv", "--out", "g.svg"], "--dataset csv:"),
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

"""Comparisons: variants in lockstep from one start, their figures, the run history, sessions
of a comparison and `mgdesk compare`, whose runs equal `mgdesk train`'s number for number."""

import io
import json
import math
import random
import re
import signal
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgdesk.cli import main
from mgdesk.cli.compare import CompareProgress
from mgdesk.engine import MLP
from mgdesk.io import (
    SessionError,
    load_comparison,
    load_session,
    save_comparison,
    save_session,
)
from mgdesk.train import ConfigError, TrainConfig, Trainer, train
from mgdesk.train.compare import (
    Comparison,
    compare,
    initial_model,
    make_variants,
    parse_vary,
    suggested_vary,
)
from mgdesk.train.runs import (
    RunHistory,
    changes_label,
    dead_neurons,
    dead_relus,
    run_figures,
    steps_to_accuracy,
)

BASE = TrainConfig(samples=40, layers=(4, 4), steps=12, batch_size=10, test_split=0.25)
TIMING = ("elapsed", "ms_per_step")


def start(base=BASE, *vary):
    return Comparison.start(make_variants(base, parse_vary(vary or ["activation=tanh,relu"])))


def without_timing(line):
    return {k: v for k, v in line.items() if k not in TIMING and k != "run"}


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]


# ---- variants ----


def test_two_varies_give_every_combination_labelled_by_what_differs():
    variants = make_variants(BASE, parse_vary(["lr=0.1,1", "activation=tanh,relu"]))
    assert [v.label for v in variants] == [
        "lr=0.1 activation=tanh",
        "lr=0.1 activation=relu",
        "lr=1 activation=tanh",
        "lr=1 activation=relu",
    ]
    assert [v.short_label for v in variants][:2] == ["lr 0.1, tanh", "lr 0.1, relu"]
    assert [(v.config.lr, v.config.activation) for v in variants][3] == (1.0, "relu")
    assert all(v.config.replace(lr=1.0, activation="relu") == variants[3].config for v in variants)


@pytest.mark.parametrize(
    "activation, labels",
    [
        ("relu", ["activation=relu", "activation=tanh"]),
        ("tanh", ["activation=tanh", "activation=relu"]),
        ("linear", ["activation=linear", "activation=tanh"]),
        (("relu", "tanh"), ["activation=relu,tanh", "activation=tanh"]),
    ],
)
def test_the_suggested_comparison_is_the_current_activation_against_the_other(activation, labels):
    config = BASE.replace(activation=activation)
    variants = make_variants(config, parse_vary([suggested_vary(config)]))
    assert [v.label for v in variants] == labels
    assert variants[0].config == config  # the current run is the first


def test_layers_and_per_layer_activations_take_spaces_within_a_value():
    (name, values), = parse_vary(["layers=8 8,16,none"])  # fmt: skip
    assert (name, values) == ("layers", [(8, 8), (16,), ()])
    (_, values), = parse_vary(["activation=relu tanh,tanh"])  # fmt: skip
    assert values == [("relu", "tanh"), "tanh"]
    variants = make_variants(BASE, parse_vary(["layers=8 8,16"]))
    assert [v.short_label for v in variants] == ["8,8 layers", "16 layers"]


@pytest.mark.parametrize(
    "texts, words",
    [
        (["activation"], "write SETTING=VALUE"),
        (["colour=red,blue"], "unknown setting 'colour'"),
        (["dataset=moons,xor"], "dataset cannot vary"),
        (["seed=1,2"], "seed cannot vary"),
        (["activation=tanh"], "has one value"),
        (["lr=0.1,0.10"], "lr=0.1 is given twice"),
        (["lr=0.1,fast"], "'fast' is not a number"),
        (["lr=0.1,nan"], "'nan' is not a number"),
        (["batch-size=5,x"], "not a whole number"),
        (["lr=0.1,1", "lr=2,3"], "lr is given twice"),
        (["layers=4,1,,2"], "layers=4,1,,2 has an empty value"),
        (["lr=1,"], "has an empty value"),
        (["layers=4 x,2"], "layers=4 x: 'x' is not a whole number"),
    ],
)
def test_bad_vary_texts_are_one_line_config_errors(texts, words):
    with pytest.raises(ConfigError) as err:
        make_variants(BASE, parse_vary(texts))
    assert err.value.field == "vary" and words in err.value.message
    assert "\n" not in str(err.value)


def test_a_value_the_setting_refuses_names_the_variant():
    with pytest.raises(ConfigError) as err:
        make_variants(BASE, parse_vary(["lr=0.1,0"]))
    assert err.value.field == "vary" and err.value.message.startswith("lr=0: learning rate")


def test_too_many_combinations_are_refused():
    with pytest.raises(ConfigError, match="at most 16 runs"):
        make_variants(BASE, parse_vary(["lr=1,2,3,4,5", "l2=0,0.1,0.2,0.3"]))


# ---- the comparison ----


def test_runs_share_the_data_object_and_the_weights_where_the_shapes_match():
    comparison = start(BASE, "activation=tanh,relu,linear")
    first = comparison.trainers[0]
    for trainer in comparison.trainers[1:]:
        assert trainer.data is first.data
        assert [p.data for p in trainer.model.parameters()] == [
            p.data for p in first.model.parameters()
        ]
    assert [t.model.activations[0] for t in comparison.trainers] == ["tanh", "relu", "linear"]


def test_a_layer_is_shared_while_every_layer_up_to_it_has_the_same_shape():
    base = MLP(2, [4, 4, 1], seed=99)
    for layers, shared in [((4, 8), 1), ((4, 4), 3), ((3, 4), 0)]:
        model = initial_model(TrainConfig(layers=layers, seed=5), base)
        for i, (mine, theirs) in enumerate(zip(model.layers, base.layers)):
            same = [p.data for p in mine.parameters()] == [p.data for p in theirs.parameters()]
            assert same == (i < shared), (layers, i)


def test_from_the_seeded_start_sharing_changes_no_weight():
    """So each run is the one `mgdesk train` makes with its settings."""
    comparison = start(BASE, "layers=4 4,4 8,4,6 4")
    for trainer in comparison.trainers:
        fresh = Trainer(trainer.config)
        assert trainer.model.to_dict() == fresh.model.to_dict()


def test_step_k_of_every_run_comes_together_on_the_same_minibatch():
    comparison = start(BASE, "lr=0.01,0.5")
    ticks = list(compare(comparison))
    assert len(ticks) == BASE.steps
    assert all([s.step for s in tick] == [k, k] for k, tick in enumerate(ticks, start=1))
    first = ticks[0]  # the same weights on the same 10 points: the same loss before an update
    assert first[0].train_loss == first[1].train_loss and first[0].lr != first[1].lr
    assert ticks[-1][0].train_loss != ticks[-1][1].train_loss


def test_each_run_equals_a_single_run_of_its_settings():
    comparison = start(BASE, "activation=tanh,relu", "momentum=0,0.5")
    runs = list(zip(*compare(comparison), strict=True))
    for variant, steps in zip(comparison.variants, runs):
        alone = list(train(variant.config))
        assert [s.to_dict() | dict.fromkeys(TIMING) for s in steps] == [
            s.to_dict() | dict.fromkeys(TIMING) for s in alone
        ]


def test_a_stop_event_ends_the_lockstep_between_steps():
    comparison = start()
    stop = threading.Event()
    for k, _ in enumerate(compare(comparison, stop), start=1):
        if k == 3:
            stop.set()
    assert [t.step for t in comparison.trainers] == [3, 3]


def test_a_diverging_run_stops_while_the_others_go_on():
    comparison = start(BASE.replace(batch_size=0), "lr=0.05,1000000")
    ticks = list(compare(comparison))
    slow, fast = comparison.trainers
    assert fast.failure is not None and slow.failure is None and slow.step == BASE.steps
    assert all(tick[1] is None for tick in ticks[fast.step + 1 :])
    assert len(ticks) == BASE.steps


# ---- figures ----


def value_outputs(model, points):
    """Each hidden neuron's output on each point, through the plain Value graph."""
    outputs = {}
    for x in points:
        a = list(x)
        for layer in model.layers[:-1]:
            a = [n(a) for n in layer.neurons]
            for n, v in zip(layer.neurons, a):
                outputs.setdefault(n.name, []).append(v.data)
    return outputs


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    layers=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    shift=st.floats(-3, 1),
    acts=st.sampled_from(["relu", "tanh", ("tanh", "relu", "relu")]),
)
def test_dead_neurons_are_the_relus_at_zero_on_every_point(seed, layers, shift, acts):
    if not isinstance(acts, str):
        acts = list(acts[: len(layers)])
    model = MLP(2, [*layers, 1], activation=acts, seed=seed)
    for p in model.parameters():
        if p.label.endswith(".b"):
            p.data = shift  # negative biases kill neurons, so both cases occur
    rng = random.Random(seed)
    points = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(20)]
    expected = [
        name
        for name, outs in value_outputs(model, points).items()
        if all(v == 0 for v in outs) and model.activations[int(name[1]) - 1] == "relu"
    ]
    assert dead_neurons(model, points) == expected
    assert dead_neurons(model.to_dict(), points) == expected
    assert dead_relus(model.to_dict(), points) == expected  # the window's NumPy count


@pytest.mark.parametrize("features", [("x1",), ("x1", "x2", "x1^2", "sin(x1)")])
def test_dead_relus_see_the_inputs_the_network_sees(features):
    """With input features (or a regression's one input) both counts read the same inputs."""
    model = MLP(len(features), [6, 1], activation="relu", seed=3)
    for p in model.parameters():
        if p.label.endswith(".b"):
            p.data = -0.8
    points = [(0.3 * i - 1.5, 0.2 * i - 1.0) for i in range(12)]
    expected = dead_neurons(model, points, features)
    assert 0 < len(expected) < 6  # both cases occur
    assert dead_relus(model.to_dict(), points, features) == expected


def test_a_neuron_with_only_negative_sums_is_dead_and_named():
    model = MLP(2, [3, 2, 1], activation="relu", seed=1)
    neuron = model.layers[0].neurons[1]
    for w in neuron.w:
        w.data = 0.0
    neuron.b.data = -1.0
    points = [(0.5, 1.0), (-1.0, 2.0)]
    assert "L1.N2" in dead_neurons(model, points)
    assert dead_neurons(model, []) == []
    tanh = MLP(2, [3, 1], activation="tanh", seed=1)
    tanh.layers[0].neurons[0].b.data = -100.0
    assert dead_neurons(tanh, points) == []  # only ReLU dies


def test_steps_to_95_is_the_first_step_the_curve_shows_at_95_percent():
    trainer = Trainer(TrainConfig(samples=60, layers=(16,), steps=40, test_split=0))
    list(trainer.run())
    accs = [s.train_acc for s in trainer.history]
    expected = next(i + 1 for i, a in enumerate(accs) if a >= 0.95)
    assert steps_to_accuracy(trainer.history) == expected
    assert steps_to_accuracy(list(trainer.history)) == expected
    assert steps_to_accuracy(trainer.history, 1.01) is None
    figures = run_figures(trainer)
    assert figures.steps_to_95 == expected and figures.step == 40 and not figures.diverged
    assert figures.test_acc is None and figures.train_acc == trainer.evaluate()["train_acc"]
    mean = sum(s.ms_per_step for s in trainer.history) / 40
    assert figures.ms_per_step == pytest.approx(mean)
    assert list(figures.dead) == dead_neurons(trainer.model, trainer.data.x_train)


# ---- the run history ----


def finished(config, **kwargs):
    trainer = Trainer(config)
    list(trainer.run())
    return trainer


def test_the_history_keeps_ten_runs_labelled_by_what_changed():
    history = RunHistory()
    config = TrainConfig(samples=20, layers=(3,), steps=3)
    trainer = finished(config)
    history.add(config, trainer.history)
    assert history[0].label == "relu, 3 layers, lr 1"
    history.add(config.replace(activation="tanh"), trainer.history)
    assert history[1].label == "activation=tanh"
    history.add(config.replace(activation="tanh"), trainer.history, lr=0.25)  # lowered live
    assert history[2].label == "lr=0.25" and history[2].config.lr == 0.25
    history.add(config.replace(activation="tanh", lr=0.25), trainer.history)
    assert history[3].label == "same settings"
    for lr in range(1, 10):
        history.add(config.replace(lr=float(lr)), trainer.history)
    assert len(history) == 10 and history[-1].label == "lr=9"
    assert history[0].label == "same settings"  # the oldest three went
    run = history[-1]
    assert run.steps == [1, 2, 3] and run.curves["train_loss"] == [
        s.train_loss for s in trainer.history
    ]
    assert isinstance(run.curves["test_acc"], list)


def test_a_long_run_is_kept_as_at_most_20000_points_with_its_last_step():
    from mgdesk.train import StepStats

    steps = [StepStats(k, 1.0 / k, 0.5, None, None, 1.0, 0.1, k, 1.0) for k in range(1, 50_001)]
    run = RunHistory().add(TrainConfig(), steps)
    assert len(run.steps) <= 20_000 and run.steps[0] == 1 and run.steps[-1] == 50_000
    assert run.curves["test_loss"][0] is None


def test_the_y_range_ignores_diverged_hidden_and_non_finite_values():
    history = RunHistory()
    config = TrainConfig()
    from mgdesk.train import StepStats

    def steps(*losses):
        return [StepStats(k, v, 0.5, None, None, 1.0, 0.1, k, 1.0) for k, v in enumerate(losses, 1)]

    history.add(config, steps(0.5, 0.2))
    history.add(config, steps(3.0, 1e30), diverged=True)
    history.add(config, steps(0.1, 0.05))
    assert history.y_range() == (0.05, 0.5)
    history.set_visible(2, False)
    assert history.y_range() == (0.2, 0.5)
    assert history.y_range(extra=[[math.inf, 0.0, None]]) == (0.0, 0.5)
    assert history.y_range(log=True, extra=[[0.0, -1.0]]) == (0.2, 0.5)
    assert RunHistory.clipped(history[1].curves["train_loss"], (0.2, 0.5)) == [0.5, 0.5]
    assert RunHistory().y_range() is None


def test_changes_label_compares_activations_per_layer():
    a = TrainConfig(layers=(4, 4), activation="relu")
    assert changes_label(a, a.replace(activation=("relu", "relu"))) == "same settings"
    assert changes_label(a, a.replace(activation=("relu", "tanh"))) == "activation=relu,tanh"
    assert changes_label(a, a.replace(dataset="xor", seed=2)) == "dataset=xor seed=2"


# ---- sessions of a comparison ----


def sessions_of(comparison):
    from mgdesk.io import Session

    return [Session(t.config, t.model, t.history, t.velocity, t.data) for t in comparison.trainers]


def test_a_comparison_saves_and_loads_back_every_run(tmp_path):
    comparison = start(BASE.replace(momentum=0.5), "activation=tanh,relu")
    list(compare(comparison))
    path = tmp_path / "compare.json"
    save_comparison(path, sessions_of(comparison), comparison.labels, ["tanh", "relu"])
    loaded = load_comparison(path)
    assert loaded.labels == ("activation=tanh", "activation=relu")
    assert loaded.short_labels == ("tanh", "relu")
    for session, trainer in zip(loaded.sessions, comparison.trainers, strict=True):
        assert session.config == trainer.config
        assert session.model.to_dict() == trainer.model.to_dict()
        assert session.history == trainer.history
        assert session.velocity == tuple(trainer.velocity)
        assert session.data == trainer.data
    assert loaded.sessions[0].data is loaded.sessions[1].data
    first = load_session(path)  # what reads one session opens the first run
    assert first.config.activation == "tanh" and first.history == comparison.trainers[0].history


def test_a_resumed_comparison_goes_on_as_if_it_had_not_stopped(tmp_path):
    base = BASE.replace(momentum=0.5)
    whole = start(base, "activation=tanh,relu")
    list(compare(whole))
    half = start(base, "activation=tanh,relu")
    stop = threading.Event()
    for k, _ in enumerate(compare(half, stop), start=1):
        if k == 5:
            stop.set()
    path = tmp_path / "half.json"
    save_comparison(path, sessions_of(half), half.labels)
    saved = load_comparison(path)
    resumed = Comparison.resume(saved.sessions, saved.labels, saved.short_labels)
    list(compare(resumed))
    for a, b in zip(whole.trainers, resumed.trainers):
        assert [s.to_dict() | dict.fromkeys(TIMING) for s in a.history] == [
            s.to_dict() | dict.fromkeys(TIMING) for s in b.history
        ]
        assert a.model.to_dict() == b.model.to_dict()


def test_a_plain_session_loads_as_a_comparison_of_one(tmp_path):
    trainer = finished(TrainConfig(samples=20, layers=(3,), steps=2))
    path = tmp_path / "one.json"
    save_session(path, trainer.config, trainer.model, trainer.history, data=trainer.data)
    loaded = load_comparison(path)
    assert len(loaded.sessions) == 1 and loaded.labels == ("relu, 3 layers, lr 1",)
    assert loaded.sessions[0].history == trainer.history


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda c: c.update(labels=["a"]), "a label for each of its 2 runs"),
        (lambda c: c.update(short_labels=["a", 7]), "label must be a short text"),
        (lambda c: c["runs"][0]["config"].update(seed=5), "run 2: the runs of a comparison share"),
        (lambda c: c["runs"][0]["config"].update(layers=[9]), "run 2: the model's layers"),
        (lambda c: c["runs"][0].pop("model"), "run 2: bad model"),
        (lambda c: c.update(runs=[]), "a comparison holds 2 to 16 runs"),
        (lambda c: c.pop("labels"), "must hold labels, short_labels and runs"),
    ],
)
def test_a_crafted_comparison_gives_one_line(tmp_path, change, words):
    comparison = start()
    list(compare(comparison))
    path = tmp_path / "c.json"
    save_comparison(path, sessions_of(comparison), comparison.labels)
    doc = json.loads(path.read_text())
    change(doc["comparison"])
    path.write_text(json.dumps(doc))
    with pytest.raises(SessionError) as err:
        load_comparison(path)
    assert words in str(err.value) and "\n" not in str(err.value)
    assert load_session(path).config == comparison.trainers[0].config  # the first run still opens


# ---- mgdesk compare ----

SMALL = "--samples 40 --layers 4,4 --steps 12 --batch-size 10 --test-split 0.25 --quiet".split()


@pytest.mark.parametrize(
    "vary, flag, values",
    [
        ("activation=tanh,relu", "--activation", ["tanh", "relu"]),
        ("lr=0.1,1", "--lr", ["0.1", "1"]),
    ],
)
def test_each_run_of_compare_is_bit_identical_to_train(capsys, vary, flag, values):
    assert main(["compare", "--vary", vary, *SMALL, "--json"]) == 0
    lines = json_lines(capsys.readouterr().out)
    runs = sorted({line["run"] for line in lines}, key=[line["run"] for line in lines].index)
    assert runs == [f"{vary.split('=')[0]}={v}" for v in values]
    assert [line["run"] for line in lines[:4]] == [runs[0], runs[1], runs[0], runs[1]]
    for run, value in zip(runs, values):
        mine = [line for line in lines if line["run"] == run]
        assert main(["train", flag, value, *SMALL, "--json"]) == 0
        alone = json_lines(capsys.readouterr().out)
        assert len(mine) == len(alone) == 13
        assert [without_timing(a) for a in alone[:-1]] == [without_timing(m) for m in mine[:-1]]
        final = without_timing(mine[-1])
        assert final.pop("steps_to_95") == steps_to_accuracy_of(mine[:-1])
        assert isinstance(final.pop("dead_relus"), list)
        assert final == without_timing(alone[-1]) and final["final"] is True
        assert all(line["final"] is False for line in mine[:-1])
    assert [line["final"] for line in lines[-2:]] == [True, True]  # the last line of each run


def steps_to_accuracy_of(lines):
    return next((line["step"] for line in lines if line["train_acc"] >= 0.95), None)


def test_compare_prints_a_progress_line_per_run_and_a_table(capsys):
    args = ["compare", "--vary", "activation=tanh,relu", *SMALL[:-1], "--steps", "20"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert err.count("activation=tanh  [") == 10 and err.count("activation=relu  [") == 10
    head, *rows = out.splitlines()
    assert head.split()[:3] == ["run", "train", "loss"] and "steps to 95%" in head
    assert "dead ReLUs" in head and "ms/step" in head
    assert rows[0].startswith("activation=tanh") and rows[0].split()[-2:] == ["-", "done"]
    assert rows[1].startswith("activation=relu") and " of 8 " in rows[1]


def test_two_varies_run_four_variants(capsys):
    args = ["compare", "--vary", "lr=0.1,1", "--vary", "activation=tanh,relu", *SMALL, "--json"]
    assert main(args) == 0
    finals = [line for line in json_lines(capsys.readouterr().out) if line["final"]]
    assert [f["run"] for f in finals] == [
        "lr=0.1 activation=tanh",
        "lr=0.1 activation=relu",
        "lr=1 activation=tanh",
        "lr=1 activation=relu",
    ]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--vary", "colour=a,b"], "--vary: unknown setting 'colour'"),
        (["--vary", "lr=0.1,abc"], "--vary: lr=abc: 'abc' is not a number"),
        (["--vary", "activation=tanh"], "--vary: activation=tanh has one value"),
        (["--vary", "activation=tanh,tanh"], "--vary: activation=tanh is given twice"),
        (["--vary", "dataset=moons,xor"], "--vary: dataset cannot vary"),
        (["--vary", "activation=tanh,swish"], "--vary: activation=swish: activation: must"),
        (["--vary", "activation=tanh,relu", "--activation", "relu"], "also set by --activation"),
        (["--vary", "layers=4,256 256 256"], "--vary: layers=256,256,256: hidden layers"),
        ([], "the following arguments are required: --vary"),
        (["--vary", "lr=1,2", "--lr", "x"], "--lr: invalid float value"),
    ],
)
def test_bad_compare_arguments_give_one_line_and_exit_2(capsys, args, words):
    assert main(["compare", "--samples", "2000", "--steps", "1", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and words in err and len(err.strip().splitlines()) == 1, err


def test_compare_with_a_diverging_run_says_so_and_exits_1(capsys, tmp_path):
    path = tmp_path / "c.json"
    args = ["compare", "--vary", "lr=0.05,1000000", *SMALL, "--save", str(path)]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert re.search(
        r"error: lr=1e\+06: (loss|gradient) became inf at step \d+: the learning rate is too high",
        err,
    )
    assert "--save" in err and "not written: a run diverged" in err and not path.exists()
    assert "diverged at step" in out.splitlines()[2]


def test_compare_save_writes_every_run(tmp_path, capsys):
    path = tmp_path / "c.json"
    assert main(["compare", "--vary", "activation=tanh,relu", *SMALL, "--save", str(path)]) == 0
    loaded = load_comparison(path)
    assert loaded.labels == ("activation=tanh", "activation=relu")
    assert loaded.short_labels == ("tanh", "relu")
    assert [len(s.history) for s in loaded.sessions] == [12, 12]


def test_progress_redraws_one_line_per_run_in_place_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = CompareProgress(["tanh", "relu"], 2, stream)
    comparison = start(BASE.replace(steps=2))
    for ticks in compare(comparison):
        progress.update(ticks)
        progress.last_draw = 0  # draw every time
    progress.close()
    text = stream.getvalue()
    assert text.count("\x1b[2F") == 1  # back to the first of the two lines, to redraw them
    first, second = text.split("\x1b[2F")
    assert [line[:12] for line in first.splitlines()] == ["tanh  [#####", "relu  [#####"]
    assert [line.split("]")[1][:5] for line in second.splitlines()] == [" 2/2 ", " 2/2 "]
    assert all(line.endswith("\x1b[K") for line in text.splitlines())


def test_ctrl_c_stops_every_run_after_the_same_step_and_saves_them(tmp_path, monkeypatch, capsys):
    from mgdesk.train.optim import SGD

    step, calls = SGD.step, []

    def step_then_ctrl_c(self, lr):
        step(self, lr)
        calls.append(1)
        if len(calls) == 3:  # the first run's second update: the second run's is still to come
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(SGD, "step", step_then_ctrl_c)
    path = tmp_path / "c.json"
    args = ["compare", "--vary", "activation=tanh,relu", *SMALL, "--json", "--save", str(path)]
    assert main(args) == 130
    out, err = capsys.readouterr()
    finals = [line for line in json_lines(out) if line["final"]]
    assert [(f["status"], f["step"]) for f in finals] == [("interrupted", 2)] * 2
    assert "stopping after this step" in err
    assert [len(s.history) for s in load_comparison(path).sessions] == [2, 2]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored

"""The optimizer's state in sessions and comparisons is checked on the way in: Adam's step
count, its second moments, a state at step 0, a state that is missing."""

import json

import pytest

from mgdesk.cli import main
from mgdesk.io import SessionError, load_comparison, load_session, save_comparison
from mgdesk.io.session import restarted_state
from mgdesk.train import TrainConfig, Trainer
from mgdesk.train.optim import Adam

ADAM = TrainConfig(
    dataset="spiral", classes=3, loss="ce", samples=30, layers=(4,), steps=5,
    optimizer="adam", lr=0.01,
)  # fmt: skip
N_PARAMS = 27  # 2 inputs -> 4 -> 3 outputs: 12 + 15


@pytest.fixture(scope="module")
def adam_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("adam") / "adam.json"
    assert main(["train", "--quiet", "--save", str(path), *ADAM_OPTIONS.split()]) == 0
    return path


ADAM_OPTIONS = (
    "--dataset spiral --classes 3 --loss ce --samples 30 --layers 4 --steps 5 "
    "--optimizer adam --lr 0.01"
)


def edited(source, tmp_path, change, name="edited.json"):
    doc = json.loads(source.read_text())
    change(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def set_step(value):
    def change(doc):
        doc["velocity"][-1] = value

    return change


def negative_v(doc):
    doc["velocity"][N_PARAMS : 2 * N_PARAMS] = [-1.0] * N_PARAMS


def zero_step_with_moments(doc):
    doc["velocity"][-1] = 0.0


BAD_STATES = [
    (set_step(-1.0), r"Adam's step count must be a whole number from 0 to 1,000,000 \(got -1.0\)"),
    (set_step(-3.0), r"step count must be a whole number .*got -3.0"),
    (set_step(2.5), r"step count must be a whole number .*got 2.5"),
    (set_step(1e300), r"step count must be a whole number .*got 1e\+300"),
    (negative_v, r"Adam's second moments \(v\) cannot be negative"),
    (zero_step_with_moments, r"step count is 0 but its moments are not"),
]


@pytest.mark.parametrize("change, words", BAD_STATES)
def test_a_bad_adam_state_is_refused_at_load(adam_file, tmp_path, change, words):
    with pytest.raises(SessionError, match=words):
        load_session(edited(adam_file, tmp_path, change))


@pytest.mark.parametrize("change, words", BAD_STATES[:2] + BAD_STATES[4:5])
def test_a_bad_adam_state_in_a_comparisons_second_run_is_refused(
    adam_file, tmp_path, change, words
):
    session = load_session(adam_file)
    path = tmp_path / "comparison.json"
    save_comparison(path, [session, session], ["a", "b"])

    def in_run_2(doc):
        run = doc["comparison"]["runs"][0]
        change(run)

    with pytest.raises(SessionError, match="run 2: .*" + words):
        load_comparison(edited(path, tmp_path, in_run_2))


@pytest.mark.parametrize("command", ["train", "graph", "export-torch"])
def test_every_command_refuses_a_bad_adam_state_in_one_line(adam_file, tmp_path, capsys, command):
    bad = edited(adam_file, tmp_path, set_step(-1.0), "adam_tm1.json")
    args = {
        "train": ["train", "--load", str(bad), "--steps", "2", "--quiet"],
        "graph": ["graph", "--load", str(bad), "--out", str(tmp_path / "g.svg")],
        "export-torch": ["export-torch", str(bad), "--out", str(tmp_path / "m.py")],
    }[command]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "adam_tm1.json: Adam's step count" in err
    assert not (tmp_path / "m.py").exists()


def test_the_optimizer_itself_refuses_a_bad_state():
    import numpy as np

    params, grad = np.zeros(2), np.zeros(2)
    with pytest.raises(ValueError, match="whole number"):
        Adam(params, grad, [0.0, 0.0, 0.0, 0.0, -1.0])
    with pytest.raises(ValueError, match="cannot be negative"):
        Adam(params, grad, [0.0, 0.0, -1.0, 0.0, 3.0])
    Adam(params, grad, [0.1, 0.0, 0.2, 0.0, 3.0])  # a good one


def test_a_good_adam_state_still_loads_and_continues(adam_file):
    session = load_session(adam_file)
    assert session.velocity[-1] == 5.0 and restarted_state(session) is None
    trainer = Trainer(session.config, session.model, session.data, session.history,
                      velocity=session.velocity)  # fmt: skip
    list(trainer.run(None, 6))
    assert trainer.velocity[-1] == 6.0


def test_a_version_3_session_without_its_optimizer_state_is_refused(adam_file, tmp_path, capsys):
    path = edited(adam_file, tmp_path, lambda doc: doc.pop("velocity"), "adam_novel.json")
    with pytest.raises(SessionError, match=r'the optimizer\'s state \("velocity"\) is missing'):
        load_session(path)
    assert main(["train", "--load", str(path), "--steps", "2", "--quiet"]) == 2
    assert "adam_novel.json: the optimizer's state" in capsys.readouterr().err


def test_an_empty_optimizer_state_says_the_optimizer_starts_afresh(adam_file, tmp_path, capsys):
    """A session saved without its state (older windows saved Adam runs so) still loads,
    and continuing it says on stderr that Adam starts again."""
    path = edited(adam_file, tmp_path, lambda doc: doc.update(velocity=[]), "adam_empty.json")
    session = load_session(path)
    assert "Adam's moments start afresh" in restarted_state(session)
    assert main(["train", "--load", str(path), "--steps", "2", "--quiet"]) == 0
    assert "the session holds no optimizer state: Adam's moments start afresh" in (
        capsys.readouterr().err
    )
    assert main(["train", "--load", str(adam_file), "--steps", "2", "--quiet"]) == 0
    assert "afresh" not in capsys.readouterr().err


@pytest.mark.parametrize("part", ["x_train", "x_test"])
def test_a_regression_session_whose_points_have_an_x2_is_refused(tmp_path, capsys, part):
    path = tmp_path / "reg.json"
    options = "--dataset sine --samples 30 --layers 4 --steps 2 --lr 0.01 --quiet"
    assert main(["train", "--save", str(path), *options.split()]) == 0

    def with_x2(doc):
        doc["data"][part][0] = [1, 2]

    bad = edited(path, tmp_path, with_x2, "reg_2d.json")
    with pytest.raises(SessionError, match=rf"reg_2d.json: the data's {part} must hold \[x, 0\]"):
        load_session(bad)
    assert main(["train", "--load", str(bad), "--steps", "1", "--quiet"]) == 2
    load_session(path)  # mgdesk's own file loads

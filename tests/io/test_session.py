"""Sessions round-trip exactly; corrupt or foreign files give one clear line."""

import base64
import json
import math
import zlib
from array import array

import pytest

from mgdesk.engine import MLP
from mgdesk.io import (
    Session,
    SessionError,
    check_writable,
    load_session,
    save_session,
    write_history_csv,
)
from mgdesk.train import TrainConfig, Trainer, train

CONFIG = TrainConfig(samples=30, layers=(4, 3), activation=("tanh", "relu"), steps=5)


def column(values, typecode="d"):
    """One history column as a session file holds it."""
    return base64.b64encode(zlib.compress(array(typecode, values).tobytes())).decode()


BOMB = base64.b64encode(zlib.compress(bytes(100_000_000))).decode()  # 100 MB of zeros


@pytest.fixture(scope="module")
def trained():
    trainer = Trainer(CONFIG)
    list(trainer.run(None, CONFIG.steps))
    return trainer


@pytest.fixture
def saved(tmp_path, trained):
    path = tmp_path / "run.json"
    save_session(path, CONFIG, trained.model, trained.history)
    return path


def test_round_trip_is_exact(saved, trained):
    session = load_session(saved)
    assert isinstance(session, Session)
    assert session.config == CONFIG
    assert session.model.to_dict() == trained.model.to_dict()
    assert session.history == tuple(trained.history)


def test_the_file_is_plain_json_with_format_and_version(saved, trained):
    doc = json.loads(saved.read_text())
    assert doc["format"] == "mgdesk-session" and doc["version"] == 3
    assert set(doc) == {"format", "version", "config", "data", "model", "velocity", "history"}
    assert doc["config"]["layers"] == [4, 3] and doc["history"]["length"] == 5
    assert doc["data"]["source"] == "moons"
    assert doc["data"]["x_train"] == [list(p) for p in trained.data.x_train]
    assert doc["data"]["y_test"] == list(trained.data.y_test)


def as_version_2(doc, history):
    """A version-2 file of the same session: no data, the history as a list of steps."""
    doc.update(version=2, history=[s.to_dict() for s in history])
    del doc["data"]


def test_an_empty_history_round_trips(tmp_path):
    path = tmp_path / "fresh.json"
    save_session(path, CONFIG, MLP(2, [4, 3, 1], ["tanh", "relu"]))
    assert load_session(path).history == ()


def edit(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d.update(format="something-else"), 'not a mgdesk session (no "format"'),
        (lambda d: d.update(version=4), "saved by a newer mgdesk (session version 4"),
        (lambda d: d.update(version="1"), "session version must be a whole number"),
        (lambda d: d["config"].update(lr=-1), "bad settings: lr: must be a number above 0"),
        (lambda d: d["config"].update(colour="red"), "bad settings: colour: unknown setting"),
        (lambda d: d.update(config=[]), "bad settings: config: must be a mapping"),
        (lambda d: d["model"].update(weights=[]), "bad model"),
        (lambda d: d["model"].pop("nin"), "bad model"),
        (lambda d: d["config"].update(layers=[4, 4]), "do not match the settings"),
        (lambda d: d["config"].update(activation="relu"), "activations do not match"),
        (lambda d: d.update(history=5), "the history must be a list"),
        (lambda d: d.update(history={}), 'the history must be a list of steps or "encoding"'),
        (lambda d: d["history"].update(length=6), "column step does not hold the history's"),
        (lambda d: d["history"].update(length=-1), "history length must be a whole number"),
        (lambda d: d["history"]["columns"].pop("lr"), "the history needs exactly the columns"),
        (lambda d: d["history"]["columns"].update(lr="%%"), "column lr is not readable"),
        (lambda d: d["history"]["columns"].update(lr=BOMB), "column lr does not hold"),
        (lambda d: d["history"]["columns"].update(lr=column([1.0] * 4 + [math.inf])), "finite"),
        (lambda d: d["history"]["columns"].update(step=column([1, 2, 3, 4, 0], "q")), "1 to"),
        (lambda d: d["data"].update(x_train=[[0, "a"]]), "x_train must hold [x1, x2] pairs"),
        (lambda d: d["data"].update(y_test=[0] * len(d["data"]["y_test"])), "labels -1 or 1"),
        (lambda d: d["data"].pop("source"), "the data must hold source"),
        (lambda d: d["data"].update(y_train=[]), "as many labels as points"),
        (lambda d: d["data"].update(source="xor"), "does not match the settings"),
        (lambda d: d["data"].update(x_test=[], y_test=[]), "(24 moons points) does not match"),
    ],
)
def test_foreign_or_damaged_sessions_are_refused(saved, change, words):
    with pytest.raises(SessionError) as info:
        load_session(edit(saved, change))
    assert words in str(info.value)
    assert "\n" not in str(info.value) and str(info.value).startswith("run.json")


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d["history"][2].pop("lr"), "history entry 3: a step needs exactly"),
        (lambda d: d["history"][0].update(step="one"), "history entry 1: step field step"),
        (lambda d: d["history"][0].update(train_loss=10**400), "must be a finite number"),
    ],
)
def test_damaged_version_2_histories_are_refused(saved, trained, change, words):
    edit(saved, lambda d: as_version_2(d, trained.history))
    with pytest.raises(SessionError) as info:
        load_session(edit(saved, change))
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "content, words",
    [
        (b'{"format": "mgdesk-session", "version": 1,', "broken JSON at line 1"),
        (b"[1, 2, 3]", "not a mgdesk session"),
        (b"\x89PNG\r\n\x1a\n\xff\xfe", "not a text file"),
        (b'{"format": "mgdesk-session", "version": NaN}', "not a number JSON allows"),
        (b"", "broken JSON"),
        (b"[" * 100_000, "not a mgdesk session"),
    ],
)
def test_files_that_are_not_sessions(tmp_path, content, words):
    path = tmp_path / "run.json"
    path.write_bytes(content)
    with pytest.raises(SessionError) as info:
        load_session(path)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_missing_file(tmp_path):
    with pytest.raises(SessionError, match="cannot read"):
        load_session(tmp_path / "nope.json")


def test_diverged_weights_are_not_saved_and_the_old_file_survives(saved, trained):
    before = saved.read_text()
    model = MLP.from_dict(trained.model.to_dict())
    model.parameters()[0].data = math.inf
    with pytest.raises(SessionError, match="not finite"):
        save_session(saved, CONFIG, model, trained.history)
    assert saved.read_text() == before
    assert list(saved.parent.iterdir()) == [saved]  # no temporary file left behind


def test_saving_into_a_missing_folder(tmp_path, trained):
    with pytest.raises(SessionError, match="cannot write"):
        save_session(tmp_path / "no" / "run.json", CONFIG, trained.model, trained.history)


def test_history_csv(tmp_path, trained):
    path = tmp_path / "history.csv"
    write_history_csv(path, trained.history)
    lines = path.read_text().splitlines()
    assert lines[0] == (
        "step,train_loss,train_acc,test_loss,test_acc,grad_norm,lr,elapsed,ms_per_step"
    )
    assert len(lines) == 6
    first = lines[1].split(",")
    assert first[0] == "1" and float(first[1]) == trained.history[0].train_loss


def test_history_csv_leaves_missing_test_values_empty(tmp_path):
    config = CONFIG.replace(test_split=0)
    path = tmp_path / "history.csv"
    write_history_csv(path, list(train(config)))
    assert path.read_text().splitlines()[1].split(",")[3:5] == ["", ""]


# ---- crafted files: whatever a session holds, loading gives SessionError or a session ----

WEIRD = [10**400, -(10**400), 1e308, -1e308, 1e999, 0, -1, 2.5, True, None, "x", [], {}, [[1]]]


def leaf_paths(doc, path=()):
    """Every place in a JSON document: keys of objects and items of lists, recursively."""
    yield path
    children = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    )
    for key, value in children:
        yield from leaf_paths(value, (*path, key))


def replaced(doc, path, value):
    doc = json.loads(json.dumps(doc))
    if not path:
        return value
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.fixture(scope="module")
def small_session(tmp_path_factory):
    config = TrainConfig(samples=10, layers=(2,), steps=2, momentum=0.5)
    trainer = Trainer(config)
    list(trainer.run(None, config.steps))
    path = tmp_path_factory.mktemp("small") / "run.json"
    save_session(path, config, trainer.model, trainer.history, trainer.velocity)
    return json.loads(path.read_text())


def test_no_value_anywhere_in_a_session_makes_loading_raise_anything_else(small_session, tmp_path):
    path = tmp_path / "run.json"
    paths = list(leaf_paths(small_session))
    assert len(paths) > 60  # config, model, velocity and history fields
    for where in paths:
        for value in WEIRD:
            path.write_text(json.dumps(replaced(small_session, where, value)))
            try:
                load_session(path)
            except SessionError as exc:
                assert "\n" not in str(exc) and len(str(exc)) < 300, (where, value)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d["config"].update(lr=10**400), "bad settings: lr: must be a number"),
        (lambda d: d["model"]["weights"][0][0].__setitem__(0, 10**400), "bad model"),
        (lambda d: d["model"].update(nin="HUGE"), "bad model"),
    ],
)
def test_huge_numbers_are_clear_errors(saved, change, words):
    edit(saved, change)
    saved.write_text(saved.read_text().replace('"HUGE"', "1e999"))  # JSON reads it as inf
    with pytest.raises(SessionError, match=words):
        load_session(saved)


def test_the_velocity_round_trips_and_version_1_files_still_load(tmp_path):
    config = CONFIG.replace(momentum=0.9)
    trainer = Trainer(config)
    list(trainer.run(None, config.steps))
    path = tmp_path / "run.json"
    save_session(path, config, trainer.model, trainer.history, trainer.velocity)
    session = load_session(path)
    assert session.velocity == tuple(trainer.velocity) and any(session.velocity)

    def as_version_1(d):
        as_version_2(d, trainer.history)
        d.update(version=1)
        del d["velocity"], d["config"]["decay_steps"]

    old = load_session(edit(path, as_version_1))
    assert old.velocity == () and old.config == config and old.history == session.history


@pytest.mark.parametrize(
    "velocity, words",
    [([1.0], "one per parameter for SGD"), ("fast", "one per parameter for SGD")],
)
def test_a_bad_velocity_is_refused(saved, velocity, words):
    with pytest.raises(SessionError, match=words):
        load_session(edit(saved, lambda d: d.update(velocity=velocity)))


def test_check_writable_before_the_work(tmp_path):
    check_writable(tmp_path / "ok.json")
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing behind
    with pytest.raises(SessionError, match="it is a folder"):
        check_writable(tmp_path)
    with pytest.raises(SessionError, match="cannot write .*: no folder .*missing to write it into"):
        check_writable(tmp_path / "missing" / "run.json")


def test_a_session_embeds_its_points_and_names_their_source(tmp_path):
    data = tmp_path / "points.csv"
    data.write_text("".join(f"{i / 9:.4f},{(i * 7) % 5 - 2},{i % 2}\n" for i in range(30)))
    config = TrainConfig(dataset="csv", csv_path=str(data), layers=(3,), steps=4)
    trainer = Trainer(config)
    list(trainer.run(None, config.steps))
    path = tmp_path / "run.json"
    save_session(path, config, trainer.model, trainer.history, data=trainer.data)
    data.write_text("9,9,1\n8,8,0\n")  # edited since: the session does not read it
    session = load_session(path)
    assert session.data == trainer.data and session.data.name == "points.csv"
    data.unlink()
    assert load_session(path).data == trainer.data  # nor needs it


def test_version_2_sessions_still_load_and_make_their_points_again(saved, trained):
    session = load_session(saved)
    old = load_session(edit(saved, lambda d: as_version_2(d, trained.history)))
    assert old.data is None and old.history == session.history
    assert old.config == session.config and old.model.to_dict() == session.model.to_dict()

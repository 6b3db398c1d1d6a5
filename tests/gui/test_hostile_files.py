"""A hostile tester's files: sessions at the edges of the settings, crafted settings files,
sessions whose CSV moved, and exports to awkward names. Nothing crashes, nothing changes
silently, and every failure reads the same."""

import math
from pathlib import Path

import pytest

from mgdesk.engine import MLP
from mgdesk.gui.file_actions import open_settings
from mgdesk.io import load_session, save_session
from mgdesk.train import TrainConfig, Trainer, make_dataset, new_model
from mgdesk.train.config import MAX_LR, MAX_SEED


@pytest.fixture
def errors(window, monkeypatch):
    shown = []
    monkeypatch.setattr(window.files, "error", lambda title, message: shown.append(message))
    return shown


def saved(tmp_path, name="s.json", steps=0, **settings):
    """A session file of a small network trained `steps` steps with `settings`."""
    config = TrainConfig(layers=(4,), samples=40, steps=max(steps, 1), **settings)
    trainer = Trainer(config)
    for _ in range(steps):
        trainer.step_once()
    path = tmp_path / name
    save_session(
        path, config, trainer.model, tuple(trainer.history), trainer.velocity, trainer.data
    )
    return path, config


def wait_opened(qtbot, window, config):
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)


# ---- 1. a seed above 2**31 - 1, and settings files that cannot be used ----


def test_a_session_with_a_seed_above_int32_opens_and_relaunches(qtbot, make_window, tmp_path):
    window = make_window()
    path, config = saved(tmp_path, seed=3_000_000_000, noise=0.123)
    assert window.files.open_session(str(path))
    wait_opened(qtbot, window, config)
    assert window.panel.config() == config
    window.close()
    again = make_window()  # the seed was saved with the settings: the launch uses it
    assert again.run.applied.seed == 3_000_000_000 and again.panel.config() == config


def test_the_largest_seed_is_shown_and_kept(window):
    window.panel.set_config(TrainConfig(seed=MAX_SEED))
    assert window.panel.config().seed == MAX_SEED


BAD_SETTINGS = {
    "config": ['{"seed": 99999999999}', '{"seed": "x"}', "[1, 2]", "not json", '{"lr": 1e999}'],
    "editedConfig": ['{"momentum": 1.5}', '{"layers": "a"}', '"text"'],
    "geometry": ["junk", "1, 2"],
    "windowState": ["junk"],
    "topSplitter": ["@ByteArray(garbage)"],
    "logScale": ["maybe", "a, b"],
    "graphMode": ["a, b", "ops, ops", "@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x18x)"],
    "graphRenderer": ["a, b", "nonsense"],
    "lastDir": ["a, b", "@Variant(\\0\\0\\0\\x2\\0\\0\\0\\x5)"],
}


@pytest.mark.parametrize("key", sorted(BAD_SETTINGS))
def test_a_bad_saved_setting_falls_back_to_its_default(qtbot, make_window, key):
    path = Path(open_settings().fileName())
    path.parent.mkdir(parents=True, exist_ok=True)
    for value in BAD_SETTINGS[key]:
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"[General]\n{key}={value}\n")
        window = make_window()  # waits until its first network is built
        assert window.run.applied.layers == TrainConfig().layers
        assert window.graph_panel.mode.currentText() in window.mode_actions
        window.close()


# ---- 2. every control holds every value the settings accept, exactly ----


EDGE_VALUES = {
    "noise": (0.123, 0.987654321, 1.0, 5e-324, 1e-300),
    "test_split": (0.95, 0.123456789, math.nextafter(1, 0), 1e-300),
    "momentum": (0.995, 0.99999, math.nextafter(1, 0), 1e-300),
    "lr": (1e-8, 1.2345678901234567e-7, 3e-300, 5e-324, MAX_LR, 0.123456789),
    "l2": (1e-13, 1.5e-7, 1e-300, 5e-324, 1.0),
    "seed": (2**31, 3_000_000_000, MAX_SEED),
    "decay_steps": (0, 500),
}


@pytest.mark.parametrize("field", sorted(EDGE_VALUES))
def test_every_control_holds_every_accepted_value_exactly(qtbot, window, field):
    for value in EDGE_VALUES[field]:
        config = TrainConfig(**{field: value})
        window.panel.set_config(config)
        assert window.panel.config() == config, (field, value)
        window.panel.clearFocus()  # the text shown is read back the same
        window.panel.noise.setFocus()
        window.panel.lr.setFocus()
        assert window.panel.config() == config, (field, value)


def test_per_layer_activations_that_agree_are_kept_as_given(window):
    config = TrainConfig(layers=(3, 3), activation=("relu", "relu"))
    window.panel.set_config(config)
    assert window.panel.config() == config


def test_a_session_at_the_edges_opens_without_a_false_change(qtbot, window, errors, tmp_path):
    path, config = saved(
        tmp_path, noise=0.123, momentum=0.995, test_split=0.95, lr=1e-8, decay_steps=7
    )
    assert window.files.open_session(str(path))
    wait_opened(qtbot, window, config)
    qtbot.wait(100)
    assert window.panel.config() == config
    assert not window.banner.isVisible()
    assert "applies on Reset" not in window.statusBar().currentMessage()
    assert window.train_worker.trainer.lr == 1e-8  # not a rounded rate pushed live
    assert errors == []


# ---- 3. a session's own points and momentum ----


def csv_session(tmp_path, steps=3):
    csv = tmp_path / "pts.csv"
    csv.write_text("".join(f"{i / 10},{(i * 7 % 11) / 10},{i % 2}\n" for i in range(30)))
    return saved(tmp_path, steps=steps, dataset="csv", csv_path=str(csv), momentum=0.9)


def test_a_session_whose_csv_moved_opens_with_its_own_points(qtbot, window, errors, tmp_path):
    path, config = csv_session(tmp_path)
    points = load_session(path).data
    (tmp_path / "pts.csv").unlink()
    assert window.files.open_session(str(path))
    wait_opened(qtbot, window, config)
    assert errors == []
    assert window.run.data.x_train == points.x_train and window.run.data.y_test == points.y_test
    assert window.step_count == 3


def test_an_edited_csv_does_not_change_an_opened_session(qtbot, window, errors, tmp_path):
    path, config = csv_session(tmp_path)
    points = load_session(path).data
    (tmp_path / "pts.csv").write_text("0,0,0\n1,1,1\n2,2,0\n3,3,1\n")
    assert window.files.open_session(str(path))
    wait_opened(qtbot, window, config)
    assert window.run.data.x_train == points.x_train


def test_momentum_survives_open_train_save(qtbot, window, errors, tmp_path):
    path, config = csv_session(tmp_path)
    session = load_session(path)
    assert any(session.velocity)
    assert window.files.open_session(str(path))
    wait_opened(qtbot, window, config)
    out = tmp_path / "again.json"
    assert window.files.save_session(str(out))
    assert load_session(out).velocity == session.velocity  # saved as opened
    # one more step in the window equals one more step of a trainer given the same state
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 4, timeout=10000)
    trainer = Trainer(
        config,
        model=session.model,
        data=session.data,
        history=session.history,
        velocity=session.velocity,
    )
    trainer.step_once()
    assert window.run.model == trainer.model.to_dict()
    assert window.files.save_session(str(out))
    assert load_session(out).velocity == tuple(trainer.velocity)


# ---- 11. exports: the suffix, and one wording for every failure ----


def test_a_loss_plot_export_without_png_gets_the_suffix(qtbot, window, errors, tmp_path):
    assert window.files.export_loss_plot(str(tmp_path / "loss"))
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert errors == []


def test_every_export_to_a_folder_says_so_the_same_way(qtbot, window, errors, tmp_path):
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=10000)
    qtbot.waitUntil(lambda: window.graph_view.graph.job.model == window.run.model, timeout=10000)
    exports = {
        "svg": lambda p: window.files.export_graph("svg", p),
        "dot": lambda p: window.files.export_graph("dot", p),
        "png": lambda p: window.files.export_graph("png", p),
        "plot.png": window.files.export_loss_plot,
        "csv": window.files.export_history,
        "json": window.files.save_session,
        "py": window.files.export_script,
    }
    for suffix, export in exports.items():
        folder = tmp_path / f"a folder.{suffix}"
        folder.mkdir()
        assert not export(str(folder))
        assert errors[-1] == f"cannot write {folder}: it is a folder"
        assert not export(str(tmp_path / "missing" / f"x.{suffix}"))
        assert errors[-1].startswith(f"cannot write {tmp_path / 'missing'}")
        assert "Errno" not in errors[-1]
    assert len(errors) == 2 * len(exports)


def test_a_session_made_outside_the_window_opens_with_a_model_like_it(qtbot, window, tmp_path):
    config = TrainConfig(layers=(3,), samples=20, seed=2**31 + 5)
    model = new_model(config)
    path = tmp_path / "plain.json"
    save_session(path, config, model, data=make_dataset(config))
    assert window.files.open_session(str(path))
    wait_opened(qtbot, window, config)
    assert MLP.from_dict(window.run.model).to_dict() == model.to_dict()

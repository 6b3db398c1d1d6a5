"""Drawn points: edits with undo/redo, the CSV they export, and a trainer taking them."""

import numpy as np
import pytest

from mgdesk.train import ConfigError, Dataset, TrainConfig, Trainer, load_csv, make_dataset
from mgdesk.train.config import MAX_SAMPLES
from mgdesk.train.drawn import DRAWN, MAX_UNDO, PointEdits, points_csv, work_problem


def test_points_go_to_the_training_set_unless_marked_as_test_points():
    edits = PointEdits()
    edits.add([(0.5, 1.0)], 1.0)
    data = edits.add([(-2.0, 0.25)], -1.0, test=True)
    assert data.name == DRAWN
    assert data.x_train == ((0.5, 1.0),) and data.y_train == (1.0,)
    assert data.x_test == ((-2.0, 0.25),) and data.y_test == (-1.0,)


def test_undo_and_redo_walk_the_edits_and_a_new_edit_drops_the_redo_steps():
    edits = PointEdits()
    one = edits.add([(0.0, 0.0)], 1.0)
    two = edits.add([(1.0, 1.0)], -1.0)
    assert edits.undo() == one
    assert edits.undo().x_train == ()
    assert edits.undo() is None and not edits.can_undo
    assert edits.redo() == one and edits.redo() == two and edits.redo() is None
    edits.undo()
    edits.remove(train=[0])
    assert not edits.can_redo and edits.data.x_train == ()


def test_a_stroke_undoes_as_one_step():
    edits = PointEdits()
    edits.add([(9.0, 9.0)], 1.0)
    stroke = edits.new_stroke()
    for i in range(5):
        edits.add([(float(i), 0.0)], -1.0, stroke=stroke)
    assert len(edits.data.x_train) == 6
    assert edits.undo().x_train == ((9.0, 9.0),)


def test_editing_generated_points_starts_from_them_and_undo_gets_the_old_drawing_back():
    edits = PointEdits()
    mine = edits.add([(3.0, 3.0)], 1.0)
    moons = make_dataset(TrainConfig(samples=20))
    started = edits.start_from(moons)
    assert started.name == DRAWN
    assert (started.x_train, started.x_test) == (moons.x_train, moons.x_test)  # split kept
    edits.remove(test=[0])
    assert edits.data.x_test == moons.x_test[1:]
    edits.undo()
    assert edits.undo() == mine


def test_clear_empties_the_plane_and_is_undone():
    edits = PointEdits()
    edits.add([(1.0, 2.0)], 1.0)
    assert edits.clear() == Dataset(DRAWN, (), (), (), ())
    assert edits.undo().x_train == ((1.0, 2.0),)


def test_the_undo_history_is_bounded_and_the_points_are_limited():
    edits = PointEdits()
    for i in range(MAX_UNDO + 20):
        edits.add([(float(i), 0.0)], 1.0)
    while edits.undo() is not None:
        pass
    assert len(edits.data.x_train) == 20  # the oldest steps were dropped
    big = PointEdits()
    big.add([(0.0, 0.0)] * MAX_SAMPLES, 1.0)
    assert big.add([(1.0, 1.0)], 1.0) is None


def test_too_many_points_for_the_network_is_refused_with_the_reason():
    small, big = TrainConfig(layers=(4,)), TrainConfig(layers=(256, 256))
    assert work_problem(small, 10_000, 0) == ""
    problem = work_problem(big, 2_000, 0)
    assert "weights" in problem and "limit" in problem
    assert (
        work_problem(TrainConfig(layers=(256, 256), samples=1000, batch_size=100), 2_000, 0) == ""
    )


def test_the_exported_csv_imports_back_with_the_same_points(tmp_path):
    data = Dataset(
        DRAWN, ((0.1, -2.5), (1e-17, 3.0)), (1.0, -1.0), ((0.3333333333333333, 4.0),), (-1.0,)
    )
    path = tmp_path / "points.csv"
    path.write_text(points_csv(data), encoding="utf-8")
    rows = load_csv(path)
    assert rows == [(0.1, -2.5, 1.0), (1e-17, 3.0, -1.0), (0.3333333333333333, 4.0, -1.0)]


def test_a_drawn_dataset_is_not_made_from_settings():
    with pytest.raises(ConfigError, match="drawn points live in the window") as err:
        make_dataset(TrainConfig(dataset=DRAWN))
    assert err.value.field == "dataset"


def test_new_data_keep_the_weights_and_apply_from_the_next_step():
    config = TrainConfig(layers=(4,), samples=20, test_split=0.0, steps=50)
    trainer = Trainer(config)
    trainer.step_once()
    weights = [p.data for p in trainer.model.parameters()]
    drawn = Dataset(DRAWN, ((0.0, 0.0), (5.0, 5.0)), (-1.0, 1.0), ((1.0, 1.0),), (1.0,))
    trainer.set_data(drawn, config.replace(dataset=DRAWN))
    assert [p.data for p in trainer.model.parameters()] == weights
    assert trainer.step == 1 and trainer.config.dataset == DRAWN
    stats = trainer.step_once()
    # the step's loss is the one of the new points under the weights it started from
    fresh = Trainer(config.replace(dataset=DRAWN), model=_copy(trainer, weights), data=drawn)
    assert stats.train_loss == pytest.approx(fresh.evaluate()["train_loss"], rel=1e-12)
    assert stats.test_loss is not None


def test_a_trainer_without_training_points_takes_no_step():
    trainer = Trainer(TrainConfig(layers=(4,), samples=20))
    trainer.set_data(Dataset(DRAWN, (), (), ((1.0, 1.0),), (1.0,)))
    assert trainer.step_once() is None and trainer.failure is None and trainer.step == 0


def _copy(trainer, weights):
    from mgdesk.engine import MLP

    model = MLP.from_dict(trainer.model.to_dict())
    for p, w in zip(model.parameters(), weights):
        p.data = w
    assert np.isfinite([p.data for p in model.parameters()]).all()
    return model


def test_the_drawing_kept_between_launches_reads_back_and_junk_is_refused():
    from mgdesk.train.drawn import from_json, to_json

    data = Dataset(DRAWN, ((0.1, 2.0),), (1.0,), ((3.0, -4.5),), (-1.0,))
    assert from_json(to_json(data)) == data
    for junk in ("", "[]", '{"x_train": 1}', to_json(data).replace("0.1", "1e999"), "{" * 5000):
        assert from_json(junk) is None


def test_a_drawn_curve_exports_its_y_values_not_classes():
    data = Dataset(DRAWN, ((0.5, 0.0), (-1.0, 0.0)), (0.37, -1.25), ((2.0, 0.0),), (3.5,))
    rows = [line.split(",") for line in points_csv(data).splitlines() if line[0] != "#"][1:]
    assert [float(r[2]) for r in rows] == [0.37, -1.25, 3.5]

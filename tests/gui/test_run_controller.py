"""A RunController is one run on screen without any view: two of them (compare mode) train
side by side, each in its own thread, without touching each other."""

import pytest

from mgdesk.gui.run_controller import RunController
from mgdesk.gui.threads import GuiGate, stop_threads
from mgdesk.train import TrainConfig

SMALL = TrainConfig(samples=60, layers=(3,), steps=40, seed=1)


@pytest.fixture
def controllers(qtbot):
    made = []

    def make(config):
        runner = RunController(GuiGate(), name=f"test-run-{len(made)}")
        news = {"reset": [], "steps": [], "grids": [], "failed": [], "finished": []}
        runner.reset_shown.connect(news["reset"].append)
        runner.steps_shown.connect(news["steps"].extend)
        runner.grid_shown.connect(lambda grid, size, bounds: news["grids"].append(size))
        runner.failed.connect(lambda reason, hint: news["failed"].append(reason))
        runner.finished.connect(news["finished"].append)
        runner.run.edit(config)  # what the controls hold (the window's panel tells it)
        runner.reset(config)
        qtbot.waitUntil(lambda: runner.run.ready, timeout=10000)
        made.append(runner)
        return runner, news

    yield make
    for runner in made:
        runner.close()
    assert stop_threads([runner.thread for runner in made], timeout_ms=5000)


def test_two_runs_train_side_by_side_each_with_its_own_history(qtbot, controllers):
    left, left_news = controllers(SMALL)
    right, right_news = controllers(SMALL.replace(layers=(5, 5), steps=25, seed=2))
    assert left.thread is not right.thread
    assert left.train(1.0) and right.train(1.0)
    qtbot.waitUntil(lambda: bool(left_news["finished"] and right_news["finished"]), timeout=20000)
    assert left_news["finished"] == right_news["finished"] == ["done"]
    assert [s.step for s in left.run.history] == list(range(1, 41))
    assert [s.step for s in right.run.history] == list(range(1, 26))
    # every step reached its own run's views, once
    assert [s.step for s in left_news["steps"]] == list(range(1, 41))
    assert [s.step for s in right_news["steps"]] == list(range(1, 26))
    assert left.run.model["nouts"] == [3, 1] and right.run.model["nouts"] == [5, 5, 1]
    qtbot.waitUntil(lambda: bool(left_news["grids"] and right_news["grids"]), timeout=10000)
    assert not left.train(1.0)  # at its step limit; the other is not affected
    right.step(1.0)
    qtbot.waitUntil(lambda: right.run.step == 26, timeout=5000)
    assert left.run.step == 40


def test_a_diverging_run_says_so_once_and_the_other_goes_on(qtbot, controllers):
    wild, wild_news = controllers(SMALL.replace(lr=1e6, lr_decay="none", steps=500))
    calm, calm_news = controllers(SMALL)
    wild.train(1e6)
    calm.train(1.0)
    qtbot.waitUntil(lambda: bool(wild_news["finished"] and calm_news["finished"]), timeout=20000)
    assert wild_news["finished"] == ["failed"] and len(wild_news["failed"]) == 1
    assert "became" in wild_news["failed"][0]
    assert wild.run.failed and not wild.train(1.0)  # only Reset goes on
    assert calm_news["finished"] == ["done"] and not calm_news["failed"]
    wild.run.edit(SMALL)
    wild.reset(SMALL)
    qtbot.waitUntil(lambda: wild.run.ready and not wild.run.failed, timeout=10000)
    assert len(wild_news["reset"]) == 2 and wild.train(1.0)

"""The run's state machine without Qt: Train / Pause / Step / Reset / Diverged / step limit."""

from dataclasses import dataclass, replace

from mgdesk.train import TrainConfig, make_dataset
from mgdesk.train.run_model import RunModel, describe_run
from mgdesk.train.trainer import StepStats


@dataclass(frozen=True)
class Snap:  # what the training thread reports (the fields the model reads)
    generation: int
    step: int = 0
    stats: tuple = ()
    model: dict | None = None
    data: object = None
    config: object = None
    history: tuple = ()
    velocity: tuple = ()


def Stats(step, lr=0.1):  # noqa: N802 (reads as the StepStats it makes)
    return StepStats(step, 1.0 / step, 0.5, None, None, 0.1, lr, 0.001 * step, 1.0)


def built(config=None):
    """A model whose first network is built."""
    config = config or TrainConfig(layers=(4,), steps=5)
    run = RunModel()
    run.edit(config)
    request = run.begin_reset(config)
    data = make_dataset(config)
    assert run.reset_done(Snap(request.generation, model={"m": 1}, data=data, config=config))
    return run, config


def test_nothing_to_train_before_the_first_network():
    run = RunModel()
    run.edit(TrainConfig())
    assert not run.ready and not run.can_train and run.start(0.1) is None


def test_train_pause_and_a_finished_run():
    run, _ = built()
    request = run.start(0.1)
    assert run.running and request.steps == 5 and not request.stop.is_set()
    assert run.start(0.1) is None  # already running
    assert run.pause() and request.stop.is_set() and not run.running
    again = run.start(0.2)
    assert again.run_id == request.run_id + 1 and again.stop is not request.stop
    assert not run.run_finished(request.run_id)  # an older run's end changes nothing
    assert run.run_finished(again.run_id) and not run.running
    assert run.lrs_used == [0.1, 0.2]


def test_steps_and_the_step_limit():
    run, config = built()
    generation = run.begin_step(0.1)
    assert generation == run.generation
    assert run.steps_done(Snap(generation, 5, tuple(map(Stats, range(1, 6)))), now=1.0)
    assert run.step == 5 and len(run.history) == 5
    assert run.at_step_limit and run.start(0.1) is None
    run.edit(config.replace(steps=10))  # the limit applies live
    assert not run.at_step_limit and run.start(0.1) is not None


def test_stale_news_is_dropped():
    run, config = built()
    old = run.generation
    run.begin_reset(config)
    assert not run.steps_done(Snap(old, 3, (Stats(3),)), now=1.0)
    assert not run.reset_done(Snap(old, data=make_dataset(config), config=config))
    assert run.step == 0 and not run.ready


def test_diverged_until_reset():
    run, config = built()
    run.start(0.1)
    run.diverged()
    assert run.failed and not run.running and not run.can_train
    assert run.begin_step(0.1) is None and run.start(0.1) is None
    run.begin_reset(config)
    assert not run.failed


def test_reset_names_the_finished_run_for_the_ghost():
    run, config = built()
    assert run.begin_reset(config).ghost == ""  # nothing trained: no ghost
    run.reset_done(Snap(run.generation, data=make_dataset(config), config=config))
    run.start(1.0)
    run.steps_done(Snap(run.generation, 1, (Stats(1),)), now=1.0)
    request = run.begin_reset(config)
    assert request.ghost == describe_run(config, [1.0]) == "4 relu · moons · lr 1"
    assert run.history == [] and run.step == 0


def test_edits_apply_now_before_training_and_on_reset_after():
    run, config = built()
    edit = run.edit(config.replace(layers=(8,)))
    assert edit.changed == ("layers",) and edit.apply_now and not edit.on_reset
    assert run.edit(config.replace(lr=0.5)).changed == ()  # live: nothing waits
    run.start(0.1)
    edit = run.edit(config.replace(layers=(8,), seed=3))
    assert edit.on_reset and not edit.apply_now
    assert run.field_names(edit.changed) == "seed, hidden layers"


def test_refused_settings_are_not_applied_again_by_themselves():
    run, config = built()
    bad = config.replace(layers=(8,))
    run.begin_reset(bad)
    run.reset_refused()
    assert not run.edit(bad).apply_now
    assert run.edit(config.replace(layers=(9,))).apply_now


def test_traced_sample_falls_back_when_the_data_shrinks():
    run, config = built()
    run.traced = ("train", 10_000)
    run.begin_reset(config)
    run.reset_done(Snap(run.generation, model={}, data=make_dataset(config), config=config))
    assert run.traced == ("train", 0)
    x, y, caption = run.traced_sample()
    assert x == tuple(run.data.x_train[0]) and caption.startswith("Loss of train sample #0")


def test_a_saved_runs_points_and_momentum_go_with_its_reset_and_come_back():
    config = TrainConfig(layers=(4,), steps=5, momentum=0.9)
    data = make_dataset(config)
    run = RunModel()
    request = run.begin_reset(config, {"m": 1}, (), data, [0.5, -0.25])
    assert request.data is data and request.velocity == (0.5, -0.25)
    assert run.reset_done(Snap(request.generation, model={"m": 1}, data=data, config=config,
                               velocity=(0.5, -0.25)))  # fmt: skip
    assert run.velocity == (0.5, -0.25)
    assert run.steps_done(Snap(request.generation, 1, (Stats(1),), velocity=(0.4, 0.1)), now=1.0)
    assert run.velocity == (0.4, 0.1)  # always the momentum of the model it came with


def test_a_refused_reset_keeps_the_run_and_makes_no_ghost():
    run, config = built()
    run.begin_step(0.5)
    assert run.steps_done(Snap(run.generation, 2, (Stats(1), Stats(2)), model={"m": 2}), now=1.0)
    request = run.begin_reset(config)
    assert request.ghost == describe_run(config, [0.5])
    run.reset_refused()  # the worker keeps the old network under the new generation
    history = (Stats(1), Stats(2))
    snap = Snap(request.generation, 2, model={"m": 2}, data=make_dataset(config), config=config)
    assert run.reset_done(replace(snap, history=history))
    assert run.ghost is None and run.step == 2 and run.lrs_used == [0.5]
    again = run.begin_reset(config)  # a reset that works makes the run the ghost
    assert run.reset_done(Snap(again.generation, data=snap.data, config=config))
    assert run.ghost == describe_run(config, [0.5])


def test_the_history_of_a_long_run_stays_compact():
    """A window trains thousands of steps a second: as StepStats objects an hour's history
    would take gigabytes; the run keeps it at about 9 numbers a step."""
    import tracemalloc

    run, _ = built()
    chunk = tuple(Stats(step) for step in range(1, 1001))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(20):
        assert run.steps_done(Snap(run.generation, 1000, chunk), now=1.0)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(run.history) == 20_000 and run.history[-1] == chunk[-1]
    assert grown / 20_000 < 100, f"{grown / 20_000:.0f} bytes a step"

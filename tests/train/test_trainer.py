"""Optimizer, Trainer and the stoppable train generator."""

import math
import threading
import time

import pytest

from mgdesk.engine import MLP, FastMLP, Value
from mgdesk.train import (
    LOSSES,
    SGD,
    StepStats,
    TrainConfig,
    Trainer,
    TrainingFailure,
    decision_grid,
    decision_grid_bands,
    make_dataset,
    sample_loss,
    scheduled_lr,
    train,
)
from mgdesk.train.trainer import neuron_grids, scores

SMALL = TrainConfig(samples=40, layers=(4, 4), steps=20, test_split=0.25)


def test_sgd_step_without_and_with_momentum():
    p = Value(1.0)
    sgd = SGD([p])
    p.grad = 0.5
    sgd.step(0.1)
    assert p.data == pytest.approx(0.95)
    q = Value(1.0)
    sgd = SGD([q], momentum=0.9)
    q.grad = 1.0
    sgd.step(0.1)  # v = 1
    sgd.step(0.1)  # v = 0.9 * 1 + 1 = 1.9
    assert q.data == pytest.approx(1.0 - 0.1 - 0.19)


def test_linear_decay_is_micrograds_schedule():
    assert [scheduled_lr(1.0, "linear", k, 100) for k in (0, 50, 99)] == pytest.approx(
        [1.0 - 0.9 * k / 100 for k in (0, 50, 99)]
    )
    assert scheduled_lr(2.0, "linear", 10, 100) == pytest.approx(2.0 * 0.91)
    assert scheduled_lr(0.3, "none", 99, 100) == 0.3
    assert scheduled_lr(1.0, "linear", 500, 100) == pytest.approx(0.1)  # past the end


def test_a_step_updates_every_parameter_against_its_gradient():
    trainer = Trainer(SMALL.replace(l2=0.0, lr_decay="none", lr=0.1))
    before = [p.data for p in trainer.model.parameters()]
    stats = trainer.step_once()
    after = [p.data for p in trainer.model.parameters()]
    grads = [p.grad for p in trainer.model.parameters()]
    assert after == pytest.approx([b - 0.1 * g for b, g in zip(before, grads)])
    assert stats.step == 1 and trainer.step == 1 and trainer.history == [stats]
    assert stats.grad_norm == pytest.approx(math.sqrt(sum(g * g for g in grads)))
    assert stats.lr == 0.1 and stats.ms_per_step > 0 and stats.elapsed > 0


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_fast_and_value_paths_give_the_same_losses_and_gradients(loss):
    config = SMALL.replace(loss=loss, batch_size=10, momentum=0.5, steps=5)
    fast, plain = Trainer(config), Trainer(config, engine="value")
    for _ in range(5):
        a, b = fast.step_once(), plain.step_once()
        assert a.train_loss == pytest.approx(b.train_loss, rel=1e-12, abs=1e-12)
        assert a.test_loss == pytest.approx(b.test_loss, rel=1e-12, abs=1e-12)
        assert a.train_acc == b.train_acc and a.grad_norm == pytest.approx(b.grad_norm, 1e-12)
        for p, q in zip(fast.model.parameters(), plain.model.parameters()):
            assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-12)
            assert p.data == pytest.approx(q.data, rel=1e-12, abs=1e-12)


def test_the_train_loss_includes_the_l2_term():
    trainer = Trainer(SMALL.replace(l2=0.5))
    reg = 0.5 * sum(p.data**2 for p in trainer.model.parameters())
    data_loss, _ = Trainer(SMALL.replace(l2=0.0)).measure(
        trainer.data.x_train, trainer.data.y_train
    )
    assert trainer.step_once().train_loss == pytest.approx(data_loss + reg)


def test_minibatches_are_seeded():
    config = SMALL.replace(batch_size=8)
    a, b = Trainer(config), Trainer(config)
    batches = [a._batch(k) for k in range(3)]
    assert batches == [b._batch(k) for k in range(3)]
    assert all(len(x) == 8 for x, _ in batches) and batches[0] != batches[1]
    assert [s.train_loss for s in a.run()] == [s.train_loss for s in b.run()]


def test_train_yields_one_stats_per_step_up_to_the_total():
    trainer = Trainer(SMALL)
    stats = list(trainer.run())
    assert [s.step for s in stats] == list(range(1, 21))
    assert all(isinstance(s, StepStats) for s in stats)
    assert stats[-1].test_acc is not None and 0 <= stats[-1].test_acc <= 1
    assert stats[-1].train_loss < stats[0].train_loss
    assert list(trainer.run()) == []  # already at 20 steps
    assert trainer.failure is None


def test_stats_are_immutable_and_without_a_test_set_none():
    stats = next(train(SMALL.replace(test_split=0)))
    assert stats.test_loss is None and stats.test_acc is None
    with pytest.raises(AttributeError):
        stats.step = 3


def test_a_set_stop_event_ends_the_run_before_the_next_step():
    stop = threading.Event()
    trainer = Trainer(SMALL)
    run = trainer.run(stop)
    for stats in run:
        if stats.step == 3:
            stop.set()
    assert trainer.step == 3
    stop.set()
    assert list(train(SMALL, stop=stop)) == []


def test_stop_from_another_thread_ends_within_one_step():
    config = TrainConfig(samples=200, layers=(16, 16), steps=100_000)
    trainer, stop = Trainer(config), threading.Event()
    set_at = []

    def stopper():
        time.sleep(0.1)
        stop.set()
        set_at.append(trainer.step)  # read after setting: at most the step in flight follows

    thread = threading.Thread(target=stopper)
    thread.start()
    for _ in trainer.run(stop):
        pass
    thread.join()
    assert trainer.step - set_at[0] <= 1
    assert trainer.step < config.steps  # (the fast path makes thousands of steps a second)


def test_the_learning_rate_can_change_between_steps():
    config = SMALL.replace(lr_decay="none")
    trainer = Trainer(config)
    seen = []
    for stats in trainer.run():
        seen.append(stats.lr)
        trainer.lr = 0.05 if stats.step == 2 else trainer.lr
    assert seen[:3] == [1.0, 1.0, 0.05] and set(seen[2:]) == {0.05}


def test_a_huge_learning_rate_diverges_with_a_hint_not_an_exception():
    config = SMALL.replace(lr=1e6, lr_decay="none", steps=200)
    trainer = Trainer(config)
    stats = list(trainer.run())
    failure = trainer.failure
    assert isinstance(failure, TrainingFailure)
    assert len(stats) < 200 and trainer.step == len(stats)
    assert "became" in failure.reason and f"at step {len(stats) + 1}" in failure.reason
    assert "learning rate is too high" in failure.hint
    assert all(math.isfinite(s.train_loss) for s in stats)
    assert trainer.step_once() is None  # a failed trainer stays failed
    run = trainer.run()
    with pytest.raises(StopIteration) as end:
        next(run)
    assert end.value.value is failure


def test_numbers_too_large_before_any_update_blame_the_data(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("1e300,1e300,1\n-1e300,2,0\n1,1,1\n2,2,0\n")
    config = TrainConfig(dataset="csv", csv_path=str(path), test_split=0, layers=(4,))
    trainer = Trainer(config)
    assert list(trainer.run()) == []
    assert "at step 1" in trainer.failure.reason
    assert "scale the data" in trainer.failure.hint and "1e+300" in trainer.failure.hint
    assert "learning rate" not in trainer.failure.hint


def test_momentum_is_named_in_the_hint_when_used():
    trainer = Trainer(SMALL.replace(lr=1e6, momentum=0.9, steps=200))
    list(trainer.run())
    assert "or the momentum" in trainer.failure.hint


def test_continuing_from_a_history():
    first = Trainer(SMALL)
    list(first.run(None, SMALL.steps))
    more = SMALL.replace(steps=30)
    second = Trainer(more, model=first.model, data=first.data, history=first.history)
    stats = list(second.run(None, more.steps))
    assert [s.step for s in stats] == list(range(21, 31)) and len(second.history) == 30
    assert stats[0].elapsed >= first.history[-1].elapsed


def test_a_run_continued_with_its_velocity_equals_one_run():
    config = SMALL.replace(momentum=0.9, lr=0.1)
    whole = Trainer(config)
    list(whole.run(None, config.steps))
    half = Trainer(config)
    for _ in range(10):
        half.step_once()
    model = MLP.from_dict(half.model.to_dict())
    rest = Trainer(config, model, history=half.history, velocity=half.velocity)
    list(rest.run(None, config.steps))
    assert rest.model.to_dict() == whole.model.to_dict()
    assert [s.train_loss for s in rest.history] == [s.train_loss for s in whole.history]


def test_decay_steps_sets_the_length_of_the_linear_decay():
    config = SMALL.replace(steps=30, decay_steps=20)
    lrs = [s.lr for s in train(config)]
    assert lrs[:20] == pytest.approx([1.0 - 0.9 * k / 20 for k in range(20)])
    assert lrs[20:] == pytest.approx([0.1] * 10)  # then it stays where the decay ended


def test_predict_and_evaluate_use_the_current_weights():
    trainer = Trainer(SMALL)
    points = trainer.data.x_train[:7]
    assert trainer.predict(points) == FastMLP(trainer.model).forward(points)[:, 0].tolist()
    ev = trainer.evaluate()
    assert ev["train_loss"] == pytest.approx(trainer.step_once().train_loss)
    assert set(ev) == {"train_loss", "train_acc", "test_loss", "test_acc"}


def test_the_model_must_give_one_score_from_two_inputs():
    with pytest.raises(ValueError):
        Trainer(SMALL, model=MLP(3, [4, 1]))
    with pytest.raises(ValueError):
        Trainer(SMALL, engine="torch")


def test_micrograds_demo_recipe_reaches_full_accuracy():
    config = TrainConfig(test_split=0)  # moons 100/0.1, 16,16 relu, hinge, L2 1e-4, lr 1 linear
    trainer = Trainer(config)
    stats = list(trainer.run())
    assert len(stats) == 100 and stats[-1].train_acc == 1.0
    assert trainer.evaluate()["train_acc"] == 1.0
    assert stats[-1].train_loss < 0.02  # micrograd's demo ends near 0.011


# ---- the graph view's loss and the decision boundary ----


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_sample_loss_is_one_samples_loss_with_labelled_leaves(loss):
    config = SMALL.replace(loss=loss, l2=0.0)
    trainer = Trainer(config)
    x, y = trainer.data.x_train[0], trainer.data.y_train[0]
    root = sample_loss(trainer.model.to_dict(), x, y, loss)
    assert root.label == "loss"
    labels = {v.label for v in root.topological_order()}
    outputs = {"score1", "score2"} if loss == "ce" else {"y", "score"}  # ce: y picks a score
    assert {"x1", "x2", "L1.N1.w1", "L3.N2.b" if loss == "ce" else "L3.N1.b", *outputs} <= labels
    single = Trainer(config, model=trainer.model, data=make_dataset(config))
    expected, _ = single.measure([x], [y])
    assert root.data == pytest.approx(expected, abs=1e-12)
    root.backward()  # the graph differentiates like any other


def test_sample_loss_graph_shape_does_not_depend_on_the_numbers():
    model = MLP(2, [3, 1], seed=1)
    a = sample_loss(model, (0.1, 0.2), 1.0, "bce")
    b = sample_loss(model, (-5.0, 9.0), -1.0, "bce")
    assert [v._op for v in a.topological_order()] == [v._op for v in b.topological_order()]


def test_decision_grid_rows_start_at_ymin():
    model = MLP(2, [1])  # score = w1*x1 + w2*x2 + b, made to be x2
    neuron = model.layers[0].neurons[0]
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.0, 1.0, 0.0
    grid = decision_grid(model.to_dict(), bounds=(-1, 1, -2, 2), resolution=5)
    assert len(grid) == 5 and all(len(row) == 5 for row in grid)
    assert [row[0] for row in grid] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert grid[4] == [2.0] * 5


def test_decision_grid_matches_the_network_and_is_fast():
    model = MLP(2, [16, 16, 1], seed=3)
    grid = decision_grid(model, bounds=(-2, 3, -1.5, 2), resolution=60)
    assert grid[0][0] == pytest.approx(model([-2.0, -1.5]).data, abs=1e-12)
    assert grid[59][59] == pytest.approx(model([3.0, 2.0]).data, abs=1e-12)
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        decision_grid(model.to_dict(), bounds=(-2, 3, -1.5, 2), resolution=60)
        best = min(best, time.perf_counter() - start)
    assert best < 0.1, f"60x60 grid at 16,16 took {best * 1000:.0f} ms"


@pytest.mark.parametrize(
    "bounds, resolution", [((0, 0, 0, 1), 10), ((0, 1, 0, math.nan), 10), ((0, 1, 0, 1), 1)]
)
def test_decision_grid_rejects_bad_arguments(bounds, resolution):
    with pytest.raises(ValueError):
        decision_grid(MLP(2, [1]), bounds=bounds, resolution=resolution)


# ---- the weights live in arrays while training; the model's Values follow ----


@pytest.mark.parametrize("activation", [("tanh", "relu"), ("linear", "tanh"), "relu"], ids=str)
def test_fast_and_value_paths_agree_for_every_activation_and_option(activation):
    config = SMALL.replace(
        activation=activation, l2=1e-3, momentum=0.8, lr=0.3, batch_size=12, steps=6
    )
    fast, plain = Trainer(config), Trainer(config, engine="value")
    for a, b in zip(fast.run(None, config.steps), plain.run(None, config.steps), strict=True):
        assert a.lr == b.lr and a.train_acc == b.train_acc
        assert a.train_loss == pytest.approx(b.train_loss, rel=1e-12, abs=1e-12)
    for p, q in zip(fast.model.parameters(), plain.model.parameters()):
        assert p.data == pytest.approx(q.data, rel=1e-12, abs=1e-12)
    assert fast.velocity == pytest.approx(plain.velocity, rel=1e-12, abs=1e-12)


def test_the_same_seed_gives_the_same_bits():
    config = TrainConfig(samples=300, layers=(32, 32), activation="tanh", momentum=0.9, steps=15)
    runs = []
    for _ in range(2):
        trainer = Trainer(config)
        stats = list(trainer.run())
        runs.append(([s.train_loss for s in stats], trainer.model.to_dict(), trainer.velocity))
    assert runs[0] == runs[1]


def test_the_model_read_between_steps_is_up_to_date_and_changes_to_it_count():
    trainer = Trainer(SMALL.replace(lr_decay="none", l2=0.0))
    kept = trainer.model
    trainer.step_once()
    assert trainer.model is kept
    assert [p.data for p in kept.parameters()] == trainer._fast.theta.tolist()
    bias = kept.layers[-1].neurons[0].b
    unchanged = trainer.measure(trainer.data.x_train, trainer.data.y_train)[0]
    bias.data += 5.0  # a change made through the model is what the next step trains from
    assert trainer.predict(trainer.data.x_train) == scores(kept, trainer.data.x_train)
    changed = trainer.measure(trainer.data.x_train, trainer.data.y_train)[0]
    assert changed != pytest.approx(unchanged)
    assert trainer.step_once().train_loss == pytest.approx(changed, rel=1e-12)
    assert trainer._fast.theta.tolist() == [p.data for p in trainer.model.parameters()]


def test_a_reference_to_the_model_is_up_to_date_when_a_run_ends():
    model = MLP(2, [4, 4, 1], seed=1)
    before = model.to_dict()
    trainer = Trainer(SMALL, model=model)
    list(trainer.run())
    assert model.to_dict() != before
    assert [p.data for p in model.parameters()] == trainer._fast.theta.tolist()


def test_scores_and_the_grid_equal_the_value_graph():
    model = MLP(2, [8, 5, 1], activation=["tanh", "relu"], seed=7)
    points = [(-1.5, 0.25), (0.0, 0.0), (2.0, -3.0)]
    expected = [model(list(p)).data for p in points]
    assert scores(model, points) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert scores(model, []) == []
    grid = decision_grid(model, bounds=(-1, 1, -2, 2), resolution=100)
    assert len(grid) == 100 and all(len(row) == 100 for row in grid)
    assert grid[99][0] == pytest.approx(model([-1.0, 2.0]).data, rel=1e-12, abs=1e-12)
    bands = list(decision_grid_bands(model, (-1, 1, -2, 2), 100, band=8))
    assert [v for band in bands for v in band] == [v for row in grid for v in row]


def test_neuron_grids_hold_each_hidden_neurons_output():
    model = MLP(2, [3, 2, 1], activation=["tanh", "relu"], seed=2)
    grids = neuron_grids(model.to_dict(), bounds=(-1, 1, 0, 2), resolution=5)
    assert list(grids) == ["L1.N1", "L1.N2", "L1.N3", "L2.N1", "L2.N2"]
    assert all(g.shape == (5, 5) for g in grids.values())
    neuron = model.layers[1].neurons[1]
    hidden = [n([Value(0.5), Value(2.0)]) for n in model.layers[0].neurons]  # row 4, column 3
    assert grids["L2.N2"][4, 3] == pytest.approx(neuron(hidden).data, rel=1e-12, abs=1e-12)
    assert grids["L1.N1"][0, 0] == pytest.approx(model.layers[0].neurons[0]([-1.0, 0.0]).data)


# ---- a stop request is honoured within a fraction of a second at any size ----


class StopAfter:
    """A stop event that reads as set from its n-th check on."""

    def __init__(self, n):
        self.checks, self.n = 0, n

    def is_set(self):
        self.checks += 1
        return self.checks >= self.n


def test_a_stop_during_a_plain_value_step_abandons_it_and_changes_nothing():
    config = SMALL.replace(steps=5)
    trainer = Trainer(config, engine="value")
    before = trainer.model.to_dict()
    stop = StopAfter(3)  # checked before the step, then after each sample: inside step 1
    assert list(trainer.run(stop)) == []
    assert stop.checks == 3 and trainer.step == 0 and trainer.failure is None
    assert trainer.model.to_dict() == before and trainer.history == []
    assert trainer.step_once() is not None  # and it can go on


@pytest.mark.parametrize(
    ("engine", "layers"), [("fast", (256, 256)), ("fast", (256,) * 8), ("value", (16, 16))]
)
def test_stop_ends_a_run_at_the_largest_allowed_size_quickly(engine, layers):
    from mgdesk.train.config import MAX_VALUE_WORK, MAX_WORK, count_weights

    limit = MAX_VALUE_WORK if engine == "value" else MAX_WORK
    samples = limit // count_weights(layers)
    config = TrainConfig(samples=samples, layers=layers, test_split=0, steps=1_000_000)
    trainer, stop = Trainer(config, engine=engine), threading.Event()
    set_at = []

    def stopper():
        time.sleep(0.3)
        set_at.append(time.perf_counter())
        stop.set()

    thread = threading.Thread(target=stopper)
    thread.start()
    for _ in trainer.run(stop):
        pass
    ended = time.perf_counter()
    thread.join()
    # 0.5 s on an idle machine (benchmarks/bench_engine.py measures it); generous here
    assert ended - set_at[0] < 2.0


def test_run_goes_on_to_a_later_step_limit():
    trainer = Trainer(SMALL)
    assert [s.step for s in trainer.run(steps=5)] == [1, 2, 3, 4, 5]
    assert [s.step for s in trainer.run(steps=7)] == [6, 7]  # counted in total
    assert [s.step for s in trainer.run(None, 9)] == [8, 9]  # the training thread's call
    assert [s.step for s in trainer.run()][-1] == SMALL.steps

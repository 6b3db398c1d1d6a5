"""One gradient check for the window and the CLI: the same rules, kinks skipped, NaN fails."""

import math

import pytest

from mgdesk.engine import MLP, Value
from mgdesk.train import TrainConfig, Trainer, sample_loss
from mgdesk.viz.gradcheck import check_network, check_sample_gradients


def test_a_dead_neuron_at_its_kink_is_skipped_not_a_disagreement():
    # The window's G after seed 1337, moons, 4,4 relu, lr 1, 2000 steps, sample #0 said
    # "1 of 37 parameters disagree, relative error 1.0": L2.N3.b's neuron input sits at 0.
    config = TrainConfig(layers=(4, 4), activation="relu", lr=1.0, steps=2000)
    trainer = Trainer(config)
    for _ in trainer.run(None, config.steps):
        pass
    model = MLP.from_dict(trainer.model.to_dict())
    root = sample_loss(model, trainer.data.x_train[0], trainer.data.y_train[0], config.loss)
    report = check_sample_gradients(root, model.parameters(), use_torch=False)
    assert len(report.rows) == 37
    assert report.disagreeing == () and report.ok
    assert "L2.N3.b" in report.skipped
    (row,) = [r for r in report.rows if r.label == "L2.N3.b"]
    assert row.skipped and not row.disagrees and row.rel_error == 0.0


def test_the_window_and_the_cli_judge_one_sample_alike():
    model = MLP(2, [4, 4, 1], activation="relu", seed=3)
    x, y = (0.3, -0.8), 1.0
    root = sample_loss(model, x, y, "hinge")
    sample = check_sample_gradients(root, model.parameters(), eps=1e-5, tolerance=1e-4,
                                    use_torch=False)  # fmt: skip
    network = check_network(model, [x], [y], "hinge", 0.0, 1e-5, 1e-4, use_torch=False)
    by_label = {r.label: r for r in network.rows}
    for row in sample.rows:
        other = by_label[row.label]
        assert (row.skipped, row.disagrees) == (other.skipped, other.disagrees)
        assert row.engine == pytest.approx(other.engine, rel=1e-12, abs=1e-15)
    assert sample.ok and network.ok and network.fast_error < 1e-12


def test_a_wrong_backward_rule_fails_in_both(monkeypatch):
    model = MLP(2, [3, 1], activation="tanh", seed=2)
    x, y = (0.4, -0.9), -1.0
    right = Value._backward

    def wrong_tanh(node):  # the learner forgot the square: (1 - t) instead of (1 - t**2)
        if node._op == "tanh":
            node._a.grad += (1 - node.data) * node.grad
        else:
            right(node)

    monkeypatch.setattr(Value, "_backward", wrong_tanh)
    root = sample_loss(model, x, y, "mse")
    sample = check_sample_gradients(root, model.parameters(), use_torch=False)
    network = check_network(model, [x], [y], "mse", 0.0, 1e-6, 1e-5, use_torch=False)
    assert not sample.ok and not network.ok
    assert (
        set(sample.disagreeing)
        == set(network.disagreeing)
        == {p.label for p in model.layers[0].parameters()}
    )


def test_nan_is_a_failure_never_a_pass():
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    report = check_network(model, [(0.5, 0.2)], [1.0], "mse", 0.0, 1e300, 1e-4, use_torch=False)
    assert math.isnan(report.rows[0].numeric) or report.fd_error == math.inf
    assert report.fd_error == math.inf and not report.ok
    assert len(report.disagreeing) == len(report.rows)


def test_pytorch_is_compared_only_when_installed():
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    report = check_network(model, [(0.5, 0.2)], [1.0], "mse", 1e-3, 1e-6, 1e-4)
    try:
        import torch  # noqa: F401
    except ImportError:
        assert report.torch_error is None and all(r.torch is None for r in report.rows)
    else:
        assert report.torch_error < 1e-9


def test_tiny_bce_gradients_that_agree_are_not_flagged():
    # A well-classified point has a bce loss of ~1e-7, computed as log(1 + 1e-7): the 1 + ...
    # is rounded at the size of 1, not of the loss, so its finite differences carry ~1e-10
    # of rounding in gradients of ~1e-7. Such gradients agree; the allowance must know it.
    config = TrainConfig(seed=1337, layers=(4, 4), activation="tanh", loss="bce", steps=2000)
    trainer = Trainer(config)
    for _ in trainer.run(None, config.steps):
        pass
    model = trainer.model
    flagged = []
    for i, (x, y) in enumerate(zip(trainer.data.x_train, trainer.data.y_train, strict=True)):
        report = check_sample_gradients(
            sample_loss(model, x, y, "bce"), model.parameters(), use_torch=False
        )
        if report.disagreeing:
            flagged.append(i)
    assert flagged == []

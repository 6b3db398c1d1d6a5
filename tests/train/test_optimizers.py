"""SGD (with momentum) and Adam take torch.optim's steps: 100 steps, every loss to 1e-9."""

import re
import subprocess
import sys

import numpy as np
import pytest

from mgdesk.cli import main
from mgdesk.engine import MLP
from mgdesk.io import load_session
from mgdesk.train import ConfigError, TrainConfig, Trainer
from mgdesk.train.optim import Adam, scheduled_lr

CASES = {
    "sgd-momentum-decay-l2": dict(optimizer="sgd", momentum=0.9, lr=0.05, l2=1e-3),
    "adam-decay-l2": dict(optimizer="adam", lr=0.01, l2=1e-3),
    "adam-no-decay-tanh-mse": dict(
        optimizer="adam", lr=0.02, lr_decay="none", activation="tanh", loss="mse", l2=0.0
    ),
}


def torch_losses(torch, config, trainer_model, data, steps):
    """Each step's loss (L2 included) of the same network trained by torch.optim, with L2 as
    weight_decay = 2 * alpha and the learning rate set per step as mgdesk's schedule."""
    torch.set_default_dtype(torch.float64)
    sizes = [2, *config.layers, 1]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append({"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh()}[config.activation])
    model = torch.nn.Sequential(*layers)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for linear, rows in zip(linears, trainer_model.to_dict()["weights"], strict=True):
            linear.weight.copy_(torch.tensor([row[:-1] for row in rows]))
            linear.bias.copy_(torch.tensor([row[-1] for row in rows]))
    wd = 2 * config.l2
    if config.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=wd)
    else:
        opt = torch.optim.SGD(
            model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=wd
        )
    x, y = torch.tensor(data.x_train), torch.tensor(data.y_train)
    losses = []
    for k in range(steps):
        opt.zero_grad()
        s = model(x)[:, 0]
        data_loss = (
            torch.relu(1 - y * s).mean() if config.loss == "hinge" else ((s - y) ** 2).mean()
        )
        data_loss.backward()  # L2 comes in through weight_decay, as torch users write it
        l2 = sum((p * p).sum() for p in model.parameters()).item()
        losses.append(data_loss.item() + config.l2 * l2)
        for group in opt.param_groups:
            group["lr"] = scheduled_lr(config.lr, config.lr_decay, k, config.steps)
        opt.step()
    return losses


@pytest.mark.parametrize("options", CASES.values(), ids=CASES.keys())
def test_100_steps_match_torch_optim_loss_by_loss(options):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    config = TrainConfig(samples=60, layers=(8, 6), steps=100, **options)
    trainer = Trainer(config)
    start = trainer.model.to_dict()
    ours = [s.train_loss for s in trainer.run()]
    theirs = torch_losses(torch, config, MLP.from_dict(start), trainer.data, 100)
    assert len(ours) == len(theirs) == 100
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert abs(a - b) <= 1e-9 * max(abs(a), abs(b)), (k, a, b)


def test_adam_by_hand_on_one_parameter():
    """Adam's first two steps on p = 1 with gradients 0.5 then -0.25, written out."""
    p, g = np.array([1.0]), np.array([0.5])
    adam = Adam(p, g)
    adam.step(0.1)
    # t = 1: m = 0.05, v = 0.00025; m^ = 0.5, v^ = 0.25: p -= 0.1 * 0.5 / (0.5 + 1e-8)
    assert p[0] == pytest.approx(1 - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-15)
    g[0] = -0.25
    adam.step(0.1)
    m = 0.9 * 0.05 + 0.1 * -0.25
    v = 0.999 * 0.00025 + 0.001 * 0.0625
    expected = (
        1 - 0.1 * 0.5 / (0.5 + 1e-8) - 0.1 * (m / 0.19) / ((v / (1 - 0.999**2)) ** 0.5 + 1e-8)
    )
    assert p[0] == pytest.approx(expected, rel=1e-12)
    assert adam.velocity.tolist()[-1] == 2.0


def test_adam_state_goes_on_from_a_saved_session(tmp_path, capsys):
    """10 steps, saved, 10 more = 20 steps in one go (the moments and step count saved)."""
    options = "--samples 40 --layers 5 --steps 10 --optimizer adam --lr 0.01 --lr-decay none"
    path = tmp_path / "run.json"
    assert main(["train", "--quiet", "--save", str(path), *options.split()]) == 0
    assert (
        main(["train", "--quiet", "--load", str(path), "--steps", "10", "--save", str(path)]) == 0
    )
    twice = load_session(path)
    once = Trainer(TrainConfig(**{**twice.config.to_dict(), "steps": 20}))
    list(once.run())
    assert twice.history[-1].train_loss == pytest.approx(once.history[-1].train_loss, rel=1e-12)
    assert len(twice.velocity) == 2 * len(twice.model.parameters()) + 1
    capsys.readouterr()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
        (["--optimizer", "adam", "--momentum", "1"], "--momentum: must be a number at least 0"),
    ],
)
def test_bad_optimizer_options_exit_2_with_one_line(tmp_path, capsys, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--quiet", "--steps", "1", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_a_config_names_the_optimizer_it_refuses():
    with pytest.raises(ConfigError, match="optimizer: must be one of sgd, adam"):
        TrainConfig(optimizer="Adam")


def test_the_exported_script_continues_an_adam_session(tmp_path, capsys, monkeypatch):
    """Adam's moments and step count go into the micrograd-style script too."""
    monkeypatch.chdir(tmp_path)
    options = "--optimizer adam --lr 0.01 --layers 4 --samples 30 --quiet"
    assert main(["train", *options.split(), "--steps", "5", "--save", "a.json"]) == 0
    assert main(["train", "--quiet", "--load", "a.json", "--steps", "5", "--export", "e.py"]) == 0
    done = subprocess.run([sys.executable, "e.py"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    difference = float(re.search(r"weights mgdesk exported: (\S+)", done.stdout).group(1))
    assert difference < 1e-12

"""The exported script runs on its own and reproduces the run."""

import ast
import re
import subprocess
import sys

import pytest

from mgdesk.io import export_script
from mgdesk.train import TrainConfig, Trainer


@pytest.mark.parametrize(
    "changes",
    [
        dict(loss="hinge"),
        dict(loss="mse", activation=("tanh", "relu"), momentum=0.5, batch_size=8, lr=0.1),
        dict(loss="bce", lr_decay="none", lr=0.3, l2=0.0, test_split=0),
        dict(loss="mse", optimizer="adam", lr=0.01, activation="gelu", batch_size=8),
    ],
)
def test_the_exported_script_reproduces_the_run(tmp_path, changes):
    config = TrainConfig(samples=30, layers=(4, 4), steps=15, **changes)
    trainer = Trainer(config)
    list(trainer.run(None, config.steps))
    path = tmp_path / "run_again.py"
    export_script(path, config, trainer.model, trainer.data)
    source = path.read_text()
    ast.parse(source)
    assert "from mgdesk.engine import MLP" in source and "pickle" not in source
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    last_step = re.findall(r"step 15 loss ([\d.]+), accuracy ([\d.]+)%", done.stdout)
    assert last_step, done.stdout
    assert float(last_step[0][0]) == pytest.approx(trainer.history[-1].train_loss, abs=2e-6)
    assert float(last_step[0][1]) == pytest.approx(trainer.history[-1].train_acc * 100, abs=0.1)
    difference = float(re.search(r"weights mgdesk exported: (\S+)", done.stdout).group(1))
    assert difference < 1e-9
    assert ("test accuracy" in done.stdout) == bool(trainer.data.x_test)


def test_export_makes_the_data_from_the_config_when_not_given(tmp_path):
    config = TrainConfig(samples=10, layers=(2,), steps=2, test_split=0)
    trainer = Trainer(config)
    export_script(tmp_path / "a.py", config, trainer.model)
    export_script(tmp_path / "b.py", config, trainer.model, trainer.data)
    a, b = ((tmp_path / name).read_text().replace(name, "") for name in ("a.py", "b.py"))
    assert a == b


@pytest.mark.parametrize(
    "name",
    ['p""";print("INJECTED");""".csv', 'it\'s \\ a "quote".csv', "p'''\nprint('INJECTED')#.csv"],
)
def test_file_names_enter_the_script_as_literals(tmp_path, name):
    data = tmp_path / name
    data.write_text("".join(f"{i / 10},{i % 3},{i % 2}\n" for i in range(12)))
    config = TrainConfig(dataset="csv", csv_path=str(data), layers=(2,), steps=3, test_split=0)
    trainer = Trainer(config)
    list(trainer.run(None, config.steps))
    script = tmp_path / (name.replace("\n", "_") + ".py")
    export_script(script, config, trainer.model, trainer.data)
    ast.parse(script.read_text())
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "INJECTED" not in done.stdout.replace(name, "")
    assert done.stdout.startswith(name)  # RUN names the data as it is

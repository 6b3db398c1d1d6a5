"""A kept run's label stays short when many settings changed (a session opened)."""

from mgdesk.train import TrainConfig
from mgdesk.train.runs import changes_label


def test_a_run_with_many_changed_settings_is_described_not_listed():
    before = TrainConfig(dataset="sine", task="regression", loss="mse", layers=(8,))
    after = TrainConfig(dataset="moons", loss="ce", layers=(16, 16), lr=1.0, steps=100)
    label = changes_label(before, after)
    assert len(label) < 60 and "moons" in label and "settings changed" in label
    assert "task=" not in label
    assert changes_label(after, after.replace(lr=0.1)) == "lr=0.1"  # a few: still listed

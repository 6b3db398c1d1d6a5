"""A Reset keeps the points shown: an edited CSV file changes nothing until it is
imported again (also when it is the same file), and a session's points stay its own."""

import pytest

from mgdesk.gui.main_window import APPLY_DELAY_MS


@pytest.fixture
def errors(window, monkeypatch):
    """Message boxes the window would show, collected instead of shown."""
    shown = []
    monkeypatch.setattr(window.files, "error", lambda title, message: shown.append(message))
    return shown


def write_points(path, n, shift=0.0):
    path.write_text("".join(f"{i / 10 + shift},{(i * 7 % 11) / 10},{i % 2}\n" for i in range(n)))


def points(window):
    data = window.run.data
    return sorted(data.x_train + data.x_test)


def imported(qtbot, window, tmp_path):
    """A CSV of 30 points imported and applied; returns its path."""
    path = tmp_path / "pts.csv"
    write_points(path, 30)
    assert window.files.import_csv(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied.csv_path == str(path), timeout=5000)
    qtbot.wait(2 * APPLY_DELAY_MS)
    return path


def test_an_edited_csv_changes_nothing_on_reset_until_imported_again(
    qtbot, window, errors, tmp_path
):
    path = imported(qtbot, window, tmp_path)
    before = points(window)
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    write_points(path, 12, shift=5.0)  # edited on disk
    window.reset()
    qtbot.waitUntil(lambda: window.ready and window.step_count == 0, timeout=5000)
    assert points(window) == before
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    assert window.files.import_csv(str(path))  # the same file again: it applies on Reset
    assert "again" in window.banner.text.text()
    assert points(window) == before
    window.reset()
    qtbot.waitUntil(lambda: window.ready and len(points(window)) == 12, timeout=5000)
    assert points(window)[0][0] >= 5.0
    assert errors == []


def test_the_same_csv_imported_again_before_training_applies_at_once(
    qtbot, window, errors, tmp_path
):
    path = imported(qtbot, window, tmp_path)
    write_points(path, 20)
    assert window.files.import_csv(str(path))
    qtbot.waitUntil(lambda: window.ready and len(points(window)) == 20, timeout=5000)


def test_a_data_setting_changed_makes_new_points_on_reset(qtbot, window, errors):
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    window.panel.noise.setValue(0.3)
    window.reset()
    qtbot.waitUntil(lambda: window.ready and window.run.applied.noise == 0.3, timeout=5000)
    from mgdesk.train import make_dataset

    assert window.run.data == make_dataset(window.run.applied)

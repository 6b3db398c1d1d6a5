"""The panel's controls for issue 13's settings: each reaches the network trained."""

from mgdesk.engine import ACTIVATIONS


def test_every_activation_of_the_table_is_offered_per_layer_too(window):
    panel = window.panel
    offered = [panel.activation.itemText(i) for i in range(panel.activation.count())]
    assert offered == list(ACTIVATIONS)
    assert {"sigmoid", "leaky_relu", "gelu", "sin"} <= set(offered)


def test_adam_is_chosen_in_the_panel_and_trains(qtbot, window):
    panel = window.panel
    panel.optimizer.setCurrentText("adam")
    assert not panel.momentum.isEnabled()
    qtbot.waitUntil(lambda: window.ready and window.run.applied.optimizer == "adam", timeout=5000)
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 1, timeout=5000)
    assert window.train_worker.trainer.config.optimizer == "adam"
    panel.optimizer.setCurrentText("sgd")
    assert panel.momentum.isEnabled()


def test_a_session_saved_while_training_with_adam_goes_on_with_the_same_numbers(
    qtbot, make_window, tmp_path
):
    window = make_window()
    window.panel.optimizer.setCurrentText("adam")
    window.panel.lr.setValue(0.01)
    qtbot.waitUntil(lambda: window.ready and window.run.applied.optimizer == "adam", timeout=5000)
    for n in (1, 2):
        window.step()
        qtbot.waitUntil(lambda n=n: window.step_count == n, timeout=5000)
    path = tmp_path / "adam.json"
    assert window.save_session(str(path))
    window.step()
    qtbot.waitUntil(lambda: window.step_count == 3, timeout=5000)
    other = make_window()
    assert other.open_session(str(path))
    qtbot.waitUntil(lambda: other.ready and other.step_count == 2, timeout=5000)
    other.step()
    qtbot.waitUntil(lambda: other.step_count == 3, timeout=5000)
    assert other.run.model == window.run.model  # Adam's moments were saved and read back

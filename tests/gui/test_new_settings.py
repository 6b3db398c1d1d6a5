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

"""Sessions the command line makes (input features, regression, ce, any activation and
optimizer) open in the window whole: graph, heatmaps, captions, and they train on."""

import pytest

from tests.gui.test_hostile_files import saved as saved_session


def saved(tmp_path, name, steps=3, **settings):
    """A session file of a small network trained `steps` steps, as `mgdesk train --save`."""
    return saved_session(tmp_path, name, steps, **settings)


def opened_graph(qtbot, window, path, config):
    """Open `path` and wait for its graph (or for the graph's error): the picture shown."""
    errors = []
    window.graph.graph_worker.errored.connect(errors.append)
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)

    def drawn():
        graph = window.graph_view.graph
        return errors or (graph is not None and graph.job.model == window.run.model)

    qtbot.waitUntil(drawn, timeout=15000)
    assert errors == []
    return window.graph_view.graph


FEATURES = ("x1", "x2", "x1^2", "sin(x1)")


def spiral_session(tmp_path):
    """The session of a 3-class spiral on four features, gelu, Adam."""
    return saved(
        tmp_path, "s.json", dataset="spiral", classes=3, loss="ce", features=FEATURES,
        activation="gelu", optimizer="adam", lr=0.01,
    )  # fmt: skip


def test_a_session_with_input_features_draws_its_graph_with_an_input_node_per_feature(
    qtbot, window, tmp_path
):
    path, config = spiral_session(tmp_path)
    graph = opened_graph(qtbot, window, path, config)
    labels = {node.label.split(" ")[0] for node in graph.node_ids.values()}
    assert set(FEATURES) <= labels  # each feature is an input node
    heat = graph.network.heat
    assert {"L1.N1", "L2.N3"} <= set(heat)  # every neuron's heatmap, the 3 outputs too
    assert "class" in window.graph_panel.caption.text()
    assert "y = +" not in window.graph_panel.caption.text()  # a class has no sign


def test_a_session_with_input_features_trains_on_after_open(qtbot, window, tmp_path):
    path, config = saved(tmp_path, "f.json", features=("x1", "x2", "x1*x2"))
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)
    window.panel.steps.setValue(20)
    window.train()
    qtbot.waitUntil(lambda: window.step_count == 20, timeout=10000)
    assert window.run.failed is False


def test_a_regression_session_draws_its_graph_on_the_one_input(qtbot, window, tmp_path):
    path, config = saved(
        tmp_path, "r.json", dataset="sine", task="regression", loss="mse", activation="sin",
        optimizer="adam", lr=0.01,
    )  # fmt: skip
    graph = opened_graph(qtbot, window, path, config)
    heat = graph.network.outputs["L1.N1"]
    assert heat.shape == (24, 24)
    assert (heat == heat[0]).all()  # a neuron of x alone: the same in every row
    caption = window.graph_panel.caption.text()
    assert "x = (" not in caption and "y = " in caption  # a point of the curve (x, y)


def test_the_ops_view_of_a_features_network_is_counted_at_launch(qtbot, make_window, tmp_path):
    path, config = saved(tmp_path, "f.json", features=("x1", "x2", "x2^2"))
    window = make_window()
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)
    window.graph_panel.mode.setCurrentText("ops")
    window.close()
    again = make_window()  # restoring the ops view counts the boxes of this network
    qtbot.waitUntil(lambda: again.ready and again.run.applied == config, timeout=10000)
    assert again.graph_panel.mode.currentText() == "ops"


def test_a_regression_run_plots_r2_on_an_axis_named_r2_that_goes_below_0(qtbot, window, tmp_path):
    path, config = saved(
        tmp_path, "r.json", steps=1, dataset="cubic", task="regression", loss="mse",
    )  # fmt: skip
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)
    plot = window.loss_plot
    item = plot.getPlotItem()
    assert item.getAxis("right").labelText == "R²"
    names = [label.text for _, label in plot.legend.items]
    assert "train R²" in names and "test R²" in names and "train accuracy" not in names
    r2 = window.run.history[-1].train_acc
    assert r2 < 0  # one step from the start: worse than the mean of y
    low, high = plot.accuracy_box.viewRange()[1]
    assert low < max(r2, -1) and high >= 1  # the curve is on the axis, not clipped at 0
    assert plot.train_acc.getData()[1][-1] == pytest.approx(max(r2, -1.0))
    window.panel.task.setCurrentText("classification")  # back to classes: accuracy again
    window.panel.dataset.setCurrentIndex(window.panel.dataset.findData("moons"))
    window.panel.loss.setCurrentText("hinge")
    window.reset()
    qtbot.waitUntil(lambda: item.getAxis("right").labelText == "accuracy", timeout=10000)
    assert "train accuracy" in [label.text for _, label in plot.legend.items]
    assert plot.accuracy_box.viewRange()[1][0] > -0.1


def test_a_number_typed_out_of_range_says_so_at_its_field(qtbot, window):
    panel = window.panel
    edit = panel.samples.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, "0")
    assert "2-10000" in panel.error_text("samples") and "0 is not kept" in panel.error_text(
        "samples"
    )
    qtbot.keyClicks(edit, "50")  # 050: in range again
    assert panel.error_text("samples") == ""
    edit = panel.lr.lineEdit()  # a float box too
    edit.selectAll()
    qtbot.keyClicks(edit, "-1")
    assert "not kept" in panel.error_text("lr")


def test_compare_mode_draws_the_graph_of_a_features_ce_network(qtbot, window, tmp_path):
    from tests.gui.test_compare_window import compare_with

    path, config = saved(
        tmp_path, "f.json", dataset="blobs", classes=3, loss="ce", features=FEATURES,
    )  # fmt: skip
    errors = []
    window.graph.graph_worker.errored.connect(errors.append)
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)
    compare = compare_with(qtbot, window)
    job = window.graph.job()
    assert job.features == FEATURES
    qtbot.waitUntil(
        lambda: errors or (window.graph_view.graph and window.graph_view.graph.job == job),
        timeout=15000,
    )
    assert errors == []
    caption = window.graph_panel.caption.text()
    assert "class" in caption and "y = +" not in caption
    assert all(figures.dead is not None for figures in compare.figures)


def test_compare_mode_fits_a_regression_curve_and_names_r2(qtbot, window, tmp_path):
    from tests.gui.test_compare_window import compare_with, train_to

    path, config = saved(tmp_path, "r.json", dataset="abs", task="regression", loss="mse")
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)
    compare = compare_with(qtbot, window)
    train_to(qtbot, window, 10)
    view = compare.view
    qtbot.waitUntil(lambda: view.boundaries[1].grid_size > 0, timeout=10000)
    assert all(plot.regression and plot.curve.isVisible() for plot in view.boundaries)
    headers = [view.table.horizontalHeaderItem(j).text() for j in range(view.table.columnCount())]
    assert "train R²" in headers and "train acc" not in headers
    assert "%" not in view.table.item(0, 2).text()
    assert window.loss_plot.getPlotItem().getAxis("right").labelText == "R²"


def test_a_regression_switched_back_to_classes_sees_x1_and_x2_again(qtbot, window, tmp_path):
    path, config = saved(tmp_path, "r.json", dataset="sine", task="regression", loss="mse")
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)
    panel = window.panel
    assert panel.config().input_features == ("x1",)
    panel.task.setCurrentText("classification")
    panel.dataset.setCurrentIndex(panel.dataset.findData("spiral"))
    panel.loss.setCurrentText("hinge")
    assert panel.config().input_features == ("x1", "x2")


def test_a_session_with_every_new_setting_opens_unchanged_and_relaunches_as_itself(
    qtbot, make_window, tmp_path
):
    path, config = spiral_session(tmp_path)
    window = make_window()
    assert window.files.open_session(str(path))
    qtbot.waitUntil(lambda: window.ready and window.run.applied == config, timeout=10000)
    assert window.panel.config() == config  # the panel shows every setting of the session
    assert "changed" not in window.banner.text.text() or not window.banner.isVisible()
    window.reset()  # the same network again, not relu / SGD
    qtbot.waitUntil(lambda: window.ready and window.run.step == 0, timeout=10000)
    assert window.run.applied == config
    window.close()
    again = make_window()
    qtbot.waitUntil(lambda: again.ready, timeout=10000)
    assert again.run.applied == config
    assert "edited" not in again.statusBar().currentMessage()

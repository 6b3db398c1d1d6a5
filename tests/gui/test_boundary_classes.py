"""The boundary plot with several classes: K coloured regions, K point colours."""

import numpy as np

from mgdesk.gui.boundary import CLASS_COLOURS, EDGE, PALE, BoundaryPlot, class_image
from mgdesk.train import Dataset


def three_centres(n=60):
    xs = np.linspace(-2, 2, n)
    X, Y = np.meshgrid(xs, xs)
    centres = ((-1, -1), (1, -1), (0, 1.2))
    return np.stack([-3 * ((X - cx) ** 2 + (Y - cy) ** 2) for cx, cy in centres], 2)


def test_k_classes_make_k_regions_each_in_its_class_colour():
    image = class_image(three_centres())
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    for k in range(3):  # a sure cell is the class's own pale colour
        assert tuple(np.round(PALE[k]).astype(np.uint8)) in colours
    assert tuple(EDGE.astype(np.uint8)) in colours  # the lines between the regions
    # the corner near centre k is class k's colour
    assert tuple(image[0, 0]) == tuple(np.round(PALE[0]).astype(np.uint8))
    assert tuple(image[0, -1]) == tuple(np.round(PALE[1]).astype(np.uint8))
    assert tuple(image[-1, 30]) == tuple(np.round(PALE[2]).astype(np.uint8))


def test_equal_scores_are_white_and_one_class_has_no_edge():
    flat = class_image(np.zeros((5, 5, 4)))
    assert (flat == 246).all()


def test_the_plot_shows_the_regions_and_k_point_colours(qtbot):
    plot = BoundaryPlot()
    qtbot.addWidget(plot)
    labels = (0.0, 1.0, 2.0, 2.0)
    data = Dataset("blobs", ((-1, -1), (1, -1), (0, 1), (0.2, 1.1)), labels)
    plot.set_data(data, (-2, 2, -2, 2))
    plot.set_grid(three_centres().tobytes(), 60, (-2, 2, -2, 2))
    assert plot.regions.isVisible() and not plot.image.isVisible() and not plot.stale
    brushes = [b.color().getRgb()[:3] for b in plot.train_points.data["brush"]]
    assert brushes == [CLASS_COLOURS[0], CLASS_COLOURS[1], CLASS_COLOURS[2], CLASS_COLOURS[2]]
    plot.set_grid(np.zeros(3600).tobytes(), 60, (-2, 2, -2, 2))  # two classes again
    assert plot.image.isVisible() and not plot.regions.isVisible()

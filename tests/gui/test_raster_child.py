"""The graph's SVG painted in a child process (gui/raster_client.py, raster_child.py): the
same pictures and hit boxes as painted in this thread, and a picture always comes, even
when the child dies, answers garbage, answers late or cannot start; closing stops it."""

import sys
import threading
import time

import pytest

from mgdesk.engine import MLP
from mgdesk.gui.graph_worker import GraphJob, GraphWorker
from mgdesk.gui.raster import LocalSvg, image_bytes
from mgdesk.gui.raster_client import ChildSvg, RasterChild
from mgdesk.gui.threads import GuiGate, start_thread, stop_threads
from mgdesk.train import sample_loss
from mgdesk.viz import GraphRenderer, RenderCancelled


@pytest.fixture(scope="module")
def graph():
    """(svg bytes, svg ids of the nodes) of a 2-4-4-1 sample's ops graph."""
    model = MLP(2, [4, 4, 1], "tanh", seed=0)
    renderer = GraphRenderer("bundled")
    drawn, message = renderer.trace(sample_loss(model, (0.5, -0.3), 1.0), model.to_dict(), "ops")
    result = renderer.render_graph(drawn, message, {})
    return bytes(result.svg), dict(result.node_ids)


@pytest.fixture
def child():
    child = RasterChild(["DejaVu Sans", 9])
    yield child
    child.close()


def python_child(code):
    """A command for a fake child: Python running `code`."""
    return [sys.executable, "-c", code]


def pixels_differ(a, b):
    """The largest difference of one channel of one pixel between two same-size pictures."""
    assert (a.width(), a.height()) == (b.width(), b.height())
    return max(abs(x - y) for x, y in zip(image_bytes(a), image_bytes(b), strict=True))


def test_the_child_paints_the_same_pictures_and_boxes_as_this_thread(qapp, graph, child):
    svg, ids = graph
    there, here = ChildSvg(child, svg), LocalSvg(svg)
    assert there.view_box() == pytest.approx(here.view_box())
    boxes = there.boxes(ids)
    assert len(boxes) == len(ids)
    assert boxes.keys() == here.boxes(ids).keys()
    for sid, box in here.boxes(ids).items():
        assert boxes[sid] == pytest.approx(box)
    size = here.view_box()[2:]
    for scale, region in [(0.5, (0, 0, *size)), (3.0, (40, 10, 120.5, 80))]:
        painted = there.paint(size, scale, region)
        assert painted.width() == round(region[2] * scale)
        assert pixels_differ(painted, here.paint(size, scale, region)) <= 2
    assert there.local is None  # ... all of it from the child
    assert child.starts == 1


def test_a_child_killed_midway_still_gives_the_picture_and_is_started_again(qapp, graph, child):
    svg, _ = graph
    doc = ChildSvg(child, svg)
    size = doc.view_box()[2:]
    child._proc.kill()  # dies between the parse and the paint
    picture = doc.paint(size, 0.5, (0, 0, *size))
    assert pixels_differ(picture, LocalSvg(svg).paint(size, 0.5, (0, 0, *size))) <= 2
    assert doc.local is not None  # painted here this time
    again = ChildSvg(child, svg)
    assert again.view_box()[2:] == size
    assert again.local is None and child.starts == 2  # the next SVG goes to a new child


@pytest.mark.parametrize(
    "code, timeout",
    [
        (
            "import sys, time; print('garbage' * 99, flush=True); time.sleep(60)",
            20,
        ),
        ("import sys, time; sys.stdin.buffer.read(8); time.sleep(60)", 0.5),  # too late
        ("import sys; sys.exit(3)", 20),  # dies at once
    ],
    ids=["garbage", "late", "dies"],
)
def test_a_child_that_does_not_answer_gives_way_to_this_thread(qapp, graph, code, timeout):
    svg, ids = graph
    child = RasterChild(command=python_child(code))
    child.timeout = timeout
    try:
        doc = ChildSvg(child, svg)
        start = time.monotonic()
        assert doc.view_box() == pytest.approx(LocalSvg(svg).view_box())
        assert time.monotonic() - start < timeout + 2
        assert doc.local is not None
        assert len(doc.boxes(ids)) == len(ids)
        proc = child._proc
        assert proc is None  # the failed child is killed; the next call starts another
    finally:
        child.close()


def test_a_child_that_cannot_start_gives_way_to_this_thread(qapp, graph):
    svg, _ = graph
    child = RasterChild(command=["/nonexistent/mgdesk-raster-child"])
    doc = ChildSvg(child, svg)
    assert doc.view_box() == pytest.approx(LocalSvg(svg).view_box())
    assert doc.local is not None and child.starts == 0


def test_an_svg_qt_cannot_read_is_an_error_and_the_child_carries_on(qapp, graph, child):
    with pytest.raises(ValueError, match="Qt cannot read"):
        ChildSvg(child, b"<svg this is not").view_box()
    svg, _ = graph
    doc = ChildSvg(child, svg)
    assert doc.view_box()[2] > 0 and doc.local is None and child.starts == 1


def test_closing_stops_a_child_in_the_middle_of_a_long_render_at_once(qapp, graph):
    child = RasterChild(command=python_child("import time; time.sleep(60)"))
    outcome = []

    def ask():
        try:
            ChildSvg(child, graph[0]).view_box()
            outcome.append("answered")
        except RenderCancelled:
            outcome.append("cancelled")

    asker = threading.Thread(target=ask)
    asker.start()
    time.sleep(0.3)
    proc = child._proc
    start = time.monotonic()
    child.close()
    asker.join(5)
    assert time.monotonic() - start < 1.0
    assert outcome == ["cancelled"]  # not painted in this thread after the window closed
    assert proc.poll() is not None


def test_the_graph_worker_draws_through_the_child_and_closing_ends_it(qtbot, graph):
    worker = GraphWorker(GuiGate())
    thread = start_thread(worker, "test-graph")
    shown = []
    worker.returned.connect(shown.append)
    model = MLP(2, [4, 4, 1], "tanh", seed=0)

    def draw(x):
        job = GraphJob(model.to_dict(), (x, -0.3), 1.0, "hinge", "ops", "test")
        worker.request(job)
        qtbot.waitUntil(lambda: any(image.job is job for image in shown), timeout=20000)
        assert not shown[-1].image.isNull() and shown[-1].boxes
        return worker._last[1]  # the picture's document

    try:
        assert draw(0.5).local is None  # from the child
        worker.child._proc.kill()
        draw(0.4)  # the next picture still comes (from this thread if the child was dead)
        assert draw(0.3).local is None and worker.child.starts == 2  # a new child
        proc = worker.child._proc
        assert proc.poll() is None
    finally:
        worker.close()
        stop_threads([thread], 2000)
    assert proc.poll() is not None  # closing stopped the child


def test_closing_the_window_stops_its_raster_child(make_window):
    window = make_window()
    proc = window.graph.graph_worker.child._proc
    assert proc is not None and proc.poll() is None  # the first graph was drawn by it
    window.close()
    assert proc.poll() is not None

"""The SVG pipeline: numbers on the right nodes, patched layouts, views, renderer errors."""

import re
import stat
import sys
import threading
import time

import pytest

from mgdesk.engine import MLP
from mgdesk.train import sample_loss
from mgdesk.viz import (
    GraphRenderer,
    NodeStyle,
    RenderCancelled,
    RendererMissing,
    RenderTimeout,
    format_number,
    grad_colour,
    trace_graph,
    trace_neurons,
)
from mgdesk.viz.dot import FONT, FONT_WEIGHT, to_dot
from mgdesk.viz.program import bundled_program, find_program, run_program
from mgdesk.viz.svg import compact_svg


def numbers_shown(node_texts):
    """(data, grad) as written in a value record: its last two fields."""
    *_, data, grad = node_texts
    return data.removeprefix("data "), grad.removeprefix("grad ")


def test_every_record_shows_its_node_data_and_grad(trace_sample, svg_reader):
    root, _ = trace_sample((4, 4, 1))
    result = GraphRenderer().render_root(root)
    graph = trace_graph(root)
    nodes, edges = svg_reader(result.svg)
    assert (result.view, result.node_count, result.message) == ("ops", 178, "")
    assert len(nodes) == len(graph.nodes) and edges == len(graph.edges)
    assert set(nodes) == set(result.node_ids)
    for node in graph.nodes:
        texts, fill = nodes[node.id]
        if node.kind == "op":
            assert texts == (node.op,)
            continue
        data, grad = numbers_shown(texts)
        assert (data, grad) == (format_number(node.data), format_number(node.grad))
        assert float(data) == pytest.approx(node.data, abs=5e-5)
        assert float(grad) == pytest.approx(node.grad, abs=5e-5)
        assert texts[0] == node.label and fill == grad_colour(node.grad)


@pytest.mark.parametrize("view", ["ops", "neurons"])
def test_the_template_writes_what_the_renderer_drew(trace_sample, svg_reader, view):
    """The raw SVG of the styled DOT and the patched template show the same texts."""
    root, model = trace_sample((2, 1))
    graph = trace_graph(root) if view == "ops" else trace_neurons(root, model)
    raw = run_program(find_program(), to_dot(graph)).decode()
    raw_nodes, _ = svg_reader(compact_svg(raw).encode())
    patched, _ = svg_reader(GraphRenderer().render_graph(graph).svg)
    assert raw_nodes == patched


def test_a_patched_svg_equals_a_fresh_render(svg_reader):
    model = MLP(2, [4, 4, 1], "tanh", seed=3)
    sample = ((0.3, 0.8), -1.0)
    renderer = GraphRenderer()
    before = renderer.render(model.to_dict(), *sample)
    root = sample_loss(model, *sample)
    root.backward()
    for p in model.parameters():  # one SGD step
        p.data -= 0.5 * p.grad
    patched = renderer.render(model.to_dict(), *sample)
    fresh = GraphRenderer().render(model.to_dict(), *sample)
    assert (before.cached, patched.cached, fresh.cached) == (False, True, False)
    assert svg_reader(patched.svg) == svg_reader(fresh.svg)
    assert svg_reader(patched.svg) != svg_reader(before.svg)  # the numbers did change


def test_layouts_are_cached_per_architecture_and_view(trace_sample):
    renderer = GraphRenderer(cache_size=2)
    a, model_a = trace_sample((4, 4, 1))
    b, model_b = trace_sample((3, 1))
    assert not renderer.render_root(a).cached
    assert renderer.render_root(a).cached
    assert not renderer.render_root(a, model_a, view="neurons").cached
    assert not renderer.render_root(b).cached  # evicts the oldest (a, ops)
    assert not renderer.render_root(a).cached
    assert renderer.render_root(b).cached


def test_styles_highlight_and_dim_nodes(trace_sample, svg_reader):
    root, _ = trace_sample((2, 1))
    graph = trace_graph(root)
    first, second = graph.nodes[0].id, graph.nodes[1].id
    styles = {
        first: NodeStyle(fill="#ffff00", stroke="#ff00ff", penwidth=4),
        second: NodeStyle(opacity=0.3),
    }
    svg = GraphRenderer().render_graph(graph, styles=styles).svg.decode()
    assert svg_reader(svg.encode())[0][first][1] == "#ffff00"
    assert 'stroke="#ff00ff" stroke-width="4"' in svg
    assert f'<g id="{second}" opacity="0.3" class="node">' in svg


def test_neuron_view_above_the_node_budget(trace_sample, svg_reader):
    root, model = trace_sample((4, 4, 1))
    result = GraphRenderer(node_budget=100).render_root(root, model)
    assert result.view == "neurons" and result.node_count == 2 + 9 + 2
    assert result.message == "neuron view: 178 nodes is above the 100 budget"
    nodes, edges = svg_reader(result.svg)
    assert edges == 30 and len(nodes) == 13
    neurons = [(i, n) for i, n in result.node_ids.items() if n.kind == "neuron"]
    assert len(neurons) == 9
    for node_id, node in neurons:
        texts, fill = nodes[node_id]
        lo, hi = (format_number(g) for g in node.weight_grads)
        assert texts == (
            node.label,
            f"Σ→{node.op}",
            f"out {format_number(node.data)}",
            f"grad {format_number(node.grad)}",
            f"w.grad min {lo}",
            f"w.grad max {hi}",
        )
        assert fill == grad_colour(node.grad)
    # the user can force either view
    assert GraphRenderer(node_budget=100).render_root(root, model, view="ops").view == "ops"
    assert GraphRenderer().render_root(root, model, view="neurons").view == "neurons"


def text_positions(svg, node_id):
    """(x, y) of each text of one node, in drawing order."""
    body = re.search(rf'<g id="{node_id}"[^>]*>(.*?)</g>', svg, re.S).group(1)
    return [(float(x), float(y)) for x, y in re.findall(r'<text x="([-\d.]+)" y="([-\d.]+)"', body)]


def test_neuron_boxes_are_two_rows_and_edges_run_under_them(trace_sample):
    root, model = trace_sample((4, 4, 1))
    result = GraphRenderer().render_root(root, model, view="neurons")
    svg = result.svg.decode()
    for node_id, node in result.node_ids.items():
        if node.kind == "neuron":  # name | out | w.grad min over act | grad | w.grad max
            xs, ys = zip(*text_positions(svg, node_id))
            assert xs[::2] == xs[1::2] and len(set(xs)) == 3 and ys[::2] == (ys[0],) * 3
            assert ys[1::2] == (ys[1],) * 3 and ys[1] > ys[0]
        elif node.kind == "value":  # the label spans both rows, data over grad beside it
            (x0, _), (x1, y1), (x2, y2) = text_positions(svg, node_id)
            assert x0 < x1 == x2 and y1 < y2
    assert svg.index('class="edge"') < svg.index('class="node"')


def test_a_16_wide_neuron_view_reads_at_fit(trace_sample):
    """The app's default 2-16-16-1 net shows neurons; fitted into its 1030 x 440 px graph
    area, the text (14 units high) is still about 9 px high (it was under 3 px)."""
    root, model = trace_sample((16, 16, 1), activation="relu")
    result = GraphRenderer().render_root(root, model)
    assert result.view == "neurons"
    box = re.search(rb'viewBox="0.00 0.00 ([\d.]+) ([\d.]+)"', result.svg)
    width, height = (float(v) for v in box.groups())
    assert 14 * min(1030 / width, 440 / height) >= 8.5


def test_a_32_32_network_does_not_hang(trace_sample):
    root, model = trace_sample((32, 32, 1))
    start = time.perf_counter()
    result = GraphRenderer().render_root(root, model)
    assert result.view == "neurons" and result.node_count == 2 + 65 + 2
    assert time.perf_counter() - start < 5.0


def test_render_takes_a_model_dict(svg_reader):
    model = MLP(2, [3, 1], "relu", seed=1)
    result = GraphRenderer().render(model.to_dict(), (1.0, 2.0), 1.0, loss="mse")
    labels = {n.label for n in result.node_ids.values()}
    assert {"x1", "x2", "y", "loss", "L1.N3.w2"} <= labels
    x1 = next(i for i, n in result.node_ids.items() if n.label == "x1")
    assert numbers_shown(svg_reader(result.svg)[0][x1][0])[0] == "+1.0000"
    with pytest.raises(ValueError, match="view"):
        GraphRenderer().render(model.to_dict(), (1.0, 2.0), 1.0, view="3d")


# ---- finding and running the renderer ----


def fake_program(folder, name, body):
    """An executable Python script standing in for a renderer."""
    path = folder / name
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_the_bundled_renderer_is_found_without_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # neither graphviz-pure nor dot on PATH
    program = bundled_program()
    assert program and program.endswith("graphviz-pure")
    assert find_program("auto") == find_program("bundled") == program


def test_renderer_choice(tmp_path):
    scripts, system, empty = tmp_path / "scripts", tmp_path / "bin", tmp_path / "empty"
    for folder in (scripts, system, empty):
        folder.mkdir()
    bundled = fake_program(scripts, "graphviz-pure", "")
    dot = fake_program(system, "dot", "")
    assert find_program("auto", [scripts], str(system)) == str(bundled)
    assert find_program("system", [scripts], str(system)) == str(dot)
    assert find_program("auto", [empty], str(system)) == str(dot)  # bundled missing
    assert find_program(str(dot)) == str(dot)
    with pytest.raises(RendererMissing):
        find_program("bundled", [empty], str(system))
    with pytest.raises(RendererMissing):
        find_program("system", [scripts], str(empty))


def test_no_renderer_names_both(tmp_path):
    with pytest.raises(RendererMissing) as err:
        find_program("auto", [tmp_path], str(tmp_path))
    message = str(err.value)
    assert "graphviz-pure" in message and "`dot`" in message and "\n" not in message
    assert isinstance(err.value, RuntimeError)


def test_system_renderer_missing_from_render(monkeypatch, tmp_path, trace_sample):
    monkeypatch.setenv("PATH", str(tmp_path))
    root, _ = trace_sample((2, 1))
    with pytest.raises(RendererMissing, match="graphviz-pure"):
        GraphRenderer(renderer="system").render_root(root)


def test_a_slow_render_times_out(tmp_path, trace_sample):
    slow = fake_program(tmp_path, "slow-dot", "import time; time.sleep(30)")
    root, _ = trace_sample((2, 1))
    start = time.perf_counter()
    with pytest.raises(RenderTimeout, match="longer than 0.5 s"):
        GraphRenderer(renderer=str(slow), timeout=0.5).render_root(root)
    assert time.perf_counter() - start < 5


def test_a_failing_renderer_is_reported(tmp_path, trace_sample):
    bad = fake_program(
        tmp_path, "bad-dot", "import sys; sys.stderr.write('Error: boom\\n'); sys.exit(3)"
    )
    root, _ = trace_sample((2, 1))
    with pytest.raises(RuntimeError, match="bad-dot failed: Error: boom"):
        GraphRenderer(renderer=str(bad)).render_root(root)


def render_in_thread(renderer, root):
    outcome = {}

    def work():
        try:
            outcome["result"] = renderer.render_root(root)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    return thread, outcome


def wait_for(condition, seconds=10.0):
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.02)


def test_cancel_stops_a_render_in_flight(tmp_path, trace_sample):
    started = tmp_path / "started"
    slow = fake_program(
        tmp_path, "slow-dot", f"import time; open({str(started)!r}, 'w'); time.sleep(30)"
    )
    renderer = GraphRenderer(renderer=str(slow), timeout=60)
    thread, outcome = render_in_thread(renderer, trace_sample((2, 1))[0])
    wait_for(started.exists)
    begin = time.perf_counter()
    renderer.cancel()
    thread.join(10)
    assert not thread.is_alive() and time.perf_counter() - begin < 5
    assert isinstance(outcome.get("error"), RenderCancelled)


def test_latest_render_wins(tmp_path, trace_sample, svg_reader):
    """An older render still laying out is stopped; the newer one is not kept waiting."""
    mark = tmp_path / "first-call"
    first_call_hangs = (
        "import os, sys, time\n"
        f"if not os.path.exists({str(mark)!r}):\n"
        f"    open({str(mark)!r}, 'w'); time.sleep(30)\n"
        f"os.execv({bundled_program()!r}, ['graphviz-pure', *sys.argv[1:]])"
    )
    renderer = GraphRenderer(renderer=str(fake_program(tmp_path, "dot", first_call_hangs)))
    old, outcome = render_in_thread(renderer, trace_sample((3, 1))[0])
    wait_for(mark.exists)
    begin = time.perf_counter()
    newer, _ = trace_sample((2, 1))
    result = renderer.render_root(newer)
    old.join(10)
    assert time.perf_counter() - begin < 10 and not old.is_alive()
    assert isinstance(outcome.get("error"), RenderCancelled)
    assert len(svg_reader(result.svg)[0]) == len(trace_graph(newer).nodes)


# ---- Qt can read what we make (Qt is only imported by the tests) ----


def test_qt_parses_the_svg_and_finds_every_node(qapp, trace_sample):
    QtSvg = pytest.importorskip("PySide6.QtSvg")
    from PySide6.QtCore import QByteArray

    root, model = trace_sample((4, 4, 1))
    for view in ("ops", "neurons"):
        result = GraphRenderer().render_root(root, model, view=view)
        svg = QtSvg.QSvgRenderer(QByteArray(result.svg))
        assert svg.isValid()
        for node_id in result.node_ids:
            assert svg.elementExists(node_id), node_id
            assert not svg.boundsOnElement(node_id).isEmpty()


def record_cell(body, x, y):
    """(left, top, right, bottom) of the record field around the point (x, y)."""

    def points(text):
        return [tuple(map(float, p.split(","))) for p in text.split()]

    xs, ys = zip(*points(re.search(r'<polygon[^>]*points="([^"]+)"', body).group(1)))
    left, top, right, bottom = min(xs), min(ys), max(xs), max(ys)
    for line in re.findall(r'<polyline[^>]*points="([^"]+)"', body):
        (ax, ay), (bx, by) = points(line)
        if ax == bx and min(ay, by) <= y <= max(ay, by):  # a bar left or right of the point
            left, right = (max(left, ax), right) if ax < x else (left, min(right, ax))
        elif ay == by and min(ax, bx) <= x <= max(ax, bx):  # a rule above or below it
            top, bottom = (max(top, ay), bottom) if ay < y else (top, min(bottom, ay))
    return left, top, right, bottom


def test_text_fits_its_field_in_qts_monospace_font(qapp, trace_sample):
    """Qt's box of every record text is inside the field graphviz laid out for it."""
    pytest.importorskip("PySide6.QtSvg")
    from PySide6.QtGui import QFont, QFontMetricsF

    root, model = trace_sample((4, 4, 1))
    checked = 0
    for view in ("ops", "neurons"):
        font = QFont(FONT)
        font.setPixelSize(14)
        font.setBold(FONT_WEIGHT[view] == "bold")
        metrics = QFontMetricsF(font)
        assert metrics.horizontalAdvance("i") == metrics.horizontalAdvance("M")  # mono
        svg = GraphRenderer().render_root(root, model, view=view).svg.decode()
        for body in re.findall(r'<g id="n\d+"[^>]*>(.*?)</g>', svg, re.S):
            for x, y, text in re.findall(
                r'<text x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)</text>', body
            ):
                x, y, half = float(x), float(y), metrics.horizontalAdvance(text) / 2
                left, top, right, bottom = record_cell(body, x, y - metrics.capHeight() / 2)
                assert left < x - half and x + half < right, (text, left, right, x, half)
                ink = metrics.tightBoundingRect(text)  # y down from the baseline
                assert top < y + ink.top() and y + ink.bottom() < bottom, (text, top, bottom, y)
                checked += 1
    assert checked > 300

"""How fast is the graph view? First render and live refresh of one sample's loss graph.

Workload (issue 4): the hinge-loss graph of one sample through MLP(2, [h, h, 1]) with tanh,
drawn in the ops view (every Value and every op).

    first render   a new GraphRenderer: model dict -> Value graph -> DOT -> layout by the
                   bundled graphviz-pure -> SVG template -> SVG bytes
    refresh        after an SGD step: model dict -> Value graph -> numbers and colours
                   patched into the cached SVG -> parsed by Qt's QSvgRenderer (what the
                   graph view does on every step)

Targets: first render <= 150 ms at 2-4-4-1 and 2-8-8-1; refresh <= 50 ms at 2-8-8-1 and
<= 200 ms at 2-16-16-1, Qt parse included. Medians of several runs after a warm-up.

    .venv/bin/python benchmarks/bench_graph.py [--repeats N]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # mgdesk without install

from mgdesk.engine import MLP  # noqa: E402
from mgdesk.train import sample_loss  # noqa: E402
from mgdesk.viz import GraphRenderer  # noqa: E402

SAMPLE = ((0.5, -0.3), 1.0)


def qt_parser():
    """A function that parses SVG bytes with QSvgRenderer, or None without PySide6."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtCore import QByteArray
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtSvg import QSvgRenderer
    except ImportError:
        return None
    app = QGuiApplication.instance() or QGuiApplication([])

    def parse(svg):
        renderer = QSvgRenderer(QByteArray(svg))
        assert renderer.isValid(), "Qt could not read the SVG"
        return renderer

    parse.app = app  # keep the application alive
    return parse


def median_ms(times):
    return statistics.median(times) * 1000


def first_render(hidden, repeats, parse):
    """Medians (render, render + Qt parse) in ms, each with a new renderer (no cache)."""
    model = MLP(2, [hidden, hidden, 1], "tanh", seed=0).to_dict()
    GraphRenderer().render(model, *SAMPLE)  # warm-up: program start, imports
    render, total = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        result = GraphRenderer().render(model, *SAMPLE)
        render.append(time.perf_counter() - start)
        if parse:
            parse(result.svg)
            total.append(time.perf_counter() - start)
    return median_ms(render), median_ms(total) if total else None, result


def refresh(hidden, repeats, parse):
    """Medians (patch, patch + Qt parse) in ms of the render after each of several steps."""
    model = MLP(2, [hidden, hidden, 1], "tanh", seed=0)
    renderer = GraphRenderer()
    renderer.render(model.to_dict(), *SAMPLE, view="ops")  # the layout, made once
    patch, total = [], []
    for _ in range(repeats + 1):
        root = sample_loss(model, *SAMPLE)
        root.backward()
        for p in model.parameters():  # a training step changes every number
            p.data -= 0.05 * p.grad
        start = time.perf_counter()
        result = renderer.render(model.to_dict(), *SAMPLE, view="ops")
        patch.append(time.perf_counter() - start)
        if parse:
            parse(result.svg)
            total.append(time.perf_counter() - start)
        assert result.cached
    # the first refresh is a warm-up
    return median_ms(patch[1:]), median_ms(total[1:]) if total else None, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="runs per figure (9)")
    args = parser.parse_args(argv)
    parse = qt_parser()
    if parse is None:
        print("PySide6 is not installed: Qt parse times are left out")

    first, again = {}, {}
    for title, measure, sizes, figures in [
        ("first render (new renderer: trace, DOT, layout, SVG)", first_render, (4, 8), first),
        ("refresh after a step (patched SVG)", refresh, (8, 16), again),
    ]:
        print(title)
        for h in sizes:
            ms, with_qt, result = measure(h, args.repeats, parse)
            figures[h] = (ms, with_qt)
            qt = f", {with_qt:6.1f} ms with Qt parse" if with_qt is not None else ""
            print(
                f"  2-{h}-{h}-1  {result.node_count:5,} nodes  {len(result.svg) / 1e3:6.0f} kB"
                f"  {ms:6.1f} ms{qt}"
            )

    print("\ntargets (medians)")
    targets = [
        (first[4][0], 150, "first render at 2-4-4-1 <= 150 ms"),
        (first[8][0], 150, "first render at 2-8-8-1 <= 150 ms"),
        (again[8][1], 50, "refresh at 2-8-8-1 <= 50 ms, Qt parse included"),
        (again[16][1], 200, "refresh at 2-16-16-1 <= 200 ms, Qt parse included"),
    ]
    for ms, limit, text in targets:
        status = "n/a " if ms is None else ("PASS" if ms <= limit else "FAIL")
        figure = "no Qt" if ms is None else f"{ms:.1f} ms"
        print(f"  {status}  {text}: {figure}")


if __name__ == "__main__":
    main()

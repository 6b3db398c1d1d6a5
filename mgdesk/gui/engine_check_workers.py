"""The Check My Engine dialog's two workers (see gui/threads.py for the rules): one runs
the checks of a learner's file (in a child process, via mgdesk.check), one lays out and
paints both drawings of a failure. QImage is fine off the GUI thread."""

from PySide6.QtCore import QByteArray, QObject, QRectF, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from mgdesk.check import CheckError, run_checks
from mgdesk.gui.threads import one_line
from mgdesk.viz import GraphRenderer, RenderError
from mgdesk.viz.pair import pair_graphs

__all__ = ["DRAW_SCALE", "EngineCheckWorker", "PairWorker"]

DRAW_SCALE = 1.25  # device pixels per SVG unit: the boxes' 14-unit text reads well


class EngineCheckWorker(QObject):
    """Runs the checks of one file; results arrive one by one, as each check ends."""

    yielded = Signal(int, object)  # run id, {"name", "status", "hint"[, "graph"]}
    finished = Signal(int, bool)  # run id, True when it was stopped early
    errored = Signal(int, str)  # run id, one line: the file cannot be checked

    @Slot(int, str, str, object, object)
    def run(self, run_id, path, class_name, stop, names):
        try:
            run_checks(
                path,
                class_name,
                on_result=lambda result: self.yielded.emit(run_id, result),
                stop=stop,
                names=names,
                graphs=True,
            )
        except CheckError as exc:
            self.errored.emit(run_id, str(exc))
            return
        except Exception as exc:  # report it; never kill the thread
            self.errored.emit(run_id, f"the check could not run: {one_line(exc)}")
            return
        self.finished.emit(run_id, stop.is_set())


class PairWorker(QObject):
    """Lays out and paints both drawings of a failure, theirs and ours."""

    returned = Signal(int, object, object)  # request id, (QImage or error text) for each side

    def __init__(self):
        super().__init__()
        self.renderer = GraphRenderer()

    @Slot(int, object)
    def draw(self, request_id, graph_data):
        sides = []
        for side in pair_graphs(graph_data):
            if side.graph is None:
                sides.append(side.error)
                continue
            try:
                svg = self.renderer.render_graph(side.graph, styles=side.styles).svg
            except RenderError as exc:
                sides.append(one_line(exc))
                continue
            sides.append(_paint(svg))
        self.returned.emit(request_id, *sides)


def _paint(svg):
    qsvg = QSvgRenderer(QByteArray(svg))
    size = qsvg.defaultSize()
    image = QImage(
        max(1, round(size.width() * DRAW_SCALE)),
        max(1, round(size.height() * DRAW_SCALE)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    qsvg.render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    return image

"""A rendered graph as pictures: the SVG parsed once, painted whole at a capped size, and
a sharper tile of the visible part when zoomed in past that. Runs in the graph thread,
on a document that is either parsed here (`LocalSvg`) or in the raster child
(gui/raster_client.py `ChildSvg`): both answer `view_box()`, `boxes(ids)` and
`paint(size, scale, region)`."""

import math
from dataclasses import dataclass, replace

from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

__all__ = [
    "MAX_RASTER_PIXELS",
    "GraphImage",
    "LocalSvg",
    "hit_boxes",
    "image_bytes",
    "image_from_bytes",
    "needs_raster",
    "paint",
    "raster",
]

MAX_RASTER_PIXELS = 4_000_000  # a graph image never exceeds this (16 MB)


@dataclass(frozen=True)
class GraphImage:
    """A rendered graph: the SVG, rasters of it, and hit boxes for its nodes.

    `image` holds the whole graph at `scale` pixels per SVG unit (at most
    MAX_RASTER_PIXELS); zoomed in further, `detail` holds the region around what is
    visible, `detail_rect` (x, y, w, h in SVG units), at `detail_scale`.
    """

    job: object  # the GraphJob drawn
    svg: bytes
    view: str
    node_count: int
    message: str
    size: tuple  # (width, height) of the SVG in its own units
    boxes: dict  # svg element id -> (x, y, w, h) in SVG units
    node_ids: dict  # svg element id -> GraphNode (label, op, role, data, grad, index)
    image: QImage = None
    scale: float = 0.0
    detail: QImage = None
    detail_rect: tuple = ()
    detail_scale: float = 0.0
    network: object = None  # network view: a graph_network.NetworkExtras (opened, heatmaps)


def hit_boxes(qsvg, node_ids):
    """svg id -> (x, y, w, h) of each node in `node_ids` that the SVG has."""
    view_box = qsvg.viewBoxF()
    boxes = {}
    for sid in node_ids:
        if qsvg.elementExists(sid):
            r = qsvg.transformForElement(sid).mapRect(qsvg.boundsOnElement(sid))
            boxes[sid] = (r.x() - view_box.x(), r.y() - view_box.y(), r.width(), r.height())
    return boxes


class LocalSvg:
    """An SVG parsed in this thread. QSvgRenderer keeps the GIL through every call, so
    the GUI thread waits meanwhile: the fallback when the raster child cannot answer."""

    def __init__(self, svg):
        self.qsvg = QSvgRenderer(QByteArray(svg))
        if not self.qsvg.isValid():
            raise ValueError("the graph renderer produced an SVG that Qt cannot read")

    def view_box(self):
        box = self.qsvg.viewBoxF()
        return (box.x(), box.y(), box.width(), box.height())

    def boxes(self, ids):
        return hit_boxes(self.qsvg, ids)

    def paint(self, size, scale, region):
        return paint(self.qsvg, size, scale, region)


def raster(image, doc, view):
    """`image` with the pictures the view (scale, visible rect) wants: the whole graph at
    up to MAX_RASTER_PIXELS, plus a detail tile around the visible rect when zoomed in
    past that (a quarter of the rect's size of margin on each side)."""
    scale, rect = view
    width, height = image.size
    base = min(scale, _max_scale(width, height))
    if image.image is None or not math.isclose(image.scale, base):
        image = replace(image, image=doc.paint(image.size, base, (0, 0, width, height)))
    detail = {"detail": None, "detail_rect": (), "detail_scale": 0.0}
    if rect and scale > base * 1.05:  # zoomed in past the whole picture's resolution
        x, y, w, h = rect
        x0, y0 = max(0.0, x - w / 4), max(0.0, y - h / 4)
        x1, y1 = min(width, x + w * 1.25), min(height, y + h * 1.25)
        region = (x0, y0, x1 - x0, y1 - y0)
        sharp = min(scale, _max_scale(region[2], region[3]))
        detail = {
            "detail": doc.paint(image.size, sharp, region),
            "detail_rect": region,
            "detail_scale": sharp,
        }
    return replace(image, scale=base, **detail)


def needs_raster(image, view):
    """Does the view (scale, visible rect) want a picture other than `image`?"""
    scale, rect = view
    base = min(scale, _max_scale(*image.size))
    if not math.isclose(image.scale, base):
        return True
    if not rect or scale <= base * 1.05:
        return False
    x, y, w, h = rect
    dx, dy, dw, dh = image.detail_rect or (0, 0, 0, 0)
    covered = dx <= x and dy <= y and x + w <= dx + dw and y + h <= dy + dh
    return image.detail is None or not covered or not math.isclose(image.detail_scale, scale)


def _max_scale(width, height):
    """The largest scale at which a width x height region stays within MAX_RASTER_PIXELS."""
    return math.sqrt(MAX_RASTER_PIXELS / max(width * height, 1e-9))


def paint(qsvg, size, scale, region):
    """Rasterise `region` (x, y, w, h in SVG units) of the SVG at `scale` pixels per unit."""
    x, y, w, h = region
    image = QImage(
        max(1, round(w * scale)),
        max(1, round(h * scale)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.scale(scale, scale)
    painter.translate(-x, -y)
    qsvg.render(painter, QRectF(0, 0, size[0], size[1]))
    painter.end()
    return image


def image_bytes(image):
    """The raw ARGB32 (premultiplied) pixels of a picture made by `paint`."""
    return bytes(image.constBits())[: image.width() * image.height() * 4]


def image_from_bytes(width, height, data):
    """A picture (its own copy) from `image_bytes`' pixels."""
    view = QImage(data, width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied)
    return view.copy()

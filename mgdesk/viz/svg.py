"""A laid-out SVG as a template: patch numbers, fills and highlights by node id.

The renderer's SVG is made smaller first (no comments, titles or per-text font attributes:
Qt parses it faster), then cut into literal pieces and slots: each node's `<g>` attributes,
its outline shape, and the texts of its numbers. Filling the slots is a list copy and a
join, a few milliseconds for 1,600 nodes, instead of a new layout.
"""

import re
from dataclasses import dataclass

from mgdesk.viz.dot import (
    FONT,
    FONT_WEIGHT,
    PAD,
    ROLE_STYLE,
    fill_colour,
    node_fields,
    weight_style,
)

__all__ = ["Layout", "LayoutError", "NodeStyle", "compact_svg"]

_NODE = re.compile(r'<g id="([^"]+)" class="node">(.*?)</g>', re.S)
_SHAPE = re.compile(r"<(polygon|ellipse) ([^>]*?)/>")
_ATTR = re.compile(r'\s*([\w:-]+)="([^"]*)"')
_EDGE = re.compile(r'<g id="e(\d+)" class="edge">\s*<path ([^>]*?)/>')
_TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)
_DROP = re.compile(
    r'<!--.*?-->\n?|<title>.*?</title>\n?| xml:space="preserve"| text-anchor="middle"'
    r'| font-family="[^"]*"| font-size="14.00"',
    re.S,
)
_STYLED = ("fill", "stroke", "stroke-width")


class LayoutError(ValueError):
    """The SVG does not hold the nodes of the graph it should show."""


@dataclass(frozen=True)
class NodeStyle:
    """Overrides for one node when filling a layout (e.g. a stepper's highlight)."""

    fill: str | None = None
    stroke: str | None = None
    penwidth: float | None = None
    opacity: float | None = None


def compact_svg(svg):
    """Drop what Qt does not need; fonts move to the root group (Qt ignores fallback lists)."""
    svg = svg[svg.index("<svg") :]
    svg = _DROP.sub("", svg).replace("&#45;", "-")
    return svg.replace(
        'class="graph"',
        f'class="graph" font-family="{FONT}" font-size="14" text-anchor="middle"',
        1,
    )


@dataclass(frozen=True)
class _Slots:
    attrs: int  # index of the extra attributes of the node's <g>
    shape: int  # index of the outline element
    tag: str
    geometry: str  # the outline's attributes other than fill / stroke / width
    texts: tuple  # indices of the number texts


class Layout:
    """One laid-out SVG of a graph's shape; `svg(graph)` writes any graph of that shape."""

    def __init__(self, svg, graph):
        self._parts, self._slots = [], {}
        weight = FONT_WEIGHT[graph.view]
        if weight != "normal":
            svg = svg.replace('class="graph"', f'class="graph" font-weight="{weight}"', 1)
        self._view = graph.view
        dynamic = {n.id: len(node_fields(n, graph.view)[1]) for n in graph.nodes}
        weighted = {k for k, w in enumerate(graph.weights) if w is not None}
        self._edges = {}  # edge index -> (slot, the path's attributes other than its stroke)
        pieces = sorted(
            [(m.start(), m.end(), "node", m) for m in _NODE.finditer(svg)]
            + [(m.start(), m.end(), "edge", m) for m in _EDGE.finditer(svg)],
            key=lambda t: t[0],
        )
        pos = 0
        for start, end, kind, match in pieces:
            if kind == "node" and match.group(1) in dynamic:
                node_id, body = match.groups()
                self._parts.append(f'{svg[pos:start]}<g id="{node_id}"')
                self._slots[node_id] = self._cut(node_id, body, dynamic[node_id])
                pos = end
            elif kind == "edge" and int(match.group(1)) in weighted:
                k = int(match.group(1))
                geometry = "".join(
                    f' {a}="{v}"' for a, v in _ATTR.findall(match.group(2)) if a not in _STYLED
                )
                self._parts.extend([f'{svg[pos:start]}<g id="e{k}" class="edge">\n', ""])
                self._edges[k] = (len(self._parts) - 1, geometry)
                pos = end
        self._parts.append(svg[pos:])
        missing = dynamic.keys() - self._slots.keys()
        if missing:
            raise LayoutError(f"the SVG lacks {len(missing)} node(s), e.g. {min(missing)}")

    def _cut(self, node_id, body, n_numbers):
        """Split one node group into literal pieces and slots (appended to self._parts)."""
        shape = _SHAPE.search(body)
        texts = list(_TEXT.finditer(body))
        if shape is None or len(texts) < n_numbers:
            raise LayoutError(f"node {node_id} is not drawn as expected")
        geometry = "".join(
            f' {k}="{v}"' for k, v in _ATTR.findall(shape.group(2)) if k not in _STYLED
        )
        parts = self._parts
        attrs_at = len(parts)
        parts.extend(["", ' class="node">' + body[: shape.start()], ""])
        pos, text_at = shape.end(), []
        for text in texts[len(texts) - n_numbers :]:
            parts.extend([body[pos : text.start(1)], ""])
            text_at.append(len(parts) - 1)
            pos = text.end(1)
        parts.append(body[pos:] + "</g>")
        return _Slots(attrs_at, attrs_at + 2, shape.group(1), geometry, tuple(text_at))

    def svg(self, graph, styles=None):
        """The SVG (bytes) of `graph` with its current numbers and colours."""
        parts = self._parts.copy()
        styles = styles or {}
        for node in graph.nodes:
            slot = self._slots[node.id]
            style = styles.get(node.id) or NodeStyle()
            stroke, width = ROLE_STYLE[node.role]
            stroke, width = style.stroke or stroke, style.penwidth or width
            extra = f' stroke-width="{width:g}"' if width != 1.0 else ""
            parts[slot.shape] = (
                f'<{slot.tag} fill="{style.fill or fill_colour(node)}" stroke="{stroke}"'
                f"{extra}{slot.geometry}/>"
            )
            if style.opacity is not None:
                parts[slot.attrs] = f' opacity="{style.opacity:g}"'
            for at, text in zip(slot.texts, node_fields(node, self._view)[1]):
                parts[at] = text.replace(PAD, "")  # Qt would collapse the padding anyway
        for k, (at, geometry) in self._edges.items():
            colour, width = weight_style(graph.weights[k])
            parts[at] = (
                f'<path fill="none" stroke="{colour}" stroke-width="{width:.2f}"{geometry}/>'
            )
        return "".join(parts).encode()

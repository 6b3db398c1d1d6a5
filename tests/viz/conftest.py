"""Shared helpers for the graph-view tests: a traced sample and an SVG reader."""

import xml.etree.ElementTree as ET

import pytest

from mgdesk.engine import MLP
from mgdesk.train import sample_loss

SVG = "{http://www.w3.org/2000/svg}"


def read_svg(svg):
    """{node id: (texts, fill of the outline)} and the number of edges of an SVG."""
    root = ET.fromstring(svg)
    nodes, edges = {}, 0
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            texts = tuple(" ".join((t.text or "").split()) for t in g.iter(f"{SVG}text"))
            shape = next(e for e in g if e.tag in (f"{SVG}polygon", f"{SVG}ellipse"))
            nodes[g.get("id")] = (texts, shape.get("fill"))
        elif g.get("class") == "edge":
            edges += 1
    return nodes, edges


def traced(nouts=(4, 4, 1), activation="tanh", x=(0.5, -0.3), y=1.0, loss="hinge", seed=0):
    """(root after backward, model) of one sample's loss."""
    model = MLP(2, list(nouts), activation, seed=seed)
    root = sample_loss(model, x, y, loss)
    root.backward()
    return root, model


@pytest.fixture
def svg_reader():
    return read_svg


@pytest.fixture
def trace_sample():
    return traced

"""Colours in the rendered SVG: borders tell a node's role, fills its gradient's sign and size."""

import colorsys
import re
import xml.etree.ElementTree as ET

import pytest

from mgdesk.engine import MLP, Value
from mgdesk.train import sample_loss
from mgdesk.viz import GraphRenderer

SVG = "{http://www.w3.org/2000/svg}"
PARAMETER = re.compile(r"L\d+\.N\d+\.(w\d+|b)$")


def boxes(svg):
    """{node id: (label, grad shown or None, fill, (stroke, stroke width))} of the value boxes."""
    found = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") != "node":
            continue
        shape = next(e for e in g if e.tag in (f"{SVG}polygon", f"{SVG}ellipse"))
        if shape.tag == f"{SVG}ellipse":
            continue  # an op node
        texts = [" ".join((t.text or "").split()) for t in g.iter(f"{SVG}text")]
        grads = [float(t.split()[-1]) for t in texts if t.startswith("grad ")]
        border = (shape.get("stroke"), float(shape.get("stroke-width", "1")))
        found[g.get("id")] = (texts[0], grads[0] if grads else None, shape.get("fill"), border)
    return found


def role(node_id, label, ids):
    """A box's role, from what it shows (not from the renderer's own bookkeeping)."""
    if label == "loss":
        return "loss"
    if label in ("x1", "x2"):
        return "input"
    if PARAMETER.match(label):
        return "parameter"
    if f"{node_id}_op" in ids:
        return "intermediate"
    return None  # the target and constants: not asked about


def borders_by_role(svg):
    found = boxes(svg)
    ids = {g.get("id") for g in ET.fromstring(svg).iter(f"{SVG}g")}
    by_role = {}
    for node_id, (label, _, _, border) in found.items():
        kind = role(node_id, label, ids)
        if kind is not None:
            by_role.setdefault(kind, set()).add(border)
    return by_role


def rgb(colour):
    assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def hue(colour):
    return colorsys.rgb_to_hsv(*(c / 255 for c in rgb(colour)))[0] * 360


def strength(colour):
    """How far a fill is from white (0 = white)."""
    return sum(255 - c for c in rgb(colour))


def test_borders_tell_input_parameter_hidden_and_loss_apart(trace_sample):
    root, model = trace_sample()
    renderer = GraphRenderer()
    first = renderer.render_root(root, model, view="ops")
    by_role = borders_by_role(first.svg)
    assert set(by_role) == {"input", "parameter", "intermediate", "loss"}
    for kind, styles in by_role.items():
        assert len(styles) == 1, (kind, styles)  # one look per role
    looks = [next(iter(by_role[kind])) for kind in ("input", "parameter", "intermediate", "loss")]
    assert len(set(looks)) == 4, looks
    assert len({stroke for stroke, _ in looks}) == 4  # by colour, not only by width

    again, _ = trace_sample(seed=1)  # other numbers, same shape: a patched layout
    patched = renderer.render_root(again, model, view="ops")
    assert patched.cached
    assert borders_by_role(patched.svg) == by_role


def test_the_neuron_view_keeps_input_and_loss_borders(trace_sample):
    root, model = trace_sample()
    ops = borders_by_role(GraphRenderer().render_root(root, model, view="ops").svg)
    neurons = GraphRenderer().render_root(root, model, view="neurons").svg
    found = boxes(neurons)
    borders = {label: border for label, _, _, border in found.values()}
    assert {borders["x1"], borders["x2"]} == ops["input"]
    assert {borders["loss"]} == ops["loss"]
    neuron_borders = {b for label, b in borders.items() if re.fullmatch(r"L\d+\.N\d+", label)}
    assert len(neuron_borders) == 1
    assert neuron_borders.isdisjoint(ops["input"] | ops["loss"])


def known_grads():
    """A loss whose leaves have the gradients in their names, and one unused leaf."""
    grads = {"p": [1e-3, 1e-2, 1e-1, 1.0], "n": [-1e-3, -1e-2, -1e-1, -1.0]}
    leaves = {f"{sign}{i}": Value(1.0, label=f"{sign}{i}") for sign in grads for i in range(4)}
    loss = Value(0.0, label="zero") * 0.0
    loss.label = ""
    zero = loss._prev[0]
    for sign, values in grads.items():
        for i, g in enumerate(values):
            loss = loss + leaves[f"{sign}{i}"] * g
    loss.label = "loss"
    loss.backward()
    assert zero.grad == 0.0 and leaves["n3"].grad == -1.0
    return loss


def test_fills_show_gradient_sign_and_log_scaled_size():
    found = boxes(GraphRenderer().render_root(known_grads(), view="ops").svg)
    fill = {label: colour for label, _, colour, _ in found.values()}
    assert fill["zero"] == "#ffffff"  # no gradient: white
    for sign in "pn":
        shades = [fill[f"{sign}{i}"] for i in range(4)]  # |grad| 1e-3, 1e-2, 0.1, 1
        levels = [strength(c) for c in shades]
        assert levels[0] < levels[1] < levels[2] < levels[3], (sign, shades)
        # a log scale: every factor of ten is about the same step, and 1e-3 is clearly seen
        # (on a linear scale 1e-3 would be 1/1000 of the strongest colour: white)
        steps = [b - a for a, b in zip(levels, levels[1:])]
        assert max(steps) < 1.5 * min(steps), (sign, levels)
        assert levels[0] > 0.2 * levels[3], (sign, levels)
    reds = [hue(fill[f"p{i}"]) for i in range(4)]
    blues = [hue(fill[f"n{i}"]) for i in range(4)]
    assert all(h < 20 or h > 340 for h in reds), reds  # positive: red
    assert all(180 < h < 240 for h in blues), blues  # negative: blue


@pytest.mark.parametrize("loss", ["hinge", "mse"])
def test_a_traced_samples_fills_follow_the_grads_it_shows(loss):
    model = MLP(2, [4, 4, 1], "tanh", seed=3)
    root = sample_loss(model, (0.4, -0.7), 1.0, loss)
    root.backward()
    found = boxes(GraphRenderer().render_root(root, model, view="ops").svg)
    signs = set()
    for label, grad, colour, _ in found.values():
        r, g, b = rgb(colour)
        if grad == 0:
            assert colour == "#ffffff", label
        elif grad > 0:
            assert r > b and r >= g, (label, grad, colour)
        else:
            assert b > r, (label, grad, colour)
        signs.add((grad > 0) - (grad < 0))
    assert {-1, 1} <= signs  # the sample has both kinds

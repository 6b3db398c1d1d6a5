"""Numbers keep their width, colours tell sign and size, labels cannot break the DOT."""

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgdesk.engine import Value
from mgdesk.viz import GraphRenderer, format_number, grad_colour, to_dot, trace_graph
from mgdesk.viz.dot import NUMBER_WIDTH


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_every_number_fits_its_box_and_keeps_its_value(x):
    text = format_number(x)
    assert len(text) <= NUMBER_WIDTH
    if math.isfinite(x) and abs(x) < 1e300:  # (1.75e308 shows as +1.8e+308, above float max)
        shown = float(text)
        assert shown == pytest.approx(x, rel=0.06, abs=5e-5)
        if x != 0:
            assert shown != 0  # a tiny gradient is never shown as zero


@pytest.mark.parametrize(
    "x, text",
    [(0.0, "+0.0000"), (-0.0, "+0.0000"), (0.12344, "+0.1234"), (-999.5, "-999.5000"),
     (1234.5, "+1.23e+03"), (3e-5, "+3.00e-05"), (-1e-200, "-1.0e-200"),
     (math.inf, "+inf"), (math.nan, "nan")],
)  # fmt: skip
def test_number_format(x, text):
    assert format_number(x) == text


def test_gradient_colours_diverge_and_grow_with_size():
    def rgb(colour):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    assert grad_colour(0.0) == "#ffffff"
    red, blue = rgb(grad_colour(0.5)), rgb(grad_colour(-0.5))
    assert red[0] > red[2] and blue[2] > blue[0]
    # log scale: each factor of ten is a visible step, and it saturates at |grad| >= 1
    strengths = [255 - rgb(grad_colour(g))[1] for g in (1e-5, 1e-3, 1e-1, 1.0, 50.0)]
    assert strengths[0] < strengths[1] < strengths[2] < strengths[3] == strengths[4]
    assert grad_colour(math.nan) == grad_colour(math.inf) != "#ffffff"


LABELS = st.text(st.sampled_from('ab {}|<>"\\\n\t&;é'), min_size=1, max_size=12)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(LABELS)
def test_any_label_stays_one_field(svg_reader, label):
    """A label full of record syntax renders as exactly that text, in one field."""
    x = Value(1.5, label=label)
    out = x * 2.0
    out.label = "out"
    out.backward()
    svg = GraphRenderer().render_root(out).svg
    texts, _ = svg_reader(svg)[0]["n0"]
    assert texts[0] == " ".join(label.split())  # whitespace may be collapsed, nothing else
    assert len(texts) == 3


def test_dot_source_carries_ids_numbers_and_colours():
    a = Value(-2.0, label="a")
    b = (a * a).tanh()
    b.label = "b"
    b.backward()
    graph = trace_graph(b)
    source = to_dot(graph)
    assert "digraph" in source and 'id="\\N"' in source
    assert f"grad {format_number(a.grad)}" in re.sub(r"(\\ )+", " ", source)
    assert grad_colour(a.grad) in source
    assert grad_colour(a.grad) not in to_dot(graph, styled=False)
    assert source.count("n0 -> n1_op") == 2  # a * a: two edges

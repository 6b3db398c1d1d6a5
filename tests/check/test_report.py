"""The engine check's words, shared by the CLI and the dialog (no Qt)."""

from mgdesk.check.command import summary_line
from mgdesk.check.report import NO_DRAWING, drawing_size, no_drawing_caption, summary


def _result(status, name="a + b", **extra):
    return {"name": name, "status": status, "hint": "", **extra}


def test_the_summary_counts_each_status_and_says_whether_to_fix_something():
    results = [_result("pass"), _result("pass"), _result("missing")]
    assert summary(results) == "Everything you implement works: 2 pass, 1 missing."
    results.append(_result("error"))
    assert summary(results) == "Something to fix: 2 pass, 1 error, 1 missing."
    assert summary_line(results) == "FAILED: 2 pass, 1 error, 1 missing"
    assert summary([]) == "No check ran."


def test_the_smallest_drawing_comes_first_and_a_missing_one_last():
    small = _result("fail", graph={"theirs": {"nodes": [1, 2]}})
    big = _result("fail", graph={"theirs": {"nodes": list(range(9))}})
    unreadable = _result("fail", graph={"theirs": {"error": "x"}})
    sizes = [drawing_size(r) for r in (small, big, unreadable, _result("pass"))]
    assert sizes == [2, 9, NO_DRAWING, NO_DRAWING]


def test_why_there_is_no_drawing_is_said_in_escaped_html():
    assert no_drawing_caption(_result("pass", "a<b")) == "<b>a&lt;b</b> passes: nothing to draw."
    assert "not in your class" in no_drawing_caption(_result("missing"))
    assert "too big to draw" in no_drawing_caption(_result("fail", "a long chain"))
    assert "no small expression" in no_drawing_caption(_result("fail"))

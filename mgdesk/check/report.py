"""What the engine check's results say, in words, for the CLI and the window's dialog
(no Qt): the counts per status, the summary line, which failure to draw first."""

from html import escape

__all__ = [
    "FAILING",
    "STATUSES",
    "drawing_size",
    "no_drawing_caption",
    "status_counts",
    "summary",
]

STATUSES = ("pass", "fail", "error", "missing")  # as a check's result says
FAILING = ("fail", "error")
NO_DRAWING = 1 << 30  # drawing_size() of a result without a drawing


def status_counts(results):
    """{status: how many results have it}, for every status, in STATUSES order."""
    return {s: sum(r["status"] == s for r in results) for s in STATUSES}


def summary(results):
    """'Something to fix: 3 pass, 1 fail.' (or 'Everything you implement works: ...')."""
    counts = status_counts(results)
    text = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    failed = any(counts[s] for s in FAILING)
    head = "Something to fix" if failed else "Everything you implement works"
    return f"{head}: {text}." if text else "No check ran."


def drawing_size(result):
    """How many values a result's drawing has (NO_DRAWING when it has none): the
    smallest failing drawing is shown first, as the plainest view of the bug."""
    graph = result.get("graph")
    if graph is None or "nodes" not in graph["theirs"]:
        return NO_DRAWING
    return len(graph["theirs"]["nodes"])


def no_drawing_caption(result):
    """Why a result has no drawing (HTML)."""
    name = escape(result["name"])
    if result["status"] == "pass":
        return f"<b>{name}</b> passes: nothing to draw."
    if result["status"] == "missing":
        return f"<b>{name}</b> is not in your class: nothing to draw."
    if "chain" in result["name"]:
        return (
            f"<b>{name}</b>: the failing graph is hundreds of values deep, "
            "too big to draw; the hint above says what to change."
        )
    return f"<b>{name}</b>: no small expression to draw; see the hint above."

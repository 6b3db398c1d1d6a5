"""Backprop > Check My Engine…: the checks in the background, the table, the two drawings."""

import os
from pathlib import Path

import pytest
from learner_notes import engine_source, mutant, network_source
from PySide6.QtGui import QColor

from mgdesk.check.checks import CHECKS
from mgdesk.gui.engine_check_dialog import EngineCheckDialog, open_engine_check
from mgdesk.viz.pair import MARK_COLOUR

CHAIN = "a chain of 10,000 operations"
RUN_TIMEOUT_MS = 180_000  # the learner's whole run: their speed step, the chain's bisection


@pytest.fixture
def dialog(qtbot):
    d = EngineCheckDialog()
    qtbot.addWidget(d)
    d.show()
    yield d
    d.shutdown()


def write(tmp_path, source, name="engine.py"):
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path


def run(qtbot, dialog, path, names=None):
    assert dialog.start_check(path, "Value", names)
    assert dialog.running and dialog.run_button.text() == "Stop"
    qtbot.waitUntil(lambda: not dialog.running, timeout=RUN_TIMEOUT_MS)
    return {r["name"]: r for r in dialog.results}


def row_of(dialog, name):
    rows = [r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 1).text() == name]
    assert len(rows) == 1, name
    return rows[0]


def table_row(dialog, name):
    row = row_of(dialog, name)
    return [dialog.table.item(row, c).text() for c in range(3)]


def marked_pixels(image):
    """How many pixels of `image` are the mark's colour (the outline of a differing node)."""
    mark = QColor(MARK_COLOUR)
    count = 0
    for y in range(0, image.height()):
        for x in range(0, image.width()):
            c = image.pixelColor(x, y)
            if abs(c.red() - mark.red()) + abs(c.green() - mark.green()) < 40 and (
                abs(c.blue() - mark.blue()) < 40
            ):
                count += 1
    return count


def test_the_learners_engine_shows_the_deep_chain_failure_with_the_recursion_hint(
    qtbot, dialog, tmp_path
):
    path = write(tmp_path, engine_source() + "\n\n" + network_source())
    results = run(qtbot, dialog, path)
    assert dialog.table.rowCount() == len(CHECKS) == len(results)
    status, name, hint = table_row(dialog, CHAIN)
    assert status == "fail"
    assert "recursive topological sort (`build_topo`" in hint and "explicit stack" in hint
    assert "RecursionError at depth" in hint
    assert table_row(dialog, "a + b")[0] == "pass"
    assert table_row(dialog, "2 - a")[0] == "missing"
    assert dialog.error_label.isHidden()
    assert (
        "Something to fix" in dialog.status_label.text() and "1 fail" in dialog.status_label.text()
    )
    dialog.table.selectRow(row_of(dialog, CHAIN))  # no drawing: too deep, and it says so
    assert "too big to draw" in dialog.drawing_caption.text()
    assert dialog.theirs.image is None and dialog.ours.image is None


def test_a_mutant_shows_its_failing_expression_twice_with_the_differing_node_marked(
    qtbot, dialog, tmp_path
):
    source = mutant(engine_source(), "grad += 1.0 * out.grad", "grad = 1.0 * out.grad", count=2)
    names = ["a + b", "a + a accumulates", "a value used in two branches"]
    results = run(qtbot, dialog, write(tmp_path, source), names)
    assert [table_row(dialog, n)[0] for n in names] == ["pass", "fail", "fail"]
    assert "use `+=`" in table_row(dialog, "a + a accumulates")[2]
    # the first failure with a drawing is selected and drawn by itself
    qtbot.waitUntil(lambda: dialog.theirs.image is not None and dialog.ours.image is not None)
    assert dialog.table.selectionModel().selectedRows()[0].row() == row_of(
        dialog, "a + a accumulates"
    )
    assert "a + a" in dialog.drawing_caption.text()
    graph = results["a + a accumulates"]["graph"]
    theirs, ours = graph["theirs"], graph["ours"]
    (mark_theirs,) = [n for n in theirs["nodes"] if n["id"] in theirs["differs"]]
    (mark_ours,) = [n for n in ours["nodes"] if n["id"] in ours["differs"]]
    assert mark_theirs["label"] == mark_ours["label"] == "a"
    assert (mark_theirs["grad"], mark_ours["grad"]) == (1.0, 2.0)  # `=` keeps one use
    assert len(theirs["edges"]) == 1 and len(ours["edges"]) == 2  # their _prev is a set
    assert marked_pixels(dialog.theirs.image) > 50 and marked_pixels(dialog.ours.image) > 50
    assert dialog.theirs.image != dialog.ours.image
    dialog.table.selectRow(row_of(dialog, "a + b"))  # a pass: nothing drawn
    assert "passes" in dialog.drawing_caption.text() and dialog.theirs.image is None


def test_mgdesks_own_engine_passes_every_check(qtbot, dialog, tmp_path):
    path = write(tmp_path, "from mgdesk.engine import MLP, Value\n")
    results = run(qtbot, dialog, path)
    assert len(results) == len(CHECKS)
    assert {r["status"] for r in results.values()} == {"pass"}
    assert all("graph" not in r for r in results.values())
    assert dialog.status_label.text().startswith("Everything you implement works")


@pytest.mark.parametrize(
    "source, says",
    [
        ("import no_such_module_here\n", "ModuleNotFoundError"),
        ("class Value:\n    def __init__(self\n", "line 2"),
        ("class Scalar:\n    pass\n", "has no class Value (it defines Scalar"),
    ],
)
def test_a_file_that_cannot_be_loaded_shows_one_line_and_no_traceback(
    qtbot, dialog, tmp_path, source, says
):
    run(qtbot, dialog, write(tmp_path, source))
    message = dialog.error_label.text()
    assert dialog.error_label.isVisible() and says in message
    assert "\n" not in message and "Traceback" not in message
    assert dialog.table.rowCount() == 0 and dialog.run_button.text() == "Check"


def test_bad_fields_are_told_at_the_field(dialog, tmp_path):
    assert not dialog.start_check("")
    assert "choose your engine's .py file" in dialog.error_label.text()
    assert not dialog.start_check(tmp_path / "engine.py", "2fast")
    assert "not a Python class name" in dialog.error_label.text()
    assert dialog.error_label.isVisible()
    assert not dialog.running and not dialog.threads  # nothing was started


def test_a_folder_or_missing_file_is_one_line(qtbot, dialog, tmp_path):
    run(qtbot, dialog, tmp_path / "nope.py")
    assert "no such file" in dialog.error_label.text()


def _check_children():
    """pids of our `mgdesk.check.child` processes still alive (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"mgdesk.check.child" in cmdline and stat[0] != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_closing_mid_run_stops_the_child_and_leaves_no_thread_running(qtbot, dialog, tmp_path):
    hangs = (
        "from mgdesk.engine import Value as Ours\n"
        "class Value(Ours):\n"
        "    def tanh(self):\n"
        "        while True:\n"
        "            pass\n"
    )
    assert dialog.start_check(write(tmp_path, hangs))
    qtbot.waitUntil(lambda: len(dialog.results) >= 3, timeout=60_000)
    assert _check_children()  # stuck in tanh's endless loop
    threads = list(dialog.threads)
    assert threads and all(t.isRunning() for t in threads)
    dialog.close()
    assert not any(t.isRunning() for t in threads)
    assert not dialog.running and dialog.run_button.text() == "Check"
    assert not _check_children()
    count = dialog.table.rowCount()
    qtbot.wait(300)  # nothing more arrives from the stopped run
    assert dialog.table.rowCount() == count
    assert "Stopped" in dialog.status_label.text()


def test_stop_ends_the_run_and_check_starts_again(qtbot, dialog, tmp_path):
    path = write(tmp_path, "from mgdesk.engine import Value\n")
    assert dialog.start_check(path)
    dialog.run_button.click()  # Stop
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert dialog.table.rowCount() < len(CHECKS)
    results = run(qtbot, dialog, path, ["a + b", "a + a accumulates"])
    assert [r["status"] for r in results.values()] == ["pass", "pass"]


def test_open_engine_check_keeps_one_dialog_per_window(qtbot):
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    first = open_engine_check(window)
    assert open_engine_check(window) is first and first.isVisible()
    first.path_edit.setText("kept.py")
    first.close()
    assert open_engine_check(window).path_edit.text() == "kept.py"
    first.shutdown()

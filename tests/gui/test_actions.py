"""One action table: the window's shortcuts, the F1 dialog and the README say the same."""

import re
from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from mgdesk.gui.actions import ACTIONS, SHORTCUTS

README = Path(__file__).resolve().parents[2] / "README.md"
# how a row writes keys that Qt spells otherwise
SPOKEN = {"Left": "←", "Right": "→", "Ctrl+-": "Ctrl+−", "Open": "Ctrl+O", "Save": "Ctrl+S"}
SPOKEN["Quit"] = "Ctrl+Q"


def readme_shortcuts():
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| key | what it does |") :].split("\n\n")[0].splitlines()[2:]
    return [tuple(cell.strip() for cell in row.strip("|").split(" | ")) for row in table]


def test_the_readme_table_is_the_action_table():
    assert readme_shortcuts() == list(SHORTCUTS)


def test_every_key_bound_is_in_a_row_of_the_table():
    written = " / ".join(keys for keys, _ in SHORTCUTS).replace("1–9", "1 2 3 4 5 6 7 8 9")
    for spec in ACTIONS:
        if spec.key:
            key = SPOKEN.get(spec.key, spec.key)
            assert re.search(rf"(^|[ /,]){re.escape(key)}($|[ /,])", written), spec.name


def test_the_window_binds_each_key_of_the_table(window):
    assert window.train_action.shortcut() == QKeySequence("Space")
    assert window.next_node_action.shortcut() == QKeySequence("Right")
    assert window.quit_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Quit)
    for spec in ACTIONS:
        action = getattr(window, f"{spec.name}_action")
        assert action.text() == spec.text
        assert action in window.actions()  # reachable with the menu bar hidden
        if spec.key and spec.key not in ("Open", "Save", "Quit"):
            assert action.shortcut() == QKeySequence(spec.key), spec.name


def test_f1_shows_every_row(window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: shown.append(args))
    window.shortcuts_action.trigger()
    assert len(shown) == 1
    text = shown[0][2]
    for keys, what in SHORTCUTS:
        assert f"<b>{keys}</b></td><td>{what}</td>" in text


def test_zoom_actions_zoom_the_graph(window):
    before = window.graph_view.transform().m11()
    window.zoom_in_action.trigger()
    assert window.graph_view.transform().m11() > before


def _menu_texts(window, title):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == title)
    texts = []
    for action in menu.actions():
        texts.append(action.text())
        if action.menu() is not None:
            texts.extend(sub.text() for sub in action.menu().actions())
    return texts


def test_the_two_doors_are_in_the_menus_and_open(window, qtbot):
    from mgdesk.gui.engine_check_dialog import EngineCheckDialog

    assert "P&yTorch Script…" in _menu_texts(window, "&File")
    assert "Check My &Engine…" in _menu_texts(window, "&Backprop")
    window.check_engine_action.trigger()
    dialog = window.findChild(EngineCheckDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.close()

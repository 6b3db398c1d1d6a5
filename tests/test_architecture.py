"""Only mgdesk/gui may import Qt; the engine is stdlib only."""

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mgdesk"
QT_MODULES = {"PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6", "PySide2", "qtpy"}
STDLIB = set(sys.stdlib_module_names)


def imported_roots(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.module.split(".")[0]


def python_files(sub=""):
    return sorted((PACKAGE / sub).rglob("*.py"))


def test_the_package_has_code_to_check():
    assert len(python_files()) > 5
    assert python_files("gui"), "the GUI package should exist"


def test_nothing_outside_gui_imports_qt():
    offenders = []
    for path in python_files():
        if (PACKAGE / "gui") in path.parents:
            continue
        for module, root in imported_roots(path):
            if root in QT_MODULES:
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_core_packages_never_import_the_gui():
    # cli.py may open the window; engine, train, viz and io must work without it.
    offenders = []
    for sub in ("engine", "train", "viz", "io"):
        for path in python_files(sub):
            for module, _ in imported_roots(path):
                if module.startswith("mgdesk.gui") or module == "mgdesk.cli":
                    offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_engine_and_train_use_only_the_stdlib():
    offenders = []
    for sub in ("engine", "train"):
        for path in python_files(sub):
            for module, root in imported_roots(path):
                if root not in STDLIB and not module.startswith(f"mgdesk.{sub}"):
                    if sub == "train" and module.startswith("mgdesk.engine"):
                        continue
                    offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_the_checker_sees_a_qt_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\nimport mgdesk.gui.main_window\n")
    roots = {root for _, root in imported_roots(bad)}
    assert "PySide6" in roots and "mgdesk" in roots

"""Only mgdesk/gui may import Qt; the Value engine is stdlib only, the fast path adds NumPy."""

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
    # the cli may open the window; engine, train, viz and io must work without either.
    offenders = []
    for sub in ("engine", "train", "viz", "io"):
        for path in python_files(sub):
            for module, _ in imported_roots(path):
                if module.startswith(("mgdesk.gui", "mgdesk.cli")):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not offenders, "\n".join(offenders)


# The batch fast path (engine/fast.py) and the training loop may use NumPy; the Value
# engine a learner reads (value.py, nn.py, gradcheck.py) stays plain Python.
NUMPY_ALLOWED = {"engine/fast.py", "train"}


def test_engine_and_train_use_only_the_stdlib_and_numpy_where_allowed():
    offenders = []
    for sub in ("engine", "train"):
        for path in python_files(sub):
            where = path.relative_to(PACKAGE).as_posix()
            numpy_ok = where in NUMPY_ALLOWED or sub in NUMPY_ALLOWED
            for module, root in imported_roots(path):
                if root in STDLIB or module.startswith(f"mgdesk.{sub}"):
                    continue
                if sub == "train" and module.startswith("mgdesk.engine"):
                    continue
                if root == "numpy" and numpy_ok:
                    continue
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_the_value_engine_imports_no_numpy():
    for name in ("value.py", "nn.py", "gradcheck.py"):
        roots = {root for _, root in imported_roots(PACKAGE / "engine" / name)}
        assert roots <= STDLIB | {"mgdesk"}, name


def test_the_checker_sees_a_qt_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\nimport mgdesk.gui.main_window\n")
    roots = {root for _, root in imported_roots(bad)}
    assert "PySide6" in roots and "mgdesk" in roots

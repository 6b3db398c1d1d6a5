"""Shared test set-up: Qt runs offscreen, and no test may leave a QThread running."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MGDESK_SETTINGS_ORG", "mgdesk-tests")  # keep tests out of user settings

import pytest  # noqa: E402

_modules_frozen = [0]


@pytest.fixture(autouse=True)
def _freeze_imported_modules():
    """Keep the objects of modules imported so far (PySide6, NumPy, PyTorch...) out of the
    collector's scans: the Qt tests collect after each test, and with PyTorch imported each
    full collection took ~0.9 s. Modules live to the end anyway; a test's own objects are
    made after this and are collected as usual."""
    import gc
    import sys

    if len(sys.modules) > _modules_frozen[0] + 50:
        gc.collect()
        gc.freeze()
        _modules_frozen[0] = len(sys.modules)
    yield


@pytest.fixture(autouse=True)
def _no_dangling_qthreads(request):
    """Fail a test that leaves a QThread running (napari's `_dangling_qthreads` guard)."""
    yield
    import sys

    if "PySide6.QtCore" not in sys.modules or "qtbot" not in request.fixturenames:
        return  # (only tests with a Qt event loop start threads: the scan costs ~0.25 s)
    import gc

    from PySide6.QtCore import QThread

    # Free this test's Qt garbage (closed windows, their cycles) here, in the GUI thread.
    # Left to the collector, it runs wherever allocation triggers it: in the next window's
    # worker thread, whose deleting a Qt object while the GUI thread paints (and waits for
    # the GIL) can deadlock the two. The app collects only in its GUI thread
    # (mgdesk.gui.app.GuiThreadCollector), and tests/gui/conftest.py does the same.
    gc.collect()
    running = [t for t in gc.get_objects() if issubclass(type(t), QThread) and t.isRunning()]
    for thread in running:  # stop them so the next tests are not affected
        thread.quit()
        thread.wait(2000)
    if running:
        pytest.fail(f"{request.node.name} left {len(running)} QThread(s) running")

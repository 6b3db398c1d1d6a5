"""The desktop window (the only package that imports PySide6 and pyqtgraph).

from mgdesk.gui import MainWindow      # or: from mgdesk.gui.app import run; run()

MainWindow is imported when first asked for, so the raster child process
(gui/raster_child.py) starts without importing the whole window.
"""

__all__ = ["MainWindow"]


def __getattr__(name):
    if name == "MainWindow":
        from mgdesk.gui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

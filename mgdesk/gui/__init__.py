"""The desktop window (the only package that imports PySide6 and pyqtgraph).

from mgdesk.gui import MainWindow      # or: from mgdesk.gui.app import run; run()
"""

from mgdesk.gui.main_window import MainWindow

__all__ = ["MainWindow"]

"""File > Export > PyTorch Script…: the current run as one script that needs only PyTorch.

    export_torch(window)                  # the MainWindow's current run
    export_torch(parent, session_getter)  # any Session

`session_getter()` returns a `mgdesk.io.Session` (config, model, history, velocity,
points), as a session file would hold it; without one, `window_session(parent)` reads the
MainWindow's current run. Either may raise ValueError (or SessionError) with a one-line
reason ("there is no network yet"), shown in a message box like any failure to write.
"""

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from mgdesk.io.session import check_writable
from mgdesk.io.torch_export import export_torch_script

__all__ = ["SUGGESTED_NAME", "export_torch", "window_session"]

SUGGESTED_NAME = "model.py"
TITLE = "Export PyTorch Script"


def window_session(window):
    """The MainWindow's current run as a Session, as File > Save Session writes it."""
    return window.current_session()


def export_torch(parent, session_getter=None, path=None):
    """Ask where (unless `path` is given), then write the script; True when it was written.

    A name without `.py` gets it. Every failure (no network yet, a folder that cannot be
    written, points that cannot be read) is one line in a message box; nothing else changes.
    """
    if not path:
        path, _ = QFileDialog.getSaveFileName(
            parent, TITLE, str(Path.home() / SUGGESTED_NAME), "Python scripts (*.py)"
        )
        if not path:
            return False
    path = Path(path)
    if path.suffix != ".py":
        path = path.with_name(path.name + ".py")
    try:
        session = session_getter() if session_getter else window_session(parent)
        check_writable(path)
        export_torch_script(path, session)
    except (OSError, ValueError, RuntimeError) as exc:  # SessionError is a ValueError
        QMessageBox.warning(parent, "Cannot export the PyTorch script", _one_line(exc))
        return False
    status = getattr(parent, "statusBar", None)
    if callable(status):
        status().showMessage(f"Saved {path.name}: run it with  python {path.name}", 8000)
    return True


def _one_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

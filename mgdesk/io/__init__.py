"""Files: sessions as JSON, the loss history as CSV, and a runnable exported script.

No Qt here, and nothing loaded can run code: everything read is JSON or CSV, checked on the
way in.
"""

from mgdesk.io.export import export_script
from mgdesk.io.session import (
    ComparisonSession,
    Session,
    SessionError,
    check_writable,
    history_csv,
    load_comparison,
    load_session,
    save_comparison,
    save_session,
    write_history_csv,
)

__all__ = [
    "ComparisonSession",
    "Session",
    "SessionError",
    "check_writable",
    "export_script",
    "history_csv",
    "load_comparison",
    "load_session",
    "save_comparison",
    "save_session",
    "write_history_csv",
]

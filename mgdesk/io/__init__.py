"""Files: sessions as JSON, the loss history as CSV, and a runnable exported script.

No Qt here, and nothing loaded can run code: everything read is JSON or CSV, checked on the
way in.
"""

from mgdesk.io.export import export_script, script_refusal
from mgdesk.io.paths import (
    check_outputs,
    error_line,
    file_name_argument,
    printable,
    same_file,
    session_inputs,
    silence,
)
from mgdesk.io.session import (
    ComparisonSession,
    Session,
    SessionError,
    check_writable,
    history_csv,
    load_comparison,
    load_session,
    restarted_state,
    save_comparison,
    save_session,
    write_file,
    write_history_csv,
)

__all__ = [
    "ComparisonSession",
    "Session",
    "SessionError",
    "check_outputs",
    "check_writable",
    "error_line",
    "export_script",
    "file_name_argument",
    "history_csv",
    "load_comparison",
    "load_session",
    "printable",
    "restarted_state",
    "same_file",
    "save_comparison",
    "save_session",
    "script_refusal",
    "session_inputs",
    "silence",
    "write_file",
    "write_history_csv",
]

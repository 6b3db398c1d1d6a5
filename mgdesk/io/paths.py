"""What every command shares about its files and messages: the check of the outputs against
the inputs (and each other) before any work, and one-line errors that are safe to print.
"""

import argparse
import os
import sys

from mgdesk.io.session import SessionError, check_writable

__all__ = [
    "check_outputs",
    "error_line",
    "file_name_argument",
    "printable",
    "same_file",
    "session_inputs",
    "silence",
]


def file_name_argument(text):
    """An argparse type: a file name, never an empty one ("" would silently mean none)."""
    if not text:
        raise argparse.ArgumentTypeError("needs a file name (got an empty one)")
    return text


def session_inputs(flag, session):
    """The files a loaded session still reads: a version-2 session's CSV (a newer one
    holds its points), as (what, path) pairs for check_outputs."""
    if session is None or session.data is not None or session.config.dataset != "csv":
        return []
    return [(f"{flag} session's CSV", session.config.csv_path)]


def same_file(a, b):
    """Do paths a and b name one file (through symlinks and hard links too)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(inputs, outputs, to_stdout=(), stdout_taken="", may_replace=()):
    """Refuse (SessionError, one line starting with the flag) any output that cannot be
    written, or that is an input or another output, before any work is done.

    `inputs`, `outputs`: (flag, path) pairs; an empty path is left out. "-" is stdout for
    the flags in `to_stdout` only (refused for the others: a file named "-" is written as
    ./-), and refused when `stdout_taken` names what already prints there ("--json").
    `may_replace`: (output flag, input flag) pairs allowed to name one file (--save may
    continue --load's session in place). Returns the outputs kept, in order."""
    inputs = [(flag, path) for flag, path in inputs if path]
    outputs = [(flag, path) for flag, path in outputs if path]
    for i, (flag, path) in enumerate(outputs):
        if path == "-":
            if flag not in to_stdout:
                can = " or ".join(f"{f} -" for f in to_stdout)
                where = f"only {can} writes to stdout" if can else "it cannot go to stdout"
                raise SessionError(f"{flag} -: {where}; for a file named -, give ./-")
            if stdout_taken:
                raise SessionError(
                    f"{flag} -: {stdout_taken} writes to stdout too: give {flag} a file"
                )
            continue
        for other, other_path in inputs + outputs[:i]:
            if (flag, other) not in may_replace and same_file(path, other_path):
                what = "an input" if (other, other_path) in inputs else "an output too"
                raise SessionError(
                    f"{flag}: {path} is also the {other} file ({what}): give each file its own name"
                )
        try:
            check_writable(path)
        except SessionError as exc:
            raise SessionError(f"{flag}: {exc}") from None
    return outputs


def printable(text):
    """`text` with control characters (escape sequences, bells, newlines) escaped."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def error_line(command, message, kind="error"):
    """`mgdesk COMMAND: error: MESSAGE` (or another `kind`: "note") on stderr, control
    characters escaped; nowhere when stderr is closed (`2>&-`) or cannot be written (never
    on stdout, never a traceback)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(f"mgdesk {command}: {kind}: {printable(message)}\n")
        stream.flush()
    except (OSError, ValueError):
        silence(stream)


def silence(stream):
    """Point `stream`'s file descriptor at the null device, so that Python's final flush of
    a stream that failed (a closed pipe, a full disk) cannot fail again."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, stream.fileno())
        os.close(fd)
    except (OSError, ValueError):  # no real file descriptor (e.g. under a test's capture)
        pass

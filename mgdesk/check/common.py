"""What every check of a learner's engine uses: the two outcomes besides a pass, and
careful ways to call their code (a number that is not one, a backward() that raises)."""

import math
import traceback

CHAIN_LENGTH = 10_000
_learner_file = None  # the file their code came from, to point at lines in it


def set_learner_file(filename):
    global _learner_file
    _learner_file = filename


def learner_file():
    """The file the learner's code came from (None before set_learner_file)."""
    return _learner_file


class Missing(Exception):
    """An operation the learner's class does not have: reported as missing, not failed."""


class Failed(Exception):
    """A wrong result; the message is the hint. `graph`: the failing expression drawn from
    both engines (mgdesk.check.graphs.expression_pair), when the check knows one."""

    def __init__(self, hint, graph=None):
        super().__init__(hint)
        self.graph = graph


def _where(exc):
    """' (engine.py line 12, in tanh)': the last frame of the learner's file in exc."""
    last = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == _learner_file:
            last = (lineno, frame.f_code.co_name)
    if last is None:
        return ""
    name = _learner_file.replace("\\", "/").rsplit("/", 1)[-1]
    return f" ({name} line {last[0]}, in {last[1]})"


def _raised(exc):
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}{': ' + text[:120] if text else ''}{_where(exc)}"


def _has(V, name):
    return getattr(V, name, None) is not None and getattr(object, name, None) is None


def _close(x, y, rel=1e-9):
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= rel * max(abs(x), abs(y)) + 1e-12


def _num(x):
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return repr(x)[:40]


def _data(v, what):
    if not hasattr(v, "data"):
        raise Failed(f"`{what}` gives {type(v).__name__} {v!r:.40}, not a Value")
    return v.data


def _backward(root, what):
    try:
        root.backward()
    except RecursionError:
        raise
    except Exception as exc:
        raise Failed(f"backward() of `{what}` raises {_raised(exc)}") from None

"""Sessions as JSON (settings, weights, loss history, momentum) and the history as CSV.

Nothing loaded can run code: a session is plain JSON with a format name and a schema version,
checked field by field on the way in. Loading returns a new Session or raises
SessionError; it never changes anything else.

Version 2 added the optimizer's momentum ("velocity") and the setting decay_steps;
version 1 files still load (no momentum saved: it starts from zero).
"""

import csv
import io
import json
import math
import os
import stat
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from mgdesk.engine import MLP
from mgdesk.train import ConfigError, StepStats, TrainConfig
from mgdesk.train.data import file_name, read_file

__all__ = [
    "FORMAT",
    "VERSION",
    "Session",
    "SessionError",
    "check_writable",
    "history_csv",
    "load_session",
    "save_session",
    "write_history_csv",
]

FORMAT = "mgdesk-session"
VERSION = 2
MAX_BYTES = 512 * 1024 * 1024  # refuse to read anything bigger (a video picked by mistake)


class SessionError(ValueError):
    """A session file that cannot be read or written; the message is one line."""


@dataclass(frozen=True)
class Session:
    config: TrainConfig
    model: MLP
    history: tuple  # of StepStats
    velocity: tuple = ()  # SGD momentum per parameter; () when not saved


def _target(path):
    """The file a write to `path` replaces: symlinks followed, so a link stays a link.
    SessionError when that is something other than a regular file (or a new one)."""
    if not str(path):
        raise SessionError("cannot write a file with an empty name")
    real = Path(os.path.realpath(path))
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        return real, None
    except OSError as exc:
        raise SessionError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise SessionError(f"cannot write {path}: it is a folder")
    if not stat.S_ISREG(mode):
        raise SessionError(f"cannot write {path}: it is a device, pipe or socket, not a file")
    return real, stat.S_IMODE(mode)


def _temporary(path, real):
    """A new, uniquely named temporary file next to `real`: (file object, its path)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise SessionError(f"cannot write {path}: {exc.strerror or exc}") from None
    return os.fdopen(fd, "w", encoding="utf-8", newline=""), tmp


def check_writable(path):
    """Raise SessionError now if `path` cannot be written (before hours of training)."""
    real, _ = _target(path)
    f, tmp = _temporary(path, real)
    f.close()
    os.unlink(tmp)


def _write_text(path, text):
    """Write `text` (a str, or an iterable of str pieces) to `path` through a temporary file
    next to it, so a failed save leaves the old file intact. A symlink is written through;
    the file keeps its permissions (a new one gets the usual ones)."""
    real, mode = _target(path)
    f, tmp = _temporary(path, real)
    try:
        with f:
            for piece in [text] if isinstance(text, str) else text:
                f.write(piece)
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SessionError(f"cannot write {path}: {exc.strerror or exc}") from None


def save_session(path, config, model, history=(), velocity=()):
    """`velocity`: the optimizer's momentum state (Trainer.velocity), kept when momentum > 0."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "config": config.to_dict(),
        "model": model.to_dict(),
        "velocity": list(velocity) if config.momentum else [],
        "history": [stats.to_dict() for stats in history],
    }
    try:
        text = _dumps(doc)
    except ValueError:
        raise SessionError(
            "cannot save: the weights or losses are not finite numbers (training diverged)"
        ) from None
    _write_text(path, text)


def _dumps(doc):
    """JSON with one line per top-level field and per history step: easy to read and diff."""
    lines = [f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in doc.items()]
    steps = ",\n".join(f"  {json.dumps(s, allow_nan=False)}" for s in doc["history"])
    lines[-1] = f' "history": [\n{steps}\n ]' if steps else ' "history": []'
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _read_document(path):
    name = file_name(path)
    if not str(path):
        raise SessionError("cannot read a session with an empty file name")
    try:
        raw = read_file(path, MAX_BYTES)
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise SessionError(f"{name} is not a mgdesk session (not a text file)") from None
    except json.JSONDecodeError as exc:
        raise SessionError(
            f"{name} is not a mgdesk session (broken JSON at line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise SessionError(f"{name} is not a mgdesk session ({exc})") from None


def load_session(path):
    """Read a session saved by save_session; SessionError explains what is wrong."""
    name = file_name(path)
    doc = _read_document(path)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SessionError(f'{name} is not a mgdesk session (no "format": "{FORMAT}")')
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SessionError(
            f"{name}: the session version must be a whole number (got {version!r:.40})"
        )
    if version > VERSION:
        raise SessionError(
            f"{name} was saved by a newer mgdesk (session version {min(version, 10**9)}; "
            f"this one reads version {VERSION}): update mgdesk"
        )
    # Whatever a crafted file holds (huge numbers, wrong types), only SessionError leaves.
    try:
        config = TrainConfig.from_dict(doc.get("config"))
    except ConfigError as exc:  # named by its key in the file
        raise SessionError(f"{name}: bad settings: {exc.field}: {exc.message}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise SessionError(f"{name}: bad settings: {exc}") from None
    try:
        model = MLP.from_dict(doc.get("model"))
    except (ValueError, TypeError, OverflowError) as exc:
        raise SessionError(f"{name}: bad model: {exc}") from None
    if model.nin != 2 or model.nouts != [*config.layers, 1]:
        raise SessionError(
            f"{name}: the model's layers {model.nouts} do not match the settings "
            f"(hidden layers {list(config.layers)} and one output)"
        )
    if model.activations != config.layer_activations():
        raise SessionError(f"{name}: the model's activations do not match the settings")
    velocity = _read_velocity(name, doc.get("velocity", []), len(model.parameters()))
    return Session(config, model, _read_history(name, doc.get("history", [])), velocity)


def _read_velocity(name, velocity, n_params):
    if velocity == []:
        return ()
    if not isinstance(velocity, list) or len(velocity) != n_params:
        raise SessionError(f"{name}: the velocity must be a list of one number per parameter")
    try:
        if any(isinstance(v, bool) or not math.isfinite(v) for v in velocity):
            raise TypeError
    except (TypeError, OverflowError):  # not a number, or an int too big for a float
        raise SessionError(f"{name}: the velocity must hold finite numbers") from None
    return tuple(map(float, velocity))


def _read_history(name, entries):
    if not isinstance(entries, list):
        raise SessionError(f"{name}: the history must be a list of steps")
    history = []
    for index, entry in enumerate(entries, start=1):
        try:
            history.append(StepStats.from_dict(entry))
        except (ValueError, TypeError, OverflowError) as exc:
            raise SessionError(f"{name}: history entry {index}: {exc}") from None
    return tuple(history)


HISTORY_COLUMNS = tuple(f.name for f in fields(StepStats))


def history_csv(history, rows_per_piece=10_000):
    """The history as CSV text, in pieces: a header, then one row per step with the
    StepStats fields; a missing test value is left empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for i, stats in enumerate(history, start=1):
        writer.writerow([("" if v is None else v) for v in stats.to_dict().values()])
        if i % rows_per_piece == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def write_history_csv(path, history):
    """Write history_csv(history) to `path` (through a temporary file, as every save)."""
    _write_text(path, history_csv(history))

"""Sessions as JSON (settings, points, weights, loss history, momentum); the history as CSV.

Nothing loaded can run code: a session is plain JSON with a format name and a schema version,
checked field by field on the way in. Loading returns a new Session or raises
SessionError; it never changes anything else.

Version 3 embeds the points (train and test split, labels) and names their source, so a
session loads anywhere with the same numbers, whatever happened to its CSV since; and keeps
the history as columns (History.to_json), so a million steps load in a second or two.
Version 2 added the optimizer's momentum ("velocity") and the setting decay_steps. Versions
1 and 2 still load: their points are made again from the settings (a CSV is read again),
their history is a list of steps, and version 1 has no momentum (it starts from zero).
The optimizer's state is checked on the way in: Adam's step count is a whole number from 0
to MAX_STEPS (0 only with zero moments), its second moments are never negative; a version-3
run with momentum or Adam must have the "velocity" key (an empty one, as older windows
saved, loads: `restarted_state` says that the optimizer starts afresh).

A comparison (save_comparison) is a version-3 session of its first run with one more field,
"comparison": every run's label and the other runs (settings, weights, momentum, history),
which share the file's points. Anything that reads a session opens its first run.
"""

import csv
import dataclasses
import io
import itertools
import json
import math
import os
import stat
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from mgdesk.engine import MLP
from mgdesk.io.records import read_model, read_step
from mgdesk.train import ConfigError, Dataset, StepStats, TrainConfig, make_dataset
from mgdesk.train.config import MAX_SAMPLES, MAX_STEPS
from mgdesk.train.data import file_name, read_file
from mgdesk.train.history import ENCODING, History
from mgdesk.train.optim import adam_state_problem, state_size

__all__ = [
    "FORMAT",
    "VERSION",
    "ComparisonSession",
    "Session",
    "SessionError",
    "check_writable",
    "history_csv",
    "load_comparison",
    "load_session",
    "save_comparison",
    "save_session",
    "write_file",
    "write_history_csv",
]

FORMAT = "mgdesk-session"
VERSION = 3
MAX_BYTES = 512 * 1024 * 1024  # refuse to read anything bigger (a video picked by mistake)
DATA_PARTS = ("x_train", "y_train", "x_test", "y_test")


class SessionError(ValueError):
    """A session file that cannot be read or written; the message is one line."""


@dataclass(frozen=True)
class Session:
    config: TrainConfig
    model: MLP
    history: History  # a sequence of StepStats
    velocity: tuple = ()  # the optimizer's state (Trainer.velocity); () when not saved
    data: Dataset | None = None  # the points; None from versions 1-2 (make_dataset(config))


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


def _temporary(path, real, binary=False):
    """A new, uniquely named temporary file next to `real`: (file object, its path)."""
    if not real.parent.is_dir():
        shown = Path(path).parent
        missing = real.parent if shown.is_dir() else shown  # a link into a missing folder
        raise SessionError(f"cannot write {path}: no folder {missing} to write it into")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise SessionError(f"cannot write {path}: {exc.strerror or exc}") from None
    if binary:
        return os.fdopen(fd, "wb"), tmp
    return os.fdopen(fd, "w", encoding="utf-8", newline=""), tmp


def check_writable(path):
    """Raise SessionError now if `path` cannot be written (before hours of training)."""
    real, _ = _target(path)
    f, tmp = _temporary(path, real)
    f.close()
    os.unlink(tmp)


def write_file(path, content):
    """Write `content` (bytes or str) to `path` as every save does (see _write_text)."""
    _write_text(path, content, binary=isinstance(content, bytes))


def _write_text(path, text, binary=False):
    """Write `text` (a str, or an iterable of str pieces; bytes if `binary`) to `path`
    through a temporary file next to it, so a failed save leaves the old file intact. A
    symlink is written through; the file keeps its permissions (a new one gets the usual
    ones)."""
    real, mode = _target(path)
    f, tmp = _temporary(path, real, binary)
    try:
        with f:
            for piece in [text] if isinstance(text, str | bytes) else text:
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
    except BaseException:  # e.g. Ctrl-C while writing: the old file stays, nothing is left
        Path(tmp).unlink(missing_ok=True)
        raise


def _run_doc(config, model, velocity):
    """The settings, weights and momentum of one run, as the file holds them."""
    return {
        "config": config.to_dict(),
        "model": model.to_dict(),
        "velocity": list(velocity) if config.momentum or config.optimizer == "adam" else [],
    }


def _data_doc(data):
    return {
        "source": data.name,
        "x_train": [list(p) for p in data.x_train],
        "y_train": list(data.y_train),
        "x_test": [list(p) for p in data.x_test],
        "y_test": list(data.y_test),
    }


def _write_session(path, doc, history):
    try:
        pieces = [f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in doc.items()]
    except ValueError:
        raise SessionError(
            "cannot save: the weights or losses are not finite numbers (training diverged)"
        ) from None
    history = history if isinstance(history, History) else History(history)
    _write_text(path, _session_text(pieces, history))


def save_session(path, config, model, history=(), velocity=(), data=None):
    """`velocity`: the optimizer's momentum state (Trainer.velocity), kept when momentum > 0;
    `data`: the run's Dataset (Trainer.data), embedded in the file (default: made again from
    the config)."""
    data = data if data is not None else make_dataset(config)
    _write_session(path, _document(config, model, velocity, data), history)


def _document(config, model, velocity, data):
    run = _run_doc(config, model, velocity)
    return {"format": FORMAT, "version": VERSION, "config": run.pop("config"),
            "data": _data_doc(data), **run}  # fmt: skip


@dataclass(frozen=True)
class ComparisonSession:
    """The runs of a saved comparison: one Session per run, all on one Dataset, each with
    its label ("activation=tanh") and short label ("tanh")."""

    sessions: tuple
    labels: tuple
    short_labels: tuple


def save_comparison(path, sessions, labels, short_labels=None):
    """Save the runs of a comparison (Sessions on one Dataset, the first one's) in one file.

    The first run is the file's own session and the others are under "comparison", with
    every run's label: mgdesk without comparisons, and load_session, open the first run."""
    if not sessions or len(labels) != len(sessions):
        raise ValueError("give a label for each run, and at least one run")
    short_labels = list(labels if short_labels is None else short_labels)
    first = sessions[0]
    data = first.data if first.data is not None else make_dataset(first.config)
    doc = _document(first.config, first.model, first.velocity, data)
    doc["comparison"] = {
        "labels": list(labels),
        "short_labels": short_labels,
        "runs": [
            {
                **_run_doc(s.config, s.model, s.velocity),
                "history": (
                    s.history if isinstance(s.history, History) else History(s.history)
                ).to_json(),
            }
            for s in sessions[1:]
        ],
    }
    _write_session(path, doc, first.history)


def _session_text(pieces, history):
    """The file, in pieces: one line per top-level field (easy to read), then the history,
    one column at a time (a million steps are never held twice)."""
    yield "{\n" + ",\n".join(pieces) + ",\n"
    yield f' "history": {{"encoding": {json.dumps(ENCODING)}, "length": {len(history)}, '
    yield '"columns": {'
    for i, (name, text) in enumerate(history.encoded_columns()):
        yield f'{", " if i else ""}\n  {json.dumps(name)}: "{text}"'
    yield "\n }}\n}\n"


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
        text = raw.decode("utf-8-sig")
        del raw  # a long session's text is tens of MB: never hold it twice
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise SessionError(f"{name} is not a mgdesk session (not a text file)") from None
    except json.JSONDecodeError as exc:
        raise SessionError(
            f"{name} is not a mgdesk session (broken JSON at line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:
        if "digits" in str(exc):  # Python's limit on the digits of an int (4,300)
            raise SessionError(f"{name} is not a mgdesk session (a number is too long)") from None
        raise SessionError(f"{name} is not a mgdesk session ({exc})") from None
    except RecursionError as exc:
        raise SessionError(f"{name} is not a mgdesk session ({exc})") from None


def _read_session_document(path):
    """(name, doc, version) of a session file whose format and version this mgdesk reads."""
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
    return name, doc, version


def load_session(path):
    """Read a session saved by save_session; SessionError explains what is wrong. A saved
    comparison loads as its first run (load_comparison reads every run)."""
    return _read_session(path, *_read_session_document(path))


def _read_session(path, name, doc, version):
    config, model, velocity = _read_run(name, doc, version)
    data = _read_data(name, doc.get("data"), config) if version >= 3 else None
    if version < 3 and config.dataset == "csv":
        config = config.replace(csv_path=_old_csv_path(path, name, config.csv_path))
    history = _read_history(name, doc.get("history", []))
    return Session(config, model, history, velocity, data)


def _old_csv_path(path, name, csv_path):
    """Where the CSV of a version-1/2 session (which does not hold its points) is: a
    relative path is taken from the session's folder, wherever mgdesk runs."""
    found = os.path.join(os.path.dirname(path), csv_path)
    if not os.path.exists(found):
        raise SessionError(
            f"{name}: its points are in {csv_path}, next to the session (an older session "
            f"does not hold its points), and {found} is not there"
        )
    return found


def _read_run(name, doc, version=VERSION):
    """(config, model, velocity) of one run: the file's own, or one of a comparison's."""
    # Whatever a crafted file holds (huge numbers, wrong types), only SessionError leaves.
    try:
        config = TrainConfig.from_dict(doc.get("config"))
    except ConfigError as exc:  # named by its key in the file
        raise SessionError(f"{name}: bad settings: {exc.field}: {exc.message}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise SessionError(f"{name}: bad settings: {exc}") from None
    try:
        model = read_model(doc.get("model"))
    except (ValueError, TypeError, OverflowError) as exc:
        raise SessionError(f"{name}: bad model: {exc}") from None
    if model.nin != len(config.input_features):
        raise SessionError(
            f"{name}: the model takes {model.nin} inputs, the settings give it "
            f"{len(config.input_features)} ({', '.join(config.input_features)})"
        )
    if model.nouts != [*config.layers, config.outputs]:
        outputs = "one output" if config.outputs == 1 else f"{config.outputs} outputs"
        raise SessionError(
            f"{name}: the model's layers {model.nouts} do not match the settings "
            f"(hidden layers {list(config.layers)} and {outputs})"
        )
    if model.activations != config.layer_activations():
        raise SessionError(f"{name}: the model's activations do not match the settings")
    if "velocity" not in doc and version >= 3 and _has_state(config):
        raise SessionError(
            f'{name}: the optimizer\'s state ("velocity") is missing: without '
            f"{_state_name(config)} the run cannot go on where it stopped"
        )
    velocity = _read_velocity(name, doc.get("velocity", []), config, len(model.parameters()))
    return config, model, velocity


def _has_state(config):
    """Whether the optimizer of `config` keeps a state between steps (momentum, Adam)."""
    return config.optimizer == "adam" or config.momentum > 0


def _state_name(config):
    return "Adam's moments" if config.optimizer == "adam" else "SGD's momentum"


def restarted_state(session):
    """A one-line note when `session` trained with momentum or Adam but holds no optimizer
    state (a file saved without it): continuing it starts the optimizer afresh. None
    otherwise."""
    if session.velocity or not session.history or not _has_state(session.config):
        return None
    return f"the session holds no optimizer state: {_state_name(session.config)} start afresh"


# What the runs of a comparison share: their points (one Dataset) and their seed.
SHARED_DATA = ("dataset", "samples", "noise", "test_split", "seed", "csv_path")
MAX_COMPARED = 16


def load_comparison(path):
    """Read every run of a session saved by save_comparison; a plain session is a comparison
    of one run (labelled by its settings). SessionError explains what is wrong."""
    from mgdesk.train.runs import describe

    name, doc, version = _read_session_document(path)
    first = _read_session(path, name, doc, version)
    if "comparison" not in doc:
        label = describe(first.config)
        return ComparisonSession((first,), (label,), (label,))
    comparison = doc["comparison"]
    keys = {"labels", "short_labels", "runs"}
    if not isinstance(comparison, dict) or set(comparison) != keys:
        raise SessionError(f"{name}: the comparison must hold labels, short_labels and runs")
    runs = comparison["runs"]
    if not isinstance(runs, list) or not 1 <= len(runs) < MAX_COMPARED:
        raise SessionError(f"{name}: a comparison holds 2 to {MAX_COMPARED} runs")
    labels = _labels(name, comparison["labels"], len(runs) + 1)
    short_labels = _labels(name, comparison["short_labels"], len(runs) + 1)
    data = first.data if first.data is not None else make_dataset(first.config)
    sessions = [dataclasses.replace(first, data=data)]
    for number, run in enumerate(runs, start=2):
        where = f"{name}: run {number}"
        if not isinstance(run, dict):
            raise SessionError(f"{where} must be a mapping of settings, model and history")
        config, model, velocity = _read_run(where, run)
        for key in SHARED_DATA:
            if getattr(config, key) != getattr(first.config, key):
                raise SessionError(f"{where}: the runs of a comparison share their {key}")
        try:
            config.check_work(len(data.x_train) + len(data.x_test))
        except ConfigError as exc:
            raise SessionError(f"{where}: bad settings: {exc.field}: {exc.message}") from None
        history = _read_history(where, run.get("history", []))
        sessions.append(Session(config, model, history, velocity, data))
    return ComparisonSession(tuple(sessions), labels, short_labels)


def _labels(name, labels, count):
    if not isinstance(labels, list) or len(labels) != count:
        raise SessionError(f"{name}: the comparison needs a label for each of its {count} runs")
    if not all(isinstance(label, str) and 0 < len(label) <= 300 for label in labels):
        raise SessionError(f"{name}: a run's label must be a short text")
    return tuple(labels)


def _points(name, what, value, pairs, classes=None):
    """The points ([x1, x2] pairs) or labels of a data part, checked: labels -1 or 1, or
    with `classes` K, the classes 0..K-1, or with "real" (regression) finite numbers."""
    if not isinstance(value, list) or len(value) > MAX_SAMPLES:
        raise SessionError(f"{name}: the data's {what} must be a list of at most {MAX_SAMPLES:,}")
    try:
        if pairs:
            if not all(isinstance(p, list) and len(p) == 2 for p in value):
                raise TypeError
            points = tuple((float(a), float(b)) for a, b in value)
            if not all(math.isfinite(v) for p in points for v in p) or any(
                isinstance(v, bool) for p in value for v in p
            ):
                raise TypeError
            return points
        if classes == "real":  # regression: any finite number
            labels = tuple(float(v) for v in value)
            if any(isinstance(v, bool) for v in value) or not all(map(math.isfinite, labels)):
                raise TypeError
            return labels
        allowed = (-1, 1) if classes is None else range(classes)
        if not all(not isinstance(v, bool) and v in allowed for v in value):
            raise TypeError
        return tuple(float(v) for v in value)
    except (TypeError, ValueError, OverflowError):
        labels = {None: "labels -1 or 1", "real": "finite numbers as targets"}.get(
            classes, f"classes 0 to {classes - 1}" if isinstance(classes, int) else ""
        )
        kind = "[x1, x2] pairs of finite numbers" if pairs else labels
        raise SessionError(f"{name}: the data's {what} must hold {kind}") from None


def _read_data(name, doc, config):
    """The points a version-3 session embeds, checked against its settings."""
    if not isinstance(doc, dict) or set(doc) != {"source", *DATA_PARTS}:
        raise SessionError(f"{name}: the data must hold source, {', '.join(DATA_PARTS)}")
    source = doc["source"]
    if not isinstance(source, str) or not source or len(source) > 300:
        raise SessionError(f"{name}: the data's source must be a name")
    classes = config.classes if config.loss == "ce" else None
    if config.task == "regression":
        classes = "real"
    x_train, y_train, x_test, y_test = (
        _points(name, part, doc[part], part.startswith("x"), classes) for part in DATA_PARTS
    )
    if config.task == "regression":  # a curve y over x: the points are (x, 0)
        for part, points in (("x_train", x_train), ("x_test", x_test)):
            if any(x2 != 0 for _, x2 in points):
                raise SessionError(
                    f"{name}: the data's {part} must hold [x, 0] for a regression curve"
                )
    if len(x_train) != len(y_train) or len(x_test) != len(y_test) or len(x_train) < 1:
        raise SessionError(f"{name}: the data needs as many labels as points, and a point")
    n = len(x_train) + len(x_test)
    if config.dataset not in ("csv", "drawn") and (source != config.dataset or n != config.samples):
        raise SessionError(
            f"{name}: the data ({n} {source} points) does not match the settings "
            f"({config.samples} {config.dataset} points)"
        )
    try:
        config.check_work(n)
    except ConfigError as exc:
        raise SessionError(f"{name}: bad settings: {exc.field}: {exc.message}") from None
    return Dataset(source, x_train, y_train, x_test, y_test)


def _read_velocity(name, velocity, config, n_weights):
    n_params = state_size(config.optimizer, n_weights)
    if velocity == []:
        return ()
    if not isinstance(velocity, list) or len(velocity) != n_params:
        raise SessionError(
            f"{name}: the velocity must be a list of {n_params} numbers (the optimizer's state: "
            "one per parameter for SGD, two per parameter and the step count for Adam)"
        )
    try:
        if any(isinstance(v, bool) or not math.isfinite(v) for v in velocity):
            raise TypeError
    except (TypeError, OverflowError):  # not a number, or an int too big for a float
        raise SessionError(f"{name}: the velocity must hold finite numbers") from None
    velocity = tuple(map(float, velocity))
    problem = config.optimizer == "adam" and adam_state_problem(velocity, MAX_STEPS)
    if problem:
        raise SessionError(f"{name}: {problem}")
    return velocity


def _read_history(name, entries):
    if isinstance(entries, dict):  # version 3: columns
        try:
            history = History.from_json(entries, MAX_STEPS)
        except ValueError as exc:
            raise SessionError(f"{name}: {exc}") from None
    elif not isinstance(entries, list):
        raise SessionError(f"{name}: the history must be a list of steps")
    else:
        history = History()
        for index, entry in enumerate(entries, start=1):
            try:
                history.append(read_step(entry))
            except (ValueError, TypeError, OverflowError) as exc:
                raise SessionError(f"{name}: history entry {index}: {exc}") from None
    steps = history.column("step")
    for index, (before, step) in enumerate(itertools.pairwise(steps), start=2):
        if step <= before:  # a session continues after its last step: the steps must rise
            raise SessionError(
                f"{name}: history entry {index} is step {step} after step {before}: "
                "the steps must increase"
            )
    return history


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

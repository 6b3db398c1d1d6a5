"""What the commands share: the settings as options, one-line errors, a guarded stdout.

Each option of a TrainConfig setting takes its help and its range from the field's metadata
(TrainConfig's `setting(...)`), so --help, the error messages and the window say the same.
"""

import argparse
import dataclasses
import math

from mgdesk.io import error_line, file_name_argument, silence
from mgdesk.train import ConfigError, TrainConfig, parse_layers
from mgdesk.train.config import REGRESSION_DATASETS

__all__ = [
    "CONFIG_OPTIONS",
    "GuardedOutput",
    "OutputError",
    "Parser",
    "add_config_arguments",
    "add_run_arguments",
    "check_kept_classes",
    "check_momentum",
    "config_changes",
    "count",
    "error",
    "final_figures",
    "finite_or_none",
    "infer_task",
    "flag",
    "keep_printing",
    "note",
    "number_in",
]

CONFIG_OPTIONS = (
    "dataset task samples noise classes features test_split seed layers activation loss l2 lr "
    "lr_decay optimizer momentum batch_size steps"
).split()


def flag(field):
    """The option of a TrainConfig field: --lr, --batch-size, --csv."""
    return "--csv" if field == "csv_path" else "--" + field.replace("_", "-")


def _shown_default(value):
    if isinstance(value, list | tuple):
        return ",".join(map(str, value)) or '""'
    return f"{value:g}" if isinstance(value, float) else str(value)


# What argparse shows beyond TrainConfig's own metadata (label, help, range, choices).
METAVARS = {
    "samples": "N", "test_split": "F", "l2": "ALPHA", "batch_size": "N", "features": "x1,x2,...",
    "classes": "K",
}  # fmt: skip
HELP_NOTES = {"steps": "; with --load: more", "lr": "; regression: 0.05"}
# A new regression run's learning rate when --lr is not given: the default 1 (micrograd's
# demo, for classes) sends every 1-D curve's mse to inf within 5 steps; 0.05 fits them all.
REGRESSION_LR = 0.05


def add_config_arguments(parser, exclude=(), defaults=None):
    """The TrainConfig options; each defaults to None so a loaded session's value stays.
    `defaults`: the command's own defaults where they differ from TrainConfig's (shown in
    the help in parentheses). Each option's help and range are its field's metadata."""
    shown = {
        k: _shown_default(v) for k, v in {**TrainConfig().to_dict(), **(defaults or {})}.items()
    }
    for f in dataclasses.fields(TrainConfig):
        if f.name not in CONFIG_OPTIONS or f.name in exclude:
            continue
        meta, kind = f.metadata, {}
        if f.type in (int, float):
            kind["type"] = f.type
        if f.type is str and meta["choices"]:  # one name (an activation may be a list)
            kind["choices"] = tuple(c for c in meta["choices"] if c != "csv")  # csv: --csv
        help_text = meta["help"] + (f", {meta['limits'].text()}" if meta["limits"] else "")
        kind["help"] = f"{help_text} ({shown[f.name]}){HELP_NOTES.get(f.name, '')}"
        parser.add_argument(flag(f.name), dest=f.name, metavar=METAVARS.get(f.name), **kind)


def add_run_arguments(parser, json_help, quiet_help, save_help):
    """What every training command takes: the TrainConfig options, --csv, --json, --quiet
    and --save (each command says what its --json, --quiet and --save do)."""
    add_config_arguments(parser)
    parser.add_argument(
        "--csv", type=file_name_argument, metavar="FILE", help="train on x1,x2,label rows from FILE"
    )
    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument("--quiet", action="store_true", help=quiet_help)
    parser.add_argument("--save", type=file_name_argument, metavar="FILE", help=save_help)


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is reported in one line instead of the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def count(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1 (got {text})")
    return value


def number_in(low, high):
    """An argparse type: a number above `low` and at most `high`."""

    def number(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low < value <= high:  # NaN is never inside
            raise argparse.ArgumentTypeError(
                f"must be a number above {low:g} and at most {high:g} (got {text})"
            )
        return value

    return number


def config_changes(args):
    changes = {f: getattr(args, f) for f in CONFIG_OPTIONS if getattr(args, f, None) is not None}
    if getattr(args, "csv", None):
        for field in ("dataset", "samples", "noise"):  # --classes goes with --csv
            if field in changes:
                raise ConfigError(field, "does not go with --csv: the file brings its own points")
        changes.update(dataset="csv", csv_path=args.csv)
    if "layers" in changes:
        changes["layers"] = parse_layers(changes["layers"])
    if "activation" in changes:
        names = tuple(n.strip() for n in changes["activation"].split(","))
        changes["activation"] = names[0] if len(names) == 1 else names
    infer_task(changes)
    if changes.get("task") == "regression" and not getattr(args, "load", None):
        changes.setdefault("lr", REGRESSION_LR)  # lr 1 (micrograd's demo) diverges at once
    return changes


def infer_task(changes):
    """Regression from either end: --task regression alone fits sine with mse, and a
    regression dataset alone (--dataset cubic) sets the task and mse. Options given stay."""
    if changes.get("task") == "regression" or (
        "task" not in changes and changes.get("dataset") in REGRESSION_DATASETS
    ):
        changes.setdefault("task", "regression")
        changes.setdefault("dataset", REGRESSION_DATASETS[0])
        changes.setdefault("loss", "mse")
    return changes


class OutputError(Exception):
    """Writing to stdout failed (e.g. a full disk): str() is the reason."""


class GuardedOutput:
    """stdout, where a failed write (a closed pipe, a full disk) is kept in `lost` and
    raised: a BrokenPipeError, or an OutputError that ends in one line on stderr, not a
    traceback. Once lost, writes are dropped: a command that catches the error (training
    with files to save) goes on quietly, and main reports the loss at the end (exit 141
    for a closed pipe, 1 with a line on stderr otherwise)."""

    def __init__(self, stream):
        self._stream = stream
        self.lost = None

    def _guard(self, method, *args):
        if self.lost is not None:
            return None
        try:
            return method(*args)
        except BrokenPipeError as exc:
            self.lost = exc
        except OSError as exc:
            self.lost = OutputError(exc.strerror or str(exc))
        silence(self._stream)
        raise self.lost

    def write(self, text):
        return self._guard(self._stream.write, text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        return self._guard(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def keep_printing(print_lines, files):
    """Call `print_lines()`; when stdout is lost, go on without it if there are `files` to
    write at the end (`mgdesk train --save s.json | head -1` still saves), else stop."""
    try:
        print_lines()
    except (BrokenPipeError, OutputError):
        if not files:
            raise


def error(command, message):
    """One line on stderr (nowhere when stderr is closed, e.g. `2>&-`); control characters
    from file names or contents are shown escaped, never sent to the terminal."""
    error_line(command, message)


def note(command, message):
    """A one-line note on stderr: something the user should know, not an error."""
    error_line(command, message, "note")


def check_kept_classes(saved, changes):
    """ConfigError (--classes) when `changes` give a loaded session other classes: its
    network has one output per class (ce), and its points their labels."""
    classes = changes.get("classes")
    if classes is None or classes == saved.classes:
        return
    if saved.task == "regression":
        raise ConfigError("classes", f"{saved.dataset} is a regression dataset (no classes)")
    raise ConfigError(
        "classes",
        f"a loaded session keeps its {saved.classes} classes (got {classes}): start a new run "
        "to change them",
    )


def check_momentum(config, given, field="momentum"):
    """ConfigError (named `field`) when a momentum the user gave would do nothing: Adam
    has none to set."""
    if given and config.optimizer == "adam" and config.momentum > 0:
        what = "is SGD's" if field == "momentum" else "momentum is SGD's"
        raise ConfigError(
            field,
            f"{what}: adam has no momentum setting (its beta1 is 0.9): drop it, or use "
            "--optimizer sgd",
        )


def finite_or_none(d):
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in d.items()}


def final_figures(trainer):
    """The figures of the trainer's current weights on the whole train and test sets, JSON
    ready: None for a value that is not finite, and for an accuracy whose loss is not (the
    scores it would count are not numbers)."""
    figures = finite_or_none(trainer.evaluate())
    for part in ("train", "test"):
        if figures[f"{part}_loss"] is None:
            figures[f"{part}_acc"] = None
    return figures

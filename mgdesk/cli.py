"""Command line: no sub-command opens the window; train / compare / graph / gradcheck run
headless.

Exit codes: 0 done, 1 training failed, a check is above its tolerance or a file could not be
written after the run, 2 bad arguments (one line on stderr, no traceback), 130 interrupted
with Ctrl-C, 141 stdout was closed (e.g. `mgdesk train --json | head -1`).

A closed or full stdout or stderr never loses a run: the progress bar goes quiet, and a run
with files to write (--save, --history FILE, --export) trains to the end and writes them
before exiting 141 (1 for a full stdout); a run with nothing to save stops at once.
"""

import argparse
import contextlib
import dataclasses
import json
import math
import random
import signal
import sys
import threading
import time

from mgdesk import __version__
from mgdesk.check.command import add_check_engine_parser
from mgdesk.engine import MLP
from mgdesk.io import (
    SessionError,
    check_outputs,
    error_line,
    export_script,
    file_name_argument,
    history_csv,
    load_session,
    save_session,
    session_inputs,
    silence,
    write_history_csv,
)
from mgdesk.io.torch_export import add_export_torch_parser
from mgdesk.train import (
    ConfigError,
    TrainConfig,
    Trainer,
    make_dataset,
    new_model,
    parse_layers,
    train,
)
from mgdesk.train.config import DATASETS, LOSS_NAMES, MAX_STEPS, InspectConfig
from mgdesk.viz.gradcheck import EXACT_TOLERANCE, check_network, rounding_noise

CONFIG_OPTIONS = (
    "dataset samples noise test_split seed layers activation loss l2 lr lr_decay momentum "
    "batch_size steps"
).split()


def _flag(field):
    return "--csv" if field == "csv_path" else "--" + field.replace("_", "-")


def _shown_default(value):
    if isinstance(value, list | tuple):
        return ",".join(map(str, value)) or '""'
    return f"{value:g}" if isinstance(value, float) else str(value)


def add_config_arguments(parser, exclude=(), defaults=None):
    """The TrainConfig options; each defaults to None so a loaded session's value stays.
    `defaults`: the command's own defaults where they differ from TrainConfig's (shown in
    the help in parentheses)."""
    shown = {
        k: _shown_default(v) for k, v in {**TrainConfig().to_dict(), **(defaults or {})}.items()
    }
    kinds = {
        "dataset": dict(choices=DATASETS[:-1], help="toy dataset ({dataset})"),
        "samples": dict(type=int, metavar="N", help="points to generate, 2-10000 ({samples})"),
        "noise": dict(type=float, help="gaussian jitter of the points, 0-1 ({noise})"),
        "test_split": dict(
            type=float, metavar="F", help="share held out, 0 <= F < 1 ({test_split})"
        ),
        "seed": dict(type=int, help="seeds data, initial weights and minibatches ({seed})"),
        "layers": dict(help='hidden layer sizes, e.g. "16,16"; "" for none ({layers})'),
        "activation": dict(help="relu, tanh or linear, or one per hidden layer ({activation})"),
        "loss": dict(choices=LOSS_NAMES, help="hinge (micrograd's), mse or bce ({loss})"),
        "l2": dict(type=float, metavar="ALPHA", help="L2 penalty alpha*sum(p*p), 0-1 ({l2})"),
        "lr": dict(type=float, help="learning rate, above 0, at most 1e6 ({lr})"),
        "lr_decay": dict(
            choices=("none", "linear"), help="linear: lr*(1-0.9*k/steps) ({lr_decay})"
        ),
        "momentum": dict(type=float, help="SGD momentum, 0 <= m < 1 ({momentum})"),
        "batch_size": dict(
            type=int, metavar="N", help="minibatch size, 0 = full batch ({batch_size})"
        ),
        "steps": dict(type=int, help="updates to make, 1-1000000 ({steps}); with --load: more"),
    }
    for field, kind in kinds.items():
        if field not in exclude:
            kind["help"] = kind["help"].format(**shown)
            parser.add_argument(_flag(field), dest=field, **kind)


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


def _count(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1 (got {text})")
    return value


def _number_in(low, high):
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


def build_parser(with_graph=False):
    parser = Parser(
        prog="mgdesk",
        description="See backpropagation: a micrograd-style playground. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"mgdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")

    train = sub.add_parser("train", help="train a network without the window")
    add_run_arguments(
        train, "one JSON object per step on stdout", "no progress bar on stderr",
        "save the session (JSON) at the end",
    )  # fmt: skip
    train.add_argument(
        "--load",
        type=file_name_argument,
        metavar="FILE",
        help="continue a saved session: --steps N trains N more steps; without --steps it "
        "finishes the saved run if it stopped early, else trains as many steps again as the "
        "first run had (3 loads of a 10-step run: 40 steps). The learning-rate decay goes on "
        "where it was; the data and network options must stay as saved",
    )
    train.add_argument(
        "--history",
        type=file_name_argument,
        metavar="FILE",
        help="write the loss history as CSV (- : to stdout, the summary going to stderr)",
    )
    train.add_argument(
        "--export", type=file_name_argument, metavar="FILE", help="write a script that reruns this"
    )
    train.add_argument(
        "--engine", choices=("fast", "value"), default="fast", help="value: the plain graph"
    )
    train.set_defaults(run=run_train)

    from mgdesk.compare_command import add_compare_parser  # it builds on this module

    add_compare_parser(sub)

    check = sub.add_parser("gradcheck", help="check gradients against finite differences")
    add_config_arguments(
        check,
        exclude=("test_split", "lr", "lr_decay", "momentum", "batch_size", "steps"),
        defaults=GRADCHECK_DEFAULTS,
    )
    check.add_argument(
        "--eps",
        type=_number_in(*EPS_RANGE),
        default=1e-5,
        help=f"finite-difference step, above {EPS_RANGE[0]:g}, at most {EPS_RANGE[1]:g} (1e-5)",
    )
    check.add_argument(
        "--tolerance",
        type=_number_in(0, 1),
        default=1e-4,
        help="largest relative error allowed, at most 1, and no less than finite differences "
        "can resolve at --eps (about 1e-10 at 1e-5) (1e-4)",
    )
    check.add_argument(
        "--samples-checked",
        type=_count,
        default=SAMPLES_CHECKED,
        metavar="N",
        help=f"check the loss over at most N of the points, a seeded choice ({SAMPLES_CHECKED})",
    )
    check.add_argument(
        "--params-checked",
        type=_count,
        default=PARAMS_CHECKED,
        metavar="N",
        help="finite differences for at most N parameters, a seeded choice "
        f"({PARAMS_CHECKED}; fewer for big networks, so a check takes seconds)",
    )
    check.set_defaults(run=run_gradcheck, **GRADCHECK_DEFAULTS)
    add_export_torch_parser(sub)  # each sets its own run=
    add_check_engine_parser(sub)

    if with_graph:  # imported only when asked for, so nothing else depends on it
        from mgdesk.viz.command import add_graph_parser, run_graph

        add_graph_parser(sub)
        sub.choices["graph"].set_defaults(run=run_graph)
    else:
        sub.add_parser("graph", help="draw one sample's computational graph as SVG")
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        return _open_window(argv)
    if argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        example = " ".join(["mgdesk train", *argv])
        print(f"mgdesk: error: options go after a command, e.g. {example}", file=sys.stderr)
        return 2
    try:
        parser = build_parser(with_graph=argv[0] == "graph")
    except ImportError as exc:
        print(f"mgdesk graph: the graph command is not available ({exc})", file=sys.stderr)
        return 1
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage line and the problem
        return exc.code
    if args.command is None:
        return _open_window([])
    stdout = sys.stdout
    guard = sys.stdout = GuardedOutput(stdout)
    try:
        code = args.run(args)
        guard.flush()  # now, so that a full disk is reported here, not at exit
        if guard.lost is None:
            return code
        raise guard.lost
    except OutputError as exc:
        _error(args.command, f"cannot write the output ({exc})")
        silence(stdout)
        return 1
    except ConfigError as exc:
        _error(args.command, f"{_flag(exc.field)}: {exc.message}")
    except SessionError as exc:
        _error(args.command, str(exc))
    except KeyboardInterrupt:
        _error(args.command, "interrupted")
        return 130
    except BrokenPipeError:  # the reader went away, e.g. `mgdesk train --json | head -1`
        silence(stdout)
        return 141
    finally:
        sys.stdout = stdout
    return 2


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


def output_lost():
    """Did writing to stdout fail (see GuardedOutput)? False outside main()."""
    return getattr(sys.stdout, "lost", None) is not None


def keep_printing(print_lines, files):
    """Call `print_lines()`; when stdout is lost, go on without it if there are `files` to
    write at the end (`mgdesk train --save s.json | head -1` still saves), else stop."""
    try:
        print_lines()
    except (BrokenPipeError, OutputError):
        if not files:
            raise


def _open_window(argv):
    try:
        from mgdesk.gui.app import run
    except ImportError as exc:
        print(f"mgdesk: cannot open the window ({exc})", file=sys.stderr)
        return 1
    return run(argv)


def _error(command, message):
    """One line on stderr (nowhere when stderr is closed, e.g. `2>&-`); control characters
    from file names or contents are shown escaped, never sent to the terminal."""
    error_line(command, message)


# ---- mgdesk train ----


def _config_changes(args):
    changes = {f: getattr(args, f) for f in CONFIG_OPTIONS if getattr(args, f, None) is not None}
    if getattr(args, "csv", None):
        for field in ("dataset", "samples", "noise"):
            if field in changes:
                raise ConfigError(field, "does not go with --csv: the file brings its own points")
        changes.update(dataset="csv", csv_path=args.csv)
    if "layers" in changes:
        changes["layers"] = parse_layers(changes["layers"])
    if "activation" in changes:
        names = tuple(n.strip() for n in changes["activation"].split(","))
        changes["activation"] = names[0] if len(names) == 1 else names
    return changes


# What --load keeps: a continued run trains the same network on the same points.
KEPT_ON_LOAD = ("csv_path", "dataset", "samples", "noise", "test_split", "seed")
KEPT_NETWORK = ("layers", "activation")


def _setup(args):
    """(config, session) from the options, or from --load plus the options (session: the
    loaded Session, or None)."""
    changes = _config_changes(args)
    if not args.load:
        return TrainConfig(**changes), None
    session = load_session(args.load)
    saved = session.config
    done = session.history[-1].step if session.history else 0
    first_run = saved.decay_steps or saved.steps  # the length of the run that was started
    room = MAX_STEPS - done
    if room < 1:
        raise ConfigError(
            "load", f"the session has {done:,} steps, the limit: it cannot be trained further"
        )
    if "steps" in changes:
        more = changes.pop("steps")
        if more < 1:
            raise ConfigError(
                "steps", f"with --load, the steps to add must be at least 1 (got {more})"
            )
        if more > room:
            raise ConfigError(
                "steps",
                f"the session is at step {done:,}: at most {room:,} more fit under the limit "
                f"of {MAX_STEPS:,} steps (got {more:,})",
            )
    else:  # finish the saved run, else run its length again, as far as the limit allows
        more = min(room, saved.steps - done if done < saved.steps else first_run)
    # The decay keeps the first run's length: a continued run goes on at the rate it reached.
    config = saved.replace(**changes, steps=done + more, decay_steps=first_run)
    for field in KEPT_ON_LOAD + KEPT_NETWORK:
        value, before = getattr(config, field), getattr(saved, field)
        if field == "activation":
            value, before = config.layer_activations(), saved.layer_activations()
        if field == "csv_path" and before is None:
            before = f"{saved.samples} {saved.dataset} points, no CSV"
        if field in changes and value != before:
            raise ConfigError(
                field,
                "a loaded network keeps its layers and activations"
                if field in KEPT_NETWORK
                else f"a loaded session keeps its data (saved: {before}): start a new run "
                "to change it",
            )
    return config, session


@contextlib.contextmanager
def _ctrl_c_stops(stop):
    """While training: the first Ctrl-C sets `stop`, so training ends between two steps and
    whatever is saved is a whole step; a second one raises KeyboardInterrupt at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return

    def on_ctrl_c(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr closed or full
            print("\nstopping after this step (Ctrl-C again to abort)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_steps(make_steps, report):
    """Call `report` with each item of `make_steps(stop)` (a training generator that checks
    the threading.Event `stop` between steps), Ctrl-C stopping it between two steps.
    Returns "done", "interrupted" (stopped between steps) or "aborted" (a second Ctrl-C:
    a network may be half-updated)."""
    stop = threading.Event()
    try:
        with _ctrl_c_stops(stop):
            for item in make_steps(stop):
                report(item)
    except KeyboardInterrupt:
        return "aborted"
    return "interrupted" if stop.is_set() else "done"


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% elsewhere.
    A bar that cannot be written (stderr a closed pipe or a full disk) goes quiet: the run
    goes on, and its files are saved."""

    def __init__(self, total, stream, enabled=True):
        enabled = enabled and stream is not None  # stderr closed: no bar
        self.total, self.stream, self.enabled = total, stream, enabled
        self.tty = enabled and stream.isatty()
        self.last_draw = 0.0
        self.drawn = False

    def update(self, stats):
        if not self.enabled:
            return
        now = time.monotonic()
        last = stats.step == self.total
        if self.tty and (now - self.last_draw > 0.1 or last):
            self.write("\r" + self.line(stats))
            self.last_draw, self.drawn = now, True
        elif not self.tty and (last or stats.step % max(1, self.total // 10) == 0):
            self.write(self.line(stats) + "\n")

    def write(self, text):
        """Write and flush `text`; on a failure, stop drawing for good."""
        if not self.enabled:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # ValueError: the stream was closed
            self.enabled = False
            silence(self.stream)

    def line(self, stats):
        filled = round(24 * stats.step / self.total)
        text = f"[{'#' * filled}{'.' * (24 - filled)}] {stats.step}/{self.total}"
        text += f"  loss {stats.train_loss:.4g}  acc {stats.train_acc:6.1%}"
        if stats.test_acc is not None:
            text += f"  test {stats.test_acc:6.1%}"
        return text + f"  {stats.ms_per_step:.1f} ms/step"

    def close(self):
        if self.tty and self.drawn:
            self.write("\n")


def _finite_or_none(d):
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in d.items()}


def _outputs(args, session=None):
    """(flag, path) of each file to write, checked now, before any training: each can be
    written, and none is an input or another output (only --save may replace --load's
    session: that continues it in place). `--history -` is stdout."""
    inputs = [(flag, getattr(args, flag[2:])) for flag in ("--csv", "--load")]
    outputs = [(flag, getattr(args, flag[2:])) for flag in ("--save", "--history", "--export")]
    return check_outputs(
        inputs + session_inputs("--load", session),
        outputs,
        to_stdout=("--history",),
        stdout_taken="--json" if args.json else "",
        may_replace={("--save", "--load")},
    )


def run_train(args):
    config, session = _setup(args)
    outputs = _outputs(args, session)
    files = [path for _, path in outputs if path != "-"]
    model, history, velocity, data = None, (), None, None
    if session is not None:  # train a copy: `session` stays what was loaded, for --export
        model = MLP.from_dict(session.model.to_dict())
        history, velocity, data = session.history, session.velocity, session.data
    trainer = Trainer(
        config, model, data=data, history=history, engine=args.engine, velocity=velocity
    )
    if session is not None:  # --export needs its last step only: free the loaded history
        session = dataclasses.replace(session, history=session.history[-1:])
        history = None
    progress = Progress(config.steps, sys.stderr, enabled=not args.quiet)
    first_step = trainer.step

    def report(stats):
        if args.json:
            keep_printing(
                lambda: print(json.dumps({**stats.to_dict(), "final": False}), flush=True), files
            )
        progress.update(stats)

    status = run_steps(lambda stop: train(config, stop, trainer=trainer), report)
    progress.close()
    failure = trainer.failure
    if failure:
        status = "failed"
        _error("train", f"{failure.reason}: {failure.hint}")
    run = trainer.history[first_step:]
    final = {
        "step": trainer.step,
        **_finite_or_none(trainer.evaluate()),
        "ms_per_step": sum(s.ms_per_step for s in run) / len(run) if run else None,
        "elapsed": trainer.history[-1].elapsed if trainer.history else 0.0,
    }
    failed = {"reason": failure.reason, "hint": failure.hint} if failure else None
    if args.json:
        line = json.dumps({**final, "final": True, "status": status, "failure": failed})
        keep_printing(lambda: print(line), files)
    elif args.history != "-":  # else stdout is the history's, and the summary goes to stderr
        keep_printing(lambda: print(_summary(final, trainer)), files)
    else:
        with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr closed or full
            print(_summary(final, trainer), file=sys.stderr)
    writers = {
        "--history": lambda path: (
            keep_printing(lambda: sys.stdout.writelines(history_csv(trainer.history)), files)
            if path == "-"
            else write_history_csv(path, trainer.history)
        ),
        "--save": lambda path: save_session(
            path, config, trainer.model, trainer.history, trainer.velocity, trainer.data
        ),
        "--export": lambda path: export_script(path, config, trainer.model, trainer.data, session),
    }
    code = {"done": 0, "interrupted": 130, "aborted": 130, "failed": 1}[status]
    for flag, path in outputs:
        if flag != "--history" and (failure or status == "aborted"):
            why = "the run diverged" if failure else "a second Ctrl-C stopped it inside a step"
            _error("train", f"{flag}: {path} not written: {why}")
            continue  # a diverged or half-updated network is not worth keeping
        try:
            writers[flag](path)
        except SessionError as exc:  # one failed file does not stop the others
            _error("train", f"{flag}: {exc}")
            code = code or 1  # the arguments were fine: writing failed after the run
    return code


def _summary(final, trainer):
    if final["train_loss"] is None:
        if all(math.isfinite(p.data) for p in trainer.model.parameters()):
            return f"step {final['step']}: the loss is no longer a finite number (it overflowed)"
        return f"step {final['step']}: the weights are no longer finite numbers"
    text = f"step {final['step']}: train loss {final['train_loss']:.4g}, "
    text += f"train accuracy {final['train_acc']:.1%}"
    if final["test_acc"] is not None:
        text += f", test loss {final['test_loss']:.4g}, test accuracy {final['test_acc']:.1%}"
    if final["ms_per_step"] is not None:
        text += f" ({final['elapsed']:.2f} s of training, {final['ms_per_step']:.1f} ms/step)"
    return text


# ---- mgdesk gradcheck ----

SAMPLES_CHECKED = 20
PARAMS_CHECKED = 300
GRADCHECK_DEFAULTS = {"samples": 8, "layers": "4,4", "activation": "tanh"}
# A central difference below 1e-10 is all rounding. Its own error grows as eps**2 (times the
# third derivative): at 1e-2 it is already above the default tolerance on correct gradients.
EPS_RANGE = (1e-10, 1e-3)
# Finite differences cannot tell apart gradients closer than their rounding noise,
# rounding_noise(loss, eps): relative to a loss and gradients of about 1, at least this.
ROUNDING_LOSS = 1.0
# Bounds that keep every check to a few seconds, in multiply-adds: the Value graph (points
# checked x weights, ~1 s) and the nudged float passes (parameters checked x weights x
# (points + 2), ~2 s). Bigger networks are refused: their Value graph alone takes long.
VALUE_BUDGET = 150_000
NUDGE_BUDGET = 30_000_000
MAX_CHECK_WEIGHTS = 70_000


def run_gradcheck(args):
    # gradcheck never trains on the whole dataset: the training work limit does not apply,
    # its own bounds below do
    resolved = rounding_noise(ROUNDING_LOSS, args.eps)
    if args.tolerance < resolved:
        raise ConfigError(
            "tolerance",
            f"at --eps {args.eps:g}, finite differences cannot resolve a relative error below "
            f"{resolved:.1e} (rounding): give {resolved:.1e} to 1, or a larger --eps",
        )
    config = InspectConfig(**_config_changes(args), test_split=0)
    model = new_model(config)
    params = model.parameters()
    if len(params) > MAX_CHECK_WEIGHTS:
        raise ConfigError(
            "layers",
            f"gradcheck takes networks of up to {MAX_CHECK_WEIGHTS:,} weights (got "
            f"{len(params):,}): its Value graph would take too long",
        )
    data = make_dataset(config)
    rng = random.Random(config.seed)
    n_points = min(args.samples_checked, len(data.x_train), max(1, VALUE_BUDGET // len(params)))
    picked = sorted(rng.sample(range(len(data.x_train)), n_points))
    X, Y = [data.x_train[i] for i in picked], [data.y_train[i] for i in picked]
    n_nudged = max(1, NUDGE_BUDGET // (len(params) * (n_points + 2)))
    n_nudged = min(args.params_checked, len(params), n_nudged)
    nudged = sorted(rng.sample(range(len(params)), n_nudged))
    report = check_network(
        model, X, Y, config.loss, config.l2, args.eps, args.tolerance, checked=nudged
    )
    checks = [
        (f"finite differences (eps {args.eps:g})", report.fd_error, args.tolerance),
        ("fast path vs Value graph", report.fast_error, EXACT_TOLERANCE),
        ("PyTorch float64", report.torch_error, EXACT_TOLERANCE if report.torch_used else None),
    ]
    hidden = ",".join(map(str, config.layers)) or "none"
    print(
        f"gradcheck: hidden layers {hidden} ({'/'.join(config.layer_activations()[:-1]) or '-'})"
        f", {config.loss} loss + L2 {config.l2:g} over {n_points} of {len(data.x_train)} "
        f"{config.dataset} points (seed {config.seed}), {len(params):,} parameters"
    )
    for name, error, limit in checks:
        if limit is None:
            print(f"  {name:<31} not installed, skipped (pip install torch==2.13.0)")
            continue
        if error is None:
            print(f"  {name:<31} every checked parameter was skipped (see below)  FAILED")
            continue
        verdict = "ok" if error <= limit else "ABOVE THE LIMIT"  # NaN is not <= anything
        print(f"  {name:<31} max relative error {error:.1e}  limit {limit:.0e}  {verdict}")
    if n_nudged < len(params):
        print(
            f"  finite differences checked {n_nudged:,} of {len(params):,} parameters, a "
            "seeded random choice (the other checks cover all of them)"
        )
    if report.noise > 1e-8:
        print(
            f"  finite differences within {report.noise:.1e}, their rounding noise at loss "
            f"{report.loss:.3g} and eps {args.eps:g}, were not counted (a larger --eps "
            "lowers it)"
        )
    if report.fd_error is not None and not report.fd_error <= args.tolerance and args.eps > 1e-4:
        print(
            f"  at eps {args.eps:g}, central differences are themselves off by about eps² "
            "times the third derivative: try a smaller --eps (1e-5) before doubting the "
            "gradients"
        )
    if report.skipped:
        print(
            f"  {len(report.skipped)} parameters skipped by finite differences: a ReLU input "
            f"is at its kink (0), where the derivative is undefined, and a nudge of "
            f"±{args.eps:g} crossed it"
        )
    print("OK" if report.ok else "FAILED")
    return 0 if report.ok else 1

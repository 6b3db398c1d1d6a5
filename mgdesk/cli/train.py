"""`mgdesk train`: train a network without the window, with a progress bar, and save it."""

import contextlib
import dataclasses
import json
import math
import signal
import sys
import threading
import time

from mgdesk.cli.common import (
    add_run_arguments,
    check_kept_classes,
    check_momentum,
    config_changes,
    error,
    final_figures,
    keep_printing,
    note,
)
from mgdesk.engine import MLP
from mgdesk.io import (
    SessionError,
    check_outputs,
    export_script,
    file_name_argument,
    history_csv,
    load_session,
    restarted_state,
    save_session,
    script_refusal,
    session_inputs,
    silence,
    write_history_csv,
)
from mgdesk.train import ConfigError, TrainConfig, Trainer
from mgdesk.train.config import MAX_STEPS
from mgdesk.train.data import file_name

__all__ = ["Progress", "add_train_parser", "r2_text", "run_outputs", "run_steps", "run_train"]

# What --json and --history say of their figures (the keys stay the same for every task).
FIGURES_NOTE = "train_acc, test_acc: accuracy, or R² for regression (null where undefined)"


def add_train_parser(sub):
    """`mgdesk train` and its options (the settings, --load, --history, --export, --engine)."""
    p = sub.add_parser("train", help="train a network without the window")
    add_run_arguments(
        p, "one JSON object per step on stdout, then a last one with \"final\": true: the "
        f"state after the last step's update (the same step number, later figures); "
        f"{FIGURES_NOTE}", "no progress bar on stderr",
        "save the session (JSON) at the end",
    )  # fmt: skip
    p.add_argument(
        "--load",
        type=file_name_argument,
        metavar="FILE",
        help="continue a saved session: --steps N trains N more steps; without --steps it "
        "finishes the saved run if it stopped early, else trains as many steps again as the "
        "first run had (3 loads of a 10-step run: 40 steps). The learning-rate decay goes on "
        "where it was; the data and network options must stay as saved",
    )
    p.add_argument(
        "--history",
        type=file_name_argument,
        metavar="FILE",
        help="write the loss history as CSV (- : to stdout, the summary going to stderr); "
        f"{FIGURES_NOTE}",
    )
    p.add_argument(
        "--export", type=file_name_argument, metavar="FILE", help="write a script that reruns this"
    )
    p.add_argument(
        "--engine", choices=("fast", "value"), default="fast", help="value: the plain graph"
    )
    p.set_defaults(run=run_train)


# What --load keeps: a continued run trains the same network on the same points.
KEPT_ON_LOAD = ("csv_path", "dataset", "task", "samples", "noise", "classes", "test_split", "seed")
KEPT_NETWORK = ("layers", "activation", "features")


def setup(args):
    """(config, session) from the options, or from --load plus the options (session: the
    loaded Session, or None)."""
    config, session = _setup(args)
    refusal = script_refusal(config) if args.export else None
    if refusal:
        raise ConfigError("export", refusal)
    return config, session


def _setup(args):
    changes = config_changes(args)
    if not args.load:
        config = TrainConfig(**changes)
        check_momentum(config, "momentum" in changes)
        return config, None
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
    check_kept_classes(saved, changes)
    # The decay keeps the first run's length: a continued run goes on at the rate it reached.
    config = saved.replace(**changes, steps=done + more, decay_steps=first_run)
    check_momentum(config, "momentum" in changes)
    if config.outputs != saved.outputs:
        raise ConfigError(
            "loss", f"a loaded network keeps its {saved.outputs} output(s): ce needs one per "
            "class, the other losses one score; start a new run to change it",
        )  # fmt: skip
    for field in KEPT_ON_LOAD + KEPT_NETWORK:
        value, before = getattr(config, field), getattr(saved, field)
        if field == "activation":
            value, before = config.layer_activations(), saved.layer_activations()
        if field == "features":  # x1,x2 spelled out is what a session without features has
            value, before = config.input_features, saved.input_features
        if field == "csv_path" and before is None:
            before = f"{saved.samples} {saved.dataset} points, no CSV"
        if field in changes and value != before:
            raise ConfigError(
                field,
                "a loaded network keeps its layers, activations and features"
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

    def __init__(self, total, stream, enabled=True, regression=False):
        enabled = enabled and stream is not None  # stderr closed: no bar
        self.total, self.stream, self.enabled = total, stream, enabled
        self.regression = regression  # shows R² instead of accuracy
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
        if self.regression:  # R squared where classification shows its accuracy
            text += f"  loss {stats.train_loss:.4g}  R² {r2_text(stats.train_acc)}"
            if stats.test_loss is not None:
                text += f"  test R² {r2_text(stats.test_acc)}"
        else:
            text += f"  loss {stats.train_loss:.4g}  acc {stats.train_acc:6.1%}"
            if stats.test_loss is not None:
                text += f"  test {stats.test_acc:6.1%}"
        return text + f"  {stats.ms_per_step:.1f} ms/step"

    def close(self):
        if self.tty and self.drawn:
            self.write("\n")


def run_outputs(args, session=None):
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
    config, session = setup(args)
    outputs = run_outputs(args, session)
    files = [path for _, path in outputs if path != "-"]
    model, history, velocity, data = None, (), None, None
    if session is not None:  # train a copy: `session` stays what was loaded, for --export
        model = MLP.from_dict(session.model.to_dict())
        history, velocity, data = session.history, session.velocity, session.data
        if config.optimizer != session.config.optimizer:  # another optimizer starts afresh
            velocity = None  # (and the --export script too: the old state is not its own)
            session = dataclasses.replace(session, velocity=())
            note(
                "train",
                f"--optimizer: the session trained with {session.config.optimizer}: "
                f"{config.optimizer} starts afresh (no saved state carries over)",
            )
        elif restarted_state(session):
            note("train", f"{file_name(args.load)}: {restarted_state(session)}")
    trainer = Trainer(
        config, model, data=data, history=history, engine=args.engine, velocity=velocity
    )
    if session is not None:  # --export needs its last step only: free the loaded history
        session = dataclasses.replace(session, history=session.history[-1:])
        history = None
    progress = Progress(
        config.steps, sys.stderr, enabled=not args.quiet, regression=config.task == "regression"
    )
    first_step = trainer.step

    def report(stats):
        if args.json:
            keep_printing(
                lambda: print(json.dumps({**stats.to_dict(), "final": False}), flush=True), files
            )
        progress.update(stats)

    status = run_steps(trainer.run, report)
    progress.close()
    failure = trainer.failure
    if failure:
        status = "failed"
        error("train", f"{failure.reason}: {failure.hint}")
    run = trainer.history[first_step:]
    final = {
        "step": trainer.step,
        **final_figures(trainer),
        "ms_per_step": sum(s.ms_per_step for s in run) / len(run) if run else None,
        "elapsed": trainer.history[-1].elapsed if trainer.history else 0.0,
    }
    failed = {"reason": failure.reason, "hint": failure.hint} if failure else None
    if args.json:
        line = json.dumps({**final, "final": True, "status": status, "failure": failed})
        keep_printing(lambda: print(line), files)
    elif final["train_loss"] is None and failure:
        pass  # the error line above says what happened: no second, other account of it
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
            error("train", f"{flag}: {path} not written: {why}")
            continue  # a diverged or half-updated network is not worth keeping
        try:
            writers[flag](path)
        except SessionError as exc:  # one failed file does not stop the others
            error("train", f"{flag}: {exc}")
            code = code or 1  # the arguments were fine: writing failed after the run
    return code


def _summary(final, trainer):
    if final["train_loss"] is None:
        if all(math.isfinite(p.data) for p in trainer.model.parameters()):
            return f"step {final['step']}: the loss is no longer a finite number (it overflowed)"
        return f"step {final['step']}: the weights are no longer finite numbers"
    text = f"step {final['step']}: train loss {final['train_loss']:.4g}, "
    if trainer.config.task == "regression":  # accuracy means nothing there: R squared
        text += f"train R² {r2_text(final['train_acc'])}"
        if final["test_loss"] is not None:
            text += f", test loss {final['test_loss']:.4g}, test R² {r2_text(final['test_acc'])}"
    else:
        text += f"train accuracy {final['train_acc']:.1%}"
        if final["test_acc"] is not None:
            text += f", test loss {final['test_loss']:.4g}, test accuracy {final['test_acc']:.1%}"
    if final["ms_per_step"] is not None:
        text += f" ({final['elapsed']:.2f} s of training, {final['ms_per_step']:.1f} ms/step)"
    return text


def r2_text(value):
    """R squared for people: 0.9798, or -1.3e+05 for a fit far worse than the mean, or –
    where it is undefined (targets that do not vary, e.g. a single point)."""
    if value is None:
        return "–"
    return f"{value:.4f}" if value > -1000 else f"{value:.3g}"

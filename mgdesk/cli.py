"""Command line: no sub-command opens the window; train / graph / gradcheck run headless.

Exit codes: 0 done, 1 training failed or a check is above its tolerance, 2 bad arguments
(one line on stderr, no traceback), 130 interrupted with Ctrl-C, 141 stdout was closed
(e.g. `mgdesk train --json | head -1`).
"""

import argparse
import json
import math
import os
import random
import sys
import time
from operator import attrgetter, mul

from mgdesk import __version__
from mgdesk.check.command import add_check_engine_parser
from mgdesk.engine import MLP, FastMLP, gradcheck
from mgdesk.io import (
    SessionError,
    check_writable,
    export_script,
    load_session,
    save_session,
    write_history_csv,
)
from mgdesk.io.torch_export import add_export_torch_parser
from mgdesk.train import (
    LOSSES,
    ConfigError,
    TrainConfig,
    Trainer,
    make_dataset,
    new_model,
    parse_layers,
    train,
)
from mgdesk.train.config import DATASETS, LOSS_NAMES

CONFIG_OPTIONS = (
    "dataset samples noise test_split seed layers activation loss l2 lr lr_decay momentum "
    "batch_size steps"
).split()


def _flag(field):
    return "--csv" if field == "csv_path" else "--" + field.replace("_", "-")


def add_config_arguments(parser, exclude=()):
    """The TrainConfig options; each defaults to None so a loaded session's value stays."""
    kinds = {
        "dataset": dict(choices=DATASETS[:-1], help="toy dataset (default moons)"),
        "samples": dict(type=int, metavar="N", help="points to generate, 2-10000 (100)"),
        "noise": dict(type=float, help="gaussian jitter of the points, 0-1 (0.1)"),
        "test_split": dict(type=float, metavar="F", help="share held out, 0 <= F < 1 (0.2)"),
        "seed": dict(type=int, help="seeds data, initial weights and minibatches (1337)"),
        "layers": dict(help='hidden layer sizes, e.g. "16,16"; "" for none (16,16)'),
        "activation": dict(help="relu, tanh or linear, or one per hidden layer (relu)"),
        "loss": dict(choices=LOSS_NAMES, help="hinge (micrograd's), mse or bce (hinge)"),
        "l2": dict(type=float, metavar="ALPHA", help="L2 penalty alpha*sum(p*p), 0-1 (1e-4)"),
        "lr": dict(type=float, help="learning rate, above 0, at most 1e6 (1.0)"),
        "lr_decay": dict(choices=("none", "linear"), help="linear: lr*(1-0.9*k/steps)"),
        "momentum": dict(type=float, help="SGD momentum, 0 <= m < 1 (0)"),
        "batch_size": dict(type=int, metavar="N", help="minibatch size, 0 = full batch (0)"),
        "steps": dict(type=int, help="updates to make, 1-1000000 (100); with --load: more"),
    }
    for field, kind in kinds.items():
        if field not in exclude:
            parser.add_argument(_flag(field), dest=field, **kind)


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


def _positive(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number above 0 (got {text})")
    return value


def build_parser(with_graph=False):
    parser = Parser(
        prog="mgdesk",
        description="See backpropagation: a micrograd-style playground. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"mgdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")

    train = sub.add_parser("train", help="train a network without the window")
    add_config_arguments(train)
    train.add_argument("--csv", metavar="FILE", help="train on x1,x2,label rows from FILE")
    train.add_argument("--json", action="store_true", help="one JSON object per step on stdout")
    train.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    train.add_argument("--save", metavar="FILE", help="save the session (JSON) at the end")
    train.add_argument(
        "--load",
        metavar="FILE",
        help="continue a saved session: --steps N trains N more steps; without --steps it "
        "finishes the saved run if it stopped early, else trains as many steps again as the "
        "first run had (3 loads of a 10-step run: 40 steps). The learning-rate decay goes on "
        "where it was; the data and network options must stay as saved",
    )
    train.add_argument("--history", metavar="FILE", help="write the loss history as CSV")
    train.add_argument("--export", metavar="FILE", help="write a script that reruns this")
    train.add_argument(
        "--engine", choices=("fast", "value"), default="fast", help="value: the plain graph"
    )
    train.set_defaults(run=run_train)

    check = sub.add_parser("gradcheck", help="check gradients against finite differences")
    add_config_arguments(
        check, exclude=("test_split", "lr", "lr_decay", "momentum", "batch_size", "steps")
    )
    check.add_argument("--eps", type=_positive, default=1e-5, help="finite-difference step (1e-5)")
    check.add_argument(
        "--tolerance", type=_positive, default=1e-4, help="largest error allowed (1e-4)"
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
    check.set_defaults(run=run_gradcheck, samples=8, layers="4,4", activation="tanh")
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
    try:
        return args.run(args)
    except ConfigError as exc:
        _error(args.command, f"{_flag(exc.field)}: {exc.message}")
    except SessionError as exc:
        _error(args.command, str(exc))
    except KeyboardInterrupt:
        _error(args.command, "interrupted")
        return 130
    except BrokenPipeError:  # the reader went away, e.g. `mgdesk train --json | head -1`
        _silence_stdout()
        return 141
    return 2


def _silence_stdout():
    """Point stdout at /dev/null, so Python's final flush cannot complain again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. under a test's capture)
        pass


def _open_window(argv):
    try:
        from mgdesk.gui.app import run
    except ImportError as exc:
        print(f"mgdesk: cannot open the window ({exc})", file=sys.stderr)
        return 1
    return run(argv)


def _error(command, message):
    print(f"mgdesk {command}: error: {message}", file=sys.stderr)


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
    more = changes.pop("steps", saved.steps - done if done < saved.steps else first_run)
    if more < 1:
        raise ConfigError("steps", f"with --load, the steps to add must be at least 1 (got {more})")
    # The decay keeps the first run's length: a continued run goes on at the rate it reached.
    config = saved.replace(**changes, steps=done + more, decay_steps=first_run)
    for field in KEPT_ON_LOAD + KEPT_NETWORK:
        value, before = getattr(config, field), getattr(saved, field)
        if field == "activation":
            value, before = config.layer_activations(), saved.layer_activations()
        if field in changes and value != before:
            raise ConfigError(
                field,
                "a loaded network keeps its layers and activations"
                if field in KEPT_NETWORK
                else f"a loaded session keeps its data (saved: {before}): start a new run "
                "to change it",
            )
    return config, session


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% elsewhere."""

    def __init__(self, total, stream, enabled=True):
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
            self.stream.write("\r" + self.line(stats))
            self.last_draw, self.drawn = now, True
        elif not self.tty and (last or stats.step % max(1, self.total // 10) == 0):
            self.stream.write(self.line(stats) + "\n")
        self.stream.flush()

    def line(self, stats):
        filled = round(24 * stats.step / self.total)
        text = f"[{'#' * filled}{'.' * (24 - filled)}] {stats.step}/{self.total}"
        text += f"  loss {stats.train_loss:.4g}  acc {stats.train_acc:6.1%}"
        if stats.test_acc is not None:
            text += f"  test {stats.test_acc:6.1%}"
        return text + f"  {stats.ms_per_step:.1f} ms/step"

    def close(self):
        if self.tty and self.drawn:
            self.stream.write("\n")


def _finite_or_none(d):
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in d.items()}


def _outputs(args):
    """(flag, path) of each file to write, checked now, before any training."""
    outputs = [(flag, getattr(args, flag[2:])) for flag in ("--save", "--history", "--export")]
    outputs = [(flag, path) for flag, path in outputs if path]
    for flag, path in outputs:
        try:
            check_writable(path)
        except SessionError as exc:
            raise SessionError(f"{flag}: {exc}") from None
    return outputs


def run_train(args):
    config, session = _setup(args)
    outputs = _outputs(args)
    model, history, velocity = None, (), None
    if session is not None:  # train a copy: `session` stays what was loaded, for --export
        model = MLP.from_dict(session.model.to_dict())
        history, velocity = session.history, session.velocity
    trainer = Trainer(config, model, history=history, engine=args.engine, velocity=velocity)
    progress = Progress(config.steps, sys.stderr, enabled=not args.quiet)
    status, first_step = "done", trainer.step
    try:
        for stats in train(config, trainer=trainer):
            if args.json:
                print(json.dumps({**stats.to_dict(), "final": False}), flush=True)
            progress.update(stats)
    except KeyboardInterrupt:
        status = "interrupted"
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
    if args.json:
        failed = {"reason": failure.reason, "hint": failure.hint} if failure else None
        print(json.dumps({**final, "final": True, "status": status, "failure": failed}))
    else:
        print(_summary(final))
    writers = {
        "--history": lambda path: write_history_csv(path, trainer.history),
        "--save": lambda path: save_session(
            path, config, trainer.model, trainer.history, trainer.velocity
        ),
        "--export": lambda path: export_script(path, config, trainer.model, trainer.data, session),
    }
    code = {"done": 0, "interrupted": 130, "failed": 1}[status]
    for flag, path in outputs:
        if failure and flag != "--history":
            continue  # a diverged network is not worth keeping; its history shows why
        try:
            writers[flag](path)
        except SessionError as exc:  # one failed file does not stop the others
            _error("train", f"{flag}: {exc}")
            code = code or 2
    return code


def _summary(final):
    if final["train_loss"] is None:
        return f"step {final['step']}: the weights are no longer finite numbers"
    text = f"step {final['step']}: train loss {final['train_loss']:.4g}, "
    text += f"train accuracy {final['train_acc']:.1%}"
    if final["test_acc"] is not None:
        text += f", test loss {final['test_loss']:.4g}, test accuracy {final['test_acc']:.1%}"
    if final["ms_per_step"] is not None:
        text += f" ({final['elapsed']:.2f} s of training, {final['ms_per_step']:.1f} ms/step)"
    return text


# ---- mgdesk gradcheck ----

GRAD_FLOOR = 1e-6
EXACT_TOLERANCE = 1e-9  # fast path and PyTorch compute the same gradient, up to rounding
SAMPLES_CHECKED = 20
PARAMS_CHECKED = 300
# Bounds that keep every check to a few seconds, in multiply-adds: the Value graph (points
# checked x weights, ~1 s) and the nudged float passes (parameters checked x weights x
# (points + 2), ~2 s). Bigger networks are refused: their Value graph alone takes long.
VALUE_BUDGET = 150_000
NUDGE_BUDGET = 30_000_000
MAX_CHECK_WEIGHTS = 70_000


def _torch_grads(model, X, Y, loss, l2):
    """Gradients of the same loss from PyTorch in float64, in model.parameters() order."""
    import torch

    weights = model.to_dict()["weights"]
    Ws = [torch.tensor([r[:-1] for r in rows], dtype=torch.float64) for rows in weights]
    bs = [torch.tensor([r[-1] for r in rows], dtype=torch.float64) for rows in weights]
    for t in Ws + bs:
        t.requires_grad_(True)
    a = torch.tensor(X, dtype=torch.float64)
    for W, b, act in zip(Ws, bs, model.activations):
        a = a @ W.T + b
        a = {"relu": torch.relu, "tanh": torch.tanh}.get(act, lambda z: z)(a)
    s, y = a[:, 0], torch.tensor(Y, dtype=torch.float64)
    per_sample = {
        "hinge": lambda: torch.relu(1 - y * s),
        "mse": lambda: (s - y) ** 2,
        # log(1 + exp(-y*s)), exactly (softplus() turns into -y*s itself above 20)
        "bce": lambda: torch.logaddexp(torch.zeros_like(s), -y * s),
    }[loss]()
    total = per_sample.mean() + l2 * sum((t * t).sum() for t in Ws + bs)
    total.backward()
    return [
        g
        for W, b in zip(Ws, bs)
        for j in range(W.shape[0])
        for g in [*W.grad[j].tolist(), b.grad[j].item()]
    ]


def _float_loss(model, X, Y, loss_name, l2):
    """The loss the Value graph computes, in floats: a fast `evaluate` for gradcheck. Also
    gives which side of 0 each ReLU input is on (the hidden ReLUs and the hinge's)."""
    loss = LOSSES[loss_name]
    data = attrgetter("data")

    def evaluate():
        layers = [
            ([(n.b.data, list(map(data, n.w))) for n in layer.neurons], act)
            for layer, act in zip(model.layers, model.activations, strict=True)
        ]
        penalty = sum(b * b + sum(map(mul, w, w)) for neurons, _ in layers for b, w in neurons)
        total, sides = 0.0, []
        for a, y in zip(X, Y, strict=True):
            for neurons, act in layers:
                z = [sum(map(mul, w, a), b) for b, w in neurons]
                if act == "relu":
                    sides += [v > 0 for v in z]
                    a = [v if v > 0 else 0.0 for v in z]
                else:
                    a = list(map(math.tanh, z)) if act == "tanh" else z
            if loss_name == "hinge":
                sides.append(1 - y * a[0] > 0)
            total += loss.point(a[0], y)[0]
        return total / len(X) + l2 * penalty, tuple(sides)

    return evaluate


def run_gradcheck(args):
    config = TrainConfig(**_config_changes(args), test_split=0)
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
    nudged = [params[i] for i in sorted(rng.sample(range(len(params)), n_nudged))]
    loss = LOSSES[config.loss]

    def f():
        total = loss.mean([model(x) for x in X], Y)
        return total + config.l2 * sum(p * p for p in params) if config.l2 else total

    evaluate = _float_loss(model, X, Y, config.loss, config.l2)
    result = gradcheck(f, params, args.eps, check=nudged, evaluate=evaluate)
    analytic = [p.grad for p in params]  # gradcheck leaves the Value graph's gradients there
    model.zero_grad()
    FastMLP(model).loss_and_backward(X, loss.loss_grad(Y))
    fast = [p.grad + 2 * config.l2 * p.data for p in params]
    kept = [row for i, row in enumerate(result.rows) if i not in result.skipped]
    # A difference quotient carries rounding of about machine epsilon * |loss| / eps: that
    # much disagreement is noise, not a wrong gradient (it is large for exploding networks).
    loss_value = evaluate()[0]
    noise = 4 * sys.float_info.epsilon * abs(loss_value) / args.eps
    numeric = [r[2] for r in kept]
    fd_error = _max_error(numeric, [r[1] for r in kept], noise=noise) if kept else None
    checks = [
        (f"finite differences (eps {args.eps:g})", fd_error, args.tolerance),
        ("fast path vs Value graph", _max_error(fast, analytic), EXACT_TOLERANCE),
    ]
    try:
        torch_grads = _torch_grads(model, X, Y, config.loss, config.l2)
        checks.append(("PyTorch float64", _max_error(torch_grads, analytic), EXACT_TOLERANCE))
    except ImportError:
        checks.append(("PyTorch float64", None, None))

    hidden = ",".join(map(str, config.layers)) or "none"
    print(
        f"gradcheck: hidden layers {hidden} ({'/'.join(config.layer_activations()[:-1]) or '-'})"
        f", {config.loss} loss + L2 {config.l2:g} over {n_points} of {len(data.x_train)} "
        f"{config.dataset} points (seed {config.seed}), {len(params):,} parameters"
    )
    failed = False
    for name, error, limit in checks:
        if limit is None:
            print(f"  {name:<31} not installed, skipped (pip install torch==2.13.0)")
            continue
        if error is None:
            print(f"  {name:<31} every checked parameter was skipped (see below)  FAILED")
            failed = True
            continue
        verdict = "ok" if error <= limit else "ABOVE THE LIMIT"
        failed = failed or error > limit
        print(f"  {name:<31} max relative error {error:.1e}  limit {limit:.0e}  {verdict}")
    if n_nudged < len(params):
        print(
            f"  finite differences checked {n_nudged:,} of {len(params):,} parameters, a "
            "seeded random choice (the other checks cover all of them)"
        )
    if noise > 1e-8:
        print(
            f"  the loss is large ({loss_value:.3g}): finite differences within {noise:.1e}, "
            "its rounding noise, were not counted (a larger --eps lowers it)"
        )
    if result.skipped:
        print(
            f"  {len(result.skipped)} parameters skipped by finite differences: a ReLU input "
            f"is at its kink (0), where the derivative is undefined, and a nudge of "
            f"±{args.eps:g} crossed it"
        )
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


def _max_error(a, b, noise=0.0):
    """Largest relative error, not counting `noise` (an absolute rounding allowance). Below
    GRAD_FLOOR in size the error is absolute, so that rounding cannot swamp a zero gradient."""
    errors = (
        max(0.0, abs(x - y) - noise) / max(abs(x), abs(y), GRAD_FLOOR)
        for x, y in zip(a, b, strict=True)
    )
    return max(errors, default=0.0)

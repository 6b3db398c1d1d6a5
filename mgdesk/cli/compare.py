"""`mgdesk compare`: train variants of one setting side by side, from the same start.

mgdesk compare --vary activation=tanh,relu --layers 16,16 --steps 200
mgdesk compare --vary lr=0.1,1 --vary activation=tanh,relu --json    (4 runs)

Each run is the one `mgdesk train` makes with its setting, number for number; the runs share
the points, the seed, the initial weights and the minibatch order (mgdesk/train/compare.py),
and step in lockstep. Prints a progress line per run on stderr and a table at the end;
`--json` prints one object per step per run with a "run" field naming the run, the last line
of each run marked "final" as in `mgdesk train --json`.
"""

import json
import sys
import time

from mgdesk.cli.common import (
    add_run_arguments,
    check_momentum,
    config_changes,
    error,
    final_figures,
    flag,
    keep_printing,
)
from mgdesk.cli.train import FIGURES_NOTE, Progress, r2_text, run_outputs, run_steps
from mgdesk.io import Session, SessionError, save_comparison
from mgdesk.train import ConfigError, TrainConfig
from mgdesk.train.compare import VARIABLE, Comparison, compare, make_variants, parse_vary
from mgdesk.train.runs import TARGET_ACCURACY, run_figures

__all__ = ["add_compare_parser", "run_compare"]


def add_compare_parser(subparsers):
    p = subparsers.add_parser(
        "compare", help="train variants of a setting side by side (e.g. tanh vs relu)"
    )
    p.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="SETTING=V1,V2",
        help=f"a setting and its values, one run each; again for every combination. Settings: "
        f"{', '.join(VARIABLE)}. Layers within a value are separated by spaces: "
        '"layers=8 8,16 16"',
    )
    add_run_arguments(
        p, f"one JSON object per step per run; {FIGURES_NOTE}", "no progress lines on stderr",
        "save every run in one session (JSON)",
    )  # fmt: skip
    p.set_defaults(run=run_compare, load=None, history=None, export=None)
    return p


def _variants(args):
    changes = config_changes(args)
    varied = parse_vary(args.vary)
    for field, _ in varied:
        if getattr(args, field, None) is not None:  # given (not a default such as lr's)
            raise ConfigError(
                "vary", f"{field} is also set by {flag(field)}: give its values in --vary only"
            )
    variants = make_variants(TrainConfig(**changes), varied)
    fields = {field for field, _ in varied}
    for variant in variants:  # a momentum varied under adam, or given to adam runs only
        check_momentum(variant.config, "momentum" in fields, "vary")
        check_momentum(variant.config, "momentum" in changes and "optimizer" not in fields)
    return variants


class CompareProgress:
    """One progress line per run on stderr: redrawn in place on a terminal, else a line per
    run every 10% of the steps."""

    def __init__(self, labels, total, stream, enabled=True, regression=False):
        self.bars = [Progress(total, stream, enabled, regression) for _ in labels]
        width = max(map(len, labels))
        self.prefixes = [label.ljust(width) + "  " for label in labels]
        self.last = [None] * len(labels)
        self.bar = self.bars[0]
        self.lines_drawn = 0
        self.last_draw = 0.0
        self.stale = False  # news since the last drawing

    def update(self, ticks):
        bar = self.bar
        if not bar.enabled:
            return
        for i, stats in enumerate(ticks):
            if stats is None:
                continue
            self.last[i], self.stale = stats, True
            ends = stats.step == bar.total
            if not bar.tty and (ends or stats.step % max(1, bar.total // 10) == 0):
                bar.write(self.prefixes[i] + bar.line(stats) + "\n")
        now = time.monotonic()
        if bar.tty and now - self.last_draw > 0.1:
            self.draw()
            self.last_draw = now

    def draw(self):
        back = f"\x1b[{self.lines_drawn}F" if self.lines_drawn else ""  # to the block's top
        lines = [p + self.bar.line(s) for p, s in zip(self.prefixes, self.last) if s is not None]
        self.bar.write(back + "".join(line + "\x1b[K\n" for line in lines))
        self.lines_drawn, self.stale = len(lines), False

    def close(self):
        if self.bar.enabled and self.bar.tty and self.stale:
            self.draw()


def _final(trainer, figures, status):
    run = trainer.history
    failure = trainer.failure
    return {
        "step": trainer.step,
        **final_figures(trainer),
        "ms_per_step": figures.ms_per_step,
        "elapsed": run[-1].elapsed if run else 0.0,
        "final": True,
        "status": "failed" if failure else status,
        "failure": {"reason": failure.reason, "hint": failure.hint} if failure else None,
        "steps_to_95": figures.steps_to_95,
        "dead_relus": list(figures.dead),
    }


def run_compare(args):
    variants = _variants(args)
    outputs = run_outputs(args)
    comparison = Comparison.start(variants)
    labels = comparison.labels
    steps = variants[0].config.steps
    regression = variants[0].config.task == "regression"  # the runs share their data
    progress = CompareProgress(labels, steps, sys.stderr, not args.quiet, regression)

    files = [path for _, path in outputs]

    def report(ticks):
        if args.json:
            keep_printing(lambda: _print_ticks(labels, ticks), files)
        progress.update(ticks)

    status = run_steps(lambda stop: compare(comparison, stop), report)
    progress.close()
    finals = []
    for variant, trainer in zip(variants, comparison.trainers):
        figures = run_figures(trainer)
        finals.append(_final(trainer, figures, status))
        if trainer.failure:
            error("compare", f"{variant.label}: {trainer.failure.reason}: {trainer.failure.hint}")
    if args.json:
        lines = [json.dumps({"run": label, **final}) for label, final in zip(labels, finals)]
        keep_printing(lambda: print("\n".join(lines)), files)
    else:
        keep_printing(lambda: print(_table(comparison, finals)), files)
    failed = any(trainer.failure for trainer in comparison.trainers)
    code = 1 if failed else {"done": 0, "interrupted": 130, "aborted": 130}[status]
    for option, path in outputs:  # only --save
        if failed or status == "aborted":
            why = "a run diverged" if failed else "a second Ctrl-C stopped it inside a step"
            error("compare", f"{option}: {path} not written: {why}")
            continue
        sessions = [
            Session(t.config, t.model, t.history, t.velocity, t.data) for t in comparison.trainers
        ]
        try:
            save_comparison(path, sessions, labels, [v.short_label for v in variants])
        except SessionError as exc:
            error("compare", f"{option}: {exc}")
            code = code or 1  # the arguments were fine: writing failed after the run
    return code


def _print_ticks(labels, ticks):
    for label, stats in zip(labels, ticks):
        if stats is not None:
            print(json.dumps({"run": label, **stats.to_dict(), "final": False}))
    sys.stdout.flush()


def _cell(value, kind):
    if value is None:
        return "–" if kind == "r2" else "-"
    if kind == "r2":
        return r2_text(value)
    return {"loss": f"{value:.4g}", "acc": f"{value:.1%}", "ms": f"{value:.2f}"}.get(kind, value)


def _table(comparison, finals):
    """The final table: one row per run, and the dead ReLUs of each run that has some.
    Regression shows R squared where classification shows accuracy."""
    regression = comparison.variants[0].config.task == "regression"
    acc, kind = ("R²", "r2") if regression else ("acc", "acc")
    target = f"R² {TARGET_ACCURACY:g}" if regression else f"{TARGET_ACCURACY:.0%}"
    reached = f"steps to {target}"
    head = ["run", "train loss", f"train {acc}", "test loss", f"test {acc}", reached, "ms/step"]
    head += ["dead ReLUs", "status"]
    rows, notes = [head], []
    for variant, trainer, final in zip(comparison.variants, comparison.trainers, finals):
        relus = sum(
            len(layer.neurons)
            for layer, act in zip(trainer.model.layers[:-1], trainer.model.activations)
            if act == "relu"
        )
        dead = final["dead_relus"]
        rows.append([
            variant.label,
            _cell(final["train_loss"], "loss"),
            _cell(final["train_acc"], kind),
            _cell(final["test_loss"], "loss"),
            _cell(final["test_acc"], kind),
            str(_cell(final["steps_to_95"], "step")),
            _cell(final["ms_per_step"], "ms"),
            f"{len(dead)} of {relus}" if relus else "-",
            f"diverged at step {trainer.step + 1}" if trainer.failure else final["status"],
        ])  # fmt: skip
        if dead:
            notes.append(f"dead ReLUs of {variant.label}: {', '.join(dead)}")
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in rows
    ]
    return "\n".join([*lines, *notes])

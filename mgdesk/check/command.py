"""`mgdesk check-engine`: run the engine checks on a learner's file and print the table.

Exit codes: 0 when no check fails, 1 when one fails (or cannot finish), 2 for bad
arguments or a file that cannot be loaded (one line, no traceback).
"""

import json
import sys
import textwrap

from mgdesk.check.report import FAILING, status_counts
from mgdesk.check.runner import CheckError, run_checks

__all__ = ["add_check_engine_parser", "format_report", "run_check_engine"]


def add_check_engine_parser(subparsers):
    p = subparsers.add_parser(
        "check-engine",
        help="check your own micrograd Value class against mgdesk's engine",
        description="Load YOUR engine file (in a child process, with a time limit per check) "
        "and test its Value class against mgdesk's: every operation's data and gradients, "
        "gradient accumulation, a 10,000-operation chain, backward() twice, an MLP if the "
        "file has one, and the speed of a training step. Each check says pass, fail, "
        "missing or error, with the likely bug in plain words.",
    )
    p.add_argument("path", metavar="PATH/engine.py", help="the Python file with your Value class")
    p.add_argument("--class", dest="class_name", default="Value", help="its name (Value)")
    p.add_argument("--json", action="store_true", help='one JSON object: {"passed", "checks"}')
    p.set_defaults(run=run_check_engine)
    return p


def result_lines(result):
    """'  fail     a + a accumulates' and its hint, wrapped, below."""
    hint = textwrap.wrap(result["hint"], 88)
    return [f"  {result['status']:<8} {result['name']}", *(f"           {h}" for h in hint)]


def summary_line(results):
    counts = status_counts(results)
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return f"{'FAILED' if any(counts[s] for s in FAILING) else 'OK'}: {summary}"


def format_report(path, results):
    lines = [line for result in results for line in result_lines(result)]
    return "\n".join([f"check-engine: {path}", *lines, summary_line(results)])


def run_check_engine(args):
    def show(result):  # as each check finishes, so a slow one is no mystery
        print("\n".join(result_lines(result)), flush=True)

    try:
        if not args.json:
            print(f"check-engine: {args.path}", flush=True)
        results = run_checks(args.path, args.class_name, on_result=None if args.json else show)
    except CheckError as exc:
        print(f"mgdesk check-engine: error: {exc}", file=sys.stderr)
        return 2
    passed = not any(r["status"] in FAILING for r in results)
    if args.json:
        print(json.dumps({"passed": passed, "checks": results}))
    else:
        print(summary_line(results))
    return 0 if passed else 1

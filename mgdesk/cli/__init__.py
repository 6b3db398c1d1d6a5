"""Command line: no sub-command opens the window; train / compare / graph / gradcheck run
headless.

Exit codes: 0 done, 1 training failed, a check is above its tolerance or a file could not be
written after the run, 2 bad arguments (one line on stderr, no traceback), 130 interrupted
with Ctrl-C, 141 stdout was closed (e.g. `mgdesk train --json | head -1`).

A closed or full stdout or stderr never loses a run: the progress bar goes quiet, and a run
with files to write (--save, --history FILE, --export) trains to the end and writes them
before exiting 141 (1 for a full stdout); a run with nothing to save stops at once.
"""

import sys

from mgdesk import __version__
from mgdesk.check.command import add_check_engine_parser
from mgdesk.cli.common import GuardedOutput, OutputError, Parser, error, flag
from mgdesk.cli.compare import add_compare_parser
from mgdesk.cli.gradcheck import add_gradcheck_parser
from mgdesk.cli.train import add_train_parser
from mgdesk.io import SessionError, silence
from mgdesk.io.torch_export import add_export_torch_parser
from mgdesk.train import ConfigError
from mgdesk.train.blas import one_blas_thread

__all__ = ["build_parser", "main"]


def build_parser(with_graph=False):
    """The `mgdesk` parser; each command's module adds its sub-parser and sets its run=."""
    parser = Parser(
        prog="mgdesk",
        description="See backpropagation: a micrograd-style playground. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"mgdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")
    parser.commands = sub.choices  # name -> sub-parser: its own errors name it
    add_train_parser(sub)
    add_compare_parser(sub)
    add_gradcheck_parser(sub)
    add_export_torch_parser(sub)
    add_check_engine_parser(sub)
    if with_graph:  # imported only when asked for (it needs the graphviz package)
        from mgdesk.cli.graph import add_graph_parser, run_graph

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
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # said by the command's parser: `mgdesk train: ... mgdesk train --help`
            command = parser.commands.get(args.command, parser)
            command.error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as exc:  # argparse has printed the usage line and the problem
        return exc.code
    if args.command is None:
        return _open_window([])
    one_blas_thread()  # (measured: twice as fast at 64,64 x 1000; see train/blas.py)
    stdout = sys.stdout
    guard = sys.stdout = GuardedOutput(stdout)
    try:
        code = args.run(args)
        guard.flush()  # now, so that a full disk is reported here, not at exit
        if guard.lost is None:
            return code
        raise guard.lost
    except OutputError as exc:
        error(args.command, f"cannot write the output ({exc})")
        silence(stdout)
        return 1
    except ConfigError as exc:
        error(args.command, f"{flag(exc.field)}: {exc.message}")
    except SessionError as exc:
        error(args.command, str(exc))
    except KeyboardInterrupt:
        error(args.command, "interrupted")
        return 130
    except BrokenPipeError:  # the reader went away, e.g. `mgdesk train --json | head -1`
        silence(stdout)
        return 141
    finally:
        sys.stdout = stdout
    return 2


def _open_window(argv):
    try:
        from mgdesk.gui.app import run
    except ImportError as exc:
        print(f"mgdesk: cannot open the window ({exc})", file=sys.stderr)
        return 1
    return run(argv)

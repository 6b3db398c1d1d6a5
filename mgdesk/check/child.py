"""The child process of `mgdesk check-engine`: loads the learner's file and runs the checks.

    python -m mgdesk.check.child PATH CLASS INDEXES

INDEXES: the positions in CHECKS to run, comma-separated, in order.

Speaks one JSON object per line on its own copy of stdout: {"event": "loaded"} or
{"event": "load_error", "message"}; then per check {"event": "start", "name"} and
{"event": "result", "name", "status", "hint"}; finally {"event": "done"}. What the
learner's code prints goes to /dev/null, so it cannot garble that stream.
"""

import importlib.util
import inspect
import json
import os
import re
import sys
from pathlib import Path

from mgdesk.check.checks import CHECKS, run_check, set_learner_file


class LoadError(Exception):
    """The learner's file cannot be loaded; the message is one line."""


def load(path, class_name):
    """(module, class) from the learner's file, or LoadError saying why not."""
    path = Path(path).resolve()
    name = re.sub(r"\W", "_", path.stem) or "engine"
    if name[0].isdigit() or name in sys.modules:
        name = "learner_" + name
    sys.path.insert(0, str(path.parent))  # so their engine.py can import their nn.py
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    set_learner_file(str(path))
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise LoadError(f"{path.name} line {exc.lineno}: {exc.msg}") from None
    except SystemExit:
        raise LoadError(
            f'{path.name} called exit() while loading: put scripts under if __name__ == "__main__":'
        ) from None
    except BaseException as exc:  # their code: anything may come out of it
        where = ""
        for frame, lineno in _frames(exc):
            if frame.f_code.co_filename == str(path):
                where = f" at line {lineno}"
        raise LoadError(
            f"loading {path.name} raised {type(exc).__name__}{where}: {str(exc)[:200]}"
        ) from None
    value = getattr(module, class_name, None)
    if not inspect.isclass(value):
        found = sorted(n for n, v in vars(module).items() if inspect.isclass(v) and not n[0] == "_")
        also = f" (it defines {', '.join(found[:8])}: pick one with --class)" if found else ""
        raise LoadError(f"{path.name} has no class {class_name}{also}")
    return module, value


def _frames(exc):
    tb = exc.__traceback__
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def main(argv):
    path, class_name, indexes = argv[0], argv[1], [int(i) for i in argv[2].split(",")]
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # their prints, even from C, go nowhere
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    sys.dont_write_bytecode = True  # leave no __pycache__ beside their file

    def send(**message):
        channel.write(json.dumps(message) + "\n")

    try:
        module, value_class = load(path, class_name)
    except LoadError as exc:
        send(event="load_error", message=str(exc))
        return 0
    send(event="loaded")
    for check in (CHECKS[i] for i in indexes):
        send(event="start", name=check.name)
        send(event="result", **run_check(check, value_class, module))
    send(event="done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Run the engine checks in a child process, with a time limit per check.

The learner's file is their code: it may loop forever, print, crash the interpreter or
recurse past the C stack. So it only ever runs in `python -m mgdesk.check.child`, started
with `sys.executable`; the parent reads one JSON line per event and gives each check its
time limit. A check that runs over is stopped by killing the child, which is started again
for the checks after it; a child that dies mid-check (a crash) is reported the same way.
"""

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import mgdesk
from mgdesk.check.checks import CHECKS

__all__ = ["LOAD_SECONDS", "CheckError", "run_checks"]

LOAD_SECONDS = 20.0  # start Python, import mgdesk's engine and the learner's file
_EOF, _TIMEOUT, _STOPPED = "eof", "timeout", "stopped"


class CheckError(Exception):
    """The file cannot be checked at all (a bad path, a file that does not load): one line."""


class _Child:
    """One child process and a thread that turns its stdout into a queue of messages."""

    def __init__(self, path, class_name, indexes):
        env = dict(os.environ)
        package_root = str(Path(mgdesk.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mgdesk.check.child", str(path), class_name, indexes],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
        )
        self.messages = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            try:
                self.messages.put(json.loads(line))
            except ValueError:
                continue
        self.messages.put(_EOF)

    def next(self, seconds, stop=None):
        """The next message, or _EOF (the child ended), _TIMEOUT or _STOPPED."""
        waited = 0.0
        while waited < seconds:
            if stop is not None and stop.is_set():
                return _STOPPED
            try:
                return self.messages.get(timeout=min(0.1, seconds - waited))
            except queue.Empty:
                waited += 0.1
        return _TIMEOUT

    def how_it_died(self):
        """'exit code -11; Fatal Python error: ...' after the child ended."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.stderr.seek(0)
        lines = [
            ln.strip() for ln in self.stderr.read()[-4000:].decode(errors="replace").splitlines()
        ]
        last = next((ln for ln in reversed(lines) if ln), "")
        return f"exit code {code}" + (f"; {last[:160]}" if last else "")

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        # The reader sees the end of the pipe once the child is gone; closing the pipe under
        # it instead would break its read.
        self._reader.join(timeout=5)
        if not self._reader.is_alive():
            self.process.stdout.close()
        self.stderr.close()


def _check_path(path):
    path = Path(path)
    if not path.exists():
        raise CheckError(f"cannot read {path}: no such file")
    if path.is_dir():
        raise CheckError(f"{path} is a folder: give the .py file that defines your Value class")
    if path.suffix != ".py":
        raise CheckError(
            f"{path.name} is not a Python file: give the .py file that defines your Value "
            "class (a notebook: File > Download as .py first)"
        )
    try:
        path.read_bytes()
    except OSError as exc:
        raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None
    return path


def _failed_check(check, what, child):
    if what == _TIMEOUT:
        hint = (
            f"stopped after {check.seconds:g} s, its time limit: an endless loop? (a backward() "
            "that keeps revisiting nodes, or a graph that refers back to itself)"
        )
    else:
        hint = f"the check's Python process ended in the middle of it ({child.how_it_died()})"
        if "chain" in check.name:
            hint += (
                ": recursion deeper than the C stack (was the recursion limit raised with "
                "sys.setrecursionlimit?) — use an explicit stack instead of recursion"
            )
    return {"name": check.name, "status": "error", "hint": hint}


def run_checks(path, class_name="Value", on_result=None, stop=None, names=None, graphs=False):
    """Each check's {"name", "status", "hint"}, in order. `on_result(result)` is called as
    each arrives; setting `stop` (a threading.Event) ends the run early with what is done;
    `names` picks some of the checks (default: all); `graphs` adds to a failure its failing
    expression drawn from both engines, when it has one ("graph", see mgdesk.check.graphs).
    Raises CheckError when the file cannot be checked at all."""
    path = _check_path(path)
    wanted = [i for i, c in enumerate(CHECKS) if names is None or c.name in names]
    results = []

    def record(result):
        results.append(result)
        if on_result is not None:
            on_result(result)

    while len(results) < len(wanted):
        pending = wanted[len(results) :]
        child = _Child(path, class_name, ",".join(map(str, pending)))
        try:
            message = child.next(LOAD_SECONDS, stop)
            if message == _STOPPED:
                return results
            if message in (_EOF, _TIMEOUT):
                why = "took too long" if message == _TIMEOUT else child.how_it_died()
                raise CheckError(f"loading {path.name} failed ({why})")
            if message["event"] == "load_error":
                raise CheckError(message["message"])
            while len(results) < len(wanted):
                check = CHECKS[wanted[len(results)]]
                message = child.next(5.0, stop)  # the "start" line
                if message not in (_EOF, _TIMEOUT, _STOPPED):
                    message = child.next(check.seconds, stop)
                if message == _STOPPED:
                    return results
                if message in (_EOF, _TIMEOUT):
                    record(_failed_check(check, message, child))
                    break  # a new child runs the checks after this one
                keys = ("name", "status", "hint", "graph") if graphs else ("name", "status", "hint")
                record({k: message[k] for k in keys if k in message})
        finally:
            child.close()
    return results

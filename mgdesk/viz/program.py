"""Find the layout program and run it in a subprocess with a timeout.

The bundled renderer is the `graphviz-pure` program that pip puts in the scripts folder of
this Python (a venv's `bin/` is not on PATH unless the venv is activated, so PATH is not
searched for it); the system Graphviz `dot` is found on PATH.
"""

import os
import shutil
import signal
import subprocess
import sysconfig
import threading
import time
from pathlib import Path

__all__ = [
    "RenderCancelled",
    "RenderError",
    "RenderTimeout",
    "RendererMissing",
    "bundled_program",
    "find_program",
    "kill_program",
    "run_program",
]

BUNDLED = "graphviz-pure"
RENDERERS = ("auto", "bundled", "system")
# A layout program's output above this is runaway (a drawing of graph's largest network is a
# few MB): it is stopped rather than filling the memory. Its stderr keeps only its last part.
MAX_OUTPUT = 200 * 1024 * 1024
MAX_ERROR_OUTPUT = 64 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class RenderError(RuntimeError):
    """The layout program failed."""


class RendererMissing(RenderError):
    """Neither the bundled graphviz-pure nor a system Graphviz `dot` can be used."""


class RenderTimeout(RenderError):
    """The layout program ran longer than allowed and was stopped."""


class RenderCancelled(RenderError):
    """A newer render (or `cancel()`) replaced this one."""


def bundled_program(scripts_dirs=None):
    """Path of graphviz-pure in this Python's scripts folder (or the user one), or None."""
    if scripts_dirs is None:
        scripts_dirs = [sysconfig.get_path("scripts")]
        user_scheme = f"{os.name}_user"
        if user_scheme in sysconfig.get_scheme_names():
            scripts_dirs.append(sysconfig.get_path("scripts", user_scheme))
    name = BUNDLED + (".exe" if os.name == "nt" else "")
    for folder in scripts_dirs:
        path = Path(folder) / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def find_program(renderer="auto", scripts_dirs=None, path=None):
    """The command to run: "auto" (bundled, else system), "bundled", "system", or a path."""
    if renderer not in RENDERERS:
        if Path(renderer).is_file():
            return renderer
        raise RendererMissing(f"renderer: no program at {renderer}")
    bundled = bundled_program(scripts_dirs) if renderer != "system" else None
    system = shutil.which("dot", path=path) if renderer != "bundled" else None
    found = bundled or system
    if found:
        return found
    wanted = {"bundled": "the bundled graphviz-pure", "system": "the system Graphviz `dot`"}
    what = wanted.get(renderer, "a graph renderer")
    raise RendererMissing(
        f"cannot draw the graph: {what} is not installed. The bundled graphviz-pure comes "
        "with `pip install graphviz-pure` (into this Python's scripts folder); the system "
        "`dot` with Graphviz (graphviz.org) on PATH."
    )


def kill_program(process):
    """Kill a layout process and anything it started (POSIX: its process group)."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def run_program(command, source, fmt="svg", timeout=20.0, started=None, options=()):
    """Run `command -T<fmt> [options]` on DOT `source`; return its output bytes.

    A program that succeeds but writes nothing is an error too (a `dot` that is not one).

    `started(process)` is called once the process runs, so another thread can stop it with
    `kill_program` (a killed run raises RenderError; the caller knows whether it cancelled).
    """
    posix = os.name == "posix"
    try:
        process = subprocess.Popen(
            [command, f"-T{fmt}", *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=posix,  # its own process group, killed as a whole
            creationflags=0 if posix else subprocess.CREATE_NO_WINDOW,
        )
    except OSError as exc:
        raise RenderError(f"cannot start {command}: {exc.strerror or exc}") from None
    if started is not None:
        started(process)
    name = Path(command).name
    out, err, ending = _communicate(process, source.encode(), timeout)
    if ending == "too much":
        raise RenderError(
            f"{name} wrote more than {MAX_OUTPUT // (1024 * 1024)} MB and was stopped: "
            "it does not seem to be a Graphviz dot program"
        )
    if ending == "timeout":
        raise RenderTimeout(
            f"the graph layout took longer than {timeout:g} s and was stopped; "
            "a smaller network or the neuron view draws faster"
        )
    if process.returncode != 0:
        lines = [ln for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        reason = lines[-1][-300:] if lines else f"exit status {process.returncode}"
        raise RenderError(f"{name} failed: {reason}")
    if not out.strip():
        raise RenderError(f"{name} wrote nothing: it does not seem to be a Graphviz dot program")
    _check_output(name, out, fmt)
    return out


def _check_output(name, out, fmt):
    """RenderError unless `out` looks like `fmt` (a PNG's signature; SVG text)."""
    if fmt == "png":
        ok = out.startswith(PNG_SIGNATURE)
    elif fmt in ("svg", "dot"):
        try:
            ok = fmt != "svg" or "<svg" in out.decode("utf-8")
        except UnicodeDecodeError:
            ok = False
    else:
        return
    if not ok:
        raise RenderError(
            f"{name} did not write {fmt.upper()}: it does not seem to be a Graphviz dot program"
        )


def _communicate(process, data, timeout):
    """(stdout, stderr, ending) of `process` fed `data`. `ending` is "done", or "timeout" /
    "too much" when it was killed for outliving `timeout` or writing over MAX_OUTPUT bytes.
    Its stderr keeps the last MAX_ERROR_OUTPUT bytes."""
    out, err = [], bytearray()
    too_much = threading.Event()

    def feed():
        try:
            process.stdin.write(data)
            process.stdin.close()
        except OSError:  # it stopped reading (finished, failed or killed)
            pass

    def read_out():
        size = 0
        while chunk := process.stdout.read1(1 << 16):
            size += len(chunk)
            if size > MAX_OUTPUT:
                too_much.set()
                kill_program(process)
                return
            out.append(chunk)

    def read_err():
        while chunk := process.stderr.read1(1 << 16):
            err.extend(chunk)
            del err[:-MAX_ERROR_OUTPUT]

    threads = [threading.Thread(target=f, daemon=True) for f in (feed, read_out, read_err)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    try:
        process.wait(timeout)
        for thread in threads:  # a child it left behind may hold its output open
            thread.join(max(0.0, deadline - time.monotonic()))
        timed_out = any(thread.is_alive() for thread in threads)
    except subprocess.TimeoutExpired:
        timed_out = True
    if timed_out:
        kill_program(process)
        process.wait()
    for thread in threads:
        thread.join()
    for stream in (process.stdout, process.stderr):
        stream.close()
    ending = "too much" if too_much.is_set() else "timeout" if timed_out else "done"
    return b"".join(out), bytes(err), ending

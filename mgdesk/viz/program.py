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
    try:
        out, err = process.communicate(source.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_program(process)
        process.communicate()
        raise RenderTimeout(
            f"the graph layout took longer than {timeout:g} s and was stopped; "
            "a smaller network or the neuron view draws faster"
        ) from None
    if process.returncode != 0:
        lines = [ln for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {process.returncode}"
        raise RenderError(f"{Path(command).name} failed: {reason}")
    if not out.strip():
        raise RenderError(
            f"{Path(command).name} wrote nothing: it does not seem to be a Graphviz dot program"
        )
    return out

"""The graph thread's end of the raster child (gui/raster_child.py), which parses and
paints the graph's SVG in another process, so the GUI thread keeps running.

PySide6 keeps the GIL through QSvgRenderer's parse, `render` and element bounds: painted
in the graph thread, a 2-16-16-1 picture stops the GUI thread for 30 to 45 ms. Here the
graph thread sends the SVG to one long-lived child (`python -m mgdesk.gui.raster_child`,
a QGuiApplication offscreen, started when the first graph is drawn) over its stdin and
waits on its stdout, which releases the GIL. The messages are mgdesk/raster_wire.py's.

`RasterChild` is the graph thread's end: `call` sends one request and waits for the reply,
giving up (the child killed, `ChildFailed`) when the child cannot start, dies, answers
garbage or takes longer than `timeout`; `ChildSvg` is a document on it that falls back to
painting in this thread (`raster.LocalSvg`) for the rest of its life when the child fails,
and the next document starts a new child. `close()` (any thread) kills the child.
"""

import os
import selectors
import subprocess
import sys
import threading
import time

from mgdesk.gui.raster import LocalSvg, image_from_bytes
from mgdesk.raster_wire import WireError, check_reply, encode, read_message
from mgdesk.viz import RenderCancelled

__all__ = ["COMMAND", "ChildFailed", "ChildSvg", "RasterChild"]

COMMAND = [sys.executable, "-m", "mgdesk.gui.raster_child"]
POLL_S = 0.05  # how often a wait looks at `cancelled`


class ChildFailed(Exception):
    """The child could not start, died, answered garbage or answered too late."""


class RasterChild:
    """The graph thread's end of the raster child. `call` runs in one thread at a time
    (the graph thread); `close` may come from any thread."""

    timeout = 20.0  # seconds a reply may take before the child is given up

    def __init__(self, font=None, command=None):
        self.font = list(font) if font else None  # [family, point size] of the window
        self.command = command or COMMAND
        self._lock = threading.Lock()
        self._proc = None
        self._closed = False
        self._calling = False  # a call is using the pipes: it closes them when it fails
        self.loaded = None  # the ChildSvg whose SVG the child holds now
        self.starts = 0  # how many children were started (tests, benchmarks)

    def start(self):
        """Start the child if none runs (it boots while the graph is laid out)."""
        with self._lock:
            if self._closed or (self._proc is not None and self._proc.poll() is None):
                return
            self._discard_locked()
            try:
                proc = subprocess.Popen(
                    self.command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                )
            except OSError:
                return  # no child: every picture is painted in this thread
            os.set_blocking(proc.stdin.fileno(), False)
            os.set_blocking(proc.stdout.fileno(), False)
            self._proc = proc
            self.starts += 1

    def call(self, meta, blobs=(), cancelled=None):
        """The reply (meta, blobs) to one request. Raises ChildFailed (the child is then
        killed; the next call starts another) or RenderCancelled when `cancelled()`."""
        self.start()
        if self._closed:
            raise RenderCancelled("closing")
        with self._lock:
            proc, self._calling = self._proc, self._proc is not None
        if proc is None:
            raise ChildFailed("the raster child is not running")
        try:
            deadline = time.monotonic() + self.timeout
            data = encode({**meta, "font": self.font}, blobs)
            with selectors.DefaultSelector() as sel:
                self._send(sel, proc, data, deadline, cancelled)
                reply = read_message(self._reader(sel, proc, deadline, cancelled))
        except (OSError, ValueError, WireError, ChildFailed, RenderCancelled) as exc:
            self.kill()
            if self._closed or isinstance(exc, RenderCancelled):
                raise RenderCancelled("closing") from None
            raise ChildFailed(str(exc) or type(exc).__name__) from exc
        finally:
            with self._lock:
                self._calling = False
        if "error" in reply[0]:
            raise ValueError(str(reply[0]["error"]))
        return reply

    def kill(self):
        """Stop the child now; the next call starts another (the calling thread)."""
        with self._lock:
            self._discard_locked()

    def close(self):
        """Stop the child for good (the window closes; any thread). A call waiting on the
        child sees it end and closes the pipes itself."""
        with self._lock:
            self._closed = True
            if not self._calling:
                self._discard_locked()
            elif self._proc is not None:
                self._proc.kill()

    def _discard_locked(self):
        proc, self._proc, self.loaded = self._proc, None, None
        if proc is None:
            return
        proc.kill()
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass

    def _wait(self, sel, deadline, cancelled):
        """Wait until the pipe in `sel` is ready; ChildFailed past the deadline."""
        while True:
            if cancelled is not None and cancelled():
                raise RenderCancelled("cancelled")
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildFailed("the raster child answered too late")
            if sel.select(min(left, POLL_S)):
                return

    def _send(self, sel, proc, data, deadline, cancelled):
        view = memoryview(data)
        sel.register(proc.stdin, selectors.EVENT_WRITE)
        while view:
            self._wait(sel, deadline, cancelled)
            try:
                view = view[os.write(proc.stdin.fileno(), view) :]
            except BlockingIOError:
                continue
        sel.unregister(proc.stdin)

    def _reader(self, sel, proc, deadline, cancelled):
        sel.register(proc.stdout, selectors.EVENT_READ)
        fd = proc.stdout.fileno()

        def read_exact(n, first=False):
            parts, got = [], 0
            while got < n:
                self._wait(sel, deadline, cancelled)
                try:
                    part = os.read(fd, min(n - got, 1 << 20))
                except BlockingIOError:
                    continue
                if not part:
                    raise ChildFailed("the raster child ended")
                parts.append(part)
                got += len(part)
            return b"".join(parts)

        return read_exact


class ChildSvg:
    """An SVG parsed and painted by the raster child; painted in this thread (LocalSvg)
    from the first failure of the child on."""

    def __init__(self, child, svg, cancelled=None):
        self.child = child
        self.svg = svg
        self.cancelled = cancelled
        self.local = None
        self._view_box = None
        if child is None:
            self.local = LocalSvg(svg)

    def view_box(self):
        if self._view_box is None:
            self._view_box = self._ask(None, [])[0]
        return self._view_box

    def boxes(self, ids):
        return self._ask(list(ids), [])[1]

    def paint(self, size, scale, region):
        picture = [*size, scale, *region]
        reply = self._ask(None, [picture])
        if self.local is not None:
            return reply
        width, height, data = reply[2][0]
        return image_from_bytes(width, height, data)

    def _ask(self, ids, pictures):
        """(view_box, boxes, pictures) from the child, or the same asked of LocalSvg."""
        if self.local is None:
            try:
                return self._from_child(ids, pictures)
            except ChildFailed:
                self.local = LocalSvg(self.svg)  # this picture in this thread
        local = self.local
        if pictures:
            return local.paint(pictures[0][:2], pictures[0][2], pictures[0][3:])
        return (local.view_box(), local.boxes(ids or ()), [])

    def _from_child(self, ids, pictures):
        same = self.child.loaded is self
        meta = {"svg": "same" if same else "new", "ids": ids, "pictures": pictures}
        blobs = [] if same else [self.svg]
        reply = self.child.call(meta, blobs, self.cancelled)
        self.child.loaded = self
        try:
            return check_reply(*reply, len(pictures))
        except WireError as exc:
            self.child.kill()
            raise ChildFailed(str(exc)) from exc

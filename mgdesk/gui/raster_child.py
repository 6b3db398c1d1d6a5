"""The raster child: `python -m mgdesk.gui.raster_child`, started by the graph thread
(gui/raster_client.py). A QGuiApplication offscreen that reads requests on stdin (an SVG,
or the same as last time; the ids wanted for hit boxes; the pictures wanted) and writes
the view box, the boxes and the raw ARGB32 pixels on stdout (mgdesk/raster_wire.py), until
stdin ends. It imports only what it paints with, so it starts quickly.
"""

import os
import signal
import sys

from mgdesk.gui.raster import LocalSvg, hit_boxes, image_bytes, paint
from mgdesk.raster_wire import WireError, encode, exact_reader, read_message

__all__ = ["main", "serve"]


def serve(request, state):
    """The reply to one request; `state` keeps the parsed SVG between requests."""
    from PySide6.QtGui import QFont, QGuiApplication

    meta, blobs = request
    font = meta.get("font")
    if font and font != state.get("font"):
        QGuiApplication.setFont(QFont(str(font[0]), int(font[1])))
        state["font"] = font
    if meta.get("svg") == "new":
        state["doc"] = None
        state["doc"] = LocalSvg(blobs[0])
    doc = state.get("doc")
    if doc is None:
        raise ValueError("no SVG to draw")
    boxes = hit_boxes(doc.qsvg, meta.get("ids") or ())
    pictures, sizes = [], []
    for width, height, scale, x, y, w, h in meta.get("pictures") or ():
        image = paint(doc.qsvg, (width, height), scale, (x, y, w, h))
        sizes.append((image.width(), image.height()))
        pictures.append(image_bytes(image))
    reply = {"view_box": doc.view_box(), "boxes": boxes, "pictures": sizes}
    return encode(reply, pictures)


def main():
    """The child: read requests on stdin, write replies on stdout, until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the window's to handle
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints go to stderr, not into the replies
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication([sys.argv[0]])  # noqa: F841  (fonts and painting need it)
    read_exact = exact_reader(sys.stdin.buffer)
    state = {}
    while True:
        try:
            request = read_message(read_exact)
        except (EOFError, WireError):
            return 0  # the window is gone, or not talking to us
        try:
            reply = serve(request, state)
        except Exception as exc:  # one bad SVG must not end the child
            reply = encode({"error": " ".join(str(exc).split()) or type(exc).__name__})
        out.write(reply)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())

"""The messages between the graph thread and its raster child (gui/raster_child.py).

A message is MAGIC, the length of a JSON header (4 bytes, big-endian), the header, then
the raw byte blobs whose lengths the header lists under "blobs". Plain data only: struct,
bytes and JSON. A reader raises WireError on anything that is not such a message,
so a child answering garbage is told apart from one answering.

    request  {"svg": "new" | "same", "ids": [svg id, ...] or null, "font": [family, pt],
              "pictures": [[width, height, scale, x, y, w, h], ...]}  + [svg bytes if new]
    reply    {"view_box": [x, y, w, h], "boxes": {id: [x, y, w, h]},
              "pictures": [[pixel width, pixel height], ...]}  + one ARGB32 blob a picture
             or {"error": "one line"}
"""

import json
import struct

__all__ = ["MAGIC", "WireError", "check_reply", "encode", "exact_reader", "read_message"]

MAGIC = b"MGR1"
MAX_HEADER = 1 << 22  # 4 MB of JSON: the hit-box ids of the biggest graphs fit
MAX_BLOB = 1 << 28  # 256 MB: an SVG or a picture (pictures are capped at 16 MB)


class WireError(Exception):
    """Bytes that are not a raster message: garbage, cut short, or too large."""


def encode(meta, blobs=()):
    """The message of `meta` (a JSON-able dict) and `blobs` (bytes-like)."""
    header = json.dumps({**meta, "blobs": [len(b) for b in blobs]}, separators=(",", ":"))
    data = header.encode()
    return b"".join([MAGIC, struct.pack(">I", len(data)), data, *blobs])


def exact_reader(stream):
    """read_exact(n) for a blocking binary stream: EOFError at a clean end before a
    message, WireError when a message is cut short."""

    def read_exact(n, first=False):
        data = stream.read(n)
        if first and not data:
            raise EOFError
        if len(data) != n:
            raise WireError("message cut short")
        return data

    return read_exact


def read_message(read_exact):
    """(meta, blobs) of the next message; `read_exact(n, first=False)` returns n bytes."""
    head = read_exact(8, first=True)
    if head[:4] != MAGIC:
        raise WireError("not a raster message")
    (size,) = struct.unpack(">I", head[4:])
    if size > MAX_HEADER:
        raise WireError("header too large")
    try:
        meta = json.loads(read_exact(size))
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError("header is not JSON") from exc
    sizes = meta.pop("blobs", None) if isinstance(meta, dict) else None
    ok = isinstance(sizes, list) and all(type(n) is int and 0 <= n <= MAX_BLOB for n in sizes)
    if not ok:
        raise WireError("header lists no blobs")
    return meta, [read_exact(n) for n in sizes]


def check_reply(meta, blobs, pictures):
    """The reply's (view_box, boxes, [(width, height, ARGB32 bytes)]) for a request of
    `pictures` pictures; WireError when it is not a well-formed answer to it."""
    try:
        view_box = tuple(float(v) for v in meta["view_box"])
        boxes = {str(k): tuple(float(v) for v in box) for k, box in meta["boxes"].items()}
        sizes = [(int(w), int(h)) for w, h in meta["pictures"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WireError("reply without its fields") from exc
    fours = len(view_box) == 4 and all(len(box) == 4 for box in boxes.values())
    if not fours or len(sizes) != pictures or len(blobs) != pictures:
        raise WireError("reply does not match the request")
    for (w, h), blob in zip(sizes, blobs, strict=True):
        if w <= 0 or h <= 0 or len(blob) != w * h * 4:
            raise WireError("picture of the wrong size")
    return view_box, boxes, [(w, h, blob) for (w, h), blob in zip(sizes, blobs, strict=True)]

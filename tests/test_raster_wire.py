"""The raster child's messages (mgdesk/raster_wire.py): what is written is read back, and
anything else is refused with WireError, never half-read."""

import io
import struct

import pytest

from mgdesk.raster_wire import MAGIC, WireError, check_reply, encode, exact_reader, read_message


def read(data):
    return read_message(exact_reader(io.BytesIO(data)))


def test_a_message_reads_back_with_its_blobs_in_order():
    data = encode({"svg": "new", "ids": ["n1", "n2"]}, [b"<svg/>", b"", bytes(range(256))])
    meta, blobs = read(data)
    assert meta == {"svg": "new", "ids": ["n1", "n2"]}
    assert blobs == [b"<svg/>", b"", bytes(range(256))]


def test_two_messages_in_a_row_read_one_at_a_time_then_the_end():
    stream = io.BytesIO(encode({"a": 1}, [b"x"]) + encode({"b": 2}))
    read_exact = exact_reader(stream)
    assert read_message(read_exact) == ({"a": 1}, [b"x"])
    assert read_message(read_exact) == ({"b": 2}, [])
    with pytest.raises(EOFError):
        read_message(read_exact)


def header(text):
    return MAGIC + struct.pack(">I", len(text)) + text


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is not a message",
        encode({"a": 1}, [b"abcdef"])[:-2],  # cut short in a blob
        encode({"a": 1})[:10],  # cut short in the header
        header(b"{not json"),
        header(b"[1, 2]"),  # JSON, but not a header
        header(b'{"blobs": [-1]}'),
        header(b'{"blobs": ["3"]}'),
        header(b'{"blobs": [1e30]}'),
        MAGIC + struct.pack(">I", 1 << 30),  # a header too large to be ours
    ],
)
def test_garbage_is_refused(data):
    with pytest.raises(WireError):
        read(data)


def reply(pictures=((2, 1),), blobs=None):
    meta = {"view_box": [0, 0, 10, 5], "boxes": {"n1": [1, 2, 3, 4]}, "pictures": pictures}
    blobs = [bytes(w * h * 4) for w, h in pictures] if blobs is None else blobs
    return meta, blobs


def test_a_good_reply_gives_the_view_box_the_boxes_and_the_pictures():
    view_box, boxes, pictures = check_reply(*reply(), 1)
    assert view_box == (0.0, 0.0, 10.0, 5.0)
    assert boxes == {"n1": (1.0, 2.0, 3.0, 4.0)}
    assert pictures == [(2, 1, bytes(8))]


@pytest.mark.parametrize(
    "meta_blobs, wanted",
    [
        (reply(), 2),  # one picture for two asked
        (reply(blobs=[bytes(7)]), 1),  # pixels missing
        (({"view_box": [0, 0, 1], "boxes": {}, "pictures": []}, []), 0),
        (({"view_box": [0, 0, 1, 1], "boxes": {"n": [1]}, "pictures": []}, []), 0),
        (({"boxes": {}, "pictures": []}, []), 0),
        (({"view_box": "abcd", "boxes": {}, "pictures": []}, []), 0),
        (reply(pictures=((0, 3),), blobs=[b""]), 1),
    ],
)
def test_a_reply_that_does_not_answer_the_request_is_refused(meta_blobs, wanted):
    with pytest.raises(WireError):
        check_reply(*meta_blobs, wanted)

"""Reading the values a worker sent back: frames of plain data, each validated on its own."""

from __future__ import annotations

from graders.portable import wire

MSG_MALFORMED = "it returned something that could not be read back as plain data"
#: the JSON layout of one frame of values (an honest frame of 500 calls' values takes some 100 kB);
#: a longer one is malformed, refused before parsing, so the grader's memory stays bounded
MAX_HEADER_BYTES = 4 * 1024 * 1024


class Frames:
    """The frames of one worker reply, each split and its JSON header read once (a malformed
    frame fails once too: the failure is remembered)."""

    def __init__(self, blob: bytes):
        self.view = memoryview(blob)
        self._split: dict[tuple[int, int], tuple[dict, memoryview, bool] | ValueError] = {}
        self._readers: dict[tuple[int, int], wire.ValueReader | ValueError] = {}

    def get(self, where) -> tuple[dict, memoryview]:
        """``(header, data)`` of the frame at ``where`` = ``[offset, length]``; ValueError if malformed."""
        header, data, _ = self.parsed(where)
        return header, data

    def raw(self, where) -> tuple[bytes, memoryview]:
        """``(header text, data)`` of the frame at ``where``, the header not parsed; ValueError if
        the frame's head does not match its length."""
        offset, length = _key(where, len(self.view))
        return wire.frame_parts(self.view[offset:offset + length], MAX_HEADER_BYTES)

    def parsed(self, where) -> tuple[dict, memoryview, bool]:
        """``(header, data, only_ints)``: as :meth:`get`, and whether the header holds no float and
        no boolean at all, so every number in it is an int (in Python, JSON's ``1.0`` and ``true``
        compare equal to 1)."""
        key = _key(where, len(self.view))
        found = self._split.get(key)
        if found is None:
            offset, length = key
            frame, floats = self.view[offset:offset + length], []

            def note_float(text):
                floats.append(text)
                return float(text)

            try:
                header, data = wire.split_frame(frame, parse_float=note_float, max_header=MAX_HEADER_BYTES)
                text = bytes(frame[wire.HEAD_SIZE:len(frame) - len(data)])
                found = (header, data, not floats and b"true" not in text and b"false" not in text)
            except (ValueError, RecursionError, UnicodeDecodeError) as error:
                found = ValueError("malformed frame (%s)" % type(error).__name__)
            self._split[key] = found
        if isinstance(found, ValueError):
            raise found
        return found

    def reader(self, where) -> wire.ValueReader:
        """A :class:`~graders.portable.wire.ValueReader` of the frame at ``where``; ValueError if malformed."""
        key = _key(where, len(self.view))
        found = self._readers.get(key)
        if found is None:
            try:
                header, data = self.get(where)
                found = wire.ValueReader(header, data, copy=False)
            except ValueError as error:
                found = error
            self._readers[key] = found
        if isinstance(found, ValueError):
            raise found
        return found


def _key(where, size: int) -> tuple[int, int]:
    if type(where) is not list or len(where) != 2:
        raise ValueError("bad frame reference")
    offset, length = where
    if type(offset) is not int or type(length) is not int or offset < 0 or length < 0 or offset + length > size:
        raise ValueError("frame out of range")
    return offset, length


def call_values(reply: dict, frames: Frames, positions: set[int] | None = None) -> dict:
    """Decode the calls' values from a worker reply: ``v<id>``, ``a<id>`` and, for a chain case,
    ``c<id>`` per call (only the
    calls whose id is in ``positions``, when given).

    The values come from student code, so each is validated on its own: a malformed one turns
    the call it belongs to into a crash of that case only.
    """
    values = {}
    for entry in reply.get("calls", []):
        frame = entry.get("frame") if isinstance(entry, dict) else None
        if frame is None or (positions is not None and entry.get("id") not in positions):
            continue
        try:
            reader, slot = frames.reader(frame), entry.get("slot", entry["id"])
            if type(slot) is not int:
                raise ValueError("bad slot")
            value = reader.get("v%d" % slot)
            after = reader.get("a%d" % slot) if ("a%d" % slot) in reader else None
            chain = reader.get("c%d" % slot) if ("c%d" % slot) in reader else None
        except (ValueError, TypeError, KeyError, RecursionError, OverflowError):
            entry.update(status="crashed", detail=MSG_MALFORMED)
            continue
        values["v%d" % entry["id"]] = value
        if after is not None:
            values["a%d" % entry["id"]] = after
        if chain is not None:
            values["c%d" % entry["id"]] = chain
    return values

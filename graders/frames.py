"""Reading the values a worker sent back: frames of plain data, each validated on its own."""

from __future__ import annotations

from graders.portable import wire

MSG_MALFORMED = "it returned something that could not be read back as plain data"


class Frames:
    """The frames of one worker reply, each split and its JSON header read once."""

    def __init__(self, blob: bytes):
        self.view = memoryview(blob)
        self._split: dict[tuple[int, int], tuple[dict, memoryview]] = {}

    def get(self, where) -> tuple[dict, memoryview]:
        """``(header, data)`` of the frame at ``where`` = ``[offset, length]``; ValueError if malformed."""
        if type(where) is not list or len(where) != 2:
            raise ValueError("bad frame reference")
        offset, length = where
        if type(offset) is not int or type(length) is not int or offset < 0 or offset + length > len(self.view):
            raise ValueError("frame out of range")
        key = (offset, length)
        if key not in self._split:
            self._split[key] = wire.split_frame(self.view[offset:offset + length])
        return self._split[key]


def call_values(reply: dict, frames: Frames, positions: set[int] | None = None) -> dict:
    """Decode the calls' values from a worker reply: ``v<id>`` and ``a<id>`` per call (only the
    calls whose id is in ``positions``, when given).

    The frames come from student code, so each value is validated on its own; a malformed one turns
    the calls that point at it into crashes of those cases only.
    """
    values = {}
    decoded: dict[tuple[int, int], dict] = {}
    for entry in reply.get("calls", []):
        frame = entry.get("frame") if isinstance(entry, dict) else None
        if frame is None or (positions is not None and entry.get("id") not in positions):
            continue
        try:
            key = tuple(frame)
            if key not in decoded:
                header, data = frames.get(frame)
                decoded[key] = wire.decode_values(header, data, copy=False)
            found, slot = decoded[key], int(entry.get("slot", entry["id"]))
        except (ValueError, TypeError, KeyError, RecursionError, OverflowError):
            entry.update(status="crashed", detail=MSG_MALFORMED)
            continue
        if "v%d" % slot not in found:
            entry.update(status="crashed", detail=MSG_MALFORMED)
            continue
        values["v%d" % entry["id"]] = found["v%d" % slot]
        if "a%d" % slot in found:
            values["a%d" % entry["id"]] = found["a%d" % slot]
    return values

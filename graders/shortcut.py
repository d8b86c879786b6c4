"""The quick verdict for a value that crossed the wire laid out as expected.

Most calls of most notebooks return what the reference returns: the same containers, the same
keys, plain float64 arrays of the same shapes. For such a call the ladder's structure, types,
shapes and dtype rungs are settled by comparing the value's wire tree with the expected value's
(small JSON trees, compared in C), and the values rung by one vectorised comparison of its packed
bytes with the expected numbers, for all such calls of a notebook at once. Nothing is decoded.

Only passes are decided here. A call that does not match the layout, whose numbers are not all
within tolerance, or that changed its inputs goes the full way (decoding, then the ladder of
:mod:`graders.portable.checks`), which alone writes failure messages. So the two ways cannot
disagree on a verdict; the quick one only saves time.
"""

from __future__ import annotations

import numpy as np

from graders.frames import Frames
from graders.portable import wire

_FLOAT64 = np.dtype(np.float64)
_MAX_SHIFTS = 64  #: trees remembered per case, one per number its first array can have in a frame
_ARRAY = ("array",)  #: stands for an array in a skeleton (JSON never holds a tuple: no value poses as it)


class ExpectedLayout:
    """The wire form of one case's expected value (dicts with their keys sorted).

    ``tree``: the wire tree, arrays numbered from 0; ``entries``: their ``[dtype, shape, offset,
    nbytes]``, offsets counted from the first array; ``flat``: all their numbers, in order.
    ``skeleton``: the tree with each array replaced by a marker and dict items sorted by key, so
    that a dict built in another order still matches.
    """

    __slots__ = ("tree", "entries", "nbytes", "flat", "skeleton", "_shifted")

    def __init__(self, expected) -> None:
        packer = wire._Packer(wire.MAX_FRAME_BYTES)
        self.tree = packer.node(_sorted_dicts(expected))
        self.entries = packer.arrays
        self.nbytes = packer.offset
        self.flat = np.frombuffer(b"".join(packer.chunks), dtype=_FLOAT64).copy()
        self.skeleton = _skeleton(self.tree, [])
        self._shifted: dict[int, object] = {0: self.tree}

    @classmethod
    def of(cls, expected) -> ExpectedLayout | None:
        """The layout of ``expected``, or None when the quick way cannot judge it (a leaf that is
        not a float64 array, or no array at all)."""
        layout = cls(expected)
        if not layout.entries or any(entry[0] != _FLOAT64.str or len(entry) != 4 for entry in layout.entries):
            return None
        return layout

    def tree_from(self, first: int):
        """The expected tree as it reads when its arrays are numbered from ``first`` in a frame."""
        tree = self._shifted.get(first)
        if tree is None:
            tree = _renumber(self.tree, first)
            if len(self._shifted) < _MAX_SHIFTS:
                self._shifted[first] = tree
        return tree

    def packed(self, tree, arrays: list, data) -> np.ndarray | None:
        """The numbers of the value ``tree`` (a node of a frame whose header lists ``arrays`` and
        whose bytes are ``data``) in the order of :attr:`flat`; None unless it has this layout."""
        count = len(self.entries)
        first = _first_array(tree)
        if type(first) is int and first >= 0 and tree == self.tree_from(first):
            span = arrays[first:first + count]  # built in the expected order: one block of bytes
            start = span[0][2] if span and type(span[0]) is list and len(span[0]) == 4 else None
            if type(start) is int and start >= 0 and start + self.nbytes <= len(data) and span == [
                    [dtype, shape, start + offset, nbytes] for dtype, shape, offset, nbytes in self.entries]:
                return np.frombuffer(data, dtype=_FLOAT64, count=self.flat.size, offset=start)
        order: list[int] = []
        if _skeleton(tree, order) != self.skeleton or len(order) != count:
            return None
        parts = []
        for index, (dtype, shape, _, nbytes) in zip(order, self.entries):
            entry = arrays[index] if type(index) is int and 0 <= index < len(arrays) else None
            if type(entry) is not list or len(entry) != 4 or entry[0] != dtype or entry[1] != shape:
                return None
            offset = entry[2]
            if entry[3] != nbytes or type(offset) is not int or offset < 0 or offset + nbytes > len(data):
                return None
            parts.append(np.frombuffer(data, dtype=_FLOAT64, count=nbytes // 8, offset=offset))
        return np.concatenate(parts)


def expected_layouts(cases) -> list[ExpectedLayout | None]:
    """One layout per case (None where only the full ladder can judge)."""
    return [ExpectedLayout.of(case.expected) for case in cases]


def _sorted_dicts(value):
    if type(value) is dict:
        return {key: _sorted_dicts(value[key]) for key in sorted(value)}
    if type(value) in (list, tuple):
        return type(value)(_sorted_dicts(item) for item in value)
    return value


def _renumber(node, first):
    if type(node) is dict:
        if "nd" in node:
            return {"nd": node["nd"] + first}
        return {key: _renumber(item, first) for key, item in node.items()}
    if type(node) is list:
        return [_renumber(item, first) for item in node]
    return node


def _first_array(node, depth=0):
    """The number of the first array a wire tree refers to (in encoding order), or None."""
    if depth > wire.MAX_DEPTH + 2:
        return None
    kind = type(node)
    if kind is dict:
        if "nd" in node:
            return node["nd"]
        children = node.get("t") or node.get("l") or node.get("d")
        if type(children) is not list:
            return None
        if "d" in node:
            children = [pair[1] for pair in children if type(pair) is list and len(pair) == 2]
        node = children
    elif kind is not list:
        return None
    for item in node:
        found = _first_array(item, depth + 1)
        if found is not None:
            return found
    return None


def _pair_key(pair):
    return pair[0]


def _skeleton(node, order, depth=0):
    """``node`` with each array replaced by :data:`_ARRAY` and dict items sorted by key; the
    arrays' numbers are appended to ``order`` as met. Raises ValueError on a malformed tree."""
    if depth > wire.MAX_DEPTH + 2:
        raise ValueError("nested too deeply")
    kind = type(node)
    if kind is list:
        return [_skeleton(item, order, depth + 1) for item in node]
    if kind is not dict:
        return node
    if "nd" in node:
        order.append(node["nd"])
        return _ARRAY
    shaped = {}
    for key, item in node.items():
        if key == "d":
            if type(item) is not list or not all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in item):
                raise ValueError("malformed dict node")
            shaped[key] = [[name, _skeleton(value, order, depth + 1)] for name, value in sorted(item, key=_pair_key)]
        elif key in ("t", "l"):
            shaped[key] = _skeleton(item, order, depth + 1)
        else:
            shaped[key] = item
    return shaped


def quick_passes(entries: dict[int, dict], frames: Frames, layouts: list[ExpectedLayout | None],
                 tolerances: list[tuple[float, float]]) -> set[int]:
    """The case positions whose calls pass by the quick way.

    ``entries``: the worker's report of each call, by case position; ``tolerances``: ``(rtol,
    atol)`` per case position.
    """
    candidates = []  # (position, numbers got, layout)
    for position, entry in entries.items():
        layout = layouts[position] if 0 <= position < len(layouts) else None
        if layout is None or entry.get("status") != "ok" or "frame" not in entry:
            continue
        try:
            header, data = frames.get(entry["frame"])
            slot = entry.get("slot", position)
            values, arrays = header.get("values"), header.get("arrays")
            if type(values) is not dict or type(arrays) is not list or ("a%d" % slot) in values:
                continue  # no values, or the call changed its inputs: the full ladder says how
            got = layout.packed(values.get("v%d" % slot), arrays, data)
        except (ValueError, TypeError, KeyError, IndexError, RecursionError):
            continue  # malformed: the full way turns it into the right verdict
        if got is not None:
            candidates.append((position, got, layout))
    if not candidates:
        return set()
    got = np.concatenate([c[1] for c in candidates])
    expected = np.concatenate([c[2].flat for c in candidates])
    sizes = [c[2].flat.size for c in candidates]
    rtol = np.repeat([tolerances[c[0]][0] for c in candidates], sizes)
    atol = np.repeat([tolerances[c[0]][1] for c in candidates], sizes)
    with np.errstate(invalid="ignore", over="ignore"):
        # the values rung's own test (NaN and inf compare False)
        bad = ~(np.abs(got - expected) <= atol + rtol * np.abs(expected))
    bad_before = np.concatenate(([0], np.cumsum(bad)))
    ends = np.cumsum(sizes)
    bad_counts = bad_before[ends] - bad_before[ends - np.array(sizes)]
    return {c[0] for c, count in zip(candidates, bad_counts.tolist()) if count == 0}

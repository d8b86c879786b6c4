"""The quick verdict for a value that crossed the wire laid out as expected.

Most calls of most notebooks return what the reference returns: the same containers, the same
keys, plain float64 arrays of the same shapes. For such a call the ladder's structure, types,
shapes and dtype rungs are settled by comparing the value's wire tree with the expected value's
(small JSON trees, compared in C), and the values rung by comparing its packed bytes with the
expected numbers, in one vectorised pass for all such calls of a notebook. Nothing is decoded.

Only passes are decided here. A call that does not match a layout, whose numbers are not all
within tolerance, or that changed its inputs goes the full way (decoding, then the ladder of
:mod:`graders.portable.checks`), which alone writes failure messages. So the two ways cannot
disagree on a verdict; the quick one only saves time.

A dict may be built in any key order. The first value seen in a new order is matched item by
item; its *form* (tree and array order) is then remembered, so later values built the same way
match at once. A whole frame laid out as one seen before (the same header text, data length and
calls: every correct notebook's frame) reuses that frame's matches without parsing its header.
What is remembered only decides how fast a value is matched, never whether.
"""

from __future__ import annotations

import numpy as np

from graders.frames import Frames
from graders.portable import wire
from graders.portable.checks import tolerance_band

_FLOAT64 = np.dtype(np.float64)
_MAX_FORMS = 8  #: forms remembered per case
_MAX_SHIFTS = 64  #: trees remembered per form, one per number its first array can have in a frame
_MAX_PLANS = 64  #: comparisons remembered, one per set of quick candidates and their forms
_MAX_FRAMES = 16  #: frame layouts remembered (each by its header text)
_MAX_FRAME_TEXT = 256 * 1024  #: a longer header is matched every time, never remembered
_ARRAY = ("array",)  #: stands for an array in a skeleton (JSON never holds a tuple: no value poses as it)


class _Form:
    """One arrangement of a value: its wire tree (arrays numbered from 0), its array entries
    ``[dtype, shape, offset from the first array, nbytes]`` in frame order, and the expected
    numbers in that same order."""

    __slots__ = ("tree", "entries", "nbytes", "expected", "kept", "_shifted", "_thresholds")

    def __init__(self, tree, entries: list, expected: np.ndarray, kept: bool = True):
        self.kept = kept  #: remembered by its layout (else used once: never part of a remembered plan)
        self.tree = tree
        self.entries = entries
        self.nbytes = sum(entry[3] for entry in entries)
        self.expected = expected
        self._shifted: dict[int, object] = {0: tree}
        self._thresholds: dict[tuple[float, float], np.ndarray] = {}

    def tree_from(self, first: int):
        """The tree as it reads when its arrays are numbered from ``first`` in a frame."""
        tree = self._shifted.get(first)
        if tree is None:
            tree = _renumber(self.tree, first)
            if len(self._shifted) < _MAX_SHIFTS:
                self._shifted[first] = tree
        return tree

    def threshold(self, rtol: float, atol: float) -> np.ndarray:
        """How far each number may be from the expected one (the values rung's test)."""
        found = self._thresholds.get((rtol, atol))
        if found is None:
            found = self._thresholds[rtol, atol] = tolerance_band(self.expected, rtol, atol)
        return found


class ExpectedLayout:
    """The wire form of one case's expected value, and the forms learned from the values met.

    ``skeleton``: the tree with each array replaced by a marker and dict items sorted by key; a
    value in another key order has the same skeleton.
    """

    __slots__ = ("entries", "sizes", "flat", "skeleton", "forms")

    def __init__(self, expected) -> None:
        packer = wire._Packer(wire.MAX_FRAME_BYTES)
        tree = packer.node(_sorted_dicts(expected))
        self.entries = [[entry[0], list(entry[1]), *entry[2:]] for entry in packer.arrays]  # as JSON reads them
        self.sizes = [entry[3] // _FLOAT64.itemsize for entry in self.entries]
        self.flat = np.frombuffer(b"".join(packer.chunks), dtype=_FLOAT64).copy()
        self.skeleton = _skeleton(tree, [])
        self.forms = [_Form(tree, self.entries, self.flat)]

    @classmethod
    def of(cls, expected) -> ExpectedLayout | None:
        """The layout of ``expected``, or None when the quick way cannot judge it (a leaf that is
        not a float64 array, an empty array, or no array at all)."""
        layout = cls(expected)
        if not layout.entries or any(entry[0] != _FLOAT64.str or len(entry) != 4 or entry[3] == 0
                                     for entry in layout.entries) or not _only_arrays(layout.skeleton):
            return None
        return layout

    def match(self, tree, arrays: list, data, only_ints: bool = False) -> tuple[_Form, int] | None:
        """``(form, start)`` when the value ``tree`` (in a frame whose header lists ``arrays`` and
        whose bytes are ``data``) has this layout: its numbers are then the float64s at ``start``
        of ``data``, in the order of ``form.expected``. None otherwise.

        ``only_ints``: the frame holds no float or boolean anywhere (see
        :meth:`graders.frames.Frames.parsed`), so the type of each number need not be checked.
        """
        if only_ints:
            first = next(_array_numbers(tree), None)
        else:
            numbers = list(_array_numbers(tree))
            if not numbers or not all(type(number) is int for number in numbers):
                return None  # the decoder takes only int array numbers (JSON's 1.0 and true equal 1 in Python)
            first = min(numbers)
        if type(first) is not int or first < 0:
            return None
        span = arrays[first:first + len(self.entries)]
        start = span[0][2] if span and type(span[0]) is list and len(span[0]) == 4 else None
        if type(start) is not int or start < 0:
            return None
        for form in self.forms:
            if tree == form.tree_from(first):
                if start + form.nbytes <= len(data) and span == [
                        [dtype, shape, start + offset, nbytes] for dtype, shape, offset, nbytes in form.entries
                ] and (only_ints or _integral(span)):
                    return form, start
                return None
        learned = self._learn(tree, first, span, start)
        if learned is None or start + learned.nbytes > len(data):
            return None
        return learned, start

    def _learn(self, tree, first: int, span: list, start: int) -> _Form | None:
        """The form of a value whose skeleton matches but whose tree is new (a dict built in
        another key order), remembered for the next values; None if it does not match."""
        order: list[int] = []
        if _skeleton(tree, order) != self.skeleton or sorted(order) != list(range(first, first + len(order))):
            return None  # (the numbers in order are ints: match() checked them)
        if len(order) != len(self.entries) or len(span) != len(order):
            return None
        rank = {index - first: position for position, index in enumerate(order)}  # frame order -> skeleton order
        entries, parts, offset = [], [], 0
        element_starts = np.concatenate(([0], np.cumsum(self.sizes)))
        for index, got in enumerate(span):
            position = rank[index]
            dtype, shape, _, nbytes = self.entries[position]
            if got != [dtype, shape, start + offset, nbytes] or not _integral([got]):
                return None
            entries.append([dtype, shape, offset, nbytes])
            parts.append(self.flat[element_starts[position]:element_starts[position + 1]])
            offset += nbytes
        form = _Form(_renumber(tree, -first), entries, np.concatenate(parts), kept=len(self.forms) < _MAX_FORMS)
        if form.kept:
            self.forms.append(form)
        return form


class QuickJudge:
    """Decides which calls of a reply pass the quick way, for one list of cases."""

    def __init__(self, cases, tolerances: list[tuple[float, float]]):
        self.layouts = [ExpectedLayout.of(case.expected) for case in cases]
        self.tolerances = tolerances
        self._plans: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._frames: dict[tuple, list] = {}

    def passes(self, entries: dict[int, dict], frames: Frames) -> set[int]:
        """The case positions whose calls pass the quick way (``entries``: the worker's report of
        each call, by case position)."""
        members: dict[tuple, list[tuple[int, int]]] = {}  # frame -> (position, slot) of its calls
        for position, entry in entries.items():
            layout = self.layouts[position] if 0 <= position < len(self.layouts) else None
            frame, slot = entry.get("frame"), entry.get("slot", position)
            if layout is None or entry.get("status") != "ok" or type(slot) is not int or type(frame) is not list \
                    or len(frame) != 2 or not all(type(number) is int for number in frame):
                continue
            members.setdefault(tuple(frame), []).append((position, slot))
        candidates: list[tuple[int, _Form, memoryview, int]] = []  # (position, form, frame bytes, start)
        for where, calls in members.items():
            try:
                text, data = frames.raw(list(where))
            except ValueError:
                continue  # malformed: the full way turns it into the right verdict
            # what is matched depends only on the header, the data's length and the calls: a frame
            # laid out as one seen before (every correct notebook's is) is not parsed again
            key = (text, len(data), tuple(calls))
            found = self._frames.get(key)
            if found is None:
                found = self._match_frame(list(where), calls, frames)
                if len(text) <= _MAX_FRAME_TEXT and all(form.kept for _, form, _ in found):
                    if len(self._frames) >= _MAX_FRAMES:
                        self._frames.pop(next(iter(self._frames)))
                    self._frames[key] = found
            candidates.extend((position, form, data, start) for position, form, start in found)
        if not candidates:
            return set()
        expected, threshold, ends = self._plan(candidates)
        with np.errstate(invalid="ignore", over="ignore"):
            bad = ~(np.abs(_numbers(candidates) - expected) <= threshold)  # NaN and inf compare False
        if not bad.any():
            return {candidate[0] for candidate in candidates}
        bad_before = np.concatenate(([0], np.cumsum(bad)))[ends]
        counts = np.diff(bad_before, prepend=0)
        return {candidate[0] for candidate, count in zip(candidates, counts.tolist()) if count == 0}

    def _match_frame(self, where: list, calls: list[tuple[int, int]], frames: Frames) -> list[tuple[int, _Form, int]]:
        """``(position, form, start)`` of each call of one frame whose value has its case's layout."""
        found: list[tuple[int, _Form, int]] = []
        try:
            header, data, only_ints = frames.parsed(where)
        except ValueError:
            return found
        values, arrays = header.get("values"), header.get("arrays")
        if type(values) is not dict or type(arrays) is not list:
            return found
        for position, slot in calls:
            if ("a%d" % slot) in values:
                continue  # the call changed its inputs: the full ladder says how
            layout = self.layouts[position]
            if layout is None:
                continue
            try:
                match = layout.match(values.get("v%d" % slot), arrays, data, only_ints)
            except (ValueError, TypeError, KeyError, IndexError, RecursionError, OverflowError):
                continue  # malformed: the full way turns it into the right verdict
            if match is not None:
                found.append((position, match[0], match[1]))
        return found

    def _plan(self, candidates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The expected numbers, thresholds and each candidate's end, all candidates end to end."""
        key = tuple((candidate[0], id(candidate[1])) for candidate in candidates)
        plan = self._plans.get(key)
        if plan is None:
            forms = [candidate[1] for candidate in candidates]
            expected = np.concatenate([form.expected for form in forms])
            threshold = np.concatenate([form.threshold(*self.tolerances[candidate[0]])
                                        for candidate, form in zip(candidates, forms)])
            ends = np.cumsum([form.expected.size for form in forms])
            plan = (expected, threshold, ends)
            if len(self._plans) < _MAX_PLANS and all(form.kept for form in forms):
                self._plans[key] = plan
        return plan


def _numbers(candidates) -> np.ndarray:
    """The candidates' numbers end to end: one view per run of values packed back to back."""
    runs: list[np.ndarray] = []
    _, form, run_data, run_start = candidates[0]
    run_end = run_start + form.nbytes
    for _, form, data, start in candidates[1:]:
        if data is run_data and start == run_end:
            run_end += form.nbytes
            continue
        runs.append(np.frombuffer(run_data, dtype=_FLOAT64, count=(run_end - run_start) // 8, offset=run_start))
        run_data, run_start, run_end = data, start, start + form.nbytes
    runs.append(np.frombuffer(run_data, dtype=_FLOAT64, count=(run_end - run_start) // 8, offset=run_start))
    return runs[0] if len(runs) == 1 else np.concatenate(runs)


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


def _array_numbers(node, depth=0):
    """The numbers of the arrays a wire tree refers to, in encoding order (lazily: the first one
    comes without walking the rest). Raises ValueError on a tree nested too deeply."""
    if depth > wire.MAX_DEPTH + 2:
        raise ValueError("nested too deeply")
    kind = type(node)
    if kind is list:
        for item in node:
            yield from _array_numbers(item, depth + 1)
    elif kind is dict:
        if "nd" in node:
            yield node["nd"]
            return
        for key, item in node.items():
            if key == "d" and type(item) is list:
                for pair in item:
                    if type(pair) is list and len(pair) == 2:
                        yield from _array_numbers(pair[1], depth + 1)
            elif key in ("t", "l"):
                yield from _array_numbers(item, depth + 1)


def _only_arrays(skeleton) -> bool:
    """Are all the leaves of a skeleton arrays? (A number leaf would compare equal to a bool.)"""
    if skeleton is _ARRAY:
        return True
    if type(skeleton) is list:
        return all(_only_arrays(item) for item in skeleton)
    if type(skeleton) is dict and set(skeleton) <= {"t", "l", "d"}:
        if "d" in skeleton:
            return all(_only_arrays(pair[1]) for pair in skeleton["d"])
        return _only_arrays(skeleton.get("t", skeleton.get("l")))
    return False


def _integral(entries: list) -> bool:
    """Are the offsets, sizes and dimensions of these (equal-looking) array entries all ints?"""
    for entry in entries:
        if type(entry[2]) is not int or type(entry[3]) is not int:
            return False
        for dimension in entry[1]:
            if type(dimension) is not int:
                return False
    return True


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

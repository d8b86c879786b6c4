"""Name a likely mistake: does a student's code behave exactly like a known wrong variant?

The grader and the students' self-check both decide it here, from plain data only. The grader
runs the wrong variants itself (see :mod:`graders.diagnosis`); the self-check reads what they did
on the public cases from the public case file, which ``dnngrade cases`` writes. Either way the
evidence is compared with the same rules, so the notebook names the same mistake as the grade
whenever the public cases show it.

What "behaves like" means, case by case:

* the student's call returned: the variant returned too, with the same structure and values
  within the case's tolerance (NaN equals NaN here, since a variant may reproduce a NaN);
* the student's call raised: the variant raised too, and when the student's error text is known,
  with the same type and message (a ``(cell 3, line 2)`` suffix is ignored);
* when the student's arguments after the call are known, the variant left its own in the same
  state (how in-place mistakes, whose returned values are right, are recognised).

A variant is named only when it differs from the right answer on at least one case of the
evidence, so code that is right wherever it ran is never given a diagnosis; and only when every
matching variant gives the same sentence.

This module depends on NumPy and the standard library only: it is shipped to students.
"""

import re
from collections.abc import Mapping

import numpy as np

from .checks import close_entries
from .wire import Foreign, Subclassed

MSG_DIAGNOSIS = "Likely mistake: {sentence}"
MSG_DEPENDENCY = (
    "{name} calls {dependency}, which fails its own checks: fix {dependency} first, its errors carry over here."
)


class Run:
    """What one wrong variant did on one case, as plain data.

    ``wrong`` says whether that differs from the right answer (a wrong value, or an error);
    ``changed`` whether the variant changed its arguments in place.
    """

    __slots__ = ("returned", "value", "args_after", "error", "wrong", "changed", "changes")

    def __init__(self, returned, value=None, args_after=None, error="", wrong=True, changed=False, changes=()):
        self.returned = returned
        self.value = value
        self.args_after = args_after
        self.error = error
        self.wrong = wrong
        self.changed = changed
        self.changes = sorted(changes)  #: how it changed them: ``rebound``, ``in_place`` (see changes_since)


def behaves_like(runs, case_ids, outputs, args_after=None, errors=None, rtol=1e-5, atol=1e-8, changes=None):
    """Whether a variant, whose run on case ``i`` is ``runs[i]``, behaves like the student's code.

    ``outputs`` maps the id of each case where the student's call returned to its value;
    ``case_ids`` lists every case that returned or raised. ``args_after`` and ``errors`` (both
    optional, by case id) give the student's arguments after the call and the text of their errors;
    ``changes`` (optional, by case id) how the call changed its arguments, which tells a dictionary
    given new arrays from arrays changed in place when the values after the call are the same.
    """
    changes = changes or {}
    args_after = args_after or {}
    errors = errors or {}
    evidence = differs = False
    for case_id in case_ids:
        run = runs[case_id]
        if case_id in outputs:
            if not run.returned or not same_value(outputs[case_id], run.value, rtol, atol):
                return False
            evidence = True
            differs = differs or run.wrong
        else:
            if run.returned:
                return False
            differs = True
            if case_id in errors:
                if not same_error(errors[case_id], run.error):
                    return False
                evidence = True
        if args_after.get(case_id) is not None and run.returned:
            if not same_value(args_after[case_id], run.args_after, rtol, atol):
                return False
            differs = differs or run.changed
        if changes.get(case_id) is not None and run.returned and sorted(changes[case_id]) != run.changes:
            return False
    return evidence and differs


def array_snapshot(args):
    """What :func:`changes_since` compares against: the arrays inside ``args`` and their contents."""
    arrays = _arrays(args, [])
    return arrays, [(array.shape, array.dtype, array.tobytes()) for array in arrays]


def changes_since(snapshot, args):
    """How a call changed ``args`` since ``snapshot``, in the worker's words: ``"rebound"`` when the
    containers hold other arrays (``d["key"] = ...``), ``"in_place"`` when an array given to the
    call holds other values (``-=``, ``+=``, slice assignment); ``[]`` when neither."""
    given, contents = snapshot
    now = _arrays(args, [])
    found = [] if len(now) == len(given) and all(a is b for a, b in zip(now, given)) else ["rebound"]
    if any((array.shape, array.dtype, array.tobytes()) != before for array, before in zip(given, contents)):
        found.append("in_place")
    return found


def _arrays(value, found):
    if isinstance(value, np.ndarray):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _arrays(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _arrays(item, found)
    return found


def one_diagnosis(sentences):
    """The sentence all matching variants agree on, or None (no match, or two different mistakes)."""
    found = set(sentences)
    return found.pop() if len(found) == 1 else None


_WHERE = re.compile(r"\s*\((?:cell \d+|In \[\d+\]|line \d+).*\)\s*$", re.S)  # the worker's place, code included


def same_error(student, variant):
    """Same exception type and message; a ``(In [3], line 2)`` or ``(cell 3, line 2)`` suffix is
    ignored."""
    def normal(text):
        return " ".join(_WHERE.sub("", str(text)).split())[:200]

    return normal(student) == normal(variant)


def same_value(a, b, rtol, atol):
    """Whether two plain-data values have the same structure and values within tolerance.

    Tuples and lists count as the same kind of sequence (the ladder accepts either); numbers,
    NumPy scalars and 0-d arrays compare as numbers; arrays must agree in shape and in kind
    (floating, integer/bool, complex). NaN equals NaN. The tolerance is ``|a - b| <= atol +
    rtol * |b|``, as on the values rung.
    """
    if isinstance(a, Foreign) or isinstance(b, Foreign):
        return isinstance(a, Foreign) and isinstance(b, Foreign) and a.type_name == b.type_name
    if isinstance(a, Subclassed) or isinstance(b, Subclassed):
        return (isinstance(a, Subclassed) and isinstance(b, Subclassed) and a.cls == b.cls
                and same_value(a.value, b.value, rtol, atol))
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        return (isinstance(a, Mapping) and isinstance(b, Mapping) and set(a) == set(b)
                and all(same_value(a[key], b[key], rtol, atol) for key in a))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same_value(x, y, rtol, atol) for x, y in zip(a, b)))
    return _same_numbers(a, b, rtol, atol)


def _same_numbers(a, b, rtol, atol):
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):  # flags: NumPy cannot subtract them
        return isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)) and bool(a) == bool(b)
    if not isinstance(a, (int, float, complex, np.generic, np.ndarray)):
        return False
    if not isinstance(b, (int, float, complex, np.generic, np.ndarray)):
        return False
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        return False
    if x.ndim > 0 and _kind(x) != _kind(y):
        return False
    try:
        with np.errstate(invalid="ignore", over="ignore"):
            close = close_entries(x, y, rtol, atol) & np.isfinite(y)
            if close.all():
                return True
            both_nan = np.isnan(x) & np.isnan(y)  # NaN equals NaN here; inf only equals the same inf
            return bool(np.all(close | both_nan | (x == y)))
    except TypeError:
        return False


def _kind(array):
    return {"b": "i", "u": "i"}.get(array.dtype.kind, array.dtype.kind)

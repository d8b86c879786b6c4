"""Name a student's mistake: find the known wrong variant that behaves exactly like their code.

When a graded function loses points, the grader passes what the student's function did on each
case (the returned values, as plain data) to :func:`diagnose`. Each wrong variant of that function
in :mod:`assignments.dnn_step_by_step.mistakes` is run here, in the grader's own trusted process,
on the same cases, and the variant that behaves like the student's code on *every* case gives
its diagnosis sentence. Student code never runs here; variants are our own code.

What "behaves like" means, case by case:

* the student's call returned (its case id is in ``outputs``): the variant returns too, with the
  same structure and values within the case's tolerance (the spec's ``rtol``/``atol``; NaN equals
  NaN here, since a variant may reproduce a NaN);
* the student's call did not return (raised; its id is absent from ``outputs``): the variant
  raises too, and when ``errors`` gives the student's error text, with the same type and message
  (the worker's ``(cell 3, line 2)`` suffix is ignored);
* when ``args_after`` gives the student's arguments after the call, the variant left its
  arguments in the same state. This is how mistakes that only change the caller's arrays in place
  (``update_parameters`` with ``-=`` on the caller's arrays) are recognised: their returned values
  are right, and only the ``inputs_unmodified`` rung sees them. Without ``args_after`` such a
  variant cannot be told apart from a right answer and is never named.

A variant is named only when the evidence shows it differs from the reference on at least one
case, so a submission that is right on every case it ran is never given a diagnosis; and only
when the matching variants agree on the sentence, so evidence that fits two different mistakes
(two variants that both raise on every case the student's code raised on, when ``errors`` is not
given) names neither. Diagnosis sentences are fixed text: they never quote expected values,
hidden or public.

Pass the cases that were run to completion or raised; leave out cases that timed out, crashed or
were not run, which say nothing about the code's logic.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import reference.dnn
import reference.dnn_utils
from assignments.dnn_step_by_step.mistakes import Variant, wrong_variants
from graders.cases import Case
from graders.portable.casefile import encode_value
from graders.portable.wire import Foreign, Subclassed, roundtrip
from graders.spec import load_spec


@dataclass(frozen=True)
class Run:
    """What one variant did on one case, as plain data (the form the worker's values arrive in)."""

    returned: bool
    value: object = None  #: the returned value, through the wire round trip
    args_after: object = None  #: the argument list after the call, through the wire round trip
    error: str = ""  #: ``"TypeName: message"`` when the call raised


def diagnose(
    function: str,
    outputs: Mapping[str, object],
    cases: Sequence[Case],
    args_after: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str | None:
    """The diagnosis sentence of the wrong variant that behaves like the student's code, or None.

    Parameters
    ----------
    function : str
        The graded function that lost points.
    outputs : mapping
        Case id -> the student's returned value as decoded plain data, for the cases where the
        call returned normally.
    cases : sequence of Case
        The cases of ``function`` that ran (returned or raised); cases of other functions are
        ignored.
    args_after : mapping, optional
        Case id -> the student's argument list after the call (plain data).
    errors : mapping, optional
        Case id -> the student's error text, ``"TypeName: message"``, for cases that raised.

    Returns
    -------
    str or None
        A sentence for the student, or None when no known mistake matches.
    """
    found = matching_variant(function, outputs, cases, args_after, errors)
    return found.diagnosis if found else None


def matching_variant(
    function: str,
    outputs: Mapping[str, object],
    cases: Sequence[Case],
    args_after: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Variant | None:
    """The wrong variant of ``function`` that behaves like the student's code (see the module doc).

    None when no variant matches, or when variants with different diagnoses all match.
    """
    cases = [case for case in cases if case.function == function]
    if not cases:
        return None
    rtol, atol = _tolerance(function)
    found = [candidate for candidate in wrong_variants(function)
             if _matches(candidate, outputs, cases, args_after or {}, errors or {}, rtol, atol)]
    if len({candidate.diagnosis for candidate in found}) != 1:
        return None  # nothing matches, or the evidence cannot tell two mistakes apart
    return found[0]


def _matches(candidate, outputs, cases, args_after, errors, rtol, atol) -> bool:
    evidence = differs = False
    for case in cases:
        run = run_variant(candidate, case)
        if case.id in outputs:
            if not run.returned or not same_value(outputs[case.id], run.value, rtol, atol):
                return False
            evidence = True
            differs = differs or _differs_from_expected(candidate, case, run, rtol, atol)
        else:
            if run.returned:
                return False
            differs = True
            if case.id in errors:
                if not _same_error(errors[case.id], run.error):
                    return False
                evidence = True
        if args_after.get(case.id) is not None and run.returned:
            if not same_value(args_after[case.id], run.args_after, rtol, atol):
                return False
            differs = differs or not same_value(run.args_after, list(case.args), 0.0, 0.0)
    return evidence and differs


_WHERE = re.compile(r"\s*\((?:cell|line)[^()]*\)\s*$")


def _same_error(student: str, variant: str) -> bool:
    """Same exception type and message; the worker's ``(cell 3, line 2)`` suffix is ignored."""
    def normal(text):
        return " ".join(_WHERE.sub("", str(text)).split())[:200]

    return normal(student) == normal(variant)


@lru_cache(maxsize=None)
def _tolerance(function: str) -> tuple[float, float]:
    spec = load_spec().functions[function]
    return spec.rtol, spec.atol


# -- running variants in this process -----------------------------------------------------------

_RUNS: dict[tuple[str, str], Run] = {}


def run_variant(candidate: Variant, case: Case) -> Run:
    """Call ``candidate`` on ``case`` the way the grader calls a student's function (memoised).

    NumPy's global seed is set to ``case.seed`` right before the call when the case has one, as
    the grader does; the caller's random state is restored afterwards.
    """
    key = (candidate.id, _case_key(case))
    if key not in _RUNS:
        _RUNS[key] = _run(candidate, case)
    return _RUNS[key]


_DIFFERS: dict[tuple[str, str], bool] = {}


def _differs_from_expected(candidate: Variant, case: Case, run: Run, rtol: float, atol: float) -> bool:
    """Whether the variant's value on ``case`` is wrong (memoised: it does not depend on the student)."""
    key = (candidate.id, _case_key(case))
    if key not in _DIFFERS:
        _DIFFERS[key] = not same_value(run.value, case.expected, rtol, atol)
    return _DIFFERS[key]


_CASE_KEYS: dict[int, tuple[Case, str]] = {}


def _case_key(case: Case) -> str:
    """A digest of what the case feeds the function (memoised per case object, which it keeps alive)."""
    known = _CASE_KEYS.get(id(case))
    if known is not None and known[0] is case:
        return known[1]
    tree = case.args_wire if case.args_wire is not None else encode_value(list(case.args))
    text = json.dumps([case.function, case.seed, tree], sort_keys=True)
    key = hashlib.sha1(text.encode("utf-8")).hexdigest()
    _CASE_KEYS[id(case)] = (case, key)
    return key


def _run(candidate: Variant, case: Case) -> Run:
    function = variant_function(candidate)
    args = copy.deepcopy(list(case.args))
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if case.seed is not None:
                np.random.seed(case.seed)
            value = function(*args)
    except Exception as error:  # noqa: BLE001 - a raising variant is a result, not a fault
        return Run(False, error="%s: %s" % (type(error).__name__, error))
    finally:
        np.random.set_state(state)
    plain = roundtrip({"value": value, "args_after": args})
    return Run(True, plain["value"], plain["args_after"])


_FUNCTIONS: dict[str, object] = {}


def variant_function(candidate: Variant):
    """The callable defined by ``candidate.source``, built once per process.

    The source runs in a fresh namespace holding ``np``, the ``dnn_utils`` helpers and the
    reference solutions of every graded function, as a notebook with the other functions solved
    would; the variant's own definition then replaces the reference of its function.
    """
    if candidate.id not in _FUNCTIONS:
        _FUNCTIONS[candidate.id] = _exec_variant(candidate)[candidate.function]
    return _FUNCTIONS[candidate.id]


def _exec_variant(candidate: Variant) -> dict:
    namespace: dict = {"__name__": "variant", "np": np}
    for helper in ("sigmoid", "sigmoid_backward", "relu", "relu_backward"):
        namespace[helper] = getattr(reference.dnn_utils, helper)
    for name in reference.dnn.GRADED_FUNCTIONS:
        namespace[name] = getattr(reference.dnn, name)
    exec(compile(candidate.source, "<variant %s>" % candidate.id, "exec"), namespace)
    return namespace


# -- comparing plain data -----------------------------------------------------------------------


def same_value(a: object, b: object, rtol: float, atol: float) -> bool:
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
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
                and all(same_value(a[key], b[key], rtol, atol) for key in a))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same_value(x, y, rtol, atol) for x, y in zip(a, b, strict=True)))
    return _same_numbers(a, b, rtol, atol)


def _same_numbers(a, b, rtol, atol) -> bool:
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
            close = (np.abs(x - y) <= atol + rtol * np.abs(y)) & np.isfinite(y)
            if close.all():
                return True
            both_nan = np.isnan(x) & np.isnan(y)  # NaN equals NaN here; inf only equals the same inf
            return bool(np.all(close | both_nan | (x == y)))
    except TypeError:
        return False


def _kind(array: np.ndarray) -> str:
    return {"b": "i", "u": "i"}.get(array.dtype.kind, array.dtype.kind)

"""Name a student's mistake: find the known wrong variant that behaves exactly like their code.

When a graded function loses points, the grader passes what the student's function did on each
case (the returned values, as plain data) to :func:`diagnose`. Each wrong variant of that function
in the pack's mistake library (its ``mistakes`` module) is run here, in the grader's own trusted process,
on the same cases, and the variant that behaves like the student's code on *every* case gives
its diagnosis sentence. Student code never runs here; variants are our own code.

What "behaves like" means is decided by :func:`graders.portable.likely.behaves_like`, which the
students' self-check also uses on the variants' public runs stored in the public case file (see
:func:`public_runs`). Diagnosis sentences are fixed text: they never quote expected values,
hidden or public.

Pass the cases that were run to completion or raised; leave out cases that timed out, crashed or
were not run, which say nothing about the code's logic.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from graders.assignment import Assignment, current
from graders.cases import Case
from graders.portable.casefile import encode_value
from graders.portable.checks import graded_part, parameter_names, restore_squeezed
from graders.portable.likely import Run, array_snapshot, behaves_like, changes_since, one_diagnosis, same_value
from graders.portable.wire import roundtrip

Variant = Any  #: an entry of a pack's mistake library (``id``, ``function``, ``kind``, ``source``, ``diagnosis``)


def wrong_variants(function: str | None = None, pack: Assignment | None = None) -> list:
    """The wrong variants of ``function`` (of every function when None) in the pack's library."""
    return list((pack or current()).mistakes.wrong_variants(function))


def diagnose(
    function: str,
    outputs: Mapping[str, object],
    cases: Sequence[Case],
    args_after: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
    changes: Mapping[str, list] | None = None,
    squeezable: tuple[str, ...] = (),
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
    changes : mapping, optional
        Case id -> how the student's call changed its arguments (the worker's ``changes``).
    squeezable : tuple of str, optional
        Returned items the notebook's convention lets come back squeezed (``Call.squeezable``):
        ``outputs`` hold them as the columns they stand for, and so are the variants' compared.

    Returns
    -------
    str or None
        A sentence for the student, or None when no known mistake matches.
    """
    found = matching_variant(function, outputs, cases, args_after, errors, changes, squeezable)
    return found.diagnosis if found else None


def matching_variant(
    function: str,
    outputs: Mapping[str, object],
    cases: Sequence[Case],
    args_after: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
    changes: Mapping[str, list] | None = None,
    squeezable: tuple[str, ...] = (),
) -> Variant | None:
    """The wrong variant of ``function`` that behaves like the student's code (see the module doc).

    None when no variant matches, or when variants with different diagnoses all match.
    """
    cases = [case for case in cases if case.function == function]
    if not cases:
        return None
    rtol, atol = _tolerance(function)
    ids = [case.id for case in cases]
    outputs = {case_id: graded_part(function, value) for case_id, value in outputs.items()}
    found = [candidate for candidate in wrong_variants(function)
             if behaves_like(_Runs(candidate, cases, squeezable), ids, outputs, args_after, errors, rtol, atol,
                             changes)]
    sentence = one_diagnosis(candidate.diagnosis for candidate in found)
    return next((candidate for candidate in found if candidate.diagnosis == sentence), None)


class _Runs(Mapping):
    """Case id -> the variant's :class:`Run` on that case, computed when first asked for."""

    def __init__(self, candidate: Variant, cases: Sequence[Case], squeezable: tuple[str, ...] = ()):
        self.candidate = candidate
        self.cases = {case.id: case for case in cases}
        self.squeezable = squeezable

    def __getitem__(self, case_id: str) -> Run:
        run = run_variant(self.candidate, self.cases[case_id])
        if not self.squeezable or not run.returned:
            return run
        case = self.cases[case_id]
        value = restore_squeezed(case.function, case.expected, run.value, self.squeezable)
        return Run(True, value, run.args_after, run.error, run.wrong, run.changed, run.changes)

    def __iter__(self) -> Iterator[str]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)


@lru_cache(maxsize=None)
def _tolerance(function: str) -> tuple[float, float]:
    spec = current().spec.functions[function]
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
    snapshot = array_snapshot(args)
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            if case.seed is not None:
                np.random.seed(case.seed)
            value = function(*args)  # what it prints is not ours to show (stdout may be JSON)
    except Exception as error:  # noqa: BLE001 - a raising variant is a result, not a fault
        return Run(False, error="%s: %s" % (type(error).__name__, error))
    finally:
        np.random.set_state(state)
    plain = roundtrip({"value": graded_part(case.function, value), "args_after": args})
    rtol, atol = _tolerance(case.function)
    return Run(True, plain["value"], plain["args_after"],
               wrong=not same_value(plain["value"], graded_part(case.function, case.expected), rtol, atol),
               changed=not same_value(plain["args_after"], list(case.args), 0.0, 0.0),
               changes=changes_since(snapshot, args))


_FUNCTIONS: dict[str, object] = {}


def variant_function(candidate: Variant):
    """The callable defined by ``candidate.source``, built once per process.

    The source runs in a fresh namespace holding ``np``, the pack's helpers and the reference
    solutions of every graded function, as a notebook with the other functions solved would; the
    variant's own definition then replaces the reference of its function.
    """
    if candidate.id not in _FUNCTIONS:
        _FUNCTIONS[candidate.id] = _exec_variant(candidate)[candidate.function]
    return _FUNCTIONS[candidate.id]


def _exec_variant(candidate: Variant) -> dict:
    namespace: dict = dict(current().solution_namespace(), __name__="variant")
    exec(compile(candidate.source, "<variant %s>" % candidate.id, "exec"), namespace)
    return namespace


# -- the evidence the self-check uses -----------------------------------------------------------


def public_runs(cases: Sequence[Case], pack: Assignment | None = None) -> list[dict]:
    """What each wrong variant does on the public ``cases``, as entries of the public case file.

    The students' self-check matches a failing function against these with the grader's own
    rules (:func:`graders.portable.likely.behaves_like`). Only variants that go wrong on some of
    these cases are listed (the others can never be named from them); a variant whose values
    cannot be stored as case-file JSON (NaN, infinity, a foreign object) is left out, and so is
    one that does exactly what a variant listed before it does on these cases (only hidden cases
    tell the two apart; the library lists the more common mistake first).
    """
    entries = []
    seen: set[tuple[str, str]] = set()
    for candidate in wrong_variants(None, pack):
        mine = [case for case in cases if case.function == candidate.function]
        runs = {case.id: run_variant(candidate, case) for case in mine}
        if not any(run.wrong or run.changed for run in runs.values()):
            continue
        try:
            encoded = {case_id: _encode_run(run) for case_id, run in runs.items()}
            evidence = (candidate.function, json.dumps(encoded, allow_nan=False, sort_keys=True))
        except (TypeError, ValueError):
            continue
        if evidence in seen:
            continue
        seen.add(evidence)
        entries.append({"id": candidate.id, "function": candidate.function,
                        "diagnosis": candidate.diagnosis, "runs": encoded})
    return entries


def _encode_run(run: Run) -> dict:
    if not run.returned:
        return {"returned": False, "error": run.error[:300]}
    entry = {"returned": True, "value": encode_value(run.value), "wrong": run.wrong}
    if run.changed:
        entry["args_after"] = encode_value(run.args_after)
    if run.changes:
        entry["changes"] = list(run.changes)
    return entry


def variant_outcome(candidate: Variant, run: Run) -> dict:
    """The worker's report of a call, as the variant's ``run`` would have made it (for the ladder)."""
    if not run.returned:
        return {"status": "error", "detail": run.error}
    return {"status": "ok", "changes": list(run.changes), "arg_names": parameter_names(variant_function(candidate))}

"""A mistake costs points once: a function that fails because a graded helper it calls fails is
graded again with a correct helper in that helper's place.

The trust boundary stays where it is. The worker never receives the solution or an expected value.
The caller's cases run again (cells first, as always) with a stand-in bound to the helper's name;
each call of the stand-in goes to this process as plain data (an "ask" on the worker's channel,
see :meth:`graders.sandbox.worker.WorkerProcess.run`), which checks it (a helper this run stands in
for, arguments of bounded size, nothing but arrays, numbers, strings and containers), computes the
correct helper's answer and sends it back. A helper that raises on those arguments answers with a
short error. The child waits for each answer, so one run does it all.

Only the caller's own cases run and only the caller's result changes: it keeps the better of its
two results, and the feedback says which helper to fix. Notebooks whose functions all pass, or
whose failing functions call no failing helper, cost nothing more.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import re
import types
from dataclasses import dataclass, replace

import numpy as np

from graders.cases import Case
from graders.frames import MAX_HEADER_BYTES
from graders.portable import sealed as sealing
from graders.portable import wire
from graders.portable.likely import MSG_DIAGNOSIS
from graders.result import FunctionResult
from graders.spec import AssignmentSpec

MAX_CALLS = 1_000  #: stand-in calls answered per function in one run (a model of L layers makes L per case)
MAX_SIDE = 256  #: longest side of an array a request may hold (hidden cases stay far below)
MAX_ELEMENTS = 200_000  #: array entries in one request at most
MAX_ANSWERS_BYTES = 8 * 1024 * 1024  #: answers sent per function in one run

MSG_RIGHT_WITH_HELPER = (
    "{name} is right when given a correct {helper}: fix {fix}; that mistake costs points there, not here."
)
MSG_PARTLY_RIGHT_WITH_HELPER = (
    "Graded again with a correct {helper} in place of yours, {name} passes {passed} of {total} cases: "
    "fix {fix} first, then look at the cases that still fail here."
)
MSG_WRONG_WITH_HELPER = (
    "Even with a correct {helper} in place of yours, {name} fails: its own code has a mistake too."
)
MSG_UNDEFINED_WITH_HELPER = (
    "Even with a correct {helper} in place of yours, {name} fails: {undefined} when it runs "
    "(see below), which no correct {helper} can mend."
)
MSG_CASE_WITH_HELPER = (
    "with a correct {helper} in place of yours this case still fails its \"{rung}\" check; "
    "fix {fix}, then grade again to see what is wrong here."
)
MSG_HELPER_ERROR = "the correct {helper}, standing in for yours, could not run on these arguments ({kind})"
MSG_NOT_ANSWERED = (
    "the grader's correct {helper} answers calls on numbers, strings, plain 1-D or 2-D arrays of up to "
    "%d per side and containers of them; this call passed {why}" % MAX_SIDE
)
MSG_TOO_MANY_CALLS = "it called {helper} more often than the grader answers in one run ({calls} calls)"


class RetryUnavailable(Exception):
    """The worker could not run the retry; a fresh worker may."""


@dataclass
class Retry:
    """What grading a caller again with correct helpers did."""

    name: str
    helpers: tuple[str, ...]
    result: FunctionResult | None  #: its result in that run (None: the run could not finish)
    calls: int  #: stand-in calls answered


def helpers_to_replace(spec: AssignmentSpec, functions: list[FunctionResult],
                       cell_sources: list[str]) -> dict[str, tuple[str, ...]]:
    """Failing functions whose own code calls a failing graded helper, with those helpers."""
    from graders.scoring import function_body

    failed = {result.name for result in functions if result.status == "failed"}
    found = {}
    for result in functions:
        if result.name not in failed:
            continue
        body = function_body(cell_sources, result.name)
        if body is None:
            continue
        helpers = tuple(helper for helper in spec.functions[result.name].depends_on
                        if helper in failed and re.search(r"\b%s\s*\(" % re.escape(helper), body))
        if helpers:
            found[result.name] = helpers
    return found


def _solution():
    from graders.assignment import current

    return current().solution


def _plain_size(value, depth: int = 0) -> int:
    """Array entries in ``value``; raises ValueError for anything but plain data of bounded size."""
    if depth > wire.MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray or value.ndim > 2 or any(side > MAX_SIDE for side in value.shape):
            raise ValueError("array of shape %s" % (value.shape,))
        return int(value.size)
    if value is None or type(value) in (bool, int, float, str) or isinstance(value, np.generic):
        return 1
    if type(value) in (list, tuple):
        return sum(_plain_size(item, depth + 1) for item in value)
    if type(value) is dict and all(type(key) is str for key in value):
        return sum(_plain_size(item, depth + 1) for item in value.values())
    raise ValueError("a %s" % type(value).__name__)


def _nbytes(value) -> int:
    """Bytes an answer takes in the table (arrays' data plus a little for everything else)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 64
    if isinstance(value, (list, tuple)):
        return sum(map(_nbytes, value)) + 16
    if isinstance(value, dict):
        return sum(map(_nbytes, value.values())) + 16 * len(value)
    return 16 + (len(value) if isinstance(value, str) else 0)


def answer(helper: str, request, solution=None) -> tuple[bool, object]:
    """``(True, value)``: the correct ``helper``'s answer to one call from the worker, ``request``
    = ``{"args": [...], "kwargs": {...}}`` as decoded from the child's frame; ``(False, why)``
    when the call cannot be answered (arguments too large or not plain data, or the correct helper
    raises on them: then only the exception's type is said)."""
    args = request.get("args") if type(request) is dict else None
    kwargs = request.get("kwargs") if type(request) is dict else None
    if type(args) is not list or type(kwargs) is not dict:
        return False, MSG_NOT_ANSWERED.format(helper=helper, why="something that is not plain data")
    try:
        size = _plain_size(args) + _plain_size(kwargs)
    except ValueError as error:
        return False, MSG_NOT_ANSWERED.format(helper=helper, why=str(error)[:80])
    if size > MAX_ELEMENTS:
        return False, MSG_NOT_ANSWERED.format(helper=helper, why="%d array entries" % size)
    function = getattr(solution or _solution(), helper)
    try:
        with np.errstate(all="ignore"):
            value = function(*args, **kwargs)
        _plain_size(value)
        return True, value
    except Exception as error:  # noqa: BLE001 - the student's arguments made it fail
        return False, MSG_HELPER_ERROR.format(helper=helper, kind=type(error).__name__)


#: answers already computed in this process, by helper and the exact bytes of the call's arguments:
#: correct notebooks make the same calls on the same cases, and an answer depends on nothing else
_ANSWERS: dict[tuple[str, bytes], tuple[bool, object]] = {}
_REMEMBERED_BYTES = [0]
MAX_REMEMBERED_BYTES = 16 * 1024 * 1024  #: what the answers kept may take; the oldest go first
MAX_REMEMBERED_ANSWER = 64 * 1024  #: a larger answer (not one of the cases' sizes) is not kept


def _remember(key: tuple[str, bytes], found: tuple[bool, object]) -> None:
    size = _nbytes(found[1]) + len(key[1]) + 64
    if size > MAX_REMEMBERED_ANSWER:
        return
    while _ANSWERS and _REMEMBERED_BYTES[0] + size > MAX_REMEMBERED_BYTES:
        oldest = next(iter(_ANSWERS))
        _REMEMBERED_BYTES[0] -= _nbytes(_ANSWERS.pop(oldest)[1]) + len(oldest[1]) + 64
    _ANSWERS[key] = found
    _REMEMBERED_BYTES[0] += size


class Answerer:
    """Answers the stand-in calls of one run: a call of a helper that the function of the case it
    comes from gets a stand-in for, within that function's budget (:data:`MAX_CALLS` calls and
    :data:`MAX_ANSWERS_BYTES` of answers), so one caller's calls never use up another's."""

    def __init__(self, wanted: dict[str, tuple[str, ...]], functions: dict[int, str], solution=None):
        self.wanted = wanted
        self.functions = functions  #: case id -> its function, for the cases of the run
        self.solution = solution
        self.calls: dict[str, int] = {}
        self.used: dict[str, int] = {}

    def __call__(self, helper: str, case: int | None, frame: bytes) -> tuple[bool, object]:
        function = self.functions.get(case) if case is not None else None
        if function is None or helper not in self.wanted.get(function, ()):
            return False, "no stand-in for %s in this call" % helper[:40]
        calls = self.calls[function] = self.calls.get(function, 0) + 1
        if calls > MAX_CALLS:
            return False, MSG_TOO_MANY_CALLS.format(helper=helper, calls=MAX_CALLS)
        key = (helper, hashlib.sha256(frame).digest())
        found = _ANSWERS.get(key) if self.solution is None else None
        if found is None:
            try:
                header, data = wire.split_frame(frame, max_header=MAX_HEADER_BYTES)
                request = wire.decode_values(header, data)
            except (ValueError, TypeError, KeyError, RecursionError, OverflowError, UnicodeDecodeError):
                return False, MSG_NOT_ANSWERED.format(helper=helper, why="something that is not plain data")
            found = answer(helper, request, self.solution)
            if self.solution is None:
                _remember(key, found)
        ok, value = found
        if ok:
            used = self.used[function] = self.used.get(function, 0) + _nbytes(value)
            if used > MAX_ANSWERS_BYTES:
                return False, MSG_TOO_MANY_CALLS.format(helper=helper, calls=calls)
        return ok, value


#: sealed answers already computed in this process, by case id and the helpers standing in: they
#: depend on the case and the reference alone
_TABLES: dict[tuple[str, tuple[str, ...]], dict[str, dict[str, str]]] = {}
_TABLES_BYTES = [0]  #: what they take
MAX_TABLES_BYTES = 16 * 1024 * 1024  #: what the tables kept may take; beyond it none are kept


def helper_params(helpers, solution=None) -> dict[str, list[str]]:
    """The parameter names of each correct helper (how the child names a call, whatever way its
    arguments are passed)."""
    solution = solution or _solution()
    return {helper: list(inspect.signature(getattr(solution, helper)).parameters) for helper in helpers}


def _table_bytes(table: dict[str, dict[str, str]]) -> int:
    return sum(len(index) + len(sealed) for entries in table.values() for index, sealed in entries.items())


def foreseen(case: Case, helpers: tuple[str, ...], solution=None) -> dict[str, dict[str, str]]:
    """The sealed answers (see :mod:`graders.portable.sealed`) to the calls of ``helpers`` that the
    reference ``case.function`` makes on the case's inputs: helper -> {index: sealed, base64}.

    The reference caller runs here, in the trusted process, with each helper replaced by a recorder
    that answers exactly as an ask would be answered (the arguments sent through the wire first),
    so a submission whose calls match these bit for bit gets the answers the grader would send."""
    remembered = solution is None
    key = (case.id, tuple(helpers))
    if remembered and key in _TABLES:
        return _TABLES[key]
    solution = solution or _solution()
    params = helper_params(helpers, solution)
    table: dict[str, dict[str, str]] = {helper: {} for helper in helpers}

    def recorder(helper):
        def record(*args, **kwargs):
            request = wire.roundtrip({"args": list(args), "kwargs": dict(kwargs)})
            ok, value = answer(helper, request, solution)
            if not ok:
                raise _Unforeseen()
            blob = wire.encode_frame({}, {"value": value})
            call = sealing.call_bytes(params[helper], args, kwargs)
            if call is not None:
                index, sealed = sealing.seal(call, blob)
                table[helper][index] = sealed
            return wire.decode_values(*wire.split_frame(blob))["value"]
        return record

    caller = getattr(solution, case.function)
    names = dict(caller.__globals__, **{helper: recorder(helper) for helper in helpers})
    clone = types.FunctionType(caller.__code__, names, caller.__name__, caller.__defaults__, caller.__closure__)
    # a call the correct helper cannot answer ends the recording: the answers recorded so far stay
    # right, and later calls are asked
    with contextlib.suppress(Exception), np.errstate(all="ignore"):
        clone(*wire.roundtrip({"args": case.args})["args"])
    size = _table_bytes(table)
    if remembered and _TABLES_BYTES[0] + size <= MAX_TABLES_BYTES:
        _TABLES[key] = table
        _TABLES_BYTES[0] += size
    return table


class _Unforeseen(Exception):
    """The reference caller made a call the correct helper cannot answer (no sealed answer)."""


def sealed_tables(cases: list[Case], positions: list[int], wanted: dict[str, tuple[str, ...]],
                  solution=None) -> list[dict[str, dict[str, str]]]:
    """Each position's sealed answers, in the run's order, within :data:`sealing.MAX_TABLE_BYTES`."""
    tables, budget = [], sealing.MAX_TABLE_BYTES
    for position in positions:
        table = foreseen(cases[position], wanted[cases[position].function], solution)
        size = _table_bytes(table)
        if size > budget:
            table, size = {}, 0
        budget -= size
        tables.append(table)
    return tables


def retry_callers(worker, spec: AssignmentSpec, cases: list[Case], cells: list[str],
                  wanted: dict[str, tuple[str, ...]], quick=None) -> dict[str, Retry]:
    """Run the cases of every caller in ``wanted`` with correct stand-ins for its helpers (see the
    module's docstring). All callers run together, each case with its own function's stand-ins."""
    from graders.scoring import score_functions

    positions = [p for p, case in enumerate(cases) if case.function in wanted]
    answerer = Answerer(wanted, {p: cases[p].function for p in positions})
    every = sorted({helper for helpers in wanted.values() for helper in helpers})
    limits = {"stand_ins": {name: list(helpers) for name, helpers in wanted.items()},
              "sealed": sealed_tables(cases, positions, wanted), "helper_params": helper_params(every)}
    reply, blob = worker.run(cells, positions, limits, answer=answerer)
    if reply.get("refused") or reply.get("retire"):
        # in a pipeline the next notebook ran first in this worker and stopped its zygote
        raise RetryUnavailable("the worker stopped before the run (%s)" % ("refused" if reply.get("refused")
                                                                           else "retired"))
    # (only verdicts and the diagnosis of this run are kept, see merge: no wrong value is described)
    scored = score_functions(spec, cases, reply, blob, cells, quick, stand_ins=wanted, words=False)
    results = {r.name: r for r in scored}
    return {name: Retry(name, helpers, results[name], answerer.calls.get(name, 0))
            for name, helpers in wanted.items()}


def merge(original: FunctionResult, retry: Retry, roots: dict[str, tuple[str, ...]]) -> FunctionResult:
    """The caller's result after its retry: the better of the two, with a note saying which
    function to fix (``roots``: helpers that were right when given correct helpers of their own,
    and which those are).

    From the retry only verdicts carry over (each case's rung, credit, and the grader's own
    diagnosis sentence), never a message built from what the submission returned or raised: in
    that run its code held answers of the correct helper, which must not reach the feedback.
    """
    helper = " and ".join(retry.helpers)
    run = retry.result
    if run is None:
        return original
    diagnosis = [MSG_DIAGNOSIS.format(sentence=run.diagnosis)] if run.diagnosis else []
    if run.score <= original.score:
        # its helper is not (or not only) what is wrong: say so instead of "fix the helper first"
        notes = [note for note in original.notes if not note.startswith("%s calls " % original.name)]
        undefined = _undefined_names(original)
        notes.append(MSG_UNDEFINED_WITH_HELPER.format(name=original.name, helper=helper, undefined=undefined)
                     if undefined else MSG_WRONG_WITH_HELPER.format(name=original.name, helper=helper))
        return FunctionResult(original.name, original.score, original.max_score, original.cases,
                              notes + [note for note in diagnosis if note not in notes],
                              diagnosis=original.diagnosis or run.diagnosis)
    at_fault: list[str] = []
    for name in retry.helpers:
        at_fault.extend(f for f in roots.get(name, (name,)) if f not in at_fault)
    fix = " and ".join(at_fault)
    if run.status == "passed":
        return FunctionResult(original.name, run.score, run.max_score, run.cases,
                              [MSG_RIGHT_WITH_HELPER.format(name=original.name, helper=helper, fix=fix)])
    passed = sum(1 for c in run.cases if c.passed)
    notes = [MSG_PARTLY_RIGHT_WITH_HELPER.format(name=original.name, helper=helper, fix=fix,
                                                 passed=passed, total=len(run.cases))]
    notes.extend(diagnosis)
    before = {case.case_id: case for case in original.cases}

    def still_failing(case):
        # raised in both runs: the error the student's own run gave (never this run's) says where
        mine = before.get(case.case_id)
        if case.rung == "callable" and mine is not None and mine.rung == "callable":
            return replace(case, message=mine.message)
        return replace(case, message=MSG_CASE_WITH_HELPER.format(helper=helper, rung=case.rung, fix=fix))

    cases = [case if case.passed else still_failing(case) for case in run.cases]
    return FunctionResult(original.name, run.score, run.max_score, cases, notes, diagnosis=run.diagnosis)


def _undefined_names(result: FunctionResult) -> str:
    """"x is not defined" or "x and y are not defined" when every failing case of ``result``
    stopped on a name that is not defined (a failed import, not the function's own formula), else ""."""
    from graders.scoring import UNDEFINED_NAME

    failing = [case for case in result.cases if not case.passed]
    found = [UNDEFINED_NAME.search(case.message) if case.rung == "callable" else None for case in failing]
    if not failing or not all(found):
        return ""
    names = sorted({match.group(1) for match in found if match})
    return "%s %s not defined" % (" and ".join(names), "is" if len(names) == 1 else "are")


def regrade_callers(worker, spec: AssignmentSpec, cases: list[Case], cells: list[str],
                    functions: list[FunctionResult], quick=None) -> list[FunctionResult]:
    """``functions`` with every caller of a failing helper graded again (see the module)."""
    wanted = helpers_to_replace(spec, functions, cells)
    if not wanted:
        return functions
    retries = retry_callers(worker, spec, cases, cells, wanted, quick)
    roots: dict[str, tuple[str, ...]] = {}  # a caller right with correct helpers -> the functions to fix
    merged = []
    for result in functions:  # helpers come before their callers in the spec
        if result.name in retries:
            result = merge(result, retries[result.name], roots)
            if result.status == "passed":
                found: list[str] = []
                for helper in retries[result.name].helpers:
                    found.extend(f for f in roots.get(helper, (helper,)) if f not in found)
                roots[result.name] = tuple(found)
        merged.append(result)
    return merged

"""Turn a worker's plain-data reply into scores and feedback (trusted side only)."""

from __future__ import annotations

import re

from graders.cases import Case
from graders.frames import Frames, call_values
from graders.notebook import cell_name
from graders.portable.checks import (
    MSG_PASSED,
    PASSED,
    RETURN_NAMES,
    Call,
    Verdict,
    extra_keys,
    item_calls,
    judge_calls,
    judge_chain,
    restore_squeezed,
    steps_reached,
)
from graders.portable.likely import MSG_DEPENDENCY, MSG_DIAGNOSIS
from graders.result import CaseResult, FunctionResult, NotebookEvent
from graders.shortcut import QuickJudge
from graders.spec import AssignmentSpec

MSG_CELL_MAY_DEFINE = "{cell} failed ({detail}); if it was meant to define {name}, fix that cell first."
MSG_CELL_ERROR = "{cell} raised {detail}. The cells after it still ran."
MSG_CELL_TIMEOUT = "{cell} was stopped: {detail}. The cells after it still ran."
MSG_CELL_CRASHED = "{cell} crashed the process that ran it ({detail}). The cells after it still ran."
MSG_OUTPUT_CAPPED = "{cell} printed more than the grader keeps; the rest of its output was dropped."
MSG_NOT_RUN = "the grading of this notebook stopped before this case"
MSG_ASSERTS = (
    "An assert in your code failed on {count} of {total} cases ({where}). The grader does not stop "
    "at an assert: it judged the values the function returned."
)
MSG_ASSERTS_IN_CALLEE = (
    "An assert in {callee}, which {name} calls, failed on {count} of {total} cases ({where}). The "
    "grader does not stop at an assert: it judged the values {name} returned."
)
MSG_ASSERTS_HARMLESS = (
    " Those values are right, so the assert cost nothing: it assumes something that does not hold "
    "for every valid input (a course template's assert can, too)."
)


def case_credit(rung: str, partial_credit: dict[str, float]) -> float:
    """The fraction of a case's share earned when it stopped at ``rung`` (see assignment.toml)."""
    if rung == PASSED:
        return 1.0
    reached = steps_reached(rung)
    return float(partial_credit.get(reached[-1], 0.0)) if reached else 0.0


MAX_CELL_EVENTS = 50  #: cells named one by one in a result; the rest are counted in one event
MSG_MORE_CELLS = ("... and {count} more cells that failed, hung or printed too much ({kinds}); "
                  "fix the first ones above, the others often follow from them.")


MSG_COURSE_TESTS = (
    "{cells} {verb} the course's own test helpers ({names}), which come from a module the grader "
    "does not load ({modules}); {those} stopped there. That costs nothing: the grader runs its own "
    "cases on your functions."
)
_NAME_ERROR = re.compile(r"^NameError: name '(\w+)' is not defined")


def _course_helper(detail: str, starred: list[str], sources: list[str]) -> str | None:
    """The name a cell missed when it is a course test helper: a NameError for a name that no
    cell defines, in a notebook that star-imports one of the course's test modules."""
    found = _NAME_ERROR.match(detail)
    if not found or not starred:
        return None
    name = found.group(1)
    defined = re.compile(r"^\s*(def\s+%s\b|%s\s*=|import\s.*\b%s\b|from\s.*\b%s\b)"
                         % ((re.escape(name),) * 4), re.M)
    return None if any(defined.search(source) for source in sources) else name


def _starred_course_modules(sources: list[str]) -> list[str]:
    from graders.assignment import current

    modules = current().standins
    if not modules:
        return []
    star = re.compile(r"^\s*from\s+(%s)\s+import\s+\*" % "|".join(map(re.escape, modules)), re.M)
    return sorted({m for source in sources for m in star.findall(source)})


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def notebook_events(cell_reports: list[dict], omitted: dict | None = None,
                    cell_sources: list[str] | None = None) -> list[NotebookEvent]:
    """Events for cells that failed, hung, crashed or printed too much (1-based cell numbers):
    the first ``MAX_CELL_EVENTS``, then one event counting the rest (with ``omitted``, the counts
    by status of the cells the worker did not report one by one). Cells that stopped only because
    a course test helper is missing (see :func:`_course_helper`) make one informational
    ``course_tests`` event instead."""
    sources = cell_sources or []
    failed = any(report.get("status") == "error" for report in cell_reports if isinstance(report, dict))
    starred = _starred_course_modules(sources) if failed else []
    course: list[tuple[int, str, str]] = []
    events: list[NotebookEvent] = []
    more: dict[str, int] = {}
    for status, count in (omitted or {}).items():
        if type(count) is int and count > 0:
            more[str(status)[:20]] = more.get(str(status)[:20], 0) + count
    for report in cell_reports:
        if len(events) >= MAX_CELL_EVENTS:
            status = str(report.get("status"))[:20] if report.get("status") != "ok" else "output"
            more[status] = more.get(status, 0) + 1
            continue
        cell = int(report.get("index", 0)) + 1
        label = _capital(cell_name(sources, cell - 1))
        status, detail = report.get("status"), str(report.get("detail", ""))[:600]
        helper = _course_helper(detail, starred, sources) if status == "error" else None
        if helper:
            course.append((cell, label, helper))
        elif status == "error":
            events.append(NotebookEvent("cell_error", MSG_CELL_ERROR.format(cell=label, detail=detail), cell))
        elif status == "timeout":
            events.append(NotebookEvent("cell_timeout", MSG_CELL_TIMEOUT.format(cell=label, detail=detail), cell))
        elif status == "crashed":
            events.append(NotebookEvent("cell_crashed", MSG_CELL_CRASHED.format(cell=label, detail=detail), cell))
        if report.get("output_capped"):
            events.append(NotebookEvent("output_capped", MSG_OUTPUT_CAPPED.format(cell=label), cell))
    if course:
        cells = [cell for cell, _, _ in course]
        names = sorted({name for _, _, name in course})
        cell_words = ", ".join([course[0][1]] + [cell_name(sources, cell - 1) for cell in cells[1:]])
        events.append(NotebookEvent("course_tests", MSG_COURSE_TESTS.format(
            cells=cell_words, verb="uses" if len(cells) == 1 else "use",
            names=", ".join(names[:4]) + (", ..." if len(names) > 4 else ""),
            modules=", ".join(starred), those="it" if len(cells) == 1 else "they"), cells[0]))
    if more:
        kinds = ", ".join("%s: %d" % (status, count) for status, count in sorted(more.items()))
        events.append(NotebookEvent("cell_error", MSG_MORE_CELLS.format(count=sum(more.values()), kinds=kinds)))
    return events


MSG_ITEMS_RIGHT = " ({right} {verb} right on this case, which keeps {percent:g}% of its points.)"
#: rungs of a returned value
SPLIT_RUNGS = ("structure", "types", "shapes", "dtype", "values", "inputs_unmodified", "precision")


def _split_by_item(spec: AssignmentSpec, cases: list[Case], calls: dict[int, Call], verdicts: dict[int, Verdict],
                   credits: dict[int, float], messages: dict[int, str]) -> None:
    """Partial credit per returned item (``items`` in assignment.toml): a failing case of a
    function that returns several items earns each item's share by that item's own rung, so a
    wrong item no longer zeroes the right ones. Only ever raises a case's credit."""
    jobs = []
    for position, call in calls.items():
        items = spec.functions[cases[position].function].items
        # a function that still holds a template's placeholder is not implemented yet: the
        # template's own items (`cache = (A, W, b)`) earn nothing
        if (items is None or call.stub or verdicts[position].passed
                or verdicts[position].rung not in SPLIT_RUNGS):
            continue
        parts = item_calls(call, items)
        if parts:
            jobs.append((position, items, parts))
    if not jobs:
        return
    judged = iter(judge_calls([part for _, _, parts in jobs for _, part in parts], words=False))
    for position, items, parts in jobs:
        earned, right = 0.0, []
        for item, _ in parts:
            verdict = next(judged)
            share = 1.0 / len(parts) if items == "keys" else float(items[item])  # type: ignore[index]
            earned += share * case_credit(verdict.rung, spec.partial_credit)
            if verdict.passed:
                right.append(item)
        if earned > credits[position] + 1e-9 and right:
            credits[position] = earned
            if 0 < len(right) < len(parts):
                names = _item_words(cases[position].function, right)
                messages[position] += MSG_ITEMS_RIGHT.format(right=names, verb="is" if len(right) == 1 else "are",
                                                             percent=round(100 * earned, 1))


_CHAIN_STATUSES = ("ok", "error", "timeout", "missing")


def _chain_runs(raw, steps: int) -> list[tuple[str, object]]:
    """A chain case's step reports (``[status, value or detail]`` each, untrusted) made safe: a
    malformed one reads as an error of that step."""
    runs: list[tuple[str, object]] = []
    for index in range(steps):
        run = raw[index] if type(raw) is list and index < len(raw) else None
        if type(run) is not list or len(run) != 2 or run[0] not in _CHAIN_STATUSES:
            runs.append(("error", "an unreadable report"))
        elif run[0] == "error":
            runs.append(("error", str(run[1])[:300]))
        else:
            runs.append((run[0], run[1]))
    return runs


def _judge_chains(spec: AssignmentSpec, cases: list[Case], reply: dict, frames: Frames, values: dict,
                  verdicts: dict[int, Verdict], credits: dict[int, float], messages: dict[int, str]) -> None:
    """Chain cases (``Case.then``) whose own value passed fail when one of the student's next
    functions, right on its own cases, goes wrong on that value (see checks.judge_chain). Only a
    value with keys the expected one lacks is judged, so only calls judged in full (decoded) can
    be: a value the quick judge passed has exactly the expected keys."""
    positions = [p for p, case in enumerate(cases) if case.then and verdicts[p].passed
                 and extra_keys(values.get("v%d" % p), case.expected)]
    if not positions:
        return
    own: dict[str, bool] = {}
    for p, case in enumerate(cases):
        if not case.then:
            own[case.function] = own.get(case.function, True) and bool(verdicts[p].passed)
    fine = {name for name, passed in own.items() if passed}
    tolerances = {name: (f.rtol, f.atol) for name, f in spec.functions.items()}
    for p in positions:
        case = cases[p]
        steps = list(case.then or ())
        runs = _chain_runs(values.get("c%d" % p), len(steps))  # none reported: each step reads as an error
        verdict = judge_chain(case.function, steps, runs, case.then_expected or [], tolerances, fine,
                              values.get("v%d" % p), case.expected)
        if verdict is not None:
            verdicts[p] = verdict
            credits[p] = case_credit(verdict.rung, spec.partial_credit)
            messages[p] = verdict.message


MSG_PUBLIC_ONLY = (
    "{name} gives the right values on the public examples but on none of the hidden cases, so the "
    "public examples earn no more than the hidden cases do. Code that returns the printed numbers, or "
    "that only works for the example's sizes, does this: make it compute from its arguments."
)


def _public_needs_hidden(spec: AssignmentSpec, cases: list[Case], verdicts: dict[int, Verdict],
                         credits: dict[int, float]) -> set[str]:
    """A public case earns its points only when its function has the right values on some hidden
    case too (see assignment.toml); else it earns at most its best hidden case's credit. Returns the
    functions whose public cases were capped."""
    capped = set()
    for name in spec.functions:
        hidden = [p for p, case in enumerate(cases) if case.function == name and case.visibility == "hidden"]
        if not hidden or any("values" in steps_reached(verdicts[p].rung) for p in hidden):
            continue
        best = max(credits[p] for p in hidden)
        for p, case in enumerate(cases):
            if case.function == name and case.visibility == "public" and credits[p] > best + 1e-9:
                credits[p] = best
                capped.add(name)
    return capped


def _item_words(function: str, items: list[str]) -> str:
    """``Z``, ``x and y`` or ``params["k1"], params["k2"] and ...``: the items, named."""
    root = RETURN_NAMES.get(function)
    words = [item if isinstance(root, tuple) else '%s["%s"]' % (root, item) for item in items]
    if len(words) > 4:
        words = words[:3] + ["%d more" % (len(words) - 3)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def case_tolerances(spec: AssignmentSpec, cases: list[Case]) -> list[tuple[float, float]]:
    """``(rtol, atol)`` of each case (its function's)."""
    return [(spec.functions[case.function].rtol, spec.functions[case.function].atol) for case in cases]


def score_functions(spec: AssignmentSpec, cases: list[Case], reply: dict, blob: bytes,
                    cell_sources: list[str] | None = None,
                    quick: QuickJudge | None = None,
                    stand_ins: dict[str, tuple[str, ...]] | None = None,
                    words: bool = True) -> list[FunctionResult]:
    """Judge every case and score every function of ``spec`` from a worker's reply and the frames
    of its values (``blob``).

    Calls that pass the quick way (see :mod:`graders.shortcut`; ``quick`` is made here when not
    given, but keeping one for many replies is faster) are not decoded. The other calls of a
    function that fails somewhere are all decoded and judged by the ladder, since the diagnosis of
    its mistake looks at every case. ``cell_sources`` lets the feedback point at a failed cell that
    defines a missing function. ``stand_ins`` (a retry's: caller -> the helpers a correct one stood
    in for) keeps a caller's failure from being put down to a helper it did not call in that run.
    ``words=False`` (a retry, whose messages are never shown) leaves wrong values undescribed.
    """
    cell_reports = []
    for report in reply.get("cells", []):
        if isinstance(report, dict) and report.get("status") != "ok":
            index = report.get("index")
            sources = cell_sources or []
            source = sources[index] if isinstance(index, int) and 0 <= index < len(sources) else ""
            label = _capital(cell_name(cell_sources, index)) if isinstance(index, int) else "A cell"
            cell_reports.append(dict(report, source_head=source, label=label))
    outcomes = {entry.get("id"): entry for entry in reply.get("calls", []) if isinstance(entry, dict)}
    frames = Frames(blob)
    judge = quick or QuickJudge(cases, case_tolerances(spec, cases))
    tolerances = judge.tolerances
    passed = judge.passes({p: outcomes[p] for p in range(len(cases)) if p in outcomes}, frames)
    whole = {case.function for p, case in enumerate(cases) if p not in passed}  # functions judged in full
    full = [p for p, case in enumerate(cases) if case.function in whole]
    # what the notebook's source says about conventions and stubs matters only for calls judged in full
    squeezable = spec.squeezable_items(cell_sources or []) if full else ()
    stubs = stub_functions(cell_sources or [], sorted(whole)) if full else set()
    values = call_values(reply, frames, set(full))
    calls = {}
    for position in full:
        case = cases[position]
        outcome = outcomes.get(position) or {"status": "not_run", "detail": MSG_NOT_RUN}
        calls[position] = Call(case.function, outcome, case.expected, case.args, values.get("v%d" % position),
                               values.get("a%d" % position), rtol=tolerances[position][0],
                               atol=tolerances[position][1], hidden=case.visibility == "hidden", label=case.label,
                               may_change_if_first=spec.functions[case.function].may_change_if_first,
                               squeezable=squeezable, stub=case.function in stubs)
    verdicts = dict(zip(full, judge_calls([calls[p] for p in full], words=words)))
    for position in passed:
        if position not in verdicts:
            verdicts[position] = Verdict(PASSED, True, MSG_PASSED.format(name=cases[position].function))
    credits = {p: case_credit(verdicts[p].rung, spec.partial_credit) for p in verdicts}
    messages = {p: verdicts[p].message for p in verdicts}
    _split_by_item(spec, cases, calls, verdicts, credits, messages)
    _judge_chains(spec, cases, reply, frames, values, verdicts, credits, messages)
    capped = _public_needs_hidden(spec, cases, verdicts, credits)
    positions_of: dict[str, list[int]] = {}
    for position, case in enumerate(cases):
        positions_of.setdefault(case.function, []).append(position)
    results = []
    for name, fspec in spec.functions.items():
        positions = positions_of.get(name, [])
        case_results = [
            CaseResult(case_id=cases[p].id, visibility=cases[p].visibility, label=cases[p].label,
                       rung=verdicts[p].rung, passed=verdicts[p].passed, credit=round(credits[p], 6),
                       message=messages[p], timed_out=(outcomes.get(p) or {}).get("status") == "timeout")
            for p in positions
        ]
        mean = sum(c.credit for c in case_results) / len(case_results) if case_results else 0.0
        results.append(FunctionResult(name=name, score=round(fspec.points * mean, 4), max_score=fspec.points,
                                      cases=case_results))
    for result in results:
        if result.name in capped:
            result.notes.append(MSG_PUBLIC_ONLY.format(name=result.name))
    for result in results:
        if any(case.rung == "precision" for case in result.cases):
            line = _narrow_float_line(function_body(cell_sources or [], result.name))
            if line:
                result.notes.append(MSG_PRECISION_LINE.format(name=result.name, line=line))
    for result in results:
        positions = positions_of.get(result.name, [])
        result.notes.extend(_slow_notes(spec, [(cases[p], outcomes.get(p) or {}) for p in positions]))
        result.notes.extend(_assert_notes(result, [outcomes.get(p) or {} for p in positions]))
    failed = {r.name for r in results if r.status == "failed"}
    for result in results:
        if result.status != "failed":
            continue
        body = function_body(cell_sources or [], result.name)
        replaced = (stand_ins or {}).get(result.name, ())
        broken = [d for d in spec.functions[result.name].depends_on
                  if d in failed and d not in replaced
                  and (body is None or re.search(r"\b%s\s*\(" % re.escape(d), body))]
        if broken:
            # its own code may be right: the mistake is in a function it calls
            result.notes.append(MSG_DEPENDENCY.format(name=result.name, dependency=broken[0]))
        else:
            positions = positions_of.get(result.name, [])
            failing = {c.case_id for c in result.cases if not c.passed}
            fspec = spec.functions[result.name]
            # (a function whose cases all passed the quick way fails only on a chain case, which says why)
            notes, result.diagnosis = _diagnosis_notes(
                result.name, [(cases[p], calls[p]) for p in positions if p in calls], failing, fspec.rtol, fspec.atol)
            result.notes.extend(notes)
        result.notes.extend(_cell_notes(result.name, result.cases, cell_reports))
        result.notes.extend(_import_notes(result.cases, cell_reports, spec.imports))
    return results


MSG_IMPORT_FAILED = (
    "{cell} failed ({detail}), so {name}, which it imports, is undefined in every cell after "
    "it: fix that cell first."
)
MSG_IMPORT_MISSING = (
    "{name} is not defined in any cell that ran: it comes from `{line}`, a line of the assignment's "
    "first code cell. Put that line back at the top of the notebook and run it."
)
UNDEFINED_NAME = re.compile(r"NameError: name '(\w+)' is not defined")  #: in a case's message


def _import_notes(case_results: list[CaseResult], cell_reports: list[dict], imports=()) -> list[str]:
    """Point at a failed cell that imports the name a function's calls found undefined; failing
    that, at the line of the pack's first cell (``imports``) that would define it."""
    for case in case_results:
        found = UNDEFINED_NAME.search(case.message) if case.rung == "callable" else None
        if not found:
            continue
        name = re.escape(found.group(1))
        binds = re.compile(r"^\s*(import\s+[\w.]+\s+as\s+%s\b|import\s+%s\b|from\s+\S+\s+import\s+.*\b%s\b)"
                           % (name, name, name), re.M)
        for report in cell_reports:
            if report.get("status") != "ok" and binds.search(report.get("source_head", "")):
                return [MSG_IMPORT_FAILED.format(cell=report.get("label", "A cell"), name=found.group(1),
                                                 detail=str(report.get("detail", ""))[:200])]
        line = next((line for line in imports if binds.search(line)), None)
        if line:
            return [MSG_IMPORT_MISSING.format(name=found.group(1), line=line)]
    return []


_STUB_LINE = re.compile(r"^[ \t]+[^#\n]*\S[ \t]*=[ \t]*None[ \t]*(#.*)?$", re.M)


MSG_PRECISION_LINE = "{name}'s float32 likely comes from this line of yours: `{line}`."
_NARROW_FLOAT = re.compile(r"float32|float16|\bsingle\b|\bhalf\b|['\"]f[24]['\"]")


def _narrow_float_line(body: str | None) -> str | None:
    """The first line of ``body`` that asks for float32 or float16 (shortened), or None."""
    for line in (body or "").splitlines():
        code = line.split("#", 1)[0].strip()
        if code and _NARROW_FLOAT.search(code):
            return code if len(code) <= 100 else code[:97] + "..."
    return None


def stub_functions(cell_sources: list[str], names: list[str]) -> set[str]:
    """The graded functions whose last definition still holds a course template's placeholder:
    a line that sets something to None (``W1 = None``, ``Z, cache = None``) or
    ``raise NotImplementedError``."""
    found = set()
    for name in names:
        body = function_body(cell_sources, name)
        if body is None:
            continue
        # (the placeholder regex is slow on long bodies: only a body that says None can hold one)
        if "raise NotImplementedError" in body or ("None" in body and _STUB_LINE.search(body)):
            found.add(name)
    return found


def function_body(cell_sources: list[str], name: str) -> str | None:
    """The body of the last top-level definition of ``name`` in the cells, or None."""
    head = "def %s(" % name
    sources = [source for source in cell_sources if head in source]
    if not sources:
        return None
    body = sources[-1].split(head, 1)[1]
    body = body.split("\n", 1)[1] if "\n" in body else ""
    end = re.search(r"^\S", body, re.M)  # the next top-level line ends the function
    return body[:end.start()] if end else body


MSG_SLOW = (
    "{name} ran out of time on {count} of its {total} cases: {where} it was stopped after "
    "{seconds:g} s, where the reference finishes in {reference} on the same inputs. {hint}"
)
MSG_SLOW_HINT = (
    "Look for a Python loop over the examples or over the entries of an array (NumPy's operations "
    "on whole arrays do that work at once), or for a loop that never ends."
)
#: the reference's time is said coarsely, so the same notebook gets the same words on any machine
_REFERENCE_BUCKETS = (0.01, 0.1, 1.0, 10.0)


class _Fields(dict):
    def __missing__(self, key):
        return "{%s}" % key


def _reference_seconds(name: str, case: Case) -> str:
    """How long the reference takes on ``case``'s inputs, as "under 0.1 s" (measured here, in the
    trusted process, only for a function that ran out of time)."""
    import contextlib
    import copy
    import io
    import time

    try:
        import numpy as np

        from graders.assignment import current

        function = current().reference(name)
        args = copy.deepcopy(case.args)
        if case.seed is not None:
            np.random.seed(case.seed)
        with contextlib.redirect_stdout(io.StringIO()):
            start = time.perf_counter()
            function(*args)
            spent = time.perf_counter() - start
    except Exception:  # the words are a courtesy; grading never depends on them
        return "a fraction of that"
    bucket = next((b for b in _REFERENCE_BUCKETS if spent < b), None)
    return "under %g s" % bucket if bucket else "%.0f s" % spent


def _slow_notes(spec: AssignmentSpec, case_outcomes: list[tuple[Case, dict]]) -> list[str]:
    """Say how much slower than the reference a function that ran out of time is, and where to look
    (the pack's ``slow_hint``, with the first such case's scalar arguments filled in)."""
    slow = [(case, outcome) for case, outcome in case_outcomes if outcome.get("status") == "timeout"]
    if not slow:
        return []
    case, outcome = slow[0]
    fspec = spec.functions[case.function]
    fields = _Fields({arg: value for arg, value in zip(fspec.arguments, case.args)
                      if isinstance(value, (bool, int, float, str))}, name=case.function)
    hint = fspec.slow_hint.format_map(fields) if fspec.slow_hint else MSG_SLOW_HINT
    seconds = outcome.get("seconds")
    return [MSG_SLOW.format(name=case.function, count=len(slow), total=len(case_outcomes), where=_where(case),
                            seconds=seconds if isinstance(seconds, (int, float)) else 0,
                            reference=_reference_seconds(case.function, case), hint=hint)]


def _assert_notes(result: FunctionResult, outcomes: list[dict]) -> list[str]:
    """Say where the student's asserts failed, and that they did not cost points by themselves."""
    failing = [o["asserts_failed"] for o in outcomes if isinstance(o.get("asserts_failed"), list)
               and o["asserts_failed"]]
    if not failing:
        return []
    places = sorted({str(w) for places in failing for w in places})
    # the worker says in which function each assert is ("In [3], line 7, in f")
    inside = {place.rpartition(", in ")[2] if ", in " in place else "" for place in places}
    where = ", ".join(place.rpartition(", in ")[0] if ", in " in place else place for place in places[:3])
    callee = inside.pop() if len(inside) == 1 else ""
    if callee and callee != result.name:
        note = MSG_ASSERTS_IN_CALLEE.format(callee=callee, name=result.name, count=len(failing),
                                            total=len(outcomes), where=where)
    else:
        note = MSG_ASSERTS.format(count=len(failing), total=len(outcomes), where=where)
    return [note + (MSG_ASSERTS_HARMLESS if result.status == "passed" else "")]


def _diagnosis_notes(name, case_calls, failing=(), rtol=0.0, atol=0.0):
    """``(notes, sentence)``: name the known mistake whose outputs match the student's (see
    graders.diagnosis; ``sentence`` is that mistake's, else ""); failing that, for a multi-layer
    function, the layer where the first failing case goes wrong (the pack's ``layer_note`` hook)."""
    try:
        from graders.assignment import current
        from graders.diagnosis import diagnose
    except ImportError:
        return [], ""
    layer_note = current().hook("layer_note")
    judged = [(case, call) for case, call in case_calls if call.outcome.get("status") in ("ok", "error")]
    # (a value the notebook's convention lets come back squeezed is compared as the column it stands for)
    outputs = {case.id: restore_squeezed(name, call.expected, call.value, call.squeezable)
               for case, call in judged if call.outcome["status"] == "ok"}
    args_after = {case.id: call.args_after for case, call in judged if call.outcome["status"] == "ok"}
    errors = {case.id: str(call.outcome.get("detail", "")) for case, call in judged
              if call.outcome["status"] == "error"}
    changes = {case.id: call.outcome["changes"] for case, call in judged
               if call.outcome["status"] == "ok" and isinstance(call.outcome.get("changes"), list)}
    sentence = diagnose(name, outputs, [case for case, _ in judged], args_after=args_after, errors=errors,
                        changes=changes, squeezable=judged[0][1].squeezable if judged else ())
    if sentence:
        return [MSG_DIAGNOSIS.format(sentence=sentence)], sentence
    for case, call in judged if layer_note else ():
        if case.id in failing and case.id in outputs:
            note = layer_note(name, case, call.value, rtol, atol)
            if note:
                return [MSG_BY_LAYER.format(sentence=note, where=_where(case))], ""
            break
    return [], ""


MSG_BY_LAYER = "Where it goes wrong ({where}): {sentence}"


def _where(case) -> str:
    return "on the public example" if case.visibility == "public" else "on a hidden case"


def _cell_notes(name, case_results, cell_reports):
    """Point at failed cells that may have been meant to define a missing function."""
    if not any(c.rung == "defined" for c in case_results):
        return []
    notes = []
    for report in cell_reports:
        if report.get("status") != "ok" and ("def %s" % name) in report.get("source_head", "def %s" % name):
            notes.append(MSG_CELL_MAY_DEFINE.format(cell=report.get("label", "A cell"),
                                                    detail=str(report.get("detail", ""))[:300], name=name))
    return notes[:2]

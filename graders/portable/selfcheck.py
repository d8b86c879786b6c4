"""``check(function)``: the students' self-check, run inside their own notebook.

It runs the public cases of one function through the same plain-data path and the same check
ladder as the grader, and shows a success line, or the first failing rung with its message and,
as the grader does, the likely mistake or the function to fix first. When the code raised, it
shows the student's own lines instead of a traceback. Hidden cases are not here to reveal.

Output is plain text, with an HTML rendering where the front end shows HTML (Jupyter, JupyterLab,
VS Code, Colab).
"""

import contextlib
import html
import io
import os
import sys
import traceback

import numpy as np

from .casefile import decode_value, load_cases
from .checks import (
    PASSED,
    chain_args,
    extra_keys,
    graded_part,
    judge_chain,
    judge_outcome,
    looks_unimplemented,
    parameter_names,
    use_names,
)
from .likely import MSG_DEPENDENCY, MSG_DIAGNOSIS, Run, array_snapshot, behaves_like, changes_since, one_diagnosis
from .wire import roundtrip

PUBLIC_CASES_NAME = "public_cases.json"
MSG_NO_CASES = "No public cases for {name}: is it one of the graded functions?"
MSG_NO_CASE_FILE = (
    "The public cases file ({file}) was not found next to the notebook or in the dnn_check package. "
    "Keep the bundle's files together."
)
MSG_SUCCESS = "\u2714 {name} passes its {count} public case{plural}."
MSG_FAILURE = "\u2718 {name}, case {index} of {count} ({label}): {message}"


class CheckReport:
    """What :func:`check` shows: ``ok`` and one line of text, with an HTML rendering."""

    def __init__(self, name, ok, text):
        self.name = name
        self.ok = ok
        self.text = text

    def __repr__(self):
        return self.text

    def _repr_html_(self):
        color = "#1a7f37" if self.ok else "#b42318"
        return '<pre style="color:%s;white-space:pre-wrap">%s</pre>' % (color, html.escape(self.text))


def _case_file(path=None):
    candidates = [path] if path else [
        os.path.join(os.getcwd(), PUBLIC_CASES_NAME),
        os.path.join(os.path.dirname(os.path.abspath(__file__)), PUBLIC_CASES_NAME),
    ]
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(MSG_NO_CASE_FILE.format(file=PUBLIC_CASES_NAME))


_NAMES_FROM: list = []  #: the case file whose names the messages use (see _use_names_of)


def _use_names_of(document, path):
    """Messages name returned items and arguments as the public case file says (once per file)."""
    if _NAMES_FROM != [path] and isinstance(document, dict) and document.get("names"):
        use_names(document["names"])
        _NAMES_FROM[:] = [path]


def _names_known():
    """Read the names from the public case file at hand when no file gave them yet."""
    if _NAMES_FROM:
        return
    try:
        path = _case_file()
        _use_names_of(load_cases(path), path)
    except (OSError, ValueError):
        pass


class CaseRun:
    """One public case run by the self-check: the verdict, and what the call did, as plain data."""

    __slots__ = ("case", "verdict", "value", "args_after", "error", "error_text", "changes")

    def __init__(self, case, verdict, value=None, args_after=None, error=None, error_text="", changes=()):
        self.case = case
        self.verdict = verdict
        self.value = value
        self.args_after = args_after
        self.error = error  #: the exception the call raised, if any
        self.error_text = error_text  #: ``"TypeName: message"``
        self.changes = list(changes)  #: how the call changed its arguments (``rebound``, ``in_place``)


def run_case(function, case, quiet=False):
    """Call ``function`` on one stored case (an entry of a case file) and judge it.

    The function gets fresh copies of the inputs; NumPy is seeded first when the case says so; what
    the function prints is swallowed when ``quiet``. Returns a :class:`~.checks.Verdict`. A chain
    case (``then``) is also judged by the function's own next functions, as the grader does, when
    the public cases file is at hand to vouch for them.
    """
    run = run_case_in_full(function, case, quiet)
    if case.get("then") and run.verdict.rung == PASSED and extra_keys(run.value, decode_value(case["expected"])):
        try:
            document = load_cases(_case_file())
        except FileNotFoundError:
            return run.verdict  # without the public cases the next functions cannot be vouched for
        return _chain_verdict(function, case["function"], run, document) or run.verdict
    return run.verdict


def run_case_in_full(function, case, quiet=False):
    """:func:`run_case`, returning a :class:`CaseRun` (the verdict and the call's values)."""
    _names_known()
    name = case["function"]
    args, call_args = decode_value(case["args"]), decode_value(case["args"])
    if case.get("seed") is not None:
        np.random.seed(case["seed"])
    outcome, value, error = {"status": "ok"}, None, None
    snapshot = array_snapshot(call_args)
    try:
        if quiet:
            with contextlib.redirect_stdout(io.StringIO()):
                value = function(*call_args)
        else:
            value = function(*call_args)
    except Exception as raised:  # noqa: BLE001 - the student's error becomes feedback
        error = raised
        outcome = {"status": "error", "detail": "%s: %s" % (type(raised).__name__, str(raised)[:300]),
                   "arg_names": parameter_names(function)}
    plain = roundtrip({"value": value, "args_after": call_args}) if error is None else {}
    if error is None:
        outcome["changes"] = changes_since(snapshot, call_args)
        outcome["arg_names"] = parameter_names(function)
    verdict = judge_outcome(
        name, outcome, decode_value(case["expected"]), args, plain.get("value"), plain.get("args_after"),
        rtol=case.get("rtol", 1e-5), atol=case.get("atol", 1e-8), hidden=case.get("visibility") == "hidden",
        label=case.get("label", ""), may_change_if_first=case.get("may_change_if_first", ()),
    )
    return CaseRun(case, verdict, plain.get("value"), plain.get("args_after"), error,
                   outcome.get("detail", ""), outcome.get("changes", ()))


def run_public_cases(function, cases_path=None):
    """Run ``function`` on its public cases; return a :class:`CheckReport`.

    On a failure the report says, after the first failing case: the student's own lines when the
    call raised; that a function it calls fails its own public cases, when one does; otherwise the
    known mistake the code behaves like, when the public cases show one (the grader's rules).
    """
    name = getattr(function, "__name__", str(function))
    try:
        path = _case_file(cases_path)
        document = load_cases(path)
    except FileNotFoundError as error:
        return CheckReport(name, False, str(error))
    _use_names_of(document, path)
    cases = [case for case in document["cases"] if case["function"] == name]
    if not cases:
        return CheckReport(name, False, MSG_NO_CASES.format(name=name))
    runs = [run_case_in_full(function, case) for case in cases]
    for run in runs:
        if (run.case.get("then") and run.verdict.rung == PASSED
                and extra_keys(run.value, decode_value(run.case["expected"]))):
            run.verdict = _chain_verdict(function, name, run, document) or run.verdict
    failing = [(index, run) for index, run in enumerate(runs, start=1) if run.verdict.rung != PASSED]
    if not failing:
        return CheckReport(name, True, MSG_SUCCESS.format(name=name, count=len(cases),
                                                          plural="s" * (len(cases) != 1)))
    index, first = failing[0]
    lines = [MSG_FAILURE.format(name=name, index=index, count=len(cases), label=first.case.get("label", ""),
                                message=first.verdict.message)]
    if first.error is not None:
        lines.extend(student_lines(first.error))
    if first.error is None and looks_unimplemented(first.value):
        return CheckReport(name, False, "\n".join(lines))  # nothing written yet: nothing more to say
    lines.extend(_dependency_notes(function, name, document) or _likely_notes(name, runs, document))
    return CheckReport(name, False, "\n".join(lines))


def _chain_verdict(function, name, run, document):
    """A chain case's verdict by the notebook's own next functions (see checks.judge_chain): those
    that are defined and pass their own public cases are given what ``function`` returned."""
    namespace = getattr(function, "__globals__", {})
    steps = run.case["then"]
    fine, runs, tolerances = set(), [], {}
    for step in steps:
        helper = namespace.get(step["function"])
        if not callable(helper):
            runs.append(("missing", None))
            continue
        own = [case for case in document["cases"] if case["function"] == step["function"] and not case.get("then")]
        if own and all(run_case_in_full(helper, case, quiet=True).verdict.rung == PASSED for case in own):
            fine.add(step["function"])
            tolerances[step["function"]] = own[0].get("rtol", 1e-5), own[0].get("atol", 1e-8)
        args = chain_args(step, roundtrip({"v": run.value})["v"], decode_value(run.case["then_args"]))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                value = helper(*args)
            runs.append(("ok", roundtrip({"v": value})["v"]))
        except Exception as raised:  # noqa: BLE001
            runs.append(("error", "%s: %s" % (type(raised).__name__, str(raised)[:200])))
    return judge_chain(name, steps, runs, decode_value(run.case["then_expected"]), tolerances, fine,
                       run.value, decode_value(run.case["expected"]))


def _dependency_notes(function, name, document):
    """The grader's "fix X first" note, when a function this one calls fails its own public cases."""
    namespace = getattr(function, "__globals__", {})
    code = getattr(function, "__code__", None)
    for dependency in document.get("functions", {}).get(name, {}).get("depends_on", []):
        helper = namespace.get(dependency)
        if not callable(helper) or (code is not None and dependency not in code.co_names):
            continue  # a helper the code does not call cannot be what is wrong with it
        cases = [case for case in document["cases"] if case["function"] == dependency]
        if any(run_case_in_full(helper, case, quiet=True).verdict.rung != PASSED for case in cases):
            return [MSG_DEPENDENCY.format(name=name, dependency=dependency)]
    return []


def _likely_notes(name, runs, document):
    """The grader's "Likely mistake" note, from the known mistakes' runs on the public cases."""
    judged = [run for run in runs if run.verdict.rung != "defined"]
    ids = [run.case["id"] for run in judged]
    outputs = {run.case["id"]: graded_part(name, run.value) for run in judged if run.error is None}
    args_after = {run.case["id"]: run.args_after for run in judged if run.error is None}
    errors = {run.case["id"]: run.error_text for run in judged if run.error is not None}
    changes = {run.case["id"]: run.changes for run in judged if run.error is None}
    if not ids:
        return []
    tolerance = runs[0].case.get("rtol", 1e-5), runs[0].case.get("atol", 1e-8)
    args_before = {run.case["id"]: run.case["args"] for run in judged}
    sentences = []
    for entry in document.get("likely_mistakes", []):
        if entry.get("function") != name or not set(ids) <= set(entry.get("runs", {})):
            continue
        stored = {case_id: _stored_run(entry["runs"][case_id], args_before[case_id]) for case_id in ids}
        if behaves_like(stored, ids, outputs, args_after, errors, *tolerance, changes=changes):
            sentences.append(entry["diagnosis"])
    sentence = one_diagnosis(sentences)
    return [MSG_DIAGNOSIS.format(sentence=sentence)] if sentence else []


def _stored_run(entry, args):
    if not entry.get("returned"):
        return Run(False, error=entry.get("error", ""))
    changed = "args_after" in entry
    return Run(True, decode_value(entry["value"]), decode_value(entry["args_after"] if changed else args),
               wrong=bool(entry.get("wrong", True)), changed=changed, changes=entry.get("changes", []))


# -- the student's own lines --------------------------------------------------------------------

MSG_YOUR_LINE = "  Your line, {where}:  {code}"
MSG_FAILED_IN = "  which failed in {where}:  {code}"
_LIBRARY_DIRS = tuple(
    os.path.join(os.path.normcase(os.path.realpath(path)), "")
    for path in (
        os.path.dirname(os.__file__),  # Python's own modules
        os.path.dirname(os.path.dirname(np.__file__)),  # the site-packages that holds NumPy
        os.path.dirname(__file__),  # this package
    )
)


def student_lines(error):
    """Where ``error`` came from, in the code being checked: the line of the checked function that
    made the failing call, then, when that is elsewhere, the deepest line outside Python's and
    NumPy's own files (often a helper the student also wrote)."""
    frames = traceback.extract_tb(error.__traceback__)[1:]  # the first frame is this module's call
    if not frames:
        return []
    lines = [_line(MSG_YOUR_LINE, frames[0])]
    theirs = [frame for frame in frames if not _in_library(frame.filename)]
    if theirs and theirs[-1] is not frames[0]:
        lines.append(_line(MSG_FAILED_IN, theirs[-1]))
    return lines


def _line(template, frame):
    code = (frame.line or "").strip()
    text = template.format(where=_where(frame), code=code)
    return text if code else text.rsplit(":", 1)[0]  # no source to show (code typed at a prompt)


def _in_library(filename):
    path = os.path.normcase(os.path.realpath(filename)) if os.path.isabs(filename) else filename
    return path.startswith(_LIBRARY_DIRS)


def _where(frame):
    """``In [12], line 3`` for a notebook cell (the count Jupyter shows), else ``file.py, line 3``."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
    count = cells.get(frame.filename)
    if isinstance(count, int):
        return "In [%d], line %d" % (count, frame.lineno)
    return "%s, line %d" % (os.path.basename(frame.filename).strip("<>"), frame.lineno)


def check(function, cases_path=None):
    """Check ``function`` on its public cases and show the verdict (use :func:`run_public_cases`
    for the verdict as data)."""
    report = run_public_cases(function, cases_path)
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None:
        from IPython.display import display

        display(report)
    else:
        print(report.text)

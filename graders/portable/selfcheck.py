"""``check(function)``: the students' self-check, run inside their own notebook.

It runs the public cases of one function through the same plain-data path and the same check
ladder as the grader, and shows one line: a success, or the first failing rung with its message.
Student errors never show a traceback. Hidden cases are not here to reveal.

Output is plain text, with an HTML rendering where the front end shows HTML (Jupyter, JupyterLab,
VS Code, Colab).
"""

import contextlib
import html
import io
import os
import sys

import numpy as np

from .casefile import decode_value, load_cases
from .checks import PASSED, judge_outcome
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


def run_case(function, case, quiet=False):
    """Call ``function`` on one stored case (an entry of a case file) and judge it.

    The function gets fresh copies of the inputs; NumPy is seeded first when the case says so; what
    the function prints is swallowed when ``quiet``. Returns a :class:`~.checks.Verdict`.
    """
    name = case["function"]
    args, call_args = decode_value(case["args"]), decode_value(case["args"])
    if case.get("seed") is not None:
        np.random.seed(case["seed"])
    outcome, value = {"status": "ok"}, None
    try:
        if quiet:
            with contextlib.redirect_stdout(io.StringIO()):
                value = function(*call_args)
        else:
            value = function(*call_args)
    except Exception as error:  # noqa: BLE001 - the student's error becomes feedback
        outcome = {"status": "error", "detail": "%s: %s" % (type(error).__name__, str(error)[:300])}
    plain = roundtrip({"value": value, "args_after": call_args}) if outcome["status"] == "ok" else {}
    return judge_outcome(
        name, outcome, decode_value(case["expected"]), args, plain.get("value"), plain.get("args_after"),
        rtol=case.get("rtol", 1e-5), atol=case.get("atol", 1e-8), hidden=case.get("visibility") == "hidden",
        label=case.get("label", ""),
    )


def run_public_cases(function, cases_path=None):
    """Run ``function`` on its public cases; return a :class:`CheckReport`."""
    name = getattr(function, "__name__", str(function))
    try:
        document = load_cases(_case_file(cases_path))
    except FileNotFoundError as error:
        return CheckReport(name, False, str(error))
    cases = [case for case in document["cases"] if case["function"] == name]
    if not cases:
        return CheckReport(name, False, MSG_NO_CASES.format(name=name))
    for index, case in enumerate(cases, start=1):
        verdict = run_case(function, case)
        if verdict.rung != PASSED:
            return CheckReport(name, False, MSG_FAILURE.format(
                name=name, index=index, count=len(cases), label=case.get("label", ""), message=verdict.message))
    return CheckReport(name, True, MSG_SUCCESS.format(name=name, count=len(cases), plural="s" * (len(cases) != 1)))


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

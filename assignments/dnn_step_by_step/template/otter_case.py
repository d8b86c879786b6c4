"""Run one stored case of a graded function, for the tests of the Otter Assign master notebook.

Shipped beside the master with the ``dnn_check`` package (the grader's portable core); the public
cases come from ``dnn_check/public_cases.json`` and the hidden cases, in the autograder only, from
``hidden_cases.json``. A test cell is one call, ``run_case(linear_forward, "linear_forward/hidden/3", rtol, atol)``:
it prints nothing when the case passes, and otherwise the same one-line message as ``dnngrade``
(hidden cases never show their expected values). Whatever the function itself prints is captured,
so debugging prints do not fail an Otter test.
"""

import contextlib
import io
import os

import numpy as np

import dnn_check
from dnn_check.casefile import decode_value, load_cases
from dnn_check.checks import PASSED, judge_outcome
from dnn_check.wire import roundtrip

CASE_FILES = ("public_cases.json", "hidden_cases.json")
MSG_NO_CASE = "The case {case_id} is not in {files}: keep the autograder's files together."
MSG_FAILED = "\u2718 {name} ({label}): {message}"

_cases = {}


def _find_case(case_id):
    if not _cases:
        folders = (os.getcwd(), os.path.dirname(os.path.abspath(__file__)),
                   os.path.dirname(os.path.abspath(dnn_check.__file__)))
        for folder in folders:
            for name in CASE_FILES:
                path = os.path.join(folder, name)
                if os.path.exists(path):
                    for case in load_cases(path)["cases"]:
                        _cases.setdefault(case["id"], case)
    return _cases.get(case_id)


def run_case(function, case_id, rtol=1e-5, atol=1e-8):
    """Judge ``function`` on the stored case ``case_id`` with the spec's tolerances; print why it fails."""
    case = _find_case(case_id)
    if case is None:
        print(MSG_NO_CASE.format(case_id=case_id, files=" or ".join(CASE_FILES)))
        return
    name = case["function"]
    args, call_args = decode_value(case["args"]), decode_value(case["args"])
    if case.get("seed") is not None:
        np.random.seed(case["seed"])
    outcome, value = {"status": "ok"}, None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            value = function(*call_args)
    except Exception as error:  # noqa: BLE001 - the student's error becomes the message
        outcome = {"status": "error", "detail": "%s: %s" % (type(error).__name__, str(error)[:300])}
    plain = roundtrip({"value": value, "args_after": call_args}) if outcome["status"] == "ok" else {}
    verdict = judge_outcome(
        name, outcome, decode_value(case["expected"]), args, plain.get("value"), plain.get("args_after"),
        rtol=rtol, atol=atol, hidden=case["visibility"] == "hidden",
        label=case.get("label", ""),
    )
    if verdict.rung != PASSED:
        print(MSG_FAILED.format(name=name, label=case.get("label", ""), message=verdict.message))

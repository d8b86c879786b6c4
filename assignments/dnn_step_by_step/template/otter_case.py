"""Run one stored case of a graded function, for the tests of the Otter Assign master notebook.

Shipped beside the master with the ``dnn_check`` package (the grader's portable core); the public
cases come from ``dnn_check/public_cases.json`` and the hidden cases, in the autograder only, from
``hidden_cases.json``. A test cell is one call,
``run_case(linear_forward, "linear_forward/hidden/3", rtol, atol)``: it prints nothing when the case
passes, and otherwise the same message as ``dnngrade`` (hidden cases never show their expected
values). Whatever the function itself prints is captured, so debugging prints do not fail a test.
"""

import os

import dnn_check
from dnn_check import selfcheck
from dnn_check.casefile import load_cases
from dnn_check.checks import PASSED

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


def run_case(function, case_id, rtol=None, atol=None):
    """Judge ``function`` on the stored case ``case_id``; print why it fails (nothing when it passes).

    ``rtol``/``atol`` override the tolerances stored with the case.
    """
    case = _find_case(case_id)
    if case is None:
        print(MSG_NO_CASE.format(case_id=case_id, files=" or ".join(CASE_FILES)))
        return
    if rtol is not None or atol is not None:
        case = dict(case, rtol=case.get("rtol") if rtol is None else rtol,
                    atol=case.get("atol") if atol is None else atol)
    verdict = selfcheck.run_case(function, case, quiet=True)
    if verdict.rung != PASSED:
        print(MSG_FAILED.format(name=case["function"], label=case.get("label", ""), message=verdict.message))

"""Judge one stored case of a graded function, step by step, for the Otter Assign master's tests.

Shipped beside the master with the ``dnn_check`` package (the grader's portable core); the public
cases come from ``dnn_check/public_cases.json`` and the hidden cases, in the autograder only, from
``hidden_cases.json``.

A case is worth the same points as in ``dnngrade``, with the same partial credit: it has one Otter
test per credit step (right structure and shapes, right values, inputs left unchanged, float64), each worth
that step's share of the case, so Otter's score equals ours. A test is one call,
``check_step(forward, "forward/hidden/3", "values", rtol, atol)``: it returns
quietly when the case reaches that step, and otherwise raises ``AssertionError`` with the same
message as ``dnngrade`` (hidden cases never show their expected values), once per case: the later
steps of a case that stopped earlier only say so. The case runs once for all its steps; what the
function prints is captured, so debugging prints do not fail a test.
"""

import os

import dnn_check
from dnn_check import selfcheck
from dnn_check.casefile import load_cases
from dnn_check.checks import CREDIT_STEPS, steps_reached

CASE_FILES = ("public_cases.json", "hidden_cases.json")
MSG_NO_CASE = "The case {case_id} is not in {files}: keep the autograder's files together."
MSG_FAILED = "\u2718 {name} ({label}): {message}"
MSG_EARLIER = "No credit for {step}: this case stopped at an earlier step (see the test before)."
STEP_WORDS = {"shapes": "the structure and shapes", "values": "the values",
              "inputs_unmodified": "leaving the inputs unchanged", "precision": "computing in float64"}

_cases: dict = {}
_verdicts: dict = {}


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


def _verdict(function, case_id, rtol, atol):
    """The case's verdict, judged once per function object (the steps of a case share it)."""
    known = _verdicts.get(case_id)
    if known is not None and known[0] is function:
        return known[1]
    case = _find_case(case_id)
    if case is None:
        raise AssertionError(MSG_NO_CASE.format(case_id=case_id, files=" or ".join(CASE_FILES)))
    if rtol is not None or atol is not None:
        case = dict(case, rtol=case.get("rtol") if rtol is None else rtol,
                    atol=case.get("atol") if atol is None else atol)
    verdict = selfcheck.run_case(function, case, quiet=True)
    _verdicts[case_id] = (function, verdict, case)
    return verdict


def check_step(function, case_id, step, rtol=None, atol=None):
    """Pass when ``function`` reaches credit ``step`` on the stored case ``case_id``; else raise
    ``AssertionError`` saying why (the first step it misses) or that an earlier step failed.

    ``rtol``/``atol`` override the tolerances stored with the case.
    """
    verdict = _verdict(function, case_id, rtol, atol)
    reached = steps_reached(verdict.rung)
    if step in reached:
        return
    case = _verdicts[case_id][2]
    if CREDIT_STEPS.index(step) == len(reached):  # the first step this case misses
        raise AssertionError(MSG_FAILED.format(name=case["function"], label=case.get("label", ""),
                                               message=verdict.message))
    raise AssertionError(MSG_EARLIER.format(step=STEP_WORDS[step]))

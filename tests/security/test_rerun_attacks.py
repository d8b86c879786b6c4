"""Attacks on the retry with a correct helper (graders.rerun), in every isolation mode.

In the retry a caller of a failing helper runs with a stand-in that returns the correct helper's
answers to calls the submission made. An attacker who has read graders/rerun.py and the worker's
runtime tries to turn that into an oracle whose answers reach the feedback, to forge a request
that grades the caller by the grader's own answer, to make the grader answer forever or on huge
or odd arguments, and to leave something behind for the next notebook.
"""

from __future__ import annotations

import json

from graders.rerun import MAX_ROUNDS
from graders.spec import load_spec
from tests.security.support import reports
from tools.nbbuild import edited_source, notebook_bytes, solution_cells

SPEC = load_spec()
NO_KEEPDIMS = edited_source("linear_backward", "axis=1, keepdims=True", "axis=1")
BACKWARD_POINTS = SPEC.total_points - SPEC.functions["linear_backward"].points

# the caller's first lines, as the course writes them; each attack goes on from here
HEAD = '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
'''

# the student's own linear_backward, kept so that the caller can tell when it has the stand-in
OWN = "\n_own_linear_backward = linear_backward\n"

LEAK = OWN + HEAD + '''
    got = linear_backward(dZ, linear_cache)
    if linear_backward is not _own_linear_backward:
        _seen.append(got)
        if len(_seen) % 2 == 0:
            raise RuntimeError("LEAK" + repr(got))
        if len(_seen) % 3 == 0:
            return ("LEAK" + repr(got), "LEAK", "LEAK")
    return got

_seen = []
'''

FORGE = HEAD + '''
    import sys
    runtime = [m for m in list(sys.modules.values()) if hasattr(m, "_NEEDED") and hasattr(m, "call_key")][0]
    args = [dA, cache, activation]
    for helper in ("linear_activation_backward", "L_model_backward"):
        runtime._NEEDED.append({"helper": helper, "key": runtime.call_key(args, {}), "args": args, "kwargs": {}})
    raise runtime.HelperAnswerNeeded("linear_activation_backward")
'''
FOUND_RUNTIME = ('import sys\nraise RuntimeError("REPORT found=%s" % any(hasattr(m, "_NEEDED") and '
                 'hasattr(m, "call_key") for m in list(sys.modules.values())))\n')

ENDLESS = HEAD + '''
    import os
    noise = int.from_bytes(os.urandom(4), "little") * 1e-12
    return linear_backward(dZ + noise, linear_cache)
'''

ODD = OWN + HEAD + '''
    if linear_backward is not _own_linear_backward:
        for strange in (object(), np.zeros((1000, 1000)), np.zeros((3, 3, 3)), np.matrix(dZ)):
            try:
                linear_backward(strange, linear_cache)
            except Exception:
                pass
    return linear_backward(dZ, linear_cache)
'''


def grade(grader, caller, extra=(), name="attack.ipynb"):
    cells = solution_cells({"linear_backward": NO_KEEPDIMS, "linear_activation_backward": caller}) + list(extra)
    return grader.grade_bytes(notebook_bytes(cells), name)


def everything_said(result) -> str:
    return json.dumps(result.to_dict())


def test_answers_of_the_correct_helper_never_reach_the_feedback(grader):
    result = grade(grader, LEAK)
    caller = result.function("linear_activation_backward")
    # it did get answers (it passes some cases), yet nothing it raised or returned is shown
    assert 0 < caller.score < caller.max_score, caller
    assert "LEAK" not in everything_said(result)
    assert all("correct linear_backward" in case.message for case in caller.cases if not case.passed)


def test_a_forged_request_for_the_caller_itself_is_not_answered(grader):
    result = grade(grader, FORGE, [FOUND_RUNTIME])
    assert reports(result).get("found") == "True", result.events
    caller = result.function("linear_activation_backward")
    assert caller.score == 0 and caller.status == "failed"
    assert result.function("L_model_backward").status == "passed"  # graded with a correct one


def test_a_caller_that_asks_something_new_every_time_ends_after_the_last_round(grader):
    result = grade(grader, ENDLESS)
    assert result.status == "graded"
    caller = result.function("linear_activation_backward")
    assert caller.status == "failed"
    spoiled = {"linear_backward", "linear_activation_backward"}
    assert all(f.score == f.max_score for f in result.functions if f.name not in spoiled), result.functions
    assert MAX_ROUNDS <= 32  # the bound the test relies on to finish


def test_odd_and_oversized_arguments_get_no_answer_and_do_no_harm(grader):
    result = grade(grader, ODD)
    caller = result.function("linear_activation_backward")
    # the arguments it meant to pass were answered, the others were not: it is right
    assert caller.status == "passed", caller
    assert result.score == BACKWARD_POINTS


def test_the_next_notebook_is_graded_as_if_alone(grader):
    for caller in (LEAK, FORGE, ENDLESS, ODD):
        grade(grader, caller)
    after = grader.grade_bytes(notebook_bytes(solution_cells({"linear_backward": NO_KEEPDIMS})), "next.ipynb")
    assert after.score == BACKWARD_POINTS
    assert grader.grade_bytes(notebook_bytes(solution_cells()), "clean.ipynb").score == SPEC.total_points

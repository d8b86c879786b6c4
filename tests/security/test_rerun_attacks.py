"""Attacks on the retry with a correct helper (graders.rerun), in every isolation mode.

In the retry a caller of a failing helper runs with a stand-in that returns the correct helper's
answers to calls the submission made, asked of the grader over the worker's channel. An attacker
who has read graders/rerun.py and the worker's runtime and server tries to turn that into an oracle
whose answers reach the feedback, to ask the grader for the caller's own answer, to break the
channel's turn-taking or stall the worker by never reading an answer, to make the grader answer
forever or on huge or odd arguments, and to leave something behind for the next notebook.
"""

from __future__ import annotations

import json

import pytest

from graders.assignment import current
from graders.kit.nbbuild import edited_source, notebook_bytes, solution_cells
from tests.security.support import reports

SPEC = current().spec
NO_KEEPDIMS = edited_source("linear_backward", "axis=1, keepdims=True", "axis=1")
#: a notebook whose only mistake is linear_backward's db loses db's share of linear_backward (`items`)
BACKWARD_POINTS = SPEC.total_points - SPEC.functions["linear_backward"].points * SPEC.functions[
    "linear_backward"].items["db"]

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
        # two cases leak, so that the retry still scores better than the first run and is kept
        if len(_seen) == 2:
            raise RuntimeError("LEAK" + repr(got))
        if len(_seen) == 3:
            return ("LEAK" + repr(got), "LEAK", "LEAK")
    return got

_seen = []
'''

# the attacker finds the stand-ins' channel (the runtime's _Asker) and uses it directly
FIND_ASKER = """
    import gc, sys
    runtime = [m for m in list(sys.modules.values()) if hasattr(m, "_Asker")][0]
    asker = [o for o in gc.get_objects() if type(o) is runtime._Asker][0]
"""

FORGE = HEAD + FIND_ASKER + '''
    # ask the grader for the answer of the function being graded, and of the next one up
    for helper in ("linear_activation_backward", "L_model_backward"):
        ok, value = asker(helper, (dA, cache, activation), {})
        if ok:
            return value
    return None
'''
FOUND_RUNTIME = ('import sys\nraise RuntimeError("REPORT found=%s" % any(hasattr(m, "_Asker") '
                 'for m in list(sys.modules.values())))\n')

OUT_OF_TURN = HEAD + FIND_ASKER + '''
    # two asks before reading an answer, written straight on the report pipe
    payload = runtime.encode_frame({}, {"args": [dZ, linear_cache], "kwargs": {}})
    for _ in range(2):
        asker.emit.write_frame({"type": "ask", "helper": "linear_backward"}, payload)
    return linear_backward(dZ, linear_cache)
'''

NEVER_READS = HEAD + FIND_ASKER + '''
    # ask for an answer far larger than a pipe holds and never read it: the worker must not stall
    big = np.ones((256, 256))
    payload = runtime.encode_frame({}, {"args": [big, (big, big, big[:, :1])], "kwargs": {}})
    asker.emit.write_frame({"type": "ask", "helper": "linear_backward"}, payload)
    while True:
        pass
'''

ENDLESS = HEAD + '''
    # a new question on every call, far more calls than the grader answers
    for step in range(1200):
        try:
            linear_backward(dZ + step * 1e-12, linear_cache)
        except TypeError:
            pass
    return linear_backward(dZ, linear_cache)
'''

# the attacker reads the sealed answers the retry carries and tries to open them without making
# the call each belongs to; when it finds none it behaves (so finding none fails the test too)
PEEK = OWN + HEAD + FIND_ASKER + """
    if linear_backward is _own_linear_backward:
        return linear_backward(dZ, linear_cache)
    from graders.portable import sealed as sealing
    from graders.portable.wire import decode_values, split_frame
    import binascii
    entries = [text for table in asker.sealed for helper in table.values() for text in helper.values()]
    if not entries:
        return linear_backward(dZ, linear_cache)  # nothing to peek at: full marks, and the test fails
    for text in entries:
        raw = binascii.a2b_base64(text)
        for guess in (raw, sealing._xor(raw, bytes(len(raw)))):
            try:
                return decode_values(*split_frame(guess))["value"]
            except Exception:
                continue
    near = sealing.call_bytes(["dZ", "cache"], (dZ + 1.0, linear_cache), {})
    for table in asker.sealed:
        opened = sealing.unseal(table.get("linear_backward"), near)
        if opened is not None:
            return decode_values(*split_frame(opened))["value"]
    return None
"""

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


def test_asks_out_of_turn_crash_only_that_case(grader):
    result = grade(grader, OUT_OF_TURN)
    assert result.status == "graded"
    caller = result.function("linear_activation_backward")
    assert caller.score == 0  # (its retry crashed; it keeps its first verdicts)
    spoiled = {"linear_backward", "linear_activation_backward"}
    assert all(f.score == f.max_score for f in result.functions if f.name not in spoiled), result.functions


def test_a_child_that_never_reads_its_answer_cannot_stall_the_worker(grader):
    result = grade(grader, NEVER_READS)
    assert result.status == "graded"
    spoiled = {"linear_backward", "linear_activation_backward"}
    assert all(f.score == f.max_score for f in result.functions if f.name not in spoiled), result.functions
    assert result.function("linear_activation_backward").score == 0


def test_a_caller_that_asks_something_new_every_time_is_cut_off(grader):
    result = grade(grader, ENDLESS)
    assert result.status == "graded"
    caller = result.function("linear_activation_backward")
    assert caller.status == "failed"
    spoiled = {"linear_backward", "linear_activation_backward"}
    assert all(f.score == f.max_score for f in result.functions if f.name not in spoiled), result.functions


def test_sealed_answers_open_only_for_the_call_they_answer(grader):
    result = grade(grader, PEEK)
    assert result.status == "graded"
    caller = result.function("linear_activation_backward")
    # its retry earned nothing (it opened nothing), so it keeps its first verdicts, and is told so
    assert any(note.startswith("Even with a correct linear_backward") for note in caller.notes), caller
    assert caller.status == "failed"
    assert result.function("L_model_backward").status == "passed"


def test_odd_and_oversized_arguments_get_no_answer_and_do_no_harm(grader):
    result = grade(grader, ODD)
    caller = result.function("linear_activation_backward")
    # the arguments it meant to pass were answered, the others were not: it is right
    assert caller.status == "passed", caller
    assert result.score == pytest.approx(BACKWARD_POINTS)


def test_the_next_notebook_is_graded_as_if_alone(grader):
    for caller in (LEAK, FORGE, OUT_OF_TURN, NEVER_READS, ENDLESS, PEEK, ODD):
        grade(grader, caller)
    after = grader.grade_bytes(notebook_bytes(solution_cells({"linear_backward": NO_KEEPDIMS})), "next.ipynb")
    assert after.score == pytest.approx(BACKWARD_POINTS)
    assert grader.grade_bytes(notebook_bytes(solution_cells()), "clean.ipynb").score == SPEC.total_points

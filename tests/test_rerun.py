"""A mistake costs points once: callers of a failing helper are graded again with a correct one."""

from __future__ import annotations

import binascii

import numpy as np
import pytest

from graders.assignment import current
from graders.grade import Grader, Limits
from graders.kit.nbbuild import edited_source, notebook_bytes, solution_cells, solution_source
from graders.portable import wire
from graders.portable.likely import MSG_DEPENDENCY
from graders.rerun import (
    MAX_CALLS,
    MSG_RIGHT_WITH_HELPER,
    MSG_WRONG_WITH_HELPER,
    Answerer,
    answer,
    helpers_to_replace,
)
from graders.result import FunctionResult

SPEC = current().spec
FAST = Limits(cell_seconds=3, call_seconds=0.5, notebook_seconds=30)
NO_KEEPDIMS = edited_source("linear_backward", "axis=1, keepdims=True", "axis=1")
NO_BIAS = edited_source("linear_forward", "Z = np.dot(W, A) + b", "Z = np.dot(W, A)")


@pytest.fixture(scope="module")
def grader():
    with Grader(limits=FAST) as shared:
        yield shared


def grade(grader, replace, name="student.ipynb"):
    return grader.grade_bytes(notebook_bytes(solution_cells(replace)), name)


def test_one_missing_keepdims_costs_only_linear_backward(grader):
    result = grade(grader, {"linear_backward": NO_KEEPDIMS})
    # only db is wrong: linear_backward keeps the shares of dA_prev and dW (`items`), nothing else is lost
    lost = SPEC.functions["linear_backward"].points * SPEC.functions["linear_backward"].items["db"]
    assert result.function("linear_backward").score == pytest.approx(SPEC.functions["linear_backward"].points - lost)
    assert result.score == pytest.approx(SPEC.total_points - lost)
    assert result.function("linear_activation_backward").notes == [MSG_RIGHT_WITH_HELPER.format(
        name="linear_activation_backward", helper="linear_backward", fix="linear_backward")]
    # two levels up, the note names the function that has the mistake
    assert result.function("L_model_backward").notes == [MSG_RIGHT_WITH_HELPER.format(
        name="L_model_backward", helper="linear_activation_backward", fix="linear_backward")]


def test_a_forward_mistake_costs_only_its_function(grader):
    result = grade(grader, {"linear_forward": NO_BIAS})
    assert result.function("linear_forward").status == "failed"
    assert {f.name for f in result.functions if f.status == "failed"} == {"linear_forward"}


def test_a_caller_with_a_mistake_of_its_own_still_loses_its_points(grader):
    wrong_caller = edited_source("L_model_backward", "dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
                                 "dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)")
    alone = grade(grader, {"L_model_backward": wrong_caller}).function("L_model_backward")
    result = grade(grader, {"linear_backward": NO_KEEPDIMS, "L_model_backward": wrong_caller})
    backward = result.function("L_model_backward")
    # its own mistake costs what it costs with a correct helper; the helper's costs nothing here
    assert backward.score == alone.score < backward.max_score
    assert result.function("linear_activation_backward").status == "passed"
    assert backward.notes[0].startswith("Graded again with a correct linear_activation_backward") or \
        MSG_WRONG_WITH_HELPER.format(name="L_model_backward", helper="linear_activation_backward") in backward.notes
    assert any("dAL has the wrong sign" in note for note in backward.notes), backward.notes
    # what failed in the retry is named by its check, not by the values the code returned there
    failing = [case for case in backward.cases if not case.passed]
    assert failing and all("fix linear_backward" in case.message for case in failing)


def test_a_caller_that_does_not_call_the_failing_helper_gets_no_dependency_note(grader):
    own = solution_source("linear_activation_forward").replace(
        "Z, linear_cache = linear_forward(A_prev, W, b)", "Z, linear_cache = np.dot(W, A_prev) + b, (A_prev, W, b)")
    assert own != solution_source("linear_activation_forward")
    broken_own = own.replace("+ b,", ",")
    result = grade(grader, {"linear_forward": NO_BIAS, "linear_activation_forward": broken_own})
    notes = " ".join(result.function("linear_activation_forward").notes)
    assert result.function("linear_activation_forward").status == "failed"
    assert "linear_forward" not in notes.replace("linear_activation_forward", ""), notes
    assert MSG_DEPENDENCY.format(name="linear_activation_forward", dependency="linear_forward") not in notes


def test_the_retry_is_the_same_every_time(grader):
    replace = {"linear_backward": NO_KEEPDIMS, "linear_forward": NO_BIAS}
    first, again = grade(grader, replace).to_dict(), grade(grader, replace).to_dict()
    first.pop("execution_time")
    again.pop("execution_time")
    assert first == again


def test_a_caller_that_passes_costs_no_retry():
    functions = [FunctionResult(name, spec.points, spec.points) for name, spec in SPEC.functions.items()]
    assert helpers_to_replace(SPEC, functions, solution_cells()) == {}
    by_name = {f.name: f for f in functions}
    by_name["linear_backward"].score = by_name["linear_activation_backward"].score = 0
    assert helpers_to_replace(SPEC, functions, solution_cells()) == {"linear_activation_backward": ("linear_backward",)}


@pytest.mark.parametrize("request_", [
    None, [], {"args": []}, {"args": 7, "kwargs": {}}, {"args": [], "kwargs": []},
], ids=["none", "list", "no-kwargs", "args-not-a-list", "kwargs-not-a-dict"])
def test_malformed_requests_get_no_answer(request_):
    ok, why = answer("linear_backward", request_)
    assert ok is False and "answers calls on numbers" in why


@pytest.mark.parametrize("args", [
    [np.zeros((1, 100_000))], [np.zeros((100, 100, 100))],
    [object()], [np.zeros((1, 1)).view(type("Sub", (np.ndarray,), {}))],
], ids=["oversized", "3-d", "object", "subclass"])
def test_calls_on_arguments_that_are_not_plain_bounded_data_are_answered_with_an_error(args):
    ok, why = answer("linear_backward", {"args": args, "kwargs": {}})
    assert ok is False and "answers calls on numbers" in why


def test_a_helper_that_raises_on_the_students_arguments_answers_with_a_short_error():
    ok, why = answer("linear_backward", {"args": [np.zeros((2, 3)), (np.zeros((4, 3)), np.zeros((5, 5)), 0.0)],
                                         "kwargs": {}})
    assert ok is False and "could not run on these arguments (ValueError)" in why


def ask_frame(args, kwargs=None):
    return wire.encode_frame({}, {"args": args, "kwargs": kwargs or {}})


def test_the_answerer_answers_only_the_helpers_it_stands_in_for():
    answerer = Answerer({"linear_activation_backward": ("linear_backward",)}, {7: "linear_activation_backward",
                                                                               9: "L_model_backward"})
    cache = (np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 1)))
    frame = ask_frame([np.ones((4, 2)), cache])
    for helper, case in (("L_model_backward", 7), ("linear_backward", 9), ("linear_backward", None),
                         ("linear_backward", 8)):
        ok, why = answerer(helper, case, frame)
        assert ok is False and "no stand-in" in why
    assert answerer.calls == {}
    ok, value = answerer("linear_backward", 7, frame)
    assert ok is True and [v.shape for v in value] == [(3, 2), (4, 3), (4, 1)]


def test_the_answerer_refuses_a_malformed_frame_and_stops_after_its_budget():
    answerer = Answerer({"linear_activation_backward": ("linear_backward",), "L_model_backward": ("linear_backward",)},
                        {1: "linear_activation_backward", 2: "L_model_backward"})
    assert answerer("linear_backward", 1, b"\x00" * 40)[0] is False
    assert answerer("linear_backward", 1, ask_frame([1], {"x": object()}))[0] is False
    cache = (np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 1)))
    frame = ask_frame([np.ones((4, 2)), cache])
    answers = [answerer("linear_backward", 1, frame) for _ in range(MAX_CALLS + 5)]
    assert all(ok for ok, _ in answers[:MAX_CALLS - 2])
    assert not any(ok for ok, _ in answers[MAX_CALLS:]) and "more often than the grader answers" in answers[-1][1]
    assert answerer("linear_backward", 2, frame)[0] is True  # each function has a budget of its own


def test_answers_are_computed_once_per_call_and_kept_within_a_bound(monkeypatch):
    from graders import rerun

    monkeypatch.setattr(rerun, "_ANSWERS", {})
    monkeypatch.setattr(rerun, "_REMEMBERED_BYTES", [0])
    computed = []
    real = rerun.answer
    monkeypatch.setattr(rerun, "answer", lambda *a: computed.append(1) or real(*a))
    cache = (np.ones((3, 2)), np.ones((4, 3)), np.zeros((4, 1)))
    frame = ask_frame([np.ones((4, 2)), cache])
    for _ in range(3):  # three notebooks making the same call
        answerer = Answerer({"linear_activation_backward": ("linear_backward",)}, {1: "linear_activation_backward"})
        ok, value = answerer("linear_backward", 1, frame)
        assert ok and value[1].shape == (4, 3)
    assert len(computed) == 1
    monkeypatch.setattr(rerun, "MAX_REMEMBERED_BYTES", 4096)
    for step in range(50):
        rerun._remember(("linear_backward", b"%d" % step), (True, np.zeros((10, 10))))
    assert rerun._REMEMBERED_BYTES[0] <= 4096 and 0 < len(rerun._ANSWERS) < 50
    rerun._remember(("linear_backward", b"big"), (True, np.zeros((200, 200))))  # over the size kept
    assert ("linear_backward", b"big") not in rerun._ANSWERS


def test_calls_the_grader_foresaw_open_sealed_answers_and_others_are_asked(grader, monkeypatch):
    from graders import rerun

    asked = []
    real = rerun.Answerer.__call__
    monkeypatch.setattr(rerun.Answerer, "__call__", lambda self, *a: asked.append(a[0]) or real(self, *a))
    foreseen = grade(grader, {"linear_backward": NO_KEEPDIMS})
    assert asked == []  # every call of a correct caller matched one the reference made
    # the same caller passing the cache as a list makes calls the reference did not: they are asked
    as_list = edited_source("linear_activation_backward", "linear_backward(dZ, linear_cache)",
                            "linear_backward(dZ, list(linear_cache))")
    unforeseen = grade(grader, {"linear_backward": NO_KEEPDIMS, "linear_activation_backward": as_list})
    assert asked and set(asked) == {"linear_backward"}
    for result in (foreseen, unforeseen):
        assert result.function("linear_activation_backward").status == "passed"
        assert result.function("L_model_backward").status == "passed"
    assert unforeseen.score == foreseen.score


def test_a_sealed_answer_opens_only_for_its_own_call_however_the_arguments_are_passed():
    from graders.portable import sealed

    params = ["dA", "cache", "activation"]
    dA, cache = np.random.default_rng(0).normal(size=(3, 4)), (np.ones((3, 4)),)
    answer_bytes = wire.encode_frame({}, {"value": np.random.default_rng(1).normal(size=(5, 5))})
    index, sealed_bytes = sealed.seal(sealed.call_bytes(params, (dA, cache, "relu"), {}), answer_bytes)
    table = {index: sealed_bytes}
    for args, kwargs in (((dA, cache, "relu"), {}), ((dA,), {"activation": "relu", "cache": cache})):
        assert sealed.unseal(table, sealed.call_bytes(params, args, kwargs)) == answer_bytes
    for args in ((dA, cache, "sigmoid"), (dA + 1e-15, cache, "relu"), (dA.astype(np.float32), cache, "relu")):
        assert sealed.unseal(table, sealed.call_bytes(params, args, {})) is None
    assert sealed.call_bytes(params, (dA, cache, "relu", 4), {}) is None  # does not bind
    assert sealed.call_bytes(params, (dA,), {"dA": dA}) is None
    # no stretch of the answer's bytes is left in the clear
    body, raw = answer_bytes[-200:], binascii.a2b_base64(sealed_bytes)
    assert len(raw) == len(answer_bytes)
    assert all(body[i:i + 16] not in raw for i in range(0, len(body) - 16, 8))


def test_a_retry_in_a_pipeline_gives_the_same_results_as_alone(grader):
    # while a retry runs the next notebook is sent ahead: results and their order must not change
    notebooks = [("keepdims.ipynb", {"linear_backward": NO_KEEPDIMS}), ("clean.ipynb", {}),
                 ("bias.ipynb", {"linear_forward": NO_BIAS}), ("both.ipynb", {"linear_backward": NO_KEEPDIMS,
                                                                              "linear_forward": NO_BIAS}),
                 ("clean2.ipynb", {})]
    alone = [grade(grader, replace, name).to_dict() for name, replace in notebooks]
    piped = [r.to_dict() for r in grader.grade_many(
        ((name, notebook_bytes(solution_cells(replace))) for name, replace in notebooks), depth=2)]
    for result in alone + piped:
        result.pop("execution_time")
    assert [r["submission"] for r in piped] == [name for name, _ in notebooks]
    assert piped == alone

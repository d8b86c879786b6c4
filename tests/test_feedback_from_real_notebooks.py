"""Feedback on mistakes seen in public student notebooks that the mistake library alone does not
cover: a key written in the wrong case, an error the student's own code raises in both runs of a
re-graded caller, a library mistake under the first version's squeezed db, a missing gradient key
in a multi-layer backward pass. Each notebook here is written for what it shows."""

from __future__ import annotations

import pytest

from assignments.dnn_step_by_step.mistakes import variant
from graders.grade import Grader
from graders.kit.nbbuild import edited_source, notebook_bytes, solution_cells, solution_source
from graders.portable import checks
from graders.scoring import MSG_BY_LAYER
from tests.fixtures.build import FIRST_VERSION_LINEAR_BACKWARD


@pytest.fixture(scope="module")
def grader():
    with Grader() as shared:
        yield shared


def graded(grader, replacements, name):
    return grader.grade_bytes(notebook_bytes(solution_cells(replacements)), name + ".ipynb")


def first_failing(function_result):
    return next(case for case in function_result.cases if not case.passed)


def test_a_key_error_on_a_key_the_input_holds_in_another_case_says_keys_are_case_sensitive(grader):
    lower = edited_source("update_parameters", 'params["W" + str(l)]', 'params["w" + str(l)]')
    assert lower != solution_source("update_parameters")
    result = graded(grader, {"update_parameters": lower}, "update_parameters_lowercase_w")
    message = first_failing(result.function("update_parameters")).message
    assert "KeyError: 'w1'" in message
    assert checks.MSG_KEY_ERROR_CASE.format(path="params", found="W1") in message, message


def test_a_missing_key_that_is_there_in_another_case_says_so(grader):
    source = solution_source("initialize_parameters").replace('"W1"', '"w1"').replace('"W2"', '"w2"')
    result = graded(grader, {"initialize_parameters": source}, "initialize_parameters_lowercase_w")
    message = first_failing(result.function("initialize_parameters")).message
    assert checks.MSG_KEY_CASE.format(found="w1", key="W1") in message, message


def test_a_missing_gradient_key_gets_no_layer_note(grader):
    # lowercase dW keys: the values are right, so no layer is "already wrong"
    source = solution_source("L_model_backward").replace('"dW"', '"dw"')
    assert source != solution_source("L_model_backward")
    result = graded(grader, {"L_model_backward": source}, "L_model_backward_lowercase_dw")
    function = result.function("L_model_backward")
    assert function.status == "failed"
    assert not any(note.startswith(MSG_BY_LAYER.split("(")[0]) for note in function.notes), function.notes
    assert "differs only in case" in first_failing(function).message


def test_an_error_a_caller_raises_in_both_runs_keeps_its_own_message(grader):
    # seen in public notebooks: the output layer read with the loop's l, unset for L = 1, in a
    # notebook whose linear_activation_forward is wrong too, so L_model_forward is graded again
    wrong_helper = variant("linear_activation_forward.activations_swapped").source
    caller = variant("L_model_forward.output_layer_indexed_by_the_loop_variable")
    result = graded(grader, {"linear_activation_forward": wrong_helper, "L_model_forward": caller.source},
                    "L_model_forward_loop_variable_after_the_loop")
    function = result.function("L_model_forward")
    failing = [case for case in function.cases if not case.passed]
    assert failing and all("UnboundLocalError" in case.message for case in failing), [c.message for c in failing]
    assert function.diagnosis == caller.diagnosis, function.notes


def test_a_library_mistake_under_the_first_versions_squeezed_db_is_named(grader):
    # seen in a public first-version notebook: db = (1/m) * dZ.sum(), a single number, in a
    # template whose db is squeezed (a number for a one-unit layer)
    source = FIRST_VERSION_LINEAR_BACKWARD.replace(
        "db = np.squeeze(np.sum(dZ, axis=1, keepdims=True)) / m", "db = (1 / m) * dZ.sum()")
    assert source != FIRST_VERSION_LINEAR_BACKWARD
    result = graded(grader, {"linear_backward": source}, "first_version_db_sum_of_everything")
    function = result.function("linear_backward")
    assert function.diagnosis == variant("linear_backward.db_sum_of_everything").diagnosis, function.notes

"""Diagnosis by layer (issue 12, item 2): for a multi-layer function whose mistake the library does
not know, the feedback says which layer first goes wrong and what it was given instead."""

from __future__ import annotations

import pytest

from graders.grade import Grader
from graders.kit.nbbuild import notebook_bytes, solution_cells, solution_source
from graders.scoring import MSG_BY_LAYER

BACKWARD, FORWARD = solution_source("L_model_backward"), solution_source("L_model_forward")
HIDDEN_CALL = 'caches[l], activation="relu"'
FORWARD_CALL = 'parameters["W" + str(l)], parameters["b" + str(l)], activation="relu"'
MISTAKES = {
    # (function, the mistake's source, what the note must say)
    "first_layer_differentiated_as_sigmoid": (
        "L_model_backward", BACKWARD.replace(HIDDEN_CALL, 'caches[l], activation="sigmoid" if l == 0 else "relu"'),
        ["dW2, db2, dW3 and db3 are right", "(layer 1): layer 1 uses the sigmoid's backward"]),
    "first_layer_given_the_next_cache": (
        "L_model_backward", BACKWARD.replace(HIDDEN_CALL, 'caches[l + 1 if l == 0 else l], activation="relu"'),
        ["dW1 and db1 are the first that are wrong", "layer 1 is given caches[1], the cache of layer 2"]),
    "last_layer_given_twice_dAL": (
        "L_model_backward", BACKWARD.replace('dAL, caches[L - 1], activation="sigmoid"',
                                             '2 * dAL, caches[L - 1], activation="sigmoid"'),
        ["The last layer's gradients dW3 and db3 are already wrong", "look at dAL"]),
    "second_layer_uses_the_first_layers_parameters": (
        "L_model_forward", FORWARD.replace(FORWARD_CALL, 'parameters["W" + str(max(1, l - 1))], '
                                           'parameters["b" + str(max(1, l - 1))], activation="relu"'),
        ["Layer 1 is right; layer 2 is the first whose cache is wrong", "it uses W1 and b1"]),
    "output_layer_relu_in_deep_networks": (
        "L_model_forward", FORWARD.replace('parameters["b" + str(L)], activation="sigmoid"',
                                           'parameters["b" + str(L)], activation="relu" if L > 2 else "sigmoid"'),
        ["Every layer's cache is right, but AL is not", "the output layer uses ReLU"]),
}


@pytest.fixture(scope="module")
def grader():
    with Grader() as shared:
        yield shared


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_the_first_wrong_layer_is_named(grader, mistake):
    function, source, says = MISTAKES[mistake]
    assert source != (BACKWARD if function == "L_model_backward" else FORWARD)
    result = grader.grade_bytes(notebook_bytes(solution_cells({function: source})), mistake + ".ipynb")
    graded = result.function(function)
    assert graded.status == "failed"
    head = MSG_BY_LAYER.split("(")[0]
    notes = [note for note in graded.notes if note.startswith(head)]
    assert len(notes) == 1, graded.notes
    for words in says:
        assert words in notes[0], notes[0]


def test_a_known_mistake_keeps_its_own_diagnosis_and_no_layer_note(grader):
    source = BACKWARD.replace(HIDDEN_CALL, 'caches[l], activation="sigmoid"')
    graded = grader.grade_bytes(notebook_bytes(solution_cells({"L_model_backward": source}))).function(
        "L_model_backward")
    assert any(note.startswith("Likely mistake:") for note in graded.notes)
    assert not any(note.startswith(MSG_BY_LAYER.split("(")[0]) for note in graded.notes)


def test_a_real_mistake_under_the_first_versions_squeezed_db_is_named(grader):
    # seen in four public notebooks: every hidden layer differentiated as the sigmoid layer, from
    # dAL; under the first version's template (db squeezed) the student's db is compared with the
    # library's as the column it stands for, so the library's variant names it
    from assignments.dnn_step_by_step.mistakes import variant
    from tests.fixtures.build import FIRST_VERSION_LINEAR_BACKWARD

    source = variant("L_model_backward.dAL_and_sigmoid_in_every_layer").source
    cells = solution_cells({"linear_backward": FIRST_VERSION_LINEAR_BACKWARD, "L_model_backward": source})
    graded = grader.grade_bytes(notebook_bytes(cells), "first_version.ipynb").function("L_model_backward")
    assert graded.diagnosis == variant("L_model_backward.dAL_and_sigmoid_in_every_layer").diagnosis, graded.notes
    # the template's assert that fails is linear_backward's, and the note says so
    assert any(note.startswith("An assert in linear_backward, which L_model_backward calls, failed")
               for note in graded.notes), graded.notes


def test_a_whole_cache_passed_to_sigmoid_backward_is_named_in_the_first_versions_numbering(grader):
    # seen in three public notebooks of the first version: caches[1] and caches[0] (whole layers'
    # caches) passed where the current layer's two parts go; the loop then crashes in
    # sigmoid_backward, and the grads use the first version's dA numbering
    from assignments.dnn_step_by_step.mistakes import variant
    from tests.fixtures.build import FIRST_VERSION_LINEAR_BACKWARD

    wrong = variant("L_model_backward.whole_cache_to_sigmoid_backward")
    source = (wrong.source
              .replace('grads["dA" + str(L - 1)], grads["dW" + str(L)]', 'grads["dA" + str(L)], grads["dW" + str(L)]')
              .replace('grads["dA" + str(l)], grads["dW" + str(l + 1)]',
                       'grads["dA" + str(l + 1)], grads["dW" + str(l + 1)]'))
    assert source != wrong.source
    cells = solution_cells({"linear_backward": FIRST_VERSION_LINEAR_BACKWARD, "L_model_backward": source})
    graded = grader.grade_bytes(notebook_bytes(cells), "first_version.ipynb").function("L_model_backward")
    assert graded.status == "failed"
    assert graded.diagnosis == wrong.diagnosis, graded.notes
